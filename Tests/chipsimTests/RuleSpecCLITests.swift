import Foundation
import Testing

/// A user's spec file (a copy of a shipped spec with one parameter's default changed) gives
/// the report of the shipped rule given that parameter, byte for byte except the wall clock;
/// and the parameter matters (the shipped rule without it gives another report).
@Suite(.serialized) struct RuleSpecCLITests {
    static let familyKeys = "\"etaHidden\": 16, \"gShift\": 16, \"lambdaShift\": 8"
    /// (spec, parameter, its default in the spec, the value used, the other learning keys, a
    /// string both reports must contain)
    static let cases: [(String, String, String, String, String, String)] = [
        ("opzo", "alpha", "8", "20", familyKeys, ""),
        ("dfa", "dfaScale", "1048576", "4000000", familyKeys, ""),
        ("readout", "etaReadout", "12", "13", familyKeys, ""),
        ("zo_sp", "zoShift", "6", "3", familyKeys, ""),
        ("mgd_np", "alpha", "8", "20", familyKeys, ""),
        // Periods print resolved (T = 8 steps).
        ("mgd_wp", "delta", "1", "4", "\"eta\": 8, \"productShift\": 6, \"tauTheta\": 24, \"auxBits\": 16", "\"tauP\":8"),
        ("fwd_grad", "codeClip", "3", "2", "\"delta\": 6, \"productShift\": 4, \"eta\": 10, \"baselineShift\": 3, \"readout\": \"error\", \"etaReadout\": 16", "\"tauP\":8"),
        // The declared host step reports on its own line.
        ("loco", "zoShift", "4", "1", "\"alpha\": 32, \"clusters\": 4, \"etaHidden\": 12, \"etaReadout\": 16", "loco.projection"),
    ]

    @Test(arguments: cases.map(\.0))
    func userSpecWithOneParameterChangedGivesTheShippedRulesReport(name: String) throws {
        let (_, parameter, old, new, others, mark) = RuleSpecCLITests.cases.first { $0.0 == name }!
        let dir = tempDir("rulespec-\(name)")
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
        if !mark.isEmpty { #expect(reports["spec"]?.contains(mark) == true, "\(name): the report lacks \(mark)") }
    }

    @Test func specErrorsReachTheCommandLineWithTheirPath() throws {
        let dir = tempDir("rulespec-error")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let shipped = try String(contentsOfFile: repoRoot + "/configs/rules/dfa.json", encoding: .utf8)
        try shipped.replacingOccurrences(of: "\"op\": \"drain\"", with: "\"op\": \"flush\"")
            .write(toFile: dir + "/bad.json", atomically: true, encoding: .utf8)
        try CheckpointResumeTests.config(learning: "{\"spec\": \"bad.json\"}").write(toFile: dir + "/c.json", atomically: true, encoding: .utf8)
        let r = try chipsim(["run", dir + "/c.json", "--out", dir + "/out", "--quiet"])
        #expect(r.status != 0)
        #expect(r.err.contains("bad.json") && r.err.contains(".op") && r.err.contains("unknown step 'flush'"), "\(r.err)")
    }
}
