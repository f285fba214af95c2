// Spike traces (Loihi style): an unsigned `bits`-wide register per axon or neuron that
// decays by a 12-bit constant each step and jumps by an impulse on a spike.
//
// Exact update of one trace x with spike flag s (0/1) at one step:
//
//     p  = x * (4096 - decay)                      exact (x < 2^24, so p < 2^36)
//     x' = floor(p / 4096)                         rounding .floor
//     x' = floor((p + r) / 4096), r = draw >> 52   rounding .stochastic (r uniform in 0...4095:
//                                                  rounds up with probability (p mod 4096)/4096)
//     x' = min(x' + impulse * s, 2^bits - 1)       saturating add of the impulse
//
// The draw is `key.draw(index)` where key is `TraceUnit.key(...)` (stream .stochasticRounding,
// keyed by seed, core, step, population and trace slot) and index is the axon/neuron index.
// A trace with x == 0 and s == 0 stays 0: it is not updated and not counted. Every other
// trace counts one `.traceUpdate`; a stochastic decay of a nonzero x counts one `.prngDraw`.

/// Parameters of one trace slot (x1, x2, y1, y2 or y3) of a population.
public struct TraceParameters: Equatable, Hashable, Sendable {
    /// Width of the unsigned trace register, 1...24 (default 8).
    public var bits: Int
    /// Decay constant, 0...4096 (4096 - decay is the 12-bit retention).
    public var decay: Int32
    /// Value added on a spike, 0...2^bits - 1.
    public var impulse: Int32
    public var rounding: TraceRounding

    public init(bits: Int = LearningWidths.defaultTraceBits, decay: Int32, impulse: Int32,
                rounding: TraceRounding = .stochastic) {
        precondition((1...24).contains(bits), "trace bits must be in 1...24")
        precondition((0...4096).contains(decay), "trace decay must be in 0...4096")
        precondition(impulse >= 0 && Int64(impulse) <= FixedPoint.unsignedMax(bits: bits),
                     "trace impulse must fit the trace width")
        self.bits = bits; self.decay = decay; self.impulse = impulse; self.rounding = rounding
    }

    /// A trace that is never used: decays to nothing, no impulse.
    public static let unused = TraceParameters(decay: 4096, impulse: 0, rounding: .floor)
}

public enum TraceRounding: String, Sendable, CaseIterable {
    case floor
    case stochastic
}

/// Which trace slot a population's trace occupies (part of the PRNG key).
public enum TraceSlot: Int, Sendable, CaseIterable {
    case x1 = 1, x2, y1, y2, y3
}

public enum TraceUnit {
    /// The PRNG key for stochastic decay of one trace slot of one population at one step.
    @inlinable
    public static func key(seed: UInt64, core: Int, step: Int, population: Int, slot: TraceSlot) -> RandomKey {
        RandomKey(seed: seed, stream: .stochasticRounding)
            .with(core).with(step).with(population).with(slot.rawValue)
    }

    /// Updates one trace value (see the file comment). Scalar reference form.
    @inlinable @inline(__always)
    public static func next(_ x: Int32, spike: Bool, parameters p: TraceParameters,
                            key: RandomKey, index: Int) -> Int32 {
        let prod = Int64(x) * (4096 - Int64(p.decay))
        var y: Int64
        switch p.rounding {
        case .floor: y = prod >> 12
        case .stochastic: y = x == 0 ? 0 : (prod + Int64(key.draw(index) >> 52)) >> 12
        }
        if spike { y += Int64(p.impulse) }
        return Int32(FixedPoint.saturateUnsigned(y, bits: p.bits))
    }

    /// Updates every trace of a population in place. `spikes[i] != 0` means axon/neuron i
    /// spiked this step. Counts `.traceUpdate` and `.prngDraw` as documented above.
    @inlinable
    public static func update(_ values: inout ContiguousArray<Int32>, spikes: ContiguousArray<Int32>,
                              parameters p: TraceParameters, key: RandomKey,
                              counts: inout ActionCounts) {
        precondition(values.count == spikes.count, "one spike flag per trace")
        if values.isEmpty { return }
        var updates: UInt64 = 0, draws: UInt64 = 0
        let stochastic = p.rounding == .stochastic
        let retention = 4096 - Int64(p.decay), impulse = Int64(p.impulse)
        let top = Int64(FixedPoint.unsignedMax(bits: p.bits))
        let lanes = SIMD4<UInt64>(0, 1, 2, 3)
        // `next` in four 64-bit lanes; `drawn` counts the lanes that drew (nonzero x).
        var drawn = SIMD4<Int64>.zero
        @inline(__always) func next4(_ x: SIMD4<Int64>, spiked: SIMDMask<SIMD4<Int64>>, indices: SIMD4<UInt64>,
                                     drawn: inout SIMD4<Int64>) -> SIMD4<Int64> {
            var y = x &* retention
            if stochastic {
                let nonzero = x .!= 0
                let r = SIMD4<Int64>(truncatingIfNeeded: key.draw(indices) &>> 52)
                y &+= SIMD4<Int64>.zero.replacing(with: r, where: nonzero)
                drawn &+= SIMD4<Int64>.zero.replacing(with: 1, where: nonzero)
            }
            y = (y &>> 12) &+ SIMD4<Int64>.zero.replacing(with: impulse, where: spiked)
            return y.clamped(lowerBound: .zero, upperBound: SIMD4(repeating: top))
        }
        // Per chunk of 256, without a skip branch per trace (which traces change follows the
        // input image and the spikes, so such a branch mispredicts often): a branch-free count
        // of the traces that change (x != 0 or a spike); if many do, every trace of the chunk
        // is updated in lanes, else a branch-free pass lists the changing ones and only those
        // are updated.
        let chunk = 256
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: chunk) { listBuffer in
            let list = listBuffer.baseAddress!
            values.withUnsafeMutableBufferPointer { xsBuffer in
                spikes.withUnsafeBufferPointer { ssBuffer in
                    // Plain pointers in locals: the list stores could otherwise alias the
                    // buffers' descriptors, and their bases would be reloaded per element.
                    let xs = xsBuffer.baseAddress!, ss = ssBuffer.baseAddress!, count = xsBuffer.count
                    var start = 0
                    while start < count {
                        let end = Swift.min(start + chunk, count)
                        // How many change (a vectorising count), then either every trace of the
                        // chunk in contiguous lanes (when at least a quarter change: an unchanged
                        // trace computes to 0 again, and only changed ones are counted) or a
                        // list of the changed ones.
                        var n = 0
                        for i in start..<end {
                            // 1 when x | s != 0, by arithmetic (a conditional here compiles to a branch).
                            let v = UInt32(bitPattern: xs[i] | ss[i])
                            n &+= Int((v | (0 &- v)) >> 31)
                        }
                        if n == 0 { start = end; continue }
                        if 4 * n >= end - start {
                            var i = start
                            while i + 4 <= end {
                                let x = SIMD4<Int64>(Int64(xs[i]), Int64(xs[i + 1]), Int64(xs[i + 2]), Int64(xs[i + 3]))
                                let spiked = SIMD4<Int64>(Int64(ss[i]), Int64(ss[i + 1]), Int64(ss[i + 2]), Int64(ss[i + 3])) .!= 0
                                let y = next4(x, spiked: spiked, indices: lanes &+ UInt64(i), drawn: &drawn)
                                xs[i] = Int32(truncatingIfNeeded: y[0]); xs[i + 1] = Int32(truncatingIfNeeded: y[1])
                                xs[i + 2] = Int32(truncatingIfNeeded: y[2]); xs[i + 3] = Int32(truncatingIfNeeded: y[3])
                                i += 4
                            }
                            while i < end {
                                let x = xs[i]
                                if x != 0 || ss[i] != 0 {
                                    if stochastic && x != 0 { draws &+= 1 }
                                    xs[i] = next(x, spike: ss[i] != 0, parameters: p, key: key, index: i)
                                }
                                i += 1
                            }
                            updates &+= UInt64(n)
                            start = end
                            continue
                        }
                        n = 0
                        for i in start..<end {
                            let v = UInt32(bitPattern: xs[i] | ss[i])
                            list[n] = Int32(truncatingIfNeeded: i)
                            n &+= Int((v | (0 &- v)) >> 31)
                        }
                        // The listed traces four at a time in 64-bit lanes (`next`'s arithmetic:
                        // the draws are SplitMix lanes, a zero x takes no draw and rounds to 0),
                        // then the rest one by one.
                        var k = 0
                        while k + 4 <= n {
                            let i0 = Int(list[k]), i1 = Int(list[k + 1]), i2 = Int(list[k + 2]), i3 = Int(list[k + 3])
                            let x = SIMD4<Int64>(Int64(xs[i0]), Int64(xs[i1]), Int64(xs[i2]), Int64(xs[i3]))
                            let spiked = SIMD4<Int64>(Int64(ss[i0]), Int64(ss[i1]), Int64(ss[i2]), Int64(ss[i3])) .!= 0
                            let y = next4(x, spiked: spiked, indices: SIMD4<UInt64>(UInt64(i0), UInt64(i1), UInt64(i2), UInt64(i3)), drawn: &drawn)
                            xs[i0] = Int32(truncatingIfNeeded: y[0]); xs[i1] = Int32(truncatingIfNeeded: y[1])
                            xs[i2] = Int32(truncatingIfNeeded: y[2]); xs[i3] = Int32(truncatingIfNeeded: y[3])
                            k += 4
                        }
                        while k < n {
                            let i = Int(list[k]), x = xs[i]
                            if stochastic && x != 0 { draws &+= 1 }
                            xs[i] = next(x, spike: ss[i] != 0, parameters: p, key: key, index: i)
                            k += 1
                        }
                        updates &+= UInt64(n)
                        start = end
                    }
                }
            }
        }
        draws &+= UInt64(truncatingIfNeeded: drawn.wrappedSum())
        counts.add(.traceUpdate, updates)
        counts.add(.prngDraw, draws)
    }
}
