import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

private func build(_ learning: String) throws -> (Simulator, ScheduledRule) {
    let c = try ExperimentConfig(json: JSONValue.parse("""
    {"seed": 9, "network": {"layers": [
        {"name": "in", "kind": "input", "size": 3},
        {"name": "h", "size": 2, "neuron": {"du": 4095, "dv": 410, "vth": 30}},
        {"name": "out", "size": 2, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
      "connections": [{"from": "in", "to": "h", "init": {"kind": "uniform", "low": -60, "high": 60}},
                      {"from": "h", "to": "out", "init": {"kind": "uniform", "low": -20, "high": 20}}]},
     "run": {"steps": 4}, "learning": \(learning)}
    """, file: "loco.json"), file: "loco.json")
    let rule = try RuleFactory.make(c.learning!, config: c)
    let sim = Simulator(chip: try Chip(config: c))
    try sim.attach(rule: rule)
    return (sim, rule as! ScheduledRule)
}

@Suite struct LOCOTests {
    @Test func clustersProjectionAndModulatorMatchAReference() throws {
        let (sim, rule) = try build("{\"rule\": \"loco\", \"clusters\": 2, \"protoShift\": 1, \"protoFrac\": 3, \"zoShift\": 2, \"baselineShift\": 1, \"etaHidden\": 6}")
        rule.lossBaseline = 5000; rule.costsSeen = 1   // baseline valid, no prototype yet
        var readout: [[Int32]] = []
        let hiddenPop = sim.chip.cores.flatMap(\.populations).first { $0.layer == 1 }!
        let hiddenCore = sim.chip.cores.first { $0.populations.contains { $0 === hiddenPop } }!
        // The hidden weights before the last step's learning phase (only it updates them).
        var before: [Int64] = []
        sim.onStep = { _, t in
            let p = sim.chip.cores.flatMap(\.populations).first { $0.layer == 2 }!
            readout.append(Array(p.learning!.post.v))
            if t == 2 { before = hiddenPop.blocks[0].weights.map { Int64($0) } }
        }
        sim.training = true
        let src = ThreeChannelSource(samples: 4)
        let unit = LossUnit(LossUnitParameters(outputShift: 12, ceWeight: 64, mseWeight: 0))
        var b: Int64 = 5000
        var protos: [[Int64]] = []
        var moved = 0
        var expectedHost = HostStepCounts()
        for s in [0, 1, 3] {
            let start = sim.globalStep
            readout = []
            sim.runSample(s, source: src)
            // Cost, baseline.
            var sum: Int64 = 0
            for t in 0..<4 { sum += Int64((-log(Double(max(1, unit.probabilities(readout[t])[s % 2])) / 16384) * 16384).rounded()) }
            let ct = (sum + 2) / 4 - b
            b += ct >> 1
            // Clusters: the first two samples initialise, then nearest by L1 and move halfway.
            let rF = src.delivered(sample: s, steps: 4).map { $0 << 3 }
            var c = protos.count
            if protos.count < 2 { protos.append(rF) } else {
                let d = protos.map { p in zip(p, rF).reduce(Int64(0)) { $0 + abs($1.1 - $1.0) } }
                c = d[1] < d[0] ? 1 : 0
                protos[c] = zip(protos[c], rF).map { $0 + (($1 - $0) >> 1) }
            }
            let P = protos[c], r = src.delivered(sample: s, steps: 4)
            let num = zip(P, r).reduce(Int64(0)) { $0 + $1.0 * $1.1 }, den = P.reduce(Int64(0)) { $0 + $1 * $1 }
            let xhat = P.map { den > 0 ? ($0 * num << 3) / den : 0 }
            // x^ arrives in the x2 registers; x1 stays the presynaptic trace (8-bit, never above 255).
            #expect(hiddenPop.learning!.pre[0].x2.map { Int64($0) } == xhat, "sample \(s)")
            #expect(hiddenPop.learning!.pre[0].x1.allSatisfy { (0...255).contains($0) })
            var mods: [Int64] = []
            for i in 0..<2 {
                let theta: Int64 = RandomKey(seed: 9, stream: .perturbation).with(1).with(-1).with(start).draw(i) >= (UInt64(1) << 63) ? -1 : 1
                #expect(Int64(hiddenPop.learning!.post.r1[i]) == theta)
                mods.append(max(-32768, min(32767, (ct * theta) >> 2)))
                #expect(Int64(hiddenPop.learning!.post.modulator[i]) == mods[i])
            }
            // The hidden update, by hand: w -= (clamp32(x^_j mod_i) + low 6 bits of the draw) >> 6,
            // saturated to 8 bits; skipped where x^ or mod is 0. Draw: the sround of pc 3, keyed
            // by core, the sample's last step and block 0, for synapse j * nPost + i.
            let key = MicrocodeRandom(seed: 9, core: hiddenCore.id, step: start + 3, block: 0, scope: .synapse).key(for: .sround, pc: 3)
            for j in 0..<3 { for i in 0..<2 {
                let w0 = before[j * 2 + i]
                var w = w0
                if xhat[j] != 0 && mods[i] != 0 {
                    let product = max(Int64(Int32.min), min(Int64(Int32.max), xhat[j] * mods[i]))
                    w = max(-128, min(127, w0 - ((product + Int64(key.draw(j * 2 + i) & 63)) >> 6)))
                }
                #expect(Int64(hiddenPop.blocks[0].weights[j * 2 + i]) == w, "sample \(s) synapse \(j),\(i)")
                if w != w0 { moved += 1 }
            }}
            // The host step: 3 bytes of counters up, 3 x 4 bytes of x^ down; 3 shifts; clustering
            // once both prototypes exist (sample 3: 2 x 3 distance terms of 3 ops, 2 compares,
            // 3 x 3 for the move); the two dot products (6 MACs); den > 0 (1 compare); 3 x 3 for x^.
            expectedHost.add(HostStepCounts(executions: 1, bytesToHost: 3, bytesToChip: 12,
                                            intOps: 3 + (s == 3 ? 3 * 2 * 3 + 3 * 3 : 0) + (den > 0 ? 9 : 0),
                                            macs: 6, compares: (s == 3 ? 2 : 0) + 1))
            #expect(xhat.contains { $0 != 0 } && (s == 0 || ct != 0))
            if s == 0 { #expect(xhat == rF) }   // a fresh prototype projects r onto itself
        }
        #expect(moved > 0)
        #expect(sim.hostSteps.steps.map(\.name) == ["loco.projection"])
        #expect(sim.hostSteps.steps[0].counts == expectedHost)
        #expect(rule.stateRegisters.first { $0.name == "lossBaseline" }?.values == [Int64(b)])
        #expect(rule.stateRegisters.first { $0.name == "prototypes[0]" }?.values == protos[0] + protos[1])
    }

    @Test func memoryBroadcastsConfigAndDeterminism() throws {
        let (_, rule) = try build("{\"rule\": \"loco\", \"clusters\": 3}")
        // Per presynaptic axon an 8-bit counter and the 32-bit x^ register; the prototypes are host memory.
        #expect(rule.extraSynapseBytes == (3 * (8 + 32) + 7) / 8)
        do { _ = try build("{\"rule\": \"loco\", \"clusters\": 0}"); Issue.record("no error") } catch { #expect("\(error)".contains("$.learning.clusters")) }
        do { _ = try build("{\"rule\": \"loco\", \"etaHiden\": 3}"); Issue.record("no error") } catch { #expect("\(error)".contains("etaHiden")) }
        func run() throws -> (Trainer, [RuleStateRegister]) {
            let (sim, r) = try build("{\"rule\": \"loco\", \"clusters\": 2, \"etaHidden\": 8}")
            var t = TrainingConfig(); t.epochs = 2
            let trainer = Trainer(simulator: sim, train: ThreeChannelSource(samples: 5), test: ThreeChannelSource(samples: 3), config: t)
            try trainer.run()
            #expect(trainer.epochs[0].trainCounts[.modBroadcast] == 5)
            #expect(trainer.epochs[0].testCounts[.plastSynapse] == 0)
            return (trainer, r.stateRegisters)
        }
        let (a, ra) = try run()
        let (b, rb) = try run()
        #expect(a.epochs == b.epochs && ra == rb)
    }
}

/// LOCO at depth: three hidden layers, each hidden block projecting its own presynaptic counts.
@Suite struct LOCODepthTests {
    @Test func everyHiddenLayerProjectsItsOwnPresynapticActivityAndLearns() throws {
        let hidden = "\"neuron\": {\"du\": 4095, \"dv\": 410, \"vth\": 30}"
        let c = try ExperimentConfig(json: JSONValue.parse("""
        {"seed": 3, "network": {"layers": [
            {"name": "in", "kind": "input", "size": 3},
            {"name": "h1", "size": 4, \(hidden)}, {"name": "h2", "size": 4, \(hidden)}, {"name": "h3", "size": 4, \(hidden)},
            {"name": "out", "size": 2, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
          "connections": [{"from": "in", "to": "h1", "init": {"kind": "uniform", "low": 40, "high": 90}},
                          {"from": "h1", "to": "h2", "init": {"kind": "uniform", "low": 20, "high": 60}},
                          {"from": "h2", "to": "h3", "init": {"kind": "uniform", "low": 20, "high": 60}},
                          {"from": "h3", "to": "out", "init": {"kind": "uniform", "low": -20, "high": 20}}]},
         "chip": {"meshWidth": 2, "meshHeight": 2, "core": {"neurons": 4}},
         "run": {"steps": 6}, "learning": {"rule": "loco", "clusters": 2, "protoFrac": 2, "zoShift": 0, "etaHidden": 4, "alpha": 16}}
        """, file: "deep.json"), file: "deep.json")
        let rule = try RuleFactory.make(c.learning!, config: c) as! ScheduledRule
        let sim = Simulator(chip: try Chip(config: c))
        try sim.attach(rule: rule)
        let pops = (1...3).map { l in sim.chip.cores.flatMap(\.populations).first { $0.layer == l }! }
        // Every hidden layer on its own core: the broadcast reaches three cores.
        #expect(Set(pops.map { p in sim.chip.cores.first { $0.populations.contains { $0 === p } }!.id }).count == 3)
        // Independent oracle of each layer's presynaptic counts: spikes its presynaptic layer
        // emitted at steps 0...T-2 of the sample (delivered one step later, reset in between).
        var emitted = [[Int64]](repeating: [], count: 4)
        sim.onStep = { _, t in
            guard t < 5 else { return }
            for l in 0..<3 { for g in sim.spikesEmitted(layer: l) { emitted[l][Int(g)] += 1 } }
        }
        let weights0 = pops.map { Array($0.blocks[0].weights) }
        sim.training = true
        let src = ThreeChannelSource(samples: 3)
        for s in 0..<3 {
            emitted = [3, 4, 4, 4].map { [Int64](repeating: 0, count: $0) }
            sim.runSample(s, source: src)
            for l in 0..<3 {
                let r = emitted[l], x = pops[l].learning!.pre[0].x2.map { Int64($0) }
                // Samples 0 and 1 start fresh prototypes: x^ is r << F exactly (a nonzero r
                // projects onto itself); the spikes must reach every depth for the test to bite.
                if s < 2 { #expect(r.contains { $0 > 0 }, "layer \(l + 1) sample \(s)"); #expect(x == r.map { $0 << 2 }, "layer \(l + 1) sample \(s)") }
            }
        }
        // One host-step execution per hidden block and sample; every hidden layer moved.
        #expect(sim.hostSteps.steps[0].counts.executions == 9)
        #expect(sim.hostSteps.steps[0].counts.bytesToHost == 3 * (3 + 4 + 4))
        for l in 0..<3 { #expect(Array(pops[l].blocks[0].weights) != weights0[l], "layer \(l + 1) did not learn") }
    }

    /// A hidden layer split over two cores: one connection, so one projection per sample (the
    /// counters of the first core's block are read) and x^ written to both cores' blocks.
    @Test func aSplitLayerIsProjectedOnceAndWrittenToEveryCore() throws {
        let c = try ExperimentConfig(json: JSONValue.parse("""
        {"seed": 3, "network": {"layers": [
            {"name": "in", "kind": "input", "size": 3},
            {"name": "h", "size": 4, "neuron": {"du": 4095, "dv": 410, "vth": 30}},
            {"name": "out", "size": 2, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
          "connections": [{"from": "in", "to": "h", "init": {"kind": "uniform", "low": -60, "high": 60}},
                          {"from": "h", "to": "out", "init": {"kind": "uniform", "low": -20, "high": 20}}]},
         "chip": {"meshWidth": 2, "meshHeight": 2, "core": {"neurons": 2}},
         "run": {"steps": 4}, "learning": {"rule": "loco", "clusters": 2, "protoFrac": 3}}
        """, file: "split.json"), file: "split.json")
        let rule = try RuleFactory.make(c.learning!, config: c) as! ScheduledRule
        let sim = Simulator(chip: try Chip(config: c))
        try sim.attach(rule: rule)
        let pops = sim.chip.cores.flatMap(\.populations).filter { $0.layer == 1 }
        #expect(pops.count == 2)
        sim.training = true
        let src = ThreeChannelSource(samples: 3)
        for s in 0..<3 {
            sim.runSample(s, source: src)
            if s < 2 {   // fresh prototypes: x^ = r << F on both cores
                let expected = src.delivered(sample: s, steps: 4).map { $0 << 3 }
                for p in pops { #expect(p.learning!.pre[0].x2.map { Int64($0) } == expected, "sample \(s)") }
            }
        }
        let h = sim.hostSteps.steps[0].counts
        #expect(h.executions == 3 && h.bytesToHost == 3 * 3 && h.bytesToChip == 3 * 2 * 3 * 4)
        // One prototype set for the connection (host state), not one per core.
        #expect(rule.stateRegisters.filter { $0.name.hasPrefix("prototypes[") }.count == 1)
        #expect(rule.extraSynapseBytes == 2 * ((3 * (8 + 32) + 7) / 8))
    }
}
