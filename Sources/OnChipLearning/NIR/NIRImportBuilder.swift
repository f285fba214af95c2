// The work of one NIR import (see NIRImport.swift for the mapping): the graph checks (node
// types, edges and shapes, cycles, one Input and Output), the composition of the Affine /
// Linear / Scale nodes into one matrix per pair of layers, and the fixed-point mapping of each
// neuron node and connection, with the quantisation report.

import Foundation
import ChipModel

/// The work of one import: graph checks, composition of the linear nodes, the mapping.
struct NIRImportBuilder {
    let graph: NIRGraph
    let options: NIRImportOptions
    var report: [NIRQuantisation] = []

    init(graph: NIRGraph, options: NIRImportOptions) { self.graph = graph; self.options = options }

    func fail(_ node: String, _ key: String?, _ m: String) -> ChipError {
        ChipError.config(file: graph.file, path: "node/nodes/\(node)" + (key.map { "/" + $0 } ?? ""), message: m)
    }

    func describe(_ name: String) -> String { "'\(name)' (\(graph.node(name)?.type ?? "?"))" }

    func param(_ n: NIRNode, _ key: String) throws -> HDF5Dataset {
        guard let d = n.parameters[key] else { throw fail(n.name, key, "missing: a \(n.type) node has \(key)") }
        guard d.strings.isEmpty || d.count == 0 else { throw fail(n.name, key, "expected numbers, found strings") }
        if case let .floats(v) = d.values, let bad = v.first(where: { !$0.isFinite }) {
            throw fail(n.name, key, "contains \(bad): every parameter must be finite")
        }
        return d
    }

    /// One value for the whole node: every element equal (to 1e-9 relative).
    func uniform(_ n: NIRNode, _ key: String, default d: Double? = nil) throws -> Double {
        if n.parameters[key] == nil, let d { return d }
        let v = try param(n, key).doubles
        guard let first = v.first else { throw fail(n.name, key, "empty array") }
        guard v.allSatisfy({ $0.isFinite }) else { throw fail(n.name, key, "not finite") }
        if let lo = v.min(), let hi = v.max(), hi - lo > 1e-9 * max(abs(lo), abs(hi)) {
            throw fail(n.name, key, "\(key) differs across the node's \(v.count) neurons (\(lo) ... \(hi)): the chip has one parameter set per layer")
        }
        return first
    }

    func metaInt(_ n: NIRNode?, _ key: String) -> Int? {
        guard let v = n?.metadata[key]?.doubles.first, v.isFinite, abs(v) < 1e9 else { return nil }
        return Int(v)
    }

    func metaDouble(_ n: NIRNode?, _ key: String) -> Double? {
        guard let v = n?.metadata[key]?.doubles.first, v.isFinite, v > 0, v <= 0x1p40 else { return nil }
        return v
    }

    /// An Input's or Output's `shape`: integers 1...2^24 whose product is at most 2^24 (the
    /// chip's largest layer).
    func shapeValues(_ n: NIRNode) throws -> [Int] {
        let v = try param(n, "shape").doubles
        var product = 1
        for x in v {
            guard x.isFinite, x >= 1, x <= Double(1 << 24), x == x.rounded() else {
                throw fail(n.name, "shape", "expected positive integers, found \(v)")
            }
            product *= Int(x)
            guard product <= 1 << 24 else { throw fail(n.name, "shape", "\(v) has more than 2^24 elements (the largest chip layer)") }
        }
        return v.map { Int($0) }
    }

    /// Number of elements of a shape, at most 2^24 (dense matrices of the layers are built).
    func elements(_ shape: [Int], _ n: NIRNode) throws -> Int {
        var product = 1
        for d in shape {
            let (p, o) = product.multipliedReportingOverflow(by: d)
            guard !o, p <= 1 << 24 else { throw fail(n.name, nil, "shape \(shape) has more than 2^24 elements (the largest chip layer)") }
            product = p
        }
        return product
    }

    /// Shape of what a node emits.
    func outShape(_ n: NIRNode) throws -> [Int] {
        switch n.type {
        case "Input": return try shapeValues(n)
        case "Affine", "Linear":
            let w = try param(n, "weight")
            guard w.shape.count == 2 else { throw fail(n.name, "weight", "expected a 2-D weight (out x in), found shape \(w.shape)") }
            return [w.shape[0]]
        case "Scale": return try param(n, "scale").shape
        default: return try param(n, "r").shape
        }
    }

    /// Shape of what a node takes in.
    func inShape(_ n: NIRNode) throws -> [Int] {
        switch n.type {
        case "Output": return try shapeValues(n)
        case "Affine", "Linear":
            let w = try param(n, "weight")
            guard w.shape.count == 2 else { throw fail(n.name, "weight", "expected a 2-D weight (out x in), found shape \(w.shape)") }
            return [w.shape[1]]
        default: return try outShape(n)
        }
    }

    mutating func build() throws -> NIRImport {
        // The checks below recurse along paths of the graph; bound their depth.
        guard graph.nodes.count <= 1024 else {
            throw ChipError.config(file: graph.file, path: "node/nodes", message: "\(graph.nodes.count) nodes: graphs of more than 1024 nodes are not supported")
        }
        // 1. Every node is one the importer maps.
        for n in graph.nodes {
            if n.type == "Input" || n.type == "Output" || NIRImport.linearTypes.contains(n.type) || NIRImport.neuronTypes.contains(n.type) { continue }
            let why: String
            switch n.type {
            case "Conv1d", "Conv2d", "SumPool2d", "AvgPool2d", "Flatten":
                why = "convolution, pooling and Flatten are not supported yet (they need the chip's convolution layers)"
            case "Delay": why = "Delay is not supported yet (the chip has one fixed synaptic delay per layer)"
            case "NIRGraph": why = "nested graphs are not supported yet"
            default: why = "this node type is not supported"
            }
            throw fail(n.name, "type", "node '\(n.name)' of type \(n.type): \(why); supported: Input, Output, Affine, Linear, Scale, LIF, IF, LI, CubaLIF, CubaLI")
        }
        // 2. Edges name nodes, shapes agree along them.
        var preds: [String: [String]] = [:], succs: [String: [String]] = [:]
        var firstSeen: [String: Int] = [:]
        for (k, e) in graph.edges.enumerated() {
            for name in [e.from, e.to] where graph.node(name) == nil {
                throw ChipError.config(file: graph.file, path: "node/edges[\(k)]", message: "edge \(e.from) -> \(e.to) names '\(name)', which is not a node")
            }
            preds[e.to, default: []].append(e.from); succs[e.from, default: []].append(e.to)
            if firstSeen[e.from] == nil { firstSeen[e.from] = 2 * k }
            if firstSeen[e.to] == nil { firstSeen[e.to] = 2 * k + 1 }
            let a = graph.node(e.from)!, b = graph.node(e.to)!
            if a.type == "Output" { throw fail(a.name, nil, "edge \(describe(a.name)) -> \(describe(b.name)): an Output has no outgoing edges") }
            if b.type == "Input" { throw fail(b.name, nil, "edge \(describe(a.name)) -> \(describe(b.name)): an Input has no incoming edges") }
            let produced = try outShape(a), expected = try inShape(b)
            guard produced == expected else {
                throw ChipError.config(file: graph.file, path: "node/edges[\(k)]",
                    message: "inconsistent graph: \(describe(b.name)) takes shape \(expected) but \(describe(a.name)) produces \(produced) on the edge \(a.name) -> \(b.name)")
            }
        }
        // 3. No cycles (recurrent edges are not supported yet).
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        func visit(_ n: String) throws {
            state[n] = 1
            for s in succs[n] ?? [] {
                if state[s] == 1 {
                    throw fail(s, nil, "recurrent edge \(describe(n)) -> \(describe(s)) closes a cycle: recurrent connections are not supported yet")
                }
                if state[s] == nil { try visit(s) }
            }
            state[n] = 2
        }
        for n in graph.nodes where state[n.name] == nil { try visit(n.name) }
        // 4. One Input, at most one Output fed by one neuron node.
        let inputs = graph.nodes.filter { $0.type == "Input" }
        guard inputs.count == 1 else {
            throw ChipError.config(file: graph.file, path: "node/nodes", message: "expected exactly one Input node, found \(inputs.count) (the chip has one input layer)")
        }
        let input = inputs[0]
        let outputs = graph.nodes.filter { $0.type == "Output" }
        guard outputs.count <= 1 else { throw fail(outputs[1].name, nil, "more than one Output node: the chip reads out one layer") }
        var outputLayer: String?
        if let o = outputs.first {
            let p = preds[o.name] ?? []
            guard p.count == 1, let src = graph.node(p[0]), NIRImport.neuronTypes.contains(src.type) else {
                throw fail(o.name, nil, "the Output must be fed by exactly one neuron node (LIF, IF, LI, CubaLIF, CubaLI); it is fed by \(p.map(describe))")
            }
            outputLayer = src.name
        }
        // 5. Layer order: topological, ties by first appearance in the edge list; the output
        // layer last.
        var indegree: [String: Int] = [:]
        for n in graph.nodes { indegree[n.name] = (preds[n.name] ?? []).count }
        var ready = graph.nodes.map(\.name).filter { indegree[$0] == 0 }
        var order: [String] = []
        while !ready.isEmpty {
            ready.sort { (firstSeen[$0] ?? .max, $0) < (firstSeen[$1] ?? .max, $1) }
            let n = ready.removeFirst()
            order.append(n)
            for s in succs[n] ?? [] { indegree[s]! -= 1; if indegree[s] == 0 { ready.append(s) } }
        }
        var neuronOrder = order.filter { NIRImport.neuronTypes.contains(graph.node($0)!.type) }
        if let o = outputLayer, let i = neuronOrder.firstIndex(of: o) {
            if (succs[o] ?? []).contains(where: { graph.node($0)!.type != "Output" }) {
                throw fail(o, nil, "the layer read out by the Output also feeds other nodes; the chip's readout layer must be the last layer")
            }
            neuronOrder.remove(at: i); neuronOrder.append(o)
        }
        for n in neuronOrder where !NIRImport.spikingTypes.contains(graph.node(n)!.type) {
            if let s = (succs[n] ?? []).first(where: { graph.node($0)!.type != "Output" }) {
                throw fail(n, nil, "\(describe(n)) does not spike, so it can only feed the Output; it feeds \(describe(s))")
            }
        }
        if neuronOrder.isEmpty { throw ChipError.config(file: graph.file, path: "node/nodes", message: "the graph has no neuron node (LIF, IF, LI, CubaLIF, CubaLI) to map onto the chip") }
        // 6. Chip layer names: NIR names with '.' and ',' replaced (the chip reserves them).
        var chipName: [String: String] = [:]
        var used = Set<String>()
        for n in [input.name] + neuronOrder {
            var s = String(n.map { $0 == "." || $0 == "," ? "_" : $0 })
            if s.isEmpty { s = "layer" }
            let base = s
            var k = 2
            while used.contains(s) { s = base + "_\(k)"; k += 1 }
            used.insert(s); chipName[n] = s
        }
        // 7. Compose the linear nodes into one matrix per (source layer, neuron layer).
        var memo: [String: LinearMap] = [:]
        func outMap(_ name: String) throws -> LinearMap {
            if let m = memo[name] { return m }
            let n = graph.node(name)!
            let size = try elements(outShape(n), n)
            var m: LinearMap
            if n.type == "Input" || NIRImport.spikingTypes.contains(n.type) {
                guard size <= 4096 else {
                    throw fail(name, nil, "\(describe(name)) has \(size) neurons: dense import composes \(size) x \(size) matrices, at most 4096 x 4096 are supported")
                }
                m = LinearMap(size: size, sources: [name: LinearMap.identity(size)], bias: [Double](repeating: 0, count: size))
            } else if NIRImport.linearTypes.contains(n.type) {
                let inner = try inMap(name)
                m = try apply(n, inner)
            } else {
                throw fail(name, nil, "\(describe(name)) does not spike and cannot feed other nodes")
            }
            memo[name] = m
            return m
        }
        func inMap(_ name: String) throws -> LinearMap {
            let n = graph.node(name)!
            let size = try elements(inShape(n), n)
            var sum = LinearMap(size: size, sources: [:], bias: [Double](repeating: 0, count: size))
            for p in preds[name] ?? [] { sum.add(try outMap(p)) }
            return sum
        }
        let dt = options.dt
        guard dt > 0, dt.isFinite else { throw ChipError.usage("--dt must be a positive number of seconds, got \(dt)") }
        var layers: [NIRImportedLayer] = []
        var connections: [NIRImportedConnection] = []
        for name in neuronOrder {
            let n = graph.node(name)!
            let incoming = try inMap(name)
            let size = incoming.size
            let cuba = n.type.hasPrefix("Cuba"), spiking = NIRImport.spikingTypes.contains(n.type)
            let tauMem = n.type == "IF" ? Double.infinity : try uniform(n, cuba ? "tau_mem" : "tau")
            let tauSyn = cuba ? try uniform(n, "tau_syn") : dt
            let r = try param(n, "r").doubles
            let wIn = cuba ? try param(n, "w_in").doubles : [Double](repeating: 1, count: size)
            guard r.count == size, wIn.count == size else { throw fail(name, "r", "r and w_in must have one value per neuron (\(size))") }
            let vLeak = n.type == "IF" ? 0 : try uniform(n, "v_leak", default: 0)
            let vThreshold = spiking ? try uniform(n, "v_threshold") : 0
            let vReset = spiking ? try uniform(n, "v_reset", default: 0) : 0
            guard tauMem > 0, tauSyn > 0 else { throw fail(name, cuba ? "tau_mem" : "tau", "time constants must be positive") }
            let aMem = n.type == "IF" ? 0 : dt / tauMem, aSyn = dt / tauSyn
            guard aMem <= 1, aSyn <= 1 else {
                throw fail(name, aSyn > 1 ? "tau_syn" : (cuba ? "tau_mem" : "tau"), "dt = \(dt) s is longer than the time constant (\(aSyn > 1 ? tauSyn : tauMem) s): choose a smaller --dt")
            }
            if spiking && !(vThreshold > 0) { throw fail(name, "v_threshold", "v_threshold must be positive, found \(vThreshold)") }
            let reset = options.reset ?? (n.metadata["chipsim_reset"]?.strings.first.flatMap(ResetMode.init(rawValue:)) ?? .hard)
            if spiking && vReset != 0 {
                throw fail(name, "v_reset", "v_reset = \(vReset): the chip resets v to 0 (reset hard) or subtracts the threshold (reset soft); only v_reset = 0 maps")
            }
            // The one linear node between a source and this layer, if there is one: chipsim
            // export writes its chipsim_* hints there.
            func hintNode(_ src: String) -> NIRNode? {
                (preds[name] ?? []).compactMap { graph.node($0) }.first { NIRImport.linearTypes.contains($0.type) && preds[$0.name] == [src] }
            }
            let gain = (0 ..< size).map { j in (n.type == "IF" ? dt : aMem) * r[j] * (cuba ? aSyn * wIn[j] : 1) }
            // The bias current per step (NIR voltage units): v_leak pulls, the Affine bias
            // pushes (for Cuba nodes through the synaptic current: its steady state).
            let biases = (0 ..< size).map { j in aMem * vLeak + (cuba ? gain[j] / aSyn : gain[j]) * incoming.bias[j] }
            let bias = biases.first ?? 0
            if let lo = biases.min(), let hi = biases.max(), hi - lo > 1e-9 * max(abs(lo), abs(hi)) {
                throw fail(name, "v_leak", "the bias current (v_leak and Affine bias) differs across neurons (\(lo) ... \(hi)): the chip has one bias per layer")
            }
            // Voltage scale: the largest power of two that keeps every register in range:
            // v up to the threshold plus one step's worst-case input (spiking) or the readout's
            // steady state (non-spiking) inside 24 bits, the worst-case |u| inside 24 bits,
            // vth inside 17 bits, the bias inside 13 bits x 2^7, and every weight inside
            // weightBits x 2^7.
            var uBound = 0.0
            var pos = [Double](repeating: 0, count: size), neg = [Double](repeating: 0, count: size)
            let register = Double((1 << 23) - 1)
            var limit = Double(1 << 30)
            for (src, m) in incoming.sources {
                var jump = 0.0
                for j in 0 ..< size { for i in 0 ..< m[j].count {
                    let x = gain[j] * m[j][i]
                    jump = max(jump, abs(x))
                    if x > 0 { pos[j] += x } else { neg[j] -= x }
                } }
                let bits = min(max(metaInt(hintNode(src), "chipsim_weight_bits") ?? options.weightBits, 1), 9)
                if jump > 0 { limit = min(limit, 64 * Double((1 << (bits - 1)) - 1) * 128 / jump) }
            }
            for j in 0 ..< size { uBound = max(uBound, max(pos[j], neg[j]) / aSyn) }
            if uBound > 0 { limit = min(limit, register / uBound) }
            if spiking {
                limit = min(limit, register / (vThreshold + uBound + abs(bias)), 131_071 * 64 / vThreshold)
            } else if uBound + abs(bias) > 0 {
                limit = min(limit, register * max(aMem, 1.0 / 64) / (uBound + abs(bias)))
            }
            if bias != 0 { limit = min(limit, 4095 * 128 / abs(bias)) }
            let scale = metaDouble(n, "chipsim_scale") ?? Foundation.pow(2, Foundation.floor(Foundation.log2(limit)))
            guard scale > 0, scale.isFinite else { throw fail(name, nil, "cannot choose a voltage scale (weights or threshold zero or not finite)") }
            // Decays, threshold, bias.
            var dv = Int((4096 * aMem).rounded()), du = Int((4096 * aSyn).rounded()) - 1
            dv = min(max(dv, 0), 4095); du = min(max(du, 0), 4095)
            report.append(NIRQuantisation(layer: chipName[name]!, item: "voltage decay 1 - a_mem", maxError: abs(Double(4096 - dv) / 4096 - (1 - aMem)), rmsError: abs(Double(4096 - dv) / 4096 - (1 - aMem)), scale: 1))
            if cuba {
                report.append(NIRQuantisation(layer: chipName[name]!, item: "current decay 1 - a_syn", maxError: abs(Double(4096 - du - 1) / 4096 - (1 - aSyn)), rmsError: abs(Double(4096 - du - 1) / 4096 - (1 - aSyn)), scale: 1))
            }
            // A readout layer's vth is unused; chipsim export keeps it in metadata.
            var vth = spiking ? 0 : min(max(metaInt(n, "chipsim_vth") ?? 0, 0), 131_071)
            if spiking {
                vth = Int(min(max((scale * vThreshold / 64).rounded(), 1), 131_071))
                let e = abs(Double(vth) * 64 / scale - vThreshold)
                report.append(NIRQuantisation(layer: chipName[name]!, item: "v_threshold", maxError: e, rmsError: e, scale: vThreshold))
            }
            let biasChip = scale * bias
            var biasExp = metaInt(n, "chipsim_bias_exponent") ?? 0
            if metaInt(n, "chipsim_bias_exponent") == nil { while biasExp < 7 && abs(biasChip / Double(1 << biasExp)).rounded() > 4095 { biasExp += 1 } }
            biasExp = min(max(biasExp, -8), 7)
            let biasMant = Int(min(max((biasChip / Foundation.pow(2, Double(biasExp))).rounded(), -4096), 4095))
            let biasError = abs(Double(FixedPoint.shift(Int64(biasMant), by: biasExp)) / scale - bias)
            if bias != 0 || biasMant != 0 {
                report.append(NIRQuantisation(layer: chipName[name]!, item: "bias per step", maxError: biasError, rmsError: biasError, scale: abs(bias)))
            }
            let refractory = min(max(metaInt(n, "chipsim_refractory") ?? 0, 0), 63)
            let parameters = LIFParameters(du: du, dv: dv, vth: vth, biasMant: biasMant, biasExp: biasExp, refractory: refractory,
                                           reset: reset, spiking: spiking)
            layers.append(NIRImportedLayer(name: chipName[name]!, node: name, type: n.type, size: size, parameters: parameters, scale: scale,
                                           aMem: aMem, aSyn: aSyn, vThreshold: vThreshold, gain: gain, biasPerStep: bias))
            // Connections, one per source layer, in layer order.
            for src in ([input.name] + neuronOrder) where incoming.sources[src] != nil {
                let m = incoming.sources[src]!
                // Hints from a single linear node between the two layers (written by chipsim export).
                let via = hintNode(src)
                let bits = metaInt(via, "chipsim_weight_bits") ?? options.weightBits
                guard SynapseWidths.weightBitsRange.contains(bits) else {
                    throw ChipError.usage("weight bits \(bits) outside \(SynapseWidths.weightBitsRange)")
                }
                let wMax = Double((1 << (bits - 1)) - 1), wMin = -Double(1 << (bits - 1))
                let targets = (0 ..< size).map { j in m[j].map { scale * gain[j] * $0 / 64 } }  // w 2^e
                let largest = targets.joined().map(abs).max() ?? 0
                var e = metaInt(via, "chipsim_weight_exponent") ?? 0
                if metaInt(via, "chipsim_weight_exponent") == nil && largest > 0 {
                    e = -8
                    while e < 7 && (largest / Foundation.pow(2, Double(e))).rounded() > wMax { e += 1 }
                }
                e = min(max(e, SynapseWidths.weightExponentRange.lowerBound), SynapseWidths.weightExponentRange.upperBound)
                let unit = Foundation.pow(2, Double(e))
                let preSize = m.first?.count ?? 0
                var w = [[Int]](repeating: [Int](repeating: 0, count: size), count: preSize)
                var maxErr = 0.0, sumSq = 0.0, maxW = 0.0
                for j in 0 ..< size {
                    for i in 0 ..< preSize {
                        let q = min(max((targets[j][i] / unit).rounded(), wMin), wMax)
                        w[i][j] = Int(q)
                        let back = gain[j] != 0 ? q * unit * 64 / (scale * gain[j]) : 0
                        let err = abs(back - m[j][i])
                        maxErr = max(maxErr, err); sumSq += err * err; maxW = max(maxW, abs(m[j][i]))
                    }
                }
                report.append(NIRQuantisation(layer: chipName[name]!, item: "W from \(chipName[src]!) (e=\(e))", maxError: maxErr,
                                              rmsError: (sumSq / Double(max(1, size * preSize))).squareRoot(), scale: maxW))
                connections.append(NIRImportedConnection(from: chipName[src]!, to: chipName[name]!, weightBits: bits, weightExponent: e,
                                                         weights: w, floatWeights: m))
            }
        }
        // Connections in the order the edge list first leads from their source towards their
        // target (the order chipsim export writes them), so import(export(x)) keeps it.
        let chipToNode = Dictionary(uniqueKeysWithValues: chipName.map { ($1, $0) })
        func position(_ c: NIRImportedConnection) -> Int {
            let src = chipToNode[c.from]!, dst = chipToNode[c.to]!
            return graph.edges.firstIndex { $0.from == src && ($0.to == dst || (preds[dst] ?? []).contains($0.to)) } ?? Int.max
        }
        let ordered = connections.enumerated().sorted { (position($0.element), $0.offset) < (position($1.element), $1.offset) }.map(\.element)
        let inputSize = try elements(outShape(input), input)
        return NIRImport(inputName: chipName[input.name]!, inputSize: inputSize, layers: layers, connections: ordered,
                         report: report, options: options, version: graph.version)
    }

    /// y = W x + b of one linear node applied to a map.
    func apply(_ n: NIRNode, _ x: LinearMap) throws -> LinearMap {
        switch n.type {
        case "Scale":
            let s = try param(n, "scale").doubles
            guard s.count == x.size else { throw fail(n.name, "scale", "expected \(x.size) values, found \(s.count)") }
            return LinearMap(size: x.size, sources: x.sources.mapValues { m in m.enumerated().map { j, row in row.map { $0 * s[j] } } },
                             bias: x.bias.enumerated().map { $1 * s[$0] })
        default:
            let wd = try param(n, "weight")
            let out = wd.shape[0], inn = wd.shape[1]
            let w = wd.doubles
            guard inn == x.size, w.count == out * inn else { throw fail(n.name, "weight", "weight shape \(wd.shape) does not take \(x.size) inputs") }
            var bias = [Double](repeating: 0, count: out)
            if n.type == "Affine" {
                let b = try param(n, "bias").doubles
                guard b.count == out else { throw fail(n.name, "bias", "expected \(out) values, found \(b.count)") }
                bias = b
            }
            for j in 0 ..< out { for i in 0 ..< inn { bias[j] += w[j * inn + i] * x.bias[i] } }
            let sources = x.sources.mapValues { m -> [[Double]] in
                let cols = m.first?.count ?? 0
                return (0 ..< out).map { j in
                    (0 ..< cols).map { c in
                        var s = 0.0
                        for i in 0 ..< inn where m[i][c] != 0 { s += w[j * inn + i] * m[i][c] }
                        return s
                    }
                }
            }
            return LinearMap(size: out, sources: sources, bias: bias)
        }
    }
}
