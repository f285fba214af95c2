import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

/// The shipped rule specs and the spec reader (docs/LEARNING.md, "Rules as specs").
struct RuleSpecTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test(arguments: BuiltinRuleSpecs.names)
    func builtInTextEqualsItsFileInConfigsRules(name: String) throws {
        let file = try String(contentsOfFile: RuleSpecTests.root + "/configs/rules/\(name).json", encoding: .utf8)
        #expect(BuiltinRuleSpecs.text(named: name) == file)
        #expect(try BuiltinRuleSpecs.spec(named: name).name == name)
    }

    /// The specs' programs, with parameters substituted, assemble to exactly the programs the
    /// hand-written rule ran (OPZOPrograms), so the interpreter runs the same microcode.
    /// The shipped rules the error-broadcast parameters (LearningConfig) describe.
    static let family = BuiltinRuleSpecs.names.filter { ErrorBroadcastParameters.Kind(rawValue: $0) != nil }

    @Test(arguments: RuleSpecTests.family)
    func specProgramsAssembleToTheHandWrittenPrograms(name: String) throws {
        let config = try tinyConfig(rule: name)
        var p = try LearningConfig.decode(config.learning!, file: "tiny.json")
        p.etaHidden = 17; p.etaReadout = 11; p.lambdaShift = 9; p.productShift = 3; p.psiWidth = 777
        let rule = ErrorBroadcastRule(p)
        let sim = Simulator(chip: try Chip(config: config))
        try sim.attach(rule: rule)
        try rule.setEtaOffset(2)
        let gated = name != "mgd_np"
        var expected: [String: String] = [
            "readout": OPZOPrograms.threeFactor(etaShift: 13, gatePsi: false),
            "accumulateReadout": OPZOPrograms.accumulate(gated: false),
            "epochReadout": OPZOPrograms.epochUpdate(etaShift: 13),
            "clear": OPZOPrograms.clearAccumulator,
        ]
        if name != "readout" {
            expected["psi"] = OPZOPrograms.surrogate(theta: 40 << 6, width: 777)
            expected["hidden"] = OPZOPrograms.threeFactor(etaShift: 19, gatePsi: gated)
            expected["accumulateHidden"] = OPZOPrograms.accumulate(gated: gated)
            expected["epochHidden"] = OPZOPrograms.epochUpdate(etaShift: 19)
        }
        if name == "opzo" { expected["momentum"] = OPZOPrograms.momentum(lambdaShift: 9, productShift: 3) }
        #expect(Set(rule.programs.keys) == Set(expected.keys))
        for (program, source) in expected {
            #expect(rule.programs[program] == (try MicrocodeAssembler.assemble(source)), "\(name).\(program)")
        }
    }

    /// A spec's parameters: a learning section overrides its defaults by name, checked against
    /// the declarations; the resolved values print as the shipped rule's do.
    @Test func learningSectionValuesResolveAgainstTheSpec() throws {
        let spec = try BuiltinRuleSpecs.spec(named: "opzo")
        let v = try RuleParameterValues.decode(try JSONValue.parse("{\"spec\": \"x.json\", \"alpha\": 16, \"loss\": {\"ceWeight\": 60, \"mseWeight\": 4}}", file: "c.json"),
                                               spec: spec, file: "c.json")
        var p = ErrorBroadcastParameters(); p.alpha = 16; p.loss.ceWeight = 60; p.loss.mseWeight = 4
        #expect(ScheduledRule(spec: spec, values: v).parametersJSON == LearningConfig.json(p))
        func error(_ s: String) -> String {
            do { _ = try RuleParameterValues.decode(try JSONValue.parse(s, file: "c.json"), spec: spec, file: "c.json"); return "ok" } catch { return "\(error)" }
        }
        #expect(error("{\"etaHiden\": 3}").contains("$.learning.etaHiden: unknown key"))
        #expect(error("{\"alpha\": 5000}").contains("$.learning.alpha"))
        #expect(error("{\"holdNoise\": true}").contains("$.learning.holdNoise"))
        #expect(error("{\"holdNoise\": true, \"tEpoch\": 4}") == "ok")
        #expect(error("{\"noise\": \"uniform\"}").contains("$.learning.noise"))
        #expect(error("{\"rule\": \"dfa\"}").contains("$.learning.rule"))
        #expect(error("{\"loss\": {\"ceWeight\": 60}}").contains("must be 64"))
    }

    /// Spec errors are clean ChipErrors naming the file, the JSON path and what was expected.
    @Test func specErrorsNameTheJSONPath() throws {
        let text = BuiltinRuleSpecs.text(named: "opzo")!
        func error(_ from: String, _ to: String) -> String {
            #expect(text.contains(from), "\(from) is not in opzo.json")
            let edited = text.replacingOccurrences(of: from, with: to)
            do { _ = try RuleSpec.parse(try JSONValue.parse(edited, file: "my.json"), file: "my.json"); return "ok" } catch { return "\(error)" }
        }
        let learn = BuiltinRuleSpecs.text(named: "opzo")!.components(separatedBy: "\"learn\": [")[1].components(separatedBy: "\n").filter { $0.contains("\"unit\"") }
        let drain = learn.firstIndex { $0.contains("\"op\": \"drain\"") }!
        let momentum = learn.firstIndex { $0.contains("\"program\": \"momentum\"") }!
        let transposed = learn.firstIndex { $0.contains("deliverTransposed") }!
        // Unknown step.
        var e = error("{\"unit\": \"router\", \"op\": \"drain\", \"when\": \"always\"", "{\"unit\": \"router\", \"op\": \"flush\", \"when\": \"always\"")
        #expect(e.contains("my.json") && e.contains("$.schedule.learn[\(drain)].op") && e.contains("unknown step 'flush'"), "\(e)")
        // Unknown unit.
        e = error("{\"unit\": \"router\", \"op\": \"drain\", \"when\": \"always\"", "{\"unit\": \"dma\", \"op\": \"drain\", \"when\": \"always\"")
        #expect(e.contains("$.schedule.learn[\(drain)].unit") && e.contains("'dma' is not allowed"), "\(e)")
        // A step given to the wrong unit.
        e = error("{\"unit\": \"router\", \"op\": \"drain\", \"when\": \"always\"", "{\"unit\": \"plasticity\", \"op\": \"drain\", \"when\": \"always\"")
        #expect(e.contains("$.schedule.learn[\(drain)].unit") && e.contains("done by the router unit"), "\(e)")
        // Missing program.
        e = error("\"program\": \"momentum\", \"on\": \"hidden.feedback\", \"if\"", "\"program\": \"momentom\", \"on\": \"hidden.feedback\", \"if\"")
        #expect(e.contains("$.schedule.learn[\(momentum)].program") && e.contains("no program 'momentom'"), "\(e)")
        // A program on the wrong kind of target.
        e = error("\"program\": \"momentum\", \"on\": \"hidden.feedback\", \"if\"", "\"program\": \"momentum\", \"on\": \"hidden.neurons\", \"if\"")
        #expect(e.contains("$.schedule.learn[\(momentum)].on") && e.contains("synapse scope"), "\(e)")
        // Bad parameter references: in a step, in a program, in a condition.
        e = error("\"shift\": \"$gShift\"", "\"shift\": \"$gshift\"")
        #expect(e.contains("$.schedule.learn[\(transposed)].shift") && e.contains("'$gshift' names no parameter"), "\(e)")
        e = error(".const K $lambdaShift", ".const K $lambda")
        #expect(e.contains("$.programs.momentum.source") && e.contains("'$lambda' names no parameter"), "\(e)")
        e = error("\"shift\": \"$gShift\"", "\"shift\": \"$noise\"")
        #expect(e.contains("$.schedule.learn[\(transposed)].shift") && e.contains("not an integer or boolean parameter"), "\(e)")
        e = error("\"if\": \"!holdNoise\"}", "\"if\": \"!holdnoise\"}")
        #expect(e.contains(".if") && e.contains("'holdnoise' names no parameter"), "\(e)")
        e = error("\"if\": \"tEpoch == 1\"", "\"if\": \"tEpoch == one\"")
        #expect(e.contains(".if") && e.contains("expected an integer"), "\(e)")
        // A program that does not assemble: the assembler's line and column.
        e = error("\"sub    a0, a0, a1\",\n      \"ld     a2, x2\"", "\"sbu    a0, a0, a1\",\n      \"ld     a2, x2\"")
        #expect(e.contains("$.programs.momentum.source") && e.contains("sbu"), "\(e)")
        // A parameter declaration without a range.
        e = error("\"alpha\": {\"default\": 8, \"range\": [0, 4096]", "\"alpha\": {\"default\": 8")
        #expect(e.contains("$.parameters.alpha") && e.contains("range"), "\(e)")
        // A default outside its own range.
        e = error("\"alpha\": {\"default\": 8,", "\"alpha\": {\"default\": 9000,")
        #expect(e.contains("$.parameters.alpha.default") && e.contains("out of range"), "\(e)")
        #expect(error("\"alpha\": {\"default\": 8,", "\"alpha\": {\"default\": 9,") == "ok")
    }

    /// The error-delay vocabulary (docs/LEARNING.md, "Rules as specs"): a delayed program must
    /// replace a program of the same scope; errorDelayBurnIn is only for runs on hidden targets.
    @Test func errorDelayVocabularyErrorsNameTheJSONPath() throws {
        let text = BuiltinRuleSpecs.text(named: "opzo")!
        func error(_ from: String, _ to: String) -> String {
            #expect(text.contains(from), "\(from) is not in opzo.json")
            let edited = text.replacingOccurrences(of: from, with: to)
            do { _ = try RuleSpec.parse(try JSONValue.parse(edited, file: "my.json"), file: "my.json"); return "ok" } catch { return "\(error)" }
        }
        let delayed = "\"delayedPrograms\": {\n    \"psi\": {"
        var e = error(delayed, "\"delayedPrograms\": {\n    \"psy\": {")
        #expect(e.contains("$.delayedPrograms.psy") && e.contains("names no program"), "\(e)")
        e = error(delayed, "\"delayedPrograms\": {\n    \"momentum\": {")
        #expect(e.contains("$.delayedPrograms.momentum") && e.contains("neuron scope"), "\(e)")
        e = error(".const D @errorDelay", ".const D @errorDelays")
        #expect(e.contains("$.delayedPrograms.psi.source") && e.contains("'@errorDelays' is not a network property"), "\(e)")
        e = error("\"program\": \"clear\", \"on\": \"output.neurons\", \"key\": 2, \"when\": \"epochEnd\"",
                  "\"program\": \"clear\", \"on\": \"output.neurons\", \"key\": 2, \"when\": \"errorDelayBurnIn\"")
        #expect(e.contains("].when") && e.contains("only for plasticity.run on hidden"), "\(e)")
        e = error("\"noise\": \"errorStep\"", "\"noise\": \"twoStepsBack\"")
        #expect(e.contains(".noise") && e.contains("errorStep"), "\(e)")
        #expect(error("\"noise\": \"errorStep\"", "\"noise\": \"previousStep\"") == "ok")
        e = error("\"shift\": \"$gShift\"", "\"shift\": \"@errorDelay\"")
        #expect(e.contains(".shift") && e.contains("for program text only"), "\(e)")
    }

    /// A spec file whose program is a .mc file beside it (parameters substituted the same way)
    /// builds the same programs as the shipped spec.
    @Test func specFileWithAProgramFileBesideIt() throws {
        let dir = NSTemporaryDirectory() + "rulespec-mc-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir + "/rules", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let text = BuiltinRuleSpecs.text(named: "opzo")!
        let start = text.range(of: "\"psi\": {\"source\": [")!, end = text.range(of: "]},", range: start.upperBound..<text.endIndex)!
        let lines = try JSONValue.parse("[" + text[start.upperBound..<end.lowerBound] + "]", file: "x")
        guard case let .array(items) = lines else { Issue.record("no psi lines"); return }
        let mc = items.compactMap { if case let .string(l) = $0 { return l } else { return nil } }.joined(separator: "\n")
        try mc.write(toFile: dir + "/rules/psi.mc", atomically: true, encoding: .utf8)
        try text.replacingCharacters(in: start.lowerBound..<end.upperBound, with: "\"psi\": {\"file\": \"psi.mc\"},")
            .write(toFile: dir + "/rules/my.json", atomically: true, encoding: .utf8)
        let config = try tinyConfig(rule: "opzo")
        let spec = try RuleSpec.load(.string("rules/my.json"), configFile: dir + "/c.json", path: "$.learning.spec")
        #expect(spec.programs["psi"]?.origin == dir + "/rules/psi.mc")
        let mine = ScheduledRule(spec: spec, values: .defaults(of: spec)), shipped = ErrorBroadcastRule(ErrorBroadcastParameters())
        try Simulator(chip: try Chip(config: config)).attach(rule: mine)
        try Simulator(chip: try Chip(config: config)).attach(rule: shipped)
        #expect(mine.programs == shipped.programs && mine.programs["psi"] != nil)
    }

    /// A program given as a Lava-style rule string ("ruleString") is compiled by the rule-string
    /// compiler after its parameters are substituted, again when a halving changes them; giving it
    /// beside "source" is an error at its path.
    @Test func programAsARuleString() throws {
        let text = BuiltinRuleSpecs.text(named: "readout")!
        let start = text.range(of: "\"readout\": {\"source\": [")!, end = text.range(of: "]}", range: start.upperBound..<text.endIndex)!
        let rule = "dw = -2^-$etaReadout * x1 * mod"
        let edited = text.replacingCharacters(in: start.lowerBound..<end.upperBound, with: "\"readout\": {\"ruleString\": \"\(rule)\"}")
        let spec = try RuleSpec.parse(try JSONValue.parse(edited, file: "my.json"), file: "my.json")
        #expect(spec.programs["readout"]?.isRuleString == true && spec.programs["readout"]?.scope == .synapse)
        let values = try RuleParameterValues.decode(try JSONValue.parse("{\"spec\": \"my.json\", \"etaReadout\": 9}", file: "c.json"), spec: spec, file: "c.json")
        let mine = ScheduledRule(spec: spec, values: values)
        try Simulator(chip: try Chip(config: try tinyConfig(rule: "readout"))).attach(rule: mine)
        // dw = -floor(x1 * mod * 2^-9) per the compiler's arithmetic: the program the compiler
        // makes of the substituted text, and it differs from the shipped stochastic-rounding one.
        #expect(mine.programs["readout"] == (try RuleStringCompiler.compile("dw = -2^-9 * x1 * mod")))
        #expect(mine.programs["readout"] != (try RuleStringCompiler.compile("dw = -2^-10 * x1 * mod")))
        try mine.setEtaOffset(2)
        #expect(mine.programs["readout"] == (try RuleStringCompiler.compile("dw = -2^-11 * x1 * mod")))
        let both = text.replacingCharacters(in: start.lowerBound..<end.upperBound, with: "\"readout\": {\"ruleString\": \"\(rule)\", \"source\": \"x\"}")
        do {
            _ = try RuleSpec.parse(try JSONValue.parse(both, file: "my.json"), file: "my.json")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("$.programs.readout.ruleString"), "\(error)")
        }
    }

    /// A learning section's "spec" that names no readable file is an error at $.learning.spec.
    @Test func missingSpecFileIsAConfigError() throws {
        var config = try tinyConfig(rule: "opzo")
        config.learning = try JSONValue.parse("{\"spec\": \"no-such-rule.json\"}", file: "tiny.json")
        do {
            _ = try RuleFactory.make(config.learning!, config: config)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("$.learning.spec") && "\(error)".contains("no-such-rule.json"), "\(error)")
        }
    }

    /// An inline spec (the shipped opzo with alpha's default changed) trains the tiny network
    /// exactly as the built-in rule given that alpha.
    @Test func inlineSpecTrainsLikeTheBuiltInRuleWithTheSameParameter() throws {
        let text = BuiltinRuleSpecs.text(named: "opzo")!.replacingOccurrences(of: "\"alpha\": {\"default\": 8,", with: "\"alpha\": {\"default\": 20,")
        var config = try tinyConfig(rule: "opzo")
        config.learning = .object([("spec", try JSONValue.parse(text, file: "tiny.json")), ("etaReadout", .int(14)), ("etaHidden", .int(16)),
                                   ("gShift", .int(16)), ("lambdaShift", .int(8))])
        let rule = try RuleFactory.make(config.learning!, config: config)
        let sim = Simulator(chip: try Chip(config: config))
        try sim.attach(rule: rule)
        var t = TrainingConfig(); t.epochs = 2
        let trainer = Trainer(simulator: sim, train: TwoPatternSource(samples: 60), test: TwoPatternSource(samples: 40), config: t)
        try trainer.run()
        let (builtIn, builtInSim) = try trainTiny(rule: "opzo") { $0.alpha = 20 }
        let (other, _) = try trainTiny(rule: "opzo") { $0.alpha = 8 }
        func weights(_ s: Simulator) -> [[Int16]] { s.chip.cores.flatMap(\.populations).flatMap(\.blocks).map { Array($0.weights) } }
        #expect(weights(sim) == weights(builtInSim))
        #expect(trainer.epochs.map(\.trainCounts) == builtIn.epochs.map(\.trainCounts))
        #expect(trainer.epochs.map(\.trainCounts) != other.epochs.map(\.trainCounts))
        #expect(rule.parametersJSON == (builtInSim.rule as? TrainableRule)?.parametersJSON)
    }
}

/// The shipped specs declare the same parameters, defaults and ranges as the learning section's
/// decoder (LearningConfig): at every range bound and just outside it, both accept the same
/// values or both refuse them at the same path.
struct RuleSpecParameterAgreementTests {
    @Test(arguments: RuleSpecTests.family)
    func specDeclarationsAgreeWithTheLearningSectionDecoder(name: String) throws {
        let spec = try BuiltinRuleSpecs.spec(named: name)
        func both(_ extra: [(String, JSONValue)]) -> (String, String) {
            let section = JSONValue.object([("rule", .string(name))] + extra)
            let a: String, b: String
            do {
                let p = try LearningConfig.decode(section, file: "c.json")
                a = LearningConfig.json(p).serialized()
            } catch { a = "error at \(String(describing: error).components(separatedBy: ": ").dropFirst().first ?? "")" }
            do {
                b = ScheduledRule(spec: spec, values: try RuleParameterValues.decode(section, spec: spec, file: "c.json")).parametersJSON.serialized()
            } catch { b = "error at \(String(describing: error).components(separatedBy: ": ").dropFirst().first ?? "")" }
            return (a, b)
        }
        let defaults = both([])
        #expect(defaults.0 == defaults.1)
        var tried = 0
        for p in spec.parameters {
            var values: [JSONValue] = []
            switch p.kind {
            case let .integer(r): values = [r.lowerBound - 1, r.lowerBound, r.upperBound, r.upperBound + 1].map { .int($0) }
            case .boolean: values = [.bool(true), .bool(false), .int(1)]
            case let .choice(c): values = c.map { .string($0) } + [.string("none")]
            case .lossUnit: values = [.object([("ceWeight", .int(64)), ("mseWeight", .int(0))]), .object([("outputShift", .int(25))])]
            case .trace: values = [.object([("bits", .int(4)), ("impulse", .int(15))]), .object([("decay", .int(5000))])]
            }
            for v in values {
                // holdNoise needs tEpoch >= 2 in both; give it so the value itself is what is checked.
                let extra: [(String, JSONValue)] = p.name == "holdNoise" ? [(p.name, v), ("tEpoch", .int(4))] : [(p.name, v)]
                let (a, b) = both(extra)
                #expect(a == b, "\(name).\(p.name) = \(v.serialized()): decoder \(a.prefix(120)) vs spec \(b.prefix(120))")
                tried += 1
            }
        }
        #expect(tried > 60)
    }
}
