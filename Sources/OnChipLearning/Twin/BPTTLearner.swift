import ChipModel

/// Surrogate-gradient backpropagation through time over the T steps of one sample (the
/// off-chip BP baseline). Forward as TwinNetwork; the forward values h_l[t], s_l[t] and the
/// delivered inputs are recorded, then adjoints run backward (g_x = dL/dx):
///   g_v[t] = cv g_h[t+1]
///   hidden:  g_s[t] = W_{l+1}^T g_I^{l+1}[t+1]  (- theta g_v[t] soft / - h[t] g_v[t] hard,
///                                                 unless the reset is detached)
///            g_h[t] = psi(h[t] - theta) g_s[t] + g_v[t] (soft) or g_v[t] (1 - s[t]) (hard)
///   readout: g_h[t] = e[t] + g_v[t]
///   g_u[t] = g_h[t] + cu g_u[t+1];  g_I[t] = g_u[t];  dL/dW_l += g_I^l[t] (x) s_{l-1}[t-1]
/// In relaxed mode psi is the exact derivative of the relaxed spike function, so the result
/// is the exact gradient of the relaxed network (checked against finite differences).
public final class BPTTLearner {
    public var params: RuleParams
    public let net: TwinNetwork
    let hRec: [FloatBuffer], sRec: [FloatBuffer], eRec: FloatBuffer
    let inRec: [IndexList]
    let gH: [FloatBuffer], gU: [FloatBuffer], gI: [FloatBuffer], gINew: [FloatBuffer]
    let back: FloatBuffer
    // Input-layer gradient by spike pattern (see `inputGradient`).
    let gI0Rec: FloatBuffer, patternSums: FloatBuffer
    let patterns: UnsafeMutablePointer<UInt32>
    let tableKeys: UnsafeMutablePointer<UInt32>, tableVals: UnsafeMutablePointer<Int32>
    let tableSize: Int

    public init(params: RuleParams, net: TwinNetwork) {
        self.params = params; self.net = net
        let c = net.config, T = c.steps
        hRec = (0..<c.layerCount).map { FloatBuffer(count: T * c.sizes[$0 + 1]) }
        sRec = (0..<c.layerCount).map { FloatBuffer(count: T * c.sizes[$0 + 1]) }
        eRec = FloatBuffer(count: T * c.sizes.last!)
        inRec = (0..<T).map { _ in IndexList(capacity: c.sizes[0]) }
        gH = (0..<c.layerCount).map { FloatBuffer(count: c.sizes[$0 + 1]) }
        gU = (0..<c.layerCount).map { FloatBuffer(count: c.sizes[$0 + 1]) }
        gI = (0..<c.layerCount).map { FloatBuffer(count: c.sizes[$0 + 1]) }
        gINew = (0..<c.layerCount).map { FloatBuffer(count: c.sizes[$0 + 1]) }
        back = FloatBuffer(count: c.sizes.max()!)
        let n0 = c.sizes[0], h0 = c.sizes[1]
        gI0Rec = FloatBuffer(count: T * h0)
        patternSums = FloatBuffer(count: T <= 32 ? n0 * h0 : 1)
        patterns = .allocate(capacity: n0)
        var size = 16
        while size < 2 * n0 { size *= 2 }
        tableSize = size
        tableKeys = .allocate(capacity: size); tableKeys.initialize(repeating: 0, count: size)
        tableVals = .allocate(capacity: size)
    }
    deinit { patterns.deallocate(); tableKeys.deallocate(); tableVals.deallocate() }

    /// Forward + backward for one sample; adds dL/dW to `grad`. Returns (L, correct).
    @discardableResult
    public func accumulate(_ x: UnsafePointer<Float>, label y: Int, coordinate: UInt64,
                           into grad: [FloatBuffer]) -> (loss: Float, correct: Bool) {
        let c = net.config, L = c.layerCount, T = c.steps, m = c.sizes.last!
        net.resetState()
        net.loadSample(x, coordinate: coordinate)
        var total: Float = 0
        for t in 0..<T {
            inRec[t].copy(from: net.inputPrev)    // delivered to layer 0 at step t
            net.step(t)
            for l in 0..<L {
                let n = c.sizes[l + 1]
                (hRec[l].p + t * n).update(from: net.pre[l].p, count: n)
                (sRec[l].p + t * n).update(from: net.out[l].p, count: n)
            }
            total += stepLoss(net.out[L - 1].p, m, label: y, ce: c.ceWeight, mse: c.mseWeight,
                              grad: eRec.p + t * m, scale: 1 / Float(T), counts: &net.counts)
        }
        let correct = argmax(net.outSum.p, m) == y
        backward(into: grad)
        return (total / Float(T), correct)
    }

    func backward(into grad: [FloatBuffer]) {
        let c = net.config, L = c.layerCount, T = c.steps
        let theta = c.threshold, soft = c.reset == .soft, sg = c.surrogate
        let detach = params.detachReset
        for l in 0..<L { gH[l].zero(); gU[l].zero(); gI[l].zero() }
        var t = T - 1
        while t >= 0 {
            for l in 0..<L {   // bottom-up: layer l reads g_I^{l+1}[t+1] before it is replaced
                let n = c.sizes[l + 1], cu = c.currentFactor(l), cv = c.voltageFactor(l)
                let h = hRec[l].p + t * n, s = sRec[l].p + t * n
                let gh = gH[l].p, gu = gU[l].p, gi = gINew[l].p
                if c.isReadout(l) {
                    let e = eRec.p + t * n
                    for i in 0..<n {
                        let hv = e[i] + cv * gh[i]
                        gh[i] = hv
                        gu[i] = hv + cu * gu[i]
                        gi[i] = gu[i]
                    }
                    net.counts.add(.backward, flops: 5 * n)
                } else {
                    let nNext = c.sizes[l + 2], W = net.weights[l + 1].p, gn = gI[l + 1].p
                    let b = back.p
                    for j in 0..<n {
                        let row = W + j * nNext
                        var acc: Float = 0
                        for i in 0..<nNext { acc += row[i] * gn[i] }
                        b[j] = acc
                    }
                    net.counts.add(.feedback, flops: 2 * n * nNext, bytes: 4 * n * nNext)
                    for i in 0..<n {
                        let gv = cv * gh[i]
                        var gs = b[i]
                        if !detach { gs -= (soft ? theta : h[i]) * gv }
                        let hv = gs * sg.psi(h[i] - theta) + (soft ? gv : gv * (1 - s[i]))
                        gh[i] = hv
                        gu[i] = hv + cu * gu[i]
                        gi[i] = gu[i]
                    }
                    net.counts.add(.backward, flops: 12 * n)
                }
                // dW_l += g_I^l[t] (x) s_{l-1}[t-1]
                let G = grad[l].p
                var rows = 0
                if l == 0 && T <= 32 {
                    (gI0Rec.p + t * n).update(from: gi, count: n)
                } else if l == 0 {
                    let list = inRec[t]
                    for q in 0..<list.count {
                        let row = G + Int(list.p[q]) * n
                        for i in 0..<n { row[i] += gi[i] }
                    }
                    rows = list.count
                    net.counts.add(.plasticity, flops: rows * n, bytes: 8 * rows * n)
                } else if t >= 1 {
                    let nIn = c.sizes[l], sp = sRec[l - 1].p + (t - 1) * nIn
                    for j in 0..<nIn where sp[j] != 0 {
                        let row = G + j * n, a = sp[j]
                        for i in 0..<n { row[i] += a * gi[i] }
                        rows += 1
                    }
                    net.counts.add(.plasticity, flops: 2 * rows * n, bytes: 8 * rows * n)
                }
            }
            for l in 0..<L { gI[l].copy(from: gINew[l]) }
            t -= 1
        }
        if T <= 32 { inputGradient(into: grad[0]) }
    }

    /// dL/dW_0[j] = sum over the steps t at which input j was delivered of g_I[t]. Inputs
    /// with the same delivery pattern (bit t = delivered at t; e.g. every bright pixel spikes
    /// at every step) share one partial sum, so each gradient row is read and written once
    /// per sample instead of once per spike. Same value as the per-spike sum up to float
    /// association.
    func inputGradient(into G0: FloatBuffer) {
        let c = net.config, T = c.steps, nIn = c.sizes[0], n = c.sizes[1]
        patterns.update(repeating: 0, count: nIn)
        for t in 0..<T {
            let list = inRec[t]
            for q in 0..<list.count { patterns[Int(list.p[q])] |= 1 << UInt32(t) }
        }
        let G = G0.p, sums = patternSums.p, g = gI0Rec.p
        let mask = tableSize - 1
        var distinct = 0, spikeAdds = 0, rows = 0
        for j in 0..<nIn {
            let pat = patterns[j]
            if pat == 0 { continue }
            var h = Int(truncatingIfNeeded: SplitMix.mix(UInt64(pat))) & mask
            while tableKeys[h] != 0 && tableKeys[h] != pat { h = (h + 1) & mask }
            let idx: Int
            if tableKeys[h] == 0 {
                tableKeys[h] = pat; tableVals[h] = Int32(distinct); idx = distinct; distinct += 1
                let sum = sums + idx * n
                sum.update(repeating: 0, count: n)
                var bits = pat
                while bits != 0 {
                    let t = bits.trailingZeroBitCount
                    let gt = g + t * n
                    for i in 0..<n { sum[i] += gt[i] }
                    spikeAdds += 1
                    bits &= bits - 1
                }
            } else { idx = Int(tableVals[h]) }
            let row = G + j * n, sum = sums + idx * n
            for i in 0..<n { row[i] += sum[i] }
            rows += 1
        }
        tableKeys.update(repeating: 0, count: tableSize)
        net.counts.add(.plasticity, flops: (spikeAdds + rows) * n, bytes: 8 * rows * n)
    }
}
