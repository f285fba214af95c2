// Learning a shared kernel (conv2d) on a core's plasticity unit. See docs/CONV.md, "Learning".
//
// A dense block's three-factor program updates each synapse from its own pre trace and post
// factor. A kernel weight is shared by every output position of its channel, so its update is
// the sum over positions of the per-position terms (the gradient of a convolution):
//
//     dW[o,i,ky,kx] = sum over the slice's neurons j = (o, oy, ox) and their inputs
//                     s = (c, oy*sH - pH + ky*dH, ox*sW - pW + kx*dW) inside the input
//                     of x1[s] * P[j]
//
// with c the input channel i of o's group. The unit runs a program of the three-factor form
// (ThreeFactorForm: ld x1; ld P; mul; sround ETA; ld w; sub; st w) as two derived programs:
//
//   1. accumulate, once per (pre, post) pair the skip rule keeps (the program's .require
//      factors, read at the pair's pre axon and post neuron), post neurons in ascending order,
//      taps in (i, ky, kx) order:
//          ld a0, x1;  ld a1, P;  mul a0, a0, a1, 0;  ld a1, aux;  add a0, a0, a1;  st aux, a0
//      i.e. aux[k] = sat32(aux[k] + clamp32(x1[s] * P[j])), aux[k] the 32-bit accumulator of
//      kernel weight k (aux registers of the kernel memory, ConvSynapseBlock.aux);
//   2. apply, once per stored kernel weight whose accumulator is nonzero (.require aux):
//          ld a0, aux;  sround a0, a0, ETA;  ld a1, w;  sub a1, a1, a0;  st w, a1;  ldi a0, 0;  st aux, a0
//      i.e. w = sat_weightBits(clamp32(w - ((aux + (draw & (2^ETA - 1))) >> ETA))), aux = 0,
//      the draw being MicrocodeRandom.key(for: .sround, pc: 1).draw(g) at the weight's OIHW
//      index g = ((o * C_in/groups + i) * kH + ky) * kW + kx (so it does not depend on which
//      channels the core holds). A zero accumulator would round to 0 (the low bits are below
//      2^ETA), so skipping it changes nothing.
//
// The sum is exact while it stays inside 32 bits (it saturates there, like every ALU result):
// with 8-bit traces and 16-bit modulators a pair adds less than 2^23, so at least 2^8 pairs
// per kernel weight and run never saturate. Counts per executed element are those of the
// derived programs (MicrocodeISA's costs): a pair is one .plastSynapse, 6 .plastInstr, 32 aux
// bits read and written; an applied weight one .plastSynapse, 7 .plastInstr, one .prngDraw,
// weightBits + 32 bits read and written. Cycles: ceil(pairs / lanes) * 7 + ceil(applied /
// lanes) * 8. Pools and one-to-one maps are never learned.

/// A three-factor program split into the shared-kernel pair (accumulate, apply).
public struct SharedKernelUpdate: Equatable, Sendable {
    /// The neuron-side factor P.
    public let post: MicrocodeSource
    public let etaShift: Int
    /// Per (pre, post) pair: the original program's skip factors.
    public let accumulate: MicrocodeProgram
    /// Per kernel weight.
    public let apply: MicrocodeProgram

    /// nil unless `program` has the three-factor form, no gates and no requirement on w or aux.
    public init?(_ program: MicrocodeProgram) {
        guard SharedKernelUpdate.refusal(program) == nil, let f = ThreeFactorForm(program) else { return nil }
        post = f.post
        etaShift = f.roundShift
        accumulate = MicrocodeProgram(scope: .synapse, requires: program.requires, instructions: [
            .ld(0, .x1), .ld(1, f.post), .mul(0, 0, 1, shift: 0), .ld(1, .aux), .binary(.add, 0, 0, 1), .st(.aux, 0)])
        apply = MicrocodeProgram(scope: .synapse, requires: [.aux], instructions: [
            .ld(0, .aux), .sround(0, 0, shift: f.roundShift), .ld(1, .w), .binary(.sub, 1, 1, 0), .st(.w, 1),
            .ldi(0, 0), .st(.aux, 0)])
    }

    /// Why `program` cannot learn a shared kernel, or nil when it can.
    public static func refusal(_ program: MicrocodeProgram) -> String? {
        guard ThreeFactorForm(program) != nil else {
            return "a shared kernel learns only from a program of the three-factor form (ld x1; ld P; mul 0; sround ETA; ld w; sub; st w)"
        }
        if !program.gates.isEmpty { return "a shared-kernel update cannot use .gate (only .require)" }
        if program.requires.contains(where: \.isSynapseMemory) { return "a shared-kernel update cannot .require w or aux" }
        return nil
    }
}

extension PlasticityUnit {
    /// Runs `update` over conv block `k` of `population` (module comment); returns the run
    /// (executed = pairs + applied weights, skipped = pairs skipped, cycles of both passes).
    /// The block must have its accumulators (Population.enableKernelLearning) and `pre` one
    /// trace per neuron of the presynaptic layer.
    public func runSharedKernel(_ update: SharedKernelUpdate, population pop: Population, block k: Int,
                                pre: PreSynapticTraces, post: PostSynapticState,
                                random: MicrocodeRandom, counts: inout ActionCounts) -> PlasticityRun {
        let b = pop.convBlocks[k], g = b.geometry
        precondition(b.kind == .conv2d && b.auxBits == ConvSynapseBlock.accumulatorBits, "block is not a learned conv2d kernel")
        precondition(pre.count == g.input.size && post.count == b.nPost, "state does not match block")
        var kernels = b.kernels, aux = b.aux
        pop.convBlocks[k].kernels = []; pop.convBlocks[k].aux = []   // move out: no copy on write
        defer { pop.convBlocks[k].kernels = kernels; pop.convBlocks[k].aux = aux }

        func postSource(_ s: MicrocodeSource) -> ContiguousArray<Int32> {
            switch s {
            case .y0: return post.spikes
            case .y1: return post.y1
            case .y2: return post.y2
            case .y3: return post.y3
            case .u: return post.u
            case .v: return post.v
            case .mod: return post.modulator
            case .r0: return post.r0
            case .r1: return post.r1
            case .r2: return post.r2
            default: return post.r3
            }
        }
        func preSource(_ s: MicrocodeSource) -> ContiguousArray<Int32> {
            s == .x0 ? pre.spikes : (s == .x1 ? pre.x1 : pre.x2)
        }
        let isPre: (MicrocodeSource) -> Bool = { $0 == .x0 || $0 == .x1 || $0 == .x2 }
        let postRequired = update.accumulate.requires.filter { !isPre($0) }.map(postSource)
        let preRequired = update.accumulate.requires.filter(isPre).map(preSource)
        let factor = postSource(update.post), x1 = pre.x1
        let outW = g.output.width, ohw = g.output.height * outW
        let inH = g.input.height, inW = g.input.width
        let nCo = b.channelHi - b.channelLo
        var pairs = 0, skipped = 0
        // Pass 1: accumulate.
        for j in 0..<b.nPost {
            let gj = b.postFirst + j
            let o = gj / ohw, oy = (gj % ohw) / outW, ox = gj % outW
            let c0 = (o / g.outPerGroup) * g.inPerGroup
            let active = !postRequired.contains { $0[j] == 0 }
            let p = Int64(factor[j])
            for i in 0..<g.inPerGroup {
                for ky in 0..<g.kernelH {
                    let iy = oy * g.strideH - g.padH + ky * g.dilationH
                    if iy < 0 || iy >= inH { continue }
                    for kx in 0..<g.kernelW {
                        let ix = ox * g.strideW - g.padW + kx * g.dilationW
                        if ix < 0 || ix >= inW { continue }
                        let s = ((c0 + i) * inH + iy) * inW + ix
                        if !active || preRequired.contains(where: { $0[s] == 0 }) { skipped += 1; continue }
                        pairs += 1
                        let product = clamp32(Int64(x1[s]) * p)
                        let idx = ((i * g.kernelH + ky) * g.kernelW + kx) * nCo + (o - b.channelLo)
                        aux[idx] = clamp32(Int64(aux[idx]) + Int64(product))
                    }
                }
            }
        }
        // Pass 2: apply, kernel weights in storage order.
        let key = random.key(for: .sround, pc: 1)
        let shift = Int64(update.etaShift), mask = (UInt64(1) << UInt64(update.etaShift)) - 1
        let hi = FixedPoint.signedMax(bits: b.weightBits), lo = FixedPoint.signedMin(bits: b.weightBits)
        var applied = 0
        for idx in 0..<kernels.count where aux[idx] != 0 {
            applied += 1
            let tap = idx / nCo, o = b.channelLo + idx % nCo
            let kx = tap % g.kernelW, ky = (tap / g.kernelW) % g.kernelH, i = tap / (g.kernelW * g.kernelH)
            let low = Int64(key.draw(g.weightIndex(o: o, i: i, ky: ky, kx: kx)) & mask)
            let rounded = Int64(clamp32((Int64(aux[idx]) + low) >> shift))
            let w = Int64(clamp32(Int64(kernels[idx]) - rounded))
            kernels[idx] = Int16(Swift.min(Swift.max(w, lo), hi))
            aux[idx] = 0
        }
        PlasticityUnit.countElements(update.accumulate, pairs, weightBits: b.weightBits, auxBits: b.auxBits, into: &counts)
        PlasticityUnit.countElements(update.apply, applied, weightBits: b.weightBits, auxBits: b.auxBits, into: &counts)
        let cycles = (pairs + lanes - 1) / lanes * update.accumulate.cyclesPerElement
            + (applied + lanes - 1) / lanes * update.apply.cyclesPerElement
        return PlasticityRun(executed: pairs + applied, skipped: skipped, cycles: cycles)
    }

    /// The counts of `n` executed elements of a synapse program (as the interpreters count them:
    /// one .plastSynapse and one .plastInstr per instruction each, a .prngDraw per drawing
    /// instruction, SRAM bits per ld / st of w or aux).
    static func countElements(_ program: MicrocodeProgram, _ n: Int, weightBits: Int, auxBits: Int, into counts: inout ActionCounts) {
        guard n > 0 else { return }
        let m = UInt64(n)
        var draws: UInt64 = 0, readBits: UInt64 = 0, writeBits: UInt64 = 0
        for ins in program.instructions {
            if ins.op.drawsRandom { draws += 1 }
            if ins.op == .ld, let s = MicrocodeSource(rawValue: ins.a) {
                readBits += UInt64(s == .w ? weightBits : (s == .aux ? auxBits : 0))
            }
            if ins.op == .st, let d = MicrocodeDestination(rawValue: ins.d) {
                writeBits += UInt64(d == .w ? weightBits : (d == .aux ? auxBits : 0))
            }
        }
        counts.add(.plastSynapse, m)
        counts.add(.plastInstr, m * UInt64(program.instructions.count))
        if draws > 0 { counts.add(.prngDraw, m * draws) }
        if readBits > 0 { counts.add(.sramReadBits, m * readBits) }
        if writeBits > 0 { counts.add(.sramWriteBits, m * writeBits) }
    }
}
