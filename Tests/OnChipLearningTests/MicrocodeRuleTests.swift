import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

@Suite struct MicrocodeRuleTests {
    func config(learning: String) throws -> ExperimentConfig {
        try ExperimentConfig(json: JSONValue.parse("""
        {"network": {"layers": [{"name": "in", "kind": "input", "size": 4}, {"name": "out", "size": 2}],
                     "connections": [{"from": "in", "to": "out"}]},
         "learning": \(learning)}
        """, file: "m.json"), file: "m.json")
    }

    func decode(_ learning: String) -> String {
        do { _ = try RuleFactory.make(try config(learning: learning).learning!, config: try config(learning: learning)); return "ok" }
        catch { return "\(error)" }
    }

    @Test func configErrorsNameThePathOrTheRuleColumn() {
        #expect(decode(#"{"rule": "microcode", "connections": [{"from": "in", "to": "out", "builtin": "stdp"}]}"#) == "ok")
        #expect(decode(#"{"rule": "microcode", "connections": [{"from": "in", "to": "out", "ruleString": "dw = 2^-4 * x1 * y0"}]}"#) == "ok")
        #expect(decode(#"{"rule": "microcode", "connections": [{"from": "in", "to": "out", "builtin": "hebb"}]}"#).contains("$.learning.connections[0].builtin"))
        #expect(decode(#"{"rule": "microcode", "connections": [{"from": "out", "to": "in", "builtin": "stdp"}]}"#).contains("no connection from 'out' to 'in'"))
        #expect(decode(#"{"rule": "microcode", "connections": [{"from": "in", "to": "out", "builtin": "stdp", "ruleString": "dw = x1"}]}"#).contains("exactly one of"))
        // The rule-string compiler's own error (line and column of the bad token) comes through.
        #expect(decode(#"{"rule": "microcode", "connections": [{"from": "in", "to": "out", "ruleString": "dw = 2^-4 * x1 * q0"}]}"#).contains("1:18"))
        #expect(decode(#"{"rule": "microcode", "connections": [{"from": "in", "to": "out", "builtin": "stdp"}], "reward": {"layer": "nope"}}"#).contains("no layer named 'nope'"))
    }

    @Test func aProgramFileFromTheConfigRunsOnTheChip() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chipsim-mc-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // Potentiate every synapse whose axon spiked by 1: after one step with input 0 spiking, w[0][*] += 1.
        try ".scope synapse\n.require x0\nld a0, w\nldi a1, 1\nadd a0, a0, a1\nst w, a0\n".write(to: dir.appendingPathComponent("plus.mc"), atomically: true, encoding: .utf8)
        let text = """
        {"network": {"layers": [{"name": "in", "kind": "input", "size": 2}, {"name": "out", "size": 3, "neuron": {"vth": 1000}}],
                     "connections": [{"from": "in", "to": "out", "init": {"kind": "constant", "value": 5}}]},
         "run": {"steps": 2},
         "learning": {"rule": "microcode", "connections": [{"from": "in", "to": "out", "program": "plus.mc", "auxBits": 0}]}}
        """
        let path = dir.appendingPathComponent("c.json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let cfg = try ExperimentConfig.load(path: path)
        let sim = Simulator(chip: try Chip(config: cfg))
        try sim.attach(rule: try RuleFactory.make(cfg.learning!, config: cfg))
        sim.training = true
        // Input 0 spikes at step 0; it is delivered (x0 = 1) at step 1 only.
        struct One: SpikeSource {
            let channels = 2, samples = 1
            func label(sample: Int) -> Int? { 0 }
            func spikes(sample: Int, step: Int, into out: inout ContiguousArray<Int32>) { if step == 0 { out.append(0) } }
        }
        sim.runSample(0, source: One())
        let b = sim.chip.cores[0].populations[0].blocks[0]
        #expect((0..<3).map { b.weight(pre: 0, post: $0) } == [6, 6, 6])
        #expect((0..<3).map { b.weight(pre: 1, post: $0) } == [5, 5, 5])
        #expect(sim.totalCounts[.plastSynapse] == 3)
    }
}
