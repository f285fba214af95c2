import Testing
@testable import ChipModel

// Exhaustive small-width checks against a wide-integer oracle (arbitrary precision is
// not needed: every input and intermediate fits comfortably in Int64 for these widths,
// and the oracle uses only comparisons and division, not the shifts under test).

@Suite struct FixedPointTests {
    @Test func saturateEveryValueForWidths1Through10() {
        for bits in 1...10 {
            let lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1
            for x in (lo * 4 - 3)...(hi * 4 + 3) {
                let expected = Swift.min(Swift.max(x, lo), hi)
                #expect(FixedPoint.saturate(Int64(x), bits: bits) == Int64(expected), "bits \(bits) x \(x)")
            }
        }
    }

    @Test func saturateUnsignedEveryValue() {
        for bits in 1...10 {
            let hi = (1 << bits) - 1
            for x in (-hi - 5)...(hi * 3) {
                #expect(FixedPoint.saturateUnsigned(Int64(x), bits: bits) == Int64(Swift.min(Swift.max(x, 0), hi)))
            }
        }
    }

    @Test func saturateSymmetricNeverProducesMostNegative() {
        for bits in 2...10 {
            let hi = (1 << (bits - 1)) - 1
            for x in (-hi * 3)...(hi * 3) {
                #expect(FixedPoint.saturateSymmetric(Int64(x), bits: bits) == Int64(Swift.min(Swift.max(x, -hi), hi)))
            }
        }
    }

    @Test func wrapIsModularReductionIntoSignedRange() {
        for bits in 1...10 {
            let m = 1 << bits, half = m / 2
            for x in (-5 * m)...(5 * m) {
                // Oracle: the unique y = x (mod 2^bits) in [-2^(bits-1), 2^(bits-1)).
                var y = x % m
                if y >= half { y -= m }
                if y < -half { y += m }
                #expect(FixedPoint.wrap(Int64(x), bits: bits) == Int64(y), "bits \(bits) x \(x)")
            }
        }
    }

    @Test func signedShiftFloorsOnRightAndMultipliesOnLeft() {
        for x in -300...300 {
            for e in -9...7 {
                let expected: Int
                if e >= 0 { expected = x * (1 << e) } else {
                    // floor division oracle
                    let d = 1 << (-e)
                    expected = Int((Double(x) / Double(d)).rounded(.down))
                }
                #expect(FixedPoint.shift(Int64(x), by: e) == Int64(expected), "x \(x) e \(e)")
            }
        }
    }

    @Test func shiftTowardZeroTruncates() {
        for x in -5000...5000 {
            for s in 0...13 {
                let expected = Int((Double(x) / Double(1 << s)).rounded(.towardZero))
                #expect(FixedPoint.shiftTowardZero(Int64(x), by: Int64(s)) == Int64(expected))
            }
        }
    }

    @Test func decayMatchesTruncatedProductForAllDecaysOnSampledStates() {
        // Every 12-bit decay constant (and 4096, reached by du + 1), states across the 24-bit range.
        let states: [Int64] = [0, 1, -1, 2, -2, 4095, -4095, 4096, -4096, 123_456, -123_456,
                               (1 << 23) - 1, -(1 << 23), 7_777_777, -7_777_777]
        for d in Int64(0)...4096 {
            for x in states {
                let p = x * (4096 - d)
                let expected = Int64((Double(p) / 4096).rounded(.towardZero))
                #expect(FixedPoint.decay(x, by: d) == expected)
            }
        }
    }
}
