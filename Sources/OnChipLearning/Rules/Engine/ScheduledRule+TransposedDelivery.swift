import ChipModel

// synapse.deliverTransposed: the top-down error through each hidden core's feedback block,
// read transposed (pre = output k, post = hidden neuron i): G_i = sum_k M_ik e_k, then
// g_i = sat16(G_i >> s) into the modulator, with s = shift, or with normalise = b > 0 the
// per-core block-floating-point shift s = max(0, bitLength(max_i |G_i|) - b), so that the
// core's largest |g| has b bits whatever the scale of M.

extension ScheduledRule {
    func deliverTransposed(shift gShift: Int, normalise: Int, synopCycles: Int) {
        let m = e.count
        for fi in feedback.indices {
            let core = feedback[fi].core, pop = feedback[fi].population
            let l = pop.learning!
            var c = ActionCounts()
            let n = pop.count
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
            var shift = Int64(gShift)
            if normalise > 0 {
                shift = max(0, Int64(64 - maxAbs.leadingZeroBitCount) - Int64(normalise))
                PlasticityUnit.countControllerInstructions(UInt64(n), into: &c)
            }
            l.post.modulator.withUnsafeMutableBufferPointer { mod in
                for j in 0..<n { mod[j] = Int32(FixedPoint.saturate(gBuffer[j] >> shift, bits: LearningWidths.modulator)) }
            }
            GradedDelivery.count(pre: m, post: n, bitsPerValue: feedback[fi].block.auxBits, into: &c)
            core.recordLearning(c)
            coreCycles[core.id, default: 0] += UInt64(m * n * synopCycles)
        }
    }
}
