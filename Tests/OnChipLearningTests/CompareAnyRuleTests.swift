import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

/// `compare` trains its on-chip methods the way `run` does (TrainingSession), so any rule can
/// stand beside off-chip BP: a rule of the OPZO family by name, or a whole learning section.
@Suite struct CompareAnyRuleTests {
    static let experiment = """
    {"name": "tiny", "seed": 4,
     "network": {"layers": [{"name": "input", "kind": "input", "size": 4},
                            {"name": "hidden", "size": 8, "neuron": {"du": 4095, "dv": 410, "vth": 60}},
                            {"name": "output", "size": 3, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
                 "connections": [{"from": "input", "to": "hidden", "init": {"kind": "uniform", "low": -100, "high": 100}},
                                 {"from": "hidden", "to": "output", "init": {"kind": "uniform", "low": -8, "high": 8}}]},
     "input": {"kind": "dataset", "dataset": {"kind": "yinyang", "train": 20, "test": 10}, "encoder": {"kind": "rate", "steps": 8}},
     "run": {"steps": 8},
     "learning": {"rule": "opzo", "etaHidden": 16, "etaReadout": 16},
     "training": {"epochs": 2, "halveRateEvery": 1}}
    """
    static let mgdwp: JSONValue = .object([("rule", .string("mgd_wp")), ("delta", .int(4)), ("eta", .int(8)), ("auxBits", .int(16))])
    static let stdp = try! JSONValue.parse("""
    {"rule": "microcode", "connections": [{"from": "input", "to": "hidden", "builtin": "stdp", "auxBits": 16}]}
    """, file: "t")

    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    func config(_ onChipRules: String) throws -> CompareConfig {
        let text = "{\"experiment\": \(CompareAnyRuleTests.experiment), \"onChipRules\": \(onChipRules), \"offChip\": {\"methods\": []}, \"hosts\": [\"\(root)/configs/host/cpu-server.json\"]}"
        return try CompareConfig(json: try JSONValue.parse(Data(text.utf8), file: "c.json"), file: "c.json")
    }

    /// What `run` builds: chip, simulator, the rule the section names, trainer, rate schedule.
    func runLike(_ e: ExperimentConfig, learning: JSONValue) throws -> Trainer {
        let training = try TrainingConfig.decode(e.training, file: e.file)
        let (train, test) = try Experiment.sources(for: e)
        let sim = Simulator(chip: try Chip(config: e))
        let rule = try RuleFactory.make(learning, config: e)
        try sim.attach(rule: rule)
        let trainer = Trainer(simulator: sim, train: train!, test: test, config: training)
        trainer.beforeEpoch = { k in try rule.setEtaOffset(training.halveRateEvery > 0 ? k / training.halveRateEvery : 0) }
        try trainer.run()
        return trainer
    }

    @Test func anyRuleRunsOnChipAsRunWouldTrainIt() throws {
        let mgd = CompareAnyRuleTests.mgdwp.serialized(), stdp = CompareAnyRuleTests.stdp.serialized()
        let c = try config("[\"readout\", \(mgd), \(stdp)]")
        #expect(c.onChipLearning.count == 3 && c.onChipRules == [.readout])
        let runner = try CompareRunner(config: c)
        for (k, rule) in ["readout", "mgd_wp", "microcode"].enumerated() {
            let m = try runner.runOnChip(learning: c.onChipLearning[k])
            #expect(m.rule == rule && m.name == "on-chip \(rule)")
            let t = try runLike(c.experiment, learning: c.onChipLearning[k])
            #expect(m.chipAccuracy == t.epochs.last!.testAccuracy)
            let synapseUpdates = t.epochs.reduce(UInt64(0)) { $0 + $1.trainCounts[.plastSynapse] }
            #expect(m.weightWrites == synapseUpdates && synapseUpdates > 0, "\(rule)")
        }
    }

    @Test func aBadEntryIsRefusedBeforeTraining() throws {
        do { _ = try config("[\"mgd_wp\"]"); Issue.record("no error") } catch { #expect("\(error)".contains("$.onChipRules[0]")) }
        do { _ = try config("[{\"rule\": \"mgd_wp\", \"delta\": -1}]"); Issue.record("no error") } catch { #expect("\(error)".contains("delta")) }
        do { _ = try config("[7]"); Issue.record("no error") } catch { #expect("\(error)".contains("a rule name or a learning section")) }
    }
}
