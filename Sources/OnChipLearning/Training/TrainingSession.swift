import ChipModel

/// On-chip training built the one way every command uses: the chip of an experiment, a
/// simulator, the rule a learning section names (RuleFactory: any shipped rule or a user's
/// microcode rule), the trainer over the experiment's dataset, and the learning-rate schedule
/// (`training.halveRateEvery`). `compare` builds its on-chip methods with it; `run` builds the
/// same objects in the same order.
public struct TrainingSession {
    public let simulator: Simulator
    public let rule: TrainableRule
    public let trainer: Trainer

    public init(experiment: ExperimentConfig, learning: JSONValue, training: TrainingConfig) throws {
        let (trainSource, testSource) = try Experiment.sources(for: experiment)
        guard let trainSource else {
            throw ChipError.config(file: experiment.file, path: "$.input", message: "training needs a dataset input (\"kind\": \"dataset\")")
        }
        let sim = Simulator(chip: try Chip(config: experiment))
        let rule = try RuleFactory.make(learning, config: experiment)
        try sim.attach(rule: rule)
        let trainer = Trainer(simulator: sim, train: trainSource, test: testSource, config: training)
        trainer.beforeEpoch = { e in try rule.setEtaOffset(training.halveRateEvery > 0 ? e / training.halveRateEvery : 0) }
        simulator = sim; self.rule = rule; self.trainer = trainer
    }

    /// `learning` with its "rule" set to `rule` (the other keys kept).
    public static func learning(_ learning: JSONValue, withRule rule: String) -> JSONValue {
        guard case var .object(kv) = learning else { return learning }
        if let i = kv.firstIndex(where: { $0.0 == "rule" }) { kv[i].1 = .string(rule) } else { kv.append(("rule", .string(rule))) }
        return .object(kv)
    }
}
