// Counter-based pseudo-random numbers: every draw is a pure function of
// (seed, stream, core, timestep, index), so results never depend on the order in
// which cores, neurons or synapses are visited, nor on the number of threads.
//
// Construction: a key is built by absorbing the coordinates one at a time with the
// SplitMix64 finaliser (a bijective 64-bit mixer); a draw mixes key + index * phi
// with the same finaliser. This is SplitMix64's own output function evaluated at
// a keyed counter, so draws for consecutive indices are SplitMix64's sequence.

/// Named random streams, so that (for example) the input encoder and the OPZO noise
/// never share bits even with equal seeds and coordinates.
public enum RandomStream: UInt64, CaseIterable, Sendable {
    case weightInit = 1
    case inputEncoder = 2
    case neuronNoise = 3
    case synapseNoise = 4
    case stochasticRounding = 5
    case datasetSplit = 6
    case perturbation = 7
    case plasticity = 8
    case shuffle = 9
    case yinYang = 10
}

public enum SplitMix {
    public static let golden: UInt64 = 0x9E37_79B9_7F4A_7C15

    /// SplitMix64 finaliser (Steele, Lea, Flood 2014; constants from Stafford's Mix13).
    @inlinable @inline(__always)
    public static func mix(_ z0: UInt64) -> UInt64 {
        var z = z0
        z = (z ^ (z >> 30)) &* multiplier1
        z = (z ^ (z >> 27)) &* multiplier2
        return z ^ (z >> 31)
    }

    public static let multiplier1: UInt64 = 0xBF58_476D_1CE4_E5B9
    public static let multiplier2: UInt64 = 0x94D0_49BB_1331_11EB

    /// `mix` in four 64-bit vector lanes (the same values lane by lane).
    @inlinable @inline(__always)
    public static func mix(_ z0: SIMD4<UInt64>) -> SIMD4<UInt64> {
        var z = z0
        z = (z ^ (z &>> 30)) &* SIMD4(repeating: multiplier1)
        z = (z ^ (z &>> 27)) &* SIMD4(repeating: multiplier2)
        return z ^ (z &>> 31)
    }
}

/// A key fixes every coordinate but the index; `draw(index)` is one mix.
public struct RandomKey: Hashable, Sendable {
    public let value: UInt64

    @inlinable
    public init(rawValue: UInt64) { value = rawValue }

    @inlinable
    public init(seed: UInt64, stream: RandomStream) {
        value = SplitMix.mix(SplitMix.mix(seed &+ SplitMix.golden) ^ stream.rawValue)
    }

    /// Absorbs one more coordinate (core, timestep, sample, layer...).
    @inlinable @inline(__always)
    public func with(_ coordinate: UInt64) -> RandomKey {
        RandomKey(rawValue: SplitMix.mix(value ^ SplitMix.mix(coordinate &+ SplitMix.golden)))
    }

    @inlinable @inline(__always)
    public func with(_ coordinate: Int) -> RandomKey { with(UInt64(bitPattern: Int64(coordinate))) }

    /// 64 random bits for `index`.
    @inlinable @inline(__always)
    public func draw(_ index: Int) -> UInt64 { draw(counterTerm: RandomKey.counterTerm(index)) }

    /// The index's share of a draw: draw(i) = mix(value &+ counterTerm(i)). Counter terms add
    /// (counterTerm(a + b) = counterTerm(a) &+ counterTerm(b), modulo 2^64), so a loop over
    /// many keys and indices can compute each term once and add it (`offset(by:)`).
    @inlinable @inline(__always)
    public static func counterTerm(_ index: Int) -> UInt64 { UInt64(bitPattern: Int64(index)) &* SplitMix.golden }

    /// The draw whose index has counter term `term`.
    @inlinable @inline(__always)
    public func draw(counterTerm term: UInt64) -> UInt64 { SplitMix.mix(value &+ term) }

    /// draw(counterTerm:) in four 64-bit vector lanes (the same values).
    @inlinable @inline(__always)
    public func draw(counterTerms terms: SIMD4<UInt64>) -> SIMD4<UInt64> { SplitMix.mix(SIMD4(repeating: value) &+ terms) }

    /// The key whose draw(i) is this key's draw(base + i).
    @inlinable @inline(__always)
    public func offset(by base: Int) -> RandomKey { RandomKey(rawValue: value &+ RandomKey.counterTerm(base)) }

    /// draw(index) for four indices at once, in 64-bit vector lanes (the same values).
    @inlinable @inline(__always)
    public func draw(_ indices: SIMD4<UInt64>) -> SIMD4<UInt64> {
        draw(counterTerms: indices &* SIMD4(repeating: SplitMix.golden))
    }

    /// Uniform double in [0, 1) with 53 random bits.
    @inlinable @inline(__always)
    public func uniform(_ index: Int) -> Double {
        Double(draw(index) >> 11) * 0x1.0p-53
    }

    /// True with probability exactly numerator / denominator (denominator in 1..<2^32),
    /// using the high 32 bits of the draw: r * denominator < numerator * 2^32.
    @inlinable @inline(__always)
    public func bernoulli(_ index: Int, numerator: UInt64, denominator: UInt64) -> Bool {
        (draw(index) >> 32) &* denominator < numerator << 32
    }

    /// The PRNG unit's fixed-point Gaussian (no floating point): the sum of six 10-bit uniforms
    /// (Irwin-Hall, k = 6) taken from bits 4...63 of ONE draw, centred and scaled:
    ///   S = sum_{j=0}^{5} ((draw(i) >> (4 + 10 j)) & 1023)     in 0...6138, mean 3069, variance
    ///                                                          6 (2^20 - 1) / 12 = 524,287.5
    ///   z = (S - 3069) * 23170                                 in units of 2^-24
    /// 23170 = round(2^24 / sqrt(524,287.5)), so Var z = 524,287.5 x 23170^2 / 2^48 = 0.99996 and
    /// |z| <= 4.24; symmetric, excess kurtosis -0.2 (tails lighter than a normal's beyond about
    /// 3 sigma), resolution 1/724 of a standard deviation (fine enough that round(delta z) for
    /// small delta is smooth: twelve 5-bit fields gave steps of 1/32 and lumpy codes). Mean and
    /// variance are checked against the exact distribution in FixedPointGaussianTests.
    public static let gaussianScale: Int64 = 23170
    public static let gaussianCentre: Int64 = 3069

    @inlinable @inline(__always)
    public func gaussianQ24(_ index: Int) -> Int64 {
        var r = draw(index) >> 4, s: Int64 = 0
        for _ in 0..<6 { s += Int64(r & 1023); r >>= 10 }
        return (s - RandomKey.gaussianCentre) * RandomKey.gaussianScale
    }

    /// Standard normal by Box-Muller from two 53-bit uniforms of draws 2i and 2i+1 (host-side
    /// uses: weight initialisation, the float twin; the chip's units use gaussianQ16).
    @inlinable
    public func gaussian(_ index: Int) -> Double {
        let u1 = 1.0 - uniform(2 &* index)   // (0, 1]
        let u2 = uniform(2 &* index &+ 1)
        return (-2.0 * _log(u1)).squareRoot() * _cos(2.0 * Double.pi * u2)
    }
}

// Foundation-free wrappers (keep ChipModel's hot paths free of Foundation).
@usableFromInline func _log(_ x: Double) -> Double { x.logNatural }
@usableFromInline func _cos(_ x: Double) -> Double { x.cosine }

#if canImport(Glibc)
import Glibc
extension Double {
    @usableFromInline var logNatural: Double { Glibc.log(self) }
    @usableFromInline var cosine: Double { Glibc.cos(self) }
}
#else
import Darwin
extension Double {
    @usableFromInline var logNatural: Double { Darwin.log(self) }
    @usableFromInline var cosine: Double { Darwin.cos(self) }
}
#endif
