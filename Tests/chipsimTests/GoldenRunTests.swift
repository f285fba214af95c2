import Foundation
import Testing

// Golden end-to-end runs (docs/SEMANTICS.md): the integers of small runs'
// reports — counts per action, cycles per phase, spikes per layer, routing stalls — are pinned
// in Golden/*.json. These are regression guards, not correctness oracles (the oracles are the
// hand-computed unit tests): they catch any unintended change of simulated behaviour, e.g. in
// a router or interpreter rewrite. Regenerate only on purpose, with the reason in the commit:
//     CHIPSIM_REGENERATE_GOLDEN=1 swift test --filter GoldenRunTests

@Suite(.serialized) struct GoldenRunTests {
    static let goldenDir = repoRoot + "/Tests/chipsimTests/Golden"

    /// The pinned integers of a report.
    func integers(_ reportPath: String) throws -> [String: Int] {
        let r = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: reportPath))) as! [String: Any]
        var out: [String: Int] = [:]
        for (k, v) in r["counts"] as! [String: Any] { out["counts." + k] = (v as! NSNumber).intValue }
        let cycles = r["cycles"] as! [String: Any]
        out["cycles.total"] = (cycles["total"] as! NSNumber).intValue
        for (k, v) in cycles["byPhase"] as! [String: Any] { out["cycles." + k] = (v as! NSNumber).intValue }
        for (k, v) in (r["summary"] as! [String: Any])["spikesPerLayer"] as! [String: Any] { out["spikes." + k] = (v as! NSNumber).intValue }
        out["routing.stallCycles"] = ((r["routing"] as! [String: Any])["stallCycles"] as! NSNumber).intValue
        return out
    }

    @Test(arguments: ["quickstart", "mesh-4x4"])
    func reportIntegersMatchTheGoldenRun(_ name: String) throws {
        let dir = tempDir("golden-\(name)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try chipsim(["run", "configs/\(name).json", "--out", dir + "/out", "--quiet"])
        #expect(r.status == 0, "\(r.err)")
        let got = try integers(dir + "/out/report.json")
        let goldenPath = GoldenRunTests.goldenDir + "/\(name).json"
        if ProcessInfo.processInfo.environment["CHIPSIM_REGENERATE_GOLDEN"] != nil {
            let data = try JSONSerialization.data(withJSONObject: got, options: [.sortedKeys, .prettyPrinted])
            try data.write(to: URL(fileURLWithPath: goldenPath))
            return
        }
        let golden = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: goldenPath))) as! [String: Int]
        #expect(Set(got.keys) == Set(golden.keys))
        for (k, v) in golden.sorted(by: { $0.key < $1.key }) { #expect(got[k] == v, "\(name): \(k) is \(got[k] ?? -1), golden \(v)") }
    }
}
