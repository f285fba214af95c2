import ChipModel

/// Gradient estimates of the online rules (OTTT, OPZO, DFA, readout-only, ZO_sp) for one
/// sample, accumulated into `grad` (same layout as the weights; dL/dW estimates, L = (1/T)
/// sum_t l[t]). No storage of the past beyond the synaptic delay, no pass through time.
///
/// At step t the readout error e[t] = dl[t]/do[t] / T is known. Readout: G_L += e[t] (x)
/// a_{L-1}[t] (trace of the hidden spikes delivered to the readout). Hidden layer l is
/// d = delayToReadout(l) steps upstream: its spikes of step t - d reach the readout at t, so
/// e[t] is paired with layer l's psi and presynaptic trace of step t - d (kept in a ring of
/// d + 1 steps) and with the noise z_l[t - d] (kept in a ring; the chip regenerates it):
///   OTTT:  delta_l = psi_l (.) (W_{l+1}^T delta_{l+1})       (delta_L = e[t])
///   OPZO:  delta_l = psi_l (.) (M_l e[t]);  M_l <- lambda M_l + (1 - lambda) z_l[t-d] o~[t]^T (/ alpha)
///   DFA:   delta_l = psi_l (.) (B_l e[t]),  B_l fixed N(0, 1/n_l)
///   ZO_sp: delta_l = psi_l (.) ((l[t] - b) z_l[t-d] / alpha);  b <- beta b + (1 - beta) l[t]
///   G_l += delta_l (x) a_{l-1}[t - d]
public final class OnlineLearner {
    public let rule: TwinRule
    public var params: RuleParams
    public let net: TwinNetwork
    /// Feedback matrices M_l ([hidden i][output k]) for hidden layers (OPZO learned, DFA fixed).
    public let feedback: [FloatBuffer]
    var baseline: Float = 0
    var baselineSet = false
    let psiRing: [[FloatBuffer]], traceRing: [[FloatBuffer]], zRing: [[FloatBuffer]]
    let delta: [FloatBuffer]
    let e: FloatBuffer
    let nzIdx: UnsafeMutablePointer<Int32>, nzVal: UnsafeMutablePointer<Float>

    public init(rule: TwinRule, params: RuleParams, net: TwinNetwork) {
        precondition(rule.isOnline)
        self.rule = rule; self.params = params; self.net = net
        let c = net.config, L = c.layerCount, m = c.sizes.last!
        var fb: [FloatBuffer] = []
        for l in 0..<(L - 1) {
            let n = c.sizes[l + 1]
            let b = FloatBuffer(count: n * m)
            if rule == .dfa || (rule == .opzo && params.randomInitialM) {
                let key = RandomKey(seed: c.seed, stream: .weightInit).with(1000 + l)
                let sd = 1 / Float(n).squareRoot()
                for k in 0..<(n * m) { b.p[k] = sd * Float(key.gaussian(k)) }
            }
            fb.append(b)
        }
        feedback = fb
        psiRing = (0..<(L - 1)).map { l in (0...c.delayToReadout(l)).map { _ in FloatBuffer(count: c.sizes[l + 1]) } }
        zRing = (0..<(L - 1)).map { l in (0...c.delayToReadout(l)).map { _ in FloatBuffer(count: c.sizes[l + 1]) } }
        traceRing = (0..<(L - 1)).map { l in (0...c.delayToReadout(l)).map { _ in FloatBuffer(count: c.sizes[l]) } }
        delta = (0..<L).map { FloatBuffer(count: c.sizes[$0 + 1]) }
        let maxN = c.sizes.max()!
        e = FloatBuffer(count: m)
        nzIdx = .allocate(capacity: maxN); nzVal = .allocate(capacity: maxN)
    }
    deinit { nzIdx.deallocate(); nzVal.deallocate() }

    /// Runs one training sample, adding its gradient estimate to `grad`. Returns the loss
    /// L = (1/T) sum_t l[t] of the (noisy) forward pass and whether the prediction was right.
    @discardableResult
    public func accumulate(_ x: UnsafePointer<Float>, label y: Int, coordinate: UInt64,
                           into grad: [FloatBuffer]) -> (loss: Float, correct: Bool) {
        let c = net.config, L = c.layerCount, T = c.steps, m = c.sizes.last!
        let seed = saltedSeed(c.seed, params.noiseSalt), alpha = params.alpha
        net.resetState()
        net.tracing = true
        net.loadSample(x, coordinate: coordinate)
        let noisy = rule.injectsNoise
        for l in 0..<L { net.noiseOn[l] = noisy && !c.isReadout(l) }
        var total: Float = 0
        let sg = c.surrogate, theta = c.threshold
        for t in 0..<T {
            if noisy {
                // z_l[t] is drawn once and kept for d + 1 steps (the chip would regenerate it
                // from the same key; the values are identical).
                for l in 0..<(L - 1) {
                    let n = c.sizes[l + 1], zr = zRing[l][t % (c.delayToReadout(l) + 1)].p, inj = net.noise[l].p
                    fillNoise(zr, n, key: noiseKey(seed: seed, coordinate: coordinate, step: t, layer: l),
                              kind: params.noise, scale: 1, counts: &net.counts)
                    injectNoise(inj, from: zr, alpha: alpha, n, counts: &net.counts)
                }
            }
            net.step(t)
            // Record psi and the presynaptic trace of this step for hidden layers.
            for l in 0..<(L - 1) {
                let slot = t % (c.delayToReadout(l) + 1)
                let n = c.sizes[l + 1], h = net.pre[l].p, ps = psiRing[l][slot].p
                sg.gate(ps, pre: h, theta: theta, n, enabled: params.useSurrogate, counts: &net.counts)
                traceRing[l][slot].copy(from: net.trace[l])
            }
            // Output error.
            let o = net.out[L - 1].p
            let loss = stepLoss(o, m, label: y, ce: c.ceWeight, mse: c.mseWeight, grad: e.p,
                                scale: 1 / Float(T), counts: &net.counts)
            total += loss
            // Readout.
            outer(grad[L - 1], delta: e.p, m, trace: net.trace[L - 1].p, c.sizes[L - 1], dense: true)
            if rule == .readout { continue }
            var lossCentered: Float = 0
            if rule == .zo_sp {
                lossCentered = centerOnBaseline(loss, baseline: &baseline, isSet: &baselineSet,
                                                decay: params.baselineDecay, counts: &net.counts)
            }
            // Hidden layers, top-down.
            var l = L - 2
            while l >= 0 {
                let d = c.delayToReadout(l), tp = t - d
                if tp < 0 { l -= 1; continue }
                let slot = tp % (d + 1)
                let n = c.sizes[l + 1], ps = psiRing[l][slot].p, dl = delta[l].p
                switch rule {
                case .ottt:
                    // delta_l = psi (.) W_{l+1}^T delta_{l+1}; W_{l+1} stored [j = this layer][i = next]
                    let dn: UnsafeMutablePointer<Float> = l + 1 == L - 1 ? e.p : delta[l + 1].p
                    gatedRowProduct(into: dl, gate: ps, rows: net.weights[l + 1].p, cols: c.sizes[l + 2], vector: dn, n,
                                    counts: &net.counts)
                case .opzo, .dfa:
                    let M = feedback[l].p
                    gatedRowProduct(into: dl, gate: ps, rows: M, cols: m, vector: e.p, n, counts: &net.counts)
                    if rule == .opzo {
                        let lam = params.lambda
                        updateMomentumFeedback(M, lambda: lam, gain: (1 - lam) / (params.divideByAlpha ? alpha : 1),
                                               noise: zRing[l][slot].p, output: o, n, m, counts: &net.counts)
                    }
                case .zo_sp:
                    scaledNoiseError(into: dl, gate: ps, scale: lossCentered / alpha, noise: zRing[l][slot].p, n,
                                     counts: &net.counts)
                default: fatalError("not an online rule")
                }
                outer(grad[l], delta: dl, n, trace: traceRing[l][slot].p, c.sizes[l], dense: false)
                l -= 1
            }
        }
        for l in 0..<L { net.noiseOn[l] = false }
        net.tracing = false
        return (total / Float(T), argmax(net.outSum.p, m) == y)
    }

    /// G[j][i] += a_j * delta_i over nonzero a_j and (sparse mode) nonzero delta_i.
    @inline(__always)
    func outer(_ G: FloatBuffer, delta: UnsafeMutablePointer<Float>, _ nOut: Int,
               trace a: UnsafeMutablePointer<Float>, _ nIn: Int, dense: Bool) {
        let g = G.p
        var nz = 0
        for i in 0..<nOut where delta[i] != 0 { nzIdx[nz] = Int32(i); nzVal[nz] = delta[i]; nz += 1 }
        if nz == 0 { return }
        var rows = 0
        if dense || 2 * nz > nOut {
            for j in 0..<nIn where a[j] != 0 {
                let row = g + j * nOut, aj = a[j]
                for i in 0..<nOut { row[i] += aj * delta[i] }
                rows += 1
            }
            net.counts.add(.plasticity, flops: 2 * rows * nOut, bytes: 8 * rows * nOut)
        } else {
            for j in 0..<nIn where a[j] != 0 {
                let row = g + j * nOut, aj = a[j]
                for q in 0..<nz { row[Int(nzIdx[q])] += aj * nzVal[q] }
                rows += 1
            }
            net.counts.add(.plasticity, flops: 2 * rows * nz, bytes: 8 * rows * nz)
        }
    }
}
