import Foundation
import ChipModel

// Weight perturbation on chip: MGD-WP (McCaughan/Oripov) and the randomized forward gradient
// (Wan/Zhang/Karniadakis), docs/LEARNING.md. One forward pass per sample; the perturbed pass IS
// the training pass, and the baseline is a running mean of the period cost.
//
// How the perturbed forward pass is realised: at the start of every perturbation period the
// plasticity unit of each core writes W' = W + c into the weight SRAM of every perturbed
// synapse (c regenerated from the PRNG, no storage), and at the end of the period it writes
// W = W' - c back. Both are exact because clean weights are kept in [wmin + cmax, wmax - cmax]
// (cmax = max |c|): W' never saturates. Delivery is unchanged (the engine reads W').
// Codes: c = +-delta (mgd_wp, Rademacher) or clamp(round(delta z), +-codeClip delta) (fwd_grad,
// z the PRNG unit's fixed-point Gaussian RandomKey.gaussianQ24 (six 10-bit uniforms of one draw,
// summed, centred, scaled by 23170 / 2^24), delta z rounded half away from zero), keyed by
//   RandomKey(seed, .perturbation).with(layer).with(connection).with(periodStart).draw(index)
// where periodStart is the global step at which the period begins and index = i * N_post + j
// (presynaptic neuron i, layer-global postsynaptic neuron j): mapping-independent and regenerable.
//
// Schedule of one training step t (learning phase, after routing):
//   1. output core: o = readout v; p = LossUnit.probabilities(o); L_t = round(-ln(p_label / 2^14) 2^14)
//      (a log look-up; p_label >= 1); S += L_t.
//   2. readout = "error" only: e = LossUnit.error(o, label); readout synapses w -= sround(x1 e_k, etaReadout).
//   3. last step of a period (t + 1 divisible by tauP):
//      output core: C = (S + tauP/2) / tauP (integer division), S = 0; C~ = C - b; b += C~ >> baselineShift
//      (arithmetic shift; the very first period sets b = C and C~ = 0);
//      one broadcast packet C~ to every other core holding perturbed synapses (mod.broadcast counted
//      on every perturbed core);
//      every perturbed synapse, one visit: c regenerated; W = W' - c (restore);
//      G = sat_auxBits(G + round((C~ c) / 2^productShift)) (nearest, ties up);
//      every tauTheta / tauP periods also: W = clamp(W - sround(G, eta_l), wmin + cmax, wmax - cmax), G = 0,
//      sround(x, s) = (x + r mod 2^s) >> s with r from RandomKey(seed, .stochasticRounding).with(-3).with(layer).with(t_global);
//      if t + 1 < T: the next period starts at t + 1 and W' = W + c' is written now.
//   beginSample (host sends the label): S = 0; the first period of the sample is written (W' = W + c).
//      Its cycles are added to the sample's first learning phase.
// eta_l = max(0, eta + etaOffset + (gamma ? round(log2 Gamma_l) : 0)), Gamma_l = sqrt(1/N_l + 1/n - 1/(N_l n)),
// N_l = perturbed synapses into layer l, n = tauTheta / tauP.
// Counted per synapse visit: 1 plast.synapse, the instructions below as plast.instr (and as cycles,
// ceil(visits / lanes) x instructions), prng.draw (1 per code, Rademacher or Gaussian; +1 per sround), weight and aux
// SRAM bits read and written. The aux registers (G) are added to the forward blocks and counted in the
// core's synapse memory (checked against chip.core.synapseMemoryBytes).
public final class WeightPerturbationRule: LearningRule {
    public let parameters: WeightPerturbationParameters
    public var name: String { parameters.kind.rawValue }
    public var preTraces: (x1: TraceParameters, x2: TraceParameters) {
        (parameters.readout == .error ? parameters.trace : .unused, .unused)
    }
    public var postTraces: (y1: TraceParameters, y2: TraceParameters, y3: TraceParameters) { (.unused, .unused, .unused) }

    /// Instructions per synapse visit: write the perturbation (rand, ld w, add, st w);
    /// end of period (rand, ld w, sub, ld aux, mul, add, st aux, st w); update extra (sround, sub, max, min, st aux).
    public static let perturbInstructions = 4
    public static let endInstructions = 8
    public static let updateInstructions = 5

    /// One perturbed forward block.
    struct Target {
        let core: Core
        let population: Population
        let block: Int
        let layer: Int
        let layerSize: Int
        let key: RandomKey
        let etaGamma: Int
    }
    var targets: [Target] = []
    var outputs: [(core: Core, population: Population)] = []
    var perturbedCores: [Int] = []
    let lossUnit: LossUnit
    var seed: UInt64 = 0
    var steps = 1
    var readoutProgram = MicrocodeProgram(scope: .synapse, instructions: [])
    var o: [Int32] = []
    /// Sum of step costs in the current period.
    var periodSum: Int64 = 0
    /// Global step at which the current period began (-1: weights are clean).
    var periodStart = -1
    var baseline: Int64 = 0
    var periodsSeen: Int32 = 0
    var periodsSinceUpdate: Int32 = 0
    var pendingCycles: UInt64 = 0
    public private(set) var etaOffset = 0

    public init(_ p: WeightPerturbationParameters) {
        parameters = p
        lossUnit = LossUnit(p.loss)
    }

    /// The code of synapse `index` of a target in the period starting at `periodStart`.
    @inline(__always)
    static func code(_ key: RandomKey, period: Int, index: Int, _ p: WeightPerturbationParameters) -> Int32 {
        code(key.with(period), index: index, p)
    }

    /// The code of synapse `index` under a key that already includes the period.
    @inline(__always)
    static func code(_ k: RandomKey, index: Int, _ p: WeightPerturbationParameters) -> Int32 {
        switch p.kind {
        case .mgdWP: return (k.draw(index) >> 63) == 0 ? Int32(p.delta) : -Int32(p.delta)
        case .fwdGrad:
            // c = round-half-away(delta z), z the PRNG unit's fixed-point Gaussian (units of 2^-24).
            let x = Int64(p.delta) * k.gaussianQ24(index)
            let c = x >= 0 ? (x + (1 << 23)) >> 24 : -((-x + (1 << 23)) >> 24)
            let m = Int64(p.codeClip * p.delta)
            return Int32(min(max(c, -m), m))
        }
    }

    /// The key of a block's codes (without the period).
    public static func codeKey(seed: UInt64, layer: Int, connection: Int) -> RandomKey {
        RandomKey(seed: seed, stream: .perturbation).with(layer).with(connection)
    }

    /// The Gamma shift round(log2 Gamma) for N synapses and n periods per update (<= 0).
    public static func gammaShift(synapses N: Int, periodsPerUpdate n: Int) -> Int {
        let Nd = Double(max(1, N)), nd = Double(max(1, n))
        let g = (1 / Nd + 1 / nd - 1 / (Nd * nd)).squareRoot()
        return Int(Foundation.log2(g).rounded())
    }

    public func attach(to sim: Simulator) throws {
        let chip = sim.chip
        let p = parameters
        let file = chip.config.file
        seed = chip.config.seed
        steps = chip.config.run.steps
        let outputLayer = chip.layers.count - 1
        o = [Int32](repeating: 0, count: chip.layers[outputLayer].size)
        let perturbLayer: (Int) -> Bool = { l in !chip.layers[l].isInput && (l != outputLayer || p.readout == .perturb) }
        // N_l: perturbed synapses per layer (whole layer, all cores).
        var synapses: [Int: Int] = [:]
        for core in chip.cores { for pop in core.populations where perturbLayer(pop.layer) { for b in pop.blocks { synapses[pop.layer, default: 0] += b.nPre * b.nPost } } }
        let n = p.tauTheta / p.tauP
        for core in chip.cores {
            for pop in core.populations {
                if pop.layer == outputLayer { outputs.append((core, pop)) }
                guard perturbLayer(pop.layer) else { continue }
                for k in 0..<pop.blocks.count {
                    let b = pop.blocks[k]
                    guard b.layout == .dense else {
                        throw ChipError.config(file: file, path: "$.learning.rule", message: "\(p.kind.rawValue) needs dense synapse blocks (aux registers); layer '\(chip.layers[pop.layer].name)' has a sparse one")
                    }
                    let hi = Int32(FixedPoint.signedMax(bits: b.weightBits)) - Int32(p.codeMax)
                    let lo = Int32(FixedPoint.signedMin(bits: b.weightBits)) + Int32(p.codeMax)
                    guard lo < hi else {
                        throw ChipError.config(file: file, path: "$.learning.delta", message: "perturbations up to \(p.codeMax) LSBs leave no room in \(b.weightBits)-bit weights of layer '\(chip.layers[pop.layer].name)'")
                    }
                    pop.blocks[k].enableAux(bits: p.auxBits)
                    // Clean weights live inside the margin (so W + c never saturates).
                    for i in 0..<pop.blocks[k].weights.count {
                        pop.blocks[k].weights[i] = Int16(min(max(Int32(pop.blocks[k].weights[i]), lo), hi))
                    }
                    let gammaShift = p.gamma ? WeightPerturbationRule.gammaShift(synapses: synapses[pop.layer] ?? 1, periodsPerUpdate: n) : 0
                    targets.append(Target(core: core, population: pop, block: k, layer: pop.layer, layerSize: chip.layers[pop.layer].size,
                                          key: WeightPerturbationRule.codeKey(seed: seed, layer: pop.layer, connection: b.connection),
                                          etaGamma: gammaShift))
                }
                let limit = chip.config.chip.core.synapseMemoryBytes
                if core.synapseBytes > limit {
                    throw ChipError.capacity(message: "core \(core.id): \(p.kind.rawValue) adds \(p.auxBits)-bit gradient accumulators to every perturbed synapse; the core would hold \(core.synapseBytes) bytes of synapse memory, chip.core.synapseMemoryBytes is \(limit) (lower learning.auxBits or spread the layer over more cores)")
                }
            }
        }
        for t in targets where perturbedCores.last != t.core.id && !perturbedCores.contains(t.core.id) { perturbedCores.append(t.core.id) }
        guard !outputs.isEmpty else { throw ChipError.config(file: file, path: "$.learning", message: "the network has no output layer on a core") }
        guard !targets.isEmpty else { throw ChipError.config(file: file, path: "$.learning.readout", message: "no synapse is perturbed (the network has only a readout and readout is \"error\")") }
        try assemble()
    }

    func assemble() throws {
        if parameters.readout == .error {
            readoutProgram = try MicrocodeAssembler.assemble(OPZOPrograms.threeFactor(etaShift: min(31, parameters.etaReadout + etaOffset), gatePsi: false), file: "<\(name) readout>")
        }
    }

    public func setEtaOffset(_ k: Int) throws {
        guard k != etaOffset else { return }
        etaOffset = k
        try assemble()
    }

    /// Gradient accumulator bytes added to the forward blocks.
    public var auxBytes: Int {
        targets.reduce(0) { acc, t in let b = t.population.blocks[t.block]; return acc + (b.nPre * b.nPost * b.auxBits + 7) / 8 }
    }

    /// eta_l of a target in force.
    func eta(_ t: Target) -> Int { max(0, parameters.eta + etaOffset + t.etaGamma) }

    /// Writes W' = W + c for the period starting at `period` into every perturbed synapse.
    /// Returns the slowest core's cycles.
    func perturb(period: Int) -> UInt64 {
        let p = parameters
        let draws: UInt64 = 1   // one draw per code (Rademacher: its top bit; Gaussian: twelve 5-bit fields)
        var cycles: [Int: UInt64] = [:]
        for t in targets {
            let pop = t.population
            let nPre = pop.blocks[t.block].nPre, nPost = pop.blocks[t.block].nPost, first = pop.firstNeuron
            let key = t.key.with(period)
            pop.blocks[t.block].weights.withUnsafeMutableBufferPointer { w in
                for i in 0..<nPre {
                    for j in 0..<nPost {
                        let c = WeightPerturbationRule.code(key, index: i * t.layerSize + first + j, p)
                        w[i * nPost + j] = Int16(Int32(w[i * nPost + j]) + c)
                    }
                }
            }
            let s = UInt64(nPre * nPost), wb = UInt64(pop.blocks[t.block].weightBits)
            var c = ActionCounts()
            PlasticityUnit.countSynapsePass(synapses: s, instructions: UInt64(WeightPerturbationRule.perturbInstructions),
                                            draws: draws, bits: wb, into: &c)
            t.core.recordLearning(c)
            let lanes = UInt64(t.core.plasticityUnit.lanes)
            cycles[t.core.id, default: 0] += (s + lanes - 1) / lanes * UInt64(WeightPerturbationRule.perturbInstructions)
        }
        return cycles.values.max() ?? 0
    }

    /// End of the period that began at `period`: restore W, G += C~ c, and (when `update`) the
    /// weight update at global step `step`. Returns the slowest core's cycles.
    func endPeriod(period: Int, costDelta ct: Int64, update: Bool, step: Int) -> UInt64 {
        let p = parameters
        let draws: UInt64 = 1 + (update ? 1 : 0)
        let P = Int64(p.productShift)
        let half: Int64 = P > 0 ? Int64(1) << (P - 1) : 0
        var cycles: [Int: UInt64] = [:]
        for t in targets {
            let pop = t.population
            let nPre = pop.blocks[t.block].nPre, nPost = pop.blocks[t.block].nPost, first = pop.firstNeuron
            let wBits = pop.blocks[t.block].weightBits, aBits = pop.blocks[t.block].auxBits
            let gHi = FixedPoint.signedMax(bits: aBits), gLo = FixedPoint.signedMin(bits: aBits)
            let wHi = Int64(FixedPoint.signedMax(bits: wBits)) - Int64(p.codeMax), wLo = Int64(FixedPoint.signedMin(bits: wBits)) + Int64(p.codeMax)
            let eta = Int64(self.eta(t))
            let mask: UInt64 = eta >= 64 ? ~0 : (UInt64(1) << UInt64(eta)) &- 1
            let roundKey = RandomKey(seed: seed, stream: .stochasticRounding).with(-3).with(t.layer).with(step)
            let key = t.key.with(period)
            var block = pop.blocks[t.block]
            pop.blocks[t.block] = SynapseBlock(nPre: 0, nPost: 0, weightBits: 1, auxBits: 0)   // unique reference while editing
            block.weights.withUnsafeMutableBufferPointer { w in
                block.aux.withUnsafeMutableBufferPointer { g in
                    for i in 0..<nPre {
                        for j in 0..<nPost {
                            let index = i * t.layerSize + first + j
                            let c = WeightPerturbationRule.code(key, index: index, p)
                            let k = i * nPost + j
                            var wk = Int64(w[k]) - Int64(c)
                            var gk = Int64(g[k]) + ((ct * Int64(c) + half) >> P)
                            gk = min(max(gk, gLo), gHi)
                            if update {
                                let r = Int64(roundKey.draw(index) & mask)
                                wk = min(max(wk - ((gk + r) >> eta), wLo), wHi)
                                gk = 0
                            }
                            w[k] = Int16(wk)
                            g[k] = Int32(gk)
                        }
                    }
                }
            }
            pop.blocks[t.block] = block
            let s = UInt64(nPre * nPost)
            let instr = UInt64(WeightPerturbationRule.endInstructions + (update ? WeightPerturbationRule.updateInstructions : 0))
            var c = ActionCounts()
            PlasticityUnit.countSynapsePass(synapses: s, instructions: instr, draws: draws, bits: UInt64(wBits + aBits), into: &c)
            t.core.recordLearning(c)
            let lanes = UInt64(t.core.plasticityUnit.lanes)
            cycles[t.core.id, default: 0] += (s + lanes - 1) / lanes * instr
        }
        return cycles.values.max() ?? 0
    }

    /// Readout learning from the loss unit's error (shared with LOCO): mod_k = e_k, then the
    /// `threeFactor` program over the output blocks. Returns the slowest output core's cycles.
    static func updateReadout(outputs: [(core: Core, population: Population)], error e: [Int32], program: MicrocodeProgram,
                              seed: UInt64, step: Int) -> UInt64 {
        var slowest: UInt64 = 0
        for (core, pop) in outputs {
            let l = pop.learning!
            var c = ActionCounts()
            var cycles = pop.receiveError(e, counts: &c)
            for k in 0..<pop.blocks.count {
                let r = core.plasticityUnit.runSynapseScope(program, block: &pop.blocks[k], pre: l.pre[k], post: l.post,
                                                            random: MicrocodeRandom(seed: seed, core: core.id, step: step, block: k, scope: .synapse),
                                                            counts: &c)
                cycles += UInt64(r.cycles)
            }
            core.recordLearning(c)
            slowest = max(slowest, cycles)
        }
        return slowest
    }


    public func beginSample(simulator: Simulator, context: StepContext) {
        simulator.countHost(.hostIOBytes, UInt64(outputs.count))
        periodSum = 0
        periodStart = context.globalStep
        pendingCycles = perturb(period: periodStart)
    }

    public func learn(simulator sim: Simulator, context: StepContext) -> UInt64 {
        let p = parameters
        var outCycles: UInt64 = 0
        // 1. Step cost at the output core.
        for (_, pop) in outputs { for j in 0..<pop.count { o[pop.firstNeuron + j] = pop.learning!.post.v[j] } }
        var lossCounts = ActionCounts()
        lossUnit.accumulate(&periodSum, cost: lossUnit.cost(o, for: context, counts: &lossCounts), counts: &lossCounts)
        let lossInstr = lossCounts[.plastInstr]
        for (core, _) in outputs { core.recordLearning(lossCounts) }
        outCycles += lossInstr
        // 2. Readout from the local error.
        if p.readout == .error {
            outCycles += WeightPerturbationRule.updateReadout(outputs: outputs, error: lossUnit.error(o, for: context), program: readoutProgram,
                                                             seed: seed, step: context.globalStep)
        }
        var total = outCycles + pendingCycles
        pendingCycles = 0
        // 3. End of a perturbation period.
        guard (context.step + 1) % p.tauP == 0 else { return total }
        let C = (periodSum + Int64(p.tauP / 2)) / Int64(p.tauP)
        periodSum = 0
        var ct: Int64 = 0
        if periodsSeen == 0 { baseline = C } else { ct = C - baseline; baseline += ct >> Int64(p.baselineShift) }
        if periodsSeen < Int32.max { periodsSeen += 1 }
        for (core, _) in outputs { core.countControllerInstructions(4) }
        for (oc, _) in outputs {
            for h in perturbedCores where h != oc.id { sim.sendLearningPackets(from: oc.id, to: h, kind: .broadcast, count: 1) }
        }
        for h in perturbedCores { sim.chip.cores[h].countModulatorBroadcasts() }
        let drain = sim.drainLearningPackets()
        periodsSinceUpdate += 1
        let update = Int(periodsSinceUpdate) == p.tauTheta / p.tauP
        if update { periodsSinceUpdate = 0 }
        var cycles = endPeriod(period: periodStart, costDelta: ct, update: update, step: context.globalStep)
        if context.step + 1 < context.stepsPerSample {
            periodStart = context.globalStep + 1
            cycles += perturb(period: periodStart)
        } else {
            periodStart = -1
        }
        total += 4 + drain + cycles
        return total
    }
}

extension WeightPerturbationRule: TrainableRule {
    public var outputLossUnit: LossUnit? { lossUnit }
    public var parametersJSON: JSONValue { PerturbationConfig.json(parameters) }
    public var extraSynapseBytes: Int { auxBytes }
    /// The period-cost baseline (64-bit), periods seen and periods since the last update (the
    /// G accumulators are the forward blocks' aux registers, saved with the blocks).
    public var stateRegisters: [RuleStateRegister] {
        [RuleStateRegister("baseline", signedBits: 64, values: [baseline]),
         RuleStateRegister("periodsSeen", range: 0...Int64(Int32.max), values: [Int64(periodsSeen)]),
         RuleStateRegister("periodsSinceUpdate", range: 0...Int64(max(0, parameters.tauTheta / max(1, parameters.tauP) - 1)), values: [Int64(periodsSinceUpdate)])]
    }
    public func restoreState(_ registers: [RuleStateRegister]) {
        for r in registers {
            switch r.name {
            case "baseline": baseline = r.values[0]
            case "periodsSeen": periodsSeen = Int32(r.values[0])
            case "periodsSinceUpdate": periodsSinceUpdate = Int32(r.values[0])
            default: break
            }
        }
    }
}
