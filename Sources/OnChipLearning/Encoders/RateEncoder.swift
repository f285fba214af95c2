// Rate (Bernoulli / Poisson-like) coding: at every step t each channel c spikes
// independently with probability exactly feature[c] / 255.
//
// Randomness: the decision for (sample s, step t, channel c) is
//   RandomKey(seed: seed, stream: .inputEncoder).with(s).with(t).bernoulli(c, numerator: feature[c], denominator: 255)
// i.e. the high 32 bits r of the draw spike iff r * 255 < feature[c] * 2^32. It depends
// only on (seed, s, t, c), never on encoding order. Channels with feature 0 never spike and
// feature 255 always spikes; the encoder skips those draws, which changes nothing because
// draws are counter-based.

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
        raster.channels = features.count
        raster.steps = 0
        raster.offsets.removeAll(keepingCapacity: true)
        raster.offsets.append(0)
        raster.indices.removeAll(keepingCapacity: true)
        // Channels that may spike (nonzero), ascending; on the stack-like scratch array.
        var active: [Int32] = []
        active.reserveCapacity(features.count)
        for c in 0 ..< features.count where features[c] != 0 { active.append(Int32(c)) }
        let sampleKey = RandomKey(seed: seed, stream: .inputEncoder).with(sample)
        raster.reserve(steps: steps, spikes: active.count * steps)
        active.withUnsafeBufferPointer { act in
            for t in 0 ..< steps {
                let key = sampleKey.with(t)
                for c in act {
                    let p = features[Int(c)]
                    if p == 255 || key.bernoulli(Int(c), numerator: UInt64(p), denominator: 255) {
                        raster.push(c)
                    }
                }
                raster.endStep()
            }
        }
    }
}
