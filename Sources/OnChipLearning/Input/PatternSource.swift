import ChipModel

/// Built-in rate-coded input: channel c spikes at (sample, step) with probability p_c, drawn
/// from the counter-based PRNG (stream inputEncoder, keyed by sample and step, index = channel),
/// so every sample is reproducible alone and independent of order.
///   uniform:  p_c = rate
///   gradient: p_c = min(1, 2 * rate * c / (n - 1))   (mean over channels = rate when rate <= 0.5)
/// Probabilities are quantised to k / 2^16 (k = round(p * 65536)) and drawn exactly.
public struct PatternSource: SpikeSource {
    public let channels: Int
    public let samples: Int
    /// Spike threshold per channel, numerator over 65536.
    public let numerators: [UInt64]
    let key: RandomKey

    public init(pattern: String, rate: Double, channels: Int, samples: Int, seed: UInt64) {
        self.channels = channels; self.samples = samples
        key = RandomKey(seed: seed, stream: .inputEncoder)
        numerators = (0..<channels).map { c in
            let p: Double
            if pattern == "gradient" { p = channels > 1 ? min(1, 2 * rate * Double(c) / Double(channels - 1)) : rate }
            else { p = rate }
            return UInt64((p * 65536).rounded())
        }
    }

    public func label(sample: Int) -> Int? { nil }

    public func spikes(sample: Int, step: Int, into out: inout ContiguousArray<Int32>) {
        let k = key.with(sample).with(step)
        for c in 0..<channels where k.bernoulli(c, numerator: numerators[c], denominator: 65536) {
            out.append(Int32(c))
        }
    }
}
