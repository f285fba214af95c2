// A graded vector delivered through a synapse block read transposed: the block's stored
// values M (here a feedback block's aux registers, stored row k = presynaptic k, i.e. output
// k, by postsynaptic j) are multiplied by the graded values e_k and summed per postsynaptic
// neuron: G_j = sum_k M_kj e_k (exact in Int64: see `accumulate`).
//
// Counted: every one of rows x columns stored values is read once, `bitsPerValue` bits each,
// as graded.mac.bits (the multiply-accumulate charged by the bits it reads; a synop reads one
// weight of up to 8 bits) and sram.read.bits (the traffic). Cycles: one value per synop slot,
// rows x columns x synopCycles.

public enum TransposedDelivery {
    /// G[j] = sum_k M[k * n + j] e[k] for j < n = G.count, k < e.count. Rows are taken four
    /// at a time so each G[j] is loaded and stored once per four rows; integer sums are exact,
    /// so the grouping does not change the result. With |M| < 2^31 and |e| <= 2^15 each
    /// product is below 2^46 and a sum of fewer than 2^17 of them is exact in Int64, so the
    /// wrapping operators (which let the loop vectorise) never wrap; callers keep
    /// e.count < 2^17. `reference` is the plain form, tested equal.
    public static func accumulate(_ M: UnsafeBufferPointer<Int32>, vector e: [Int32], into G: UnsafeMutableBufferPointer<Int64>) {
        let m = e.count, n = G.count
        for j in 0..<n { G[j] = 0 }
        guard m > 0, n > 0, let base = M.baseAddress else { return }
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
    }

    /// The plain form: one product at a time, checked arithmetic.
    public static func reference(_ M: [Int32], vector e: [Int32], columns n: Int) -> [Int64] {
        var G = [Int64](repeating: 0, count: n)
        for j in 0..<n {
            for k in 0..<e.count { G[j] += Int64(M[k * n + j]) * Int64(e[k]) }
        }
        return G
    }

    public static func count(rows: Int, columns: Int, bitsPerValue: Int, into c: inout ActionCounts) {
        c.add(.gradedMACBits, UInt64(rows * columns * bitsPerValue))
        c.add(.sramReadBits, UInt64(rows * columns * bitsPerValue))
    }

    public static func cycles(rows: Int, columns: Int, synopCycles: Int) -> UInt64 {
        UInt64(rows * columns * synopCycles)
    }
}
