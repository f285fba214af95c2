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
        // Room for n spike flags (compacted in place into the spike list) and, when the caller
        // wants no pre-reset voltages, n scratch slots for them; trimmed below.
        let room = preResetV == nil ? 2 * n : n
        spikes.append(contentsOf: repeatElement(0, count: room))
        let (fired, idle) = state.u.withUnsafeMutableBufferPointer { up in
            state.v.withUnsafeMutableBufferPointer { vp in
                state.refractoryLeft.withUnsafeMutableBufferPointer { rp in
                    spikes.withUnsafeMutableBufferPointer { sp in
                        let out = sp.baseAddress! + first
                        return stepKernel(count: n, u: up.baseAddress!, v: vp.baseAddress!, refractoryLeft: rp.baseAddress!,
                                          aIn: aIn, derived: d, spikesOut: out, indexOffset: indexOffset,
                                          preResetV: preResetV ?? out + n)
                    }
                }
            }
        }
        spikes.removeLast(room - fired)
        var tally = LIFStepTally()
        tally.idle = idle
        tally.active = n - idle
        tally.spikes = fired
        return tally
    }

    /// The loops of `step` on raw pointers. The first updates the neurons four at a time in
    /// 64-bit vector lanes (the same arithmetic as `update`, conditions as lane masks) and
    /// writes a 0/1 spike flag per neuron into `out`; the last n mod 4 neurons go through the
    /// scalar `update`. The second compacts the flags into spike indices in place (index k
    /// is written only after flag k has been read). Returns (spikes written, idle count).
    @inlinable
    static func stepKernel(count n: Int, u up: UnsafeMutablePointer<Int32>, v vp: UnsafeMutablePointer<Int32>,
                           refractoryLeft rp: UnsafeMutablePointer<Int32>, aIn: UnsafePointer<Int64>,
                           derived d: LIFDerived, spikesOut out: UnsafeMutablePointer<Int32>, indexOffset: Int32,
                           preResetV pre: UnsafeMutablePointer<Int32>) -> (fired: Int, idle: Int) {
        typealias V = SIMD4<Int64>
        typealias V32 = SIMD4<Int32>
        var idleLanes = V(repeating: 0)
        // The decay factors (0...4096) as sign-extended 32-bit lanes, so u * cf and v * vf are
        // 32 x 32 -> 64-bit multiplies (one instruction per four lanes with AVX2).
        let cf = V(truncatingIfNeeded: V32(repeating: Int32(truncatingIfNeeded: d.currentFactor)))
        let vf = V(truncatingIfNeeded: V32(repeating: Int32(truncatingIfNeeded: d.voltageFactor)))
        let th = V(repeating: d.threshold), bias = V(repeating: d.bias)
        let roundBias = V(repeating: (Int64(1) << NeuronWidths.decayShift) - 1)
        let vMax = V(repeating: FixedPoint.signedMax(bits: NeuronWidths.voltage))
        let refractory = V(repeating: Int64(d.refractory))
        let zero = V(repeating: 0), one = V(repeating: 1)
        let uShift = Int64(64 - NeuronWidths.current)
        let biasZero = d.bias == 0, spiking = d.spiking, soft = d.softReset
        var i = 0
        while i + 4 <= n {
            let a = UnsafeRawPointer(aIn + i).loadUnaligned(as: V.self)
            let u0 = V(truncatingIfNeeded: UnsafeRawPointer(up + i).loadUnaligned(as: V32.self))
            let v0 = V(truncatingIfNeeded: UnsafeRawPointer(vp + i).loadUnaligned(as: V32.self))
            let r0 = V(truncatingIfNeeded: UnsafeRawPointer(rp + i).loadUnaligned(as: V32.self))
            if biasZero { idleLanes &+= one.replacing(with: zero, where: (u0 | v0 | a | r0) .!= zero) }
            let pu = u0 &* cf
            let uDecayed = (pu &+ ((pu &>> 63) & roundBias)) &>> NeuronWidths.decayShift
            let u1 = ((uDecayed &+ (a &<< NeuronWidths.activationShift)) &<< uShift) &>> uShift
            let pv = v0 &* vf
            let vDecayed = (pv &+ ((pv &>> 63) & roundBias)) &>> NeuronWidths.decayShift
            let v1 = (vDecayed &+ u1 &+ bias).clampedLanes(0 &- vMax, vMax)
            let refractoryNow = r0 .> zero
            var spike = (v1 .> th) .& .!refractoryNow
            if !spiking { spike = .init(repeating: false) }
            let reset = soft ? v1 &- th : zero
            let vNew = v1.replacing(with: reset, where: spike).replacing(with: v0, where: refractoryNow)
            let rNew = r0.replacing(with: refractory, where: spike).replacing(with: r0 &- one, where: refractoryNow)
            UnsafeMutableRawPointer(up + i).storeBytes(of: V32(truncatingIfNeeded: u1), as: V32.self)
            UnsafeMutableRawPointer(vp + i).storeBytes(of: V32(truncatingIfNeeded: vNew), as: V32.self)
            UnsafeMutableRawPointer(rp + i).storeBytes(of: V32(truncatingIfNeeded: rNew), as: V32.self)
            UnsafeMutableRawPointer(pre + i).storeBytes(of: V32(truncatingIfNeeded: v1.replacing(with: v0, where: refractoryNow)), as: V32.self)
            UnsafeMutableRawPointer(out + i).storeBytes(of: V32(truncatingIfNeeded: zero.replacing(with: one, where: spike)), as: V32.self)
            i += 4
        }
        var idle = Int(idleLanes.wrappedSum())
        while i < n {
            if up[i] == 0 && vp[i] == 0 && aIn[i] == 0 && rp[i] == 0 && biasZero { idle += 1 }
            out[i] = update(u: &up[i], v: &vp[i], refractoryLeft: &rp[i], aIn: aIn[i], d, preResetV: &pre[i]) ? 1 : 0
            i += 1
        }
        var fired = 0
        for i in 0..<n {
            let flag = out[i]
            out[fired] = Int32(truncatingIfNeeded: i) &+ indexOffset
            fired &+= Int(flag)
        }
        return (fired, idle)
    }
}
