import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

/// The weight-perturbation specs (configs/rules/mgd_wp.json, fwd_grad.json): built in byte for
/// byte, their programs the reference text WeightPerturbationPrograms, their declarations the
/// learning-section decoder PerturbationConfig at every range bound, and the integer Gamma
/// shift the floating-point formula it replaced.
struct WeightPerturbationSpecTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test(arguments: BuiltinRuleSpecs.weightPerturbationNames)
    func builtInTextEqualsItsFileInConfigsRules(name: String) throws {
        let file = try String(contentsOfFile: WeightPerturbationSpecTests.root + "/configs/rules/\(name).json", encoding: .utf8)
        #expect(BuiltinRuleSpecs.text(named: name) == file)
        let spec = try BuiltinRuleSpecs.spec(named: name)
        #expect(spec.name == name && spec.perturbation != nil)
        #expect(FileManager.default.fileExists(atPath: WeightPerturbationSpecTests.root + "/configs/rules/\(name).md"))
    }

    /// Assembled on the tiny 16-24-2 network (8-bit weights, T = 8) with two halvings in force,
    /// each program equals WeightPerturbationPrograms' text for the same values; eta_l is
    /// eta + 2 + round(log2 Gamma_l) with Gamma computed here in floating point.
    @Test(arguments: [("mgd_wp", 0), ("mgd_wp", 6), ("fwd_grad", 0), ("fwd_grad", 4)])
    func specProgramsAssembleToTheReferencePrograms(name: String, productShift: Int) throws {
        let mgd = name == "mgd_wp"
        var config = try tinyConfig(rule: name)
        config.learning = try JSONValue.parse("{\"rule\": \"\(name)\", \"delta\": 3, \"codeClip\": 2, \"eta\": 9, \"auxBits\": 12, \"productShift\": \(productShift)\(mgd ? ", \"tauTheta\": 32" : "")}", file: "tiny.json")
        let rule = try RuleFactory.make(config.learning!, config: config) as! ScheduledRule
        let sim = Simulator(chip: try Chip(config: config))
        try sim.attach(rule: rule)
        try rule.setEtaOffset(2)
        let p = try PerturbationConfig.decode(config.learning!, config: config)
        let margin = mgd ? 3 : 6
        let range = (-128 + margin)...(127 - margin)
        let n = Double(mgd ? 4 : 1)
        let names = rule.spec.programs.keys.sorted()
        func program(_ variant: Int, _ name: String) -> MicrocodeProgram { rule.perturbation.programs[variant][names.firstIndex(of: name)!] }
        let suffix = productShift > 0 ? "Rounded" : ""
        // Variants: the hidden layer (16 x 24 = 384 synapses) and the readout (24 x 2 = 48), both perturbed.
        #expect(rule.perturbation.variants.map(\.layer) == [1, 2])
        for (variant, N) in [(0, 384.0), (1, 48.0)] {
            let gamma = (1 / N + 1 / n - 1 / (N * n)).squareRoot()
            let eta = max(0, 9 + 2 + Int(log2(gamma).rounded()))
            #expect(program(variant, "perturb") == (try MicrocodeAssembler.assemble(WeightPerturbationPrograms.perturb(p))))
            #expect(program(variant, "restore" + suffix)
                    == (try MicrocodeAssembler.assemble(WeightPerturbationPrograms.endPeriod(p, update: false, eta: 0, weightRange: 0...0))))
            #expect(program(variant, "update" + suffix)
                    == (try MicrocodeAssembler.assemble(WeightPerturbationPrograms.endPeriod(p, update: true, eta: eta, weightRange: range))), "\(name) layer \(variant + 1) eta \(eta)")
        }
        #expect(rule.programs["readout"] == (try MicrocodeAssembler.assemble(OPZOPrograms.threeFactor(etaShift: 24 + 2, gatePsi: false))))
    }

    /// Every parameter at its range bounds and just outside: the spec (with its periods
    /// resolved against run.steps = 8) and PerturbationConfig give the same resolved section or
    /// the same error.
    @Test(arguments: BuiltinRuleSpecs.weightPerturbationNames)
    func specDeclarationsAgreeWithTheLearningSectionDecoder(name: String) throws {
        let spec = try BuiltinRuleSpecs.spec(named: name)
        let config = try tinyConfig(rule: name)
        func both(_ extra: [(String, JSONValue)]) -> (String, String) {
            let section = JSONValue.object([("rule", .string(name))] + extra)
            let a: String, b: String
            do { a = PerturbationConfig.json(try PerturbationConfig.decode(section, config: config)).serialized() } catch { a = "error \(error)" }
            do {
                let values = try RuleParameterValues.decode(section, spec: spec, file: config.file).resolvingPeriods(of: spec, sampleSteps: 8, file: config.file)
                b = ScheduledRule(spec: spec, values: values).parametersJSON.serialized()
            } catch { b = "error \(error)".replacingOccurrences(of: "known keys here: spec, ", with: "known keys here: ") }
            return (a, b)
        }
        let defaults = both([])
        #expect(defaults.0 == defaults.1)
        #expect(try JSONValue.parse(defaults.1, file: "p.json")["tauP"] == .int(8), "\(defaults.1)")
        var tried = 0
        for p in spec.parameters {
            var values: [JSONValue] = []
            switch p.kind {
            case let .integer(r): values = [r.lowerBound - 1, r.lowerBound, r.upperBound, r.upperBound + 1].map { .int($0) }
            case .boolean: values = [.bool(true), .bool(false), .int(1)]
            case let .choice(c): values = c.map { .string($0) } + [.string("none")]
            case .lossUnit: values = [.object([("ceWeight", .int(32)), ("mseWeight", .int(32))]), .object([("outputShift", .int(25))]), .object([("ceWeight", .int(10))])]
            case .trace: values = [.object([("bits", .int(4)), ("impulse", .int(15))]), .object([("decay", .int(5000))])]
            }
            for v in values {
                let (a, b) = both([(p.name, v)])
                #expect(a == b, "\(name).\(p.name) = \(v.serialized()): decoder \(a.prefix(160)) vs spec \(b.prefix(160))")
                tried += 1
            }
        }
        // The periods against the sample length (T = 8), and an unknown key.
        for extra in [[("tauP", JSONValue.int(4)), ("tauTheta", .int(16))], [("tauP", .int(3))], [("tauP", .int(2)), ("tauTheta", .int(5))],
                      [("tauTheta", .int(8))], [("tauTheta", .int(24))], [("deltaa", .int(1))]] {
            let (a, b) = both(extra)
            #expect(a == b, "\(name) \(extra): decoder \(a.prefix(160)) vs spec \(b.prefix(160))")
            tried += 1
        }
        #expect(tried > 50)
    }

    /// The Gamma shift in integers equals round(log2 Gamma) in floating point wherever the
    /// latter is not within 1e-9 of a tie (there the integer form rounds away from zero).
    @Test func integerGammaShiftIsTheFloatingPointFormula() {
        var compared = 0
        for n in [1, 2, 3, 4, 5, 7, 8, 16, 20, 63, 64, 320, 1000, 1 << 20] {
            for N in Array(1...600) + [1000, 4096, 78400, 100_000, 1 << 24] {
                let g = (1 / Double(N) + 1 / Double(n) - 1 / (Double(N) * Double(n))).squareRoot()
                let x = log2(g)
                if abs(abs(x - x.rounded(.down)) - 0.5) < 1e-9 { continue }
                #expect(ScheduledRule.gammaShift(synapses: N, periodsPerUpdate: n) == Int(x.rounded()), "N \(N) n \(n)")
                compared += 1
            }
        }
        #expect(compared > 8000)
        // A tie: N = 4, n = 3 gives Gamma^2 = 1/2 exactly, log2 Gamma = -1/2: away from zero.
        #expect(ScheduledRule.gammaShift(synapses: 4, periodsPerUpdate: 3) == -1)
        #expect(ScheduledRule.gammaShift(synapses: 1, periodsPerUpdate: 1) == 0)
    }

    /// Misuse of the weight-perturbation vocabulary fails when the spec is read, at its path.
    @Test func perturbationVocabularyErrorsNameTheJSONPath() throws {
        let text = BuiltinRuleSpecs.text(named: "mgd_wp")!
        func error(_ from: String, _ to: String) -> String {
            #expect(text.contains(from), "\(from)")
            do { _ = try RuleSpec.parse(try JSONValue.parse(text.replacingOccurrences(of: from, with: to), file: "w.json"), file: "w.json"); return "no error" }
            catch { return "\(error)" }
        }
        let e1 = error("\"program\": \"perturb\", \"on\": \"perturbed.blocks\", \"period\": \"next\"", "\"program\": \"perturb\", \"on\": \"perturbed.blocks\", \"period\": \"later\"")
        #expect(e1.contains("$.schedule.learn[13].period"), "\(e1)")
        let e2 = error("\"period\": \"current\"}\n    ],", "\"period\": \"next\"}\n    ],")
        #expect(e2.contains("$.schedule.sampleStart[1].period"), "\(e2)")
        let e3 = error("\"margin\": [\"$delta\"]", "\"margin\": []")
        #expect(e3.contains("$.perturbation.margin"), "\(e3)")
        let e4 = error("\"program\": \"restore\", \"on\": \"perturbed.blocks\"", "\"program\": \"nothing\", \"on\": \"perturbed.blocks\"")
        #expect(e4.contains("$.schedule.learn[8].program"), "\(e4)")
        // Without the section, the period steps and timings are refused.
        let opzo = BuiltinRuleSpecs.text(named: "opzo")!
        let bad = opzo.replacingOccurrences(of: "{\"unit\": \"router\", \"op\": \"drain\"}", with: "{\"unit\": \"router\", \"op\": \"drain\", \"when\": \"periodEnd\"}")
        #expect(bad != opzo)
        do { _ = try RuleSpec.parse(try JSONValue.parse(bad, file: "o.json"), file: "o.json"); Issue.record("no error") }
        catch { #expect("\(error)".contains("perturbation"), "\(error)") }
    }

    /// controller.sync makes the sub-phases sequential: on one core (3-2-2, T = 4, tauP = 2,
    /// an update every period) a learning step's cycles are the loss unit's, plus the first
    /// period's perturb pass at step 0, plus at each period end the 4 cost instructions, the
    /// update pass and (unless the sample ends) the next perturb pass, added, not maxed.
    @Test func syncedPhasesAddTheirCycles() throws {
        let config = try ExperimentConfig(json: JSONValue.parse("""
        {"seed": 5, "network": {"layers": [
            {"name": "in", "kind": "input", "size": 3},
            {"name": "h", "size": 2, "neuron": {"du": 4095, "dv": 410, "vth": 30}},
            {"name": "out", "size": 2, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
          "connections": [{"from": "in", "to": "h", "init": {"kind": "uniform", "low": -100, "high": 100}},
                          {"from": "h", "to": "out", "init": {"kind": "uniform", "low": -20, "high": 20}}]},
         "run": {"steps": 4}, "learning": {"rule": "mgd_wp", "tauP": 2, "productShift": 3}}
        """, file: "s.json"), file: "s.json")
        let rule = try RuleFactory.make(config.learning!, config: config) as! ScheduledRule
        let sim = Simulator(chip: try Chip(config: config))
        try sim.attach(rule: rule)
        #expect(sim.chip.usedCores.count == 1)
        let lanes = UInt64(sim.chip.cores[0].plasticityUnit.lanes)
        let names = rule.spec.programs.keys.sorted()
        func pass(_ name: String) -> UInt64 {
            let p = rule.perturbation.programs[0][names.firstIndex(of: name)!]
            return [UInt64(6), 4].reduce(0) { $0 + ($1 + lanes - 1) / lanes * UInt64(p.cyclesPerElement) }
        }
        let loss = UInt64(LossUnit.instructionCount(outputs: 2) + NegativeLogTable.instructions + 1)
        func context(_ t: Int) -> StepContext { StepContext(sample: 0, step: t, stepsPerSample: 4, globalStep: 10 + t, label: 1, training: true) }
        rule.beginSample(simulator: sim, context: context(0))
        let cycles = (0..<4).map { rule.learn(simulator: sim, context: context($0)) }
        #expect(cycles[0] == loss + pass("perturb"))
        #expect(cycles[1] == loss + 4 + pass("updateRounded") + pass("perturb"))
        #expect(cycles[2] == loss)
        #expect(cycles[3] == loss + 4 + pass("updateRounded"))
    }

    /// A network whose only plastic synapses are the readout's, with the readout learning from
    /// the error, perturbs nothing: a config error naming $.learning.readout.
    @Test func nothingPerturbedIsAConfigError() throws {
        var config = try ExperimentConfig(json: JSONValue.parse("""
        {"seed": 1, "network": {"layers": [{"name": "in", "kind": "input", "size": 3},
            {"name": "out", "size": 2, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
          "connections": [{"from": "in", "to": "out", "init": {"kind": "constant", "value": 0}}]},
         "run": {"steps": 4}, "learning": {"rule": "mgd_wp", "readout": "error"}}
        """, file: "r.json"), file: "r.json")
        let rule = try RuleFactory.make(config.learning!, config: config)
        let sim = Simulator(chip: try Chip(config: config))
        do { try sim.attach(rule: rule); Issue.record("no error") } catch { #expect("\(error)".contains("$.learning.readout"), "\(error)") }
        config.learning = try JSONValue.parse("{\"rule\": \"fwd_grad\", \"delta\": 64, \"codeClip\": 8}", file: "r.json")
        let wide = try RuleFactory.make(config.learning!, config: config)
        do { try Simulator(chip: try Chip(config: config)).attach(rule: wide); Issue.record("no error") } catch { #expect("\(error)".contains("$.learning.delta"), "\(error)") }
    }
}
