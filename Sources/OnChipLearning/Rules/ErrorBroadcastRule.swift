import Foundation
import ChipModel


// OPZO and the rules that share its machinery (docs/LEARNING.md): DFA (fixed random feedback),
// readout-only (hidden frozen, the floor that shows whether hidden layers learn), and ZO_sp
// (single-point zeroth order: the scalar loss minus a running baseline is broadcast and each
// hidden neuron correlates it with its own noise: g_i = ((L - b) z_i[t-1]) >> zoShift, with
// L = -ln p_label in units of 2^-14 (a log look-up at the output core) and b <- b + (L - b) / 16).
// mgd_np is ZO_sp without the surrogate gate (node perturbation with tau_p = tau_theta = 1 step).
//
// Schedule of one training step t (learning phase, after spikes are routed):
//   1. output core: o = readout v (pre-reset); e = LossUnit(o, label)            (host sent the label)
//   2. output core: mod_k = e_k; readout synapses w -= sround(x1 * e_k, etaReadout)
//   3. output core -> every hidden core: e (m graded packets) and, for OPZO, o (m more)
//   4. hidden cores, OPZO: feedback synapses M_ik (aux) <- M - sround(M, K) + (o_k z_i[t-1]) >> S
//      (o[t] reflects the noise of step t-1: one synaptic delay; z regenerated from the PRNG)
//   5. hidden cores: G_i = sum_k M_ik e_k; g_i = sat16(G_i >> s) into the modulator, where
//      s = gShift, or with gNormalise = b > 0 the per-core block-floating-point shift
//      s = max(0, bitLength(max_i |G_i|) - b): the largest |g| of the core has b bits whatever
//      the scale of M (which grows with the output's scale). One max-reduce per core.
//   6. hidden cores: r2 = psi[t-1], r0 = psi[t]; w_ij -= sround(x1_j * g_i, etaHidden) where r2 = 1
// e[t] reflects hidden activity of step t-1 (one synaptic delay to the readout), so it is
// paired with z[t-1] and psi[t-1] (kept in r2); the presynaptic trace is that of step t
// (traces change slowly; keeping x1[t-1] would double the trace memory). docs/LEARNING.md.
// Noise (OPZO): before the neuron update, a_in_i += alpha * z_i[t], z Gaussian (rounded) or
// Rademacher, keyed by (seed, neuronNoise, layer, global step, neuron): regenerable.

public struct ErrorBroadcastParameters: Equatable, Sendable {
    public enum Kind: String, CaseIterable, Sendable {
        case opzo, dfa, readout
        case zoSP = "zo_sp"
        case mgdNP = "mgd_np"
        var usesNoise: Bool { self == .opzo || self == .zoSP || self == .mgdNP }
        var scalarLoss: Bool { self == .zoSP || self == .mgdNP }
    }
    public enum Noise: String, CaseIterable, Sendable { case gaussian, rademacher }
    public var kind: Kind = .opzo
    public var noise: Noise = .rademacher
    /// Noise amplitude in weight units (added to a_in before << 6).
    public var alpha: Int = 8
    public var lambdaShift: Int = 17
    public var productShift: Int = 4
    public var gShift: Int = 20
    /// > 0: normalise g per core so that max |g| has this many bits (block floating point).
    public var gNormalise: Int = 0
    /// ZO_sp / mgd_np: g_i = ((L - b) z_i) >> zoShift.
    public var zoShift: Int = 6
    public var etaHidden: Int = 14
    public var etaReadout: Int = 12
    /// psi window on the pre-reset voltage: |v - vth << 6| < psiWidth.
    public var psiWidth: Int = 12800
    /// Learning epoch in steps: 1 = update the forward weights every step; > 1 = accumulate
    /// each neuron's (psi-gated) modulator in r3 and update once per epoch (and at the
    /// sample's last step) from x1 at that step.
    public var tEpoch: Int = 1
    /// Burn-in: steps of each sample before this one learn nothing (no error packets, no
    /// momentum, no forward update); only psi is tracked. Their error reflects a network that
    /// has not yet responded to the input, and with tEpoch > 1 it would be paired with the
    /// trace at the epoch's end.
    public var learnFrom: Int = 0
    /// OPZO: false = a new noise draw every step and the momentum updated every step from
    /// o[t] z[t-1]; true = one noise draw per learning epoch, held for its steps, and the
    /// momentum updated once per epoch from z and the epoch's summed output (sum_t o[t]).
    public var holdNoise: Bool = false
    /// Where the noise enters: false = pre-neuron (a_in += z, the default: spikes stay binary);
    /// true = post-neuron: each hidden neuron's output becomes graded, s_i + z_i / 256 (z in
    /// 1/256 of a spike), sent as a graded packet every step; the next layer integrates
    /// sum_i w_ki (s_i + z_i / 256): the spike part as usual, the noise part as
    /// shift((sum_i w_ki z_i) >> 8, weightExponent) added to a_in one step later.
    public var postNeuronNoise: Bool = false
    public var auxBits: Int = 32
    /// DFA: feedback weights uniform in [-dfaScale, dfaScale] (aux units).
    public var dfaScale: Int = 1 << 20
    /// OPZO: initial M: 0 (default) or, with mInitScale > 0, uniform in [-mInitScale, mInitScale]
    /// (aux units, the same keyed draw as DFA's fixed feedback).
    public var mInitScale: Int = 0
    public var loss = LossUnitParameters()
    public var trace = TraceParameters(bits: 8, decay: 410, impulse: 24, rounding: .stochastic)
    public init() {}
}

public final class ErrorBroadcastRule: LearningRule {
    public let parameters: ErrorBroadcastParameters
    public var name: String { parameters.kind.rawValue }
    public var preTraces: (x1: TraceParameters, x2: TraceParameters) { (parameters.trace, .unused) }
    public var postTraces: (y1: TraceParameters, y2: TraceParameters, y3: TraceParameters) { (.unused, .unused, .unused) }

    let lossUnit: LossUnit
    var outputLayer = 0
    var hiddenLayers: Set<Int> = []
    /// Feedback state per hidden population: its core, population, feedback block and pre state.
    struct Feedback { let core: Core; let population: Population; var block: SynapseBlock; var pre: PreSynapticTraces }
    var feedback: [Feedback] = []
    /// The cores holding feedback blocks, in order (one entry per run of blocks on a core).
    private var hiddenCores: [Int] = []
    /// Learning cycles per core within one step (kept between steps so no table is allocated per step).
    private var coreCycles: [Int: UInt64] = [:]
    var outputs: [(core: Core, population: Population)] = []
    var psiProgram = MicrocodeProgram(scope: .neuron, instructions: [])
    var hiddenProgram = MicrocodeProgram(scope: .synapse, instructions: [])
    var readoutProgram = MicrocodeProgram(scope: .synapse, instructions: [])
    var momentumProgram = MicrocodeProgram(scope: .synapse, instructions: [])
    var accumulateHidden = MicrocodeProgram(scope: .neuron, instructions: [])
    var accumulateReadout = MicrocodeProgram(scope: .neuron, instructions: [])
    var epochHidden = MicrocodeProgram(scope: .synapse, instructions: [])
    var epochReadout = MicrocodeProgram(scope: .synapse, instructions: [])
    var clearProgram = MicrocodeProgram(scope: .neuron, instructions: [])
    var noiseKey = RandomKey(seed: 0, stream: .neuronNoise)
    var seed: UInt64 = 0
    var o: [Int32] = []
    /// holdNoise: the output summed over the learning epoch (output core registers, 32-bit saturating).
    var oSum: [Int32] = []
    var e: [Int32] = []
    var gBuffer: [Int64] = []
    /// Post-neuron noise: the graded noise sums of one population (reused every step).
    var gradedSums: [Int64] = []
    var lossBaseline: Int64 = 0
    let debug = ProcessInfo.processInfo.environment["CHIPSIM_DEBUG"] != nil

    public init(_ p: ErrorBroadcastParameters) {
        parameters = p
        lossUnit = LossUnit(p.loss)
    }

    /// Learning-rate halvings in force (added to both eta shifts); programs are reassembled.
    public private(set) var etaOffset = 0
    public func setEtaOffset(_ k: Int) throws {
        guard k != etaOffset else { return }
        etaOffset = k
        try assembleUpdatePrograms()
    }

    func assembleUpdatePrograms() throws {
        let k = etaOffset
        let eh = min(31, parameters.etaHidden + k), er = min(31, parameters.etaReadout + k)
        epochHidden = try MicrocodeAssembler.assemble(OPZOPrograms.epochUpdate(etaShift: eh), file: "<opzo hidden epoch>")
        epochReadout = try MicrocodeAssembler.assemble(OPZOPrograms.epochUpdate(etaShift: er), file: "<opzo readout epoch>")
        hiddenProgram = try MicrocodeAssembler.assemble(OPZOPrograms.threeFactor(etaShift: min(31, parameters.etaHidden + k), gatePsi: parameters.kind != .mgdNP), file: "<opzo hidden>")
        readoutProgram = try MicrocodeAssembler.assemble(OPZOPrograms.threeFactor(etaShift: min(31, parameters.etaReadout + k), gatePsi: false), file: "<opzo readout>")
    }

    public func attach(to sim: Simulator) throws {
        let chip = sim.chip
        let p = parameters
        seed = chip.config.seed
        noiseKey = RandomKey(seed: seed, stream: .neuronNoise)
        outputLayer = chip.layers.count - 1
        let m = chip.layers[outputLayer].size
        guard m < 1 << 17 else {
            // g = M e sums m products below 2^46 in 64 bits (see learn).
            throw ChipError.config(file: chip.config.file, path: "$.network.layers[\(outputLayer)].size",
                                   message: "an output layer of \(m) neurons is too large for the error-broadcast rules (at most 131071)")
        }
        o = [Int32](repeating: 0, count: m); e = o; oSum = o
        hiddenLayers = Set(chip.layers.indices.filter { !chip.layers[$0].isInput && $0 != outputLayer })
        let vth = chip.layers.indices.filter { hiddenLayers.contains($0) }.map { chip.layers[$0].neuron.parameters.vth }.first ?? 0
        psiProgram = try MicrocodeAssembler.assemble(OPZOPrograms.surrogate(theta: vth << 6, width: p.psiWidth), file: "<opzo psi>")
        try assembleUpdatePrograms()
        accumulateHidden = try MicrocodeAssembler.assemble(OPZOPrograms.accumulate(gated: p.kind != .mgdNP), file: "<opzo accumulate hidden>")
        accumulateReadout = try MicrocodeAssembler.assemble(OPZOPrograms.accumulate(gated: false), file: "<opzo accumulate readout>")
        clearProgram = try MicrocodeAssembler.assemble(OPZOPrograms.clearAccumulator, file: "<opzo clear>")
        momentumProgram = try MicrocodeAssembler.assemble(OPZOPrograms.momentum(lambdaShift: p.lambdaShift, productShift: p.productShift), file: "<opzo momentum>")
        for core in chip.cores {
            for pop in core.populations {
                if pop.layer == outputLayer { outputs.append((core, pop)) }
                if hiddenLayers.contains(pop.layer) && p.kind != .readout {
                    // ZO_sp / mgd_np hold no feedback synapses (an empty block keeps the bookkeeping).
                    var block = p.kind.scalarLoss ? SynapseBlock(nPre: 0, nPost: pop.count, weightBits: 1, auxBits: 0)
                                                  : SynapseBlock(nPre: m, nPost: pop.count, weightBits: 1, auxBits: p.auxBits)
                    let scale = p.kind == .dfa ? p.dfaScale : (p.kind == .opzo ? p.mInitScale : 0)
                    if scale > 0 {
                        // Random feedback (DFA's fixed M, OPZO's initial M), keyed by
                        // (seed, layer, output k, global neuron): uniform in [-scale, scale].
                        let key = RandomKey(seed: seed, stream: .weightInit).with(-2).with(pop.layer)
                        let span = UInt64(2 * scale + 1)
                        for k in 0..<m {
                            for j in 0..<pop.count {
                                let r = ((key.draw(k << 24 + pop.firstNeuron + j) >> 32) * span) >> 32
                                block.aux[k * pop.count + j] = Int32(Int(r) - scale)
                            }
                        }
                    }
                    let limit = chip.config.chip.core.synapseMemoryBytes
                    let used = core.synapseBytes + feedback.filter { $0.core === core }.reduce(0) { $0 + $1.block.bytes } + block.bytes
                    if used > limit {
                        throw ChipError.capacity(message: "layer '\(chip.layers[pop.layer].name)' on core \(core.id): \(p.kind.rawValue) feedback synapses (\(m) x \(pop.count), \(p.auxBits)-bit) need \(block.bytes) bytes more; the core would hold \(used) bytes of synapse memory, chip.core.synapseMemoryBytes is \(limit)")
                    }
                    feedback.append(Feedback(core: core, population: pop, block: block,
                                             pre: PreSynapticTraces(count: m, x1: .unused, x2: .unused)))
                }
            }
        }
        guard !outputs.isEmpty else { throw ChipError.config(file: chip.config.file, path: "$.learning", message: "the network has no output layer on a core") }
        hiddenCores = []
        for f in feedback where hiddenCores.last != f.core.id { hiddenCores.append(f.core.id) }
    }

    /// Feedback blocks' bytes (for the memory report).
    public var feedbackBytes: Int { feedback.reduce(0) { $0 + $1.block.bytes } }

    @inline(__always)
    func noise(layer: Int, globalStep: Int, neuron: Int) -> Int64 {
        noise(noiseKey(layer: layer, globalStep: globalStep), neuron: neuron)
    }

    /// The key of one layer's noise at one step (hoisted out of per-neuron loops).
    @inline(__always)
    func noiseKey(layer: Int, globalStep: Int) -> RandomKey { noiseKey.with(layer).with(globalStep) }

    @inline(__always)
    func noise(_ k: RandomKey, neuron: Int) -> Int64 {
        switch parameters.noise {
        case .rademacher: return (k.draw(neuron) >> 63) == 0 ? Int64(parameters.alpha) : -Int64(parameters.alpha)
        case .gaussian:
            // round-half-away(alpha z), z the PRNG unit's fixed-point Gaussian (units of 2^-24).
            let x = Int64(parameters.alpha) * k.gaussianQ24(neuron)
            return x >= 0 ? (x + (1 << 23)) >> 24 : -((-x + (1 << 23)) >> 24)
        }
    }

    /// z[j] = noise(key, neuron: firstNeuron + j) for every j; Rademacher signs four lanes at
    /// a time (the same draws: bit 63 of draw(neuron) set gives -alpha).
    func fillNoise(_ key: RandomKey, firstNeuron: Int, into z: UnsafeMutableBufferPointer<Int64>) {
        var j = 0
        if parameters.noise == .rademacher {
            let alpha = Int64(parameters.alpha), first = UInt64(bitPattern: Int64(firstNeuron))
            let lane = SIMD4<UInt64>(0, 1, 2, 3)
            while j + 4 <= z.count {
                let negative = SIMD4<Int64>(truncatingIfNeeded: key.draw(lane &+ (first &+ UInt64(j))) &>> 63)
                let v = SIMD4<Int64>(repeating: alpha) &- negative &* (2 &* alpha)
                z[j] = v[0]; z[j + 1] = v[1]; z[j + 2] = v[2]; z[j + 3] = v[3]
                j += 4
            }
        }
        while j < z.count { z[j] = noise(key, neuron: firstNeuron + j); j += 1 }
    }

    public func beforeNeuronUpdate(core: Core, population: Population, aIn: UnsafeMutableBufferPointer<Int64>,
                                   context: StepContext, counts: inout ActionCounts) {
        if parameters.postNeuronNoise {
            addGradedNoise(population: population, aIn: aIn, context: context, counts: &counts)
            return
        }
        guard parameters.kind.usesNoise, hiddenLayers.contains(population.layer) else { return }
        let drawsNow = !parameters.holdNoise || noiseStep(context) == context.globalStep
        let n = population.count
        if parameters.holdNoise {
            // Held noise is drawn at the epoch's first step (every sample starts an epoch) and
            // kept in the neuron for the epoch's other steps: counted once.
            var held = heldNoise[population.layer] ?? ContiguousArray(repeating: 0, count: n)
            if drawsNow || held.count != n {
                let key = noiseKey(layer: population.layer, globalStep: noiseStep(context))
                held = ContiguousArray(repeating: 0, count: n)
                held.withUnsafeMutableBufferPointer { z in fillNoise(key, firstNeuron: population.firstNeuron, into: z) }
                heldNoise[population.layer] = held
            }
            // |a_in| < 2^40 (Simulator.step's dendritic sum) and |z| < 2^16 (alpha <= 4096, a
            // Box-Muller normal below 9): the wrapping add never wraps and lets the loop vectorise.
            held.withUnsafeBufferPointer { z in for j in 0..<n { aIn[j] &+= z[j] } }
        } else {
            let key = noiseKey(layer: population.layer, globalStep: noiseStep(context))
            for j in 0..<n { aIn[j] += noise(key, neuron: population.firstNeuron + j) }
        }
        if drawsNow { PRNGUnit.countDraws(n, into: &counts) }
    }

    /// Post-neuron noise: a population fed by a hidden layer integrates the graded noise part of
    /// that layer's outputs of the previous step (one synaptic delay, like spikes).
    func addGradedNoise(population: Population, aIn: UnsafeMutableBufferPointer<Int64>,
                        context: StepContext, counts: inout ActionCounts) {
        guard parameters.kind.usesNoise, context.step > 0 else { return }
        for block in population.blocks where hiddenLayers.contains(block.preLayer) {
            let key = noiseKey(layer: block.preLayer, globalStep: noiseStep(localStep: context.step - 1, globalStep: context.globalStep - 1))
            let nPre = block.nPre, nPost = block.nPost
            if gradedSums.count < nPost { gradedSums = [Int64](repeating: 0, count: nPost) }
            var nonzeroProducts = 0
            gradedSums.withUnsafeMutableBufferPointer { sums in
                for j in 0..<nPost { sums[j] = 0 }
                for i in 0..<nPre {
                    let z = noise(key, neuron: i)
                    if z == 0 { continue }
                    nonzeroProducts += GradedDelivery.nonzeroFanOut(block, pre: i)
                    if block.layout == .dense {
                        block.weights.withUnsafeBufferPointer { w in
                            let row = w.baseAddress! + i * nPost
                            for j in 0..<nPost { sums[j] += Int64(row[j]) * z }
                        }
                    } else {
                        for j in 0..<nPost { sums[j] += Int64(block.weight(pre: i, post: j)) * z }
                    }
                }
                for j in 0..<nPost { aIn[j] += FixedPoint.shift(sums[j] >> 8, by: block.weightExponent) }
            }
            PRNGUnit.countDraws(nPre, into: &counts)
            GradedDelivery.count(pre: nPre, post: nPost, bitsPerValue: block.weightBits, nonzeroProducts: nonzeroProducts, into: &counts)
        }
    }

    /// Post-neuron noise: every hidden neuron's output is a graded packet each step (sent with
    /// the step's other learning traffic); returns the drain cycles.
    func sendGradedOutputs(_ sim: Simulator) -> UInt64 {
        guard parameters.postNeuronNoise, parameters.kind.usesNoise else { return 0 }
        for f in feedback {
            for (oc, _) in outputs { sim.sendLearningPackets(from: f.core.id, to: oc.id, kind: .graded, count: f.population.count) }
        }
        return sim.drainLearningPackets()
    }

    /// holdNoise: each hidden layer's noise of the current learning epoch (the neurons' registers).
    var heldNoise: [Int: ContiguousArray<Int64>] = [:]

    /// The global step whose key draws this step's noise: the step itself, or with holdNoise
    /// the first step of its learning epoch.
    @inline(__always)
    func noiseStep(_ context: StepContext) -> Int {
        noiseStep(localStep: context.step, globalStep: context.globalStep)
    }

    /// The same for any step of a sample (local step s at global step g).
    @inline(__always)
    func noiseStep(localStep s: Int, globalStep g: Int) -> Int {
        parameters.holdNoise ? g - s % max(1, parameters.tEpoch) : g
    }

    /// Whether this step ends a learning epoch (always true at a sample's last step).
    @inline(__always)
    func epochEnds(_ context: StepContext) -> Bool {
        (context.step + 1) % max(1, parameters.tEpoch) == 0 || context.step == context.stepsPerSample - 1
    }

    /// Runs a synapse program over every incoming (forward) block of a population; returns cycles.
    func runForwardBlocks(_ program: MicrocodeProgram, core: Core, population pop: Population, step: Int,
                          counts c: inout ActionCounts) -> UInt64 {
        let l = pop.learning!
        var cycles: UInt64 = 0
        for k in 0..<pop.blocks.count {
            let before = observeForwardUpdate == nil ? nil : pop.blocks[k].weights
            defer {
                if let observe = observeForwardUpdate, let before {
                    let readout = pop.layer == outputLayer
                    let factor: ContiguousArray<Int32>
                    if parameters.tEpoch > 1 { factor = l.post.r3 }
                    else if readout || parameters.kind == .mgdNP { factor = l.post.modulator }
                    else { factor = ContiguousArray((0..<l.post.count).map { l.post.r2[$0] == 0 ? 0 : l.post.modulator[$0] }) }
                    observe(ForwardUpdateObservation(layer: pop.layer, block: k, globalStep: step,
                                                     etaShift: min(31, (readout ? parameters.etaReadout : parameters.etaHidden) + etaOffset),
                                                     x1: l.pre[k].x1, factor: factor, weightsBefore: before,
                                                     weightsAfter: pop.blocks[k].weights, weightBits: pop.blocks[k].weightBits))
                }
            }
            let r = core.plasticityUnit.runSynapseScope(program, block: &pop.blocks[k], pre: l.pre[k], post: l.post,
                                                        random: MicrocodeRandom(seed: seed, core: core.id, step: step, block: k, scope: .synapse),
                                                        counts: &c)
            cycles += UInt64(r.cycles)
        }
        return cycles
    }

    /// The forward-weight update of one population: every step (tEpoch = 1), or accumulate
    /// the modulator in r3 and update at the end of each learning epoch.
    func updateForward(readout: Bool, core: Core, population pop: Population, context: StepContext,
                       counts c: inout ActionCounts) -> UInt64 {
        let step = context.globalStep
        if parameters.tEpoch <= 1 {
            return runForwardBlocks(readout ? readoutProgram : hiddenProgram, core: core, population: pop, step: step, counts: &c)
        }
        let l = pop.learning!
        func neuronProgram(_ program: MicrocodeProgram, block: Int) -> UInt64 {
            UInt64(core.plasticityUnit.runNeuronScope(program, neurons: &l.post,
                                                      random: MicrocodeRandom(seed: seed, core: core.id, step: step, block: block, scope: .neuron),
                                                      counts: &c).cycles)
        }
        var cycles = neuronProgram(readout ? accumulateReadout : accumulateHidden, block: 1)
        if epochEnds(context) {
            cycles += runForwardBlocks(readout ? epochReadout : epochHidden, core: core, population: pop, step: step, counts: &c)
            cycles += neuronProgram(clearProgram, block: 2)
        }
        return cycles
    }

    /// Test and check hook (nil in runs): called after each forward-weight update of a block
    /// with the factors the program used. `chipsim gradcheck CONFIG` compares the update with
    /// its float formula.
    public var observeForwardUpdate: ((ForwardUpdateObservation) -> Void)?

    public func beginSample(simulator: Simulator, context: StepContext) {
        // The host sends the label to the output core(s): one byte each.
        simulator.countHost(.hostIOBytes, UInt64(outputs.count))
    }

    public func learn(simulator sim: Simulator, context: StepContext) -> UInt64 {
        let p = parameters
        let seed = self.seed
        let step = context.globalStep
        coreCycles.removeAll(keepingCapacity: true)
        let gradedDrain = sendGradedOutputs(sim)
        if context.step < p.learnFrom {
            // Burn-in: nothing learns. Only the last burn-in step computes psi: the first
            // learning step needs psi[t-1] in r2, and earlier values would be overwritten unread.
            guard context.step == p.learnFrom - 1 else { return gradedDrain }
            for f in feedback {
                var c = ActionCounts()
                let l = f.population.learning!
                let r = f.core.plasticityUnit.runNeuronScope(psiProgram, neurons: &l.post,
                                                             random: MicrocodeRandom(seed: seed, core: f.core.id, step: step, block: 0, scope: .neuron),
                                                             counts: &c)
                f.core.recordLearning(c)
                coreCycles[f.core.id, default: 0] += UInt64(r.cycles)
            }
            return (coreCycles.values.max() ?? 0) + gradedDrain
        }
        // 1. Output error.
        for (_, pop) in outputs {
            for j in 0..<pop.count { o[pop.firstNeuron + j] = pop.learning!.post.v[j] }
        }
        e = lossUnit.error(o, for: context)
        // 2. Readout update.
        for (core, pop) in outputs {
            var c = ActionCounts()
            var cycles = pop.receiveError(e, counts: &c)
            cycles += updateForward(readout: true, core: core, population: pop, context: context, counts: &c)
            core.recordLearning(c)
            coreCycles[core.id, default: 0] += cycles
        }
        guard p.kind != .readout else { return (coreCycles.values.max() ?? 0) + gradedDrain }
        // 3. Graded packets: e (and o for OPZO) from each output core to each hidden core;
        //    ZO_sp broadcasts one scalar (L - b).
        var lossDelta: Int64 = 0
        if p.kind.scalarLoss, let oc = outputs.first?.core {
            // The output core's loss unit: L from the probabilities the error just used, then
            // the baseline b <- b + (L - b) >> 4; it counts both.
            var c = ActionCounts()
            let L = lossUnit.cost(o, for: context, probabilitiesKnown: true, counts: &c)
            lossDelta = lossUnit.updateBaseline(&lossBaseline, cost: L, shift: 4, counts: &c)
            oc.recordLearning(c)
            coreCycles[oc.id, default: 0] += c[.plastInstr]
        }
        // OPZO sends o with e; with held noise only the epoch's summed o, at the epoch's end.
        let momentumNow = p.kind == .opzo && (!p.holdNoise || epochEnds(context))
        if p.kind == .opzo && p.holdNoise {
            for k in 0..<o.count { oSum[k] = Int32(FixedPoint.saturate(Int64(oSum[k]) + Int64(o[k]), bits: 32)) }
            for (oc, pop) in outputs { oc.countControllerInstructions(UInt64(pop.count)) }
        }
        let perOutput = momentumNow ? 2 : 1
        for (oc, pop) in outputs {
            for h in hiddenCores {
                if p.kind.scalarLoss {
                    sim.sendLearningPackets(from: oc.id, to: h, kind: .broadcast, count: 1)
                    sim.chip.cores[h].countModulatorBroadcasts()
                } else {
                    sim.sendLearningPackets(from: oc.id, to: h, kind: .graded, count: perOutput * pop.count)
                }
            }
        }
        let drain = sim.drainLearningPackets()
        // 4-6. Hidden cores.
        let m = o.count
        for fi in 0..<feedback.count {
            let core = feedback[fi].core, pop = feedback[fi].population
            let l = pop.learning!
            var c = ActionCounts()
            var cycles: UInt64 = 0
            let n = pop.count
            if p.kind.scalarLoss {
                // z[t-1]: the noise of the previous step (held: of that step's learning epoch).
                let key = noiseKey(layer: pop.layer, globalStep: noiseStep(localStep: max(0, context.step - 1), globalStep: step - 1))
                for j in 0..<n {
                    let z = context.step > 0 ? noise(key, neuron: pop.firstNeuron + j) : 0
                    l.post.modulator[j] = Int32(FixedPoint.saturate((lossDelta * z) >> Int64(p.zoShift), bits: LearningWidths.modulator))
                }
                PRNGUnit.countDraws(n, into: &c)
                PlasticityUnit.countControllerInstructions(UInt64(2 * n), into: &c)
            } else if momentumNow {
                // Momentum: M <- M - sround(M, K) + (o_k z_i) >> S, pairing the output with the
                // noise it reflects: o[t] with z[t-1] (none at a sample's first step), or with
                // held noise the epoch's summed output with the epoch's z.
                let output = p.holdNoise ? oSum : o
                for k in 0..<m { feedback[fi].pre.x2[k] = output[k] }
                let zStep: Int? = p.holdNoise ? noiseStep(context) : (context.step > 0 ? step - 1 : nil)
                let key = zStep.map { noiseKey(layer: pop.layer, globalStep: $0) }
                l.post.r1.withUnsafeMutableBufferPointer { r1 in
                    for j in 0..<n { r1[j] = key.map { Int32(noise($0, neuron: pop.firstNeuron + j)) } ?? 0 }
                }
                if key != nil { PRNGUnit.countDraws(n, into: &c) }
                let r = core.plasticityUnit.runSynapseScope(momentumProgram, block: &feedback[fi].block, pre: feedback[fi].pre, post: l.post,
                                                            random: MicrocodeRandom(seed: seed, core: core.id, step: step, block: 1000 + fi, scope: .synapse),
                                                            counts: &c)
                cycles += UInt64(r.cycles)
            }
            // g = M e, accumulated like graded synaptic input into the modulator.
            if !p.kind.scalarLoss {
            if gBuffer.count < n { gBuffer = [Int64](repeating: 0, count: n) }
            let maxAbs: UInt64 = feedback[fi].block.aux.withUnsafeBufferPointer { M in
                gBuffer.withUnsafeMutableBufferPointer { G in
                    for j in 0..<n { G[j] = 0 }
                    // M is stored output-major (row k = output k). Rows are taken four at a
                    // time so each G[j] is loaded and stored once per four rows; integer sums
                    // are exact, so the grouping does not change the result. |M| < 2^31 and
                    // |e| <= 2^15 (the modulator width): each product is below 2^46 and a sum of
                    // fewer than 2^17 of them is exact in Int64, so the wrapping operators
                    // (which let the loop vectorise) never wrap.
                    let base = M.baseAddress!
                    var k = 0
                    while k + 4 <= m {
                        let e0 = Int64(e[k]), e1 = Int64(e[k + 1]), e2 = Int64(e[k + 2]), e3 = Int64(e[k + 3])
                        let r0 = base + k * n, r1 = r0 + n, r2 = r1 + n, r3 = r2 + n
                        for j in 0..<n {
                            G[j] &+= (Int64(r0[j]) &* e0 &+ Int64(r1[j]) &* e1) &+ (Int64(r2[j]) &* e2 &+ Int64(r3[j]) &* e3)
                        }
                        k += 4
                    }
                    while k < m {
                        let ek = Int64(e[k]), row = base + k * n
                        if ek != 0 { for j in 0..<n { G[j] &+= Int64(row[j]) &* ek } }
                        k += 1
                    }
                    var largest: UInt64 = 0                 // max |G[j]|, in a local (stays in a register)
                    for j in 0..<n { largest = Swift.max(largest, G[j].magnitude) }
                    return largest
                }
            }
            var shift = Int64(p.gShift)
            if p.gNormalise > 0 {
                shift = max(0, Int64(64 - maxAbs.leadingZeroBitCount) - Int64(p.gNormalise))
                PlasticityUnit.countControllerInstructions(UInt64(n), into: &c)
            }
            l.post.modulator.withUnsafeMutableBufferPointer { mod in
                for j in 0..<n { mod[j] = Int32(FixedPoint.saturate(gBuffer[j] >> shift, bits: LearningWidths.modulator)) }
            }
            GradedDelivery.count(pre: m, post: n, bitsPerValue: p.auxBits, into: &c)
            cycles += UInt64(m * n * sim.chip.config.chip.timing.synopCycles)
            }
            let rn = core.plasticityUnit.runNeuronScope(psiProgram, neurons: &l.post,
                                                        random: MicrocodeRandom(seed: seed, core: core.id, step: step, block: 0, scope: .neuron),
                                                        counts: &c)
            cycles += UInt64(rn.cycles)
            cycles += updateForward(readout: false, core: core, population: pop, context: context, counts: &c)
            core.recordLearning(c)
            coreCycles[core.id, default: 0] += cycles
        }
        if momentumNow && p.holdNoise { for k in 0..<oSum.count { oSum[k] = 0 } }
        if debug && context.step == context.stepsPerSample - 1 && context.sample % 200 == 0 {
            let f = feedback[0]
            let mod = f.population.learning!.post.modulator
            let psi = f.population.learning!.post.r0.reduce(0, +)
            let mAbs = f.block.aux.map { abs(Int64($0)) }.reduce(0, +) / Int64(f.block.aux.count)
            let modAbs = mod.map { abs(Int64($0)) }.reduce(0, +) / Int64(mod.count)
            print("debug sample \(context.sample): o \(o) e \(e) |M| \(mAbs) |g| \(modAbs) psi \(psi)/\(mod.count)")
        }
        return (coreCycles.values.max() ?? 0) + drain + gradedDrain
    }
}

/// One forward-weight update as the plasticity unit ran it: w -= sround(x1[i] * factor[j], eta)
/// for every synapse (i, j) with x1[i] != 0 and factor[j] != 0 (then saturated to weightBits).
/// factor is the modulator gated by psi[t-1] (every step) or the epoch accumulator r3.
public struct ForwardUpdateObservation: Sendable {
    public var layer: Int
    public var block: Int
    public var globalStep: Int
    public var etaShift: Int
    public var x1: ContiguousArray<Int32>
    public var factor: ContiguousArray<Int32>
    public var weightsBefore: ContiguousArray<Int16>
    public var weightsAfter: ContiguousArray<Int16>
    public var weightBits: Int
}
