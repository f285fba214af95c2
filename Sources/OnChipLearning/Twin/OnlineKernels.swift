// The float twin's online-rule kernels (docs/TWIN.md): each does one piece of the top-down
// error's work and counts its own host FLOPs and bytes (conventions of docs/TWIN.md: a
// multiply-add is 2 FLOPs, 4 bytes per float read or written), so the learner never adds to
// the counters beside a loop.

/// d[j] = ps[j] * sum_i A[j * cols + i] * v[i] for j < n: a gated product with the rows of A
/// (OTTT's W^T delta with W stored [this layer][next], OPZO's and DFA's M e). Counted as
/// 2 n cols + n FLOPs and 4 n cols bytes (A read once).
@inline(__always)
func gatedRowProduct(into d: UnsafeMutablePointer<Float>, gate ps: UnsafeMutablePointer<Float>,
                     rows A: UnsafeMutablePointer<Float>, cols: Int, vector v: UnsafeMutablePointer<Float>, _ n: Int,
                     counts: inout TwinOpCounts) {
    for j in 0..<n {
        let row = A + j * cols
        var s: Float = 0
        for i in 0..<cols { s += row[i] * v[i] }
        d[j] = ps[j] * s
    }
    counts.add(.feedback, flops: 2 * n * cols + n, bytes: 4 * n * cols)
}

/// OPZO's momentum feedback: M[i][k] = lambda M[i][k] + gain z[i] o[k]. Counted as
/// 3 n m + n FLOPs and 8 n m bytes (M read and written).
@inline(__always)
func updateMomentumFeedback(_ M: UnsafeMutablePointer<Float>, lambda: Float, gain: Float,
                            noise z: UnsafeMutablePointer<Float>, output o: UnsafeMutablePointer<Float>,
                            _ n: Int, _ m: Int, counts: inout TwinOpCounts) {
    for i in 0..<n {
        let row = M + i * m, zi = gain * z[i]
        for k in 0..<m { row[k] = lambda * row[k] + zi * o[k] }
    }
    counts.add(.feedbackUpdate, flops: 3 * n * m + n, bytes: 8 * n * m)
}

/// ZO_sp's hidden error: d[i] = ps[i] * g * z[i]. Counted as 2 n + 1 FLOPs (g = (L - b) / alpha
/// included).
@inline(__always)
func scaledNoiseError(into d: UnsafeMutablePointer<Float>, gate ps: UnsafeMutablePointer<Float>, scale g: Float,
                      noise z: UnsafeMutablePointer<Float>, _ n: Int, counts: inout TwinOpCounts) {
    for i in 0..<n { d[i] = ps[i] * g * z[i] }
    counts.add(.feedback, flops: 2 * n + 1)
}

/// ZO_sp's loss baseline: returns L - b, then b = decay b + (1 - decay) L (the first loss sets
/// b = L). Counted as 4 FLOPs.
@inline(__always)
func centerOnBaseline(_ loss: Float, baseline b: inout Float, isSet: inout Bool, decay: Float,
                      counts: inout TwinOpCounts) -> Float {
    if !isSet { b = loss; isSet = true }
    let centered = loss - b
    b = decay * b + (1 - decay) * loss
    counts.add(.feedback, flops: 4)
    return centered
}
