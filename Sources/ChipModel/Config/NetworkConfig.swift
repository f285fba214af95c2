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

    public static let docs = SectionDoc("$.network.layers[]", "A population of neurons. The first layer is usually the input.", [
        KeyDoc("name", "string", "(required)", "Unique layer name, used by connections, probes and reports."),
        KeyDoc("kind", "\"input\" | \"lif\"", "\"lif\"", "input: a spike source fed by $.input (no neuron state); lif: neurons on cores."),
        KeyDoc("size", "integer >= 1", "(required)", "Number of neurons (or input channels)."),
        KeyDoc("neuron", "object", "see $.network.layers[].neuron", "Neuron model and parameters (lif layers only)."),
    ])

    init(_ r: JSONReader) throws {
        name = try r.string("name")
        if name.isEmpty || name.contains(".") || name.contains(",") {
            throw r.error("name", "'\(name)' is not a valid layer name; use letters, digits, '_' or '-'")
        }
        isInput = try r.string("kind", default: "lif", oneOf: ["input", "lif"]) == "input"
        size = try r.int("size", range: 1...(1 << 24))
        if isInput, r.has("neuron") { throw r.error("neuron", "input layers have no neuron model; remove this key") }
        neuron = try NeuronConfig(r.optionalObject("neuron"))
        try r.rejectUnknownKeys()
    }

    var json: JSONValue {
        var kv: [(String, JSONValue)] = [("name", .string(name)), ("kind", .string(isInput ? "input" : "lif")), ("size", .int(size))]
        if !isInput { kv.append(("neuron", neuron.json)) }
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
        KeyDoc("weights", "array of arrays", "(none)", "Explicit weights[pre][post] (replaces init); each must fit weightBits."),
    ])

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
            let kind = try ir.string("kind", oneOf: ["uniform", "normal", "constant"])
            switch kind {
            case "uniform":
                let lo = try ir.int("low", range: wMin...wMax), hi = try ir.int("high", range: wMin...wMax)
                if lo > hi { throw ir.error("low", "low (\(lo)) must not exceed high (\(hi))") }
                initialization = .uniform(low: lo, high: hi)
            case "normal":
                // Samples saturate to weightBits (at most 9 bits), so these bounds lose nothing
                // and keep mean + std * N(0,1) far from overflow (docs/LIMITS.md).
                initialization = .normal(mean: try ir.double("mean", default: 0, min: -ConnectionConfig.normalInitBound, max: ConnectionConfig.normalInitBound),
                                         std: try ir.double("std", min: 0, max: ConnectionConfig.normalInitBound))
            default:
                initialization = .constant(try ir.int("value", range: wMin...wMax))
            }
            try ir.rejectUnknownKeys()
        } else {
            initialization = .uniform(low: max(-8, wMin), high: min(8, wMax))
        }
        try r.rejectUnknownKeys()
    }

    var json: JSONValue {
        var kv: [(String, JSONValue)] = [("from", .string(from)), ("to", .string(to)), ("layout", .string(layout.rawValue)),
                                         ("weightBits", .int(weightBits)), ("weightExponent", .int(weightExponent))]
        if layout == .sparse { kv.append(("density", .double(density))) }
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

    /// Most synapse positions (pre x post, summed over connections; sparse ones included, as
    /// building them draws every position) a network may have: 2^28, 512 MiB of 16-bit
    /// weights. Checked when the config is read, before anything is allocated, so an
    /// oversized network fails at once even on a chip whose limits were raised (docs/LIMITS.md).
    public static let maxSynapses = 1 << 28
    /// Most neurons over all layers (input channels included): 2^26 (docs/LIMITS.md).
    public static let maxNeurons = 1 << 26

    public static let docs = SectionDoc("$.network", "Layers and connections (feedforward: each connection goes to a later layer).", [
        KeyDoc("layers", "array of objects", "(required)", "Layers in order; see $.network.layers[]."),
        KeyDoc("connections", "array of objects", "(required)", "Connections; see $.network.connections[]."),
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
            let fi = ls.firstIndex { $0.name == c.from }!, ti = ls.firstIndex { $0.name == c.to }!
            if fi >= ti { throw cr.error("to", "connections must go forward (from an earlier to a later layer); '\(c.from)' is not before '\(c.to)'") }
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
        let synapses = cs.reduce(0) { acc, c in
            acc + ls.first { $0.name == c.from }!.size * ls.first { $0.name == c.to }!.size
        }
        if synapses > NetworkConfig.maxSynapses {
            throw r.error("connections", "\(synapses) synapse positions (pre x post summed over connections) exceed the limit of \(NetworkConfig.maxSynapses) (docs/LIMITS.md)")
        }
        for (i, l) in ls.enumerated() where !l.isInput && l.neuron.parameters.biasMant == 0 && !cs.contains(where: { $0.to == l.name }) {
            throw ChipError.config(file: r.file, path: "\(r.path).layers[\(i)]", message: "layer '\(l.name)' receives no connection; with no input and no bias it could never spike")
        }
        try r.rejectUnknownKeys()
    }

    var json: JSONValue { .object([("layers", .array(layers.map(\.json))), ("connections", .array(connections.map(\.json)))]) }

    public func layerIndex(_ name: String) -> Int? { layers.firstIndex { $0.name == name } }
}
