import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

/// configs/rules/stdp.json and rstdp.json, run by the schedule interpreter, train exactly like
/// the microcode rule's built-in programs given the same parameters: same weights, eligibility
/// (aux) registers and counts, epoch by epoch. And their programs assemble to the built-ins.
struct STDPSpecTests {
    static func train(_ learning: String, epochs: Int = 2) throws -> (Trainer, [[Int16]], [[Int32]], TrainableRule) {
        let c = try ExperimentConfig(json: JSONValue.parse("""
        {"seed": 5, "network": {"layers": [
            {"name": "in", "kind": "input", "size": 3},
            {"name": "h", "size": 3, "neuron": {"du": 4095, "dv": 410, "vth": 20}},
            {"name": "out", "size": 2, "neuron": {"du": 4095, "dv": 410, "vth": 20}}],
          "connections": [{"from": "in", "to": "h", "init": {"kind": "uniform", "low": 10, "high": 90}},
                          {"from": "h", "to": "out", "init": {"kind": "uniform", "low": 10, "high": 90}}]},
         "run": {"steps": 6}, "learning": \(learning)}
        """, file: "stdp.json"), file: "stdp.json")
        let rule = try RuleFactory.make(c.learning!, config: c)
        let sim = Simulator(chip: try Chip(config: c))
        try sim.attach(rule: rule)
        var t = TrainingConfig(); t.epochs = epochs
        let trainer = Trainer(simulator: sim, train: ThreeChannelSource(samples: 8), test: ThreeChannelSource(samples: 3), config: t)
        try trainer.run()
        let blocks = sim.chip.cores.flatMap(\.populations).flatMap(\.blocks)
        return (trainer, blocks.map { Array($0.weights) }, blocks.map { Array($0.aux) }, rule)
    }

    static let traces = "\"x1\": {\"decay\": 1024, \"impulse\": 32}, \"y1\": {\"decay\": 900, \"impulse\": 40}"
    static let connections = "[{\"from\": \"in\", \"to\": \"h\", \"builtin\": \"%@\"}, {\"from\": \"h\", \"to\": \"out\", \"builtin\": \"%@\"}]"

    @Test func stdpSpecTrainsLikeTheBuiltInMicrocodeRule() throws {
        let microcode = try STDPSpecTests.train("{\"rule\": \"microcode\", \"connections\": \(String(format: STDPSpecTests.connections, "stdp", "stdp")), \"traces\": {\(STDPSpecTests.traces)}}")
        let spec = try STDPSpecTests.train("{\"rule\": \"stdp\", \(STDPSpecTests.traces)}")
        #expect(spec.3 is ScheduledRule)
        #expect(microcode.1 == spec.1 && microcode.2 == spec.2)
        #expect(microcode.0.epochs == spec.0.epochs)
        #expect(spec.0.epochs[0].trainCounts[.plastSynapse] > 0)
        // Learning happened: the weights moved from the initial ones.
        let untrained = try STDPSpecTests.train("{\"rule\": \"stdp\", \(STDPSpecTests.traces)}", epochs: 0)
        #expect(untrained.1 != spec.1)
    }

    @Test(arguments: ["neuron", "layer"])
    func rstdpSpecTrainsLikeTheBuiltInMicrocodeRule(target: String) throws {
        let reward = "{\"layer\": \"out\", \"correct\": 40, \"wrong\": -24, \"target\": \"\(target)\"}"
        let microcode = try STDPSpecTests.train("{\"rule\": \"microcode\", \"connections\": \(String(format: STDPSpecTests.connections, "rstdp", "rstdp")), \"traces\": {\(STDPSpecTests.traces)}, \"reward\": \(reward)}")
        let spec = try STDPSpecTests.train("{\"rule\": \"rstdp\", \"correct\": 40, \"wrong\": -24, \"rewardTarget\": \"\(target)\", \(STDPSpecTests.traces)}")
        #expect(microcode.1 == spec.1 && microcode.2 == spec.2)
        #expect(microcode.0.epochs == spec.0.epochs)
        #expect(spec.0.epochs[0].trainCounts[.modBroadcast] > 0)
        #expect(spec.2.contains { $0.contains { $0 != 0 } }, "no eligibility built up")
    }

    /// A user's copy of rstdp.json with one default changed trains like the shipped rule given
    /// that value, and the value matters.
    @Test func aUserCopyWithOneDefaultChangedEqualsTheShippedRuleWithThatValue() throws {
        let text = BuiltinRuleSpecs.text(named: "rstdp")!.replacingOccurrences(of: "\"modulatorShift\": {\"default\": 8,", with: "\"modulatorShift\": {\"default\": 5,")
        #expect(text != BuiltinRuleSpecs.text(named: "rstdp"))
        let user = try STDPSpecTests.train("{\"spec\": \(text), \(STDPSpecTests.traces)}")
        let shipped = try STDPSpecTests.train("{\"rule\": \"rstdp\", \"modulatorShift\": 5, \(STDPSpecTests.traces)}")
        let defaults = try STDPSpecTests.train("{\"rule\": \"rstdp\", \(STDPSpecTests.traces)}")
        #expect(user.1 == shipped.1 && user.2 == shipped.2 && user.0.epochs == shipped.0.epochs)
        #expect(user.1 != defaults.1)
    }

    @Test func specProgramsAssembleToTheBuiltInPrograms() throws {
        let c = try ExperimentConfig(json: JSONValue.parse("""
        {"network": {"layers": [{"name": "in", "kind": "input", "size": 2}, {"name": "out", "size": 2}],
          "connections": [{"from": "in", "to": "out"}]}, "run": {"steps": 2}}
        """, file: "c.json"), file: "c.json")
        for (name, expected) in [("stdp", STDPRule.program(.init(ltpShift: 7, ltdShift: 2))),
                                 ("rstdp", RSTDPRule.program(.init(ltpShift: 1, ltdShift: 2, eligibilityDecayShift: 5, modulatorShift: 9)))] {
            let spec = try BuiltinRuleSpecs.spec(named: name)
            let section: JSONValue = name == "stdp"
                ? .object([("ltpShift", .int(7)), ("ltdShift", .int(2))])
                : .object([("ltpShift", .int(1)), ("ltdShift", .int(2)), ("eligibilityDecayShift", .int(5)), ("modulatorShift", .int(9))])
            let rule = ScheduledRule(spec: spec, values: try RuleParameterValues.decode(section, spec: spec, file: "c.json"))
            try Simulator(chip: try Chip(config: c)).attach(rule: rule)
            #expect(rule.programs[name] == expected, "\(name)")
        }
    }
}
