import Foundation

// Input sources for the engine built from datasets and traces. Both have exactly the
// members of ChipModel's `SpikeSource` (channels, samples, label(sample:),
// spikes(sample:step:into:)), so wiring them in is `extension EncodedDatasetSource: SpikeSource {}`.

/// A static dataset seen through a spike encoder. A sample is encoded when first asked
/// for and kept until another sample is asked for (the engine walks a sample's steps in
/// order), so memory stays one raster; encoding is a pure function of (encoder, sample),
/// so the cache never changes results. Thread-safe (a lock guards the cache).
public final class EncodedDatasetSource: @unchecked Sendable {
    public let dataset: ImageDataset
    public let encoder: any SpikeEncoder
    public let channels: Int
    public let samples: Int
    private let lock = NSLock()
    private var cachedSample = -1
    private var cached = SpikeRaster(channels: 0)

    public init(dataset: ImageDataset, encoder: any SpikeEncoder) {
        self.dataset = dataset; self.encoder = encoder
        channels = encoder.channels(for: dataset)
        samples = dataset.count
    }

    public func label(sample: Int) -> Int? { Int(dataset.labels[sample]) }

    /// Regression targets in units of 2^-14, rounded to nearest (ties away from zero).
    public func target(sample: Int) -> [Int32]? {
        guard let t = dataset.targets else { return nil }
        let m = dataset.targetDimension
        return t[sample * m ..< (sample + 1) * m].map { Int32(($0 * 16384).rounded(.toNearestOrAwayFromZero)) }
    }

    /// The whole raster of a sample.
    public func raster(sample: Int) -> SpikeRaster {
        lock.lock(); defer { lock.unlock() }
        if sample != cachedSample {
            cached = encoder.encode(dataset, sample: sample)
            cachedSample = sample
        }
        return cached
    }

    /// Appends the channels spiking at (sample, step), ascending; steps past the
    /// encoder's window are silent.
    public func spikes(sample: Int, step: Int, into out: inout ContiguousArray<Int32>) {
        lock.lock(); defer { lock.unlock() }
        if sample != cachedSample {
            cached = encoder.encode(dataset, sample: sample)
            cachedSample = sample
        }
        cached.appendSpikes(at: step, into: &out)
    }
}

/// A pre-encoded AER trace as an input source; steps past a sample's length are silent.
public struct TraceSource: Sendable {
    public let trace: SpikeTrace
    public let channels: Int
    public let samples: Int

    public init(trace: SpikeTrace) {
        self.trace = trace
        channels = trace.shape.channels
        samples = trace.samples.count
    }

    public func label(sample: Int) -> Int? { trace.samples[sample].label }

    public func spikes(sample: Int, step: Int, into out: inout ContiguousArray<Int32>) {
        trace.samples[sample].raster.appendSpikes(at: step, into: &out)
    }
}
