import Foundation
import Testing

/// A training run killed with SIGKILL while it writes a checkpoint (its `FILE.partial-PID`
/// exists) leaves the previous checkpoint whole: `--resume` from it ends with the report of the
/// uninterrupted run, and the half-written partial is removed by the resumed run's first write.
/// (Checkpoints are written with AtomicFile: a temporary file, fsync, rename, fsync of the
/// directory; docs/OUTPUT.md.)
@Suite(.serialized) struct CheckpointKillTests {
    /// 400 hidden neurons: a checkpoint of about 400 kB per training sample (checkpointEvery 1),
    /// so most of the run is spent writing checkpoints.
    static let config = """
    {"name": "kill", "seed": 4,
     "network": {"layers": [{"name": "input", "kind": "input", "size": 40},
                            {"name": "hidden", "size": 400, "neuron": {"du": 4095, "dv": 410, "vth": 60}},
                            {"name": "output", "size": 3, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
                 "connections": [{"from": "input", "to": "hidden", "init": {"kind": "uniform", "low": -100, "high": 100}},
                                 {"from": "hidden", "to": "output", "init": {"kind": "uniform", "low": -8, "high": 8}}]},
     "input": {"kind": "dataset", "dataset": {"kind": "yinyang", "train": 12, "test": 4}, "encoder": {"kind": "population", "neurons": 10, "steps": 2}},
     "run": {"steps": 2},
     "learning": {"rule": "opzo", "etaHidden": 16, "etaReadout": 16, "gShift": 16, "lambdaShift": 8},
     "training": {"epochs": 2, "checkpointEvery": 1}}
    """

    func report(_ path: String) throws -> String {
        var o = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        o["wallClock"] = nil
        return String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self)
    }

    @Test func killedWhileWritingACheckpointTheRunResumesFromThePreviousOne() throws {
        let dir = tempDir("kill")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try CheckpointKillTests.config.write(toFile: dir + "/k.json", atomically: true, encoding: .utf8)
        let full = try chipsim(["run", dir + "/k.json", "--out", dir + "/full", "--quiet"])
        #expect(full.status == 0, "\(full.err)")

        let p = Process()
        p.executableURL = URL(fileURLWithPath: chipsimPath)
        p.arguments = ["run", dir + "/k.json", "--out", dir + "/part", "--quiet"]
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Kill it during its fourth checkpoint write (the third is then the one to resume from).
        let partial = dir + "/part.checkpoint.json.partial-\(p.processIdentifier)"
        var writes = 0, inWrite = false, killed = false
        while p.isRunning {
            if FileManager.default.fileExists(atPath: partial) {
                if !inWrite { writes += 1; inWrite = true }
                if writes == 4 { kill(p.processIdentifier, SIGKILL); killed = true; break }
            } else {
                inWrite = false
            }
        }
        p.waitUntilExit()
        // The poll can miss a write window on a loaded machine; then the run was not killed
        // mid-write and there is nothing to check.
        guard killed else { return }
        #expect(p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGKILL)
        #expect(FileManager.default.fileExists(atPath: partial), "the kill left the half-written partial")
        let left = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/part.checkpoint.json"))) as! [String: Any]
        let progress = try #require(left["epochInProgress"] as? [String: Any])
        // The checkpoint before the killed write (the poll may miss a short write, so at least the third).
        #expect((progress["samplesDone"] as? Int ?? 0) >= 3, "\(progress)")
        let resumed = try chipsim(["run", dir + "/k.json", "--out", dir + "/part", "--quiet", "--resume"])
        #expect(resumed.status == 0, "\(resumed.err)")
        #expect(try report(dir + "/full/report.json") == report(dir + "/part/report.json"))
        #expect(!FileManager.default.fileExists(atPath: partial), "the resumed run removed the dead run's partial")
    }
}
