// Fixed-point primitives. Every function states whether it wraps (two's complement,
// as a hardware adder without overflow logic does) or saturates (clips to the range,
// as a store with saturation logic does). All take and return Int64 so that callers
// can form exact wide intermediate values first and narrow once.

public enum FixedPoint {
    /// Largest value of a signed `bits`-wide register: 2^(bits-1) - 1.
    @inlinable @inline(__always)
    public static func signedMax(bits: Int) -> Int64 { (Int64(1) << Int64(bits - 1)) - 1 }

    /// Smallest value of a signed `bits`-wide register: -2^(bits-1).
    @inlinable @inline(__always)
    public static func signedMin(bits: Int) -> Int64 { -(Int64(1) << Int64(bits - 1)) }

    /// Largest value of an unsigned `bits`-wide register: 2^bits - 1.
    @inlinable @inline(__always)
    public static func unsignedMax(bits: Int) -> Int64 { (Int64(1) << Int64(bits)) - 1 }

    /// Clips x to [-2^(bits-1), 2^(bits-1) - 1]. Valid for bits in 1...63.
    @inlinable @inline(__always)
    public static func saturate(_ x: Int64, bits: Int) -> Int64 {
        let hi = signedMax(bits: bits), lo = signedMin(bits: bits)
        return x > hi ? hi : (x < lo ? lo : x)
    }

    /// Clips x to the symmetric range [-(2^(bits-1) - 1), 2^(bits-1) - 1]; Loihi's voltage
    /// register saturates this way (Lava: np.clip(v, -(2^23) + 1, 2^23 - 1)).
    @inlinable @inline(__always)
    public static func saturateSymmetric(_ x: Int64, bits: Int) -> Int64 {
        let hi = signedMax(bits: bits)
        return x > hi ? hi : (x < -hi ? -hi : x)
    }

    /// Clips x to [0, 2^bits - 1]. Valid for bits in 1...62.
    @inlinable @inline(__always)
    public static func saturateUnsigned(_ x: Int64, bits: Int) -> Int64 {
        let hi = unsignedMax(bits: bits)
        return x > hi ? hi : (x < 0 ? 0 : x)
    }

    /// Two's complement wrap: keeps the low `bits` bits and sign-extends them.
    /// wrap(2^(bits-1)) == -2^(bits-1). Valid for bits in 1...64.
    @inlinable @inline(__always)
    public static func wrap(_ x: Int64, bits: Int) -> Int64 {
        let s = Int64(64 - bits)
        return (x &<< s) &>> s
    }

    /// Shift by a signed exponent: left for e > 0, arithmetic right (floor toward -inf)
    /// for e < 0. The caller must ensure a left shift cannot overflow 64 bits.
    @inlinable @inline(__always)
    public static func shift(_ x: Int64, by e: Int) -> Int64 {
        e >= 0 ? x << Int64(e) : x >> Int64(-e)
    }

    /// Sign-magnitude right shift: sign(x) * (|x| >> s), i.e. truncation toward zero.
    /// This is how Loihi's decay rounds (Lava: np.sign(p) * np.right_shift(np.abs(p), 12)).
    @inlinable @inline(__always)
    public static func shiftTowardZero(_ x: Int64, by s: Int64) -> Int64 {
        x >= 0 ? x >> s : -((-x) >> s)
    }

    /// Loihi decay: sign(p) * (|p| >> 12) with p = x * (4096 - d), d in 0...4096.
    /// |x| < 2^24 and (4096 - d) <= 4096 keep p within 37 bits, so Int64 is exact.
    @inlinable @inline(__always)
    public static func decay(_ x: Int64, by d: Int64) -> Int64 {
        shiftTowardZero(x * (NeuronWidths.decayUnit - d), by: NeuronWidths.decayShift)
    }
}

extension SIMD4 where Scalar == Int64 {
    /// Lane by lane min(max(x, lo), hi), spelled with compares and selects: the standard
    /// library's `clamped(lowerBound:upperBound:)` goes through generic pointwiseMin / Max that
    /// the optimiser left as calls in the per-synapse loops.
    @inlinable @inline(__always)
    public func clampedLanes(_ lo: SIMD4<Int64>, _ hi: SIMD4<Int64>) -> SIMD4<Int64> {
        replacing(with: lo, where: self .< lo).replacing(with: hi, where: self .> hi)
    }
}
