// Spike encoders turn one static sample (features 0...255) into a SpikeRaster.
// Every encoder is a pure function of (encoder parameters, sample features, sample index):
// it does not depend on the order samples are encoded in or on threads.

public protocol SpikeEncoder: Sendable {
    /// Timesteps per sample.
    var steps: Int { get }
    /// Input channels produced for samples of `dataset`'s shape.
    func channels(for dataset: ImageDataset) -> Int
    /// Encodes sample `index` of `dataset`.
    func encode(_ dataset: ImageDataset, sample index: Int) -> SpikeRaster
}
