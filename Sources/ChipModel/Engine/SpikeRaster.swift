// The input spikes of one sample as the engine consumes them: a binary raster of
// `channels` input channels over `steps` algorithmic timesteps, stored CSR by step so a
// step's spikes are one contiguous run (no per-spike allocation when the engine walks it).

/// Spikes of `channels` input channels over `steps` timesteps, CSR by step:
/// the channels that spike at step t are `indices[offsets[t] ..< offsets[t+1]]`, ascending.
///
/// Invariants (checked by `init(channels:steps:offsets:indices:)`, kept by `appendStep`):
/// `offsets.count == steps + 1`, `offsets[0] == 0`, offsets non-decreasing,
/// `offsets[steps] == indices.count`, and within each step the indices are strictly
/// ascending (a channel spikes at most once per step) and in `0 ..< channels`.
public struct SpikeRaster: Sendable, Equatable {
    public var channels: Int
    public var steps: Int
    public var offsets: [Int32]
    public var indices: [Int32]

    /// Why a raster failed validation (the caller wraps it in a ChipError naming its file).
    public struct Invalid: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// An empty raster with no steps yet; grow it with `appendStep`.
    @inlinable
    public init(channels: Int) {
        precondition(channels >= 0 && channels <= Int(Int32.max), "channel count out of range")
        self.channels = channels
        self.steps = 0
        self.offsets = [0]
        self.indices = []
    }

    /// A raster of `steps` silent steps.
    @inlinable
    public init(channels: Int, silentSteps steps: Int) {
        self.init(channels: channels)
        self.steps = steps
        offsets = [Int32](repeating: 0, count: steps + 1)
    }

    /// Validating initialiser: throws `Invalid` naming the first broken invariant.
    public init(channels: Int, steps: Int, offsets: [Int32], indices: [Int32]) throws {
        guard channels >= 0, channels <= Int(Int32.max) else { throw Invalid(description: "channel count \(channels) out of range") }
        guard steps >= 0 else { throw Invalid(description: "negative step count \(steps)") }
        guard offsets.count == steps + 1 else {
            throw Invalid(description: "offsets has \(offsets.count) entries; expected steps + 1 = \(steps + 1)")
        }
        guard offsets[0] == 0 else { throw Invalid(description: "offsets[0] is \(offsets[0]); expected 0") }
        guard Int(offsets[steps]) == indices.count else {
            throw Invalid(description: "offsets[\(steps)] is \(offsets[steps]); expected the spike count \(indices.count)")
        }
        // Monotone offsets (with offsets[0] == 0 and offsets[steps] == count) keep every
        // step's range inside `indices`; check that before indexing.
        for t in 0 ..< steps where offsets[t] > offsets[t + 1] {
            throw Invalid(description: "offsets decrease at step \(t)")
        }
        for t in 0 ..< steps {
            let lo = Int(offsets[t]), hi = Int(offsets[t + 1])
            var previous: Int32 = -1
            for k in lo ..< hi {
                let c = indices[k]
                guard c >= 0, Int(c) < channels else {
                    throw Invalid(description: "step \(t): channel \(c) out of range 0..<\(channels)")
                }
                guard c > previous else {
                    throw Invalid(description: "step \(t): channels not strictly ascending (\(previous) then \(c))")
                }
                previous = c
            }
        }
        self.channels = channels; self.steps = steps; self.offsets = offsets; self.indices = indices
    }

    /// Total number of spikes.
    @inlinable public var count: Int { indices.count }

    /// The channels spiking at step `t`, ascending.
    @inlinable
    public func spikes(at t: Int) -> ArraySlice<Int32> {
        indices[Int(offsets[t]) ..< Int(offsets[t + 1])]
    }

    /// Appends the channels spiking at step `t` (ascending) to `out`, e.g. for an engine
    /// input source's `spikes(sample:step:into:)`. Steps past the end are silent.
    @inlinable
    public func appendSpikes(at t: Int, into out: inout ContiguousArray<Int32>) {
        guard t >= 0, t < steps else { return }
        out.append(contentsOf: indices[Int(offsets[t]) ..< Int(offsets[t + 1])])
    }

    /// Number of spikes at step `t`.
    @inlinable
    public func spikeCount(at t: Int) -> Int { Int(offsets[t + 1] &- offsets[t]) }

    /// Appends one step whose spiking channels are `channels` (must be strictly ascending
    /// and in range; checked by a precondition since this is a programming-error path).
    @inlinable
    public mutating func appendStep<S: Sequence>(_ spiking: S) where S.Element == Int32 {
        var previous: Int32 = -1
        for c in spiking {
            precondition(c > previous && Int(c) < channels, "appendStep: channels must be ascending and in range")
            indices.append(c)
            previous = c
        }
        offsets.append(Int32(indices.count))
        steps += 1
    }

    /// Builder form for hot encoders: push the step's channels (ascending) with
    /// `push(_:)`, then close the step with `endStep()`.
    @inlinable @inline(__always)
    public mutating func push(_ channel: Int32) {
        indices.append(channel)
    }

    @inlinable @inline(__always)
    public mutating func endStep() {
        offsets.append(Int32(truncatingIfNeeded: indices.count))
        steps += 1
    }

    /// Reserves room for `steps` more steps and `spikes` more spikes.
    @inlinable
    public mutating func reserve(steps: Int, spikes: Int) {
        offsets.reserveCapacity(offsets.count + steps)
        indices.reserveCapacity(indices.count + spikes)
    }

    /// Spike count per channel over all steps.
    public func countsPerChannel() -> [Int] {
        var counts = [Int](repeating: 0, count: channels)
        for c in indices { counts[Int(c)] += 1 }
        return counts
    }

    /// Dense 0/1 matrix [step][channel] (for tests and small traces).
    public func dense() -> [[UInt8]] {
        (0 ..< steps).map { t in
            var row = [UInt8](repeating: 0, count: channels)
            for c in spikes(at: t) { row[Int(c)] = 1 }
            return row
        }
    }
}
