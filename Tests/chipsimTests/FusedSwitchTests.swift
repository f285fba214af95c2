import Foundation
import Testing

/// The fused forms (ThreeFactorForm, MomentumForm) are a cache of the plasticity unit's
/// interpreter: every shipped rule, on the tiny network of CheckpointResumeTests (2 epochs), trained with
/// them (the default) and without (CHIPSIM_NO_FUSED=1) ends with the same report (every count,
/// cycle and accuracy; minus the wall clock) and the same checkpoint (every weight, aux register,
/// rule register and counter), byte for byte. On these configs the three-factor form serves
/// opzo (all three), dfa, readout, zo_sp, mgd_np and loco, the momentum form the opzo variants;
/// mgd_wp, fwd_grad, stdp and rstdp run programs of neither form (checked by planting a
/// count in the fused paths: only those eight rules' reports changed).
@Suite(.serialized) struct FusedSwitchTests {
    /// Runs `chipsim run` on `config` with CHIPSIM_NO_FUSED set to `noFused`; returns the report
    /// without its wall clock and the checkpoint's text.
    func train(_ config: String, dir: String, noFused: Bool) throws -> (report: String, checkpoint: String) {
        let out = dir + (noFused ? "/interpreted" : "/fused")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chipsimPath)
        p.arguments = ["run", config, "--out", out, "--quiet"]
        p.environment = ProcessInfo.processInfo.environment.merging(["CHIPSIM_NO_FUSED": noFused ? "1" : "0"]) { $1 }
        let e = Pipe()
        p.standardError = e
        try p.run()
        let err = e.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(String(decoding: err, as: UTF8.self))")
        var o = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report.json"))) as! [String: Any]
        o["wallClock"] = nil
        let report = String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self)
        return (report, try String(contentsOfFile: out + ".checkpoint.json", encoding: .utf8))
    }

    @Test(arguments: CheckpointResumeTests.rules.map(\.0))
    func fusedAndInterpretedTrainingAgree(rule: String) throws {
        let (_, learning, spiking) = CheckpointResumeTests.rules.first { $0.0 == rule }!
        let dir = tempDir("fused-\(rule)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Two epochs: the second runs the rate-halved programs (other instances of the forms).
        try CheckpointResumeTests.config(learning: learning, spikingOutput: spiking, epochs: 2)
            .write(toFile: dir + "/t.json", atomically: true, encoding: .utf8)
        let fused = try train(dir + "/t.json", dir: dir, noFused: false)
        let interpreted = try train(dir + "/t.json", dir: dir, noFused: true)
        let firstDifference = zip(fused.report, interpreted.report).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            ?? min(fused.report.count, interpreted.report.count)
        #expect(fused.report == interpreted.report,
                "\(rule): the reports differ from character \(firstDifference): \(fused.report.dropFirst(max(0, firstDifference - 80)).prefix(200))")
        #expect(fused.checkpoint == interpreted.checkpoint, "\(rule): weights, registers or counters differ")
        // The rule learned (so the programs ran).
        #expect(fused.report.contains("\"plast.synapse\""))
    }
}
