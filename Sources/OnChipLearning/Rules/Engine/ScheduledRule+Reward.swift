import ChipModel

// The schedule interpreter's steps for the STDP family (configs/rules/stdp.json, rstdp.json):
// aux registers on the forward blocks the programs run on (the spec's "aux") and R-STDP's
// reward, a third factor the router broadcasts into the modulators (router.reward).

extension ScheduledRule {
    /// The spec's "aux": `bits`-wide aux registers (zeroed) on every forward block of the
    /// populations its synapse programs run on (output.blocks, hidden.blocks), checked against
    /// the cores' synapse memory.
    func enableAux(_ sim: Simulator) throws {
        guard let n = spec.auxBits else { return }
        let bits = resolve(n)
        let enabled = spec.learn.filter { $0.condition?.holds(values) ?? true }
        var targets: Set<RuleTarget> = []
        for s in enabled { if case let .run(_, target, _, _) = s.operation, target == .outputBlocks || target == .hiddenBlocks { targets.insert(target) } }
        let pops = (targets.contains(.outputBlocks) ? outputs : []) + (targets.contains(.hiddenBlocks) ? hidden : [])
        let chip = sim.chip
        for (core, pop) in pops {
            for k in pop.blocks.indices {
                guard pop.blocks[k].layout == .dense else {
                    throw ChipError.config(file: chip.config.file, path: "$.learning",
                                           message: "layer '\(chip.layers[pop.layer].name)' has a sparse incoming connection; \(spec.name)'s aux registers need the dense layout")
                }
                pop.blocks[k].enableAux(bits: bits)
            }
            if core.synapseBytes > chip.config.chip.core.synapseMemoryBytes {
                throw ChipError.capacity(message: "layer '\(chip.layers[pop.layer].name)' on core \(core.id): with \(bits)-bit aux registers its synapses need \(core.synapseBytes) bytes; chip.core.synapseMemoryBytes is \(chip.config.chip.core.synapseMemoryBytes)")
            }
        }
    }

    /// router.reward: from this step's output spikes and the label. Per neuron: every target
    /// population's modulators are cleared, then each output neuron that spiked gets `correct`
    /// (the label's neuron) or `wrong` (one mod.broadcast per rewarded spike). For the layer:
    /// r = sum over the output spikes of correct or wrong (16-bit saturated), broadcast into
    /// every target population (one mod.broadcast each). No label (a test sample): no reward.
    func reward(_ sim: Simulator, context: StepContext, correct: Int, wrong: Int, perNeuron: Bool, everyPopulation: Bool) {
        let pops = outputs + (everyPopulation ? hidden : [])
        if perNeuron {
            for (core, pop) in pops {
                let l = pop.learning!
                for j in 0..<pop.count { l.post.modulator[j] = 0 }
                guard pop.layer == outputLayer, let label = context.label else { continue }
                for s in pop.emitted {
                    l.post.modulator[Int(s) - pop.firstNeuron] = Int32(Int(s) == label ? correct : wrong)
                    core.countModulatorBroadcasts()
                }
            }
        } else {
            var r: Int64 = 0
            if let label = context.label {
                for s in sim.spikesEmitted(layer: outputLayer) { r += Int(s) == label ? Int64(correct) : Int64(wrong) }
            }
            for (core, pop) in pops {
                pop.learning!.post.broadcastModulator(r)
                core.countModulatorBroadcasts()
            }
        }
    }
}
