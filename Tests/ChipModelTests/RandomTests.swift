import Testing
@testable import ChipModel

@Suite struct RandomTests {
    @Test func drawsArePureFunctionsOfTheirCoordinates() {
        let a = RandomKey(seed: 42, stream: .neuronNoise).with(3).with(17)
        let b = RandomKey(seed: 42, stream: .neuronNoise).with(3).with(17)
        #expect((0..<100).map { a.draw($0) } == (0..<100).map { b.draw($0) })
        // Any coordinate change gives different bits.
        let others = [RandomKey(seed: 43, stream: .neuronNoise).with(3).with(17),
                      RandomKey(seed: 42, stream: .inputEncoder).with(3).with(17),
                      RandomKey(seed: 42, stream: .neuronNoise).with(4).with(17),
                      RandomKey(seed: 42, stream: .neuronNoise).with(17).with(3)]
        for o in others { #expect(o.draw(0) != a.draw(0)) }
    }

    @Test func bernoulliIsExactForSmallDenominator() {
        // Over many draws the frequency of p = 3/8 stays within 5 binomial sigmas.
        let k = RandomKey(seed: 1, stream: .inputEncoder)
        let n = 200_000
        let hits = (0..<n).filter { k.bernoulli($0, numerator: 3, denominator: 8) }.count
        let mean = Double(n) * 3 / 8, sigma = (Double(n) * 3 / 8 * 5 / 8).squareRoot()
        #expect(abs(Double(hits) - mean) < 5 * sigma)
        #expect((0..<1000).allSatisfy { !k.bernoulli($0, numerator: 0, denominator: 8) })
        #expect((0..<1000).allSatisfy { k.bernoulli($0, numerator: 8, denominator: 8) })
    }

    @Test func gaussianMomentsAreStandard() {
        let k = RandomKey(seed: 9, stream: .neuronNoise)
        let n = 100_000
        let xs = (0..<n).map { k.gaussian($0) }
        let mean = xs.reduce(0, +) / Double(n)
        let variance = xs.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n)
        #expect(abs(mean) < 5 / Double(n).squareRoot())
        #expect(abs(variance - 1) < 0.02)
    }

    /// The four-lane draw against the scalar draw, lane by lane, including a negative index;
    /// and the scalar draw of index 0 against SplitMix64 written out by hand (Steele, Lea and
    /// Flood's finaliser of key + 0 * golden = the key itself).
    /// Counter terms add: the key offset by a row base draws what the key draws at base + i
    /// (the fused kernels and the rate encoder rely on it), for bases and indices of either sign;
    /// the term is the index times the golden-ratio constant, written out here.
    @Test func counterTermsAddAndOffsetKeysDrawTheShiftedIndex() {
        let key = RandomKey(seed: 12, stream: .stochasticRounding).with(5)
        for base in [0, 1, 499, 392_000, -7, Int(Int32.max)] {
            let shifted = key.offset(by: base)
            for i in [0, 1, 3, 255, -2, 1 << 24] {
                #expect(shifted.draw(i) == key.draw(base + i), "base \(base) index \(i)")
            }
            let terms = SIMD4<UInt64>(RandomKey.counterTerm(0), RandomKey.counterTerm(1), RandomKey.counterTerm(2), RandomKey.counterTerm(9))
            let v = shifted.draw(counterTerms: terms)
            for (lane, i) in [0, 1, 2, 9].enumerated() { #expect(v[lane] == key.draw(base + i)) }
        }
        #expect(RandomKey.counterTerm(3) == 3 &* 0x9E37_79B9_7F4A_7C15)
        #expect(RandomKey.counterTerm(-1) == 0 &- 0x9E37_79B9_7F4A_7C15)
    }

    @Test func vectorDrawEqualsScalarDraws() {
        let key = RandomKey(seed: 11, stream: .stochasticRounding).with(3)
        for first in [0, 1, 389_997, -5] {
            let idx = SIMD4<Int64>(Int64(first), Int64(first + 1), Int64(first + 2), Int64(first + 3))
            let v = key.draw(SIMD4<UInt64>(truncatingIfNeeded: idx))
            for lane in 0..<4 { #expect(v[lane] == key.draw(first + lane)) }
        }
        var z = key.value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        #expect(key.draw(0) == z ^ (z >> 31))
    }
}
