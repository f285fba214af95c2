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
        // Channels that may spike (nonzero), ascending, with the two per-channel terms of the
        // decision: the draw's counter term (RandomKey.counterTerm: each step's key adds it
        // instead of multiplying again) and the threshold feature[c] * 2^32.
        var active = ContiguousArray<Int32>(), offsets = ContiguousArray<UInt64>(), thresholds = ContiguousArray<UInt64>()
        active.reserveCapacity(features.count)
        for c in 0 ..< features.count where features[c] != 0 {
            active.append(Int32(c))
            offsets.append(RandomKey.counterTerm(c))
            thresholds.append(UInt64(features[c]) << 32)
        }
        // Write through unsafe buffers sized for the worst case (every active channel at
        // every step), then trim: no per-spike capacity checks.
        let capacity = active.count * steps
        raster.indices.removeAll(keepingCapacity: true)
        raster.indices.append(contentsOf: repeatElement(0, count: capacity))
        raster.offsets.removeAll(keepingCapacity: true)
        raster.offsets.append(contentsOf: repeatElement(0, count: steps + 1))
        let sampleKey = RandomKey(seed: seed, stream: .inputEncoder).with(sample)
        var n = 0
        let m = active.count
        raster.indices.withUnsafeMutableBufferPointer { out in
            raster.offsets.withUnsafeMutableBufferPointer { stepEnds in
                active.withUnsafeBufferPointer { act in offsets.withUnsafeBufferPointer { off in
                thresholds.withUnsafeBufferPointer { thr in
                    for t in 0 ..< steps {
                        let key = sampleKey.with(t)
                        let d = SIMD4<UInt64>(repeating: 255)
                        // Branch-free: the outcome is random, so a branch would mispredict about
                        // half the time. Spike iff (draw >> 32) * 255 < feature * 2^32; p = 255
                        // always passes (r * 255 < 255 * 2^32 for every 32-bit r).
                        var k = 0
                        while k + 4 <= m {
                            let z = key.draw(counterTerms: SIMD4(off[k], off[k + 1], off[k + 2], off[k + 3]))
                            let spike = (z &>> 32) &* d .< SIMD4(thr[k], thr[k + 1], thr[k + 2], thr[k + 3])
                            out[n] = act[k]; n &+= spike[0] ? 1 : 0
                            out[n] = act[k + 1]; n &+= spike[1] ? 1 : 0
                            out[n] = act[k + 2]; n &+= spike[2] ? 1 : 0
                            out[n] = act[k + 3]; n &+= spike[3] ? 1 : 0
                            k += 4
                        }
                        while k < m {
                            let spike = (key.draw(counterTerm: off[k]) >> 32) &* 255 < thr[k]
                            out[n] = act[k]; n &+= spike ? 1 : 0
                            k += 1
                        }
                        stepEnds[t + 1] = Int32(truncatingIfNeeded: n)
                    }
                } } }
            }
        }
        raster.indices.removeLast(capacity - n)
    }
}
