import Foundation
import Testing

/// Every shipped rule, on a tiny network: a run interrupted at an epoch boundary (after epoch
/// 1 of 3, simulated: exit 75 right after the checkpoint), or within an epoch (after training
/// sample 25 of epoch 2 of 2, with `training.checkpointEvery` 25), and resumed with `--resume` ends
/// with the report of the uninterrupted run, byte for byte except the wall clock. The learning
/// rate halves every epoch so the schedule position is exercised too.
@Suite(.serialized) struct CheckpointResumeTests {
    static let hidden = "{\"du\": 4095, \"dv\": 410, \"vth\": 60}"

    static func config(learning: String, spikingOutput: Bool = false, checkpointEvery: Int = 0, epochs: Int = 3) -> String {
        let output = spikingOutput ? hidden : "{\"model\": \"loihi-cuba-readout\", \"du\": 4095, \"dv\": 410}"
        return """
        {"name": "tiny-resume", "seed": 4,
         "network": {"layers": [{"name": "input", "kind": "input", "size": 4},
                                {"name": "hidden", "size": 16, "neuron": \(hidden)},
                                {"name": "output", "size": 3, "neuron": \(output)}],
                     "connections": [{"from": "input", "to": "hidden", "init": {"kind": "uniform", "low": -100, "high": 100}},
                                     {"from": "hidden", "to": "output", "init": {"kind": "uniform", "low": -8, "high": 8}}]},
         "input": {"kind": "dataset", "dataset": {"kind": "yinyang", "train": 60, "test": 30}, "encoder": {"kind": "rate", "steps": 8}},
         "run": {"steps": 8},
         "learning": \(learning),
         "training": {"epochs": \(epochs), "halveRateEvery": 1\(checkpointEvery > 0 ? ", \"checkpointEvery\": \(checkpointEvery)" : "")}}
        """
    }

    static let loss = "\"loss\": {\"outputShift\": 12, \"ceWeight\": 64, \"mseWeight\": 0}"
    static let traces = "\"traces\": {\"x1\": {\"decay\": 1024, \"impulse\": 32}, \"y1\": {\"decay\": 1024, \"impulse\": 32}}"
    /// (name, learning section, spiking output layer)
    static let rules: [(String, String, Bool)] = [
        ("opzo", "{\"rule\": \"opzo\", \"etaHidden\": 16, \"etaReadout\": 16, \"gShift\": 16, \"lambdaShift\": 8}", false),
        ("opzo-held", "{\"rule\": \"opzo\", \"etaHidden\": 16, \"etaReadout\": 16, \"gShift\": 16, \"lambdaShift\": 6, \"tEpoch\": 8, \"learnFrom\": 2, \"holdNoise\": true}", false),
        // Post-neuron noise: graded packets, so the NeuroBench block's effective MACs must resume too.
        ("opzo-post", "{\"rule\": \"opzo\", \"noisePlacement\": \"post\", \"alpha\": 64, \"etaHidden\": 16, \"etaReadout\": 16, \"gShift\": 16, \"lambdaShift\": 8}", false),
        ("dfa", "{\"rule\": \"dfa\", \"alpha\": 16, \"etaHidden\": 16, \"etaReadout\": 16, \"gNormalise\": 10, \(loss)}", false),
        ("readout", "{\"rule\": \"readout\", \"etaReadout\": 16, \(loss)}", false),
        ("zo_sp", "{\"rule\": \"zo_sp\", \"alpha\": 16, \"zoShift\": 6, \"etaHidden\": 16, \"etaReadout\": 16, \(loss)}", false),
        ("mgd_np", "{\"rule\": \"mgd_np\", \"alpha\": 16, \"zoShift\": 6, \"etaHidden\": 16, \"etaReadout\": 16, \"tEpoch\": 4, \"learnFrom\": 2, \"holdNoise\": true, \(loss)}", false),
        // tauTheta = 7 samples: the epoch boundary (60 samples) falls inside an update period.
        ("mgd_wp", "{\"rule\": \"mgd_wp\", \"delta\": 4, \"eta\": 8, \"productShift\": 6, \"tauTheta\": 56, \"auxBits\": 16, \(loss)}", false),
        ("fwd_grad", "{\"rule\": \"fwd_grad\", \"delta\": 6, \"codeClip\": 2, \"productShift\": 4, \"eta\": 10, \"baselineShift\": 3, \"auxBits\": 16, \(loss)}", false),
        ("loco", "{\"rule\": \"loco\", \"alpha\": 32, \"clusters\": 4, \"zoShift\": 4, \"etaHidden\": 14, \"etaReadout\": 16, \(loss)}", false),
        ("stdp", "{\"rule\": \"microcode\", \"connections\": [{\"from\": \"input\", \"to\": \"hidden\", \"builtin\": \"stdp\", \"auxBits\": 16}], \(traces)}", true),
        ("rstdp", "{\"rule\": \"microcode\", \"connections\": [{\"from\": \"hidden\", \"to\": \"output\", \"builtin\": \"rstdp\", \"auxBits\": 16}], \(traces), \"reward\": {\"layer\": \"output\", \"correct\": 2, \"wrong\": -2}}", true),
    ]

    func withoutWallClock(_ path: String) throws -> String {
        var o = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        o["wallClock"] = nil
        return String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test(arguments: rules.map(\.0))
    func resumeAtAnEpochBoundaryReproducesTheUninterruptedReport(rule: String) throws {
        try interruptAndResume(rule: rule, checkpointEvery: 0, stop: ["CHIPSIM_STOP_AFTER_EPOCH": "1"])
    }

    /// Stopped after training sample 25 of epoch 2 of 2 (85 of the run): mid-epoch, inside
    /// MGD-WP's 7-sample update period, at a halved learning rate, with 35 samples of the epoch
    /// and its test pass to go.
    @Test(arguments: rules.map(\.0))
    func resumeWithinAnEpochReproducesTheUninterruptedReport(rule: String) throws {
        let checkpoint = try interruptAndResume(rule: rule, checkpointEvery: 25, epochs: 2, stop: ["CHIPSIM_STOP_AFTER_SAMPLE": "85"])
        let o = try JSONSerialization.jsonObject(with: Data(checkpoint.utf8)) as! [String: Any]
        let progress = try #require(o["epochInProgress"] as? [String: Any], "\(rule): not a mid-epoch checkpoint")
        #expect(progress["epoch"] as? Int == 2 && progress["samplesDone"] as? Int == 25)
        #expect((progress["outcomes"] as? [Any])?.count == 25)
        #expect((o["epochs"] as? [Any])?.count == 1)
    }

    /// Runs the rule's config uninterrupted and interrupted (`stop`: the environment that makes
    /// chipsim exit with 75 after a checkpoint), resumes the latter, and requires equal reports.
    /// Returns the checkpoint the interrupted run left.
    @discardableResult
    func interruptAndResume(rule: String, checkpointEvery: Int, epochs: Int = 3, stop: [String: String]) throws -> String {
        let (_, learning, spiking) = CheckpointResumeTests.rules.first { $0.0 == rule }!
        let dir = tempDir("resume-\(rule)-\(checkpointEvery)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CheckpointResumeTests.config(learning: learning, spikingOutput: spiking, checkpointEvery: checkpointEvery, epochs: epochs)
            .write(toFile: dir + "/t.json", atomically: true, encoding: .utf8)
        let full = try chipsim(["run", dir + "/t.json", "--out", dir + "/full", "--quiet"])
        #expect(full.status == 0, "\(full.err)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chipsimPath)
        p.arguments = ["run", dir + "/t.json", "--out", dir + "/part", "--quiet"]
        p.environment = ProcessInfo.processInfo.environment.merging(stop) { $1 }
        p.standardError = Pipe()
        try p.run(); p.waitUntilExit()
        #expect(p.terminationStatus == 75)
        let checkpoint = try String(contentsOfFile: dir + "/part.checkpoint.json", encoding: .utf8)
        #expect(checkpoint.contains("\"registers\""))
        let resumed = try chipsim(["run", dir + "/t.json", "--out", dir + "/part", "--quiet", "--resume"])
        #expect(resumed.status == 0, "\(resumed.err)")
        let a = try withoutWallClock(dir + "/full/report.json"), b = try withoutWallClock(dir + "/part/report.json")
        let firstDifference = zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, b.count)
        #expect(a == b, "\(rule): the resumed report differs from character \(firstDifference): \(a.dropFirst(max(0, firstDifference - 80)).prefix(200))")
        // The run learned something worth checkpointing (the weights moved).
        #expect(a.contains("\"plast.synapse\""))
        return checkpoint
    }
}
