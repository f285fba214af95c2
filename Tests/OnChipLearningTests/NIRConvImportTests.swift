import Foundation
import Testing
import ChipModel
@testable import OnChipLearning

/// A float reference of any NIR graph (convolutions, pooling, Flatten, recurrent edges),
/// evaluated node by node from the NIR parameters with plain loops, independent of the
/// importer's composition: forward Euler at dt; a neuron node at step t receives what its
/// linear predecessors compute from the spikes its sources emitted at step t - 1 (the chip's
/// one-step delay on every connection, recurrent ones included), biases included, and nothing
/// at step 0. Returns spikes[node][step].
func graphReference(_ g: NIRGraph, dt: Double, input: [[Int32]], soft: Bool) -> [String: [[Int32]]] {
    let neuronTypes: Set<String> = ["LIF", "IF", "LI", "CubaLIF", "CubaLI"]
    func d(_ n: NIRNode, _ k: String) -> [Double] { n.parameters[k]!.doubles }
    func pairOf(_ n: NIRNode, _ k: String, _ def: Int) -> (Int, Int) {
        guard let v = n.parameters[k]?.doubles else { return (def, def) }
        return (Int(v[0]), Int(v[v.count - 1]))
    }
    var shapes: [String: [Int]] = [:]  // output shapes of the nodes, filled as evaluated
    for n in g.nodes where n.type == "Input" { shapes[n.name] = n.parameters["shape"]!.doubles.map { Int($0) } }
    for n in g.nodes where neuronTypes.contains(n.type) { shapes[n.name] = n.parameters["r"]!.shape }
    var previous: [String: [Double]] = [:]  // spikes (0/1) of sources at the step before
    var state: [String: (v: [Double], i: [Double])] = [:]
    var out: [String: [[Int32]]] = [:]
    for n in g.nodes where neuronTypes.contains(n.type) {
        let size = n.parameters["r"]!.count
        state[n.name] = ([Double](repeating: 0, count: size), [Double](repeating: 0, count: size))
    }
    func value(_ name: String, _ memo: inout [String: [Double]]) -> [Double] {
        if let m = memo[name] { return m }
        let n = g.node(name)!
        if n.type == "Input" || neuronTypes.contains(n.type) { return previous[name]! }
        let preds = g.edges.filter { $0.to == name }.map(\.from)
        var x = value(preds[0], &memo)
        for p in preds.dropFirst() { x = zip(x, value(p, &memo)).map(+) }
        let inShape = shapes[preds[0]]!
        var y: [Double]
        switch n.type {
        case "Affine", "Linear":
            let w = d(n, "weight"), o = n.parameters["weight"]!.shape[0], k = x.count
            y = (0 ..< o).map { j in (0 ..< k).reduce(n.type == "Affine" ? d(n, "bias")[j] : 0) { $0 + w[j * k + $1] * x[$1] } }
            shapes[name] = [o]
        case "Flatten":
            y = x; shapes[name] = [x.count]
        case "Conv2d", "SumPool2d", "AvgPool2d":
            let c = inShape[0], h = inShape[1], wd = inShape[2]
            let conv = n.type == "Conv2d"
            let ws = conv ? n.parameters["weight"]!.shape : [c, 1] + (n.parameters["kernel_size"]!.doubles.map { Int($0) })
            let (kh, kw) = (ws[2], ws[3])
            let (sh, sw) = pairOf(n, "stride", conv ? 1 : kh), (ph, pw) = pairOf(n, "padding", 0)
            let o = ws[0], oh = (h + 2 * ph - kh) / sh + 1, ow = (wd + 2 * pw - kw) / sw + 1
            let w = conv ? d(n, "weight") : []
            y = [Double](repeating: 0, count: o * oh * ow)
            for oc in 0 ..< o { for oy in 0 ..< oh { for ox in 0 ..< ow {
                var s = conv ? (n.parameters["bias"].map { $0.doubles[oc] } ?? 0) : 0
                for ic in (conv ? 0 ..< c : oc ..< oc + 1) { for ky in 0 ..< kh { for kx in 0 ..< kw {
                    let iy = oy * sh - ph + ky, ix = ox * sw - pw + kx
                    guard iy >= 0, iy < h, ix >= 0, ix < wd else { continue }
                    let tap = conv ? w[((oc * c + ic) * kh + ky) * kw + kx] : (n.type == "SumPool2d" ? 1 : 1 / Double(kh * kw))
                    s += tap * x[(ic * h + iy) * wd + ix]
                } } }
                y[(oc * oh + oy) * ow + ox] = s
            } } }
            shapes[name] = [o, oh, ow]
        default: fatalError("reference: \(n.type)")
        }
        memo[name] = y
        return y
    }
    let inputNode = g.nodes.first { $0.type == "Input" }!
    let inputSize = shapes[inputNode.name]!.reduce(1, *)
    for (name, s) in state { previous[name] = [Double](repeating: 0, count: s.v.count) }
    previous[inputNode.name] = [Double](repeating: 0, count: inputSize)
    for t in 0 ..< input.count {
        var memo: [String: [Double]] = [:]
        var emitted: [String: [Double]] = [:]
        for n in g.nodes where neuronTypes.contains(n.type) {
            let preds = g.edges.filter { $0.to == n.name }.map(\.from)
            var x = [Double](repeating: 0, count: state[n.name]!.v.count)
            if t > 0 { for p in preds { x = zip(x, value(p, &memo)).map(+) } }
            let cuba = n.type.hasPrefix("Cuba"), spiking = ["LIF", "IF", "CubaLIF"].contains(n.type)
            let r = d(n, "r"), tau = n.type == "IF" ? [] : d(n, cuba ? "tau_mem" : "tau")
            let th = spiking ? d(n, "v_threshold") : []
            var (v, i) = state[n.name]!
            var fired: [Int32] = [], spikes = [Double](repeating: 0, count: v.count)
            for j in 0 ..< v.count {
                let aMem = n.type == "IF" ? 0 : dt / tau[j]
                if cuba {
                    let aSyn = dt / d(n, "tau_syn")[j]
                    i[j] = (1 - aSyn) * i[j] + aSyn * d(n, "w_in")[j] * x[j]
                } else { i[j] = x[j] }
                v[j] = (1 - aMem) * v[j] + (n.type == "IF" ? dt : aMem) * r[j] * i[j]
                if spiking && v[j] > th[j] { fired.append(Int32(j)); spikes[j] = 1; v[j] = soft ? v[j] - th[j] : 0 }
            }
            state[n.name] = (v, i)
            emitted[n.name] = spikes
            out[n.name, default: []].append(fired)
        }
        for (k, s) in emitted { previous[k] = s }
        var x = [Double](repeating: 0, count: inputSize)
        for c in input[t] { x[Int(c)] = 1 }
        previous[inputNode.name] = x
    }
    return out
}

@Suite("NIR import: convolution, pooling, Flatten, recurrence")
struct NIRConvImportTests {
    func fixture(_ name: String) throws -> NIRGraph { try NIRGraph.read(path: nirFixture(name + ".nir")) }

    /// The four conv / recurrent fixtures import into configs that load (and, but for the
    /// largest, build a chip), with
    /// the connection kinds the mapping promises (docs/NIR.md).
    @Test func snntorchCNNImportsAndBuilds() throws {
        var options = NIRImportOptions(); options.reset = .soft
        var m = try NIRImport.run(try fixture("snntorch_cnn_mnist"), options: options)
        #expect(m.inputShape == LayerShape(channels: 1, height: 28, width: 28))
        #expect(m.layers.map(\.shape) == [LayerShape(channels: 8, height: 28, width: 28), LayerShape(channels: 16, height: 14, width: 14), nil])
        #expect(m.layers.allSatisfy { $0.parameters.dv == 410 && $0.parameters.reset == .soft })  // 4096 x 0.1 = 409.6
        let kinds = m.connections.map { "\($0.from)->\($0.to):\($0.kind.rawValue)" }
        #expect(Set(kinds) == ["input->l1:conv2d", "l1->l2:conv2d", "l2->l3:dense", "bias->l1:dense", "bias->l2:dense", "bias->l3:dense"])
        // AvgPool2d(2) then Conv2d(3x3, pad 1) fused: 6x6 kernel, stride 2, padding 2, taps W / 4.
        let c2 = m.connections.first { $0.to == "l2" && $0.kind == .conv2d }!
        let g = c2.geometry!
        #expect((g.kernelH, g.kernelW, g.strideH, g.padH, g.dilationH) == (6, 6, 2, 2, 1))
        #expect(c2.kernel.count == 16 * 8 * 36)
        // The mesh fitChip() chooses (chipsim import; configs/nir-snntorch-cnn.json): l2 reads
        // all 8 channels of l1, so under 4096 input axons a core holds a few of its rows; l1's
        // neurons then reach many l2 cores (output axons). Building that 39-core chip takes
        // about 8 s of CPU in a debug build, so the unit test stops at the config (shapes,
        // kernel and output-shape checks); `chipsim validate configs/nir-snntorch-cnn.json`
        // builds it, and NIRCLITests runs the smaller Sinabs CNN on the chip.
        m.chip = .object([("meshWidth", .int(7)), ("meshHeight", .int(6)), ("core", .object([("maxOutputAxons", .int(32768))]))])
        let config = try ExperimentConfig(json: m.config, file: "snntorch.json")
        #expect(config.network.layers.map(\.name) == ["input", "bias", "l1", "l2", "l3"])
    }

    @Test func sinabsCNNImportsAndBuilds() throws {
        var m = try NIRImport.run(try fixture("cnn_sinabs"))
        #expect(m.biasUnit == nil)  // every bias is zero
        let kinds = m.connections.map { "\($0.from)->\($0.to):\($0.kind.rawValue)" }
        #expect(Set(kinds) == ["input->1:conv2d", "1->3:conv2d", "3->6:conv2d", "6->10:dense", "10->12:dense"])
        let c1 = m.connections.first { $0.to == "1" }!.geometry!, c3 = m.connections.first { $0.to == "6" }!.geometry!
        #expect((c1.kernelH, c1.strideH, c1.padH) == (5, 2, 1))
        #expect((c3.kernelH, c3.strideH, c3.padH) == (6, 2, 2))  // SumPool2d(2) fused into the 3x3 conv
        #expect(m.layers.allSatisfy { $0.type == "IF" && $0.parameters.dv == 0 })
        try m.fitChip()
        let config = try ExperimentConfig(json: m.config, file: "sinabs.json")
        // Export of shaped connections is not done: a clean error naming the connection.
        do { _ = try NIRExport.initialWeights(config); Issue.record("export of a conv network must be refused") } catch {
            #expect("\(error)".contains("connections[0]") && "\(error)".contains("conv2d") && "\(error)".contains("not supported yet"))
        }
    }

    @Test(arguments: ["braille_noDelay_bias_zero", "braille_noDelay_noBias_subtract"]) func brailleImportsWithRecurrence(_ name: String) throws {
        var m = try NIRImport.run(try fixture(name))
        let rec = m.connections.first { $0.from == "lif1_lif" && $0.to == "lif1_lif" }
        #expect(rec != nil && rec!.weights.count == m.layers[0].size)
        #expect(m.biasUnit == (name.contains("noBias") ? nil : "bias"))
        try m.fitChip()
        let config = try ExperimentConfig(json: m.config, file: "braille.json")
        #expect(config.network.connections.contains { config.network.isRecurrent($0) })
    }

    /// The recurrent braille graphs on the chip vs the float reference, same input spikes.
    @Test(arguments: ["braille_noDelay_bias_zero", "braille_noDelay_noBias_subtract"]) func recurrentChipMatchesFloatReference(_ name: String) throws {
        let g = try fixture(name)
        // The file names say the reset the network was trained with (NIR cannot): "zero" =
        // to zero (hard), "subtract" = by subtraction (soft).
        let soft = name.hasSuffix("subtract")
        var options = NIRImportOptions(); options.reset = soft ? .soft : .hard
        let m = try NIRImport.run(g, options: options)
        let input = bernoulli(channels: 12, steps: 1000, rate: 0.2, seed: 5)
        let chip = try runOnChip(m, input: input)
        let reference = graphReference(g, dt: 1e-4, input: input, soft: soft)
        for l in m.layers {
            let a = chip.spikes[l.name]!, b = reference[l.node]!
            let differing = zip(a, b).filter { $0 != $1 }.count
            let ca = a.joined().count, cb = b.joined().count
            let mismatched = zip(a, b).map { Set($0).symmetricDifference(Set($1)).count }.reduce(0, +)
            print("\(name) \(l.name): chip \(ca) spikes, float \(cb), steps differing \(differing) of \(a.count), neuron-steps differing \(mismatched) of \(a.count * l.size)")
            #expect(cb > 20, "\(l.name) must be active for the comparison to mean something")
            #expect(abs(ca - cb) <= max(2, cb / 20), "\(name) \(l.name): spike counts within 5 %")
        }
    }

    /// A small CNN written and read back through HDF5, covering every shaped mapping:
    /// Input 1x8x8 -> Conv2d(2@3x3, pad 1, bias per channel: the bias unit) -> A LIF 2x8x8
    /// -> SumPool2d(2) (a chip sumPool) -> B LIF 2x4x4 -> AvgPool2d(2) -> Conv2d(3@3x3, pad 1)
    /// (fused: one 6x6 stride-2 conv) -> C LIF 3x2x2 -> Flatten -> Affine(4, bias per neuron)
    /// (composed into one dense connection) -> D LIF 4 -> Output. snnTorch-style LIF (tau 1 ms,
    /// r 10: v' = 0.9 v + I, threshold 1, reset by subtraction). The chip's spike counts
    /// per layer match the float reference (graphReference: plain loops over the NIR
    /// parameters) within 5 %; with 8-bit weights spike times drift, so counts are held. With
    /// weights on a 1/16 grid the first steps must agree exactly.
    @Test(arguments: [false, true]) func smallCNNMatchesFloatReference(grid: Bool) throws {
        var seed: UInt64 = 7
        func uniform(_ n: Int, _ lo: Double, _ hi: Double) -> [Double] {
            (0 ..< n).map { _ in
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                let x = lo + (hi - lo) * Double(seed >> 11) / Double(1 << 53)
                return grid ? (x * 16).rounded() / 16 : x
            }
        }
        func lif(_ shape: [Int]) -> [String: HDF5Dataset] {
            let n = shape.reduce(1, *)
            func a(_ x: Double) -> HDF5Dataset { .float64([Double](repeating: x, count: n), shape: shape) }
            return ["tau": a(1e-3), "r": a(10), "v_leak": a(0), "v_threshold": a(1), "v_reset": a(0)]
        }
        let g0 = NIRGraph(version: "1.0.8", nodes: [
            NIRNode(name: "in", type: "Input", parameters: ["shape": .int64([1, 8, 8])]),
            NIRNode(name: "c1", type: "Conv2d", parameters: ["weight": .float64(uniform(18, -0.2, 0.6), shape: [2, 1, 3, 3]), "bias": .float64([0.05, -0.03]),
                                                             "stride": .int64([1, 1]), "padding": .int64([1, 1]), "dilation": .int64([1, 1]), "groups": .int64([1]), "input_shape": .int64([8, 8])]),
            NIRNode(name: "A", type: "LIF", parameters: lif([2, 8, 8])),
            NIRNode(name: "s1", type: "SumPool2d", parameters: ["kernel_size": .int64([2, 2]), "stride": .int64([2, 2]), "padding": .int64([0, 0])]),
            NIRNode(name: "B", type: "LIF", parameters: lif([2, 4, 4])),
            NIRNode(name: "p2", type: "AvgPool2d", parameters: ["kernel_size": .int64([2, 2]), "stride": .int64([2, 2]), "padding": .int64([0, 0])]),
            NIRNode(name: "c2", type: "Conv2d", parameters: ["weight": .float64(uniform(54, -0.4, 0.5), shape: [3, 2, 3, 3]), "bias": .float64([0, 0.02, 0.01]),
                                                             "stride": .int64([1, 1]), "padding": .int64([1, 1]), "input_shape": .int64([2, 2])]),
            NIRNode(name: "C", type: "LIF", parameters: lif([3, 2, 2])),
            NIRNode(name: "fl", type: "Flatten", parameters: ["start_dim": .int64([0]), "end_dim": .int64([-1]), "input_type": .int64([3, 2, 2])]),
            NIRNode(name: "fc", type: "Affine", parameters: ["weight": .float64(uniform(48, -0.5, 0.6), shape: [4, 12]), "bias": .float64([0.01, 0, -0.01, 0.02])]),
            NIRNode(name: "D", type: "LIF", parameters: lif([4])),
            NIRNode(name: "out", type: "Output", parameters: ["shape": .int64([4])]),
        ], edges: [("in", "c1"), ("c1", "A"), ("A", "s1"), ("s1", "B"), ("B", "p2"), ("p2", "c2"), ("c2", "C"), ("C", "fl"), ("fl", "fc"),
                   ("fc", "D"), ("D", "out")], file: "cnn.nir")
        let g = try NIRGraph(HDF5File(bytes: HDF5Writer.write(g0.hdf5Tree()), file: "cnn.nir"), file: "cnn.nir")
        var options = NIRImportOptions(); options.reset = .soft
        var m = try NIRImport.run(g, options: options)
        let kinds = Set(m.connections.map { "\($0.from)->\($0.to):\($0.kind.rawValue)" })
        #expect(kinds == ["in->A:conv2d", "A->B:sumPool", "B->C:conv2d", "C->D:dense", "bias->A:dense", "bias->C:dense", "bias->D:dense"])
        try m.fitChip()
        let input = bernoulli(channels: 64, steps: 400, rate: 0.3, seed: 11)
        let chip = try runOnChip(m, input: input)
        let reference = graphReference(g, dt: 1e-4, input: input, soft: true)
        #expect(chip.spikes["bias"]!.allSatisfy { $0 == [0] }, "the bias unit spikes at every step, from step 0")
        for l in m.layers {
            let a = chip.spikes[l.name]!, b = reference[l.node]!
            let differing = zip(a, b).filter { $0 != $1 }.count
            let ca = a.joined().count, cb = b.joined().count
            let mismatched = zip(a, b).map { Set($0).symmetricDifference(Set($1)).count }.reduce(0, +)
            let firstDifference = (0 ..< a.count).first { a[$0] != b[$0] } ?? a.count
            print("small cnn (grid \(grid)) \(l.name): chip \(ca) spikes, float \(cb), steps differing \(differing) of \(a.count), first at step \(firstDifference), neuron-steps differing \(mismatched) of \(a.count * l.size)")
            #expect(cb > 50, "\(l.name) must be active for the comparison to mean something")
            #expect(abs(ca - cb) <= max(2, cb / 20), "small cnn \(l.name): spike counts within 5 %")
            // Weights on a 1/16 grid: the first steps agree exactly in every layer (no
            // systematic error: kernel orientation, fusion, delays); later, the rounded decay
            // (410 / 4096 for 0.1) and biases move spikes, and the differences spread.
            #expect(!grid || firstDifference >= 5, "small cnn \(l.name): first difference at step \(firstDifference)")
        }
    }

    /// Pooling fused into the convolution after it, by hand: AvgPool2d(2) over 1x4x4 then a
    /// 1 -> 1 conv with kernel [[1, 2], [3, 4]] (stride 1, no padding) is a 4x4 conv of stride
    /// 2 whose taps are each weight / 4 repeated over its 2x2 window; an input whose size does
    /// not divide by the window (5x5) is not fused (the pooled grid drops a row the fused conv
    /// would read).
    @Test func poolingFusedIntoConvByHand() throws {
        func pool(_ side: Int) -> NIRShapedOp {
            let s = LayerShape(channels: 1, height: side, width: side), o = LayerShape(channels: 1, height: side / 2, width: side / 2)
            return NIRShapedOp(kind: .avgPool, geometry: ConvGeometry(input: s, output: o, kernel: (2, 2), stride: (2, 2), groups: 1), poolWeight: 0.25)
        }
        func conv(_ side: Int) -> NIRShapedOp {
            let s = LayerShape(channels: 1, height: side, width: side), o = LayerShape(channels: 1, height: side - 1, width: side - 1)
            return NIRShapedOp(kind: .conv, geometry: ConvGeometry(input: s, output: o, kernel: (2, 2)), kernel: [1, 2, 3, 4], bias: [0.5])
        }
        let f = try #require(NIRShapedOp.fuse(pool: pool(4), conv: conv(2)))
        let g = f.geometry!
        #expect((g.kernelH, g.kernelW, g.strideH, g.strideW, g.padH, g.padW) == (4, 4, 2, 2, 0, 0))
        #expect(g.output == LayerShape(channels: 1, height: 1, width: 1))
        #expect(f.kernel == [0.25, 0.25, 0.5, 0.5, 0.25, 0.25, 0.5, 0.5, 0.75, 0.75, 1, 1, 0.75, 0.75, 1, 1])
        #expect(f.bias == [0.5])
        #expect(NIRShapedOp.fuse(pool: pool(5), conv: conv(2)) == nil)
    }

    /// A cycle must pass through a spiking node: a loop of linear nodes is refused, naming it.
    @Test func cycleOfLinearNodesIsRefused() throws {
        let lif: [String: HDF5Dataset] = ["tau": .float64([1e-3, 1e-3]), "r": .float64([10, 10]), "v_leak": .float64([0, 0]), "v_threshold": .float64([1, 1])]
        let w: HDF5Dataset = .float64([1, 0, 0, 1], shape: [2, 2])
        let g = NIRGraph(version: nil, nodes: [
            NIRNode(name: "in", type: "Input", parameters: ["shape": .int64([2])]),
            NIRNode(name: "a", type: "Linear", parameters: ["weight": w]),
            NIRNode(name: "b", type: "Linear", parameters: ["weight": w]),
            NIRNode(name: "lif", type: "LIF", parameters: lif),
            NIRNode(name: "out", type: "Output", parameters: ["shape": .int64([2])]),
        ], edges: [("in", "a"), ("a", "b"), ("b", "a"), ("b", "lif"), ("lif", "out")], file: "loop.nir")
        do { _ = try NIRImport.run(g); Issue.record("a loop of linear nodes must be refused") } catch {
            #expect("\(error)".contains("closes a cycle without a spiking neuron node") && "\(error)".contains("a -> b"))
        }
    }
}
