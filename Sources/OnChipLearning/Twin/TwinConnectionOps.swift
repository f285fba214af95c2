import ChipModel

/// The three linear maps of a twin connection with weights w (plain loops: the reference the
/// shaped twin is checked with; no event-driven fast path yet):
///   apply:        y[i] += sum_j A[i, j] x[j]          (delivery of presynaptic values x)
///   transpose:    gx[j] += sum_i A[i, j] gy[i]        (adjoint: backprop to the pre layer)
///   accumulate:   gw[k] += sum over synapses (i, j) using weight k of gy[i] x[j]
/// For a convolution, A[(o, oy, ox), (c, iy, ix)] = w[o, c - g*I, ky, kx] when
/// iy = oy*sH - pH + ky*dH, ix = ox*sW - pW + kx*dW lie inside the input and c is in o's group
/// g (docs/CONV.md); padded positions hold no synapse. Dense: A[i, j] = w[j * post + i].
extension TwinConnection {
    enum Op { case apply, transpose, accumulate }

    /// op .apply: a = x (pre), b = y (post); .transpose: a = gx (pre), b = gy (post);
    /// .accumulate: a = x (pre), b = gy (post), w = gw.
    @inline(__always)
    func run(_ op: Op, w: UnsafeMutablePointer<Float>, pre a: UnsafeMutablePointer<Float>, post b: UnsafeMutablePointer<Float>) {
        switch self {
        case let .dense(m, n):
            for j in 0..<m {
                let row = w + j * n
                switch op {
                case .apply: let x = a[j]; if x != 0 { for i in 0..<n { b[i] += row[i] * x } }
                case .transpose: var s: Float = 0; for i in 0..<n { s += row[i] * b[i] }; a[j] += s
                case .accumulate: let x = a[j]; if x != 0 { for i in 0..<n { row[i] += b[i] * x } }
                }
            }
        case let .shaped(g, _):
            let H = g.input.height, W = g.input.width, OH = g.output.height, OW = g.output.width
            let I = g.inPerGroup, oPer = g.outPerGroup
            for o in 0..<g.output.channels {
                let group = o / oPer
                for oy in 0..<OH {
                    for ox in 0..<OW {
                        let yi = (o * OH + oy) * OW + ox
                        for i in 0..<I {
                            let c = group * I + i
                            for ky in 0..<g.kernelH {
                                let iy = oy * g.strideH - g.padH + ky * g.dilationH
                                if iy < 0 || iy >= H { continue }
                                for kx in 0..<g.kernelW {
                                    let ix = ox * g.strideW - g.padW + kx * g.dilationW
                                    if ix < 0 || ix >= W { continue }
                                    let xi = (c * H + iy) * W + ix, k = g.weightIndex(o: o, i: i, ky: ky, kx: kx)
                                    switch op {
                                    case .apply: b[yi] += w[k] * a[xi]
                                    case .transpose: a[xi] += w[k] * b[yi]
                                    case .accumulate: w[k] += b[yi] * a[xi]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Multiply-adds of one application (real synapses; padding excluded).
    var synapseCount: Int {
        switch self {
        case let .dense(m, n): return m * n
        case let .shaped(g, _):
            var count = 0
            for oy in 0..<g.output.height {
                for ky in 0..<g.kernelH { let iy = oy * g.strideH - g.padH + ky * g.dilationH; if iy >= 0 && iy < g.input.height { count += 1 } }
            }
            var cols = 0
            for ox in 0..<g.output.width {
                for kx in 0..<g.kernelW { let ix = ox * g.strideW - g.padW + kx * g.dilationW; if ix >= 0 && ix < g.input.width { cols += 1 } }
            }
            return count * cols * g.output.channels * g.inPerGroup
        }
    }
}
