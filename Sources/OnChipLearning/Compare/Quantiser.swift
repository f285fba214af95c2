import Foundation

/// One connection's float weights in the chip's format.
///
/// Mapping (docs/COMPARE.md). The chip adds `(sum of w_int of delivered spikes) << e` to
/// a_in, then u = a_in << 6 (du = 4095) and compares v with vth << 6; the twin adds w_float
/// and compares with theta. Both sides agree when, for every weight,
///     w_float / theta == (w_int * 2^e) / vth,
/// i.e. w_int = w_float * scale with scale = vth / (theta * 2^e), up to rounding of w_int.
/// Choice: unit = vth0 / theta (the layer's configured vth; a readout has no threshold, so
/// unit = 1), e* = ceil(log2(max|w| * unit / wMax)) so that max|w| * scale lies in
/// (wMax / 2, wMax] (the mantissas use the top bit of their range), scale = unit * 2^-e*,
/// w_int = round-half-away(w_float * scale), saturated to [-wMax, wMax] (never needed).
/// Representation of e*: 0 <= e* <= 7 becomes the weight exponent e = e*; beyond 7, e = 7 and
/// the threshold shrinks, vth = max(1, vth0 >> (e* - 7)) (a readout saturates instead); e* < 0 would be a floor right shift of the dendritic sum (lossy), so
/// instead e = 0 and the threshold grows: vth = vth0 * 2^-e* (as far as vthMax allows; the
/// remainder stays a negative exponent). A readout keeps e = 0 for e* < 0 (argmax of the summed
/// v is scale-invariant) and its vth is unused.
public struct QuantisedConnection: Equatable, Sendable {
    /// weights[pre][post], each in [-wMax, wMax].
    public var weights: [[Int]]
    public var weightBits: Int
    /// Chip integer mantissa per float unit: w_int = round(w_float * scale).
    public var scale: Double
    public var weightExponent: Int
    /// The post layer's threshold mantissa after deployment (nil for a readout).
    public var vth: Int?
    public var maxAbsFloat: Float

    public var wMax: Int { (1 << (weightBits - 1)) - 1 }
    public var maxAbsInt: Int { weights.reduce(0) { max($0, $1.reduce(0) { max($0, abs($1)) }) } }
    /// dequant(w_int) = w_int / scale.
    public func dequantised(_ wInt: Int) -> Double { Double(wInt) / scale }
    /// Deployment traffic: packed mantissas (weightBits each) of this connection, in bytes.
    public var packedBytes: Int { (weights.count * (weights.first?.count ?? 0) * weightBits + 7) / 8 }
}

public enum Quantiser {
    public static let exponentRange = -8...7
    public static let vthMax = 131_071

    /// e* = ceil(log2(maxAbs * unit / wMax)) (0 for maxAbs = 0), exactly: the smallest integer
    /// e with maxAbs * unit * 2^-e <= wMax.
    public static func exponentNeeded(maxAbs: Double, unit: Double, wMax: Int) -> Int {
        guard maxAbs > 0 else { return 0 }
        var e = Int((log2(maxAbs * unit / Double(wMax))).rounded(.up))
        // Correct log2 rounding at exact powers of two.
        while maxAbs * unit * pow(2, Double(-e)) > Double(wMax) { e += 1 }
        while maxAbs * unit * pow(2, Double(-(e - 1))) <= Double(wMax) { e -= 1 }
        return e
    }

    /// Quantises `w` stored [pre j][post i] row-major (rows x cols). `theta` and `vth` are the
    /// post layer's float and chip thresholds (nil for a readout).
    public static func quantise(_ w: UnsafePointer<Float>, rows: Int, cols: Int, weightBits: Int,
                                theta: Float?, vth: Int?) -> QuantisedConnection {
        var maxAbs: Float = 0
        for k in 0..<(rows * cols) { maxAbs = max(maxAbs, abs(w[k])) }
        let wMax = (1 << (weightBits - 1)) - 1
        let unit: Double = (theta != nil && vth != nil) ? Double(vth!) / Double(theta!) : 1
        let eStar = exponentNeeded(maxAbs: Double(maxAbs), unit: unit, wMax: wMax)
        var exponent = 0
        var newVth = vth
        var scale = unit * pow(2, Double(-eStar))
        if eStar > exponentRange.upperBound, let v = vth, let th = theta {
            // Beyond e = 7 the threshold shrinks instead (floor; the mapping uses the result).
            exponent = exponentRange.upperBound
            newVth = max(1, v >> (eStar - exponent))
            scale = Double(newVth!) / Double(th) * pow(2, Double(-exponent))
        } else if eStar >= 0 {
            exponent = min(eStar, exponentRange.upperBound)
            scale = unit * pow(2, Double(-exponent))        // a readout beyond e = 7 saturates
        } else if let v = vth, let th = theta {
            // Raise the threshold instead of a lossy negative exponent, as far as 17 bits allow.
            var m = 0
            while m < -eStar && v << (m + 1) <= vthMax { m += 1 }
            newVth = v << m
            exponent = max(eStar + m, exponentRange.lowerBound)
            scale = Double(newVth!) / Double(th) * pow(2, Double(-exponent))
        }
        var q = [[Int]](repeating: [Int](repeating: 0, count: cols), count: rows)
        for j in 0..<rows {
            for i in 0..<cols {
                let x = (Double(w[j * cols + i]) * scale).rounded(.toNearestOrAwayFromZero)
                q[j][i] = Int(min(max(x, Double(-wMax)), Double(wMax)))
            }
        }
        return QuantisedConnection(weights: q, weightBits: weightBits, scale: scale, weightExponent: exponent,
                                   vth: theta == nil ? nil : newVth, maxAbsFloat: maxAbs)
    }

    /// Quantises `w` into a post layer whose chip units per float unit are already fixed by
    /// another connection into it (`unit` = that connection's scale x 2^exponent, vth / theta
    /// for a thresholded layer): e = e* = ceil(log2(max|w| unit / wMax)) clamped to 0...7,
    /// scale = unit 2^-e, w_int = round-half-away(w scale) saturated to [-wMax, wMax]
    /// (saturation only when e* > 7). e* < 0 keeps e = 0 (mantissas below the top of their
    /// range) rather than a negative exponent, whose floor right shift of the dendritic sum
    /// would bias it; the caller first raises the threshold where it can (installShaped).
    public static func quantise(_ w: UnsafePointer<Float>, rows: Int, cols: Int, weightBits: Int, unit: Double) -> QuantisedConnection {
        var maxAbs: Float = 0
        for k in 0..<(rows * cols) { maxAbs = max(maxAbs, abs(w[k])) }
        let wMax = (1 << (weightBits - 1)) - 1
        let exponent = min(max(exponentNeeded(maxAbs: Double(maxAbs), unit: unit, wMax: wMax), 0), exponentRange.upperBound)
        let scale = unit * pow(2, Double(-exponent))
        var q = [[Int]](repeating: [Int](repeating: 0, count: cols), count: rows)
        for j in 0..<rows {
            for i in 0..<cols {
                let x = (Double(w[j * cols + i]) * scale).rounded(.toNearestOrAwayFromZero)
                q[j][i] = Int(min(max(x, Double(-wMax)), Double(wMax)))
            }
        }
        return QuantisedConnection(weights: q, weightBits: weightBits, scale: scale, weightExponent: exponent, vth: nil, maxAbsFloat: maxAbs)
    }

    public static func quantise(_ w: [Float], rows: Int, cols: Int, weightBits: Int, theta: Float?, vth: Int?) -> QuantisedConnection {
        w.withUnsafeBufferPointer { quantise($0.baseAddress!, rows: rows, cols: cols, weightBits: weightBits, theta: theta, vth: vth) }
    }
}
