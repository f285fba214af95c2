import ChipModel

/// What training, reports and checkpoints need from a learning rule beyond the engine's
/// LearningRule: its resolved parameters, the state it holds outside the cores' synapse
/// blocks (feedback synapses), and the learning-rate schedule hook.
public protocol TrainableRule: LearningRule {
    /// The resolved "learning" section (every default filled in).
    var parametersJSON: JSONValue { get }
    /// Synapse memory the rule adds beyond the forward blocks (e.g. OPZO's feedback synapses).
    var extraSynapseBytes: Int { get }
    /// The state the rule keeps outside the cores' synapse blocks and neuron state that
    /// outlives a sample (see RuleStateRegister), for checkpoints. A fresh rule attached to the
    /// same config declares the same names and lengths.
    var stateRegisters: [RuleStateRegister] { get }
    /// Restores registers already validated against `stateRegisters` (same names, lengths, in range).
    func restoreState(_ registers: [RuleStateRegister])
    /// Learning-rate halvings in force (`training.halveRateEvery`); rules without rates ignore it.
    func setEtaOffset(_ k: Int) throws
    /// The output core's loss unit, when the rule has one (regression metrics use its mapping).
    var outputLossUnit: LossUnit? { get }
}

extension TrainableRule {
    public var outputLossUnit: LossUnit? { nil }
}

extension ScheduledRule: TrainableRule {
    public var outputLossUnit: LossUnit? { spec.lossParameter.isEmpty ? nil : lossUnit }
    /// The rule's name and every parameter's value (for a shipped rule, the same object the
    /// learning section resolves to).
    public var parametersJSON: JSONValue { .object([("rule", .string(spec.name))] + values.entries) }
    public var extraSynapseBytes: Int { feedbackBytes + perturbationAuxBytes + counterBytes }
    /// Feedback registers M (per hidden population), the ZO_sp / MGD-NP loss baseline b (the
    /// output core's 64-bit accumulator), and OPZO's held-noise readout sum (zero between samples).
    /// A spec with "perturbation" saves its period registers instead of the last two (the G
    /// accumulators are the forward blocks' aux registers, saved with the blocks).
    public var stateRegisters: [RuleStateRegister] {
        feedback.enumerated().map { k, f in RuleStateRegister("feedback[\(k)]", signedBits: f.block.auxBits, values: f.block.aux) }
            + (spec.perturbation != nil ? perturbationRegisters : [RuleStateRegister("lossBaseline", signedBits: 64, values: [lossBaseline]),
               RuleStateRegister("readoutSum", signedBits: 32, values: oSum)])
            + hostStateRegisters
            + kernelRegisters
    }
    public func restoreState(_ registers: [RuleStateRegister]) {
        for r in registers {
            if restoreKernel(r) { continue }
            if r.name == "lossBaseline" { lossBaseline = r.values[0] }
            else if r.name == "readoutSum" { oSum = r.values.map { Int32($0) } }
            else if let k = feedback.indices.first(where: { r.name == "feedback[\($0)]" }) {
                feedback[k].block.aux = ContiguousArray(r.values.map { Int32($0) })
            }
            else if spec.perturbation != nil { restorePerturbationRegister(r) }
            else { restoreHostState(r) }
        }
    }
}

/// Builds the rule a "learning" section names.
public enum RuleFactory {
    public static func make(_ learning: JSONValue, config: ExperimentConfig) throws -> TrainableRule {
        if case .string("microcode")? = learning["rule"] {
            return try MicrocodeRule(MicrocodeRuleConfig.decode(learning, config: config))
        }
        if let reference = learning["spec"] {
            // A user's rule spec (a file relative to the config, or inline): its parameters
            // are its own, overridden by the section's other keys.
            let spec = try RuleSpec.load(reference, configFile: config.file, path: "$.learning.spec")
            return ScheduledRule(spec: spec, values: try RuleParameterValues.decode(learning, spec: spec, file: config.file)
                .resolvingPeriods(of: spec, sampleSteps: config.run.steps, file: config.file))
        }
        if case let .string(name)? = learning["rule"],
           BuiltinRuleSpecs.weightPerturbationNames.contains(name) || BuiltinRuleSpecs.specOnly.contains(name) {
            // A shipped rule that exists only as its spec (configs/rules/<name>.json); periods of
            // a weight-perturbation spec resolved against run.steps.
            if name != "stdp" && name != "rstdp" { try RecurrentLearningSupport.check(rule: name, config: config) }
            let spec = try BuiltinRuleSpecs.spec(named: name)
            return ScheduledRule(spec: spec, values: try RuleParameterValues.decode(learning, spec: spec, file: config.file)
                .resolvingPeriods(of: spec, sampleSteps: config.run.steps, file: config.file))
        }
        return ErrorBroadcastRule(try LearningConfig.decode(learning, file: config.file))
    }
}
