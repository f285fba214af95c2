import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

/// `compare` takes a learning section that names a rule spec (a file or inline), as its
/// experiment's learning section or as an entry of onChipRules: it trains on chip the way `run`
/// trains it, and is not mistaken for the default rule's float twin.
@Suite struct CompareSpecTests {
    static func experiment(learning: String) -> String {
        CompareAnyRuleTests.experiment.replacingOccurrences(of: "\"learning\": {\"rule\": \"opzo\", \"etaHidden\": 16, \"etaReadout\": 16}",
                                                            with: "\"learning\": \(learning)")
    }

    func config(learning: String, onChipRules: String?) throws -> CompareConfig {
        let root = CompareAnyRuleTests().root
        let rules = onChipRules.map { ", \"onChipRules\": \($0)" } ?? ""
        let text = "{\"experiment\": \(CompareSpecTests.experiment(learning: learning))\(rules), \"offChip\": {\"methods\": []}, \"hosts\": [\"\(root)/configs/host/cpu-server.json\"]}"
        return try CompareConfig(json: try JSONValue.parse(Data(text.utf8), file: "c.json"), file: "c.json")
    }

    @Test func aSpecSectionTrainsOnChipAsRunWould() throws {
        // An inline copy of the shipped readout spec with etaReadout's default changed.
        let inline = BuiltinRuleSpecs.text(named: "readout")!
            .replacingOccurrences(of: "\"etaReadout\": {\"default\": 12,", with: "\"etaReadout\": {\"default\": 15,")
        #expect(inline != BuiltinRuleSpecs.text(named: "readout"))
        let section = "{\"spec\": \(inline)}"
        #expect(CompareSpecTests.experiment(learning: section) != CompareAnyRuleTests.experiment)
        for c in [try config(learning: section, onChipRules: nil),
                  try config(learning: "{\"rule\": \"opzo\"}", onChipRules: "[\(section)]")] {
            #expect(c.onChipLearning.count == 1 && c.onChipRules.isEmpty)
            let runner = try CompareRunner(config: c)
            let m = try runner.runOnChip(learning: c.onChipLearning[0])
            #expect(m.rule == "readout")
            let t = try CompareAnyRuleTests().runLike(c.experiment, learning: c.onChipLearning[0])
            #expect(m.chipAccuracy == t.epochs.last!.testAccuracy)
            // The same as the shipped rule given that parameter.
            let builtIn = try CompareAnyRuleTests().runLike(c.experiment, learning: .object([("rule", .string("readout")), ("etaReadout", .int(15))]))
            #expect(builtIn.epochs == t.epochs)
        }
    }

    @Test func aBrokenSpecIsRefusedBeforeTraining() throws {
        do { _ = try config(learning: "{\"rule\": \"opzo\"}", onChipRules: "[{\"spec\": {\"rule\": \"x\"}}]"); Issue.record("no error") }
        catch { #expect("\(error)".contains("parameters"), "\(error)") }
    }
}
