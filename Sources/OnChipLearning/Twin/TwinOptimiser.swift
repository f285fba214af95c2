/// Optimisers over the weight layers. Adam: m = b1 m + (1-b1) g; v = b2 v + (1-b2) g^2;
/// W -= lr (m / (1 - b1^k)) / (sqrt(v / (1 - b2^k)) + eps). SGD: W -= lr g.
public enum TwinOptimiserKind: Sendable, Equatable {
    case sgd(lr: Float)
    case adam(lr: Float, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8)
}

public final class TwinOptimiser {
    public let kind: TwinOptimiserKind
    let m: [FloatBuffer], v: [FloatBuffer]
    var k = 0

    public init(kind: TwinOptimiserKind, shapes: [Int]) {
        self.kind = kind
        if case .adam = kind {
            m = shapes.map { FloatBuffer(count: $0) }; v = shapes.map { FloatBuffer(count: $0) }
        } else { m = []; v = [] }
    }

    /// Applies gradient `g` (scaled by `scale`) to `weights` of the layers in `layers`.
    public func step(weights: [FloatBuffer], grad: [FloatBuffer], scale: Float, layers: [Int],
                     counts: inout TwinOpCounts) {
        k += 1
        switch kind {
        case let .sgd(lr):
            for l in layers {
                let W = weights[l].p, G = grad[l].p, n = weights[l].count, a = lr * scale
                for i in 0..<n { W[i] -= a * G[i] }
                counts.add(.optimiser, flops: 2 * n, bytes: 12 * n)
            }
        case let .adam(lr, b1, b2, eps):
            let c1 = 1 - powf(b1, Float(k)), c2 = 1 - powf(b2, Float(k))
            let step = lr / c1, rc2 = 1 / c2
            for l in layers {
                let W = weights[l].p, G = grad[l].p, M = m[l].p, V = v[l].p, n = weights[l].count
                for i in 0..<n {
                    let g = G[i] * scale
                    let mi = b1 * M[i] + (1 - b1) * g
                    let vi = b2 * V[i] + (1 - b2) * g * g
                    M[i] = mi; V[i] = vi
                    W[i] -= step * mi / ((vi * rc2).squareRoot() + eps)
                }
                counts.add(.optimiser, flops: 14 * n, bytes: 28 * n)
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
