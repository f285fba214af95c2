import ChipModel

/// What training, reports and checkpoints need from a learning rule beyond the engine's
/// LearningRule: its resolved parameters, the state it holds outside the cores' synapse
/// blocks (feedback synapses), and the learning-rate schedule hook.
public protocol TrainableRule: LearningRule {
    /// The resolved "learning" section (every default filled in).
    var parametersJSON: JSONValue { get }
    /// Synapse memory the rule adds beyond the forward blocks (e.g. OPZO's feedback synapses).
    var extraSynapseBytes: Int { get }
    /// Registers the rule keeps outside the forward blocks, for checkpoints.
    var savedRegisters: [ContiguousArray<Int32>] { get set }
    /// Learning-rate halvings in force (`training.halveRateEvery`); rules without rates ignore it.
    func setEtaOffset(_ k: Int) throws
    /// The output core's loss unit, when the rule has one (regression metrics use its mapping).
    var outputLossUnit: LossUnit? { get }
}

extension TrainableRule {
    public var outputLossUnit: LossUnit? { nil }
}

extension ErrorBroadcastRule: TrainableRule {
    public var outputLossUnit: LossUnit? { lossUnit }
    public var parametersJSON: JSONValue { LearningConfig.json(parameters) }
    public var extraSynapseBytes: Int { feedbackBytes }
    public var savedRegisters: [ContiguousArray<Int32>] {
        get { feedback.map(\.block.aux) }
        set { for k in 0..<min(newValue.count, feedback.count) { feedback[k].block.aux = newValue[k] } }
    }
}

/// Builds the rule a "learning" section names.
public enum RuleFactory {
    public static func make(_ learning: JSONValue, config: ExperimentConfig) throws -> TrainableRule {
        if case .string("microcode")? = learning["rule"] {
            return try MicrocodeRule(MicrocodeRuleConfig.decode(learning, config: config))
        }
        if case let .string(name)? = learning["rule"], PerturbationConfig.rules.contains(name) {
            return WeightPerturbationRule(try PerturbationConfig.decode(learning, config: config))
        }
        if case .string("loco")? = learning["rule"] {
            return LOCORule(try LOCOConfig.decode(learning, file: config.file))
        }
        return ErrorBroadcastRule(try LearningConfig.decode(learning, file: config.file))
    }
}
