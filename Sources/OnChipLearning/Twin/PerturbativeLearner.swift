import ChipModel

/// Perturbative rules (two forward passes per sample with the same input spikes):
/// C0 = L(W) (baseline pass), C1 = L(perturbed), C~ = C1 - C0, broadcast as one scalar.
///   mgd_wp:   theta_l in {-1, +1} per weight (stream .perturbation, keyed by sample and
///             layer, index = weight), delta_l = wpNorm / sqrt(N_l); W_l + delta_l theta_l;
///             G_l += (C~ / delta_l) theta_l.
///   fwd_grad: the same with Gaussian theta (randomized forward gradient: C~/delta is the
///             finite-difference directional derivative along theta; tau_theta = 1).
///   mgd_np:   every neuron (hidden and readout) gets a constant input offset delta theta_i
///             (Rademacher, held for the sample); G_l[j][i] += (C~ / delta) theta_i rbar_j,
///             rbar_j = (1/T) sum_t s_j[t-1] (mean delivered presynaptic activity).
/// Time constants: tau_x = tau_p = one sample (T steps); tau_theta = the trainer's batch
/// (G is averaged over the batch before the optimiser step). With `mgdGamma`, G is divided by
/// Gamma = sqrt(1/N + 1/tau_theta - 1/(N tau_theta)) as the MGD code normalises.
public final class PerturbativeLearner {
    public let rule: TwinRule
    public var params: RuleParams
    public let net: TwinNetwork
    var perturbed: [FloatBuffer]
    let theta: [FloatBuffer]
    let errorScratch: FloatBuffer

    public init(rule: TwinRule, params: RuleParams, net: TwinNetwork) {
        precondition(rule.isPerturbative)
        self.rule = rule; self.params = params; self.net = net
        let c = net.config
        errorScratch = FloatBuffer(count: c.sizes.last!)
        if rule == .mgd_np {
            perturbed = []
            theta = (0..<c.layerCount).map { FloatBuffer(count: c.sizes[$0 + 1]) }
        } else {
            perturbed = net.weights.map { FloatBuffer(count: $0.count) }
            theta = net.weights.map { FloatBuffer(count: $0.count) }
        }
    }

    func cost(_ x: UnsafePointer<Float>, label y: Int, coordinate: UInt64, e: UnsafeMutablePointer<Float>) -> (Float, Bool) {
        let c = net.config, L = c.layerCount, T = c.steps, m = c.sizes.last!
        net.resetState()
        net.loadSample(x, coordinate: coordinate)
        var total: Float = 0
        for t in 0..<T {
            net.step(t)
            total += stepLoss(net.out[L - 1].p, m, label: y, ce: c.ceWeight, mse: c.mseWeight,
                              grad: e, scale: 1, counts: &net.counts)
        }
        return (total / Float(T), argmax(net.outSum.p, m) == y)
    }

    func gamma(_ n: Int) -> Float {
        guard params.mgdGamma else { return 1 }
        let N = Float(n), tau = Float(max(1, params.tauTheta))
        return (1 / N + 1 / tau - 1 / (N * tau)).squareRoot()
    }

    @discardableResult
    public func accumulate(_ x: UnsafePointer<Float>, label y: Int, coordinate: UInt64,
                           into grad: [FloatBuffer]) -> (loss: Float, correct: Bool) {
        let c = net.config, L = c.layerCount, T = c.steps
        let e = errorScratch
        let (c0, correct) = cost(x, label: y, coordinate: coordinate, e: e.p)
        let base = RandomKey(seed: saltedSeed(c.seed, params.noiseSalt), stream: .perturbation).with(coordinate)
        if rule == .mgd_np {
            let delta = params.npDelta
            for l in 0..<L {
                let n = c.sizes[l + 1], th = theta[l].p, z = net.noise[l].p
                let key = base.with(l)
                for i in 0..<n { th[i] = key.draw(i) >> 63 == 1 ? 1 : -1; z[i] = delta * th[i] }
                net.counts.prngDraws &+= UInt64(n)
                net.counts.add(.noise, flops: n)
                net.noiseOn[l] = true
            }
            net.accumulateDelivered = true
            let (c1, _) = cost(x, label: y, coordinate: coordinate, e: e.p)
            net.accumulateDelivered = false
            for l in 0..<L { net.noiseOn[l] = false }
            for l in 0..<L {
                let n = c.sizes[l + 1], nIn = c.sizes[l], th = theta[l].p, r = net.delivered[l].p, G = grad[l].p
                let g = (c1 - c0) / delta / Float(T) / gamma(n)
                var rows = 0
                for j in 0..<nIn where r[j] != 0 {
                    let row = G + j * n, a = g * r[j]
                    for i in 0..<n { row[i] += a * th[i] }
                    rows += 1
                }
                net.counts.add(.plasticity, flops: 2 * rows * n + rows, bytes: 8 * rows * n)
            }
            return (c0, correct)
        }
        for l in 0..<L {
            let N = net.weights[l].count, th = theta[l].p, W = net.weights[l].p, P = perturbed[l].p
            let delta = params.wpNorm / Float(N).squareRoot()
            let key = base.with(l)
            if rule == .fwd_grad {
                for k in 0..<N { th[k] = Float(key.gaussian(k)) }
                net.counts.prngDraws &+= UInt64(2 * N)
            } else {
                for k in 0..<N { th[k] = key.draw(k) >> 63 == 1 ? 1 : -1 }
                net.counts.prngDraws &+= UInt64(N)
            }
            for k in 0..<N { P[k] = W[k] + delta * th[k] }
            net.counts.add(.noise, flops: 2 * N, bytes: 8 * N)
            net.swapWeights(l, &perturbed[l])
        }
        let (c1, _) = cost(x, label: y, coordinate: coordinate, e: e.p)
        for l in 0..<L { net.swapWeights(l, &perturbed[l]) }
        for l in 0..<L {
            let N = net.weights[l].count, th = theta[l].p, G = grad[l].p
            let delta = params.wpNorm / Float(N).squareRoot()
            let g = (c1 - c0) / delta / gamma(N)
            for k in 0..<N { G[k] += g * th[k] }
            net.counts.add(.plasticity, flops: 2 * N, bytes: 12 * N)
        }
        return (c0, correct)
    }
}
