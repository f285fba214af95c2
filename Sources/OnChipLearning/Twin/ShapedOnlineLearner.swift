import ChipModel

/// The online rules (OTTT, OPZO, DFA, readout-only) on the shaped twin: conv, pooling,
/// oneToOne, flatten and recurrent hidden layers. OnlineLearner's estimates with the
/// connection maps of TwinConnection.run in place of dense outer products:
///   readout:  G_{L-1} += e[t] (x) a_{L-2}[t]
///   hidden l (d = L - 1 - l steps upstream, psi, traces and z of step t - d kept in rings):
///     OTTT:  delta_l = psi_l (.) (A_{l+1}^T delta_{l+1})         (delta_{L-1} = e[t])
///     OPZO:  delta_l = psi_l (.) (M_l e[t]);  M_l <- lambda M_l + (1 - lambda) z_l[t-d] o[t]^T (/ alpha)
///     DFA:   delta_l = psi_l (.) (B_l e[t]),  B_l fixed N(0, 1/n_l)
///     G_l += accumulate_{A_l}(delta_l, a_{l-1}[t-d])  (a shared kernel sums the per-position
///            terms delta_i a_j over every synapse (i, j) that uses the weight)
///     G_{R_l} += delta_l (x) r_l[t-d]  (recurrent weights: the OPZO paper's online setting,
///            the recurrent path of the error is not followed: delta_l has no R_l^T term)
/// Traces follow the post layer's linear response, as TwinNetwork's: per presynaptic value x
/// delivered at step t (input spikes of t - 1, the source layer's outputs of t - 1):
/// cu = 0: a = cv a + x; else c = cu c + x, a = cv a + c; r_l is the same filter of layer l's
/// own outputs of t - 1 (what R_l delivers at t).
/// Fixed pools get an estimate like any connection; the caller does not apply it.
public final class ShapedOnlineLearner {
    public let rule: TwinRule
    public var params: RuleParams
    public let net: ShapedTwinNetwork
    /// M_l / B_l ([hidden i][output k]) per hidden layer.
    public let feedback: [FloatBuffer]
    let traceCur: [FloatBuffer], trace: [FloatBuffer], recCur: [FloatBuffer], recTrace: [FloatBuffer]
    let psiRing: [[FloatBuffer]], traceRing: [[FloatBuffer]], recRing: [[FloatBuffer]], zRing: [[FloatBuffer]]
    let delta: [FloatBuffer], e: FloatBuffer

    public init(rule: TwinRule, params: RuleParams, net: ShapedTwinNetwork) {
        precondition([.ottt, .opzo, .dfa, .readout].contains(rule), "the shaped twin runs OTTT, OPZO, DFA and readout-only online")
        self.rule = rule; self.params = params; self.net = net
        let topo = net.topology, c = topo.base, L = topo.layerCount, m = c.sizes.last!
        feedback = (0..<(L - 1)).map { l in
            let n = c.sizes[l + 1], b = FloatBuffer(count: n * m)
            if rule == .dfa || (rule == .opzo && params.randomInitialM) {
                let key = RandomKey(seed: c.seed, stream: .weightInit).with(1000 + l)   // as OnlineLearner
                let sd = 1 / Float(n).squareRoot()
                for k in 0..<(n * m) { b.p[k] = sd * Float(key.gaussian(k)) }
            }
            return b
        }
        let pre = Array(c.sizes.dropLast()), post = Array(c.sizes.dropFirst())
        traceCur = pre.map { FloatBuffer(count: $0) }; trace = pre.map { FloatBuffer(count: $0) }
        recCur = post.map { FloatBuffer(count: $0) }; recTrace = post.map { FloatBuffer(count: $0) }
        func ring(_ l: Int, _ n: Int) -> [FloatBuffer] { (0...(L - 1 - l)).map { _ in FloatBuffer(count: n) } }
        psiRing = (0..<L).map { ring($0, post[$0]) }; zRing = (0..<L).map { ring($0, post[$0]) }
        traceRing = (0..<L).map { ring($0, pre[$0]) }; recRing = (0..<L).map { ring($0, post[$0]) }
        delta = post.map { FloatBuffer(count: $0) }
        e = FloatBuffer(count: m)
    }

    @inline(__always)
    func filter(_ x: UnsafeMutablePointer<Float>, into a: FloatBuffer, current cb: FloatBuffer, cu: Float, cv: Float) {
        let ap = a.p, cp = cb.p
        if cu == 0 { for j in 0..<a.count { ap[j] = cv * ap[j] + x[j] } }
        else { for j in 0..<a.count { cp[j] = cu * cp[j] + x[j]; ap[j] = cv * ap[j] + cp[j] } }
        net.counts.add(.trace, flops: (cu == 0 ? 2 : 4) * a.count)
    }

    /// Runs one training sample, adding its gradient estimate to `grad` (net.params order).
    @discardableResult
    public func accumulate(_ x: UnsafePointer<Float>, label y: Int, coordinate: UInt64,
                           into grad: [FloatBuffer]) -> (loss: Float, correct: Bool) {
        let topo = net.topology, c = topo.base, L = topo.layerCount, T = c.steps, m = c.sizes.last!
        let seed = saltedSeed(c.seed, params.noiseSalt), alpha = params.alpha, sg = c.surrogate
        net.resetState()
        net.loadSample(x, coordinate: coordinate)
        for l in 0..<L { traceCur[l].zero(); trace[l].zero(); recCur[l].zero(); recTrace[l].zero() }
        let noisy = rule == .opzo
        for l in 0..<L { net.noiseOn[l] = noisy && !topo.isReadout(l) }
        defer { for l in 0..<L { net.noiseOn[l] = false } }
        var total: Float = 0
        for t in 0..<T {
            if noisy {
                for l in 0..<(L - 1) {
                    let n = c.sizes[l + 1], zr = zRing[l][t % (L - l)].p, inj = net.noise[l].p
                    fillNoise(zr, n, key: noiseKey(seed: seed, coordinate: coordinate, step: t, layer: l),
                              kind: params.noise, scale: 1, counts: &net.counts)
                    for i in 0..<n { inj[i] = alpha * zr[i] }
                }
            }
            net.step(t)
            for l in 0..<L {
                let cu = topo.currentFactors[l], cv = topo.voltageFactors[l]
                filter(l == 0 ? net.inputPrev.p : net.prevOut[l - 1].p, into: trace[l], current: traceCur[l], cu: cu, cv: cv)
                if net.recurrentParam[l] >= 0 { filter(net.prevOut[l].p, into: recTrace[l], current: recCur[l], cu: cu, cv: cv) }
                if topo.isReadout(l) { continue }
                let slot = t % (L - l), n = c.sizes[l + 1], h = net.pre[l].p, ps = psiRing[l][slot].p, theta = topo.thresholds[l]
                if params.useSurrogate { for i in 0..<n { ps[i] = sg.psi(h[i] - theta) } } else { for i in 0..<n { ps[i] = 1 } }
                traceRing[l][slot].copy(from: trace[l])
                if net.recurrentParam[l] >= 0 { recRing[l][slot].copy(from: recTrace[l]) }
            }
            let o = net.out[L - 1].p
            total += stepLoss(o, m, label: y, ce: c.ceWeight, mse: c.mseWeight, grad: e.p, scale: 1 / Float(T), counts: &net.counts)
            topo.forward[L - 1].run(.accumulate, w: grad[net.forwardParam[L - 1]].p, pre: trace[L - 1].p, post: e.p)
            net.counts.add(.plasticity, flops: 2 * topo.forward[L - 1].synapseCount)
            if rule == .readout { continue }
            var l = L - 2
            while l >= 0 {
                let d = L - 1 - l
                if t - d < 0 { l -= 1; continue }
                let slot = (t - d) % (d + 1), n = c.sizes[l + 1], ps = psiRing[l][slot].p, dl = delta[l].p
                dl.update(repeating: 0, count: n)
                if rule == .ottt {
                    let next = topo.forward[l + 1]
                    next.run(.transpose, w: net.params[net.forwardParam[l + 1]].p, pre: dl, post: l + 1 == L - 1 ? e.p : delta[l + 1].p)
                    net.counts.add(.feedback, flops: 2 * next.synapseCount)
                } else {
                    TwinConnection.dense(pre: n, post: m).run(.transpose, w: feedback[l].p, pre: dl, post: e.p)
                    net.counts.add(.feedback, flops: 2 * n * m)
                    if rule == .opzo {
                        let lam = params.lambda
                        updateMomentumFeedback(feedback[l].p, lambda: lam, gain: (1 - lam) / (params.divideByAlpha ? alpha : 1),
                                               noise: zRing[l][slot].p, output: o, n, m, counts: &net.counts)
                    }
                }
                for i in 0..<n { dl[i] *= ps[i] }
                topo.forward[l].run(.accumulate, w: grad[net.forwardParam[l]].p, pre: traceRing[l][slot].p, post: dl)
                net.counts.add(.plasticity, flops: 2 * topo.forward[l].synapseCount)
                if net.recurrentParam[l] >= 0 {
                    TwinConnection.dense(pre: n, post: n).run(.accumulate, w: grad[net.recurrentParam[l]].p, pre: recRing[l][slot].p, post: dl)
                    net.counts.add(.plasticity, flops: 2 * n * n)
                }
                l -= 1
            }
        }
        return (total / Float(T), argmax(net.outSum.p, m) == y)
    }
}
