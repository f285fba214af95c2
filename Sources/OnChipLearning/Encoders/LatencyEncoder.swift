// Latency (time-to-first-spike) coding: each channel spikes at most once per sample,
// brighter features earlier. With T = steps and feature p in 0...255:
//   p == 0 (or p < minimumFeature)  -> never spikes
//   otherwise                       -> one spike at step t(p) = floor((255 - p) * T / 255)
// so p = 255 spikes at step 0 and p = 1 at floor(254 T / 255) <= T - 1: every spike falls
// inside the window, and the latency is linear in darkness. Integer arithmetic only.

public struct LatencyEncoder: SpikeEncoder {
    public var steps: Int
    /// Features below this never spike (default 1: only zero features are silent).
    public var minimumFeature: Int

    public init(steps: Int, minimumFeature: Int = 1) {
        self.steps = steps; self.minimumFeature = max(1, minimumFeature)
    }

    public func channels(for dataset: ImageDataset) -> Int { dataset.featureCount }

    /// The spike step of feature p, or nil if it never spikes.
    @inlinable
    public func spikeStep(_ p: UInt8) -> Int? {
        if Int(p) < minimumFeature || steps <= 0 { return nil }
        return (255 - Int(p)) * steps / 255
    }

    public func encode(_ dataset: ImageDataset, sample index: Int) -> SpikeRaster {
        dataset.withFeatures(index) { encode($0) }
    }

    public func encode(_ features: UnsafeBufferPointer<UInt8>) -> SpikeRaster {
        // Bucket the channels by spike step (channels visited ascending => each bucket ascending).
        var perStep = [Int](repeating: 0, count: max(steps, 0) + 1)
        for p in features { if let t = spikeStep(p) { perStep[t + 1] += 1 } }
        for t in 0 ..< steps { perStep[t + 1] += perStep[t] }
        var indices = [Int32](repeating: 0, count: perStep[steps])
        var fill = perStep
        for (c, p) in features.enumerated() {
            if let t = spikeStep(p) { indices[fill[t]] = Int32(c); fill[t] += 1 }
        }
        var r = SpikeRaster(channels: features.count)
        r.steps = max(steps, 0)
        r.offsets = perStep.map { Int32($0) }
        r.indices = indices
        return r
    }
}
