import ChipModel

// The step vocabulary of a rule spec's schedule (docs/LEARNING.md, "Rules as specs"). Each
// step names the hardware unit that does the work, so each count in a report comes from the
// unit the spec names. The vocabulary is what the shipped specs (the error-broadcast family,
// LOCO, STDP and R-STDP) need, no more:
//
// neuronInput (before each population's neuron update):
//   prng.injectNoise          a_in += z for the hidden neurons (the noise source, below)
//   synapse.deliverGradedNoise a population fed by a hidden layer integrates that layer's
//                             graded noise of the previous step through its forward block
//   neuron.injectRegister     a_in_i += scale r_i for the hidden neurons (a held register, e.g.
//                             a perturbation sign drawn at the sample's start; nothing drawn)
// sampleStart:
//   host.sendLabel            the label to each output core (1 byte over the host link)
//   prng.drawSigns            r1_i = +-1 per hidden neuron, one draw each, keyed by (seed,
//                             perturbation, layer, -1, the sample's first global step, neuron)
//   controller.clear          (also in learn) zeroes oSum, the spike counters or costSum
// learn (the learning phase, in order):
//   loss.error                o = readout v; e = the loss unit's error, into the readout modulators
//   loss.cost                 L and the baseline update; L - b kept for a broadcast
//   loss.accumulateCost       costSum += L (L as loss.cost evaluates it; 1 instruction more)
//   loss.meanCost             C = (costSum + T/2) / T over the sample's T steps, lossDelta = C - b,
//                             b += lossDelta >> shift (the first sample only sets b: lossDelta 0);
//                             costSum = 0; 4 instructions, 4 cycles the hidden cores wait for
//   controller.countSpikes    r_j += 1 (saturating at 2^bits - 1) per delivered presynaptic spike
//                             of each hidden block (one instruction and cycle per spike); the
//                             counters are synapse memory of the core (bits per axon)
//   controller.scaleRegister  mod_i = sat16((lossDelta r_i) >> shift) on each hidden neuron
//                             (2 n instructions, ceil(2 n / lanes) cycles)
//   router.reward             R-STDP's third factor from the output layer's spikes of this step:
//                             per neuron (label's neuron correct, others wrong, where it spiked;
//                             one mod.broadcast per rewarded spike) or for the layer (the sum,
//                             broadcast to every target population: one mod.broadcast each)
//   host.call                 a declared host routine (HostRoutines.swift): its link bytes both
//                             ways and its host operations are counted by the simulator's host
//                             steps (reported apart, costed with the host profile)
//   plasticity.run            a microcode program over output/hidden blocks, neurons or the
//                             hidden feedback blocks
//   controller.accumulate     oSum += o on the output core (one instruction per output)
//   controller.clear          oSum = 0
//   controller.scaleNoise     mod_i = sat16(((L - b) z_i) >> shift) on each hidden neuron
//                             (z of the previous step, of the error's step t - d, or of the epoch)
//   router.send               graded packets (values e, o, oSum, hiddenOutputs)
//   router.broadcast          one modulatory scalar to every neuron of each hidden core
//   router.drain              waits for the packets sent so far (their cycles)
//   prng.regenerateNoise      z of the previous step / of the error's step t - d / of the
//                             learning epoch into r1
//   synapse.receive           a received graded vector (o, oSum) into the feedback block's x2
//   synapse.deliverTransposed G_i = sum_k M_ik e_k through the feedback block, g = sat16(G >> s)
// Weight perturbation (specs with a "perturbation" section; ScheduledRule+Periods.swift):
//   plasticity.run on perturbed.blocks  a program over every perturbed forward block, its codes
//                             keyed by the current period or the next (period: current | next);
//                             also at sampleStart (the sample's first period)
//   loss.accumulateCost       as above: S = costSum, the period's cost sum
//   controller.periodCost     C = round(S / tauP), S = 0; C~ = C - b (0 in the first period,
//                             which sets b = C), b += C~ >> shift; C~ into lossDelta
//   router.broadcast to perturbed  C~ to every core holding perturbed blocks, into r0
//   controller.sync           the work so far finishes first (the slowest core's cycles join
//                             the phase; later steps start from zero)
// Each step may carry "when" (always | learning, the default | lastBurnInStep | errorDelayBurnIn
// | epochEnd | sampleEnd | periodEnd | updateEnd | periodEndNoUpdate | nextPeriod) and "if" (a
// static condition on parameters, RuleCondition).
//
// A hidden layer l's error delay is d = outputLayer - l: the error e[t] reflects layer l's
// activity of step t - d (one synaptic delay per layer on the way to the readout), so d = 1 for
// the last hidden layer. Programs see it as "@errorDelay"; "errorStep" noise and the
// errorDelayBurnIn timing use it per layer.

/// When a step runs within a sample.
public enum RuleStepTiming: String, CaseIterable, Sendable {
    /// Every step, burn-in included.
    case always
    /// Steps from `learnFrom` on.
    case learning
    /// Only the last burn-in step (learnFrom - 1).
    case lastBurnInStep
    /// Each hidden layer's last d burn-in steps (learnFrom - d ... learnFrom - 1, d its error
    /// delay): the steps whose activity the first learning steps' error reflects. Only for
    /// plasticity.run on hidden targets; where d = 1 it is lastBurnInStep.
    case errorDelayBurnIn
    /// Learning steps that end a learning epoch (every tEpoch steps and a sample's last step).
    case epochEnd
    /// The last step of a perturbation period (every tauP steps; specs with "perturbation").
    case periodEnd
    /// A period end that completes an update period (every tauTheta steps).
    case updateEnd
    /// A period end that does not.
    case periodEndNoUpdate
    /// A period end before the sample's last step (the next period starts at the next step).
    case nextPeriod
    /// Timings that need the spec's "perturbation" section.
    static let periodTimings: [RuleStepTiming] = [.periodEnd, .updateEnd, .periodEndNoUpdate, .nextPeriod]
    /// A sample's last step (learning or not).
    case sampleEnd
}

/// Which step's noise a noise step regenerates.
public enum RuleNoiseStep: String, CaseIterable, Sendable {
    /// z of step t - 1 (none at a sample's first step).
    case previousStep
    /// z of step t - d, d the hidden layer's error delay (none before the sample's step d): the
    /// noise whose effect on the output this step's error or cost reflects. previousStep where d = 1.
    case errorStep
    /// z of the current learning epoch (held noise).
    case epoch
}

/// Which neurons or synapses a program runs on.
public enum RuleTarget: String, CaseIterable, Sendable {
    case outputBlocks = "output.blocks", outputNeurons = "output.neurons"
    case hiddenBlocks = "hidden.blocks", hiddenNeurons = "hidden.neurons", hiddenFeedback = "hidden.feedback"
    var scope: MicrocodeScope { self == .outputNeurons || self == .hiddenNeurons ? .neuron : .synapse }
    var isOutput: Bool { self == .outputBlocks || self == .outputNeurons }
}

/// The factor a forward-update program multiplied x1 by, for the update observer (gradcheck).
public enum RuleUpdateFactor: String, CaseIterable, Sendable {
    case mod, gatedMod, r3
}

/// The vectors and scalars steps pass between units.
public enum RuleValueName: String, CaseIterable, Sendable {
    case e, o, oSum, hiddenOutputs, lossDelta
    case counters, costSum
}

/// A number in a step: a literal, a parameter ("$name") or a property of the network ("@name").
public enum RuleNumber: Sendable, Equatable {
    case literal(Int)
    case parameter(String)
    case network(String)

    /// Properties of the network a spec may use.
    static let networkNames = ["errorDelay", "hiddenThreshold", "outputs", "layerRate", "cleanMin", "cleanMax", "roundingHalf"]
    /// Those that differ per layer (program text only).
    static let perLayerNames = ["errorDelay", "layerRate", "cleanMin", "cleanMax", "roundingHalf"]
}

public enum RuleStepOperation: Sendable {
    case injectNoise
    case deliverGradedNoise
    case sendLabel
    case lossError
    case lossCost(baselineShift: RuleNumber)
    case run(program: String, on: RuleTarget, key: Int, factor: RuleUpdateFactor)
    case accumulateOutput
    case clearOutputSum
    case scaleNoise(shift: RuleNumber, noise: RuleNoiseStep)
    case send(fromOutput: Bool, values: [(value: RuleValueName, timing: RuleStepTiming, condition: RuleCondition?)])
    case broadcast
    case drain
    case regenerateNoise(noise: RuleNoiseStep)
    case receive(RuleValueName)
    case deliverTransposed(shift: RuleNumber, normalise: RuleNumber)
    // Weight perturbation (ScheduledRule+Periods.swift).
    case accumulateCost
    case periodCost(baselineShift: RuleNumber)
    case broadcastPerturbed
    case sync
    /// A program over every perturbed forward block, keyed by the current or the next period.
    case runPerturbed(program: String, next: Bool)
    case injectRegister(scale: RuleNumber)
    case drawSigns
    case clear(RuleValueName)
    case meanCost(baselineShift: RuleNumber)
    case countSpikes(bits: Int)
    case scaleRegister(shift: RuleNumber)
    case callHost(routine: String, arguments: [(name: String, value: RuleNumber)])
    /// `target`: "neuron", "layer" or "$choice"; `everyPopulation`: hidden populations too.
    case reward(correct: RuleNumber, wrong: RuleNumber, target: String, everyPopulation: Bool)

    /// The unit each operation belongs to (a spec must name it).
    static let units: [String: String] = [
        "injectNoise": "prng", "regenerateNoise": "prng",
        "deliverGradedNoise": "synapse", "receive": "synapse", "deliverTransposed": "synapse",
        "sendLabel": "host",
        "error": "loss", "cost": "loss",
        "run": "plasticity",
        "accumulate": "controller", "clear": "controller", "scaleNoise": "controller",
        "send": "router", "broadcast": "router", "drain": "router",
        "accumulateCost": "loss", "periodCost": "controller", "sync": "controller",
        "injectRegister": "neuron", "drawSigns": "prng", "meanCost": "loss",
        "countSpikes": "controller", "scaleRegister": "controller", "call": "host", "reward": "router",
    ]
    static let unitNames = ["prng", "synapse", "host", "loss", "plasticity", "controller", "router", "neuron"]
    /// Operations each non-learn phase allows ("clear" runs in sampleStart and learn).
    static let neuronInputOperations = ["injectNoise", "deliverGradedNoise", "injectRegister"]
    static let sampleStartOperations = ["sendLabel", "drawSigns", "clear"]
}

public struct RuleStep: Sendable {
    public var operation: RuleStepOperation
    public var timing: RuleStepTiming
    public var condition: RuleCondition?
    /// JSON path of the step in its spec (for errors).
    public var path: String
}

/// Reads one step of a schedule.
enum RuleStepReader {
    static func read(_ r: JSONReader, phase: String, spec: RuleSpecContext) throws -> RuleStep {
        let unit = try r.string("unit", oneOf: RuleStepOperation.unitNames)
        let op = try r.string("op")
        guard let owner = RuleStepOperation.units[op] else {
            throw r.error("op", "unknown step '\(op)'; expected one of: \(RuleStepOperation.units.keys.sorted().joined(separator: ", "))")
        }
        guard owner == unit else { throw r.error("unit", "step '\(op)' is done by the \(owner) unit, not '\(unit)'") }
        let allowed: [String]
        switch phase {
        case "neuronInput": allowed = RuleStepOperation.neuronInputOperations
        case "sampleStart": allowed = RuleStepOperation.sampleStartOperations + (spec.hasPerturbation ? ["run"] : [])
        default: allowed = Array(RuleStepOperation.units.keys).filter {
            $0 == "clear" || !(RuleStepOperation.neuronInputOperations + RuleStepOperation.sampleStartOperations).contains($0)
        }
        }
        guard allowed.contains(op) else {
            throw r.error("op", "step '\(op)' cannot run in \(phase); there: \(allowed.sorted().joined(separator: ", "))")
        }
        let timing = RuleStepTiming(rawValue: try r.string("when", default: phase == "learn" ? "learning" : "always",
                                                           oneOf: RuleStepTiming.allCases.map(\.rawValue)))!
        if phase != "learn" && timing != .always { throw r.error("when", "only learn steps have a timing") }
        if RuleStepTiming.periodTimings.contains(timing) && !spec.hasPerturbation {
            throw r.error("when", "'\(timing.rawValue)' needs the spec's \"perturbation\" section (its periods)")
        }
        let condition = try r.optionalString("if").map { try RuleCondition.parse($0, parameters: spec.parameters, file: r.file, path: "\(r.path).if") }
        func expect(_ key: String, _ value: String) throws {
            _ = try r.string(key, oneOf: [value])
        }
        let operation: RuleStepOperation
        switch op {
        case "injectNoise":
            try expect("into", "hidden.input")
            guard spec.hasNoiseSource else { throw r.error("op", "injectNoise needs the spec's \"noiseSource\"") }
            operation = .injectNoise
        case "deliverGradedNoise":
            try expect("from", "hidden")
            guard spec.hasNoiseSource else { throw r.error("op", "deliverGradedNoise needs the spec's \"noiseSource\"") }
            operation = .deliverGradedNoise
        case "sendLabel":
            try expect("to", "output")
            operation = .sendLabel
        case "error":
            try expect("into", "output.modulator")
            operation = .lossError
        case "cost":
            try expect("into", "lossDelta")
            operation = .lossCost(baselineShift: try number(r, "baselineShift", spec: spec))
        case "run" where (try? r.string("on")) == "perturbed.blocks":
            let name = try r.string("program")
            guard spec.programScopes[name] == .synapse else {
                throw r.error("program", "perturbed.blocks needs a synapse-scope program in $.programs (synapse programs: \(spec.programScopes.filter { $0.value == .synapse }.keys.sorted().joined(separator: ", ")))")
            }
            guard spec.hasPerturbation else { throw r.error("on", "perturbed.blocks needs the spec's \"perturbation\" section") }
            let period = try r.string("period", oneOf: ["current", "next"])
            if phase == "sampleStart" && period != "current" { throw r.error("period", "at a sample's start only the current (first) period begins") }
            operation = .runPerturbed(program: name, next: period == "next")
        case "run" where phase == "sampleStart":
            throw r.error("on", "at a sample's start a program runs only on perturbed.blocks (writing the first period's codes)")
        case "periodCost":
            try expect("into", "lossDelta")
            guard spec.hasPerturbation else { throw r.error("op", "periodCost needs the spec's \"perturbation\" section") }
            operation = .periodCost(baselineShift: try number(r, "baselineShift", spec: spec))
        case "sync":
            operation = .sync
        case "broadcast" where (try? r.string("to")) == "perturbed":
            try expect("value", "lossDelta"); try expect("from", "output"); try expect("into", "r0")
            guard spec.hasPerturbation else { throw r.error("to", "perturbed needs the spec's \"perturbation\" section") }
            operation = .broadcastPerturbed
        case "run":
            let name = try r.string("program")
            guard let program = spec.programScopes[name] else {
                throw r.error("program", "no program '\(name)' in $.programs (defined: \(spec.programScopes.keys.sorted().joined(separator: ", ")))")
            }
            let target = RuleTarget(rawValue: try r.string("on", oneOf: RuleTarget.allCases.map(\.rawValue)))!
            guard program == target.scope else {
                throw r.error("on", "program '\(name)' has \(program) scope; \(target.rawValue) needs a \(target.scope)-scope program")
            }
            if target == .hiddenFeedback && !spec.hasFeedback { throw r.error("on", "hidden.feedback needs the spec's \"feedback\" block") }
            let key = try r.int("key", default: 0, range: 0...999)
            if target.scope == .synapse && r.has("key") { throw r.error("key", "synapse programs are keyed by their block; key is for neuron programs") }
            let factor = RuleUpdateFactor(rawValue: try r.string("factor", default: "mod", oneOf: RuleUpdateFactor.allCases.map(\.rawValue)))!
            operation = .run(program: name, on: target, key: key, factor: factor)
        case "accumulate":
            try expect("value", "o"); try expect("into", "oSum")
            operation = .accumulateOutput
        case "clear":
            let v = try r.string("value", oneOf: phase == "learn" ? ["oSum", "counters", "costSum"] : ["counters", "costSum"])
            operation = v == "oSum" ? .clearOutputSum : .clear(RuleValueName(rawValue: v)!)
        case "injectRegister":
            _ = try r.string("register", oneOf: ["r1"]); try expect("into", "hidden.input")
            operation = .injectRegister(scale: try number(r, "scale", spec: spec))
        case "drawSigns":
            try expect("into", "hidden.r1")
            operation = .drawSigns
        case "accumulateCost":
            try expect("into", "costSum")
            operation = .accumulateCost
        case "meanCost":
            try expect("value", "costSum"); try expect("into", "lossDelta")
            operation = .meanCost(baselineShift: try number(r, "baselineShift", spec: spec))
        case "countSpikes":
            try expect("on", "hidden.blocks"); try expect("into", "counters")
            operation = .countSpikes(bits: try r.int("bits", range: 1...16))
        case "scaleRegister":
            try expect("scalar", "lossDelta"); _ = try r.string("register", oneOf: ["r1"]); try expect("into", "hidden.modulator")
            operation = .scaleRegister(shift: try number(r, "shift", spec: spec))
        case "reward":
            try expect("layer", "output")
            let target = try r.string("target")
            if target.hasPrefix("$") {
                guard let p = spec.parameters.first(where: { $0.name == String(target.dropFirst()) }), case let .choice(c) = p.kind,
                      Set(c).isSubset(of: ["neuron", "layer"]) else {
                    throw r.error("target", "'\(target)' must name a choice parameter of neuron | layer")
                }
            } else if !["neuron", "layer"].contains(target) {
                throw r.error("target", "'\(target)' is not allowed; expected neuron, layer or \"$parameter\"")
            }
            let into = try r.string("into", oneOf: ["output.modulator", "all.modulator"])
            operation = .reward(correct: try number(r, "correct", spec: spec), wrong: try number(r, "wrong", spec: spec),
                                target: target, everyPopulation: into == "all.modulator")
        case "call":
            let name = try r.string("routine", oneOf: HostRoutines.names)
            let expected = HostRoutines.arguments(of: name)
            let w = try r.object("with")
            var arguments: [(name: String, value: RuleNumber)] = []
            for a in expected { arguments.append((a, try number(w, a, spec: spec))) }
            try w.rejectUnknownKeys()
            operation = .callHost(routine: name, arguments: arguments)
        case "scaleNoise":
            try expect("scalar", "lossDelta"); try expect("into", "hidden.modulator")
            guard spec.hasNoiseSource else { throw r.error("op", "scaleNoise needs the spec's \"noiseSource\"") }
            let which = RuleNoiseStep(rawValue: try r.string("noise", oneOf: RuleNoiseStep.allCases.map(\.rawValue)))!
            operation = .scaleNoise(shift: try number(r, "shift", spec: spec), noise: which)
        case "send":
            try expect("kind", "graded")
            let from = try r.string("from", oneOf: ["output", "hidden"])
            _ = try r.string("to", oneOf: [from == "output" ? "hidden" : "output"])
            let items = try r.array("values")
            guard !items.isEmpty else { throw r.error("values", "expected at least one value to send") }
            let allowedValues: [RuleValueName] = from == "output" ? [.e, .o, .oSum] : [.hiddenOutputs]
            var values: [(value: RuleValueName, timing: RuleStepTiming, condition: RuleCondition?)] = []
            for (i, item) in items.enumerated() {
                let path = "\(r.path).values[\(i)]"
                let name: String, itemTiming: RuleStepTiming, itemCondition: RuleCondition?
                if case let .string(s) = item {
                    name = s; itemTiming = .learning; itemCondition = nil
                } else {
                    let ir = try JSONReader(item, file: r.file, path: path)
                    name = try ir.string("value")
                    itemTiming = RuleStepTiming(rawValue: try ir.string("when", default: "learning", oneOf: RuleStepTiming.allCases.filter { $0 != .errorDelayBurnIn && $0 != .sampleEnd && !RuleStepTiming.periodTimings.contains($0) }.map(\.rawValue)))!
                    itemCondition = try ir.optionalString("if").map { try RuleCondition.parse($0, parameters: spec.parameters, file: r.file, path: "\(path).if") }
                    try ir.rejectUnknownKeys()
                }
                guard let v = RuleValueName(rawValue: name), allowedValues.contains(v) else {
                    throw ChipError.config(file: r.file, path: path, message: "'\(name)' cannot be sent from \(from); expected one of: \(allowedValues.map(\.rawValue).joined(separator: ", "))")
                }
                values.append((v, itemTiming, itemCondition))
            }
            operation = .send(fromOutput: from == "output", values: values)
        case "broadcast":
            try expect("value", "lossDelta"); try expect("from", "output"); try expect("to", "hidden")
            operation = .broadcast
        case "drain":
            operation = .drain
        case "regenerateNoise":
            try expect("into", "hidden.r1")
            guard spec.hasNoiseSource else { throw r.error("op", "regenerateNoise needs the spec's \"noiseSource\"") }
            operation = .regenerateNoise(noise: RuleNoiseStep(rawValue: try r.string("noise", oneOf: RuleNoiseStep.allCases.map(\.rawValue)))!)
        case "receive":
            let v = try r.string("value", oneOf: ["o", "oSum"])
            try expect("into", "feedback.x2")
            guard spec.hasFeedback else { throw r.error("into", "feedback.x2 needs the spec's \"feedback\" block") }
            operation = .receive(RuleValueName(rawValue: v)!)
        default: // "deliverTransposed"
            try expect("block", "feedback"); try expect("value", "e"); try expect("into", "hidden.modulator")
            guard spec.hasFeedback else { throw r.error("block", "deliverTransposed needs the spec's \"feedback\" block") }
            operation = .deliverTransposed(shift: try number(r, "shift", spec: spec), normalise: try number(r, "normalise", spec: spec))
        }
        if timing == .errorDelayBurnIn {
            guard case let .run(_, target, _, _) = operation, !target.isOutput else {
                throw r.error("when", "errorDelayBurnIn is per hidden layer: only for plasticity.run on hidden.neurons, hidden.blocks or hidden.feedback")
            }
        }
        try r.rejectUnknownKeys()
        return RuleStep(operation: operation, timing: timing, condition: condition, path: r.path)
    }

    /// An integer field: a literal, "$parameter" (an integer or boolean parameter) or "@network".
    static func number(_ r: JSONReader, _ key: String, spec: RuleSpecContext) throws -> RuleNumber {
        guard let v = r.optional(key) else { throw r.error(key, "missing; expected an integer, \"$parameter\" or \"@\(RuleNumber.networkNames.joined(separator: "\" | \"@"))\"") }
        return try number(v, file: r.file, path: "\(r.path).\(key)", spec: spec)
    }

    static func number(_ v: JSONValue, file: String, path: String, spec: RuleSpecContext) throws -> RuleNumber {
        if case let .string(s) = v {
            if s.hasPrefix("$") {
                let name = String(s.dropFirst())
                guard let p = spec.parameters.first(where: { $0.name == name }) else {
                    throw ChipError.config(file: file, path: path, message: "'\(s)' names no parameter of the spec (declared: \(spec.parameters.map(\.name).joined(separator: ", ")))")
                }
                switch p.kind {
                case .integer, .boolean: return .parameter(name)
                default: throw ChipError.config(file: file, path: path, message: "'\(s)' is not an integer or boolean parameter")
                }
            }
            if s.hasPrefix("@") {
                let name = String(s.dropFirst())
                guard RuleNumber.networkNames.contains(name) else {
                    throw ChipError.config(file: file, path: path, message: "'\(s)' is not a network property; expected one of: @\(RuleNumber.networkNames.joined(separator: ", @"))")
                }
                guard !RuleNumber.perLayerNames.contains(name) else {
                    throw ChipError.config(file: file, path: path, message: "'@\(name)' differs per layer; it is for program text only (a step runs on every layer)")
                }
                return .network(name)
            }
            throw ChipError.config(file: file, path: path, message: "expected an integer, \"$parameter\" or \"@network\", found '\(s)'")
        }
        return .literal(try JSONReader.integer(v, file: file, path: path))
    }
}

/// What a step reader needs to know about the spec read so far.
struct RuleSpecContext {
    var parameters: [RuleParameter]
    var programScopes: [String: MicrocodeScope]
    var hasNoiseSource: Bool
    var hasFeedback: Bool
    var hasPerturbation = false
}
