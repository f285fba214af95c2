// Rate (Bernoulli / Poisson-like) coding: at every step t each channel c spikes
// independently with probability exactly feature[c] / 255.
//
// Randomness: the decision for (sample s, step t, channel c) is
//   RandomKey(seed: seed, stream: .inputEncoder).with(s).with(t).bernoulli(c, numerator: feature[c], denominator: 255)
// i.e. the high 32 bits r of the draw spike iff r * 255 < feature[c] * 2^32. It depends
// only on (seed, s, t, c), never on encoding order. Channels with feature 0 never spike and
// feature 255 always spikes (r * 255 < 255 * 2^32 for every 32-bit r); the encoder skips
// zero features' draws, which changes nothing because draws are counter-based.

public struct RateEncoder: SpikeEncoder {
    public var steps: Int
    public var seed: UInt64

    public init(steps: Int, seed: UInt64) {
        self.steps = steps; self.seed = seed
    }

    public func channels(for dataset: ImageDataset) -> Int { dataset.featureCount }

    public func encode(_ dataset: ImageDataset, sample index: Int) -> SpikeRaster {
        var r = SpikeRaster(channels: dataset.featureCount)
        dataset.withFeatures(index) { encode($0, sample: index, into: &r) }
        return r
    }

    /// Encodes `features` as sample number `sample` (the PRNG coordinate).
    public func encode(_ features: [UInt8], sample: Int) -> SpikeRaster {
        var r = SpikeRaster(channels: features.count)
        features.withUnsafeBufferPointer { encode($0, sample: sample, into: &r) }
        return r
    }

    /// Encodes `features` as sample `sample` into `raster`, reusing its storage.
    @inlinable
    public func encode(_ features: UnsafeBufferPointer<UInt8>, sample: Int, into raster: inout SpikeRaster) {
        let steps = max(self.steps, 0)
        raster.channels = features.count
        raster.steps = steps
        // Channels that may spike (nonzero), ascending.
        var active = ContiguousArray<Int32>()
        active.reserveCapacity(features.count)
        for c in 0 ..< features.count where features[c] != 0 { active.append(Int32(c)) }
        // Write through unsafe buffers sized for the worst case (every active channel at
        // every step), then trim: no per-spike capacity checks.
        let capacity = active.count * steps
        raster.indices.removeAll(keepingCapacity: true)
        raster.indices.append(contentsOf: repeatElement(0, count: capacity))
        raster.offsets.removeAll(keepingCapacity: true)
        raster.offsets.append(contentsOf: repeatElement(0, count: steps + 1))
        let sampleKey = RandomKey(seed: seed, stream: .inputEncoder).with(sample)
        var n = 0
        raster.indices.withUnsafeMutableBufferPointer { out in
            raster.offsets.withUnsafeMutableBufferPointer { offsets in
                active.withUnsafeBufferPointer { act in
                    for t in 0 ..< steps {
                        let key = sampleKey.with(t)
                        for c in act {
                            // Branch-free: the outcome is random, so a branch would mispredict
                            // about half the time. p = 255 always passes the comparison
                            // (r * 255 < 255 * 2^32 for every 32-bit r).
                            let p = UInt64(features[Int(c)])
                            let spike = key.bernoulli(Int(c), numerator: p, denominator: 255)
                            out[n] = c
                            n &+= spike ? 1 : 0
                        }
                        offsets[t + 1] = Int32(truncatingIfNeeded: n)
                    }
                }
            }
        }
        raster.indices.removeLast(capacity - n)
    }
}
