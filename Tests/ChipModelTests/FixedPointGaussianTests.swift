import Testing
@testable import ChipModel

/// The PRNG unit's fixed-point Gaussian (RandomKey.gaussianQ16): Irwin-Hall with twelve 5-bit
/// uniforms. The exact distribution of S (the sum) is built by convolution in integers; its
/// mean and variance are the oracle for the samples.
@Suite struct FixedPointGaussianTests {
    /// P(S = s) x 32^12, by convolving twelve uniform {0...31} in exact integers.
    static let pmf: [UInt64] = {
        var p: [UInt64] = [1]
        for _ in 0..<12 {
            var q = [UInt64](repeating: 0, count: p.count + 31)
            for (s, w) in p.enumerated() { for u in 0..<32 { q[s + u] += w } }
            p = q
        }
        return p
    }()

    @Test func exactMomentsOfTheDefinition() {
        let p = FixedPointGaussianTests.pmf
        #expect(p.count == 373 && p.reduce(0, +) == UInt64(1) << 60)
        // Mean of S = 186 exactly: the pmf is symmetric about it (exact integers).
        #expect((0...372).allSatisfy { p[$0] == p[372 - $0] })
        // Variance of S = 12 (32^2 - 1) / 12 = 1023 (summed in doubles: to 1e-9).
        var m2 = 0.0
        for (s, w) in p.enumerated() { let x = Double(s) - 186; m2 += x * x * Double(w) }
        #expect(abs(m2 / Double(UInt64(1) << 60) - 1023) < 1e-9)
        // z = (S - 186) 2049 / 2^16: variance 1023 x 2049^2 / 2^32, within 2e-5 of 1; |z| <= 5.82.
        let varZ = 1023.0 * 2049 * 2049 / 4_294_967_296
        #expect(abs(varZ - 1) < 2e-5)
        #expect(Double(186 * 2049) / 65536 < 5.82)
    }

    @Test func samplesMatchTheExactMeanAndVariance() {
        let k = RandomKey(seed: 9, stream: .perturbation)
        let n = 200_000
        var sum = 0.0, sumSq = 0.0, maxAbs: Int64 = 0
        var histogram = [Int](repeating: 0, count: 373)
        for i in 0..<n {
            let z = k.gaussianQ16(i)
            #expect(z % 2049 == 0)
            histogram[Int(z / 2049 + 186)] += 1
            let x = Double(z) / 65536
            sum += x; sumSq += x * x; maxAbs = max(maxAbs, abs(z))
        }
        let mean = sum / Double(n), variance = sumSq / Double(n) - mean * mean
        let exactVar = 1023.0 * 2049 * 2049 / 4_294_967_296
        #expect(abs(mean) < 5 * (exactVar / Double(n)).squareRoot())
        // Var of the sample variance ~ (mu4 - sigma^4) / n, mu4 = sigma^4 (3 - 0.1): sd 0.0031.
        #expect(abs(variance - exactVar) < 5 * 0.0031)
        #expect(maxAbs <= 186 * 2049)
        // Central mass: P(|S - 186| <= 32) (about +-1 sigma) against the exact pmf, within 5 sigma.
        let p = FixedPointGaussianTests.pmf
        let exact = (154...218).reduce(0.0) { $0 + Double(p[$1]) } / Double(UInt64(1) << 60)
        let seen = Double((154...218).reduce(0) { $0 + histogram[$1] }) / Double(n)
        #expect(abs(seen - exact) < 5 * (exact * (1 - exact) / Double(n)).squareRoot(), "\(seen) vs \(exact)")
    }
}
