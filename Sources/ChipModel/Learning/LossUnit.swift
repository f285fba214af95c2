// The loss-gradient unit of an output core: from the readout values o (the integrators' v)
// and the label, it computes the error e = dL/do that OPZO and its family broadcast.
//
// Fixed-point definition (all integer arithmetic; E = 2^14 is "1.0" of the error format):
//   x_k  = o_k >> outputShift                  (arithmetic shift; the logits in Q.lutFracBits)
//   d_k  = min(maxLogit - x_k, lutSize - 1)    (>= 0; max subtracted for stability)
//   p~_k = expLUT[d_k]                         expLUT[i] = round(2^16 * exp(-i / 2^lutFracBits))
//   p_k  = (p~_k * E + S/2) / S                S = sum_k p~_k, integer division (round half up)
//   y_k  = E if k == label else 0
//   m_k  = clamp(x_k * E >> lutFracBits, -E, 2E)   the MSE term's output in the same units
//   e_k  = (ceWeight * (p_k - y_k) + mseWeight * (m_k - y_k)) >> 6,  ceWeight + mseWeight = 64
//   then saturated to the 16-bit modulator width.
// Defaults: ceWeight 61, mseWeight 3 (0.953 CE + 0.047 MSE, the closest 64ths to the paper's
// 0.95 / 0.05 mix), lutFracBits 4 (logit resolution 1/16), lutSize 256 (exp down to e^-16).

public struct LossUnitParameters: Equatable, Sendable {
    public var outputShift: Int
    public var ceWeight: Int
    public var mseWeight: Int
    public var lutFracBits: Int
    public var lutSize: Int

    public init(outputShift: Int = 10, ceWeight: Int = 61, mseWeight: Int = 3, lutFracBits: Int = 4, lutSize: Int = 256) {
        self.outputShift = outputShift; self.ceWeight = ceWeight; self.mseWeight = mseWeight
        self.lutFracBits = lutFracBits; self.lutSize = lutSize
    }
}

public struct LossUnit: Sendable {
    public static let one: Int64 = 1 << 14
    public let parameters: LossUnitParameters
    public let expLUT: [Int64]

    public init(_ p: LossUnitParameters) {
        parameters = p
        expLUT = (0..<p.lutSize).map { i in Int64((65536.0 * _exp(-Double(i) / Double(1 << p.lutFracBits))).rounded()) }
    }

    /// Logits in the LUT's fixed-point format.
    @inlinable
    public func logits(_ o: [Int32]) -> [Int64] { o.map { Int64($0) >> Int64(parameters.outputShift) } }

    /// Softmax probabilities in units of `one`.
    public func probabilities(_ o: [Int32]) -> [Int64] {
        let x = logits(o)
        let mx = x.max() ?? 0
        let pt = x.map { expLUT[Int(min(mx - $0, Int64(parameters.lutSize - 1)))] }
        let s = pt.reduce(0, +)
        return pt.map { ($0 * LossUnit.one + s / 2) / s }
    }

    /// Regression outputs: r_k = clamp((o_k >> outputShift) * one >> lutFracBits, -2 one, 2 one),
    /// i.e. the MSE term's output in units of `one`, clamped to [-2, 2].
    public func regressionOutputs(_ o: [Int32]) -> [Int64] {
        logits(o).map { min(max(($0 * LossUnit.one) >> Int64(parameters.lutFracBits), -2 * LossUnit.one), 2 * LossUnit.one) }
    }

    /// Regression error (MSE gradient): e_k = sat16(r_k - y_k), y in units of `one`.
    public func regressionError(_ o: [Int32], target y: [Int32]) -> [Int32] {
        zip(regressionOutputs(o), y).map { Int32(FixedPoint.saturate($0 - Int64($1), bits: LearningWidths.modulator)) }
    }

    /// Regression cost sum_k (r_k - y_k)^2 / one (units of `one`; the zeroth-order rules' C).
    public func regressionCost(_ o: [Int32], target y: [Int32]) -> Int64 {
        zip(regressionOutputs(o), y).reduce(0) { s, p in let d = p.0 - Int64(p.1); return s + (d * d) >> 14 }
    }

    /// The error vector e (units of `one`, saturated to 16 bits) for readout values o and a label.
    public func error(_ o: [Int32], label: Int) -> [Int32] {
        let p = probabilities(o)
        let x = logits(o)
        let e1 = LossUnit.one
        return (0..<o.count).map { k in
            let y: Int64 = k == label ? e1 : 0
            let m = min(max((x[k] * e1) >> Int64(parameters.lutFracBits), -e1), 2 * e1)
            let e = (Int64(parameters.ceWeight) * (p[k] - y) + Int64(parameters.mseWeight) * (m - y)) >> 6
            return Int32(FixedPoint.saturate(e, bits: LearningWidths.modulator))
        }
    }

    /// Actions one evaluation costs (for the counters): m LUT reads, m multiply-divides, 2m adds.
    public static func instructionCount(outputs m: Int) -> Int { 6 * m }
}

#if canImport(Glibc)
import Glibc
@usableFromInline func _exp(_ x: Double) -> Double { Glibc.exp(x) }
#else
import Darwin
@usableFromInline func _exp(_ x: Double) -> Double { Darwin.exp(x) }
#endif
