import ChipModel

/// The float twin of a chain with conv2d, pooling, oneToOne, flatten (dense from a shaped
/// layer) and recurrent connections (TwinTopology). Same neuron, reset, readout, loss and
/// input encoder as TwinNetwork; the connections are the plain reference maps of
/// TwinConnection.run. Per step t, per post layer l (every layer reads its sources' outputs
/// of step t - 1, kept in prevOut):
///   I_l[t] = A_l s_{l-1}[t-1]  +  R_l s_l[t-1]   (if recurrent: a spike at t arrives at t+1,
///                                                docs/CONV.md "Recurrent connections")
///   u = cu_l u + I;  h = cv_l v + u;  hidden: s = h > theta_l, v = h - theta_l s (soft) or
///   h (1 - s) (hard);  readout: o = v = h.
/// s_{-1}[t-1] are the input spikes drawn at step t - 1 (none at t = 0), drawn exactly as
/// TwinNetwork draws them. With a dense chain the result equals TwinNetwork's up to float
/// association (TwinShapedTests.denseChainEqualsTwinNetwork).
/// When `recording`, h_l[t] and s_l[t] of every step and the delivered input are kept for
/// BPTT (ShapedBPTT).
public final class ShapedTwinNetwork {
    public let topology: TwinTopology
    /// Parameter tensors in topology.parameters order.
    public let params: [FloatBuffer]
    /// Index into params of forward[l]'s weights and of R_l (or -1).
    public let forwardParam: [Int], recurrentParam: [Int]
    public var relaxed = false
    /// When set for layer l, noise[l][i] is added to I_i of layer l this step (OPZO, ZO_sp).
    public var noiseOn: [Bool]
    public let noise: [FloatBuffer]
    public var counts = TwinOpCounts()

    public let cur: [FloatBuffer], mem: [FloatBuffer], pre: [FloatBuffer], out: [FloatBuffer]
    let drive: [FloatBuffer], prevOut: [FloatBuffer]
    public let outSum: FloatBuffer
    let inputNow: FloatBuffer, inputPrev: FloatBuffer
    var nonzero: [Int] = []
    var encoderKey = RandomKey(rawValue: 0)
    var recording = false
    /// Recorded per layer: T x n of h and s; inputs delivered at each step (T x n0).
    let hRec: [FloatBuffer], sRec: [FloatBuffer], inRec: FloatBuffer

    public init(topology: TwinTopology) {
        self.topology = topology
        let c = topology.base, L = topology.layerCount, T = c.steps
        var ps: [FloatBuffer] = [], fp: [Int] = [], rp: [Int] = []
        for l in 0..<L {
            let f = topology.forward[l]
            let b = FloatBuffer(count: f.weightCount)
            if case let .shaped(_, fixed?) = f {
                for k in 0..<b.count { b.p[k] = fixed }
            } else {
                // As TwinNetwork: N(0, (scale / sqrt(fan_in))^2), key weightInit.with(l).
                let scale = (topology.isReadout(l) ? c.readoutInitScale : c.hiddenInitScale) / Float(f.fanIn).squareRoot()
                let key = RandomKey(seed: c.seed, stream: .weightInit).with(l)
                for k in 0..<b.count { b.p[k] = scale * Float(key.gaussian(k)) }
            }
            fp.append(ps.count); ps.append(b)
            if topology.recurrent[l] {
                let n = c.sizes[l + 1]
                let r = FloatBuffer(count: n * n)
                let scale = topology.recurrentInitScale / Float(n).squareRoot()
                let key = RandomKey(seed: c.seed, stream: .weightInit).with(L + l)   // distinct from every forward layer's key
                for k in 0..<r.count { r.p[k] = scale * Float(key.gaussian(k)) }
                rp.append(ps.count); ps.append(r)
            } else { rp.append(-1) }
        }
        params = ps; forwardParam = fp; recurrentParam = rp
        let post = Array(c.sizes.dropFirst())
        cur = post.map { FloatBuffer(count: $0) }; mem = post.map { FloatBuffer(count: $0) }
        pre = post.map { FloatBuffer(count: $0) }; out = post.map { FloatBuffer(count: $0) }
        noise = post.map { FloatBuffer(count: $0) }; noiseOn = Array(repeating: false, count: L)
        drive = post.map { FloatBuffer(count: $0) }; prevOut = post.map { FloatBuffer(count: $0) }
        outSum = FloatBuffer(count: c.sizes.last!)
        inputNow = FloatBuffer(count: c.sizes[0]); inputPrev = FloatBuffer(count: c.sizes[0])
        hRec = post.map { FloatBuffer(count: T * $0) }; sRec = post.map { FloatBuffer(count: T * $0) }
        inRec = FloatBuffer(count: T * c.sizes[0])
    }

    public func resetState() {
        for l in 0..<topology.layerCount {
            cur[l].zero(); mem[l].zero(); pre[l].zero(); out[l].zero(); prevOut[l].zero()
        }
        outSum.zero(); inputNow.zero(); inputPrev.zero()
    }

    /// Same quantisation and stream as TwinNetwork.loadSample / encode.
    public func loadSample(_ x: UnsafePointer<Float>, coordinate: UInt64) {
        let n0 = topology.base.sizes[0]
        var num = [UInt64](repeating: 0, count: n0)
        nonzero.removeAll(keepingCapacity: true)
        for c in 0..<n0 {
            let q = UInt64((min(1, max(0, x[c])) * 65536).rounded())
            num[c] = q
            if q > 0 { nonzero.append(c) }
        }
        numeratorsStore = num
        encoderKey = RandomKey(seed: topology.base.seed, stream: .inputEncoder).with(coordinate)
    }
    var numeratorsStore: [UInt64] = []

    public func step(_ t: Int) {
        let c = topology.base, L = topology.layerCount
        // Input spikes of step t; those of t - 1 are delivered now.
        inputPrev.copy(from: inputNow)
        inputNow.zero()
        let k = encoderKey.with(t)
        for ch in nonzero where k.bernoulli(ch, numerator: numeratorsStore[ch], denominator: 65536) { inputNow.p[ch] = 1 }
        counts.add(.encode, flops: nonzero.count)
        counts.prngDraws &+= UInt64(nonzero.count)
        if recording { (inRec.p + t * c.sizes[0]).update(from: inputPrev.p, count: c.sizes[0]) }
        for l in 0..<L { prevOut[l].copy(from: out[l]) }
        for l in 0..<L {
            let n = c.sizes[l + 1], I = drive[l].p
            I.update(repeating: 0, count: n)
            let src = l == 0 ? inputPrev.p : prevOut[l - 1].p
            topology.forward[l].run(.apply, w: params[forwardParam[l]].p, pre: src, post: I)
            counts.add(.synapse, flops: 2 * topology.forward[l].synapseCount)
            if recurrentParam[l] >= 0 {
                TwinConnection.dense(pre: n, post: n).run(.apply, w: params[recurrentParam[l]].p, pre: prevOut[l].p, post: I)
                counts.add(.synapse, flops: 2 * n * n)
            }
            if noiseOn[l] { let z = noise[l].p; for i in 0..<n { I[i] += z[i] }; counts.add(.noise, flops: n) }
            let cu = topology.currentFactors[l], cv = topology.voltageFactors[l], theta = topology.thresholds[l]
            let u = cur[l].p, v = mem[l].p, h = pre[l].p, s = out[l].p
            if topology.isReadout(l) {
                let os = outSum.p
                for i in 0..<n {
                    u[i] = cu * u[i] + I[i]
                    let hi = cv * v[i] + u[i]
                    h[i] = hi; v[i] = hi; s[i] = hi; os[i] += hi
                }
            } else {
                let soft = c.reset == .soft, sg = c.surrogate
                for i in 0..<n {
                    u[i] = cu * u[i] + I[i]
                    let hi = cv * v[i] + u[i]
                    h[i] = hi
                    let si: Float = relaxed ? sg.relaxed(hi - theta) : (hi > theta ? 1 : 0)
                    s[i] = si
                    v[i] = soft ? hi - theta * si : hi * (1 - si)
                }
            }
            counts.add(.neuron, flops: 5 * n)
            if recording {
                (hRec[l].p + t * n).update(from: h, count: n)
                (sRec[l].p + t * n).update(from: s, count: n)
            }
        }
    }

    /// Runs one sample without learning; returns the predicted class.
    public func predict(_ x: UnsafePointer<Float>, coordinate: UInt64) -> Int {
        resetState()
        loadSample(x, coordinate: coordinate)
        for t in 0..<topology.base.steps { step(t) }
        return argmax(outSum.p, topology.base.sizes.last!)
    }

    /// Test accuracy, inputs keyed by sample index (as TwinNetwork.evaluate).
    public func evaluate(_ data: FloatDataset) -> Double {
        precondition(data.features == topology.base.sizes[0], "dataset width \(data.features) differs from the input layer \(topology.base.sizes[0])")
        let saved = relaxed
        relaxed = false
        defer { relaxed = saved }
        var correct = 0
        data.x.withUnsafeBufferPointer { xp in
            for i in 0..<data.count where predict(xp.baseAddress! + i * data.features, coordinate: UInt64(i)) == Int(data.y[i]) { correct += 1 }
        }
        return Double(correct) / Double(max(1, data.count))
    }

    /// Indices into params of the tensors a learner may change (not the fixed pools).
    public var trainableParams: [Int] {
        topology.parameters.indices.filter { q in
            let l = topology.parameters[q]
            return l.recurrent || topology.forward[l.layer].isTrainable
        }
    }
}
