import ChipModel

// LOCO (Ma & Yu) on chip, as interpreted here (the exact projector is not public; docs/LEARNING.md):
// node perturbation whose update is projected onto a low-rank subspace of presynaptic activity.
// Each hidden block keeps k cluster prototypes P_c of its presynaptic activity (spike counts per
// sample in units of 2^-F); a sample's presynaptic factor is the projection of its counts r onto
// the prototype of the nearest cluster, x^ = (P_c . r / P_c . P_c) P_c: rank 1 per sample, and all
// updates of a block lie in the span of its k prototypes (rank <= k). Samples of different
// clusters move the weights along different prototype directions.
//
// Schedule (T = run.steps, the perturbation is held for the sample: tau_p = tau_theta = T):
//   beginSample: theta_i = +-1 per hidden neuron from
//     RandomKey(seed, .perturbation).with(layer).with(-1).with(sampleStartGlobalStep).draw(neuron)
//     (top bit 0: +1), kept in r1 (1 draw per neuron); counts r = 0.
//   every step, hidden cores (neuron update): a_in_i += alpha theta_i.
//   every step, learning phase: output core: L_t = -ln p_label (2^-14 units, LossUnit probabilities),
//     S += L_t; readout w -= sround(x1 e_k, etaReadout) (shared with mgd_wp readout "error");
//     hidden cores: r_j += 1 for every delivered presynaptic spike.
//   last step: output core: C = (S + T/2) / T, C~ = C - b, b += C~ >> baselineShift (the first sample
//     only sets b); one broadcast packet to every other hidden core (mod.broadcast counted per core).
//     hidden core, per block: rF_j = r_j << F; the first k samples initialise P_0..P_{k-1} = rF;
//     afterwards c = argmin_c sum_j |rF_j - P_cj| (lowest c on ties), P_c += (rF - P_c) >> protoShift
//     (arithmetic shift); num = sum_j P_cj r_j, den = sum_j P_cj^2 (64-bit), x^F_j = (num P_cj 2^F) / den
//     (truncating division; 0 if den = 0), written into the block's x1; mod_i = sat16((C~ theta_i) >> zoShift);
//     `threeFactor` program: w -= sround(x^F_j mod_i, etaHidden) (skipped where x^ or mod is 0).
// Counted: prototypes (k x nPre x 16 bit) and counters (nPre x 8 bit) as synapse memory of the core;
// distances 2 k nPre + k, prototype update 3 nPre, projection 4 nPre + 1 instructions, SRAM reads of
// the prototypes (k nPre x 16 bit) and write of the winner (nPre x 16 bit); one instruction per
// counted presynaptic spike; the program's own counts.
public final class LOCORule: LearningRule {
    public let parameters: LOCOParameters
    public var name: String { "loco" }
    public var preTraces: (x1: TraceParameters, x2: TraceParameters) { (parameters.trace, .unused) }
    public var postTraces: (y1: TraceParameters, y2: TraceParameters, y3: TraceParameters) { (.unused, .unused, .unused) }

    static let protoBits = 16
    static let counterBits = 8

    struct Hidden {
        let core: Core
        let population: Population
        let block: Int
        var tally: ContiguousArray<Int32>
        /// k x nPre prototypes, row c at c * nPre.
        var protos: ContiguousArray<Int32>
        var used: Int32 = 0
    }
    var hidden: [Hidden] = []
    var hiddenPops: [(core: Core, population: Population)] = []
    var hiddenCores: [Int] = []
    var outputs: [(core: Core, population: Population)] = []
    let lossUnit: LossUnit
    var seed: UInt64 = 0
    var readoutProgram = MicrocodeProgram(scope: .synapse, instructions: [])
    var hiddenProgram = MicrocodeProgram(scope: .synapse, instructions: [])
    var o: [Int32] = []
    var periodSum: Int64 = 0
    var baseline: Int64 = 0
    var samplesSeen: Int32 = 0
    public private(set) var etaOffset = 0

    public init(_ p: LOCOParameters) {
        parameters = p
        lossUnit = LossUnit(p.loss)
    }

    public func attach(to sim: Simulator) throws {
        let chip = sim.chip
        let p = parameters
        seed = chip.config.seed
        let outputLayer = chip.layers.count - 1
        o = [Int32](repeating: 0, count: chip.layers[outputLayer].size)
        for core in chip.cores {
            for pop in core.populations {
                if pop.layer == outputLayer { outputs.append((core, pop)); continue }
                guard !chip.layers[pop.layer].isInput else { continue }
                hiddenPops.append((core, pop))
                if !hiddenCores.contains(core.id) { hiddenCores.append(core.id) }
                for k in 0..<pop.blocks.count {
                    let n = pop.blocks[k].nPre
                    hidden.append(Hidden(core: core, population: pop, block: k, tally: ContiguousArray(repeating: 0, count: n),
                                         protos: ContiguousArray(repeating: 0, count: p.clusters * n)))
                }
                let limit = chip.config.chip.core.synapseMemoryBytes
                let used = core.synapseBytes + extraBytes(core: core.id)
                if used > limit {
                    throw ChipError.capacity(message: "core \(core.id): loco's \(p.clusters) prototypes and spike counters need \(extraBytes(core: core.id)) bytes; the core would hold \(used) bytes of synapse memory, chip.core.synapseMemoryBytes is \(limit) (lower learning.clusters)")
                }
            }
        }
        guard !outputs.isEmpty else { throw ChipError.config(file: chip.config.file, path: "$.learning", message: "the network has no output layer on a core") }
        guard !hidden.isEmpty else { throw ChipError.config(file: chip.config.file, path: "$.learning.rule", message: "loco needs a hidden layer") }
        try assemble()
    }

    func extraBytes(core: Int) -> Int {
        hidden.filter { $0.core.id == core }.reduce(0) { acc, h in
            acc + (h.protos.count * LOCORule.protoBits + h.tally.count * LOCORule.counterBits + 7) / 8
        }
    }

    func assemble() throws {
        let p = parameters
        readoutProgram = try MicrocodeAssembler.assemble(OPZOPrograms.threeFactor(etaShift: min(31, p.etaReadout + etaOffset), gatePsi: false), file: "<loco readout>")
        hiddenProgram = try MicrocodeAssembler.assemble(OPZOPrograms.threeFactor(etaShift: min(31, p.etaHidden + etaOffset), gatePsi: false), file: "<loco hidden>")
    }

    public func setEtaOffset(_ k: Int) throws {
        guard k != etaOffset else { return }
        etaOffset = k
        try assemble()
    }

    /// theta_i of hidden neuron `neuron` (layer-global) for the sample starting at `start`.
    public static func theta(seed: UInt64, layer: Int, sampleStart start: Int, neuron: Int) -> Int32 {
        (RandomKey(seed: seed, stream: .perturbation).with(layer).with(-1).with(start).draw(neuron) >> 63) == 0 ? 1 : -1
    }

    public func beginSample(simulator: Simulator, context: StepContext) {
        simulator.countHost(.hostIOBytes, UInt64(outputs.count))
        periodSum = 0
        for (core, pop) in hiddenPops {
            let l = pop.learning!
            for j in 0..<pop.count { l.post.r1[j] = LOCORule.theta(seed: seed, layer: pop.layer, sampleStart: context.globalStep, neuron: pop.firstNeuron + j) }
            core.countRandomDraws(UInt64(pop.count))
        }
        for h in 0..<hidden.count { for i in 0..<hidden[h].tally.count { hidden[h].tally[i] = 0 } }
    }

    public func beforeNeuronUpdate(core: Core, population: Population, aIn: UnsafeMutableBufferPointer<Int64>,
                                   context: StepContext, counts: inout ActionCounts) {
        guard let l = population.learning, hiddenPops.contains(where: { $0.population === population }) else { return }
        let a = Int64(parameters.alpha)
        for j in 0..<population.count { aIn[j] += a * Int64(l.post.r1[j]) }
    }

    public func learn(simulator sim: Simulator, context: StepContext) -> UInt64 {
        let p = parameters
        for (_, pop) in outputs { for j in 0..<pop.count { o[pop.firstNeuron + j] = pop.learning!.post.v[j] } }
        var lossCounts = ActionCounts()
        lossUnit.accumulate(&periodSum, cost: lossUnit.cost(o, for: context, counts: &lossCounts), counts: &lossCounts)
        let lossInstr = lossCounts[.plastInstr]
        for (core, _) in outputs { core.recordLearning(lossCounts) }
        var outCycles = lossInstr
        outCycles += WeightPerturbationRule.updateReadout(outputs: outputs, error: lossUnit.error(o, for: context), program: readoutProgram,
                                                         seed: seed, step: context.globalStep)
        // Presynaptic spike counters.
        var coreCycles: [Int: UInt64] = [:]
        for h in 0..<hidden.count {
            let pre = hidden[h].population.learning!.pre[hidden[h].block]
            var n: UInt64 = 0
            for i in 0..<pre.count where pre.spikes[i] != 0 { hidden[h].tally[i] = min(hidden[h].tally[i] + 1, 255); n += 1 }
            hidden[h].core.countControllerInstructions(n)
            coreCycles[hidden[h].core.id, default: 0] += n
        }
        guard context.step + 1 == context.stepsPerSample else { return max(outCycles, coreCycles.values.max() ?? 0) }
        // End of the sample: C~, broadcast, projection and hidden update.
        let T = Int64(context.stepsPerSample)
        let C = (periodSum + T / 2) / T
        periodSum = 0
        var ct: Int64 = 0
        if samplesSeen == 0 { baseline = C } else { ct = C - baseline; baseline += ct >> Int64(p.baselineShift) }
        if samplesSeen < Int32.max { samplesSeen += 1 }
        for (core, _) in outputs { core.countControllerInstructions(4) }
        for (oc, _) in outputs { for h in hiddenCores where h != oc.id { sim.sendLearningPackets(from: oc.id, to: h, kind: .broadcast, count: 1) } }
        for h in hiddenCores { sim.chip.cores[h].countModulatorBroadcasts() }
        let drain = sim.drainLearningPackets()
        let F = Int64(p.protoFrac)
        for h in 0..<hidden.count {
            let core = hidden[h].core, pop = hidden[h].population, k = hidden[h].block
            let l = pop.learning!
            let nPre = hidden[h].tally.count
            var c = ActionCounts()
            var instr: UInt64 = 0
            var protoReadBits: UInt64 = 0
            let winner: Int
            if Int(hidden[h].used) < p.clusters {
                winner = Int(hidden[h].used)
                for j in 0..<nPre { hidden[h].protos[winner * nPre + j] = hidden[h].tally[j] << Int32(F) }
                hidden[h].used += 1
                instr += UInt64(2 * nPre)
            } else {
                var best = Int64.max, bestC = 0
                for cl in 0..<p.clusters {
                    var d: Int64 = 0
                    for j in 0..<nPre { d += abs(Int64(hidden[h].tally[j]) << F - Int64(hidden[h].protos[cl * nPre + j])) }
                    if d < best { best = d; bestC = cl }
                }
                winner = bestC
                for j in 0..<nPre {
                    let q = Int64(hidden[h].protos[winner * nPre + j])
                    hidden[h].protos[winner * nPre + j] = Int32(q + ((Int64(hidden[h].tally[j]) << F - q) >> Int64(p.protoShift)))
                }
                instr += UInt64(2 * p.clusters * nPre + p.clusters + 3 * nPre)
                protoReadBits = UInt64(p.clusters * nPre * LOCORule.protoBits)
            }
            PlasticityUnit.countPrototypeAccess(readBits: protoReadBits, writeBits: UInt64(nPre * LOCORule.protoBits), into: &c)
            // Projection onto the winning prototype.
            var num: Int64 = 0, den: Int64 = 0
            for j in 0..<nPre {
                let q = Int64(hidden[h].protos[winner * nPre + j])
                num += q * Int64(hidden[h].tally[j]); den += q * q
            }
            for j in 0..<nPre {
                let q = Int64(hidden[h].protos[winner * nPre + j])
                l.pre[k].x1[j] = den > 0 ? Int32((num * q << F) / den) : 0
            }
            instr += UInt64(4 * nPre + 1)
            for i in 0..<pop.count {
                l.post.modulator[i] = Int32(FixedPoint.saturate((ct * Int64(l.post.r1[i])) >> Int64(p.zoShift), bits: LearningWidths.modulator))
            }
            instr += UInt64(2 * pop.count)
            PlasticityUnit.countControllerInstructions(instr, into: &c)
            let lanes = UInt64(core.plasticityUnit.lanes)
            var cycles = (instr + lanes - 1) / lanes
            let r = core.plasticityUnit.runSynapseScope(hiddenProgram, block: &pop.blocks[k], pre: l.pre[k], post: l.post,
                                                        random: MicrocodeRandom(seed: seed, core: core.id, step: context.globalStep, block: k, scope: .synapse),
                                                        counts: &c)
            cycles += UInt64(r.cycles)
            core.recordLearning(c)
            coreCycles[core.id, default: 0] += cycles
        }
        return max(outCycles, coreCycles.values.max() ?? 0) + 4 + drain
    }
}

extension LOCORule: TrainableRule {
    public var outputLossUnit: LossUnit? { lossUnit }
    public var parametersJSON: JSONValue { LOCOConfig.json(parameters) }
    public var extraSynapseBytes: Int { Set(hidden.map(\.core.id)).reduce(0) { $0 + extraBytes(core: $1) } }
    /// The cost baseline (64-bit), samples seen, and per hidden block its 16-bit prototypes and
    /// the number of prototypes in use.
    public var stateRegisters: [RuleStateRegister] {
        [RuleStateRegister("baseline", signedBits: 64, values: [baseline]),
         RuleStateRegister("samplesSeen", range: 0...Int64(Int32.max), values: [Int64(samplesSeen)])]
        + hidden.enumerated().flatMap { h, b in
            [RuleStateRegister("prototypes[\(h)]", signedBits: LOCORule.protoBits, values: b.protos),
             RuleStateRegister("prototypesUsed[\(h)]", range: 0...Int64(parameters.clusters), values: [Int64(b.used)])]
        }
    }
    public func restoreState(_ registers: [RuleStateRegister]) {
        for r in registers {
            if r.name == "baseline" { baseline = r.values[0] }
            else if r.name == "samplesSeen" { samplesSeen = Int32(r.values[0]) }
            else if let h = hidden.indices.first(where: { r.name == "prototypes[\($0)]" }) { hidden[h].protos = ContiguousArray(r.values.map { Int32($0) }) }
            else if let h = hidden.indices.first(where: { r.name == "prototypesUsed[\($0)]" }) { hidden[h].used = Int32(r.values[0]) }
        }
    }
}
