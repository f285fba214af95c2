// Where the input layer's spikes come from. Implementations live in OnChipLearning
// (built-in patterns, spike lists, datasets through encoders).

public protocol SpikeSource {
    /// Number of input channels (must equal the input layer's size).
    var channels: Int { get }
    var samples: Int { get }
    /// Class label of a sample, if the source has labels.
    func label(sample: Int) -> Int?
    /// Appends the channels that spike at (sample, step), ascending, to `out`.
    func spikes(sample: Int, step: Int, into out: inout ContiguousArray<Int32>)
    /// Regression targets of a sample, one per readout neuron in units of 2^-14 (LossUnit.one),
    /// if the source is a regression task (then the loss unit computes the MSE error).
    func target(sample: Int) -> [Int32]?
}

extension SpikeSource {
    public func target(sample: Int) -> [Int32]? { nil }
}
