import Testing
@testable import ChipModel

/// The scalar controller's operations against wide-integer oracles (floor division by powers of
/// two, explicit clamps), and the instructions each counts.
struct ScalarControllerTests {
    /// floor(x / 2^k) and clamp to a signed width, computed without shifts.
    static func floorDiv(_ x: Int64, _ k: Int) -> Int64 {
        let d = Int64(1) << Int64(k)
        let q = x / d
        return (x % d != 0 && x < 0) ? q - 1 : q
    }
    static func clamp(_ x: Int64, bits: Int) -> Int64 { min(max(x, -(Int64(1) << Int64(bits - 1))), (Int64(1) << Int64(bits - 1)) - 1) }

    @Test func scaleIsAFlooredShiftSaturatedTo16Bits() {
        let r: [Int32] = [-3, -2, -1, 0, 1, 2, 3, 1000, -1000, 32767, -32768]
        for s: Int64 in [-70_000, -5_000, -17, -1, 0, 1, 5, 19, 4_096, 66_000] {
            for shift in [0, 1, 3, 6, 12] {
                var mod = [Int32](repeating: 7, count: r.count)
                var c = ActionCounts()
                let n = r.withUnsafeBufferPointer { rb in mod.withUnsafeMutableBufferPointer { ScalarController.scale(s, by: rb, shift: shift, into: $0, counts: &c) } }
                #expect(n == UInt64(2 * r.count) && c[.plastInstr] == n)
                #expect(mod.map(Int64.init) == r.map { ScalarControllerTests.clamp(ScalarControllerTests.floorDiv(s * Int64($0), shift), bits: 16) }, "s \(s) shift \(shift)")
                // The 64-bit form agrees.
                let r64 = r.map(Int64.init)
                var mod64 = [Int32](repeating: 0, count: r.count)
                var c64 = ActionCounts()
                r64.withUnsafeBufferPointer { rb in mod64.withUnsafeMutableBufferPointer { _ = ScalarController.scale(s, by: rb, shift: shift, into: $0, counts: &c64) } }
                #expect(mod64 == mod && c64 == c)
            }
        }
    }

    @Test func accumulateSaturatesTo32BitsOverItsRange() {
        var acc: [Int32] = [Int32.max - 1, Int32.min + 1, 5, 9]
        let v: [Int32] = [5, -5, -7, 100]
        var c = ActionCounts()
        ScalarController.accumulate(v, into: &acc, range: 0..<3, counts: &c)
        #expect(acc == [Int32.max, Int32.min, -2, 9])
        #expect(c[.plastInstr] == 3)
    }

    @Test func countEventsSaturatesAtTheCounterWidth() {
        var counters: [Int32] = [0, 254, 255, 3, 1]
        let events: [Int32] = [1, 1, 1, 0, -1]
        var c = ActionCounts()
        let n = events.withUnsafeBufferPointer { e in counters.withUnsafeMutableBufferPointer { ScalarController.countEvents(e, into: $0, bits: 8, counts: &c) } }
        #expect(counters == [1, 255, 255, 3, 2] && n == 4 && c[.plastInstr] == 4)
        var small: [Int32] = [3, 0]
        _ = events.withUnsafeBufferPointer { e in small.withUnsafeMutableBufferPointer { ScalarController.countEvents(UnsafeBufferPointer(rebasing: e[0..<2]), into: $0, bits: 2, counts: &c) } }
        #expect(small == [3, 1])
    }

    @Test func meanAgainstBaselineRoundsHalfUpAndFloorsTheBaselineStep() {
        for steps in [1, 2, 3, 16] {
            for sum: Int64 in [0, 1, 7, 8, 15, 16, 17, 100_003] {
                // C = round-half-up(sum / steps) for sum >= 0, by exact rational comparison.
                var C: Int64 = 0
                while 2 * (C + 1) * Int64(steps) <= 2 * sum + Int64(steps) { C += 1 }
                for b0: Int64 in [-50, 0, 3, 90_000] {
                    for shift in [0, 1, 4] {
                        var b = b0, c = ActionCounts()
                        let d = ScalarController.meanAgainstBaseline(sum: sum, steps: steps, baseline: &b, shift: shift, first: false, counts: &c)
                        #expect(d == C - b0 && b == b0 + ScalarControllerTests.floorDiv(C - b0, shift) && c[.plastInstr] == 4)
                        var b1 = b0
                        #expect(ScalarController.meanAgainstBaseline(sum: sum, steps: steps, baseline: &b1, shift: shift, first: true, counts: &c) == 0 && b1 == C)
                    }
                }
            }
        }
    }

    @Test func normaliseShiftLeavesTheLargestMagnitudeBitsWide() {
        var c = ActionCounts()
        for m: UInt64 in [0, 1, 2, 3, 255, 256, 1 << 40, UInt64.max] {
            for bits in [1, 4, 15] {
                var width = 0
                while width < 64 && (m >> UInt64(width)) != 0 { width += 1 }
                #expect(ScalarController.normaliseShift(maxMagnitude: m, bits: bits, counts: &c) == Int64(max(0, width - bits)))
            }
        }
        #expect(c[.plastInstr] == 2 * 8 * 3)
    }

    @Test func drawSignsIsTheSignOfBit63AndCountsOneDrawEach() {
        let key = RandomKey(seed: 4, stream: .perturbation).with(2).with(-1).with(96)
        var r = [Int32](repeating: 0, count: 37)
        var c = ActionCounts()
        r.withUnsafeMutableBufferPointer { PRNGUnit.drawSigns(key, firstNeuron: 10, into: $0, counts: &c) }
        #expect(r == (0..<37).map { key.draw(10 + $0) >= UInt64(1) << 63 ? -1 : 1 })
        #expect(Set(r) == [-1, 1] && c[.prngDraw] == 37)
    }
}
