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

    /// Predecessors of each node, in edge order.
    let predsOf: [String: [String]]

    init(graph: NIRGraph, options: NIRImportOptions) {
        self.graph = graph; self.options = options
        var p: [String: [String]] = [:]
        for e in graph.edges { p[e.to, default: []].append(e.from) }
        predsOf = p
    }

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
    func shapeValues(_ n: NIRNode, key: String = "shape") throws -> [Int] {
        let v = try param(n, key).doubles
        var product = 1
        for x in v {
            guard x.isFinite, x >= 1, x <= Double(1 << 24), x == x.rounded() else {
                throw fail(n.name, key, "expected positive integers, found \(v)")
            }
            product *= Int(x)
            guard product <= 1 << 24 else { throw fail(n.name, key, "\(v) has more than 2^24 elements (the largest chip layer)") }
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

    /// Shape of what a node emits. Pooling (and a Conv2d or Flatten without its
    /// input_shape / input_type) take the shape of their predecessor; `depth` bounds that
    /// recursion (a cycle of such nodes is an error).
    func outShape(_ n: NIRNode, depth: Int = 0) throws -> [Int] {
        switch n.type {
        case "Input": return try shapeValues(n)
        case "Affine", "Linear":
            let w = try param(n, "weight")
            guard w.shape.count == 2 else { throw fail(n.name, "weight", "expected a 2-D weight (out x in), found shape \(w.shape)") }
            return [w.shape[0]]
        case "Scale": return try param(n, "scale").shape
        case "Conv2d", "SumPool2d", "AvgPool2d":
            let g = try shapedOp(n, depth: depth).geometry!
            return [g.output.channels, g.output.height, g.output.width]
        case "Flatten":
            let input = try inShape(n, depth: depth)
            let rank = input.count
            var s = Int(try uniform(n, "start_dim", default: 0)), e = Int(try uniform(n, "end_dim", default: -1))
            if s < 0 { s += rank }
            if e < 0 { e += rank }
            guard rank > 0, 0 <= s, s <= e, e < rank else { throw fail(n.name, "start_dim", "start_dim / end_dim do not fit the input shape \(input)") }
            return Array(input[..<s]) + [input[s ... e].reduce(1, *)] + Array(input[(e + 1)...])
        default: return try param(n, "r").shape
        }
    }

    /// Shape of what a node takes in.
    func inShape(_ n: NIRNode, depth: Int = 0) throws -> [Int] {
        switch n.type {
        case "Output": return try shapeValues(n)
        case "Affine", "Linear":
            let w = try param(n, "weight")
            guard w.shape.count == 2 else { throw fail(n.name, "weight", "expected a 2-D weight (out x in), found shape \(w.shape)") }
            return [w.shape[1]]
        case "Conv2d", "SumPool2d", "AvgPool2d":
            let g = try shapedOp(n, depth: depth).geometry!
            return [g.input.channels, g.input.height, g.input.width]
        case "Flatten":
            if n.parameters["input_type"] != nil { return try shapeValues(n, key: "input_type") }
            return try predecessorShape(n, depth: depth)
        default: return try outShape(n, depth: depth)
        }
    }

    /// The shape the (first) predecessor of a node produces.
    func predecessorShape(_ n: NIRNode, depth: Int) throws -> [Int] {
        guard depth < 64 else { throw fail(n.name, nil, "cannot infer the input shape of \(describe(n.name)): too many shape-inferring nodes in a row, or a cycle of them") }
        guard let p = predsOf[n.name]?.first, let pn = graph.node(p) else {
            throw fail(n.name, nil, "\(describe(n.name)) has no predecessor to take its input shape from")
        }
        return try outShape(pn, depth: depth + 1)
    }

    /// An integer or a pair (NIR writes 2-vectors) of a shaped node, within lo...4096.
    func pair(_ n: NIRNode, _ key: String, default d: (Int, Int)?, min lo: Int) throws -> (Int, Int) {
        guard n.parameters[key] != nil else {
            guard let d else { throw fail(n.name, key, "missing: a \(n.type) node has \(key)") }
            return d
        }
        let v = try param(n, key).doubles
        guard v.count == 1 || v.count == 2, v.allSatisfy({ $0 == $0.rounded() && $0 >= Double(lo) && $0 <= 4096 }) else {
            throw fail(n.name, key, "expected an integer or two integers in \(lo)...4096, found \(v)")
        }
        return (Int(v[0]), Int(v[v.count - 1]))
    }

    /// A Conv2d, SumPool2d or AvgPool2d node as an operator (geometry from its parameters and
    /// its input shape).
    func shapedOp(_ n: NIRNode, depth: Int = 0) throws -> NIRShapedOp {
        func shape3(_ s: [Int]) throws -> LayerShape {
            guard s.count == 3 else { throw fail(n.name, nil, "\(describe(n.name)) needs a [channels, height, width] input, found \(s)") }
            return LayerShape(channels: s[0], height: s[1], width: s[2])
        }
        let stride: (Int, Int), padding: (Int, Int), kernel: (Int, Int), input: LayerShape
        switch n.type {
        case "Conv2d":
            let w = try param(n, "weight")
            guard w.shape.count == 4, w.shape.allSatisfy({ $0 >= 1 && $0 <= 4096 }) else {
                throw fail(n.name, "weight", "expected an OIHW weight [out, in / groups, kH, kW], found shape \(w.shape)")
            }
            let groups = Int(try uniform(n, "groups", default: 1))
            guard groups >= 1, groups <= 4096, w.shape[0] % groups == 0 else { throw fail(n.name, "groups", "groups \(groups) does not divide the \(w.shape[0]) output channels") }
            if let pd = n.parameters["padding"], !pd.strings.isEmpty {
                throw fail(n.name, "padding", "padding \"\(pd.strings[0])\": only explicit integer padding is supported")
            }
            padding = try pair(n, "padding", default: (0, 0), min: 0)
            stride = try pair(n, "stride", default: (1, 1), min: 1)
            let dilation = try pair(n, "dilation", default: (1, 1), min: 1)
            let hw: (Int, Int)
            if n.parameters["input_shape"] != nil { hw = try pair(n, "input_shape", default: nil, min: 1) } else {
                let s = try predecessorShape(n, depth: depth)
                guard s.count == 3 else { throw fail(n.name, "input_shape", "missing, and the predecessor's shape \(s) is not [C, H, W]") }
                hw = (s[1], s[2])
            }
            input = LayerShape(channels: w.shape[1] * groups, height: hw.0, width: hw.1)
            let oh = ConvGeometry.outputExtent(hw.0, kernel: w.shape[2], stride: stride.0, padding: padding.0, dilation: dilation.0)
            let ow = ConvGeometry.outputExtent(hw.1, kernel: w.shape[3], stride: stride.1, padding: padding.1, dilation: dilation.1)
            guard oh >= 1, ow >= 1 else { throw fail(n.name, "weight", "the kernel does not fit the \(hw.0)x\(hw.1) input") }
            let g = ConvGeometry(input: input, output: LayerShape(channels: w.shape[0], height: oh, width: ow), kernel: (w.shape[2], w.shape[3]),
                                 stride: stride, padding: padding, dilation: dilation, groups: groups)
            let bias = n.parameters["bias"] == nil ? [Double](repeating: 0, count: w.shape[0]) : try param(n, "bias").doubles
            guard bias.count == w.shape[0] else { throw fail(n.name, "bias", "expected \(w.shape[0]) values (one per output channel), found \(bias.count)") }
            return NIRShapedOp(kind: .conv, geometry: g, kernel: w.doubles, bias: bias)
        default:  // SumPool2d, AvgPool2d
            kernel = try pair(n, "kernel_size", default: nil, min: 1)
            stride = try pair(n, "stride", default: kernel, min: 1)
            padding = try pair(n, "padding", default: (0, 0), min: 0)
            input = try shape3(predecessorShape(n, depth: depth))
            let oh = ConvGeometry.outputExtent(input.height, kernel: kernel.0, stride: stride.0, padding: padding.0, dilation: 1)
            let ow = ConvGeometry.outputExtent(input.width, kernel: kernel.1, stride: stride.1, padding: padding.1, dilation: 1)
            guard oh >= 1, ow >= 1 else { throw fail(n.name, "kernel_size", "the window does not fit the \(input.height)x\(input.width) input") }
            let g = ConvGeometry(input: input, output: LayerShape(channels: input.channels, height: oh, width: ow), kernel: kernel,
                                 stride: stride, padding: padding, groups: input.channels)
            return NIRShapedOp(kind: n.type == "SumPool2d" ? .sumPool : .avgPool, geometry: g,
                               poolWeight: n.type == "SumPool2d" ? 1 : 1 / Double(kernel.0 * kernel.1))
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
            case "Conv1d": why = "1-D convolution is not supported (the chip's shaped layers are [channels, height, width])"
            case "Delay": why = "Delay is not supported: the chip delivers every spike one step after it is emitted, with no per-synapse or per-connection delay"
            case "NIRGraph": why = "nested graphs are not supported yet"
            default: why = "this node type is not supported"
            }
            throw fail(n.name, "type", "node '\(n.name)' of type \(n.type): \(why); supported: Input, Output, Affine, Linear, Scale, Conv2d, SumPool2d, AvgPool2d, Flatten, LIF, IF, LI, CubaLIF, CubaLI")
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
        // 3. Cycles: each must pass through a spiking neuron node (a recurrent connection,
        // delivered one step later on the chip); a cycle of linear nodes alone has no meaning.
        // Depth-first from the Input, then from the other nodes; back edges are recurrent and
        // left out of the layer order.
        var state: [String: Int] = [:]  // 1 visiting, 2 done
        var stack: [String] = []
        var backEdges = Set<String>()
        func visit(_ n: String) throws {
            state[n] = 1; stack.append(n)
            for s in succs[n] ?? [] {
                if state[s] == 1 {
                    let cycle = stack[stack.lastIndex(of: s)!...]
                    guard cycle.contains(where: { NIRImport.spikingTypes.contains(graph.node($0)!.type) }) else {
                        throw fail(s, nil, "the edge \(describe(n)) -> \(describe(s)) closes a cycle without a spiking neuron node (\(cycle.joined(separator: " -> "))): a recurrent loop must pass through LIF, IF or CubaLIF")
                    }
                    backEdges.insert(n + "\u{0}" + s)
                }
                if state[s] == nil { try visit(s) }
            }
            stack.removeLast(); state[n] = 2
        }
        for n in graph.nodes.filter({ $0.type == "Input" }) + graph.nodes where state[n.name] == nil { try visit(n.name) }
        func forward(_ n: String) -> [String] { (succs[n] ?? []).filter { !backEdges.contains(n + "\u{0}" + $0) } }
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
        for n in graph.nodes { indegree[n.name] = 0 }
        for n in graph.nodes { for s in forward(n.name) { indegree[s]! += 1 } }
        var ready = graph.nodes.map(\.name).filter { indegree[$0] == 0 }
        var order: [String] = []
        while !ready.isEmpty {
            ready.sort { (firstSeen[$0] ?? .max, $0) < (firstSeen[$1] ?? .max, $1) }
            let n = ready.removeFirst()
            order.append(n)
            for s in forward(n) { indegree[s]! -= 1; if indegree[s] == 0 { ready.append(s) } }
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
        func inMap(_ name: String, excluding: Set<String> = []) throws -> LinearMap {
            let n = graph.node(name)!
            let size = try elements(inShape(n), n)
            var sum = LinearMap(size: size, sources: [:], bias: [Double](repeating: 0, count: size))
            for p in preds[name] ?? [] where !excluding.contains(p) { sum.add(try outMap(p)) }
            return sum
        }
        func isSource(_ name: String) -> Bool {
            guard let t = graph.node(name)?.type else { return false }
            return t == "Input" || NIRImport.spikingTypes.contains(t)
        }
        // The bias unit: a one-neuron layer that spikes every step (vth 0, bias 1), created
        // when a layer's bias differs between its neurons (conv biases per channel, Affine
        // biases per neuron); its connection carries the biases as weights.
        let biasKey = "\u{0}bias"
        var biasUnitUsed = false
        do {
            var s = "bias", k = 2
            while used.contains(s) { s = "bias_\(k)"; k += 1 }
            chipName[biasKey] = s
        }
        let dt = options.dt
        guard dt > 0, dt.isFinite else { throw ChipError.usage("--dt must be a positive number of seconds, got \(dt)") }
        var layers: [NIRImportedLayer] = []
        var connections: [NIRImportedConnection] = []
        for name in neuronOrder {
            let n = graph.node(name)!
            // Shaped connections: a Conv2d (with a pooling before it that it can absorb, see
            // NIRShapedOp.fuse) or a pooling between a source layer and this layer, nothing else
            // on the path, becomes one chip conv2d / sumPool connection with a shared kernel.
            var structured: [(src: String, op: NIRShapedOp, via: [String])] = []
            for p in preds[name] ?? [] {
                guard let pn = graph.node(p), ["Conv2d", "SumPool2d", "AvgPool2d"].contains(pn.type), succs[p] == [name],
                      let q = preds[p], q.count == 1 else { continue }
                let op = try shapedOp(pn)
                if isSource(q[0]) { structured.append((q[0], op, [p])); continue }
                if pn.type == "Conv2d", let qn = graph.node(q[0]), qn.type == "SumPool2d" || qn.type == "AvgPool2d", succs[q[0]] == [p],
                   let r = preds[q[0]], r.count == 1, isSource(r[0]), let fused = NIRShapedOp.fuse(pool: try shapedOp(qn), conv: op) {
                    structured.append((r[0], fused, [q[0], p]))
                }
            }
            var incoming = try inMap(name, excluding: Set(structured.map { $0.via.last! }))
            let size = incoming.size
            for st in structured where incoming.sources[st.src] != nil || structured.filter({ $0.src == st.src }).count > 1 {
                throw fail(name, nil, "\(describe(st.src)) reaches \(describe(name)) along two paths (one through \(describe(st.via.last!))): the chip has one connection per pair of layers")
            }
            // Per-neuron input bias (Affine biases composed, plus conv biases per channel).
            var inBias = incoming.bias
            for st in structured where st.op.kind == .conv {
                let out = st.op.geometry!.output
                for j in 0 ..< size { inBias[j] += st.op.bias[out.coordinates(of: j).c] }
            }
            if let lo = inBias.min(), let hi = inBias.max(), hi - lo > 1e-9 * max(abs(lo), abs(hi)) {
                incoming.sources[biasKey] = inBias.map { [$0] }
                inBias = [Double](repeating: 0, count: size)
                biasUnitUsed = true
            }
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
            let biases = (0 ..< size).map { j in aMem * vLeak + (cuba ? gain[j] / aSyn : gain[j]) * inBias[j] }
            var bias = biases.first ?? 0
            if let lo = biases.min(), let hi = biases.max(), hi - lo > 1e-9 * max(abs(lo), abs(hi)) {
                // Uniform input bias, per-neuron gain (r, w_in): through the bias unit too.
                incoming.sources[biasKey] = inBias.map { [$0] }
                biasUnitUsed = true
                bias = aMem * vLeak
            }
            if !structured.isEmpty, let lo = gain.min(), let hi = gain.max(), hi - lo > 1e-9 * max(abs(lo), abs(hi)) {
                throw fail(name, "r", "r (or w_in) differs across the node's neurons (\(lo) ... \(hi) as a gain): a shared convolution or pooling kernel needs one gain per layer")
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
            for st in structured {
                let g = st.op.geometry!, k = st.op.fullKernel
                var jump = 0.0
                for o in 0 ..< g.output.channels {
                    var p = 0.0, q = 0.0
                    for x in k[(o * g.kernelSize) ..< ((o + 1) * g.kernelSize)] {
                        let y = gain[0] * x
                        jump = max(jump, abs(y))
                        if y > 0 { p += y } else { q -= y }
                    }
                    let plane = g.output.height * g.output.width
                    for j in (o * plane) ..< ((o + 1) * plane) { pos[j] += p; neg[j] += q }
                }
                if jump > 0 { limit = min(limit, 64 * Double((1 << (options.weightBits - 1)) - 1) * 128 / jump) }
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
                                           aMem: aMem, aSyn: aSyn, vThreshold: vThreshold, gain: gain, biasPerStep: bias,
                                           shape: try layerShape(outShape(n))))
            // Shaped connections: the kernel w 2^(e+6) = S g W (one gain for the layer), e the
            // smallest that fits the largest tap into the mantissa, as for dense ones.
            for st in structured {
                let g = st.op.geometry!, k = st.op.fullKernel
                let bits = options.weightBits
                let wMax = Double((1 << (bits - 1)) - 1), wMin = -Double(1 << (bits - 1))
                let targets = k.map { scale * gain[0] * $0 / 64 }
                let largest = targets.map(abs).max() ?? 0
                var e = 0
                if largest > 0 {
                    e = -8
                    while e < 7 && (largest / Foundation.pow(2, Double(e))).rounded() > wMax { e += 1 }
                }
                let unit = Foundation.pow(2, Double(e))
                let q = targets.map { min(max(($0 / unit).rounded(), wMin), wMax) }
                var maxErr = 0.0, sumSq = 0.0
                for (x, y) in zip(q, k) {
                    let err = gain[0] != 0 ? abs(x * unit * 64 / (scale * gain[0]) - y) : abs(y)
                    maxErr = max(maxErr, err); sumSq += err * err
                }
                let kind: ConnectionKind = st.op.kind == .conv ? .conv2d : .sumPool
                report.append(NIRQuantisation(layer: chipName[name]!, item: "\(kind.rawValue) from \(chipName[st.src]!) (e=\(e))", maxError: maxErr,
                                              rmsError: (sumSq / Double(max(1, k.count))).squareRoot(), scale: k.map(abs).max() ?? 0))
                connections.append(NIRImportedConnection(from: chipName[st.src]!, to: chipName[name]!, weightBits: bits, weightExponent: e,
                                                         weights: [], floatWeights: [], kind: kind, geometry: g,
                                                         kernel: kind == .conv2d ? q.map { Int($0) } : [Int(q.first ?? 0)], floatKernel: k))
            }
            // Dense connections, one per source layer, in layer order (the bias unit first).
            for src in ([input.name, biasKey] + neuronOrder) where incoming.sources[src] != nil {
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
        var result = NIRImport(inputName: chipName[input.name]!, inputSize: inputSize, layers: layers, connections: ordered,
                               report: report, options: options, version: graph.version)
        result.inputShape = try layerShape(outShape(input))
        if biasUnitUsed { result.biasUnit = chipName[biasKey]! }
        return result
    }

    /// A [C, H, W] shape as a chip layer shape (other ranks: none).
    func layerShape(_ s: [Int]) -> LayerShape? { s.count == 3 ? LayerShape(channels: s[0], height: s[1], width: s[2]) : nil }

    /// y = W x + b of one linear node applied to a map.
    func apply(_ n: NIRNode, _ x: LinearMap) throws -> LinearMap {
        switch n.type {
        case "Conv2d", "SumPool2d", "AvgPool2d":
            let op = try shapedOp(n)
            guard op.geometry!.input.size == x.size else { throw fail(n.name, nil, "\(describe(n.name)) takes \(op.geometry!.input.size) values, its input has \(x.size)") }
            return op.apply(x)
        case "Flatten":
            return x  // NCHW order is already the flat order
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
