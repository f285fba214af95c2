import Foundation
import Testing

/// `chipsim run` writes a LOCO run's declared host step (report.json and the text), and
/// `chipsim cost --host` re-costs it with another host profile, leaving the chip's figures.
@Suite struct HostStepCLITests {
    @Test func runReportsAndCostRecostsTheHostStep() throws {
        let dir = tempDir("hoststep")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let learning = "{\"rule\": \"loco\", \"alpha\": 32, \"clusters\": 4, \"zoShift\": 4, \"etaHidden\": 14, \"etaReadout\": 16, \(CheckpointResumeTests.loss)}"
        let config = CheckpointResumeTests.config(learning: learning).replacingOccurrences(of: "\"epochs\": 3", with: "\"epochs\": 1")
        try config.write(toFile: dir + "/t.json", atomically: true, encoding: .utf8)
        let run = try chipsim(["run", dir + "/t.json", "--out", dir + "/out"])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("loco.projection: 60 executions"), "\(run.out)")
        let cost = try chipsim(["cost", dir + "/out/report.json", "--energy", "loihi", "--host", repoRoot + "/configs/host/gpu-datacentre.json",
                                "--out", dir + "/gpu.json"])
        #expect(cost.status == 0, "\(cost.err)")
        #expect(cost.out.contains("host profile 'gpu-datacentre'"), "\(cost.out)")
        func load(_ p: String) throws -> [String: Any] { try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: p))) as! [String: Any] }
        let a = try load(dir + "/out/report.json"), b = try load(dir + "/gpu.json")
        let ea = a["energy"] as! [String: Any], eb = b["energy"] as! [String: Any]
        #expect(ea["totalPicojoules"] as! Double == eb["totalPicojoules"] as! Double)
        let ha = ea["hostSteps"] as! [String: Any], hb = eb["hostSteps"] as! [String: Any]
        #expect(ha["profile"] as! String == "cpu-server" && hb["profile"] as! String == "gpu-datacentre")
        // Same counts, another price: the link figure is the same (80 pJ/byte), the per-operation one is not.
        #expect(ha["linkPicojoules"] as! Double == hb["linkPicojoules"] as! Double)
        #expect(abs((ha["operationPicojoules"] as! Double) / (hb["operationPicojoules"] as! Double) - 92 / 20.5) < 1e-9)
        #expect(((a["hostSteps"] as! [String: Any])["steps"] as! [Any]).count == 1)
    }

    /// The shipped deep LOCO config fits its Loihi-sized cores (three hidden layers of 500).
    @Test func deepLOCOConfigValidates() throws {
        let r = try chipsim(["validate", "configs/loco-mnist-deep.json"])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("hidden3[408..<500] + output[0..<10]"), "\(r.out)")
    }
}
