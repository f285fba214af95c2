import Testing
@testable import ChipModel

/// The PRNG unit's fixed-point Gaussian (RandomKey.gaussianQ24): Irwin-Hall with six 10-bit
/// uniforms. The exact distribution of S (the sum) is built by convolution in integers; its
/// mean and variance are the oracle for the samples.
@Suite struct FixedPointGaussianTests {
    /// P(S = s) x 1024^6, by convolving six uniform {0...1023} in exact integers.
    static let pmf: [UInt64] = {
        var p: [UInt64] = [1]
        for _ in 0..<6 {
            var q = [UInt64](repeating: 0, count: p.count + 1023)
            // Running sums: q[s] = sum_{u=0}^{1023} p[s - u].
            var window: UInt64 = 0
            for s in 0..<q.count {
                if s < p.count { window += p[s] }
                if s >= 1024 { window -= p[s - 1024] }
                q[s] = window
            }
            p = q
        }
        return p
    }()

    @Test func exactMomentsOfTheDefinition() {
        let p = FixedPointGaussianTests.pmf
        #expect(p.count == 6139 && p.reduce(0, +) == UInt64(1) << 60)
        // Mean of S = 3069 exactly: the pmf is symmetric about it (exact integers).
        #expect((0...6138).allSatisfy { p[$0] == p[6138 - $0] })
        // Variance of S = 6 (1024^2 - 1) / 12 = 524,287.5 (summed in doubles: to 1e-6).
        var m2 = 0.0
        for (s, w) in p.enumerated() { let x = Double(s) - 3069; m2 += x * x * Double(w) }
        #expect(abs(m2 / Double(UInt64(1) << 60) - 524_287.5) < 1e-6 * 524_287.5)
        // z = (S - 3069) 23170 / 2^24: variance 524,287.5 x 23170^2 / 2^48, within 5e-5 of 1; |z| <= 4.24.
        let varZ = 524_287.5 * 23170 * 23170 / 281_474_976_710_656
        #expect(abs(varZ - 1) < 5e-5)
        #expect(Double(3069 * 23170) / 16_777_216 < 4.24)
    }

    @Test func samplesMatchTheExactMeanAndVariance() {
        let k = RandomKey(seed: 9, stream: .perturbation)
        let n = 200_000
        var sum = 0.0, sumSq = 0.0, maxAbs: Int64 = 0
        var histogram = [Int](repeating: 0, count: 6139)
        for i in 0..<n {
            let z = k.gaussianQ24(i)
            #expect(z % 23170 == 0)
            histogram[Int(z / 23170 + 3069)] += 1
            let x = Double(z) / 16_777_216
            sum += x; sumSq += x * x; maxAbs = max(maxAbs, abs(z))
        }
        let mean = sum / Double(n), variance = sumSq / Double(n) - mean * mean
        let exactVar = 524_287.5 * 23170 * 23170 / 281_474_976_710_656
        #expect(abs(mean) < 5 * (exactVar / Double(n)).squareRoot())
        // Var of the sample variance ~ (mu4 - sigma^4) / n, mu4 = sigma^4 (3 - 0.2): sd 0.0030.
        #expect(abs(variance - exactVar) < 5 * 0.0030)
        #expect(maxAbs <= 3069 * 23170)
        // Mass within +-1 sigma (|S - 3069| <= 724) against the exact pmf, within 5 sigma.
        let p = FixedPointGaussianTests.pmf
        let exact = (2345...3793).reduce(0.0) { $0 + Double(p[$1]) } / Double(UInt64(1) << 60)
        let seen = Double((2345...3793).reduce(0) { $0 + histogram[$1] }) / Double(n)
        #expect(abs(seen - exact) < 5 * (exact * (1 - exact) / Double(n)).squareRoot(), "\(seen) vs \(exact)")
    }

    /// round(6 z) is smooth: neighbouring codes' frequencies differ by the normal's slope, not by
    /// the aliasing of a coarse grid (|P(c) - P(c+1)| <= 0.006 for c in 0...5 over 200,000 draws).
    @Test func smallCodesAreSmooth() {
        let k = RandomKey(seed: 3, stream: .perturbation)
        var h = [Int](repeating: 0, count: 8)
        let n = 200_000
        for i in 0..<n {
            let x = 6 * k.gaussianQ24(i)
            let c = x >= 0 ? (x + (1 << 23)) >> 24 : -((-x + (1 << 23)) >> 24)
            if c >= 0 && c < 8 { h[Int(c)] += 1 }
        }
        for c in 0..<6 { #expect(abs(Double(h[c] - h[c + 1]) / Double(n)) <= 0.006, "\(c): \(h)") }
    }
}
