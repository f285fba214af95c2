import Testing
@testable import OnChipLearning
@testable import ChipModel

/// NeuroBench's effective MACs with graded packets (post-neuron noise, docs/NEUROBENCH.md): the
/// graded delivery counts, per nonzero graded input, the nonzero weights of its row (NeuroBench
/// binarises the input and the weight matrix and counts their products). The expected counts are
/// computed here from the keyed draws and the weights set by hand, not from the rule's noise.
@Suite struct NeuroBenchGradedMACTests {
    static let hidden = 12, outputs = 3, seed = 2

    /// h -> out row i holds min(i % 4, 3) nonzero weights: a zero row every fourth neuron.
    static func weight(_ i: Int, _ j: Int) -> Int16 { j < i % 4 ? Int16((i + 1) * (j % 2 == 0 ? 3 : -2)) : 0 }
    static func nonzeroFanOut(_ i: Int) -> Int { min(i % 4, outputs) }

    /// A 2-12-3 chip with post-neuron noise and the hand weights into `out`.
    static func setUp(_ noise: ErrorBroadcastParameters.Noise, alpha: Int) throws -> (Simulator, ErrorBroadcastRule) {
        let config = try ExperimentConfig(json: JSONValue.parse("""
        {"seed": \(seed), "network": {"layers": [
            {"name": "in", "kind": "input", "size": 2},
            {"name": "h", "size": \(hidden), "neuron": {"du": 4095, "dv": 410, "vth": 40}},
            {"name": "out", "size": \(outputs), "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
          "connections": [{"from": "in", "to": "h", "init": {"kind": "constant", "value": 20}},
                          {"from": "h", "to": "out", "init": {"kind": "constant", "value": 0}}]},
         "run": {"steps": 8}, "learning": {"rule": "opzo"}}
        """, file: "graded.json"), file: "graded.json")
        var p = ErrorBroadcastParameters()
        p.kind = .opzo; p.noise = noise; p.alpha = alpha; p.postNeuronNoise = true
        let sim = Simulator(chip: try Chip(config: config))
        let rule = ErrorBroadcastRule(p)
        try sim.attach(rule: rule)
        for core in sim.chip.cores { for pop in core.populations where pop.layer == 2 {
            #expect(pop.blocks.count == 1 && pop.blocks[0].nPre == hidden && pop.blocks[0].nPost == outputs)
            for i in 0..<hidden { for j in 0..<outputs { pop.blocks[0].weights[i * outputs + j] = weight(i, j) } }
        } }
        return (sim, rule)
    }

    /// One neuron-update hook of `layer`'s population at local step 3, global step 11: it
    /// integrates hidden outputs of global step 10.
    static func deliver(_ sim: Simulator, _ rule: ErrorBroadcastRule, layer: Int) -> ActionCounts {
        var counts = ActionCounts()
        let context = StepContext(sample: 1, step: 3, stepsPerSample: 8, globalStep: 11, label: 0, training: true)
        for core in sim.chip.cores { for pop in core.populations where pop.layer == layer {
            var aIn = [Int64](repeating: 0, count: pop.count)
            aIn.withUnsafeMutableBufferPointer { a in
                rule.beforeNeuronUpdate(core: core, population: pop, aIn: a, context: context, counts: &counts)
            }
        } }
        return counts
    }

    /// Hidden layer 1's noise key at global step 10 (one synaptic delay before step 11).
    static let key = RandomKey(seed: UInt64(seed), stream: .neuronNoise).with(1).with(10)

    @Test func rademacherInputsAreAllNonzero() throws {
        let (sim, rule) = try Self.setUp(.rademacher, alpha: 8)
        let c = Self.deliver(sim, rule, layer: 2)
        // +-alpha is never 0: every row's nonzero weights, 0 + 1 + 2 + 3 three times over.
        #expect(c.gradedNonzeroProducts == 18)
        // The chip still reads every stored synapse of every graded packet: 12 x 3.
        #expect(c[.synop] == 36)
        // The hidden layer is fed by the input layer: no graded packet, nothing counted.
        #expect(Self.deliver(sim, rule, layer: 1).gradedNonzeroProducts == 0)
    }

    @Test func smallGaussianNoiseRoundsSomeInputsToZero() throws {
        let (sim, rule) = try Self.setUp(.gaussian, alpha: 1)
        // z_i = round-half-away(alpha * (s_i - 3069) * 23170 / 2^24), s_i the sum of six 10-bit
        // fields of draw(i) >> 4: zero exactly when alpha * |s_i - 3069| * 23170 < 2^23.
        var expected = 0, zeroRowsWithWeights = 0
        for i in 0..<Self.hidden {
            var r = Self.key.draw(i) >> 4, s = 0
            for _ in 0..<6 { s += Int(r & 1023); r >>= 10 }
            let zero = abs(s - 3069) * 23170 < 1 << 23
            if zero { if Self.nonzeroFanOut(i) > 0 { zeroRowsWithWeights += 1 } } else { expected += Self.nonzeroFanOut(i) }
        }
        // The draws at this step must exercise both cases for the test to mean anything.
        #expect(zeroRowsWithWeights > 0 && expected > 0)
        let c = Self.deliver(sim, rule, layer: 2)
        #expect(c.gradedNonzeroProducts == UInt64(expected))
        #expect(c[.synop] == 36)
    }

    /// The tiny task on two cores (hidden and readout apart): the count is attributed per layer,
    /// all of it to the readout, the only layer fed by a hidden layer.
    @Test func aSplitRunAttributesTheCountPerLayer() throws {
        var config = try tinyConfig(rule: "opzo")
        config.chip.core.neurons = 24; config.chip.meshWidth = 2
        var p = try LearningConfig.decode(config.learning!, file: "tiny.json")
        p.etaReadout = 14; p.etaHidden = 16; p.gShift = 16; p.lambdaShift = 8
        p.postNeuronNoise = true; p.alpha = 300
        let sim = Simulator(chip: try Chip(config: config))
        try sim.attach(rule: ErrorBroadcastRule(p))
        var t = TrainingConfig(); t.epochs = 1
        try Trainer(simulator: sim, train: TwoPatternSource(samples: 30), test: TwoPatternSource(samples: 10), config: t).run()
        let m = NeuroBenchMetrics.of(simulator: sim)
        #expect(m.perLayerNeuronCountsExact)
        let readout = sim.chip.cores.first { $0.populations.contains { $0.layer == 2 } }!
        let expected = Double(readout.counts[.neuronUpdate].gradedNonzeroProducts) / Double(sim.samplesRun)
        #expect(expected > 0)
        #expect(m.layers[0].effectiveMACs == 0 && m.layers[1].effectiveMACs == expected && m.total.effectiveMACs == expected)
    }

    /// Whole training runs: the NeuroBench block reads the graded deliveries' count, per layer and
    /// in total, and never counts the learning phase's graded traffic (g = M e).
    @Test func aTrainingRunReportsTheDeliveriesCount() throws {
        let (_, sim) = try trainTiny(rule: "opzo") { $0.postNeuronNoise = true; $0.alpha = 300 }
        let m = NeuroBenchMetrics.of(simulator: sim)
        let phases = sim.totalPhaseCounts, s = Double(sim.samplesRun)
        #expect(phases[.neuronUpdate].gradedNonzeroProducts > 0)
        #expect(phases[.learning].gradedNonzeroProducts == 0 && phases[.delivery].gradedNonzeroProducts == 0)
        #expect(m.total.effectiveMACs == Double(phases[.neuronUpdate].gradedNonzeroProducts) / s)
        // A product with a zero weight is read but not effective: at most the chip's MACs.
        #expect(m.total.effectiveMACs! <= m.total.chipMACs!)
        // Both layers share the tiny chip's one core: per layer the count cannot be attributed.
        #expect(!m.perLayerNeuronCountsExact && m.layers.allSatisfy { $0.effectiveMACs == nil })
    }
}
