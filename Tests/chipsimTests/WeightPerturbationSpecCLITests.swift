import Foundation
import Testing

/// A user's copy of the mgd_wp (fwd_grad) spec with one default changed gives the report of
/// the shipped rule given that parameter, byte for byte except the wall clock; and the
/// parameter matters. Both run through `chipsim run`, periods resolved against run.steps.
@Suite(.serialized) struct WeightPerturbationSpecCLITests {
    /// (spec, parameter, its default in the spec, the value used, other learning keys)
    static let cases: [(String, String, String, String, String)] = [
        ("mgd_wp", "delta", "1", "4", "\"eta\": 8, \"productShift\": 6, \"tauTheta\": 24, \"auxBits\": 16"),
        ("fwd_grad", "codeClip", "3", "2", "\"delta\": 6, \"productShift\": 4, \"eta\": 10, \"baselineShift\": 3, \"readout\": \"error\", \"etaReadout\": 16"),
    ]

    @Test(arguments: cases.map(\.0))
    func userSpecWithOneParameterChangedGivesTheShippedRulesReport(name: String) throws {
        let (_, parameter, old, new, others) = WeightPerturbationSpecCLITests.cases.first { $0.0 == name }!
        let dir = tempDir("wpspec-\(name)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let shipped = try String(contentsOfFile: repoRoot + "/configs/rules/\(name).json", encoding: .utf8)
        let from = "\"\(parameter)\": {\"default\": \(old),"
        #expect(shipped.contains(from))
        try shipped.replacingOccurrences(of: from, with: "\"\(parameter)\": {\"default\": \(new),")
            .write(toFile: dir + "/my-rule.json", atomically: true, encoding: .utf8)
        let common = "\(others), \(CheckpointResumeTests.loss)"
        let runs = [("spec", "{\"spec\": \"my-rule.json\", \(common)}"),
                    ("builtin", "{\"rule\": \"\(name)\", \"\(parameter)\": \(new), \(common)}"),
                    ("default", "{\"rule\": \"\(name)\", \(common)}")]
        var reports: [String: String] = [:]
        for (tag, learning) in runs {
            try CheckpointResumeTests.config(learning: learning).write(toFile: dir + "/\(tag).json", atomically: true, encoding: .utf8)
            let r = try chipsim(["run", dir + "/\(tag).json", "--out", dir + "/\(tag)", "--quiet"])
            #expect(r.status == 0, "\(tag): \(r.err)")
            reports[tag] = try CheckpointResumeTests().withoutWallClock(dir + "/\(tag)/report.json")
        }
        #expect(reports["spec"] == reports["builtin"], "\(name): the spec file's report differs from the shipped rule's")
        #expect(reports["spec"] != reports["default"], "\(name): \(parameter) = \(new) changed nothing")
        // The periods print resolved (T = 8 steps) in both.
        #expect(reports["spec"]?.contains("\"tauP\":8") == true)
    }
}
