import ChipModel

/// Surrogate-gradient BPTT through the shaped twin (conv, pooling, oneToOne, flatten, dense and
/// recurrent connections). The adjoints are BPTTLearner's, with the transposed connection maps
/// of TwinConnection.run in place of W^T and the recurrent term added (g_x = dL/dx):
///   g_v[t] = cv g_h[t+1]
///   hidden:  g_s[t] = A_{l+1}^T g_I^{l+1}[t+1] + R_l^T g_I^l[t+1]
///                     (- theta g_v[t] soft / - h[t] g_v[t] hard, unless the reset is detached)
///            g_h[t] = psi(h[t] - theta) g_s[t] + g_v[t] (soft) or g_v[t] (1 - s[t]) (hard)
///   readout: g_h[t] = e[t] + g_v[t]
///   g_u[t] = g_h[t] + cu g_u[t+1];  g_I[t] = g_u[t]
///   dL/dA_l += g_I^l[t] (x) s_{l-1}[t-1]  (through the connection's weight sharing)
///   dL/dR_l += g_I^l[t] (x) s_l[t-1]
/// Fixed-weight pools get a gradient like any connection; the caller does not apply it.
/// In relaxed mode psi is the derivative of the relaxed spike function, so the result is the
/// exact gradient of the relaxed network (TwinShapedTests checks it against finite differences).
public final class ShapedBPTT {
    public var params: RuleParams
    public let net: ShapedTwinNetwork
    let eRec: FloatBuffer
    let gH: [FloatBuffer], gU: [FloatBuffer], gI: [FloatBuffer], gINew: [FloatBuffer], back: [FloatBuffer]

    public init(params: RuleParams, net: ShapedTwinNetwork) {
        self.params = params; self.net = net
        let c = net.topology.base, post = Array(c.sizes.dropFirst())
        eRec = FloatBuffer(count: c.steps * c.sizes.last!)
        gH = post.map { FloatBuffer(count: $0) }; gU = post.map { FloatBuffer(count: $0) }
        gI = post.map { FloatBuffer(count: $0) }; gINew = post.map { FloatBuffer(count: $0) }
        back = post.map { FloatBuffer(count: $0) }
    }

    /// Forward + backward for one sample; adds dL/dparams to `grad` (net.params order).
    @discardableResult
    public func accumulate(_ x: UnsafePointer<Float>, label y: Int, coordinate: UInt64,
                           into grad: [FloatBuffer]) -> (loss: Float, correct: Bool) {
        let c = net.topology.base, L = net.topology.layerCount, T = c.steps, m = c.sizes.last!
        net.resetState()
        net.loadSample(x, coordinate: coordinate)
        net.recording = true
        defer { net.recording = false }
        var total: Float = 0
        for t in 0..<T {
            net.step(t)
            total += stepLoss(net.out[L - 1].p, m, label: y, ce: c.ceWeight, mse: c.mseWeight,
                              grad: eRec.p + t * m, scale: 1 / Float(T), counts: &net.counts)
        }
        let correct = argmax(net.outSum.p, m) == y
        backward(into: grad)
        return (total / Float(T), correct)
    }

    func backward(into grad: [FloatBuffer]) {
        let topo = net.topology, c = topo.base, L = topo.layerCount, T = c.steps
        let soft = c.reset == .soft, sg = c.surrogate, detach = params.detachReset
        for l in 0..<L { gH[l].zero(); gU[l].zero(); gI[l].zero() }
        var t = T - 1
        while t >= 0 {
            for l in 0..<L {   // gI holds g_I[t+1] of every layer until the swap below
                let n = c.sizes[l + 1], cu = topo.currentFactors[l], cv = topo.voltageFactors[l]
                let h = net.hRec[l].p + t * n, s = net.sRec[l].p + t * n
                let gh = gH[l].p, gu = gU[l].p, gi = gINew[l].p
                if topo.isReadout(l) {
                    let e = eRec.p + t * n
                    for i in 0..<n {
                        let hv = e[i] + cv * gh[i]
                        gh[i] = hv; gu[i] = hv + cu * gu[i]; gi[i] = gu[i]
                    }
                } else {
                    let b = back[l].p, theta = topo.thresholds[l]
                    b.update(repeating: 0, count: n)
                    let next = topo.forward[l + 1]
                    next.run(.transpose, w: net.params[net.forwardParam[l + 1]].p, pre: b, post: gI[l + 1].p)
                    net.counts.add(.feedback, flops: 2 * next.synapseCount)
                    if net.recurrentParam[l] >= 0 {
                        TwinConnection.dense(pre: n, post: n).run(.transpose, w: net.params[net.recurrentParam[l]].p, pre: b, post: gI[l].p)
                        net.counts.add(.feedback, flops: 2 * n * n)
                    }
                    for i in 0..<n {
                        let gv = cv * gh[i]
                        var gs = b[i]
                        if !detach { gs -= (soft ? theta : h[i]) * gv }
                        let hv = gs * sg.psi(h[i] - theta) + (soft ? gv : gv * (1 - s[i]))
                        gh[i] = hv; gu[i] = hv + cu * gu[i]; gi[i] = gu[i]
                    }
                }
                net.counts.add(.backward, flops: 12 * n)
                if t >= 1 {   // nothing is delivered at t = 0
                    let src = l == 0 ? net.inRec.p + t * c.sizes[0] : net.sRec[l - 1].p + (t - 1) * c.sizes[l]
                    topo.forward[l].run(.accumulate, w: grad[net.forwardParam[l]].p, pre: src, post: gi)
                    net.counts.add(.plasticity, flops: 2 * topo.forward[l].synapseCount)
                    if net.recurrentParam[l] >= 0 {
                        TwinConnection.dense(pre: n, post: n).run(.accumulate, w: grad[net.recurrentParam[l]].p,
                                                                   pre: net.sRec[l].p + (t - 1) * n, post: gi)
                        net.counts.add(.plasticity, flops: 2 * n * n)
                    }
                }
            }
            for l in 0..<L { gI[l].copy(from: gINew[l]) }
            t -= 1
        }
    }
}
