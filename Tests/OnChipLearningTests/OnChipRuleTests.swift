import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

/// A tiny separable task: class c lights channels [8c, 8c + 8) at a high rate.
struct TwoPatternSource: SpikeSource {
    let channels = 16
    let samples: Int
    func label(sample: Int) -> Int? { sample % 2 }
    func spikes(sample: Int, step: Int, into out: inout ContiguousArray<Int32>) {
        let key = RandomKey(seed: 3, stream: .inputEncoder).with(sample).with(step)
        let c = sample % 2
        for ch in 0..<16 where key.bernoulli(ch, numerator: (ch / 8 == c) ? 3 : 0, denominator: 4) { out.append(Int32(ch)) }
    }
}

func tinyConfig(rule: String) throws -> ExperimentConfig {
    try ExperimentConfig(json: JSONValue.parse("""
    {"seed": 2, "network": {"layers": [
        {"name": "in", "kind": "input", "size": 16},
        {"name": "h", "size": 24, "neuron": {"du": 4095, "dv": 410, "vth": 40}},
        {"name": "out", "size": 2, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
      "connections": [{"from": "in", "to": "h", "init": {"kind": "uniform", "low": -30, "high": 60}},
                      {"from": "h", "to": "out", "init": {"kind": "constant", "value": 0}}]},
     "run": {"steps": 8}, "learning": {"rule": "\(rule)"}}
    """, file: "tiny.json"), file: "tiny.json")
}

func trainTiny(rule: String, parameters: (inout ErrorBroadcastParameters) -> Void = { _ in }) throws -> (Trainer, Simulator) {
    let config = try tinyConfig(rule: rule)
    var p = try LearningConfig.decode(config.learning!, file: "tiny.json")
    p.etaReadout = 14; p.etaHidden = 16; p.gShift = 16; p.lambdaShift = 8
    parameters(&p)
    let sim = Simulator(chip: try Chip(config: config))
    try sim.attach(rule: ErrorBroadcastRule(p))
    var t = TrainingConfig(); t.epochs = 2
    let trainer = Trainer(simulator: sim, train: TwoPatternSource(samples: 60), test: TwoPatternSource(samples: 40), config: t)
    try trainer.run()
    return (trainer, sim)
}

@Suite struct OnChipRuleTests {
    @Test func readoutRuleLearnsASeparableTaskFromZeroWeights() throws {
        let (trainer, _) = try trainTiny(rule: "readout")
        // Zero readout weights predict class 0 for everything: 50%. Learning must beat that clearly.
        #expect(trainer.epochs.last!.testAccuracy >= 0.9, "\(trainer.epochs.map(\.testAccuracy))")
    }

    @Test func opzoTrainingIsDeterministicAndCountsLearningWork() throws {
        let (a, simA) = try trainTiny(rule: "opzo")
        let (b, simB) = try trainTiny(rule: "opzo")
        #expect(a.epochs == b.epochs)
        #expect(simA.chip.cores[0].populations[0].blocks[0].weights == simB.chip.cores[0].populations[0].blocks[0].weights)
        let c = a.epochs[0].trainCounts
        #expect(c[.plastSynapse] > 0 && c[.plastInstr] > c[.plastSynapse] && c[.prngDraw] > 0 && c[.traceUpdate] > 0)
        // Test passes do not learn: no plasticity work is counted in them.
        #expect(a.epochs[0].testCounts[.plastSynapse] == 0)
        #expect(a.epochs.last!.testAccuracy >= 0.9, "\(a.epochs.map(\.testAccuracy))")
    }

    @Test func threeFactorProgramIsAnUnbiasedStochasticallyRoundedUpdate() throws {
        // x1 = 10, mod = -300, eta = 4: dw = -(10 * -300) / 16 = +187.5 -> 187 or 188, mean 187.5.
        let program = try MicrocodeAssembler.assemble(OPZOPrograms.threeFactor(etaShift: 4, gatePsi: true))
        let n = 4000
        var block = SynapseBlock(nPre: 1, nPost: n, weightBits: 9, auxBits: 0)
        var pre = PreSynapticTraces(count: 1, x1: .unused)
        pre.x1[0] = 10
        var post = PostSynapticState(count: n, y1: .unused)
        for j in 0..<n { post.modulator[j] = -300; post.r2[j] = Int32(j % 2) }   // psi = 0 for even j: skipped
        var counts = ActionCounts()
        let r = PlasticityUnit().runSynapseScope(program, block: &block, pre: pre, post: post,
                                                 random: MicrocodeRandom(seed: 1, core: 0, step: 0, block: 0, scope: .synapse), counts: &counts)
        #expect(r.executed == n / 2 && r.skipped == n / 2)
        var sum = 0
        for j in 0..<n {
            let w = Int(block.weights[j])
            if j % 2 == 0 { #expect(w == 0) } else { #expect(w == 187 || w == 188); sum += w }
        }
        let mean = Double(sum) / Double(n / 2)
        // Bernoulli(1/2) rounding: standard error 0.5 / sqrt(2000) ~ 0.011.
        #expect(abs(mean - 187.5) < 0.06)
        #expect(counts[.plastSynapse] == UInt64(n / 2))
    }

    @Test func momentumProgramMatchesItsFormula() throws {
        // M = 1 << 20, K = 4, o = 300, z = -8, S = 2: M - sround(M / 16) + (300 * -8) / 4
        // M / 16 = 65536 exactly (no rounding) -> 1048576 - 65536 - 600 = 982440.
        let program = try MicrocodeAssembler.assemble(OPZOPrograms.momentum(lambdaShift: 4, productShift: 2))
        var block = SynapseBlock(nPre: 1, nPost: 1, weightBits: 1, auxBits: 32)
        block.aux[0] = 1 << 20
        var pre = PreSynapticTraces(count: 1, x1: .unused)
        pre.x2[0] = 300
        var post = PostSynapticState(count: 1, y1: .unused)
        post.r1[0] = -8
        var counts = ActionCounts()
        _ = PlasticityUnit().runSynapseScope(program, block: &block, pre: pre, post: post,
                                             random: MicrocodeRandom(seed: 1, core: 0, step: 0, block: 0, scope: .synapse), counts: &counts)
        #expect(block.aux[0] == 982_440)
    }

    @Test func accumulateProgramAddsThePsiGatedModulatorToR3() throws {
        // Hidden (gated): r3 += r2 * mod; readout: r3 += mod. Hand values per neuron.
        let gated = try MicrocodeAssembler.assemble(OPZOPrograms.accumulate(gated: true))
        let plain = try MicrocodeAssembler.assemble(OPZOPrograms.accumulate(gated: false))
        var post = PostSynapticState(count: 3, y1: .unused)
        post.modulator = [-300, 500, 7]; post.r2 = [1, 0, 1]; post.r3 = [10, 20, Int32.max - 3]
        var counts = ActionCounts()
        let unit = PlasticityUnit()
        let rnd = MicrocodeRandom(seed: 1, core: 0, step: 0, block: 0, scope: .neuron)
        _ = unit.runNeuronScope(gated, neurons: &post, random: rnd, counts: &counts)
        // 10 - 300, 20 + 0 (psi 0), 2^31 - 4 + 7 saturates to 2^31 - 1.
        #expect(Array(post.r3) == [-290, 20, Int32.max])
        _ = unit.runNeuronScope(plain, neurons: &post, random: rnd, counts: &counts)
        #expect(Array(post.r3) == [-590, 520, Int32.max])
        let clear = try MicrocodeAssembler.assemble(OPZOPrograms.clearAccumulator)
        _ = unit.runNeuronScope(clear, neurons: &post, random: rnd, counts: &counts)
        #expect(Array(post.r3) == [0, 0, 0])
    }

    @Test func epochUpdateUsesTheAccumulatorAndSkipsZeroRows() throws {
        // x1 = 6, r3 = 1000, eta = 5: dw = -(6000 / 32) = -187.5 -> -187 or -188; x1 = 0 skipped.
        let program = try MicrocodeAssembler.assemble(OPZOPrograms.epochUpdate(etaShift: 5))
        let n = 2000
        var block = SynapseBlock(nPre: 2, nPost: n, weightBits: 9, auxBits: 0)
        var pre = PreSynapticTraces(count: 2, x1: .unused)
        pre.x1[0] = 6
        var post = PostSynapticState(count: n, y1: .unused)
        for j in 0..<n { post.r3[j] = j < n / 2 ? 1000 : 0 }
        var counts = ActionCounts()
        let r = PlasticityUnit().runSynapseScope(program, block: &block, pre: pre, post: post,
                                                 random: MicrocodeRandom(seed: 1, core: 0, step: 0, block: 0, scope: .synapse), counts: &counts)
        #expect(r.executed == n / 2)
        var sum = 0
        for j in 0..<n {
            let w = Int(block.weights[j]), w2 = Int(block.weights[n + j])
            #expect(w2 == 0)
            if j < n / 2 { #expect(w == -187 || w == -188); sum += w } else { #expect(w == 0) }
        }
        #expect(abs(Double(sum) / Double(n / 2) + 187.5) < 0.08)
    }

    @Test func learningEpochRunsTheForwardUpdateOncePerEpochAndClearsTheAccumulator() throws {
        // T = 8 steps per sample. The readout block is 24 x 2; with tEpoch = 8 the epoch program
        // runs once per training sample, so at most 48 synapse executions per sample come from
        // the readout and 16 x 24 from the hidden block; every step's accumulate runs on 26 neurons.
        var t = TrainingConfig(); t.epochs = 1
        var forwardCounts: [Int: UInt64] = [:]
        for tEpoch in [1, 4, 8] {
            let config = try tinyConfig(rule: "opzo")
            var p = try LearningConfig.decode(config.learning!, file: "tiny.json")
            p.etaReadout = 14; p.etaHidden = 16; p.gShift = 16; p.lambdaShift = 8; p.tEpoch = tEpoch
            let sim = Simulator(chip: try Chip(config: config))
            try sim.attach(rule: ErrorBroadcastRule(p))
            let trainer = Trainer(simulator: sim, train: TwoPatternSource(samples: 20), test: TwoPatternSource(samples: 4), config: t)
            try trainer.run()
            // Forward updates = all executions minus the momentum's (2 x 24 feedback synapses, every step).
            forwardCounts[tEpoch] = trainer.epochs[0].trainCounts[.plastSynapse] - UInt64(20 * 8 * 48)
            // Every epoch ends by a sample's last step, so no accumulator survives the sample.
            for pop in sim.chip.cores.flatMap(\.populations) where pop.learning != nil {
                #expect(pop.learning!.post.r3.allSatisfy { $0 == 0 })
            }
        }
        let perEpochBound = UInt64(20 * (48 + 16 * 24))      // 20 samples x every forward synapse once
        #expect(forwardCounts[8]! <= perEpochBound && forwardCounts[8]! > 0)
        #expect(forwardCounts[4]! <= 2 * perEpochBound && forwardCounts[4]! > forwardCounts[8]!)
        #expect(forwardCounts[1]! > forwardCounts[4]!)
    }

    @Test func heldNoiseIsConstantOverALearningEpochAndTheMomentumRunsOncePerEpoch() throws {
        let config = try tinyConfig(rule: "opzo")
        var p = try LearningConfig.decode(config.learning!, file: "tiny.json")
        p.tEpoch = 4; p.holdNoise = true; p.alpha = 5
        let sim = Simulator(chip: try Chip(config: config))
        let rule = ErrorBroadcastRule(p)
        try sim.attach(rule: rule)
        let core = sim.chip.cores[0]
        let hidden = core.populations.first { $0.layer == 1 }!
        // The noise added at steps 0...7 of sample 3 (global steps 24...31).
        var added: [[Int64]] = []
        var draws: UInt64 = 0
        for t in 0..<8 {
            var a = [Int64](repeating: 0, count: hidden.count)
            var c = ActionCounts()
            a.withUnsafeMutableBufferPointer { buf in
                rule.beforeNeuronUpdate(core: core, population: hidden, aIn: buf,
                                        context: StepContext(sample: 3, step: t, stepsPerSample: 8, globalStep: 24 + t, label: 0, training: true),
                                        counts: &c)
            }
            draws += c[.prngDraw]
            added.append(a)
        }
        // Rademacher +-alpha, one independent draw per epoch: steps 0-3 share the draw keyed by
        // global step 24, steps 4-7 the one keyed by 28.
        let key0 = RandomKey(seed: 2, stream: .neuronNoise).with(1).with(24)
        let key1 = RandomKey(seed: 2, stream: .neuronNoise).with(1).with(28)
        for j in 0..<hidden.count {
            let z0: Int64 = (key0.draw(hidden.firstNeuron + j) >> 63) == 0 ? 5 : -5
            let z1: Int64 = (key1.draw(hidden.firstNeuron + j) >> 63) == 0 ? 5 : -5
            for t in 0..<4 { #expect(added[t][j] == z0) }
            for t in 4..<8 { #expect(added[t][j] == z1) }
        }
        #expect(added[0] != added[4])
        #expect(draws == UInt64(2 * hidden.count))       // drawn at each epoch's first step only

        // Training: the 2 x 24 feedback synapses run once per epoch (2 per sample), not every
        // step. With a zero trace impulse x1 stays 0 and every forward update is skipped
        // (.require x1), so all synapse executions counted are the momentum's.
        p.trace = TraceParameters(bits: 8, decay: 410, impulse: 0, rounding: .stochastic)
        let sim2 = Simulator(chip: try Chip(config: config))
        try sim2.attach(rule: ErrorBroadcastRule(p))
        var t = TrainingConfig(); t.epochs = 1
        let trainer = Trainer(simulator: sim2, train: TwoPatternSource(samples: 10), test: TwoPatternSource(samples: 2), config: t)
        try trainer.run()
        #expect(trainer.epochs[0].trainCounts[.plastSynapse] == UInt64(10 * 2 * 48))
    }

    @Test func noiseFilledInLanesEqualsTheScalarDrawForBothKinds() throws {
        // 11 neurons from neuron 5: two four-lane groups and a tail of 3. Rademacher against the
        // sign bit written out by hand, Gaussian against the PRNG unit's Gaussian written out by hand.
        let config = try tinyConfig(rule: "opzo")
        var p = try LearningConfig.decode(config.learning!, file: "tiny.json")
        p.alpha = 7
        let key = RandomKey(seed: 4, stream: .neuronNoise).with(1).with(9)
        for kind in [ErrorBroadcastParameters.Noise.rademacher, .gaussian] {
            p.noise = kind
            let rule = ErrorBroadcastRule(p)
            var z = [Int64](repeating: 99, count: 11)
            z.withUnsafeMutableBufferPointer { rule.fillNoise(key, firstNeuron: 5, into: $0) }
            for j in 0..<11 {
                // Gaussian: round-half-away(7 z), z = (sum of the six 10-bit fields of bits 4...63 - 3069) x 23170 / 2^24.
                let d = key.draw(5 + j)
                let S = (0..<6).reduce(0) { $0 + Int((d >> UInt64(4 + 10 * $1)) & 1023) }
                let g = 7 * Double((S - 3069) * 23170) / 16_777_216
                let gaussian = Int64(g < 0 ? -(-g + 0.5).rounded(.down) : (g + 0.5).rounded(.down))
                let expected: Int64 = kind == .rademacher ? ((key.draw(5 + j) >> 63) == 0 ? 7 : -7) : gaussian
                #expect(z[j] == expected, "\(kind) neuron \(5 + j)")
            }
        }
    }

    @Test func heldNoiseKeysBelongToTheStepsLearningEpoch() throws {
        // tEpoch 4, held: local steps 0-3 of a sample starting at global step 40 draw with the
        // key of step 40, steps 4-7 with 44; per-step noise draws with the step's own key.
        let config = try tinyConfig(rule: "mgd_np")
        var p = try LearningConfig.decode(config.learning!, file: "tiny.json")
        p.tEpoch = 4; p.holdNoise = true
        let held = ErrorBroadcastRule(p)
        #expect((0..<8).map { held.noiseStep(localStep: $0, globalStep: 40 + $0) } == [40, 40, 40, 40, 44, 44, 44, 44])
        p.holdNoise = false
        let fresh = ErrorBroadcastRule(p)
        #expect((0..<8).map { fresh.noiseStep(localStep: $0, globalStep: 40 + $0) } == Array(40..<48))
    }

    @Test func opzoMomentumStartsAtZeroOrAtTheKeyedUniformDraw() throws {
        let config = try tinyConfig(rule: "opzo")
        for scale in [0, 1000] {
            var p = try LearningConfig.decode(config.learning!, file: "tiny.json")
            p.mInitScale = scale
            let sim = Simulator(chip: try Chip(config: config))
            let rule = ErrorBroadcastRule(p)
            try sim.attach(rule: rule)
            let f = rule.feedback[0]
            let key = RandomKey(seed: 2, stream: .weightInit).with(-2).with(f.population.layer)
            let n = f.population.count
            for k in 0..<2 {
                for j in 0..<n {
                    // uniform in [-scale, scale]: floor(u32 * (2 scale + 1) / 2^32) - scale
                    let u = key.draw(k << 24 + f.population.firstNeuron + j) >> 32
                    // (Swift's >> binds tighter than *: the product must be parenthesised; an
                    // unparenthesised copy of this line made every entry -scale once.)
                    let expected = scale == 0 ? 0 : Int((u * UInt64(2 * scale + 1)) >> 32) - scale
                    #expect(Int(f.block.aux[k * n + j]) == expected)
                }
            }
            if scale > 0 {
                #expect(f.block.aux.contains { $0 != 0 } && f.block.aux.allSatisfy { abs($0) <= 1000 })
                // Uniform, not constant: both signs occur and the entries differ.
                #expect(f.block.aux.contains { $0 > 0 } && f.block.aux.contains { $0 < 0 })
                #expect(Set(f.block.aux).count > f.block.aux.count / 2)
            }
        }
    }

    @Test func postNeuronNoiseReachesTheReadoutAsGradedInputOneStepLater() throws {
        let config = try tinyConfig(rule: "opzo")
        var p = try LearningConfig.decode(config.learning!, file: "tiny.json")
        p.postNeuronNoise = true; p.alpha = 300
        let sim = Simulator(chip: try Chip(config: config))
        let rule = ErrorBroadcastRule(p)
        try sim.attach(rule: rule)
        let core = sim.chip.cores[0]
        let hidden = core.populations.first { $0.layer == 1 }!, out = core.populations.first { $0.layer == 2 }!
        for s in 0..<out.blocks[0].weights.count { out.blocks[0].weights[s] = Int16(s % 7 - 3) }
        let ctx = StepContext(sample: 0, step: 3, stepsPerSample: 8, globalStep: 3, label: 0, training: true)
        var hiddenIn = [Int64](repeating: 0, count: hidden.count), outIn = [Int64](repeating: 0, count: out.count)
        var c = ActionCounts()
        hiddenIn.withUnsafeMutableBufferPointer { rule.beforeNeuronUpdate(core: core, population: hidden, aIn: $0, context: ctx, counts: &c) }
        #expect(hiddenIn.allSatisfy { $0 == 0 })          // no noise on the membrane
        outIn.withUnsafeMutableBufferPointer { rule.beforeNeuronUpdate(core: core, population: out, aIn: $0, context: ctx, counts: &c) }
        // The hidden noise of step 2 (Rademacher +-300), weighted by the readout weights, / 256 (floor).
        let key = RandomKey(seed: 2, stream: .neuronNoise).with(1).with(2)
        for k in 0..<out.count {
            var sum = 0
            for i in 0..<hidden.count {
                let z = (key.draw(i) >> 63) == 0 ? 300 : -300
                sum += Int(out.blocks[0].weights[i * out.count + k]) * z
            }
            #expect(outIn[k] == Int64(sum >> 8))
        }
        #expect(outIn.contains { $0 != 0 })
        #expect(c[.synop] == UInt64(hidden.count * out.count) && c[.prngDraw] == UInt64(hidden.count))
        // At a sample's first step there is no previous output yet.
        var first = [Int64](repeating: 0, count: out.count)
        first.withUnsafeMutableBufferPointer {
            rule.beforeNeuronUpdate(core: core, population: out, aIn: $0,
                                    context: StepContext(sample: 0, step: 0, stepsPerSample: 8, globalStep: 8, label: 0, training: true), counts: &c)
        }
        #expect(first.allSatisfy { $0 == 0 })
    }

    @Test func learningConfigRejectsBadValuesWithPaths() {
        func decode(_ s: String) -> String {
            do { _ = try LearningConfig.decode(try JSONValue.parse(s, file: "c.json"), file: "c.json"); return "ok" } catch { return "\(error)" }
        }
        #expect(decode("{\"rule\": \"opzo\"}") == "ok")
        #expect(decode("{\"rule\": \"bp\"}").contains("$.learning.rule"))
        #expect(decode("{\"tEpoch\": 0}").contains("$.learning.tEpoch"))
        #expect(decode("{\"holdNoise\": true}").contains("$.learning.holdNoise"))
        #expect(decode("{\"holdNoise\": true, \"tEpoch\": 16}") == "ok")
        #expect(decode("{\"noisePlacement\": \"middle\"}").contains("$.learning.noisePlacement"))
        #expect(decode("{\"etaHiden\": 3}").contains("$.learning.etaHiden: unknown key"))
        #expect(decode("{\"loss\": {\"ceWeight\": 60}}").contains("must be 64"))
        #expect(decode("{\"trace\": {\"bits\": 4, \"impulse\": 16}}").contains("$.learning.trace.impulse"))
    }
}
