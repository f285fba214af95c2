import Foundation
import ChipModel

// A learning rule given entirely in the config: per connection, a synapse-scope program (a
// `.mc` file, a Lava-style rule string, or a built-in: stdp, rstdp), trace parameters, and an
// optional reward broadcast (the third factor of R-STDP). Schedule of a learning step:
//   1. traces and spike flags are updated by the engine (docs/MICROCODE.md section 2);
//   2. reward (if configured), for the rewarded layer's spikes of this step:
//      "target": "layer": r = correct x (label neuron spiked) + wrong x (other neurons that
//        spiked), saturated to 16 bits, broadcast into the modulator of every neuron of every
//        connection's postsynaptic population (one `mod.broadcast` per population);
//      "target": "neuron": each neuron of the rewarded layer gets its own modulator: correct if
//        it is the label's neuron and spiked, wrong if it is another neuron and spiked, else 0
//        (one graded packet per rewarded spike, counted as `mod.broadcast`);
//   3. every configured connection's program runs over its blocks (the skip rule applies).

public struct MicrocodeRuleConfig {
    public struct Connection {
        public var from: String
        public var to: String
        public var source: String      // "builtin:stdp", a path, or "rule:<string>"
        public var program: MicrocodeProgram
        public var auxBits: Int
    }
    public var connections: [Connection]
    public var x1: TraceParameters
    public var y1: TraceParameters
    public var rewardLayer: String?
    public var perNeuronReward = true
    public var correct: Int
    public var wrong: Int
    public var json: JSONValue

    public static let docs = SectionDoc("$.learning (rule \"microcode\")", "A rule given as microcode per connection (docs/MICROCODE.md, docs/LEARNING.md): {\"rule\": \"microcode\", \"connections\": [...], \"traces\": {...}, \"reward\": {...}}.", [
        KeyDoc("rule", "\"microcode\"", "(required)", "Selects this rule."),
        KeyDoc("connections", "array of objects", "(required)", "Each {\"from\", \"to\", one of \"builtin\" (stdp | rstdp) / \"program\" (.mc path, relative to the config) / \"ruleString\" (e.g. \"dw = 2^-4 * x1 * y0 - 2^-5 * y1 * x0\"), \"auxBits\" (0...32, default 16)}."),
        KeyDoc("traces", "object", "{x1: {decay 410, impulse 64}, y1: {decay 410, impulse 64}}", "Pre trace x1 and post trace y1: {\"bits\", \"decay\", \"impulse\", \"rounding\"}."),
        KeyDoc("reward", "object", "(none)", "{\"layer\", \"correct\" (32), \"wrong\" (-32), \"target\": \"neuron\" | \"layer\"}: neuron: each spiking neuron of the layer gets correct (label's neuron) or wrong (others) as its modulator; layer: the sum over this step's spikes is broadcast to all."),
    ])

    public static func decode(_ v: JSONValue, config: ExperimentConfig) throws -> MicrocodeRuleConfig {
        let file = config.file
        let r = try JSONReader(v, file: file, path: "$.learning")
        _ = try r.string("rule", oneOf: ["microcode"])
        let defaultTrace = TraceParameters(bits: 8, decay: 410, impulse: 64, rounding: .stochastic)
        let tr = try r.optionalObject("traces")
        let x1 = try TraceConfig.decode(tr?.optionalObject("x1"), default: defaultTrace)
        let y1 = try TraceConfig.decode(tr?.optionalObject("y1"), default: defaultTrace)
        try tr?.rejectUnknownKeys()
        var conns: [Connection] = []
        for cr in try r.objects("connections") {
            let from = try cr.string("from"), to = try cr.string("to")
            guard config.network.connections.contains(where: { $0.from == from && $0.to == to }) else {
                throw cr.error("to", "the network has no connection from '\(from)' to '\(to)'")
            }
            let given = ["builtin", "program", "ruleString"].filter { cr.has($0) }
            guard given.count == 1 else { throw cr.error("builtin", "give exactly one of builtin, program, ruleString (found \(given.count))") }
            let program: MicrocodeProgram
            let source: String
            if let b = try cr.optionalString("builtin") {
                guard b == "stdp" || b == "rstdp" else { throw cr.error("builtin", "'\(b)' is not a built-in rule; expected stdp or rstdp") }
                program = b == "stdp" ? STDPRule.program() : RSTDPRule.program()
                source = "builtin:" + b
            } else if let path = try cr.optionalString("program") {
                program = try MicrocodeAssembler.assemble(path: config.resolve(path))
                source = path
            } else {
                let text = try cr.string("ruleString")
                program = try RuleStringCompiler.compile(text, options: RuleOptions())
                source = "rule:" + text
            }
            guard program.scope == .synapse else { throw cr.error(given[0], "expected a synapse-scope program") }
            conns.append(Connection(from: from, to: to, source: source, program: program,
                                    auxBits: try cr.int("auxBits", default: 16, range: 0...32)))
            try cr.rejectUnknownKeys()
        }
        var layer: String?, correct = 0, wrong = 0, perNeuron = true
        if let rw = try r.optionalObject("reward") {
            layer = try rw.string("layer")
            guard config.network.layerIndex(layer!) != nil else { throw rw.error("layer", "no layer named '\(layer!)'") }
            correct = try rw.int("correct", default: 32, range: -32768...32767)
            wrong = try rw.int("wrong", default: -32, range: -32768...32767)
            perNeuron = try rw.string("target", default: "neuron", oneOf: ["neuron", "layer"]) == "neuron"
            try rw.rejectUnknownKeys()
        }
        try r.rejectUnknownKeys()
        var kv: [(String, JSONValue)] = [("rule", .string("microcode")),
            ("connections", .array(conns.map { c in
                var o: [(String, JSONValue)] = [("from", .string(c.from)), ("to", .string(c.to))]
                if c.source.hasPrefix("builtin:") { o.append(("builtin", .string(String(c.source.dropFirst(8))))) }
                else if c.source.hasPrefix("rule:") { o.append(("ruleString", .string(String(c.source.dropFirst(5))))) }
                else { o.append(("program", .string(c.source))) }
                o.append(("auxBits", .int(c.auxBits)))
                return .object(o)
            })),
            ("traces", .object([("x1", TraceConfig.json(x1)), ("y1", TraceConfig.json(y1))]))]
        if let layer { kv.append(("reward", .object([("layer", .string(layer)), ("correct", .int(correct)), ("wrong", .int(wrong)),
                                                     ("target", .string(perNeuron ? "neuron" : "layer"))]))) }
        return MicrocodeRuleConfig(connections: conns, x1: x1, y1: y1, rewardLayer: layer, perNeuronReward: perNeuron,
                                   correct: correct, wrong: wrong, json: .object(kv))
    }
}

public final class MicrocodeRule: LearningRule, TrainableRule {
    public let config: MicrocodeRuleConfig
    public var name: String { "microcode" }
    public var preTraces: (x1: TraceParameters, x2: TraceParameters) { (config.x1, .unused) }
    public var postTraces: (y1: TraceParameters, y2: TraceParameters, y3: TraceParameters) { (config.y1, .unused, .unused) }
    public var parametersJSON: JSONValue { config.json }
    public var extraSynapseBytes: Int { 0 }
    /// Its programs keep their state in the blocks' aux registers and per-sample traces.
    public var stateRegisters: [RuleStateRegister] { [] }
    public func restoreState(_ registers: [RuleStateRegister]) {}
    public func setEtaOffset(_ k: Int) throws {}

    /// (core, population, block index, program) for every configured connection's block.
    var targets: [(core: Core, population: Population, block: Int, program: MicrocodeProgram)] = []
    var rewardLayer: Int?
    var seed: UInt64 = 0

    public init(_ c: MicrocodeRuleConfig) { config = c }

    public func attach(to sim: Simulator) throws {
        let chip = sim.chip
        seed = chip.config.seed
        rewardLayer = config.rewardLayer.flatMap { chip.config.network.layerIndex($0) }
        for c in config.connections {
            let pre = chip.config.network.layerIndex(c.from)!, post = chip.config.network.layerIndex(c.to)!
            for core in chip.cores {
                for pop in core.populations where pop.layer == post {
                    guard let k = pop.blocks.firstIndex(where: { $0.preLayer == pre }) else { continue }
                    guard pop.blocks[k].layout == .dense else {
                        throw ChipError.config(file: chip.config.file, path: "$.learning.connections", message: "connection '\(c.from)' -> '\(c.to)' is sparse; plasticity programs need the dense layout")
                    }
                    pop.blocks[k].enableAux(bits: c.auxBits)
                    if core.synapseBytes > chip.config.chip.core.synapseMemoryBytes {
                        throw ChipError.capacity(message: "layer '\(c.to)' on core \(core.id): with \(c.auxBits)-bit aux registers its synapses need \(core.synapseBytes) bytes; chip.core.synapseMemoryBytes is \(chip.config.chip.core.synapseMemoryBytes)")
                    }
                    targets.append((core, pop, k, c.program))
                }
            }
        }
    }

    public func learn(simulator sim: Simulator, context: StepContext) -> UInt64 {
        var reward: Int64 = 0
        if let layer = rewardLayer, let label = context.label {
            for s in sim.spikesEmitted(layer: layer) { reward += Int(s) == label ? Int64(config.correct) : Int64(config.wrong) }
        }
        var coreCycles: [Int: UInt64] = [:]
        var broadcastDone = Set<ObjectIdentifier>()
        for t in targets {
            let l = t.population.learning!
            var c = ActionCounts()
            if rewardLayer != nil && !broadcastDone.contains(ObjectIdentifier(t.population)) {
                broadcastDone.insert(ObjectIdentifier(t.population))
                if config.perNeuronReward {
                    for j in 0..<t.population.count { l.post.modulator[j] = 0 }
                    if t.population.layer == rewardLayer, let label = context.label {
                        for s in t.population.emitted {
                            let j = Int(s) - t.population.firstNeuron
                            l.post.modulator[j] = Int32(Int(s) == label ? config.correct : config.wrong)
                            t.core.countModulatorBroadcasts()
                        }
                    }
                } else {
                    l.post.broadcastModulator(reward)
                    t.core.countModulatorBroadcasts()
                }
            }
            let r = t.core.plasticityUnit.runSynapseScope(t.program, block: &t.population.blocks[t.block], pre: l.pre[t.block], post: l.post,
                                                          random: MicrocodeRandom(seed: seed, core: t.core.id, step: context.globalStep, block: t.block, scope: .synapse),
                                                          counts: &c)
            t.core.recordLearning(c)
            coreCycles[t.core.id, default: 0] += UInt64(r.cycles)
        }
        return coreCycles.values.max() ?? 0
    }
}
