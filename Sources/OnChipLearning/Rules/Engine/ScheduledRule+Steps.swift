import ChipModel

// The generic learning-phase steps of the schedule interpreter. Each counts through the unit
// that does the work (the loss unit, the plasticity unit's programs and scalar controller, the
// router) and adds its cycles to the core that runs it; the phase takes the slowest core.

extension ScheduledRule {
    /// loss.error: o = the readout's v; e = the loss unit's error, written into every readout
    /// population's modulators (the loss unit counts its instructions).
    func evaluateError(_ context: StepContext) {
        for (_, pop) in outputs {
            let v = pop.learning!.post.v
            for j in 0..<pop.count { o[pop.firstNeuron + j] = v[j] }
        }
        e = lossUnit.error(o, for: context)
        errorEvaluated = true
        for (core, pop) in outputs {
            scratch.clear()
            let cycles = pop.receiveError(e, counts: &scratch)
            core.recordLearning(scratch)
            coreCycles[core.id, default: 0] += cycles
        }
    }

    /// loss.cost: on the (first) output core, L from the readout (reusing this step's softmax
    /// when the error was evaluated), then the baseline b <- b + (L - b) >> shift; keeps L - b.
    func evaluateCost(_ context: StepContext, baselineShift: Int) {
        guard let oc = outputs.first?.core else { return }
        scratch.clear()
        let L = lossUnit.cost(o, for: context, probabilitiesKnown: errorEvaluated, counts: &scratch)
        lossDelta = lossUnit.updateBaseline(&lossBaseline, cost: L, shift: baselineShift, counts: &scratch)
        oc.recordLearning(scratch)
        coreCycles[oc.id, default: 0] += scratch[.plastInstr]
    }

    /// plasticity.run: a program over the target's blocks or neurons. Neuron programs draw
    /// with random block `key`; forward blocks with their index, feedback blocks 1000 + index.
    /// Hidden populations whose error delay is below `minimumDelay` are skipped (0: none is).
    func run(_ index: Int, on target: RuleTarget, key: Int, factor: RuleUpdateFactor, step: Int, minimumDelay: Int = 0) {
        let program = programList[index]
        switch target {
        case .outputBlocks, .hiddenBlocks:
            for (core, pop) in target.isOutput ? outputs : hidden where outputLayer - pop.layer >= minimumDelay {
                scratch.clear()
                let program = layerPrograms[pop.layer]?[index] ?? program
                let cycles = runForwardBlocks(program, etaShift: programETA[index], factor: factor, core: core, population: pop, step: step, counts: &scratch)
                core.recordLearning(scratch)
                coreCycles[core.id, default: 0] += cycles
            }
        case .outputNeurons, .hiddenNeurons:
            for (core, pop) in target.isOutput ? outputs : hidden where outputLayer - pop.layer >= minimumDelay {
                scratch.clear()
                let program = layerPrograms[pop.layer]?[index] ?? program
                let l = pop.learning!
                let r = core.plasticityUnit.runNeuronScope(program, neurons: &l.post,
                                                           random: MicrocodeRandom(seed: seed, core: core.id, step: step, block: key, scope: .neuron),
                                                           counts: &scratch)
                core.recordLearning(scratch)
                coreCycles[core.id, default: 0] += UInt64(r.cycles)
            }
        case .hiddenFeedback:
            for fi in feedback.indices where outputLayer - feedback[fi].population.layer >= minimumDelay {
                let core = feedback[fi].core
                scratch.clear()
                let program = layerPrograms[feedback[fi].population.layer]?[index] ?? program
                let r = core.plasticityUnit.runSynapseScope(program, block: &feedback[fi].block, pre: feedback[fi].pre,
                                                            post: feedback[fi].population.learning!.post,
                                                            random: MicrocodeRandom(seed: seed, core: core.id, step: step, block: 1000 + fi, scope: .synapse),
                                                            counts: &scratch)
                core.recordLearning(scratch)
                coreCycles[core.id, default: 0] += UInt64(r.cycles)
            }
        }
    }

    /// Runs a synapse program over every incoming (forward) block of a population; returns cycles.
    func runForwardBlocks(_ program: MicrocodeProgram, etaShift: Int, factor: RuleUpdateFactor, core: Core, population pop: Population,
                          step: Int, counts c: inout ActionCounts) -> UInt64 {
        let l = pop.learning!
        var cycles: UInt64 = 0
        for k in 0..<pop.blocks.count {
            let before = observeForwardUpdate == nil ? nil : pop.blocks[k].weights
            defer {
                if let observe = observeForwardUpdate, let before {
                    let f: ContiguousArray<Int32>
                    switch factor {
                    case .r3: f = l.post.r3
                    case .mod: f = l.post.modulator
                    case .gatedMod: f = ContiguousArray((0..<l.post.count).map { l.post.r2[$0] == 0 ? 0 : l.post.modulator[$0] })
                    }
                    observe(ForwardUpdateObservation(layer: pop.layer, block: k, globalStep: step,
                                                     etaShift: etaShift,
                                                     x1: l.pre[k].x1, factor: f, weightsBefore: before,
                                                     weightsAfter: pop.blocks[k].weights, weightBits: pop.blocks[k].weightBits))
                }
            }
            let r = core.plasticityUnit.runSynapseScope(program, block: &pop.blocks[k], pre: l.pre[k], post: l.post,
                                                        random: MicrocodeRandom(seed: seed, core: core.id, step: step, block: k, scope: .synapse),
                                                        counts: &c)
            cycles += UInt64(r.cycles)
        }
        cycles += runSharedKernels(program, core: core, population: pop, step: step, counts: &c)
        return cycles
    }

    /// controller.accumulate: oSum_k += o_k (32-bit saturating), one instruction per output.
    func accumulateOutput() {
        for (oc, pop) in outputs {
            scratch.clear()
            ScalarController.accumulate(o, into: &oSum, range: pop.firstNeuron..<(pop.firstNeuron + pop.count), counts: &scratch)
            oc.recordLearning(scratch)
        }
    }

    /// The steps back a noise step reads for one hidden layer: 1 (previousStep), the layer's
    /// error delay d = outputLayer - layer (errorStep), or nil (the epoch's noise).
    @inline(__always)
    func noiseDelay(_ noise: RuleNoiseStep, layer: Int) -> Int? {
        switch noise {
        case .previousStep: return 1
        case .errorStep: return outputLayer - layer
        case .epoch: return nil
        }
    }

    /// controller.scaleNoise: mod_i = sat16(((L - b) z_i) >> shift) with z the hidden neuron's
    /// noise of step t - 1 or t - d (0 before the sample's step 1 or d) or of the learning epoch;
    /// the PRNG unit regenerates z (n draws) and the controller multiplies and shifts (2 n).
    func scaleNoise(_ context: StepContext, shift: Int, noise which: RuleNoiseStep) {
        let step = context.globalStep
        for (core, pop) in hidden {
            let l = pop.learning!
            scratch.clear()
            let n = pop.count
            let back = noiseDelay(which, layer: pop.layer)
            let key = back.map { noiseKey(layer: pop.layer, globalStep: noiseStep(localStep: max(0, context.step - $0), globalStep: step - $0)) }
                ?? noiseKey(layer: pop.layer, globalStep: noiseStep(context))
            let zero = back.map { context.step < $0 } ?? false
            // z regenerated by the PRNG unit (the lane-wise fill, tested equal to the scalar
            // draw), then scaled by the controller.
            if gBuffer.count < n { gBuffer = [Int64](repeating: 0, count: n) }
            gBuffer.withUnsafeMutableBufferPointer { z in
                let zn = UnsafeMutableBufferPointer(rebasing: z[0..<n])
                if zero { for j in 0..<n { zn[j] = 0 } } else { fillNoise(key, firstNeuron: pop.firstNeuron, into: zn) }
                l.post.modulator.withUnsafeMutableBufferPointer { mod in
                    ScalarController.scale(lossDelta, by: UnsafeBufferPointer(zn), shift: shift, into: mod, counts: &scratch)
                }
            }
            PRNGUnit.countDraws(n, into: &scratch)
            core.recordLearning(scratch)
        }
    }

    /// prng.regenerateNoise: r1_i = z_i of step t - 1 or t - d (none before the sample's step 1
    /// or d: r1 = 0, nothing drawn) or of the current learning epoch.
    func regenerateNoise(_ context: StepContext, noise which: RuleNoiseStep) {
        for (core, pop) in hidden {
            let n = pop.count
            let zStep: Int?
            if let back = noiseDelay(which, layer: pop.layer) {
                zStep = context.step >= back ? noiseStep(localStep: context.step - back, globalStep: context.globalStep - back) : nil
            } else {
                zStep = noiseStep(context)
            }
            guard let zStep else {
                pop.learning!.post.r1.withUnsafeMutableBufferPointer { r1 in for j in 0..<n { r1[j] = 0 } }
                continue
            }
            // The lane-wise fill (fillNoise, tested equal to the scalar draw), then narrowed:
            // |z| < 2^16 fits r1.
            if gBuffer.count < n { gBuffer = [Int64](repeating: 0, count: n) }
            let key = noiseKey(layer: pop.layer, globalStep: zStep)
            gBuffer.withUnsafeMutableBufferPointer { z in fillNoise(key, firstNeuron: pop.firstNeuron, into: UnsafeMutableBufferPointer(rebasing: z[0..<n])) }
            pop.learning!.post.r1.withUnsafeMutableBufferPointer { r1 in
                gBuffer.withUnsafeBufferPointer { z in for j in 0..<n { r1[j] = Int32(truncatingIfNeeded: z[j]) } }
            }
            scratch.clear()
            PRNGUnit.countDraws(n, into: &scratch)
            core.recordLearning(scratch)
        }
    }

    /// synapse.receive: a graded vector the router delivered, into the feedback blocks' x2.
    func receive(_ vector: [Int32]) {
        for fi in feedback.indices {
            for k in 0..<min(vector.count, feedback[fi].pre.count) { feedback[fi].pre.x2[k] = vector[k] }
        }
    }

    /// router.send: `perNeuron` graded packets per neuron of each source population, to each
    /// output core (from hidden) or each hidden core (from output).
    func send(_ sim: Simulator, fromOutput: Bool, perNeuron: Int) {
        if fromOutput {
            for (oc, pop) in outputs {
                for h in hiddenCores { sim.sendLearningPackets(from: oc.id, to: h, kind: .graded, count: perNeuron * pop.count) }
            }
        } else {
            for (core, pop) in hidden {
                for (oc, _) in outputs { sim.sendLearningPackets(from: core.id, to: oc.id, kind: .graded, count: perNeuron * pop.count) }
            }
        }
    }

    /// router.broadcast: one modulatory packet from each output core to each hidden core,
    /// delivered to all its neurons.
    func broadcast(_ sim: Simulator) {
        for (oc, _) in outputs {
            for h in hiddenCores {
                sim.sendLearningPackets(from: oc.id, to: h, kind: .broadcast, count: 1)
                sim.chip.cores[h].countModulatorBroadcasts()
            }
        }
    }
}
