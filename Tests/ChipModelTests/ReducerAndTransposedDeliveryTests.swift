import Testing
@testable import ChipModel

/// The reducer's max |x| and saturating sum against hand-computed values and a wide-integer
/// oracle; the transposed delivery's fused four-row kernel against its plain reference.
struct ReducerAndTransposedDeliveryTests {
    @Test func reducerMaxMagnitudeAndSumByHand() {
        var r = Reducer()
        let x: [Int64] = [3, -7, 5, 0]
        #expect(x.withUnsafeBufferPointer { r.maxMagnitude($0) } == 7)
        #expect(x.withUnsafeBufferPointer { r.sum($0) } == 1)
        // |Int64.min| = 2^63 is representable as the unsigned result.
        #expect([Int64.min, 1].withUnsafeBufferPointer { r.maxMagnitude($0) } == UInt64(1) << 63)
        #expect([Int64]().withUnsafeBufferPointer { r.maxMagnitude($0) } == 0)
        let c = r.collect()
        #expect(c.counts[.reduceOp] == 10 && c.cycles == UInt64(10 * Reducer.cyclesPerElement))
        #expect(c.counts.values.enumerated().allSatisfy { $0.offset == Action.reduceOp.rawValue || $0.element == 0 })
        // Collected counters are cleared.
        #expect(r.collect().counts[.reduceOp] == 0)
    }

    @Test func reducerSumSaturatesAtEachAdditionLikeAWideOracleClamped() {
        // Against a running sum in Double-free wide arithmetic: (high, low) via Int128-like
        // clamping after each step, written out with overflow reports.
        let cases: [[Int64]] = [[Int64.max, 1, -1], [Int64.min, -5, 10], [Int64.max - 2, 1, 1, 1, -Int64.max], [-3, 4, Int64.max]]
        for x in cases {
            var r = Reducer()
            var expected: Int64 = 0
            for v in x {
                // Clamp the exact sum: if it overflows, it leaves on v's side.
                let (s, o) = expected.addingReportingOverflow(v)
                expected = o ? (v > 0 ? .max : .min) : s
            }
            #expect(x.withUnsafeBufferPointer { r.sum($0) } == expected)
        }
        var r = Reducer()
        #expect([Int64.max, 1, -1].withUnsafeBufferPointer { r.sum($0) } == Int64.max - 1)
        #expect([Int64.min, -5, 10].withUnsafeBufferPointer { r.sum($0) } == Int64.min + 10)
    }

    @Test func fusedTransposedDeliveryEqualsThePlainReference() {
        // Row counts around the four-row grouping (0...9), zero rows in e, extreme values.
        let key = RandomKey(seed: 11, stream: .weightInit)
        for m in 0..<10 {
            for n in [1, 3, 8, 13] {
                var M = [Int32](repeating: 0, count: m * n)
                for i in 0..<M.count { M[i] = Int32(truncatingIfNeeded: key.with(m).with(n).draw(i)) }
                if m > 0 { M[0] = Int32.min; M[M.count - 1] = Int32.max }
                var e = (0..<m).map { Int32(truncatingIfNeeded: Int64(key.with(-m).draw($0) >> 48) - 32768) }
                if m > 2 { e[1] = 0; e[2] = -32768 }
                var G = [Int64](repeating: 99, count: n)
                M.withUnsafeBufferPointer { mb in G.withUnsafeMutableBufferPointer { TransposedDelivery.accumulate(mb, vector: e, into: $0) } }
                #expect(G == TransposedDelivery.reference(M, vector: e, columns: n), "m \(m) n \(n)")
            }
        }
        // By hand: M = [[1, 2], [3, 4]] (row = output), e = [5, -1]: G = [5 - 3, 10 - 4].
        var G = [Int64](repeating: 0, count: 2)
        [Int32(1), 2, 3, 4].withUnsafeBufferPointer { mb in G.withUnsafeMutableBufferPointer { TransposedDelivery.accumulate(mb, vector: [5, -1], into: $0) } }
        #expect(G == [2, 6])
    }

    @Test func transposedDeliveryIsChargedByTheBitsItReads() {
        var c = ActionCounts()
        TransposedDelivery.count(rows: 10, columns: 500, bitsPerValue: 32, into: &c)
        #expect(c[.gradedMACBits] == 160_000 && c[.sramReadBits] == 160_000 && c[.synop] == 0)
        #expect(TransposedDelivery.cycles(rows: 10, columns: 500, synopCycles: 4) == 20_000)
    }
}
