import ChipModel

/// The float software twin of the chip network: rate-coded input -> spiking LIF hidden
/// layer(s) -> non-spiking leaky-integrator readout, with the chip's dynamics in float.
///
/// Per step t, per layer l (post size n, pre size m), with the one-step synaptic delay:
///   I[t] = W_l s_{l-1}[t-1]  (+ injected noise, when a rule sets `noise[l]`)
///   u[t] = cu u[t-1] + I[t]                 cu = (4096 - (du + 1)) / 4096
///   h[t] = cv v[t-1] + u[t]                 cv = (4096 - dv) / 4096   (pre-reset membrane)
///   hidden:  s = h > theta (strict, as the chip)  [or relaxed(h - theta) in relaxed mode]
///            v = h - theta s (soft reset) or h (1 - s) (hard reset)
///   readout: o[t] = v[t] = h[t], no spike; prediction = argmax_k sum_t o_k[t].
/// Input: channel c spikes at (sample, step) with probability round(x_c * 65536) / 65536,
/// from RandomKey(seed:, stream: .inputEncoder).with(sample).with(step).bernoulli(c, ...),
/// the chip's input encoder; channels with x_c = 0 are not drawn (they can never spike).
/// Presynaptic traces (enabled for the online rules) follow the post layer's linear
/// response to one delivered spike, so that dh[t]/dW[i,j] = trace_j[t] when resets are
/// ignored:  c_j = cu c_j + s_j[t-1];  a_j = cv a_j + c_j   (with cu = 0: a = cv a + s).
/// Weights are stored transposed, row j = the fan-out of presynaptic neuron j, so an input
/// event adds one contiguous row (event-driven: only rows of spiking inputs are touched;
/// the input layer's drive is delta-coded across steps, see `step`).
public final class TwinNetwork {
    public let config: TwinConfig
    public let layerCount: Int
    /// W_l stored as [pre j][post i] (sizes[l] rows of sizes[l+1]).
    public private(set) var weights: [FloatBuffer]
    public var counts = TwinOpCounts()
    /// Relaxed mode: hidden outputs are relaxed(h - theta) in [0, 1] (differentiable),
    /// used only by the finite-difference check.
    public var relaxed = false
    public var tracing = false
    /// When set for layer l, noise[l][i] is added to I_i of layer l this step.
    public var noiseOn: [Bool]

    // State (per post layer l).
    public let cur: [FloatBuffer], mem: [FloatBuffer], pre: [FloatBuffer], out: [FloatBuffer]
    public let current: [FloatBuffer], noise: [FloatBuffer]
    public let active: [IndexList]
    public let traceCur: [FloatBuffer], trace: [FloatBuffer]
    /// Sum over steps of delivered presynaptic values per layer (rates; node perturbation).
    public let delivered: [FloatBuffer]
    public var accumulateDelivered = false
    public let outSum: FloatBuffer
    let inputNow: IndexList, inputPrev: IndexList
    /// Inputs delivered at the previous step and the last step each input was delivered
    /// (delta-coded input drive).
    let deliveredBefore: IndexList
    let deliveredStamp: UnsafeMutablePointer<Int32>
    let noisyDrive: FloatBuffer
    // Encoder state of the loaded sample.
    let numerators: UnsafeMutablePointer<UInt64>
    let nonzero: IndexList
    var encoderKey = RandomKey(rawValue: 0)

    public init(config: TwinConfig) {
        self.config = config
        layerCount = config.layerCount
        let s = config.sizes
        var w: [FloatBuffer] = []
        for l in 0..<layerCount {
            let fanIn = s[l], fanOut = s[l + 1]
            let scale = (config.isReadout(l) ? config.readoutInitScale : config.hiddenInitScale) / Float(fanIn).squareRoot()
            let key = RandomKey(seed: config.seed, stream: .weightInit).with(l)
            let b = FloatBuffer(count: fanIn * fanOut)
            for k in 0..<(fanIn * fanOut) { b.p[k] = scale * Float(key.gaussian(k)) }
            w.append(b)
        }
        weights = w
        let post = Array(s.dropFirst())
        cur = post.map { FloatBuffer(count: $0) }; mem = post.map { FloatBuffer(count: $0) }
        pre = post.map { FloatBuffer(count: $0) }; out = post.map { FloatBuffer(count: $0) }
        current = post.map { FloatBuffer(count: $0) }; noise = post.map { FloatBuffer(count: $0) }
        active = post.map { IndexList(capacity: $0) }
        traceCur = s.dropLast().map { FloatBuffer(count: $0) }
        trace = s.dropLast().map { FloatBuffer(count: $0) }
        delivered = s.dropLast().map { FloatBuffer(count: $0) }
        outSum = FloatBuffer(count: s.last!)
        inputNow = IndexList(capacity: s[0]); inputPrev = IndexList(capacity: s[0])
        numerators = .allocate(capacity: s[0])
        deliveredBefore = IndexList(capacity: s[0])
        deliveredStamp = .allocate(capacity: s[0])
        deliveredStamp.initialize(repeating: Int32.min, count: s[0])
        noisyDrive = FloatBuffer(count: s.max()!)
        nonzero = IndexList(capacity: s[0])
        noiseOn = Array(repeating: false, count: layerCount)
    }
    deinit { numerators.deallocate(); deliveredStamp.deallocate() }

    public func setWeights(_ l: Int, _ values: [Float]) {
        precondition(values.count == weights[l].count)
        for k in 0..<values.count { weights[l].p[k] = values[k] }
    }
    /// Makes this network read (and write) the same weight buffers as `other` (data-parallel
    /// shards share one set of weights; only the owner's optimiser writes them).
    func shareWeights(with other: TwinNetwork) {
        precondition(other.config == config)
        weights = other.weights
    }

    /// Replaces layer l's weight buffer (perturbative rules swap in perturbed copies).
    public func swapWeights(_ l: Int, _ b: inout FloatBuffer) {
        precondition(b.count == weights[l].count)
        swap(&weights[l], &b)
    }

    /// Clears all neuron state, traces and delays (samples are independent).
    public func resetState() {
        for l in 0..<layerCount {
            cur[l].zero(); mem[l].zero(); pre[l].zero(); out[l].zero(); active[l].clear()
            traceCur[l].zero(); trace[l].zero(); delivered[l].zero(); current[l].zero()
        }
        deliveredBefore.clear()
        deliveredStamp.update(repeating: Int32.min, count: config.sizes[0])
        outSum.zero(); inputNow.clear(); inputPrev.clear()
    }

    /// Loads sample `x` (features values) for encoding; `coordinate` keys the input spikes.
    public func loadSample(_ x: UnsafePointer<Float>, coordinate: UInt64) {
        nonzero.clear()
        for c in 0..<config.sizes[0] {
            let q = UInt64((min(1, max(0, x[c])) * 65536).rounded())
            numerators[c] = q
            if q > 0 { nonzero.append(Int32(c)) }
        }
        encoderKey = RandomKey(seed: config.seed, stream: .inputEncoder).with(coordinate)
    }

    /// Draws the input spikes of step t into `inputNow`.
    @inline(__always)
    func encode(step t: Int) {
        inputNow.clear()
        let k = encoderKey.with(t)
        let nz = nonzero.count
        for q in 0..<nz {
            let c = Int(nonzero.p[q])
            if k.bernoulli(c, numerator: numerators[c], denominator: 65536) { inputNow.append(Int32(c)) }
        }
        counts.add(.encode, flops: nz)
        counts.prngDraws &+= UInt64(nz)
    }

    /// One timestep: encode input of step t, deliver last step's spikes, update all layers.
    public func step(_ t: Int) {
        encode(step: t)
        let theta = config.threshold
        let soft = config.reset == .soft
        var l = layerCount - 1
        while l >= 0 {   // top-down: layer l reads layer l-1's output of the previous step
            let nIn = config.sizes[l], nOut = config.sizes[l + 1]
            let I = current[l].p, W = weights[l].p
            if l > 0 { I.update(repeating: 0, count: nOut) }
            // Delivery (event-driven).
            var events = 0
            let binary = l == 0 || !relaxed
            let tr = trace[l].p, tc = traceCur[l].p
            let cuPost = config.currentFactor(l), cvPost = config.voltageFactor(l)
            if tracing {
                if cuPost == 0 {
                    for j in 0..<nIn { tr[j] *= cvPost }
                    counts.add(.trace, flops: nIn)
                } else {
                    for j in 0..<nIn { tc[j] *= cuPost }
                    counts.add(.trace, flops: nIn)
                }
            }
            let acc = delivered[l].p
            @inline(__always) func deliver(_ j: Int, _ val: Float) {
                let row = W + j * nOut
                if binary { for i in 0..<nOut { I[i] += row[i] } }
                else { for i in 0..<nOut { I[i] += val * row[i] } }
                if tracing { if cuPost == 0 { tr[j] += val } else { tc[j] += val } }
                if accumulateDelivered { acc[j] += val }
                events += 1
            }
            if l == 0 {
                // Delta-coded input drive: I holds W_0 s_in[t-1] across steps and is updated
                // only by the rows of inputs whose delivery changed since the previous step
                // (most bright pixels spike at every step). Equal to the per-step sum up to
                // float association; `synapse` counts the rows actually added/subtracted.
                let stamp = deliveredStamp, tt = Int32(t)
                for q in 0..<inputPrev.count {
                    let j = Int(inputPrev.p[q])
                    if stamp[j] != tt - 1 {
                        let row = W + j * nOut
                        for i in 0..<nOut { I[i] += row[i] }
                        events += 1
                    }
                    stamp[j] = tt
                    if tracing { if cuPost == 0 { tr[j] += 1 } else { tc[j] += 1 } }
                    if accumulateDelivered { acc[j] += 1 }
                }
                for q in 0..<deliveredBefore.count {
                    let j = Int(deliveredBefore.p[q])
                    if stamp[j] != tt {
                        let row = W + j * nOut
                        for i in 0..<nOut { I[i] -= row[i] }
                        events += 1
                    }
                }
                deliveredBefore.copy(from: inputPrev)
                if tracing { counts.add(.trace, flops: inputPrev.count) }
                if accumulateDelivered { counts.add(.trace, flops: inputPrev.count) }
            } else {
                let src = active[l - 1], o = out[l - 1].p
                for q in 0..<src.count { let j = Int(src.p[q]); deliver(j, o[j]) }
            }
            counts.add(.synapse, flops: events * nOut * (binary ? 1 : 2), bytes: events * nOut * 4)
            if tracing {
                if l > 0 { counts.add(.trace, flops: events) }
                if cuPost != 0 { for j in 0..<nIn { tr[j] = cvPost * tr[j] + tc[j] }; counts.add(.trace, flops: 2 * nIn) }
            }
            if accumulateDelivered && l > 0 { counts.add(.trace, flops: events) }
            var drive = UnsafeMutablePointer<Float>(I)
            if noiseOn[l] {   // layer 0's I persists across steps: add noise into a copy
                let z = noise[l].p, d = noisyDrive.p
                for i in 0..<nOut { d[i] = I[i] + z[i] }
                drive = d
                counts.add(.noise, flops: nOut)
            }
            // Neuron update.
            let u = cur[l].p, v = mem[l].p, h = pre[l].p, s = out[l].p
            if config.isReadout(l) {
                let os = outSum.p
                for i in 0..<nOut {
                    u[i] = cuPost * u[i] + drive[i]
                    let hi = cvPost * v[i] + u[i]
                    h[i] = hi; v[i] = hi; s[i] = hi; os[i] += hi
                }
                counts.add(.neuron, flops: 5 * nOut)
            } else {
                let list = active[l]
                list.clear()
                if relaxed {
                    let sg = config.surrogate
                    for i in 0..<nOut {
                        u[i] = cuPost * u[i] + drive[i]
                        let hi = cvPost * v[i] + u[i]
                        h[i] = hi
                        let si = sg.relaxed(hi - theta)
                        s[i] = si
                        v[i] = soft ? hi - theta * si : hi * (1 - si)
                        if si != 0 { list.append(Int32(i)) }
                    }
                    counts.add(.neuron, flops: 9 * nOut)
                } else {
                    for i in 0..<nOut {
                        u[i] = cuPost * u[i] + drive[i]
                        var hi = cvPost * v[i] + u[i]
                        h[i] = hi
                        if hi > theta {
                            s[i] = 1; list.append(Int32(i))
                            hi = soft ? hi - theta : 0
                        } else {
                            s[i] = 0
                        }
                        v[i] = hi
                    }
                    counts.add(.neuron, flops: 5 * nOut + list.count)
                }
            }
            l -= 1
        }
        inputPrev.copy(from: inputNow)
    }

    /// Runs one sample without learning; returns the predicted class.
    public func predict(_ x: UnsafePointer<Float>, coordinate: UInt64) -> Int {
        resetState()
        loadSample(x, coordinate: coordinate)
        for t in 0..<config.steps { step(t) }
        return argmax(outSum.p, config.sizes.last!)
    }

    /// Test accuracy (inputs keyed by sample index), noise and traces off.
    public func evaluate(_ data: FloatDataset) -> Double {
        precondition(data.features == config.sizes[0], "dataset width \(data.features) differs from the twin's input layer \(config.sizes[0])")
        let savedTracing = tracing, savedNoise = noiseOn
        tracing = false; noiseOn = Array(repeating: false, count: layerCount)
        defer { tracing = savedTracing; noiseOn = savedNoise }
        var correct = 0
        data.x.withUnsafeBufferPointer { xp in
            for i in 0..<data.count {
                if predict(xp.baseAddress! + i * data.features, coordinate: UInt64(i)) == Int(data.y[i]) { correct += 1 }
            }
        }
        return Double(correct) / Double(max(1, data.count))
    }
}

@inline(__always)
func argmax(_ p: UnsafePointer<Float>, _ n: Int) -> Int {
    var best = 0
    for k in 1..<max(n, 1) where p[k] > p[best] { best = k }
    return best
}

/// Loss of one step and its gradient e = dl/do (scaled by 1/T by the caller):
/// l = ce * (logsumexp(o) - o_y) + mse * 0.5 * sum_k (o_k - [k == y])^2.
@inline(__always)
func stepLoss(_ o: UnsafePointer<Float>, _ m: Int, label y: Int, ce: Float, mse: Float,
              grad e: UnsafeMutablePointer<Float>, scale: Float, counts: inout TwinOpCounts) -> Float {
    var mx = o[0]
    for k in 1..<m where o[k] > mx { mx = o[k] }
    var z: Float = 0
    for k in 0..<m { let ex = expf(o[k] - mx); e[k] = ex; z += ex }
    let logZ = mx + logf(z)
    var loss = ce * (logZ - o[y])
    for k in 0..<m {
        let t: Float = k == y ? 1 : 0
        let d = o[k] - t
        loss += mse * 0.5 * d * d
        e[k] = scale * (ce * (e[k] / z - t) + mse * d)
    }
    counts.add(.loss, flops: 16 * m + 2)
    return loss
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
