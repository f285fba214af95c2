import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

/// configs/rules/loco.json declares the parameters, defaults and ranges of the typed LOCO
/// decoder (LOCOConfig): at every range bound and just outside it both accept the same values
/// (resolving to the same learning section) or both refuse them at the same JSON path.
struct LOCOSpecTests {
    @Test func specDeclarationsAgreeWithTheTypedDecoder() throws {
        let spec = try BuiltinRuleSpecs.spec(named: "loco")
        func path(_ error: Error) -> String { "error at \(String(describing: error).components(separatedBy: ": ").dropFirst().first ?? "")" }
        func both(_ extra: [(String, JSONValue)]) -> (String, String) {
            let section = JSONValue.object([("rule", .string("loco"))] + extra)
            let a: String, b: String
            do { a = LOCOConfig.json(try LOCOConfig.decode(section, file: "c.json")).serialized() } catch { a = path(error) }
            do {
                b = ScheduledRule(spec: spec, values: try RuleParameterValues.decode(section, spec: spec, file: "c.json")).parametersJSON.serialized()
            } catch { b = path(error) }
            return (a, b)
        }
        let defaults = both([])
        #expect(defaults.0 == defaults.1)
        #expect(spec.parameters.map(\.name) == ["alpha", "clusters", "protoShift", "protoFrac", "zoShift", "etaHidden", "etaReadout", "baselineShift", "loss", "trace"])
        var tried = 0, refused = 0
        for p in spec.parameters {
            var values: [JSONValue] = []
            switch p.kind {
            case let .integer(r): values = [r.lowerBound - 1, r.lowerBound, r.upperBound, r.upperBound + 1].map { .int($0) }
            case .lossUnit: values = [.object([("ceWeight", .int(32)), ("mseWeight", .int(32))]), .object([("outputShift", .int(25))])]
            case .trace: values = [.object([("bits", .int(4)), ("impulse", .int(15))]), .object([("decay", .int(5000))])]
            default: Issue.record("unexpected kind of \(p.name)")
            }
            for v in values {
                let (a, b) = both([(p.name, v)])
                #expect(a == b, "loco.\(p.name) = \(v.serialized()): decoder \(a.prefix(120)) vs spec \(b.prefix(120))")
                if a.hasPrefix("error at") { refused += 1 }
                tried += 1
            }
        }
        #expect(tried == 8 * 4 + 4 && refused >= 16)
        // An unknown key is refused by both, naming it.
        let (a, b) = both([("etaHiden", .int(3))])
        #expect(a == b && a.contains("etaHiden"))
    }

    /// The learning-rate parameters take the halvings in force: a halving raises both shifts
    /// (capped at 31) in the assembled programs.
    @Test func etaOffsetRaisesBothLearningRates() throws {
        let spec = try BuiltinRuleSpecs.spec(named: "loco")
        let rule = ScheduledRule(spec: spec, values: try RuleParameterValues.decode(.object([("etaHidden", .int(30)), ("etaReadout", .int(7))]), spec: spec, file: "c.json"))
        #expect(spec.parameters.filter(\.learningRate).map(\.name) == ["etaHidden", "etaReadout"])
        try rule.setEtaOffset(3)
        #expect(rule.programConstants["hidden"]?["ETA"] == 31 && rule.programConstants["readout"]?["ETA"] == 10)
    }
}
