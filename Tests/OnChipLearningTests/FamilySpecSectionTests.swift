import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

/// A learning section naming a spec becomes, for the twin tools (gradcheck), the shipped family
/// rule's section when the spec is that rule with other defaults; any other spec is refused.
struct FamilySpecSectionTests {
    func inline(_ text: String) throws -> JSONValue { try JSONValue.parse(text, file: "s.json") }

    @Test func aShippedRuleWithOtherDefaultsBecomesItsSection() throws {
        let text = BuiltinRuleSpecs.text(named: "dfa")!.replacingOccurrences(of: "\"alpha\": {\"default\": 8,", with: "\"alpha\": {\"default\": 20,")
        #expect(text != BuiltinRuleSpecs.text(named: "dfa"))
        let section = JSONValue.object([("spec", try inline(text)), ("etaHidden", .int(17))])
        let s = try RuleSpec.familySection(section, configFile: "c.json", tool: "gradcheck")!
        var p = ErrorBroadcastParameters(); p.kind = .dfa; p.alpha = 20; p.etaHidden = 17
        #expect(try LearningConfig.decode(s, file: "c.json") == p)
        #expect(try RuleSpec.familySection(.object([("rule", .string("dfa"))]), configFile: "c.json", tool: "gradcheck") == nil)
    }

    @Test func aSpecWithOtherStepsOrNotOfTheFamilyIsRefused() throws {
        let steps = BuiltinRuleSpecs.text(named: "dfa")!.replacingOccurrences(of: "\"shift\": \"$gShift\"", with: "\"shift\": 3")
        #expect(steps != BuiltinRuleSpecs.text(named: "dfa"))
        for text in [steps, BuiltinRuleSpecs.text(named: "loco")!] {
            do { _ = try RuleSpec.familySection(.object([("spec", try inline(text))]), configFile: "c.json", tool: "gradcheck"); Issue.record("no error") }
            catch { #expect("\(error)".contains("$.learning.spec") && "\(error)".contains("float twin"), "\(error)") }
        }
    }
}
