import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

/// Mid-epoch checkpoints in process (the CLI's resume over every rule is in
/// Tests/chipsimTests/CheckpointResumeTests.swift): a run stopped after training sample 4 of
/// epoch 2 (of 6 per epoch, a checkpoint every 2) and resumed ends exactly as the uninterrupted
/// run (weights, registers, counters, epochs' metrics: its final checkpoint, byte for byte);
/// the epoch in progress survives a round trip, regression outcomes (targets and final
/// outputs) included; and hand edits of `epochInProgress` are refused naming their JSON path.
@Suite struct MidEpochCheckpointTests {
    struct Stop: Error {}

    /// ThreeChannelSource with a regression target per sample, so outcomes carry targets and
    /// the readout's final v.
    struct TargetSource: SpikeSource {
        let base: ThreeChannelSource
        var channels: Int { base.channels }
        var samples: Int { base.samples }
        func label(sample: Int) -> Int? { base.label(sample: sample) }
        func spikes(sample: Int, step: Int, into out: inout ContiguousArray<Int32>) { base.spikes(sample: sample, step: step, into: &out) }
        func target(sample: Int) -> [Int32]? { [Int32(sample % 3) * 4096 - 4096, Int32(sample % 2) * 8192] }
    }

    static func fresh(every: Int = 2) throws -> (Trainer, TrainableRule) {
        let text = CheckpointFuzzTests.configText(CheckpointFuzzTests.opzo)
        let c = try ExperimentConfig(json: JSONValue.parse(text, file: "mid.json"), file: "mid.json")
        let rule = try RuleFactory.make(c.learning!, config: c)
        let sim = Simulator(chip: try Chip(config: c))
        try sim.attach(rule: rule)
        var t = TrainingConfig(); t.epochs = 3; t.checkpointEvery = every
        let trainer = Trainer(simulator: sim, train: TargetSource(base: ThreeChannelSource(samples: 6)),
                              test: TargetSource(base: ThreeChannelSource(samples: 4)), config: t)
        trainer.beforeEpoch = { e in try rule.setEtaOffset(e) }
        return (trainer, rule)
    }

    /// The checkpoint written after training sample 4 of epoch 2 by a run that stops there,
    /// and the (epoch, samplesDone) of every `afterSamples` call until then.
    static func stoppedRun() throws -> (checkpoint: JSONValue, calls: [[Int]]) {
        let (trainer, rule) = try fresh()
        var taken: JSONValue?
        var calls: [[Int]] = []
        trainer.afterSamples = {
            let p = trainer.inProgress!
            calls.append([p.epoch, p.samplesDone])
            if p.epoch == 1 && p.samplesDone == 4 {
                taken = Checkpoint.json(trainer: trainer, rule: rule, config: "C")
                throw Stop()
            }
        }
        do { try trainer.run() } catch is Stop {}
        return (taken ?? .null, calls)
    }
    static let checkpoint = try! stoppedRun().checkpoint

    @Test func checkpointsComeEveryNSamplesButNotAtAnEpochsEnd() throws {
        // Every 2 samples of 6, never after the 6th (the epoch's checkpoint follows its test pass).
        #expect(try MidEpochCheckpointTests.stoppedRun().calls == [[0, 2], [0, 4], [1, 2], [1, 4]])
    }

    static func write(_ v: JSONValue) throws -> String {
        let path = NSTemporaryDirectory() + "chipsim-mid-\(getpid())-\(UUID().uuidString).json"
        try v.serialized().write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func theCheckpointHoldsTheEpochInProgress() throws {
        let p = try #require(MidEpochCheckpointTests.checkpoint["epochInProgress"])
        #expect(p["epoch"] == .int(2) && p["samplesDone"] == .int(4))
        guard case let .array(outcomes)? = p["outcomes"] else { Issue.record("no outcomes"); return }
        #expect(outcomes.count == 4)
        // Regression samples: a target of 2 values and the readout's 2 final v values each.
        for o in outcomes {
            guard case let .array(t)? = o["target"], case let .array(f)? = o["finalOutput"] else { Issue.record("\(o)"); continue }
            #expect(t.count == 2 && f.count == 2)
        }
        #expect(MidEpochCheckpointTests.checkpoint["samplesRun"] == .int(10 + 4))
    }

    @Test func restoredAndWrittenAgainItIsTheSame() throws {
        let path = try MidEpochCheckpointTests.write(MidEpochCheckpointTests.checkpoint)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (trainer, rule) = try MidEpochCheckpointTests.fresh()
        try Checkpoint.restore(path: path, trainer: trainer, rule: rule, config: "C")
        #expect(trainer.inProgress?.samplesDone == 4 && trainer.epochs.count == 1)
        #expect(Checkpoint.json(trainer: trainer, rule: rule, config: "C") == MidEpochCheckpointTests.checkpoint)
    }

    @Test func theResumedRunEndsAsTheUninterruptedOne() throws {
        let (full, fullRule) = try MidEpochCheckpointTests.fresh()
        try full.run()
        let path = try MidEpochCheckpointTests.write(MidEpochCheckpointTests.checkpoint)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (resumed, rule) = try MidEpochCheckpointTests.fresh()
        try Checkpoint.restore(path: path, trainer: resumed, rule: rule, config: "C")
        try resumed.run()
        #expect(resumed.inProgress == nil)
        #expect(resumed.epochs == full.epochs)
        #expect(Checkpoint.json(trainer: resumed, rule: rule, config: "C") == Checkpoint.json(trainer: full, rule: fullRule, config: "C"))
    }

    typealias Key = CheckpointFuzzTests.Key
    static let progress: [Key] = [.key("epochInProgress")]
    static let outcome0: [Key] = progress + [.key("outcomes"), .index(0)]

    /// (edit, path, expected JSON path, expected words)
    static let edits: [(String, [Key], (JSONValue) -> JSONValue?, String, String)] = [
        ("epoch 3", progress + [.key("epoch")], { _ in .int(3) }, "$.epochInProgress.epoch", "expected 2"),
        ("samplesDone 0", progress + [.key("samplesDone")], { _ in .int(0) }, "$.epochInProgress.samplesDone", "out of range"),
        ("samplesDone 6", progress + [.key("samplesDone")], { _ in .int(6) }, "$.epochInProgress.samplesDone", "out of range"),
        ("samplesDone 3", progress + [.key("samplesDone")], { _ in .int(3) }, "$.epochInProgress.outcomes", "expected 3 entries, found 4"),
        ("an outcome dropped", outcome0, { _ in nil }, "$.epochInProgress.outcomes", "expected 4 entries, found 3"),
        ("prediction 2", outcome0 + [.key("prediction")], { _ in .int(2) }, "$.epochInProgress.outcomes[0].prediction", "out of range"),
        ("label -1", outcome0 + [.key("label")], { _ in .int(-1) }, "$.epochInProgress.outcomes[0].label", "out of range"),
        ("no label key", outcome0 + [.key("label")], { _ in nil }, "$.epochInProgress.outcomes[0].label", "missing"),
        ("target of 3", outcome0 + [.key("target")], { _ in .array([.int(1), .int(2), .int(3)]) }, "$.epochInProgress.outcomes[0].target", "at most 2"),
        ("finalOutput of 1", outcome0 + [.key("finalOutput")], { _ in .array([.int(1)]) }, "$.epochInProgress.outcomes[0].finalOutput", "expected 2 values"),
        ("finalOutput 2^40", outcome0 + [.key("finalOutput"), .index(0)], { _ in .int(1 << 40) }, "$.epochInProgress.outcomes[0].finalOutput[0]", "voltage v"),
        ("startCycles 2^50", progress + [.key("startCycles")], { _ in .int(1 << 50) }, "$.epochInProgress.startCycles", "exceeds $.cycles"),
        ("startCounts 2^50", progress + [.key("startCounts"), .index(0)], { _ in .int(1 << 50) }, "$.epochInProgress.startCounts[0]", "exceeds"),
        ("startCounts -1", progress + [.key("startCounts"), .index(0)], { _ in .int(-1) }, "$.epochInProgress.startCounts[0]", "counter -1"),
        ("samplesRun of an epoch end", [.key("samplesRun")], { _ in .int(10) }, "$.globalStep", "samplesRun"),
        ("no startCycles", progress + [.key("startCycles")], { _ in nil }, "$.epochInProgress.startCycles", "missing"),
    ]

    @Test(arguments: edits.indices)
    func aHandEditOfTheEpochInProgressIsRefused(k: Int) throws {
        let (name, path, f, where_, words) = MidEpochCheckpointTests.edits[k]
        let edited = CheckpointFuzzTests.edit(MidEpochCheckpointTests.checkpoint, path[...], f)
        #expect(edited != MidEpochCheckpointTests.checkpoint, "\(name): the edit changed nothing")
        let file = try MidEpochCheckpointTests.write(Checkpoint.sealed(edited))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let (trainer, rule) = try MidEpochCheckpointTests.fresh()
        do {
            try Checkpoint.restore(path: file, trainer: trainer, rule: rule, config: "C")
            Issue.record("\(name): restored")
        } catch let e as ChipError {
            #expect("\(e)".contains(where_) && "\(e)".contains(words), "\(name): \(e)")
            #expect(trainer.simulator.globalStep == 0 && trainer.inProgress == nil && trainer.epochs.isEmpty, "\(name): something was applied")
        }
    }

    /// A checkpoint with every epoch done cannot carry an epoch in progress.
    @Test func anEpochInProgressAfterTheLastEpochIsRefused() throws {
        var edited = MidEpochCheckpointTests.checkpoint
        let (t1, _) = try MidEpochCheckpointTests.fresh()
        #expect(t1.config.epochs == 3)
        // Three completed epochs (copies of the first, renumbered) and an epoch 4 in progress.
        guard case let .array(e)? = edited["epochs"] else { Issue.record("no epochs"); return }
        let three = (1...3).map { n in CheckpointFuzzTests.edit(e[0], [Key.key("epoch")][...]) { _ in .int(n) } }
        edited = CheckpointFuzzTests.edit(edited, [Key.key("epochs")][...]) { _ in .array(three) }
        edited = CheckpointFuzzTests.edit(edited, (MidEpochCheckpointTests.progress + [.key("epoch")])[...]) { _ in .int(4) }
        let file = try MidEpochCheckpointTests.write(Checkpoint.sealed(edited))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let (trainer, rule) = try MidEpochCheckpointTests.fresh()
        do {
            try Checkpoint.restore(path: file, trainer: trainer, rule: rule, config: "C")
            Issue.record("restored")
        } catch {
            #expect("\(error)".contains("$.epochInProgress") && "\(error)".contains("all 3 epochs are done"), "\(error)")
        }
    }
}
