import ChipModel

// Weight perturbation in the schedule interpreter (docs/LEARNING.md, "Weight perturbation on
// chip"; the spec's "perturbation" section, RuleSpec+Perturbation.swift): the perturbed forward
// blocks, the period timing, the output core's period cost and baseline, and programs run over
// the perturbed blocks with the period's keyed codes. MGD-WP and fwd_grad (configs/rules/) are
// specs built on these steps.
//
// Codes are keyed draws, regenerated (never stored): a `rad` / `gau` in a program run on the
// perturbed blocks draws RandomKey(seed, .perturbation).with(layer).with(connection)
// .with(periodStart).draw(i * N_layer + firstNeuron + j) (presynaptic i, the layer-global
// postsynaptic neuron), periodStart the global step at which the period began; an `srk` draws
// RandomKey(seed, .stochasticRounding).with(-3).with(layer).with(globalStep) at the same index.
// So a restore regenerates exactly the code its perturbation wrote, on any mapping.
//
// Steps (each counts through its unit; cycles go to the core that runs them):
//   plasticity.run on perturbed.blocks (period current | next): the program over every
//     perturbed block; at sampleStart it writes the sample's first period (its cycles join the
//     sample's first learning phase).
//   loss.accumulateCost: o = readout v; S += L (the loss unit's cost, -ln p_label in units of
//     2^-14 by its log table, and one add), on every output core.
//   controller.periodCost: C = (S + tauP / 2) / tauP (integer division), S = 0; the first
//     period sets b = C and C~ = 0, later ones C~ = C - b, b += C~ >> baselineShift
//     (arithmetic); C~ into lossDelta; 4 controller instructions on each output core.
//   router.broadcast to: perturbed: one packet from each output core to each other core holding
//     perturbed blocks, one mod.broadcast on every such core, C~ (saturated to 32 bits) into
//     r0 of every neuron of the perturbed populations.
//   controller.sync: the work so far must finish first: the slowest core's cycles are added
//     to the phase and the next steps start from zero (the phases are sequential).

/// What the interpreter keeps for weight perturbation.
struct PerturbationState {
    /// One perturbed forward block.
    struct Target {
        let core: Core
        let population: Population
        let block: Int
        let layer: Int
        let layerSize: Int
        let key: RandomKey
        /// Index into `programs` (the programs assembled for this block's layer and width).
        let variant: Int
    }
    var targets: [Target] = []
    /// (layer, weight bits, Gamma shift) of each program variant, and its assembled programs (programList order).
    var variants: [(layer: Int, bits: Int, gammaShift: Int)] = []
    var programs: [[MicrocodeProgram]] = []
    var perturbedCores: [Int] = []
    var perturbedPopulations: [Population] = []
    /// Resolved period and periods per update (0: no perturbation attached).
    var period = 0
    var periodsPerUpdate = 1
    var margin = 0
    var roundingHalf = 0
    /// The per-layer network properties while a variant is assembled.
    var layerRate = 0, cleanMin = 0, cleanMax = 0
    // Registers: the baseline b (output core, 64-bit), periods seen and periods since the
    // update. The period's cost sum S is the loss unit's costSum (zero at every sample boundary:
    // periods divide the sample).
    var baseline: Int64 = 0
    var periodsSeen: Int32 = 0
    var periodsSinceUpdate: Int32 = 0
    /// Cycles of a sample's first perturbation pass, added to its first learning phase.
    var pendingCycles: UInt64 = 0
}

/// Where a learning step stands in its perturbation period.
struct PeriodTiming {
    var end = false
    var update = false
    var next = false
    /// Global step at which the current period began.
    var start = 0
}

extension ScheduledRule {
    /// The Gamma shift round(log2 Gamma) for N synapses and n periods per update (<= 0),
    /// Gamma = sqrt(1/N + 1/n - 1/(N n)) = sqrt(A / B), A = N + n - 1, B = N n. In integers:
    /// -round(log2(B / A) / 2) = -k with k the least integer such that B < A 2^(2k + 1)
    /// (log2(B / A) / 2 in [k - 1/2, k + 1/2); a tie rounds away from zero, as round() does).
    public static func gammaShift(synapses N: Int, periodsPerUpdate n: Int) -> Int {
        let N = max(1, N), n = max(1, n)
        let A = N + n - 1
        let (B, overflow) = N.multipliedReportingOverflow(by: n)
        guard !overflow else { return -31 }
        var k = 0
        // B >= A 2^s  <=>  floor(B / 2^s) >= A (A an integer).
        while 2 * k + 1 < 63 && (B >> (2 * k + 1)) >= A { k += 1 }
        return -k
    }

    /// The key of a block's codes (without the period).
    public static func codeKey(seed: UInt64, layer: Int, connection: Int) -> RandomKey {
        RandomKey(seed: seed, stream: .perturbation).with(layer).with(connection)
    }

    /// A per-layer network property of the perturbation programs ("@layerRate", ...).
    func perturbationProperty(_ name: String) -> Int {
        switch name {
        case "layerRate": return perturbation.layerRate
        case "cleanMin": return perturbation.cleanMin
        case "cleanMax": return perturbation.cleanMax
        default: return perturbation.roundingHalf
        }
    }

    /// Attach: the perturbed blocks get their aux registers and clean weights inside the
    /// margin; periods resolved and checked. Errors name the learning-section key.
    func preparePerturbation(_ sim: Simulator) throws {
        guard let p = spec.perturbation else { return }
        let chip = sim.chip
        let file = chip.config.file
        func value(_ n: RuleNumber) -> Int {
            if case let .parameter(name) = n { return values.int(name) }
            if case let .literal(x) = n { return x }
            return 0
        }
        func key(_ n: RuleNumber, _ field: String) -> String {
            if case let .parameter(name) = n { return "$.learning.\(name)" }
            return "$.perturbation.\(field)"
        }
        let (period, update) = try RuleParameterValues.periods(p, spec: spec, sampleSteps: chip.config.run.steps, file: file, value: value)
        var state = PerturbationState()
        state.period = period
        state.periodsPerUpdate = update / period
        state.margin = p.margin.reduce(1) { $0 * value($1) }
        let shift = value(p.productShift)
        state.roundingHalf = shift == 0 ? 0 : 1 << (shift - 1)
        let auxBits = value(p.auxBits)
        let withOutput = p.output?.holds(values) ?? false
        let perturbed: (Int) -> Bool = { l in !chip.layers[l].isInput && (l != self.outputLayer || withOutput) }
        // N_l: perturbed synapses per layer (whole layer, all cores).
        var synapses: [Int: Int] = [:]
        for core in chip.cores { for pop in core.populations where perturbed(pop.layer) { for b in pop.blocks { synapses[pop.layer, default: 0] += b.nPre * b.nPost } } }
        let gamma = value(p.gamma) != 0
        for core in chip.cores {
            for pop in core.populations where perturbed(pop.layer) {
                for k in 0..<pop.blocks.count {
                    let b = pop.blocks[k]
                    guard b.layout == .dense else {
                        throw ChipError.config(file: file, path: "$.learning.rule", message: "\(spec.name) needs dense synapse blocks (aux registers); layer '\(chip.layers[pop.layer].name)' has a sparse one")
                    }
                    let hi = Int(FixedPoint.signedMax(bits: b.weightBits)) - state.margin
                    let lo = Int(FixedPoint.signedMin(bits: b.weightBits)) + state.margin
                    guard lo < hi else {
                        throw ChipError.config(file: file, path: key(p.margin[0], "margin"), message: "perturbations up to \(state.margin) LSBs leave no room in \(b.weightBits)-bit weights of layer '\(chip.layers[pop.layer].name)'")
                    }
                    pop.blocks[k].enableAux(bits: auxBits)
                    // Clean weights live inside the margin (so W + c never saturates). Part of the
                    // weight initialisation the host loads (like the initial weights themselves,
                    // not chip work and not counted); from here on only the programs edit weights.
                    for i in 0..<pop.blocks[k].weights.count {
                        pop.blocks[k].weights[i] = Int16(min(max(Int(pop.blocks[k].weights[i]), lo), hi))
                    }
                    let g = gamma ? ScheduledRule.gammaShift(synapses: synapses[pop.layer] ?? 1, periodsPerUpdate: state.periodsPerUpdate) : 0
                    let variant = state.variants.firstIndex { $0.layer == pop.layer && $0.bits == b.weightBits } ?? {
                        state.variants.append((pop.layer, b.weightBits, g)); return state.variants.count - 1
                    }()
                    state.targets.append(PerturbationState.Target(core: core, population: pop, block: k, layer: pop.layer, layerSize: chip.layers[pop.layer].size,
                                                                  key: ScheduledRule.codeKey(seed: seed, layer: pop.layer, connection: b.connection), variant: variant))
                }
                let limit = chip.config.chip.core.synapseMemoryBytes
                if core.synapseBytes > limit {
                    throw ChipError.capacity(message: "core \(core.id): \(spec.name) adds \(auxBits)-bit gradient accumulators to every perturbed synapse; the core would hold \(core.synapseBytes) bytes of synapse memory, chip.core.synapseMemoryBytes is \(limit) (lower learning.auxBits or spread the layer over more cores)")
                }
            }
        }
        for t in state.targets where !state.perturbedCores.contains(t.core.id) { state.perturbedCores.append(t.core.id) }
        for t in state.targets where !state.perturbedPopulations.contains(where: { $0 === t.population }) { state.perturbedPopulations.append(t.population) }
        guard !state.targets.isEmpty else {
            throw ChipError.config(file: file, path: "$.learning.\(p.output?.parameter ?? "rule")", message: "no synapse is perturbed (the network has only a readout and \(p.output.map { "\($0.parameter) is \(values[$0.parameter]?.serialized() ?? "")" } ?? "the readout is not perturbed"))")
        }
        perturbation = state
    }

    /// Each perturbed layer's (and weight width's) copy of every program, with its @layerRate
    /// (the learning-rate halvings in force included), @cleanMin and @cleanMax.
    func assemblePerturbedPrograms() throws {
        guard let p = spec.perturbation, perturbation.period > 0 else { return }
        let rate: Int
        if case let .parameter(name) = p.rate { rate = values.int(name) + etaOffset } else if case let .literal(x) = p.rate { rate = x + etaOffset } else { rate = etaOffset }
        defer { perturbation.layerRate = 0; perturbation.cleanMin = 0; perturbation.cleanMax = 0 }
        var lists: [[MicrocodeProgram]] = []
        for v in perturbation.variants {
            perturbation.layerRate = min(62, max(0, rate + v.gammaShift))
            perturbation.cleanMin = Int(FixedPoint.signedMin(bits: v.bits)) + perturbation.margin
            perturbation.cleanMax = Int(FixedPoint.signedMax(bits: v.bits)) - perturbation.margin
            var list: [MicrocodeProgram] = []
            for name in spec.programs.keys.sorted() {
                let program = spec.programs[name]!
                let text = try RuleSpec.substitute(program.source, file: spec.file, path: "$.programs.\(name)", parameters: spec.parameters, value: resolve)
                list.append(try program.assemble(text))
            }
            lists.append(list)
        }
        perturbation.programs = lists
    }

    /// Where this learning step stands in its period; at a period's end the update counter
    /// advances (every periodsPerUpdate periods the end is an update).
    func periodTiming(_ context: StepContext) -> PeriodTiming {
        let T = perturbation.period
        var t = PeriodTiming(start: context.globalStep - context.step % T)
        guard (context.step + 1) % T == 0 else { return t }
        t.end = true
        perturbation.periodsSinceUpdate += 1
        if Int(perturbation.periodsSinceUpdate) == perturbation.periodsPerUpdate {
            perturbation.periodsSinceUpdate = 0
            t.update = true
        }
        t.next = context.step + 1 < context.stepsPerSample
        return t
    }

    /// sampleStart: the sample's first period begins (S = 0) and `program` writes its codes;
    /// the pass's cycles join the sample's first learning phase.
    func beginPeriod(program name: String, context: StepContext) {
        guard perturbation.period > 0, let index = spec.programs.keys.sorted().firstIndex(of: name) else { return }
        costSum = 0
        coreCycles.removeAll(keepingCapacity: true)
        runPerturbed(index, period: context.globalStep, step: context.globalStep)
        perturbation.pendingCycles += coreCycles.values.max() ?? 0
        coreCycles.removeAll(keepingCapacity: true)
    }

    /// plasticity.run on perturbed.blocks: program `index` over every perturbed block, keyed by
    /// the period that began at global step `period` and, for `srk`, by global step `step`.
    func runPerturbed(_ index: Int, period: Int, step: Int) {
        for t in perturbation.targets {
            let pop = t.population
            scratch.clear()
            let keyed = MicrocodeRandom.KeyedDraws(codeKey: t.key.with(period),
                                                   roundKey: RandomKey(seed: seed, stream: .stochasticRounding).with(-3).with(t.layer).with(step),
                                                   rowStride: t.layerSize, columnOffset: pop.firstNeuron)
            let random = MicrocodeRandom(seed: seed, core: t.core.id, step: step, block: t.block, scope: .synapse, keyed: keyed)
            let r = t.core.plasticityUnit.runSynapseScope(perturbation.programs[t.variant][index], block: &pop.blocks[t.block], pre: pop.learning!.pre[t.block],
                                                          post: pop.learning!.post, random: random, counts: &scratch)
            t.core.recordLearning(scratch)
            coreCycles[t.core.id, default: 0] += UInt64(r.cycles)
        }
    }

    /// controller.periodCost: C = (S + tauP / 2) / tauP, S = 0; C~ = C - b (0 in the first
    /// period, which sets b = C), b += C~ >> shift; C~ into lossDelta. The scalar controller's
    /// arithmetic (ScalarController.meanAgainstBaseline, 4 instructions) on each output core.
    func periodCost(baselineShift: Int) {
        scratch.clear()
        lossDelta = ScalarController.meanAgainstBaseline(sum: costSum, steps: perturbation.period, baseline: &perturbation.baseline,
                                                         shift: baselineShift, first: perturbation.periodsSeen == 0, counts: &scratch)
        costSum = 0
        if perturbation.periodsSeen < Int32.max { perturbation.periodsSeen += 1 }
        for (i, (core, _)) in outputs.enumerated() {
            core.recordLearning(scratch)
            if !outputs[..<i].contains(where: { $0.core === core }) { coreCycles[core.id, default: 0] += scratch[.plastInstr] }
        }
    }

    /// router.broadcast to perturbed: C~ from each output core to every other perturbed core,
    /// one mod.broadcast per perturbed core, written into r0 of every perturbed neuron.
    func broadcastPerturbed(_ sim: Simulator) {
        for (oc, _) in outputs {
            for h in perturbation.perturbedCores where h != oc.id { sim.sendLearningPackets(from: oc.id, to: h, kind: .broadcast, count: 1) }
        }
        for h in perturbation.perturbedCores { sim.chip.cores[h].countModulatorBroadcasts() }
        for pop in perturbation.perturbedPopulations { pop.learning!.post.broadcastScratch(lossDelta) }
    }

    /// The gradient accumulators' bytes added to the perturbed forward blocks.
    var perturbationAuxBytes: Int {
        perturbation.targets.reduce(0) { acc, t in let b = t.population.blocks[t.block]; return acc + (b.nPre * b.nPost * b.auxBits + 7) / 8 }
    }

    /// The period registers a checkpoint saves: baseline, periods seen, periods since the update.
    var perturbationRegisters: [RuleStateRegister] {
        [RuleStateRegister("baseline", signedBits: 64, values: [perturbation.baseline]),
         RuleStateRegister("periodsSeen", range: 0...Int64(Int32.max), values: [Int64(perturbation.periodsSeen)]),
         RuleStateRegister("periodsSinceUpdate", range: 0...Int64(max(0, perturbation.periodsPerUpdate - 1)), values: [Int64(perturbation.periodsSinceUpdate)])]
    }

    func restorePerturbationRegister(_ r: RuleStateRegister) {
        switch r.name {
        case "baseline": perturbation.baseline = r.values[0]
        case "periodsSeen": perturbation.periodsSeen = Int32(r.values[0])
        case "periodsSinceUpdate": perturbation.periodsSinceUpdate = Int32(r.values[0])
        default: break
        }
    }
}
