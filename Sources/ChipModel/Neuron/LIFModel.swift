// Fixed-point current-based LIF neuron ("loihi-cuba"), following Loihi's published CUBA
// LIF arithmetic as implemented bit-accurately by Lava's PyLifModelBitAcc. Per neuron,
// per timestep, in this order:
//
//   1. current:  p  = u * (4096 - (du + 1))                   (exact in Int64)
//                u' = sign(p) * (|p| >> 12)                  (truncation toward zero)
//                u' = wrap24(u' + (a_in << 6))               (24-bit two's complement wrap)
//   2. voltage:  q  = v * (4096 - dv)
//                v' = sign(q) * (|q| >> 12)
//                v' = clip(v' + u' + bias, -(2^23 - 1), 2^23 - 1)   (symmetric saturation)
//                     where bias = bias_mant << bias_exp (arithmetic right shift if bias_exp < 0)
//   3. spike:    s  = v' > (vth << 6)                        (strict: v' == vth << 6 does not spike)
//   4. reset:    hard reset: v' = 0; soft reset: v' = v' - (vth << 6) (OTTT/OPZO style)
//                and the refractory counter is set to `refractory` steps.
//   5. refractory: while the counter is > 0 the current still integrates (step 1) but the
//                voltage is held at its reset value, no spike is emitted, and the counter
//                decrements by one per step.
//
// a_in is the sum over incoming connections c of shift(sum of delivered weights of c, e_c),
// where shift is left for e_c > 0 and arithmetic (floor) right for e_c < 0.
//
// Model "loihi-cuba-readout" runs steps 1-2 only: no threshold, no spike, no reset. It is the
// non-spiking leaky-integrator readout the online learning rules use; its output is v.
//
// One deliberate difference from Lava: Lava's wrap of u leaves exactly +2^23 unwrapped
// (it subtracts 2^24 only above 2^23); a 24-bit register cannot hold +2^23, so here it wraps
// to -2^23 like every other overflow. No other input differs.

/// How the voltage is reset after a spike.
public enum ResetMode: String, Codable, CaseIterable, Sendable {
    /// v = 0 (Loihi / Lava LIF).
    case hard
    /// v = v - (vth << 6) (reset by subtraction, as OTTT and OPZO use).
    case soft
}

/// Parameters of one population (layer slice): immutable during a run.
public struct LIFParameters: Equatable, Sendable {
    /// Current decay, 0...4095 (12-bit). The update uses du + 1.
    public var du: Int
    /// Voltage decay, 0...4095 (12-bit).
    public var dv: Int
    /// Threshold mantissa, 0...(2^17 - 1); the effective threshold is vth << 6.
    public var vth: Int
    /// Bias mantissa (signed 13-bit) and exponent; effective bias = shift(biasMant, biasExp).
    public var biasMant: Int
    public var biasExp: Int
    /// Steps a neuron stays refractory after a spike, 0...63.
    public var refractory: Int
    public var reset: ResetMode
    /// False for the non-spiking readout model (steps 3-5 are skipped).
    public var spiking: Bool

    public init(du: Int, dv: Int, vth: Int, biasMant: Int = 0, biasExp: Int = 0,
                refractory: Int = 0, reset: ResetMode = .hard, spiking: Bool = true) {
        self.du = du; self.dv = dv; self.vth = vth; self.biasMant = biasMant
        self.biasExp = biasExp; self.refractory = refractory; self.reset = reset; self.spiking = spiking
    }
}

/// Constants derived once from the parameters; the hot loop reads only these.
public struct LIFDerived: Sendable {
    public let currentFactor: Int64      // 4096 - (du + 1)
    public let voltageFactor: Int64      // 4096 - dv
    public let threshold: Int64          // vth << 6
    public let bias: Int64               // biasMant shifted by biasExp
    public let refractory: Int32
    public let softReset: Bool
    public let spiking: Bool

    public init(_ p: LIFParameters) {
        spiking = p.spiking
        currentFactor = NeuronWidths.decayUnit - Int64(p.du + 1)
        voltageFactor = NeuronWidths.decayUnit - Int64(p.dv)
        threshold = Int64(p.vth) << NeuronWidths.thresholdShift
        bias = FixedPoint.shift(Int64(p.biasMant), by: p.biasExp)
        refractory = Int32(p.refractory)
        softReset = p.reset == .soft
    }
}

/// Struct-of-arrays state of a population.
public struct LIFState: Equatable, Sendable {
    public var u: ContiguousArray<Int32>
    public var v: ContiguousArray<Int32>
    public var refractoryLeft: ContiguousArray<Int32>

    public init(count: Int) {
        u = ContiguousArray(repeating: 0, count: count)
        v = ContiguousArray(repeating: 0, count: count)
        refractoryLeft = ContiguousArray(repeating: 0, count: count)
    }

    public var count: Int { u.count }

    public mutating func reset() {
        u.zeroFill(); v.zeroFill(); refractoryLeft.zeroFill()
    }
}

extension ContiguousArray where Element: FixedWidthInteger {
    /// Sets every element to 0 in one pass (one uniqueness check, not one per element).
    @inlinable public mutating func zeroFill() {
        withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }
}

/// What one population update did, for the counters.
public struct LIFStepTally: Equatable, Sendable {
    public var active: Int = 0
    public var idle: Int = 0
    public var spikes: Int = 0
    public init() {}
}

public enum LIFModel {
    /// One neuron's update (steps 1-5 above) in scalar form: the reference for tests and
    /// the body of the vector loop. `aIn` is the already-exponent-shifted dendritic sum.
    @inlinable @inline(__always)
    public static func update(u: inout Int32, v: inout Int32, refractoryLeft: inout Int32,
                              aIn: Int64, _ d: LIFDerived) -> Bool {
        var ignored: Int32 = 0
        return update(u: &u, v: &v, refractoryLeft: &refractoryLeft, aIn: aIn, d, preResetV: &ignored)
    }

    /// As above; `preResetV` receives v' before the reset (what a surrogate derivative reads).
    @inlinable @inline(__always)
    public static func update(u: inout Int32, v: inout Int32, refractoryLeft: inout Int32,
                              aIn: Int64, _ d: LIFDerived, preResetV: inout Int32) -> Bool {
        let uDecayed = FixedPoint.decay(Int64(u), by: NeuronWidths.decayUnit - d.currentFactor)
        let u1 = FixedPoint.wrap(uDecayed + (aIn << NeuronWidths.activationShift), bits: NeuronWidths.current)
        u = Int32(truncatingIfNeeded: u1)
        if refractoryLeft > 0 {
            refractoryLeft -= 1
            preResetV = v
            return false
        }
        let vDecayed = FixedPoint.decay(Int64(v), by: NeuronWidths.decayUnit - d.voltageFactor)
        var v1 = FixedPoint.saturateSymmetric(vDecayed + u1 + d.bias, bits: NeuronWidths.voltage)
        let fired = d.spiking && v1 > d.threshold
        preResetV = Int32(truncatingIfNeeded: v1)
        if fired {
            v1 = d.softReset ? v1 - d.threshold : 0
            refractoryLeft = d.refractory
        }
        v = Int32(truncatingIfNeeded: v1)
        return fired
    }

    /// Updates neurons [0, count) of `state` with dendritic input `aIn` (already shifted by
    /// the weight exponents), appends the indices of spiking neurons (plus `indexOffset`) to
    /// `spikes`, and returns the tally. A neuron is idle when u, v and its input are all zero,
    /// it is not refractory, and the bias is zero: its update cannot change anything (the
    /// arithmetic below leaves it at zero), so idle only matters for the counters.
    ///
    /// Same results as `update` per neuron (tests hold them equal), written without branches
    /// on the data: spikes are 10-15 % of neurons at random, so a branch per neuron mispredicts
    /// often. Truncation toward zero is (p + ((p >> 63) & 4095)) >> 12; the refractory and
    /// reset cases are selects. Spike indices are written through a pointer into `spikes`,
    /// grown once by n and trimmed after (no per-spike append).
    @inlinable
    public static func step(state: inout LIFState, aIn: UnsafePointer<Int64>, derived d: LIFDerived,
                            spikes: inout ContiguousArray<Int32>, indexOffset: Int32 = 0,
                            preResetV: UnsafeMutablePointer<Int32>? = nil) -> LIFStepTally {
        let n = state.count
        let first = spikes.count
        spikes.append(contentsOf: repeatElement(0, count: n))
        func run(_ pre: UnsafeMutablePointer<Int32>, stride: Int) -> (fired: Int, idle: Int) {
            state.u.withUnsafeMutableBufferPointer { up in
                state.v.withUnsafeMutableBufferPointer { vp in
                    state.refractoryLeft.withUnsafeMutableBufferPointer { rp in
                        spikes.withUnsafeMutableBufferPointer { sp in
                            stepKernel(count: n, u: up.baseAddress!, v: vp.baseAddress!, refractoryLeft: rp.baseAddress!,
                                       aIn: aIn, derived: d, spikesOut: sp.baseAddress! + first, indexOffset: indexOffset,
                                       preResetV: pre, preStride: stride)
                        }
                    }
                }
            }
        }
        // Without a preResetV buffer the values go to one scratch slot (stride 0): one loop, no branch.
        let (fired, idle) = preResetV.map { run($0, stride: 1) }
            ?? withUnsafeTemporaryAllocation(of: Int32.self, capacity: 1) { run($0.baseAddress!, stride: 0) }
        spikes.removeLast(n - fired)
        var tally = LIFStepTally()
        tally.idle = idle
        tally.active = n - idle
        tally.spikes = fired
        return tally
    }

    /// The loop of `step` on raw pointers, every value in a local (no captured state, so
    /// the spike and idle counters stay in registers). Returns (spikes written, idle count).
    @inlinable
    static func stepKernel(count n: Int, u up: UnsafeMutablePointer<Int32>, v vp: UnsafeMutablePointer<Int32>,
                           refractoryLeft rp: UnsafeMutablePointer<Int32>, aIn: UnsafePointer<Int64>,
                           derived d: LIFDerived, spikesOut out: UnsafeMutablePointer<Int32>, indexOffset: Int32,
                           preResetV pre: UnsafeMutablePointer<Int32>, preStride: Int) -> (fired: Int, idle: Int) {
        var fired = 0, idle = 0
        let cf = d.currentFactor, vf = d.voltageFactor, th = d.threshold, bias = d.bias
        let spiking = d.spiking, soft = d.softReset, refractory = d.refractory
        let biasZero = bias == 0
        let roundBias = (Int64(1) << NeuronWidths.decayShift) - 1
        let vMax = FixedPoint.signedMax(bits: NeuronWidths.voltage)
        let uShift = Int64(64 - NeuronWidths.current)
        for i in 0..<n {
            let a = aIn[i], u0 = Int64(up[i]), v0 = Int64(vp[i]), r0 = rp[i]
            idle &+= (u0 | v0 | a | Int64(r0)) == 0 && biasZero ? 1 : 0
            let pu = u0 &* cf
            let uDecayed = (pu &+ ((pu &>> 63) & roundBias)) &>> NeuronWidths.decayShift
            let u1 = ((uDecayed &+ (a &<< NeuronWidths.activationShift)) &<< uShift) &>> uShift
            up[i] = Int32(truncatingIfNeeded: u1)
            let pv = v0 &* vf
            let vDecayed = (pv &+ ((pv &>> 63) & roundBias)) &>> NeuronWidths.decayShift
            let v1 = Swift.min(Swift.max(vDecayed &+ u1 &+ bias, -vMax), vMax)
            let refractoryNow = r0 > 0
            let spike = spiking && !refractoryNow && v1 > th
            let reset = soft ? v1 &- th : 0
            vp[i] = Int32(truncatingIfNeeded: refractoryNow ? v0 : (spike ? reset : v1))
            rp[i] = refractoryNow ? r0 &- 1 : (spike ? refractory : r0)
            pre[i &* preStride] = Int32(truncatingIfNeeded: refractoryNow ? v0 : v1)
            out[fired] = Int32(truncatingIfNeeded: i) &+ indexOffset
            fired &+= spike ? 1 : 0
        }
        return (fired, idle)
    }
}
