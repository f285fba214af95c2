// The loss unit's logarithm: L = -ln(p / 2^14) in units of 2^-14 for a probability p in units of
// 2^-14 (1 <= p <= 2^14), by a 257-entry look-up table with linear interpolation. No floating
// point at run time; the table is ROM contents, fixed at design time.
//
// Fixed-point definition (all integer arithmetic):
//   e    = floor(log2 p), 0...14            (the position of p's leading one)
//   f    = p - 2^e                          the mantissa's fraction, e bits (p = 2^e (1 + f / 2^e))
//   e >= 8:  i = f >> (e - 8), r = f & (2^(e-8) - 1)     (table index and interpolation remainder)
//            lnM = T[i] + ((T[i+1] - T[i]) * r + 2^(e-9)) >> (e - 8)   (e = 8: no remainder)
//   e <  8:  lnM = T[f << (8 - e)]                        (exact table point)
//   L    = ((14 - e) * LN2 - (lnM << 10) + 2^15) >> 16    (round half up to units of 2^-14)
// with T[i] = round(2^20 ln(1 + i / 256)), i = 0...256 (20-bit unsigned entries, T[256] = 726,817)
// and LN2 = round(2^30 ln 2) = 744,261,118.
//
// Accuracy: T's rounding (2^-21) and linear interpolation (at most h^2 / 8 = 1.9e-6 nat for
// h = 1/256; it underestimates ln(1 + x), so L is at most that much high) stay below 0.04 of
// L's unit; with the final rounding |L - (-ln(p / 2^14) 2^14)| <= 0.53 units for every p, and
// L equals the correctly rounded value for all but 153 of the 16,384 inputs (off by one there;
// checked exhaustively against Double, a 53-bit oracle: NegativeLogTableTests). L is 0 at p = 2^14 and
// 158,991 (ln 2^14 = 9.70 nat) at p = 1, so it fits 18 bits.
//
// Actions per evaluation (`instructions`, counted by the loss unit as plasticity instructions):
// leading-one detect, f, i, r (4); two table reads (2); difference, multiply, round-shift, add
// (4); (14 - e), its multiply by LN2, lnM << 10, subtract, round-shift (5): 15.

public enum NegativeLogTable {
    /// Index bits of the table (256 intervals, 257 entries).
    public static let indexBits = 8
    /// Fraction bits of the entries.
    public static let entryFracBits = 20
    /// round(2^30 ln 2).
    public static let ln2Q30: Int64 = 744_261_118
    /// Plasticity-unit instructions per evaluation (see the file comment).
    public static let instructions = 15
    /// Input range: probabilities 1...2^14 (units of 2^-14); output: units of 2^-14.
    public static let one: Int64 = 1 << 14

    /// T[i] = round(2^20 ln(1 + i / 256)), i = 0...256: the ROM contents. Computed once, at
    /// build time of the modelled chip (not per evaluation), with the host's log.
    public static let table: [Int64] = (0...(1 << indexBits)).map { i in
        Int64((Double(1 << entryFracBits) * (Double(i) / Double(1 << indexBits)).log1pNatural).rounded())
    }

    /// -ln(p / 2^14) in units of 2^-14; p is clamped to 1...2^14.
    @inlinable
    public static func negLog(_ probability: Int64) -> Int64 {
        let p = min(max(probability, 1), one)
        let e = 63 - p.leadingZeroBitCount
        let f = p - (Int64(1) << e)
        let lnM: Int64
        if e >= indexBits {
            let s = e - indexBits
            let i = Int(f >> s), r = f & ((Int64(1) << s) - 1)
            lnM = s == 0 ? table[i] : table[i] + (((table[i + 1] - table[i]) * r + (Int64(1) << (s - 1))) >> s)
        } else {
            lnM = table[Int(f << (indexBits - e))]
        }
        return (Int64(14 - e) * ln2Q30 - (lnM << (30 - entryFracBits)) + (1 << 15)) >> 16
    }
}

extension Double {
    /// ln(1 + x), for building the table.
    @usableFromInline var log1pNatural: Double { _log1p(self) }
}

#if canImport(Glibc)
import Glibc
@usableFromInline func _log1p(_ x: Double) -> Double { Glibc.log1p(x) }
#else
import Darwin
@usableFromInline func _log1p(_ x: Double) -> Double { Darwin.log1p(x) }
#endif
