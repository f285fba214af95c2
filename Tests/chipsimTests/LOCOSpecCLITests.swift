import Foundation
import Testing

/// A user's copy of configs/rules/loco.json with one default changed gives the report of the
/// shipped rule given that parameter (byte for byte but the wall clock), and the parameter
/// matters (the shipped default gives another report).
@Suite(.serialized) struct LOCOSpecCLITests {
    @Test func userLOCOSpecWithOneParameterChangedGivesTheShippedRulesReport() throws {
        let dir = tempDir("rulespec-loco")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let shipped = try String(contentsOfFile: repoRoot + "/configs/rules/loco.json", encoding: .utf8)
        let from = "\"zoShift\": {\"default\": 4,"
        #expect(shipped.contains(from))
        try shipped.replacingOccurrences(of: from, with: "\"zoShift\": {\"default\": 1,")
            .write(toFile: dir + "/my-rule.json", atomically: true, encoding: .utf8)
        let common = "\"alpha\": 32, \"clusters\": 4, \"etaHidden\": 12, \"etaReadout\": 16, \(CheckpointResumeTests.loss)"
        let runs = [("spec", "{\"spec\": \"my-rule.json\", \(common)}"),
                    ("builtin", "{\"rule\": \"loco\", \"zoShift\": 1, \(common)}"),
                    ("default", "{\"rule\": \"loco\", \(common)}")]
        var reports: [String: String] = [:]
        for (tag, learning) in runs {
            try CheckpointResumeTests.config(learning: learning).write(toFile: dir + "/\(tag).json", atomically: true, encoding: .utf8)
            let r = try chipsim(["run", dir + "/\(tag).json", "--out", dir + "/\(tag)", "--quiet"])
            #expect(r.status == 0, "\(tag): \(r.err)")
            reports[tag] = try CheckpointResumeTests().withoutWallClock(dir + "/\(tag)/report.json")
        }
        #expect(reports["spec"] == reports["builtin"], "the spec file's report differs from the shipped rule's")
        #expect(reports["spec"] != reports["default"], "zoShift = 1 changed nothing")
        #expect(reports["spec"]?.contains("loco.projection") == true)
    }
}
