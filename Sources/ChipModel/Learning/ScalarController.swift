// The plasticity unit's scalar controller: the per-neuron and per-core arithmetic a learning
// schedule does outside a program run. Each operation performs the arithmetic and counts its
// own instructions into the caller's ActionCounts (`plast.instr`), so a rule never charges a
// formula for it. Declared actions and their instruction counts:
//
//   scale           mod_i = sat16((s r_i) >> shift)                2 per neuron (multiply, shift;
//                                                                  the store saturates)
//   accumulate      acc_k = sat32(acc_k + v_k)                     1 per element
//   countEvents     c_j = min(c_j + 1, 2^bits - 1) where e_j != 0  1 per event
//   meanAgainstBaseline  C = (S + T/2) / T, d = C - b, b += d >> k  4 (add, divide, subtract,
//                                                                  shift-add); the first call
//                                                                  only sets b = C (d = 0)
//   normaliseShift  s = max(0, bitLength(m) - b)                   2 (leading-zero count, subtract
//                                                                  and clamp)
// Cycles: the caller's; scale runs lane-parallel (ceil(2 n / lanes)), the others one per instruction.

public enum ScalarController {
    /// mod_i = sat16((s r_i) >> shift) (arithmetic shift: floor) for every i; returns the
    /// instructions (2 n), also counted into `c`.
    @discardableResult
    public static func scale(_ s: Int64, by r: UnsafeBufferPointer<Int32>, shift: Int, into mod: UnsafeMutableBufferPointer<Int32>,
                             counts c: inout ActionCounts) -> UInt64 {
        for i in 0..<r.count {
            mod[i] = Int32(FixedPoint.saturate((s * Int64(r[i])) >> Int64(shift), bits: LearningWidths.modulator))
        }
        let n = UInt64(2 * r.count)
        c.add(.plastInstr, n)
        return n
    }

    /// The same with 64-bit values (|s r_i| must fit 64 bits).
    @discardableResult
    public static func scale(_ s: Int64, by r: UnsafeBufferPointer<Int64>, shift: Int, into mod: UnsafeMutableBufferPointer<Int32>,
                             counts c: inout ActionCounts) -> UInt64 {
        for i in 0..<r.count {
            mod[i] = Int32(FixedPoint.saturate((s * r[i]) >> Int64(shift), bits: LearningWidths.modulator))
        }
        let n = UInt64(2 * r.count)
        c.add(.plastInstr, n)
        return n
    }

    /// acc_k = sat32(acc_k + v_k) for every k in `range` (one instruction each, counted into `c`).
    public static func accumulate(_ v: [Int32], into acc: inout [Int32], range: Range<Int>, counts c: inout ActionCounts) {
        for k in range { acc[k] = Int32(FixedPoint.saturate(Int64(acc[k]) + Int64(v[k]), bits: 32)) }
        c.add(.plastInstr, UInt64(range.count))
    }

    /// The right shift that leaves a largest magnitude `maxMagnitude` (a reducer's result) at
    /// most `bits` bits wide: max(0, bitLength(maxMagnitude) - bits). Two instructions.
    public static func normaliseShift(maxMagnitude: UInt64, bits: Int, counts c: inout ActionCounts) -> Int64 {
        c.add(.plastInstr, 2)
        return max(0, Int64(64 - maxMagnitude.leadingZeroBitCount) - Int64(bits))
    }

    /// c_j = min(c_j + 1, 2^bits - 1) for every j with e_j != 0 (one instruction per event,
    /// counted into `c`); returns the events.
    @discardableResult
    public static func countEvents(_ e: UnsafeBufferPointer<Int32>, into counters: UnsafeMutableBufferPointer<Int32>, bits: Int,
                                   counts c: inout ActionCounts) -> UInt64 {
        let cap = Int32(1 << bits - 1)
        var n: UInt64 = 0
        for j in 0..<min(e.count, counters.count) where e[j] != 0 { counters[j] = min(counters[j] + 1, cap); n += 1 }
        c.add(.plastInstr, n)
        return n
    }

    /// The mean of a sum over `steps` (> 0) steps, rounded half up for a non-negative sum
    /// (C = (S + T/2) / T, truncating division), against the baseline b: returns d = C - b and
    /// sets b += d >> shift (arithmetic); with `first` it only sets b = C and returns 0. Four
    /// instructions, counted into `c`.
    public static func meanAgainstBaseline(sum: Int64, steps: Int, baseline b: inout Int64, shift: Int, first: Bool,
                                           counts c: inout ActionCounts) -> Int64 {
        let T = Int64(steps)
        let C = (sum + T / 2) / T
        c.add(.plastInstr, 4)
        if first { b = C; return 0 }
        let d = C - b
        b += d >> Int64(shift)
        return d
    }
}
