import ChipModel

// synapse.deliverTransposed: the top-down error through each hidden core's feedback block,
// read transposed (pre = output k, post = hidden neuron i): G_i = sum_k M_ik e_k
// (TransposedDelivery, charged by the bits it reads), then g_i = sat16(G_i >> s) into the
// modulator, with s = shift, or with normalise = b > 0 the per-core block-floating-point
// shift s = max(0, bitLength(max_i |G_i|) - b), so that the core's largest |g| has b bits
// whatever the scale of M. The maximum is the core's Reducer's (n reduce.op, n cycles); the
// controller turns it into the shift (bit length, clamped subtraction: 2 instructions).

extension ScheduledRule {
    func deliverTransposed(shift gShift: Int, normalise: Int, synopCycles: Int) {
        let m = e.count
        for fi in feedback.indices {
            let core = feedback[fi].core, pop = feedback[fi].population
            let l = pop.learning!
            scratch.clear()
            let n = pop.count
            if gBuffer.count < n { gBuffer = [Int64](repeating: 0, count: n) }
            feedback[fi].block.aux.withUnsafeBufferPointer { M in
                gBuffer.withUnsafeMutableBufferPointer { G in
                    TransposedDelivery.accumulate(M, vector: e, into: UnsafeMutableBufferPointer(rebasing: G[0..<n]))
                }
            }
            var cycles = TransposedDelivery.cycles(rows: m, columns: n, synopCycles: synopCycles)
            var shift = Int64(gShift)
            if normalise > 0 {
                var reducer = Reducer()
                let maxAbs = gBuffer.withUnsafeBufferPointer { reducer.maxMagnitude(UnsafeBufferPointer(rebasing: $0[0..<n])) }
                shift = ScalarController.normaliseShift(maxMagnitude: maxAbs, bits: normalise, counts: &scratch)
                let r = reducer.collect()
                core.recordLearning(r.counts)       // the core aggregates its reducer's counters
                cycles += r.cycles
            }
            l.post.modulator.withUnsafeMutableBufferPointer { mod in
                for j in 0..<n { mod[j] = Int32(FixedPoint.saturate(gBuffer[j] >> shift, bits: LearningWidths.modulator)) }
            }
            TransposedDelivery.count(rows: m, columns: n, bitsPerValue: feedback[fi].block.auxBits, into: &scratch)
            core.recordLearning(scratch)
            coreCycles[core.id, default: 0] += cycles
        }
    }
}
