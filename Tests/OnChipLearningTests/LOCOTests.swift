import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

private func build(_ learning: String) throws -> (Simulator, LOCORule) {
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
    return (sim, rule as! LOCORule)
}

@Suite struct LOCOTests {
    @Test func clustersProjectionAndModulatorMatchAReference() throws {
        let (sim, rule) = try build("{\"rule\": \"loco\", \"clusters\": 2, \"protoShift\": 1, \"protoFrac\": 3, \"zoShift\": 2, \"baselineShift\": 1}")
        rule.baseline = 5000; rule.samplesSeen = 1   // baseline valid, no prototype yet
        var readout: [[Int32]] = []
        sim.onStep = { _, _ in
            let p = sim.chip.cores.flatMap(\.populations).first { $0.layer == 2 }!
            readout.append(Array(p.learning!.post.v))
        }
        sim.training = true
        let src = ThreeChannelSource(samples: 4)
        let unit = LossUnit(LossUnitParameters(outputShift: 12, ceWeight: 64, mseWeight: 0))
        var b: Int64 = 5000
        var protos: [[Int64]] = []
        let hiddenPop = sim.chip.cores.flatMap(\.populations).first { $0.layer == 1 }!
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
            #expect(hiddenPop.learning!.pre[0].x1.map { Int64($0) } == xhat, "sample \(s)")
            for i in 0..<2 {
                let theta: Int64 = RandomKey(seed: 9, stream: .perturbation).with(1).with(-1).with(start).draw(i) >= (UInt64(1) << 63) ? -1 : 1
                #expect(Int64(hiddenPop.learning!.post.r1[i]) == theta)
                #expect(Int64(hiddenPop.learning!.post.modulator[i]) == max(-32768, min(32767, (ct * theta) >> 2)))
            }
            #expect(xhat.contains { $0 != 0 } && (s == 0 || ct != 0))
            if s == 0 { #expect(xhat == rF) }   // a fresh prototype projects r onto itself
        }
        #expect(rule.stateRegisters[0].values == [Int64(b)])
        #expect(rule.stateRegisters[2].name == "prototypes[0]" && rule.stateRegisters[2].values == protos[0] + protos[1])
    }

    @Test func memoryBroadcastsConfigAndDeterminism() throws {
        let (_, rule) = try build("{\"rule\": \"loco\", \"clusters\": 3}")
        #expect(rule.extraSynapseBytes == (3 * 3 * 16 + 3 * 8 + 7) / 8)
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
