// What a network is: populations (layers) of neurons and the connections between them.

public struct NeuronConfig: Equatable, Sendable {
    public var model: String
    public var parameters: LIFParameters

    public static let models = ["loihi-cuba", "loihi-cuba-readout"]
    public static let docs = SectionDoc("$.network.layers[].neuron", "Neuron model and parameters of a layer (see docs/SEMANTICS.md for the exact arithmetic).", [
        KeyDoc("model", "string", "\"loihi-cuba\"", "Neuron model. loihi-cuba: Loihi's fixed-point CUBA LIF (24-bit u wraps, v saturates). loihi-cuba-readout: the same u and v arithmetic without threshold or spikes (a leaky-integrator readout; prediction = argmax of v summed over the sample's steps)."),
        KeyDoc("du", "integer 0...4095", "4095", "Current decay (12-bit); the update multiplies u by 4096-(du+1), so 4095 forgets u every step."),
        KeyDoc("dv", "integer 0...4095", "256", "Voltage decay (12-bit); v is multiplied by (4096-dv)/4096 each step."),
        KeyDoc("vth", "integer 0...131071", "64", "Threshold mantissa (17-bit); a neuron spikes when v > vth << 6."),
        KeyDoc("biasMant", "integer -4096...4095", "0", "Bias mantissa (signed 13-bit)."),
        KeyDoc("biasExp", "integer -8...7", "0", "Bias exponent: bias = biasMant << biasExp (arithmetic right shift when negative)."),
        KeyDoc("refractory", "integer 0...63", "0", "Steps after a spike during which v is held at its reset value."),
        KeyDoc("reset", "\"hard\" | \"soft\"", "\"hard\"", "hard: v = 0 after a spike; soft: v -= vth << 6 (reset by subtraction)."),
    ])

    init(_ r: JSONReader?) throws {
        model = try r?.string("model", default: "loihi-cuba", oneOf: NeuronConfig.models) ?? "loihi-cuba"
        let du = try r?.int("du", default: 4095, range: 0...4095) ?? 4095
        let dv = try r?.int("dv", default: 256, range: 0...4095) ?? 256
        let vth = try r?.int("vth", default: 64, range: 0...131_071) ?? 64
        let bm = try r?.int("biasMant", default: 0, range: -4096...4095) ?? 0
        let be = try r?.int("biasExp", default: 0, range: -8...7) ?? 0
        let rf = try r?.int("refractory", default: 0, range: 0...NeuronWidths.refractoryMax) ?? 0
        let rs = try r?.string("reset", default: "hard", oneOf: ResetMode.allCases.map(\.rawValue)) ?? "hard"
        parameters = LIFParameters(du: du, dv: dv, vth: vth, biasMant: bm, biasExp: be,
                                   refractory: rf, reset: ResetMode(rawValue: rs)!, spiking: model != "loihi-cuba-readout")
        try r?.rejectUnknownKeys()
    }

    var json: JSONValue {
        let p = parameters
        return .object([("model", .string(model)), ("du", .int(p.du)), ("dv", .int(p.dv)), ("vth", .int(p.vth)),
                        ("biasMant", .int(p.biasMant)), ("biasExp", .int(p.biasExp)),
                        ("refractory", .int(p.refractory)), ("reset", .string(p.reset.rawValue))])
    }
}

public struct LayerConfig: Equatable, Sendable {
    public var name: String
    /// Input layers are spike sources fed by the experiment's input; they have no neuron state.
    public var isInput: Bool
    public var size: Int
    public var neuron: NeuronConfig
    /// (channels, height, width) for layers that take part in shaped connections.
    public var shape: LayerShape? = nil
    /// Initial (and reset) current u and voltage v.
    public var initialU: InitialValues = .zero
    public var initialV: InitialValues = .zero

    public static let docs = SectionDoc("$.network.layers[]", "A population of neurons. The first layer is usually the input.", [
        KeyDoc("name", "string", "(required)", "Unique layer name, used by connections, probes and reports."),
        KeyDoc("kind", "\"input\" | \"lif\"", "\"lif\"", "input: a spike source fed by $.input (no neuron state); lif: neurons on cores."),
        KeyDoc("size", "integer >= 1", "(required unless shape)", "Number of neurons (or input channels); with a shape, channels x height x width (may be omitted)."),
        KeyDoc("shape", "[channels, height, width]", "(none)", "Shape of the layer's activations (NCHW order: neuron (c, y, x) is c*H*W + y*W + x, the flatten index map). Needed by conv2d and pooling connections."),
        KeyDoc("initialU", "integer or array", "0", "Initial current u, for every neuron or one per neuron; also the value after a reset between samples. Signed 24-bit."),
        KeyDoc("initialV", "integer or array", "0", "Initial voltage v, as initialU; within +/-(2^23 - 1)."),
        KeyDoc("neuron", "object", "see $.network.layers[].neuron", "Neuron model and parameters (lif layers only)."),
    ])

    init(_ r: JSONReader) throws {
        name = try r.string("name")
        if name.isEmpty || name.contains(".") || name.contains(",") {
            throw r.error("name", "'\(name)' is not a valid layer name; use letters, digits, '_' or '-'")
        }
        isInput = try r.string("kind", default: "lif", oneOf: ["input", "lif"]) == "input"
        if let sv = try r.optionalArray("shape") {
            guard sv.count == 3 else { throw r.error("shape", "expected [channels, height, width]") }
            let d = try sv.enumerated().map { k, v in try JSONReader.integer(v, file: r.file, path: "\(r.path).shape[\(k)]", range: 1...(1 << 24)) }
            let s = LayerShape(channels: d[0], height: d[1], width: d[2])
            guard s.size <= 1 << 24 else { throw r.error("shape", "\(d[0])x\(d[1])x\(d[2]) = \(s.size) neurons; at most 2^24") }
            shape = s
            size = try r.int("size", default: s.size, range: 1...(1 << 24))
            if size != s.size { throw r.error("size", "size \(size) does not match the shape \(d[0])x\(d[1])x\(d[2]) = \(s.size)") }
        } else {
            size = try r.int("size", range: 1...(1 << 24))
        }
        if isInput, r.has("initialU") || r.has("initialV") { throw r.error(r.has("initialU") ? "initialU" : "initialV", "input layers have no neuron state") }
        let uMax = Int(FixedPoint.signedMax(bits: NeuronWidths.current)), vMax = Int(FixedPoint.signedMax(bits: NeuronWidths.voltage))
        initialU = try InitialValues.decode(r, "initialU", size: size, range: (-uMax - 1)...uMax)
        initialV = try InitialValues.decode(r, "initialV", size: size, range: -vMax...vMax)
        if isInput, r.has("neuron") { throw r.error("neuron", "input layers have no neuron model; remove this key") }
        neuron = try NeuronConfig(r.optionalObject("neuron"))
        try r.rejectUnknownKeys()
    }

    var json: JSONValue {
        var kv: [(String, JSONValue)] = [("name", .string(name)), ("kind", .string(isInput ? "input" : "lif")), ("size", .int(size))]
        if let shape { kv.append(("shape", shape.json)) }
        if !isInput { kv.append(("neuron", neuron.json)) }
        if let u = initialU.json { kv.append(("initialU", u)) }
        if let v = initialV.json { kv.append(("initialV", v)) }
        return .object(kv)
    }
}

public enum SynapseLayout: String, Sendable, CaseIterable { case dense, sparse }

/// How initial weights are chosen (all draws from the counter-based PRNG, stream weightInit,
/// keyed by (seed, connection index, pre, post): independent of mapping and order).
public enum WeightInit: Equatable, Sendable {
    /// Integer uniform in [low, high] inclusive.
    case uniform(low: Int, high: Int)
    /// round-half-away(mean + std * N(0,1)), then saturated to the weight width.
    case normal(mean: Double, std: Double)
    case constant(Int)
    /// Explicit matrix, weights[pre][post].
    case explicit([[Int]])
}

public struct ConnectionConfig: Equatable, Sendable {
    public var from: String
    public var to: String
    public var layout: SynapseLayout
    public var weightBits: Int
    public var weightExponent: Int
    /// Sparse layout: probability that a synapse exists (explicit weights: nonzero entries exist).
    public var density: Double
    public var initialization: WeightInit
    /// dense / sparse (the layout) or a shaped kind (Config/ConnectionSpec.swift).
    public var kind: ConnectionKind = .dense
    /// The geometry of a shaped kind (nil for dense and sparse). Explicit weights of a shaped
    /// kind are held as .explicit([w]): one row, OIHW order (oneToOne: one weight per neuron).
    public var shaped: ShapedConnectionSpec? = nil

    /// Largest |mean| and std of a normal weight init (docs/LIMITS.md).
    public static let normalInitBound = 1e6

    public static let docs = SectionDoc("$.network.connections[]", "All-to-all (dense) or random sparse synapses from one layer to another.", [
        KeyDoc("from", "string", "(required)", "Presynaptic layer name."),
        KeyDoc("to", "string", "(required)", "Postsynaptic layer name (a lif layer)."),
        KeyDoc("layout", "\"dense\" | \"sparse\"", "\"dense\"", "Synapse memory layout: dense matrix or per-axon fan-out lists (costs in docs/SEMANTICS.md)."),
        KeyDoc("weightBits", "integer 1...9", "8", "Signed weight mantissa width, including the sign bit."),
        KeyDoc("weightExponent", "integer -8...7", "0", "Shift applied to this connection's dendritic sum: left if positive, floor right if negative."),
        KeyDoc("density", "number 0...1", "1", "Sparse layout only: probability that each synapse exists."),
        KeyDoc("init", "object", "{\"kind\": \"uniform\", \"low\": -8, \"high\": 8}", "Initial weights: {kind: uniform, low, high} | {kind: normal, mean, std} | {kind: constant, value}."),
        KeyDoc("weights", "array of arrays", "(none)", "Explicit weights[pre][post] (replaces init); each must fit weightBits. conv2d: the OIHW kernel, nested or flat; oneToOne: one weight per neuron."),
    ] + ShapedConnectionSpec.docs)

    public static let initDocs = SectionDoc("$.network.connections[].init", "Random initial weights, drawn per synapse from the counter-based PRNG (stream weightInit, keyed by seed, connection, pre and post neuron), so they do not depend on placement.", [
        KeyDoc("kind", "\"uniform\" | \"normal\" | \"constant\"", "\"uniform\"", "Distribution."),
        KeyDoc("low", "integer", "-8", "uniform: smallest weight (inclusive); lo + floor(r * (hi - lo + 1) / 2^32) with r the high 32 bits of a draw."),
        KeyDoc("high", "integer", "8", "uniform: largest weight (inclusive)."),
        KeyDoc("mean", "number -1e6...1e6", "0", "normal: mean; the sample is rounded half away from zero and saturated to weightBits."),
        KeyDoc("std", "number 0...1e6", "(required)", "normal: standard deviation."),
        KeyDoc("value", "integer", "(required)", "constant: the weight of every synapse."),
    ])

    init(_ r: JSONReader, layers: [LayerConfig]) throws {
        let from = try r.string("from"), to = try r.string("to")
        self.from = from; self.to = to
        let names = layers.map(\.name).joined(separator: ", ")
        guard let pre = layers.first(where: { $0.name == from }) else {
            throw r.error("from", "no layer named '\(from)'; layers are: \(names)")
        }
        guard let post = layers.first(where: { $0.name == to }) else {
            throw r.error("to", "no layer named '\(to)'; layers are: \(names)")
        }
        if post.isInput { throw r.error("to", "'\(to)' is an input layer and cannot receive synapses") }
        layout = SynapseLayout(rawValue: try r.string("layout", default: "dense", oneOf: SynapseLayout.allCases.map(\.rawValue)))!
        weightBits = try r.int("weightBits", default: SynapseWidths.defaultWeightBits, range: SynapseWidths.weightBitsRange)
        weightExponent = try r.int("weightExponent", default: 0, range: SynapseWidths.weightExponentRange)
        kind = ConnectionKind(rawValue: try r.string("kind", default: layout.rawValue, oneOf: ConnectionKind.allCases.map(\.rawValue)))!
        if kind == .dense || kind == .sparse {
            if r.has("layout") && kind.rawValue != layout.rawValue { throw r.error("kind", "kind \(kind.rawValue) contradicts layout \(layout.rawValue)") }
            layout = kind == .dense ? .dense : .sparse
        } else {
            if r.has("layout") { throw r.error("layout", "layout applies to dense and sparse connections; kind \(kind.rawValue) has its own (docs/CONV.md)") }
            if r.has("density") { throw r.error("density", "density applies to sparse connections only") }
            let spec = try ShapedConnectionSpec.decode(r, kind: kind, pre: pre, post: post, weightBits: weightBits)
            shaped = spec
            density = 1
            let wMax = Int(FixedPoint.signedMax(bits: weightBits)), wMin = Int(FixedPoint.signedMin(bits: weightBits))
            if let w = spec.fixedWeight {
                initialization = .constant(w)
            } else if let v = r.optional("weights") {
                if r.has("init") { throw r.error("init", "give either init or weights, not both") }
                var flat: [Int] = []
                func walk(_ v: JSONValue, _ path: String) throws {
                    if case let .array(items) = v { for (k, x) in items.enumerated() { try walk(x, "\(path)[\(k)]") } }
                    else { flat.append(try JSONReader.integer(v, file: r.file, path: path, range: wMin...wMax)) }
                }
                try walk(v, "\(r.path).weights")
                let n = spec.geometry.weightCount
                guard flat.count == n else {
                    throw r.error("weights", kind == .oneToOne ? "expected \(n) weights (one per neuron), found \(flat.count)"
                                  : "expected \(n) weights (OIHW: \(spec.geometry.output.channels) x \(spec.geometry.inPerGroup) x \(spec.geometry.kernelH) x \(spec.geometry.kernelW)), found \(flat.count)")
                }
                initialization = .explicit([flat])
            } else if let ir = try r.optionalObject("init") {
                initialization = try ConnectionConfig.decodeInit(ir, wMin: wMin, wMax: wMax)
            } else {
                initialization = .uniform(low: max(-8, wMin), high: min(8, wMax))
            }
            try r.rejectUnknownKeys()
            return
        }
        for k in ["kernel", "stride", "padding", "dilation", "groups", "poolWeight"] where r.has(k) {
            throw r.error(k, "\(k) applies to conv2d and pooling connections; set kind")
        }
        density = try r.double("density", default: 1, min: 0, max: 1)
        if layout == .dense && density != 1 { throw r.error("density", "density applies to the sparse layout only; set layout to \"sparse\"") }
        let wMax = Int(FixedPoint.signedMax(bits: weightBits)), wMin = Int(FixedPoint.signedMin(bits: weightBits))
        if let rows = try r.optionalArray("weights") {
            if r.has("init") { throw r.error("init", "give either init or weights, not both") }
            guard rows.count == pre.size else {
                throw r.error("weights", "expected \(pre.size) rows (one per neuron of '\(from)'), found \(rows.count)")
            }
            var m: [[Int]] = []
            m.reserveCapacity(rows.count)
            for (i, row) in rows.enumerated() {
                guard case let .array(items) = row, items.count == post.size else {
                    throw ChipError.config(file: r.file, path: "\(r.path).weights[\(i)]", message: "expected an array of \(post.size) integers (one per neuron of '\(to)')")
                }
                m.append(try items.enumerated().map { j, v in
                    try JSONReader.integer(v, file: r.file, path: "\(r.path).weights[\(i)][\(j)]", range: wMin...wMax)
                })
            }
            initialization = .explicit(m)
        } else if let ir = try r.optionalObject("init") {
            initialization = try ConnectionConfig.decodeInit(ir, wMin: wMin, wMax: wMax)
        } else {
            initialization = .uniform(low: max(-8, wMin), high: min(8, wMax))
        }
        try r.rejectUnknownKeys()
    }

    static func decodeInit(_ ir: JSONReader, wMin: Int, wMax: Int) throws -> WeightInit {
        let kind = try ir.string("kind", oneOf: ["uniform", "normal", "constant"])
        let w: WeightInit
        switch kind {
        case "uniform":
            let lo = try ir.int("low", range: wMin...wMax), hi = try ir.int("high", range: wMin...wMax)
            if lo > hi { throw ir.error("low", "low (\(lo)) must not exceed high (\(hi))") }
            w = .uniform(low: lo, high: hi)
        case "normal":
            // Samples saturate to weightBits (at most 9 bits), so these bounds lose nothing
            // and keep mean + std * N(0,1) far from overflow (docs/LIMITS.md).
            w = .normal(mean: try ir.double("mean", default: 0, min: -ConnectionConfig.normalInitBound, max: ConnectionConfig.normalInitBound),
                        std: try ir.double("std", min: 0, max: ConnectionConfig.normalInitBound))
        default:
            w = .constant(try ir.int("value", range: wMin...wMax))
        }
        try ir.rejectUnknownKeys()
        return w
    }

    var json: JSONValue {
        var kv: [(String, JSONValue)] = [("from", .string(from)), ("to", .string(to))]
        if let shaped {
            kv.append(("kind", .string(kind.rawValue)))
            kv.append(contentsOf: shaped.json(kind: kind))
        } else {
            kv.append(("layout", .string(layout.rawValue)))
        }
        kv.append(contentsOf: [("weightBits", .int(weightBits)), ("weightExponent", .int(weightExponent))])
        if shaped?.fixedWeight != nil { return .object(kv) }
        if layout == .sparse && shaped == nil { kv.append(("density", .double(density))) }
        switch initialization {
        case let .uniform(lo, hi): kv.append(("init", .object([("kind", .string("uniform")), ("low", .int(lo)), ("high", .int(hi))])))
        case let .normal(m, s): kv.append(("init", .object([("kind", .string("normal")), ("mean", .double(m)), ("std", .double(s))])))
        case let .constant(v): kv.append(("init", .object([("kind", .string("constant")), ("value", .int(v))])))
        case let .explicit(m): kv.append(("weights", .array(m.map { .array($0.map { .int($0) }) })))
        }
        return .object(kv)
    }
}

public struct NetworkConfig: Equatable, Sendable {
    public var layers: [LayerConfig]
    public var connections: [ConnectionConfig]

    /// Most synapses a network may store (dense: pre x post; sparse: the expected pre x post x
    /// density; shaped: post x kernel size), summed over connections: 2^28, 512 MiB of 16-bit
    /// weights. Checked when the config is read, before anything is allocated, so an
    /// oversized network fails at once even on a chip whose limits were raised (docs/LIMITS.md).
    public static let maxSynapses = 1 << 28
    /// Most positions a network's sparse connections may draw (pre x post each: building a
    /// sparse block draws every position once): 2^32, tens of seconds of drawing.
    public static let maxSparsePositions = 1 << 32
    /// Most neurons over all layers (input channels included): 2^26 (docs/LIMITS.md).
    public static let maxNeurons = 1 << 26

    public static let docs = SectionDoc("$.network", "Layers and connections. A connection to the same or an earlier layer is recurrent (one-step delay, like every connection; docs/SEMANTICS.md). Or a NIR file: {\"nir\": \"MODEL.nir\", \"dt\", \"reset\", \"weightBits\"} (no layers or connections) is imported when the config is loaded, as `chipsim import --template` would (docs/NIR.md); the resolved config holds the imported network in full.", [
        KeyDoc("layers", "array of objects", "(required)", "Layers in order; see $.network.layers[]."),
        KeyDoc("connections", "array of objects", "(required)", "Connections; see $.network.connections[]."),
        KeyDoc("nir", "string", "(none)", "Instead of layers and connections: a NIR file (path relative to the config file) imported as the network, with explicit weights. Without a chip section, the config gets the mesh import chooses; with one (even {}), it is kept."),
        KeyDoc("dt", "number > 0", "1e-4", "nir: the time step of the discretisation in seconds (chipsim import --dt)."),
        KeyDoc("reset", "\"hard\" | \"soft\"", "(node metadata, else hard)", "nir: the reset after a spike (chipsim import --reset)."),
        KeyDoc("weightBits", "integer 1...9", "8", "nir: the signed weight width of every imported connection (chipsim import --weight-bits)."),
    ])

    init(_ r: JSONReader) throws {
        let lrs = try r.objects("layers")
        if lrs.isEmpty { throw r.error("layers", "expected at least one layer") }
        var ls: [LayerConfig] = []
        for lr in lrs {
            let l = try LayerConfig(lr)
            if ls.contains(where: { $0.name == l.name }) {
                throw lr.error("name", "duplicate layer name '\(l.name)'")
            }
            ls.append(l)
        }
        layers = ls
        var cs: [ConnectionConfig] = []
        for cr in try r.objects("connections") {
            let c = try ConnectionConfig(cr, layers: ls)
            // A connection to the same or an earlier layer is recurrent; every spike is delivered
            // one step after it is emitted, so it acts at t+1 like any other (docs/SEMANTICS.md).
            if cs.contains(where: { $0.from == c.from && $0.to == c.to }) {
                throw cr.error("to", "a connection from '\(c.from)' to '\(c.to)' already exists")
            }
            cs.append(c)
        }
        connections = cs
        let neurons = ls.reduce(0) { $0 + $1.size }
        if neurons > NetworkConfig.maxNeurons {
            throw r.error("layers", "\(neurons) neurons in all exceed the limit of \(NetworkConfig.maxNeurons) (docs/LIMITS.md)")
        }
        // A shaped connection has at most kernelSize synapses per target neuron (its kernel is
        // stored once per core, but delivery touches every position); a matrix has pre x post.
        var synapses = 0, sparsePositions = 0
        for c in cs {
            let pre = ls.first { $0.name == c.from }!.size, post = ls.first { $0.name == c.to }!.size
            if let g = c.shaped?.geometry {
                synapses += post * g.kernelSize
            } else if c.layout == .sparse {
                sparsePositions += pre * post
                synapses += Int((Double(pre) * Double(post) * c.density).rounded(.up))
            } else {
                synapses += pre * post
            }
        }
        if synapses > NetworkConfig.maxSynapses {
            throw r.error("connections", "\(synapses) synapses (pre x post for a dense matrix, pre x post x density for a sparse one, post x kernel size for a shaped connection, summed over connections) exceed the limit of \(NetworkConfig.maxSynapses) (docs/LIMITS.md)")
        }
        if sparsePositions > NetworkConfig.maxSparsePositions {
            throw r.error("connections", "the sparse connections draw \(sparsePositions) positions (pre x post each), more than the limit of \(NetworkConfig.maxSparsePositions) (docs/LIMITS.md)")
        }
        for (i, l) in ls.enumerated() where !l.isInput && l.neuron.parameters.biasMant == 0 && !cs.contains(where: { $0.to == l.name }) {
            throw ChipError.config(file: r.file, path: "\(r.path).layers[\(i)]", message: "layer '\(l.name)' receives no connection; with no input and no bias it could never spike")
        }
        try r.rejectUnknownKeys()
    }

    var json: JSONValue { .object([("layers", .array(layers.map(\.json))), ("connections", .array(connections.map(\.json)))]) }

    public func layerIndex(_ name: String) -> Int? { layers.firstIndex { $0.name == name } }

    /// A connection to its own layer or to an earlier one.
    public func isRecurrent(_ c: ConnectionConfig) -> Bool { layerIndex(c.from)! >= layerIndex(c.to)! }

    /// Why this network cannot be trained on chip today (shaped or recurrent connections), or nil.
    public var untrainableReason: String? {
        for (i, c) in connections.enumerated() {
            if isRecurrent(c), let reason = recurrentUntrainableReason(c, index: i) { return reason }
        }
        return nil
    }

    /// Why a rule that does not learn networks with shaped connections cannot train this one
    /// (the first shaped connection), or nil. The error-broadcast rules train them (docs/CONV.md, "Learning").
    public var shapedConnectionReason: String? {
        for (i, c) in connections.enumerated() where c.kind.isShaped {
            return "connection \(i) ('\(c.from)' -> '\(c.to)') is \(c.kind.rawValue); only the error-broadcast rules (opzo, dfa, readout, zo_sp, mgd_np and rule specs) train networks with conv, pooling and one-to-one connections"
        }
        return nil
    }
}
