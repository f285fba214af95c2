import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

/// 3-2-2, T = 4. `learning` is the JSON of the learning section; `chip` an optional chip section.
private func config(_ learning: String, chip: String = "{}") throws -> ExperimentConfig {
    try ExperimentConfig(json: JSONValue.parse("""
    {"seed": 5, "chip": \(chip), "network": {"layers": [
        {"name": "in", "kind": "input", "size": 3},
        {"name": "h", "size": 2, "neuron": {"du": 4095, "dv": 410, "vth": 30}},
        {"name": "out", "size": 2, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
      "connections": [{"from": "in", "to": "h", "init": {"kind": "uniform", "low": -126, "high": 126}},
                      {"from": "h", "to": "out", "init": {"kind": "uniform", "low": -20, "high": 20}}]},
     "run": {"steps": 4}, "learning": \(learning)}
    """, file: "wp.json"), file: "wp.json")
}

private func build(_ learning: String, chip: String = "{}") throws -> (Simulator, WeightPerturbationRule, ExperimentConfig) {
    let c = try config(learning, chip: chip)
    let rule = try RuleFactory.make(c.learning!, config: c)
    let sim = Simulator(chip: try Chip(config: c))
    try sim.attach(rule: rule)
    return (sim, rule as! WeightPerturbationRule, c)
}

/// Every forward block of every core: (layer, connection, firstNeuron, block).
private func blocks(_ sim: Simulator) -> [(layer: Int, connection: Int, first: Int, block: SynapseBlock)] {
    sim.chip.cores.flatMap { c in c.populations.flatMap { p in p.blocks.map { (p.layer, $0.connection, p.firstNeuron, $0) } } }
}

/// The spec's code, written independently: Rademacher +-delta from the top bit of the draw, or
/// round-half-away(delta z) clipped to +-clip delta, z the PRNG unit's 6-uniform Gaussian.
private func referenceCode(seed: UInt64, layer: Int, connection: Int, period: Int, index: Int, delta: Int, gaussianClip: Int?) -> Int64 {
    let key = RandomKey(seed: seed, stream: .perturbation).with(layer).with(connection).with(period)
    guard let clip = gaussianClip else { return key.draw(index) >= (UInt64(1) << 63) ? -Int64(delta) : Int64(delta) }
    // Six 10-bit uniforms from bits 4...63 of the draw, summed, centred, scaled by 23170 / 2^24.
    let d = key.draw(index)
    let S = (0..<6).reduce(0) { $0 + Int((d >> UInt64(4 + 10 * $1)) & 1023) }
    let z = Double(delta) * Double((S - 3069) * 23170) / 16_777_216
    let r = Int64(z < 0 ? -(-z + 0.5).rounded(.down) : (z + 0.5).rounded(.down))
    return Swift.max(-Int64(clip * delta), Swift.min(Int64(clip * delta), r))
}

@Suite struct WeightPerturbationTests {
    @Test(arguments: [("mgd_wp", 3, nil), ("fwd_grad", 2, 2)] as [(String, Int, Int?)])
    func perturbationIsTheIndependentlyDrawnCodeAndIsRestoredExactly(rule: String, delta: Int, clip: Int?) throws {
        let (sim, r, c) = try build("{\"rule\": \"\(rule)\", \"delta\": \(delta)\(clip.map { ", \"codeClip\": \($0)" } ?? "")}")
        let cmax = Int64(delta * (clip ?? 1))
        let w0 = blocks(sim).map(\.block.weights)
        // Clean weights lie inside the margin [-128 + cmax, 127 - cmax] (init spans -126...126).
        for w in w0 { for x in w { #expect(Int64(x) >= -128 + cmax && Int64(x) <= 127 - cmax) } }
        let ctx = StepContext(sample: 0, step: 0, stepsPerSample: 4, globalStep: 77, label: 1, training: true)
        r.beginSample(simulator: sim, context: ctx)
        var sawNonUnit = false
        for (k, b) in blocks(sim).enumerated() {
            let size = sim.chip.layers[b.layer].size
            for i in 0..<b.block.nPre {
                for j in 0..<b.block.nPost {
                    let code = referenceCode(seed: c.seed, layer: b.layer, connection: b.connection, period: 77,
                                             index: i * size + b.first + j, delta: delta, gaussianClip: clip)
                    #expect(Int64(b.block.weights[i * b.block.nPost + j]) == Int64(w0[k][i * b.block.nPost + j]) + code)
                    if abs(code) != Int64(delta) { sawNonUnit = true }
                }
            }
        }
        if clip != nil { #expect(sawNonUnit) }
        // End of the period with C~ = 0 and no update: W is restored bit for bit, G stays 0.
        _ = r.endPeriod(period: 77, costDelta: 0, update: false, step: 80)
        #expect(blocks(sim).map(\.block.weights) == w0)
        for b in blocks(sim) { #expect(b.block.aux.allSatisfy { $0 == 0 }) }
    }

    @Test func accumulationOverTwoSamplesAndUpdateMatchAWideIntegerReference() throws {
        // tauP = T = 4, tauTheta = 8 (two samples), eta = 0 (sround exact), productShift 6, no Gamma.
        let (sim, r, c) = try build("{\"rule\": \"mgd_wp\", \"delta\": 2, \"tauTheta\": 8, \"eta\": 0, \"gamma\": false, \"productShift\": 6, \"auxBits\": 32, \"baselineShift\": 2}")
        let w0 = blocks(sim).map(\.block.weights)
        // Baseline already valid: b = 20000.
        r.baseline = 20000; r.periodsSeen = 1
        var readout: [[Int32]] = []   // readout v at every step (read from the engine's state)
        sim.onStep = { _, _ in
            var o = [Int32](repeating: 0, count: 2)
            for core in sim.chip.cores { for p in core.populations where p.layer == 2 { for j in 0..<p.count { o[p.firstNeuron + j] = p.learning!.post.v[j] } } }
            readout.append(o)
        }
        sim.training = true
        let src = ThreeChannelSource(samples: 2)
        let starts = [sim.globalStep, sim.globalStep + 4]
        sim.runSample(0, source: src)
        let afterFirst = blocks(sim).map(\.block.weights)
        #expect(afterFirst == w0)   // restored, not yet updated
        sim.runSample(1, source: src)
        // Reference: C = round-half-up(mean of -ln p_label * 2^14), C~ = C - b, b += C~ >> 2.
        let unit = LossUnit(LossUnitParameters(outputShift: 12, ceWeight: 64, mseWeight: 0))
        var b: Int64 = 20000
        var deltas: [Int64] = []
        for s in 0..<2 {
            var sum: Int64 = 0
            for t in 0..<4 {
                let p = unit.probabilities(readout[s * 4 + t])[s % 2]
                sum += Int64((-log(Double(max(1, p)) / 16384) * 16384).rounded())
            }
            let C = (sum + 2) / 4
            deltas.append(C - b)
            b += (C - b) >> 2
        }
        #expect(deltas.contains { $0 != 0 })
        for (k, blk) in blocks(sim).enumerated() {
            let size = sim.chip.layers[blk.layer].size
            for i in 0..<blk.block.nPre {
                for j in 0..<blk.block.nPost {
                    var G: Int64 = 0
                    for s in 0..<2 {
                        let code = referenceCode(seed: c.seed, layer: blk.layer, connection: blk.connection, period: starts[s],
                                                 index: i * size + blk.first + j, delta: 2, gaussianClip: nil)
                        G += (deltas[s] * code + 32) >> 6
                    }
                    let idx = i * blk.block.nPost + j
                    let expected = Swift.max(-126, Swift.min(125, Int64(w0[k][idx]) - G))
                    #expect(Int64(blk.block.weights[idx]) == expected, "block \(k) synapse \(idx)")
                    #expect(blk.block.aux[idx] == 0)
                }
            }
        }
        // Baseline and period counters are kept for checkpoints.
        let saved = r.stateRegisters
        #expect(saved.map(\.name) == ["baseline", "periodsSeen", "periodsSinceUpdate"])
        #expect(saved.map(\.values) == [[b], [3], [0]])
    }

    @Test func memoryAndBroadcastsAreCounted() throws {
        // Two neurons per core: hidden and output on different cores, so C~ crosses the mesh.
        let (sim, r, _) = try build("{\"rule\": \"mgd_wp\", \"tauP\": 2}", chip: "{\"meshWidth\": 2, \"core\": {\"neurons\": 2}}")
        #expect(r.perturbedCores.count == 2)
        // G registers: 3x2 and 2x2 synapses at 16 bits.
        #expect(r.extraSynapseBytes == 12 + 8)
        #expect(sim.chip.cores.reduce(0) { $0 + $1.synapseBytes } == 6 + 4 + 20)
        var t = TrainingConfig(); t.epochs = 1
        let trainer = Trainer(simulator: sim, train: ThreeChannelSource(samples: 3), test: ThreeChannelSource(samples: 2), config: t)
        try trainer.run()
        let c = trainer.epochs[0].trainCounts
        // 3 samples x 2 periods, one mod.broadcast per perturbed core per period.
        #expect(c[.modBroadcast] == 3 * 2 * 2)
        // Synapse visits: per period 10 restores + updates, plus 10 perturbation writes.
        #expect(c[.plastSynapse] == 3 * 2 * 20)
        let learningHops = sim.meshCounts.byPhase[Phase.learning.rawValue]
        #expect(learningHops[.hopEW] + learningHops[.hopNS] >= 3 * 2)   // 6 broadcast packets, >= 1 hop each
        #expect(trainer.epochs[0].testCounts[.plastSynapse] == 0)
    }

    @Test(arguments: [(0, "mgd_wp"), (6, "mgd_wp"), (6, "fwd_grad")])
    func learningCountsAreThoseOfThePrograms(productShift: Int, rule: String) throws {
        // 3-2-2, one core, T = 4, tauP = 2 = tauTheta: per sample one perturb pass at beginSample,
        // and per period one end-of-period pass with the update and (first period) one perturb pass.
        let (sim, r, _) = try build("{\"rule\": \"\(rule)\", \"tauP\": 2, \"productShift\": \(productShift)}")
        var t = TrainingConfig(); t.epochs = 1
        let trainer = Trainer(simulator: sim, train: ThreeChannelSource(samples: 3), test: ThreeChannelSource(samples: 1), config: t)
        try trainer.run()
        // The learning phase's counts (delivery and neuron updates read SRAM too).
        var c = ActionCounts()
        for core in sim.chip.cores { c.add(core.counts.byPhase[Phase.learning.rawValue]) }
        #expect(c[.plastInstr] == trainer.epochs[0].trainCounts[.plastInstr])
        let visits: UInt64 = 6 + 4   // synapses of the two forward blocks
        let periods: UInt64 = 3 * 2
        // Per visit, written out from WeightPerturbationPrograms: perturb = code, ld w, add, st w (4);
        // end with update = code, ld w, sub, ld r0, mul, [ldi, add, sh when productShift > 0], ld aux, add,
        // sat, srk, sub, ldi, max, ldi, min, st w, st aux (16 or 19).
        let perturb: UInt64 = 4, endUpdate: UInt64 = productShift == 0 ? 16 : 19
        // Loss unit per step: softmax 6 m, log table, accumulate into S; per period 4 controller instructions.
        let loss = UInt64(12 * (6 * 2 + NegativeLogTable.instructions + 1)) + periods * 4
        #expect(c[.plastInstr] == periods * visits * (perturb + endUpdate) + loss)
        #expect(c[.plastSynapse] == periods * visits * 2)
        // One draw per code; one more per update (srk).
        #expect(c[.prngDraw] == periods * visits * (1 + 2))
        // 8-bit weights, 16-bit G: perturb reads and writes w; the end pass reads and writes w and G.
        #expect(c[.sramReadBits] == periods * visits * (8 + 8 + 16))
        #expect(c[.sramWriteBits] == periods * visits * (8 + 8 + 16))
        // Cycles of one program pass on one lane: the sum of its instructions' cycles.
        let gauExtra = rule == "fwd_grad" ? 1 : 0
        #expect(r.perturbProgram.cyclesPerElement == 2 + 1 + 1 + 1 + gauExtra)
        #expect(r.targets[0].update.cyclesPerElement == (productShift == 0 ? 19 : 22) + gauExtra)
        #expect(r.restoreProgram.instructions.count == (productShift == 0 ? 9 : 12))
    }

    @Test func theProgramsInTheDocsAreTheRulesPrograms() throws {
        // docs/LEARNING.md shows the perturb and endPeriod programs for mgd_wp with delta 4,
        // productShift 6, 16-bit G, eta_l 8 and 8-bit weights: they must be what the rule runs.
        let doc = try String(contentsOfFile: repoRoot + "/docs/LEARNING.md", encoding: .utf8)
        let start = try #require(doc.range(of: "; weight perturbation, start of a period"))
        let end = try #require(doc.range(of: "```", range: start.upperBound..<doc.endIndex))
        let text = doc[start.lowerBound..<end.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.drop(while: { $0 == " " }) }.joined(separator: "\n")
        let parts = text.components(separatedBy: "\n\n")
        #expect(parts.count == 2)
        var p = WeightPerturbationParameters()
        p.delta = 4; p.productShift = 6; p.auxBits = 16
        #expect(try MicrocodeAssembler.assemble(parts[0]) == MicrocodeAssembler.assemble(WeightPerturbationPrograms.perturb(p)))
        #expect(try MicrocodeAssembler.assemble(parts[1])
                == MicrocodeAssembler.assemble(WeightPerturbationPrograms.endPeriod(p, update: true, eta: 8, weightRange: -124...123)))
    }

    @Test func configErrorsNameTheJSONPath() throws {
        func message(_ learning: String) -> String {
            do { _ = try build(learning); return "no error" } catch { return "\(error)" }
        }
        #expect(message("{\"rule\": \"mgd_wp\", \"tauP\": 3}").contains("$.learning.tauP"))
        #expect(message("{\"rule\": \"mgd_wp\", \"tauTheta\": 6, \"tauP\": 4}").contains("$.learning.tauTheta"))
        #expect(message("{\"rule\": \"fwd_grad\", \"tauTheta\": 8}").contains("$.learning.tauTheta"))
        #expect(message("{\"rule\": \"mgd_wp\", \"delta\": 0}").contains("$.learning.delta"))
        #expect(message("{\"rule\": \"mgd_wp\", \"loss\": {\"ceWeight\": 10}}").contains("$.learning.loss"))
        #expect(message("{\"rule\": \"mgd_wp\", \"deltaa\": 1}").contains("deltaa"))
    }

    @Test func trainingIsDeterministicAndResolvesTheConfig() throws {
        func run() throws -> (Trainer, [ContiguousArray<Int16>], JSONValue) {
            let (sim, r, _) = try build("{\"rule\": \"fwd_grad\", \"delta\": 2, \"eta\": 6}")
            var t = TrainingConfig(); t.epochs = 2
            let trainer = Trainer(simulator: sim, train: ThreeChannelSource(samples: 6), test: ThreeChannelSource(samples: 3), config: t)
            try trainer.run()
            return (trainer, blocks(sim).map(\.block.weights), r.parametersJSON)
        }
        let (a, wa, ja) = try run()
        let (b, wb, _) = try run()
        #expect(a.epochs == b.epochs && wa == wb)
        #expect(ja["tauP"] == .int(4) && ja["tauTheta"] == .int(4) && ja["rule"] == .string("fwd_grad"))
    }
}
