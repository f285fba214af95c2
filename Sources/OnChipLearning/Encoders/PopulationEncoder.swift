import Foundation
import ChipModel

// Population (Gaussian receptive field) coding for low-dimensional inputs such as Yin-Yang:
// each feature p in 0...255 (x = p / 255) drives `neurons` channels with centres
// c_j = j / (neurons - 1) and width sigma = 1 / (neurons - 1); channel j of feature f
// (index f * neurons + j) spikes at each step with probability
//     P = round(65536 * maxRate * exp(-(x - c_j)^2 / (2 sigma^2))) / 65536,
// drawn exactly from RandomKey(seed, inputEncoder).with(sample).with(step) at the channel
// index, like the rate encoder: a pure function of (parameters, features, sample).
// Probabilities are computed in Double once per feature value (256 x neurons table).

public struct PopulationEncoder: SpikeEncoder {
    public var steps: Int
    public var neurons: Int
    public var maxRate: Double
    public var seed: UInt64
    /// numerator[p * neurons + j] over 65536.
    let numerators: [UInt64]

    public init(steps: Int, neurons: Int, maxRate: Double, seed: UInt64) {
        self.steps = steps; self.neurons = max(2, neurons); self.maxRate = maxRate; self.seed = seed
        let n = self.neurons
        let sigma = 1.0 / Double(n - 1)
        var t = [UInt64](repeating: 0, count: 256 * n)
        for p in 0..<256 {
            let x = Double(p) / 255
            for j in 0..<n {
                let d = x - Double(j) / Double(n - 1)
                t[p * n + j] = UInt64((65536 * maxRate * exp(-d * d / (2 * sigma * sigma))).rounded())
            }
        }
        numerators = t
    }

    public func channels(for dataset: ImageDataset) -> Int { dataset.featureCount * neurons }

    public func encode(_ dataset: ImageDataset, sample index: Int) -> SpikeRaster {
        dataset.withFeatures(index) { features in
            var r = SpikeRaster(channels: features.count * neurons)
            r.steps = steps
            var offsets: [Int32] = [0]
            var indices: [Int32] = []
            let sampleKey = RandomKey(seed: seed, stream: .inputEncoder).with(index)
            for t in 0..<steps {
                let key = sampleKey.with(t)
                for (f, p) in features.enumerated() {
                    for j in 0..<neurons {
                        let c = f * neurons + j
                        if key.bernoulli(c, numerator: numerators[Int(p) * neurons + j], denominator: 65536) { indices.append(Int32(c)) }
                    }
                }
                offsets.append(Int32(indices.count))
            }
            r.offsets = offsets
            r.indices = indices
            return r
        }
    }
}
