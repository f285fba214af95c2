import Testing
@testable import OnChipLearning
@testable import ChipModel

/// docs/LEARNING.md, "Writing a variant": a user's rule written as a spec, with no Swift. The
/// variant here is readout-only learning with a sign-only error: the shipped readout.json with
/// its readout program replaced by the rule string "dw = -2^-3 * x1 * sgn(mod)". It is given
/// inline in a config's learning section, trained on a tiny network, and every readout update
/// is checked by hand against the factors the chip held at that step:
///   dw = -floor(x1 * sgn(mod) / 8)  (floor of the signed product, the rule-string arithmetic),
///   w' = sat_weightBits(w + dw).
struct UserVariantSpecTests {
    @Test func signOnlyErrorVariantUpdatesAsWrittenByHand() throws {
        let text = BuiltinRuleSpecs.text(named: "readout")!
        let start = text.range(of: "\"readout\": {\"source\": [")!, end = text.range(of: "]}", range: start.upperBound..<text.endIndex)!
        let variant = text.replacingCharacters(in: start.lowerBound..<end.upperBound,
                                               with: "\"readout\": {\"ruleString\": \"dw = -2^-3 * x1 * sgn(mod)\"}")
            .replacingOccurrences(of: "\"rule\": \"readout\"", with: "\"rule\": \"readout-sign\"")
        var config = try tinyConfig(rule: "readout")
        config.learning = .object([("spec", try JSONValue.parse(variant, file: "tiny.json"))])
        let rule = try RuleFactory.make(config.learning!, config: config)
        guard let scheduled = rule as? ScheduledRule else { Issue.record("not a scheduled rule"); return }
        #expect(scheduled.spec.name == "readout-sign")
        var checked = 0, changed = 0, mismatches: [String] = []
        scheduled.observeForwardUpdate = { o in
            let nPost = o.factor.count, lo = -(1 << (o.weightBits - 1)), hi = (1 << (o.weightBits - 1)) - 1
            for i in 0..<o.x1.count {
                for j in 0..<nPost {
                    let p = Int(o.x1[i]) * Int(o.factor[j].signum())
                    let floorDiv = p >= 0 ? p / 8 : -((-p + 7) / 8)
                    let expected = min(hi, max(lo, Int(o.weightsBefore[i * nPost + j]) - floorDiv))
                    let actual = Int(o.weightsAfter[i * nPost + j])
                    if actual != expected, mismatches.count < 5 { mismatches.append("step \(o.globalStep) (\(i), \(j)): x1 \(o.x1[i]) mod \(o.factor[j]) w \(o.weightsBefore[i * nPost + j]) -> \(actual), expected \(expected)") }
                    if actual != Int(o.weightsBefore[i * nPost + j]) { changed += 1 }
                    checked += 1
                }
            }
        }
        let sim = Simulator(chip: try Chip(config: config))
        try sim.attach(rule: rule)
        var t = TrainingConfig(); t.epochs = 1
        try Trainer(simulator: sim, train: TwoPatternSource(samples: 20), test: TwoPatternSource(samples: 4), config: t).run()
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(checked > 0 && changed > 0, "checked \(checked) synapse updates, \(changed) changed")
    }
}
