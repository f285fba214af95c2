import ChipModel

// The schedule interpreter's steps for rules that learn once per sample from a perturbation
// held for the sample and a host step (LOCO): a held sign per hidden neuron (prng.drawSigns,
// neuron.injectRegister), the cost summed over the sample and its mean against a baseline
// (loss.accumulateCost, loss.meanCost), presynaptic spike counters (controller.countSpikes),
// a declared host routine (host.call, HostRoutines.swift) and the modulator from a register
// (controller.scaleRegister). Each counts through the unit it names (RuleStep.swift).

extension ScheduledRule {
    /// Sets up the spike counters and host routines the enabled learn steps use (after the
    /// hidden populations are known), checks the cores' synapse memory, and recompiles.
    func attachHostSteps(_ sim: Simulator) throws {
        let chip = sim.chip
        let enabled = spec.learn.filter { $0.condition?.holds(values) ?? true }
        counterBits = 0
        hostCalls = []
        usesMeanCost = false
        for s in enabled {
            switch s.operation {
            case let .countSpikes(bits): counterBits = max(counterBits, bits)
            case let .callHost(routine, arguments) where !hostCalls.contains(where: { $0.name == routine }):
                var a: [String: Int] = [:]
                for (name, value) in arguments { a[name] = resolve(value) }
                hostCalls.append(HostRoutines.make(routine, arguments: a))
            case .meanCost: usesMeanCost = true
            default: continue
            }
        }
        counted = []
        if counterBits > 0 || !hostCalls.isEmpty {
            guard !hidden.isEmpty else {
                throw ChipError.config(file: chip.config.file, path: "$.learning.rule", message: "\(spec.name) needs a hidden layer (it counts the hidden blocks' presynaptic spikes)")
            }
            for (core, pop) in hidden {
                for k in pop.blocks.indices {
                    counted.append(CountedBlock(core: core, population: pop, block: k, tally: ContiguousArray(repeating: 0, count: pop.blocks[k].nPre)))
                }
            }
            let limit = chip.config.chip.core.synapseMemoryBytes
            for core in chip.cores where counted.contains(where: { $0.core === core }) {
                let extra = counterBytes(core: core.id)
                let used = core.synapseBytes + feedback.filter { $0.core === core }.reduce(0) { $0 + $1.block.bytes } + extra
                if used > limit {
                    throw ChipError.capacity(message: "core \(core.id): \(spec.name)'s spike counters and host-written registers need \(extra) bytes; the core would hold \(used) bytes of synapse memory, chip.core.synapseMemoryBytes is \(limit)")
                }
            }
        }
        for r in hostCalls { try r.attach(blocks: counted, counterBits: max(counterBits, 1), simulator: sim) }
        try enableAux(sim)
        compileSchedule()
    }

    /// Chip memory a core holds for the counted blocks: per presynaptic axon the counter and
    /// the registers the host routines write.
    func counterBytes(core: Int) -> Int {
        let bits = counterBits + hostCalls.reduce(0) { $0 + $1.registerBits }
        return counted.filter { $0.core.id == core }.reduce(0) { $0 + ($1.tally.count * bits + 7) / 8 }
    }

    var counterBytes: Int { Set(counted.map(\.core.id)).reduce(0) { $0 + counterBytes(core: $1) } }

    /// The registers of the mean cost (samples seen) and of the host routines (checkpoints).
    var hostStateRegisters: [RuleStateRegister] {
        (usesMeanCost ? [RuleStateRegister("costsSeen", range: 0...Int64(Int32.max), values: [Int64(costsSeen)])] : [])
            + hostCalls.flatMap(\.stateRegisters)
    }

    func restoreHostState(_ r: RuleStateRegister) {
        if r.name == "costsSeen" { costsSeen = Int32(r.values[0]); return }
        for h in hostCalls where h.restore(r) { return }
    }

    /// prng.drawSigns: r1_i = +1 or -1 (bit 63 of the draw clear: +1) per hidden neuron, keyed by
    /// (seed, perturbation, layer, -1, the sample's first global step, neuron); one draw each.
    func drawSigns(_ context: StepContext) {
        for (core, pop) in hidden {
            let key = RandomKey(seed: seed, stream: .perturbation).with(pop.layer).with(-1).with(context.globalStep)
            scratch.clear()
            pop.learning!.post.r1.withUnsafeMutableBufferPointer { r in PRNGUnit.drawSigns(key, firstNeuron: pop.firstNeuron, into: r, counts: &scratch) }
            core.recordLearning(scratch)
        }
    }

    /// neuron.injectRegister: a_in_i += scale r1_i on the hidden neurons (the neuron unit's input
    /// adder; the register is held, nothing is drawn or counted).
    func injectRegister(population: Population, aIn: UnsafeMutableBufferPointer<Int64>, scale: Int) {
        guard hiddenLayers.contains(population.layer), let l = population.learning else { return }
        let a = Int64(scale)
        for j in 0..<population.count { aIn[j] += a * Int64(l.post.r1[j]) }
    }

    /// controller.clear of the counters or the cost sum (a reset, not counted).
    func clear(_ value: RuleValueName) {
        switch value {
        case .counters:
            for h in counted.indices { counted[h].tally.withUnsafeMutableBufferPointer { t in for i in 0..<t.count { t[i] = 0 } } }
        case .costSum: costSum = 0
        default: for k in 0..<oSum.count { oSum[k] = 0 }
        }
    }

    /// loss.accumulateCost: o = the readout's v; costSum += L on the (first) output core (the
    /// softmax reused when this step's error was evaluated first).
    func accumulateCost(_ context: StepContext) {
        guard let oc = outputs.first?.core else { return }
        for (_, pop) in outputs {
            let v = pop.learning!.post.v
            for j in 0..<pop.count { o[pop.firstNeuron + j] = v[j] }
        }
        scratch.clear()
        let L = lossUnit.cost(o, for: context, probabilitiesKnown: errorEvaluated, counts: &scratch)
        lossUnit.accumulate(&costSum, cost: L, counts: &scratch)
        oc.recordLearning(scratch)
        coreCycles[oc.id, default: 0] += scratch[.plastInstr]
    }

    /// loss.meanCost: C = (costSum + T/2) / T (T the sample's steps, truncating division of a
    /// non-negative sum), lossDelta = C - b and b += lossDelta >> shift (arithmetic); the first
    /// sample only sets b = C (lossDelta 0). Four instructions (add, divide, subtract, shift-add)
    /// on each output core; the hidden cores wait for them (4 cycles, serial).
    func meanCost(_ context: StepContext, baselineShift: Int) {
        scratch.clear()
        lossDelta = ScalarController.meanAgainstBaseline(sum: costSum, steps: context.stepsPerSample, baseline: &lossBaseline,
                                                         shift: baselineShift, first: costsSeen == 0, counts: &scratch)
        costSum = 0
        if costsSeen < Int32.max { costsSeen += 1 }
        for (oc, _) in outputs { oc.recordLearning(scratch) }
        serialCycles += scratch[.plastInstr]
    }

    /// controller.countSpikes: r_j += 1 (saturating at 2^bits - 1) for every presynaptic spike
    /// delivered to a hidden block this step; one instruction and one cycle per spike.
    func countSpikes(bits: Int) {
        for h in counted.indices {
            let pre = counted[h].population.learning!.pre[counted[h].block]
            scratch.clear()
            let n = counted[h].tally.withUnsafeMutableBufferPointer { t in
                pre.spikes.withUnsafeBufferPointer { s in ScalarController.countEvents(s, into: t, bits: bits, counts: &scratch) }
            }
            counted[h].core.recordLearning(scratch)
            coreCycles[counted[h].core.id, default: 0] += n
        }
    }

    /// controller.scaleRegister: mod_i = sat16((lossDelta r1_i) >> shift) on each hidden neuron
    /// (multiply and shift: 2 n instructions, ceil(2 n / lanes) cycles).
    func scaleRegister(shift: Int) {
        for (core, pop) in hidden {
            let l = pop.learning!
            scratch.clear()
            let instructions = l.post.r1.withUnsafeBufferPointer { r in
                l.post.modulator.withUnsafeMutableBufferPointer { mod in
                    ScalarController.scale(lossDelta, by: r, shift: shift, into: mod, counts: &scratch)
                }
            }
            core.recordLearning(scratch)
            let lanes = UInt64(core.plasticityUnit.lanes)
            coreCycles[core.id, default: 0] += (instructions + lanes - 1) / lanes
        }
    }

    /// host.call: the routine reads the counters and writes the chip; the simulator's host-step
    /// ledger records its counts (not chip time: reported apart).
    func callHost(_ index: Int, simulator sim: Simulator) {
        hostCalls[index].run(blocks: counted, simulator: sim)
    }
}
