import Foundation
import Testing
@testable import ChipModel

/// `chipsim gradcheck CONFIG` takes a learning section naming a spec that is a shipped OPZO-family
/// rule with other defaults (same output as the rule given those values) and refuses any other
/// spec with an error naming it.
@Suite(.serialized) struct GradcheckSpecCLITests {
    @Test func gradcheckTakesAFamilySpecWithOtherDefaults() throws {
        let dir = tempDir("gradcheck-spec")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let shipped = try String(contentsOfFile: repoRoot + "/configs/rules/opzo.json", encoding: .utf8)
        try shipped.replacingOccurrences(of: "\"alpha\": {\"default\": 8,", with: "\"alpha\": {\"default\": 16,")
            .write(toFile: dir + "/my-opzo.json", atomically: true, encoding: .utf8)
        try String(contentsOfFile: repoRoot + "/configs/rules/loco.json", encoding: .utf8).write(toFile: dir + "/my-loco.json", atomically: true, encoding: .utf8)
        let config = try String(contentsOfFile: repoRoot + "/configs/opzo-yinyang.json", encoding: .utf8)
        let section = "\"rule\": \"opzo\", \"alpha\": 16,"
        let compact = try JSONValue.parse(config, file: "c").serialized()
        #expect(compact.contains("\"learning\": {\n    \"rule\": \"opzo\",\n    \"alpha\": 16,"))
        let learning = { (s: String) in compact.replacingOccurrences(of: "\"learning\": {\n    \"rule\": \"opzo\",\n    \"alpha\": 16,", with: "\"learning\": {\(s)") }
        try learning(section).write(toFile: dir + "/builtin.json", atomically: true, encoding: .utf8)
        try learning("\"spec\": \"my-opzo.json\",").write(toFile: dir + "/spec.json", atomically: true, encoding: .utf8)
        try learning("\"spec\": \"my-loco.json\",").write(toFile: dir + "/loco.json", atomically: true, encoding: .utf8)
        let args = ["--samples", "3", "--draws", "2", "--warmup", "3", "--json"]
        let a = try chipsim(["gradcheck", dir + "/builtin.json"] + args)
        let b = try chipsim(["gradcheck", dir + "/spec.json"] + args)
        #expect(a.status == 0 && b.status == 0, "\(a.err) \(b.err)")
        // The same report but the config's path.
        func body(_ o: String) -> [Substring] { o.split(separator: "\n").filter { !$0.contains("\"config\":") } }
        #expect(body(a.out) == body(b.out) && a.out.contains("chipUpdate") && a.out != b.out)
        // loco.json keeps opzo's keys (etaHidden, gNormalise, ...): the spec refuses them or
        // gradcheck refuses the spec; either way an error naming the file, not a trap.
        let c = try chipsim(["gradcheck", dir + "/loco.json"] + args)
        #expect(c.status != 0 && c.err.contains("loco.json"), "\(c.err)")
    }
}
