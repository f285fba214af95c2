// The loss unit's logarithm: L = -ln(p / 2^14) in units of 2^-14 for a probability p in units of
// 2^-14 (1 <= p <= 2^14), by a look-up table of ln(1 + x) with linear interpolation. No floating
// point at run time; the table is ROM contents, fixed at design time.
//
// Fixed-point definition, for a table of K index bits and F fraction bits (all integer arithmetic):
//   e    = floor(log2 p), 0...14            (the position of p's leading one)
//   f    = p - 2^e                          the mantissa's fraction, e bits (p = 2^e (1 + f / 2^e))
//   e >= K:  s = e - K, i = f >> s, r = f & (2^s - 1)   (table index and interpolation remainder)
//            lnM = T[i] + ((T[i+1] - T[i]) * r + 2^(s-1)) >> s      (s = 0: lnM = T[i])
//   e <  K:  lnM = T[f << (K - e)]                      (an exact table point)
//   L    = ((14 - e) * LN2 - (lnM << (30 - F)) + 2^15) >> 16   (round half up to units of 2^-14)
// with T[i] = round(2^F ln(1 + i / 2^K)), i = 0...2^K, and LN2 = round(2^30 ln 2) = 744,261,118.
//
// The chip's table (`standard`): K = 12, F = 28: 4,097 entries of 28 bits (14,340 bytes of ROM
// at the output core). Its error (entry rounding 2^-29, interpolation at most h^2 / 8 = 7.5e-9
// nat for h = 2^-12, LN2's rounding) is below 1.3e-4 of L's unit, less than the distance of any
// -ln(p / 2^14) 2^14 from a rounding boundary (the nearest is 3.3e-5 units away; checked, not assumed):
// L is the correctly rounded value for all 16,384 inputs (max |error| 0.49997 units), so the
// costs, and the rules' trajectories, are those of the exact logarithm.
// A compact alternative (`compact`): K = 8, F = 20: 257 entries of 20 bits (643 bytes); max
// |error| 0.528 units, off by one for 153 of the 16,384 inputs. Those rare 1-unit differences
// change training trajectories (MGD-WP on Yin-Yang: -0.9, -2.9, +1.1 accuracy points over seeds
// 1-3), which is why the chip uses the larger table (docs/LEARNING.md).
// Both are checked exhaustively against Double (a 53-bit oracle): NegativeLogTableTests.
//
// Actions per evaluation (`instructions`, counted by the loss unit as plasticity instructions):
// leading-one detect, f, i, r (4); two table reads (2); difference, multiply, round-shift, add
// (4); (14 - e), its multiply by LN2, lnM's shift, subtract, round-shift (5): 15.

public struct NegativeLogTable: Sendable {
    /// Index bits K (2^K intervals, 2^K + 1 entries) and fraction bits F of the entries.
    public let indexBits: Int
    public let entryFracBits: Int
    /// T[i] = round(2^F ln(1 + i / 2^K)): the ROM contents, computed once when the modelled chip
    /// is built (not per evaluation), with the host's log1p.
    public let table: [Int64]

    /// round(2^30 ln 2).
    public static let ln2Q30: Int64 = 744_261_118
    /// Plasticity-unit instructions per evaluation (see the file comment).
    public static let instructions = 15
    /// Input range: probabilities 1...2^14 (units of 2^-14); output: units of 2^-14.
    public static let one: Int64 = 1 << 14

    public init(indexBits: Int, entryFracBits: Int) {
        precondition((1...14).contains(indexBits) && (1...30).contains(entryFracBits))
        self.indexBits = indexBits; self.entryFracBits = entryFracBits
        table = (0...(1 << indexBits)).map { i in
            Int64((Double(Int64(1) << entryFracBits) * (Double(i) / Double(1 << indexBits)).log1pNatural).rounded())
        }
    }

    /// The chip's loss unit table (correctly rounded for every input).
    public static let standard = NegativeLogTable(indexBits: 12, entryFracBits: 28)
    /// A 643-byte alternative (within 0.53 units; see the file comment).
    public static let compact = NegativeLogTable(indexBits: 8, entryFracBits: 20)

    /// ROM bytes: (2^K + 1) entries of F bits.
    public var bytes: Int { (table.count * entryFracBits + 7) / 8 }

    /// -ln(p / 2^14) in units of 2^-14; p is clamped to 1...2^14.
    @inlinable
    public func negLog(_ probability: Int64) -> Int64 {
        let p = min(max(probability, 1), NegativeLogTable.one)
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
        return (Int64(14 - e) * NegativeLogTable.ln2Q30 - (lnM << (30 - entryFracBits)) + (1 << 15)) >> 16
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
