import ChipModel

/// Finite-difference check of the shaped twin's BPTT gradients (conv kernels, pools, dense and
/// recurrent weights), the part of `chipsim gradcheck` that covers conv layers.
///
/// The network is run relaxed (hidden output relaxed(h - theta), whose derivative is the
/// surrogate psi; reset not detached), so BPTT is the exact gradient of a C^1, piecewise smooth
/// loss. For every parameter tensor, `perTensor` weights spread evenly over it (all of them when
/// it is smaller) are perturbed by +-eps; the batch loss L = mean over the samples is
/// evaluated at both and compared with the BPTT gradient of the same batch:
///   maxError = max_k |numeric_k - analytic_k| / max_k |numeric_k|
///   cosine   = cos(numeric, analytic) over the checked weights.
/// A wrong transpose, tap, delay or recurrent term gives maxError of order 1; a correct one
/// gives O(eps) near kinks of psi and float rounding elsewhere (TwinShapedTests).
public struct ShapedGradCheckRow: Sendable, Equatable {
    public var tensor: Int
    public var layer: Int
    public var recurrent: Bool
    public var trainable: Bool
    public var checked: Int
    public var maxError: Double
    public var cosine: Double
    public var gradientScale: Double
}

public enum ShapedGradCheck {
    public static func run(topology: TwinTopology, data: FloatDataset, perTensor: Int = 16, eps: Float = 1e-2,
                           params: RuleParams = { var p = RuleParams(); p.detachReset = false; return p }()) -> [ShapedGradCheckRow] {
        precondition(data.features == topology.base.sizes[0], "dataset width \(data.features) differs from the input layer \(topology.base.sizes[0])")
        let net = ShapedTwinNetwork(topology: topology)
        net.relaxed = true
        let b = ShapedBPTT(params: params, net: net)
        let grad = net.params.map { FloatBuffer(count: $0.count) }
        let scratch = net.params.map { FloatBuffer(count: $0.count) }
        func batch(into g: [FloatBuffer]) -> Double {
            data.x.withUnsafeBufferPointer { xp in
                var total = 0.0
                for i in 0..<data.count {
                    total += Double(b.accumulate(xp.baseAddress! + i * data.features, label: Int(data.y[i]), coordinate: UInt64(i), into: g).loss)
                }
                return total / Double(max(1, data.count))
            }
        }
        _ = batch(into: grad)
        let layout = topology.parameters
        var rows: [ShapedGradCheckRow] = []
        for (q, w) in net.params.enumerated() {
            let n = min(perTensor, w.count)
            var numeric: [Double] = [], analytic: [Double] = []
            for s in 0..<n {
                let k = s * w.count / n
                let v = w[k]
                w[k] = v + eps; let lp = batch(into: scratch)
                w[k] = v - eps; let lm = batch(into: scratch)
                w[k] = v
                numeric.append((lp - lm) / Double(2 * eps))
                analytic.append(Double(grad[q][k]) / Double(max(1, data.count)))
            }
            let scale = numeric.map(abs).max() ?? 0
            let err = zip(numeric, analytic).map { abs($0 - $1) }.max() ?? 0
            let cos = GradCheck.cosine(numeric.map(Float.init), analytic.map(Float.init))
            let l = layout[q]
            rows.append(ShapedGradCheckRow(tensor: q, layer: l.layer, recurrent: l.recurrent,
                                           trainable: l.recurrent || topology.forward[l.layer].isTrainable,
                                           checked: n, maxError: scale > 0 ? err / scale : err, cosine: cos, gradientScale: scale))
        }
        return rows
    }
}
