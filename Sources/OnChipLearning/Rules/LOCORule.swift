import ChipModel

// LOCO (Ma & Yu) on chip, as interpreted here (the exact projector is not public; docs/LEARNING.md):
// node perturbation whose update is projected onto a low-rank subspace of presynaptic activity.
// Each hidden block has k cluster prototypes P_c of its presynaptic activity (spike counts per
// sample in units of 2^-F); a sample's presynaptic factor is the projection of its counts r onto
// the prototype of the nearest cluster, x^ = (P_c . r / P_c . P_c) P_c: rank 1 per sample, and all
// updates of a block lie in the span of its k prototypes (rank <= k). Samples of different
// clusters move the weights along different prototype directions. Any number of hidden layers:
// every hidden block projects its own presynaptic activity, and the cost broadcast reaches every
// hidden core.
//
// The chip has no unit that finds a nearest prototype or divides, so the clustering and the
// projection are a declared host step ("loco.projection", HostSteps.swift): the prototypes live on
// the host, not in the core's memory.
//
// Schedule (T = run.steps, the perturbation is held for the sample: tau_p = tau_theta = T):
//   beginSample: theta_i = +-1 per hidden neuron from
//     RandomKey(seed, .perturbation).with(layer).with(-1).with(sampleStartGlobalStep).draw(neuron)
//     (top bit 0: +1), kept in r1 (1 draw per neuron); counts r = 0.
//   every step, hidden cores (neuron update): a_in_i += alpha theta_i.
//   every step, learning phase: output core: L_t = -ln p_label (2^-14 units, LossUnit probabilities),
//     S += L_t; readout w -= sround(x1 e_k, etaReadout) (shared with mgd_wp readout "error");
//     hidden cores: r_j += 1 (saturating at 255) for every delivered presynaptic spike.
//   last step: output core: C = (S + T/2) / T, C~ = C - b, b += C~ >> baselineShift (the first sample
//     only sets b); one broadcast packet to every other hidden core (mod.broadcast counted per core).
//     host step, once per hidden connection (its blocks on every core see the same presynaptic
//     spikes, so their counters are equal): the first block's core sends r (nPre bytes); the host
//     computes (`project`)
//     rF_j = r_j << F; the first k samples initialise P_0..P_{k-1} = rF; afterwards
//     c = argmin_c sum_j |rF_j - P_cj| (lowest c on ties), P_c += (rF - P_c) >> protoShift
//     (arithmetic shift); num = sum_j P_cj r_j, den = sum_j P_cj^2 (64-bit), x^F_j = (num P_cj 2^F) / den
//     (truncating division; 0 if den = 0), and writes x^F into every block's x2 registers (32 bits
//     each, nPre x 4 bytes per block). x2 because this rule declares no x2 trace: the trace unit never touches it, so
//     it holds the host's value until the program reads it, and x1 stays the presynaptic trace.
//     hidden core: mod_i = sat16((C~ theta_i) >> zoShift);
//     `hiddenUpdate` program: w -= sround(x^F_j mod_i, etaHidden) (skipped where x^ or mod is 0).
// Counted on chip: counters (nPre x 8 bit) and the x^ registers (nPre x 32 bit) as synapse memory of
// the core; one instruction per counted presynaptic spike; 2 n instructions for the modulators; the
// programs' own counts. Counted on the host (HostStepCounts, per hidden connection and sample): nPre
// bytes chip->host, 4 nPre bytes host->chip per block of the connection; nPre shifts; clustering (after the first k samples)
// 3 k nPre int ops (subtract, abs, add) + k compares + 3 nPre (prototype update); projection
// 2 nPre MACs + 1 compare + 3 nPre int ops (multiply, shift, divide) when den > 0.
public final class LOCORule: LearningRule {
    public let parameters: LOCOParameters
    public var name: String { "loco" }
    public var preTraces: (x1: TraceParameters, x2: TraceParameters) { (parameters.trace, .unused) }
    public var postTraces: (y1: TraceParameters, y2: TraceParameters, y3: TraceParameters) { (.unused, .unused, .unused) }

    /// Width of a prototype value (host state; checkpointed as a 16-bit register).
    static let protoBits = 16
    static let counterBits = 8
    /// Width of the x^ register the host writes (the x2 slot of each presynaptic axon).
    static let projectionBits = 32

    /// A hidden block on a core: its presynaptic spike counters (chip).
    struct Hidden {
        let core: Core
        let population: Population
        let block: Int
        var tally: ContiguousArray<Int32>
    }
    /// The host's state for one hidden connection: every block of a connection (one per core
    /// holding a slice of the postsynaptic layer) receives the same presynaptic spikes, so its
    /// counters, prototypes and x^ are the same on every core; the host reads the counters of
    /// the first block, projects once, and writes x^ to every block.
    struct Projection {
        /// Indices into `hidden` of the connection's blocks, in core order.
        var members: [Int]
        /// k x nPre prototypes, row c at c * nPre (host memory).
        var protos: ContiguousArray<Int32>
        var used: Int32 = 0
    }
    var hidden: [Hidden] = []
    var projections: [Projection] = []
    var hiddenPops: [(core: Core, population: Population)] = []
    var hiddenCores: [Int] = []
    var outputs: [(core: Core, population: Population)] = []
    let lossUnit: LossUnit
    var seed: UInt64 = 0
    var readoutProgram = MicrocodeProgram(scope: .synapse, instructions: [])
    var hiddenProgram = MicrocodeProgram(scope: .synapse, instructions: [])
    var projectionStep: HostStepID?
    var o: [Int32] = []
    var periodSum: Int64 = 0
    var baseline: Int64 = 0
    var samplesSeen: Int32 = 0
    public private(set) var etaOffset = 0

    public init(_ p: LOCOParameters) {
        parameters = p
        lossUnit = LossUnit(p.loss)
    }

    public static let projectionStepName = "loco.projection"

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
                    hidden.append(Hidden(core: core, population: pop, block: k, tally: ContiguousArray(repeating: 0, count: n)))
                    let connection = pop.blocks[k].connection
                    if let g = projections.firstIndex(where: { hidden[$0.members[0]].population.blocks[hidden[$0.members[0]].block].connection == connection }) {
                        projections[g].members.append(hidden.count - 1)
                    } else {
                        projections.append(Projection(members: [hidden.count - 1], protos: ContiguousArray(repeating: 0, count: p.clusters * n)))
                    }
                }
                let limit = chip.config.chip.core.synapseMemoryBytes
                let used = core.synapseBytes + extraBytes(core: core.id)
                if used > limit {
                    throw ChipError.capacity(message: "core \(core.id): loco's spike counters and x^ registers need \(extraBytes(core: core.id)) bytes; the core would hold \(used) bytes of synapse memory, chip.core.synapseMemoryBytes is \(limit)")
                }
            }
        }
        guard !outputs.isEmpty else { throw ChipError.config(file: chip.config.file, path: "$.learning", message: "the network has no output layer on a core") }
        guard !hidden.isEmpty else { throw ChipError.config(file: chip.config.file, path: "$.learning.rule", message: "loco needs a hidden layer") }
        projectionStep = sim.hostSteps.declare(LOCORule.projectionStepName,
            description: "per hidden connection and sample: read the presynaptic spike counts, pick the nearest of k prototypes (L1), move it, project the counts onto it (64-bit dot products, one division per axon), write x^ into the x2 registers of the connection's block on every core")
        try assemble()
    }

    /// Chip memory loco adds to a core: per hidden block, the spike counters and the x^ registers.
    func extraBytes(core: Int) -> Int {
        hidden.filter { $0.core.id == core }.reduce(0) { acc, h in
            acc + (h.tally.count * (LOCORule.counterBits + LOCORule.projectionBits) + 7) / 8
        }
    }

    /// Synapse scope, hidden blocks: w <- w - sround(x2 * mod, ETA), x2 holding x^ (the host
    /// step's projection). The threeFactor program with x2 for x1: same instructions and cycles.
    static func hiddenUpdate(etaShift: Int) -> String {
        """
        ; LOCO hidden update: dw = -(x^ * mod) / 2^ETA, stochastically rounded; x^ in x2 (written by the host)
        .scope synapse
        .const ETA \(etaShift)
        .require x2, mod
        ld     a0, x2
        ld     a1, mod
        mul    a0, a0, a1, 0
        sround a0, a0, ETA
        ld     a1, w
        sub    a1, a1, a0
        st     w, a1               ; saturates to weightBits
        """
    }

    func assemble() throws {
        let p = parameters
        readoutProgram = try MicrocodeAssembler.assemble(OPZOPrograms.threeFactor(etaShift: min(31, p.etaReadout + etaOffset), gatePsi: false), file: "<loco readout>")
        hiddenProgram = try MicrocodeAssembler.assemble(LOCORule.hiddenUpdate(etaShift: min(31, p.etaHidden + etaOffset)), file: "<loco hidden>")
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

    /// The host step's arithmetic for one block and sample (see the type's comment): updates
    /// `protos` / `used`, writes x^F into `xhat`, and returns what the host computed and moved.
    /// `destinations`: the blocks x^ is written to (each gets nPre x 4 bytes).
    static func project(tally: UnsafeBufferPointer<Int32>, protos: inout ContiguousArray<Int32>, used: inout Int32,
                        clusters: Int, protoFrac F: Int64, protoShift: Int64, xhat: UnsafeMutableBufferPointer<Int32>,
                        destinations: Int = 1) -> HostStepCounts {
        let nPre = tally.count
        var h = HostStepCounts(executions: 1, bytesToHost: UInt64(nPre * LOCORule.counterBits / 8),
                               bytesToChip: UInt64(destinations * nPre * LOCORule.projectionBits / 8))
        h.intOps += UInt64(nPre)   // rF_j = r_j << F
        let winner: Int
        if Int(used) < clusters {
            winner = Int(used)
            for j in 0..<nPre { protos[winner * nPre + j] = tally[j] << Int32(F) }
            used += 1
        } else {
            var best = Int64.max, bestC = 0
            for cl in 0..<clusters {
                var d: Int64 = 0
                for j in 0..<nPre { d += abs(Int64(tally[j]) << F - Int64(protos[cl * nPre + j])) }
                if d < best { best = d; bestC = cl }
            }
            winner = bestC
            for j in 0..<nPre {
                let q = Int64(protos[winner * nPre + j])
                protos[winner * nPre + j] = Int32(q + ((Int64(tally[j]) << F - q) >> protoShift))
            }
            h.intOps += UInt64(3 * clusters * nPre + 3 * nPre)
            h.compares += UInt64(clusters)
        }
        // Projection onto the winning prototype.
        var num: Int64 = 0, den: Int64 = 0
        for j in 0..<nPre {
            let q = Int64(protos[winner * nPre + j])
            num += q * Int64(tally[j]); den += q * q
        }
        h.macs += UInt64(2 * nPre)
        h.compares += 1
        if den > 0 {
            for j in 0..<nPre { xhat[j] = Int32((num * Int64(protos[winner * nPre + j]) << F) / den) }
            h.intOps += UInt64(3 * nPre)
        } else {
            for j in 0..<nPre { xhat[j] = 0 }
        }
        return h
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
        // End of the sample: C~, broadcast, the host's projection and the hidden update.
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
        // The host step, once per hidden connection: x^ into the first block's x2, copied to the others'.
        for g in 0..<projections.count {
            let members = projections[g].members
            let first = hidden[members[0]]
            let l0 = first.population.learning!
            // The host's state moved out for the step (no overlapping access, no copy).
            var protos = ContiguousArray<Int32>(), used = projections[g].used
            swap(&protos, &projections[g].protos)
            let host = first.tally.withUnsafeBufferPointer { r in
                l0.pre[first.block].x2.withUnsafeMutableBufferPointer { x in
                    LOCORule.project(tally: r, protos: &protos, used: &used, clusters: p.clusters,
                                     protoFrac: Int64(p.protoFrac), protoShift: Int64(p.protoShift), xhat: x,
                                     destinations: members.count)
                }
            }
            swap(&protos, &projections[g].protos)
            projections[g].used = used
            let xhat = l0.pre[first.block].x2
            for m in members.dropFirst() { hidden[m].population.learning!.pre[hidden[m].block].x2 = xhat }
            sim.hostSteps.record(projectionStep!, host)
        }
        for h in 0..<hidden.count {
            let core = hidden[h].core, pop = hidden[h].population, k = hidden[h].block
            let l = pop.learning!
            var c = ActionCounts()
            for i in 0..<pop.count {
                l.post.modulator[i] = Int32(FixedPoint.saturate((ct * Int64(l.post.r1[i])) >> Int64(p.zoShift), bits: LearningWidths.modulator))
            }
            let instr = UInt64(2 * pop.count)
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
    /// the number of prototypes in use (host state of the projection step, saved with the rule's).
    public var stateRegisters: [RuleStateRegister] {
        [RuleStateRegister("baseline", signedBits: 64, values: [baseline]),
         RuleStateRegister("samplesSeen", range: 0...Int64(Int32.max), values: [Int64(samplesSeen)])]
        + projections.enumerated().flatMap { g, b in
            [RuleStateRegister("prototypes[\(g)]", signedBits: LOCORule.protoBits, values: b.protos),
             RuleStateRegister("prototypesUsed[\(g)]", range: 0...Int64(parameters.clusters), values: [Int64(b.used)])]
        }
    }
    public func restoreState(_ registers: [RuleStateRegister]) {
        for r in registers {
            if r.name == "baseline" { baseline = r.values[0] }
            else if r.name == "samplesSeen" { samplesSeen = Int32(r.values[0]) }
            else if let g = projections.indices.first(where: { r.name == "prototypes[\($0)]" }) { projections[g].protos = ContiguousArray(r.values.map { Int32($0) }) }
            else if let g = projections.indices.first(where: { r.name == "prototypesUsed[\($0)]" }) { projections[g].used = Int32(r.values[0]) }
        }
    }
}
