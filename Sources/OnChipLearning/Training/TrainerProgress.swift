import ChipModel

/// A training epoch stopped between two of its samples (a mid-epoch checkpoint,
/// `training.checkpointEvery`): what the Trainer needs to continue it at the next sample and
/// end it with the metrics of an uninterrupted epoch.
///
/// The sample order is not stored: it is the Fisher-Yates shuffle keyed by (seed, epoch)
/// (Trainer.order), so `samplesDone` is the position in it. The rest of the epoch's running
/// state is here: the counters and cycles when the epoch began (its train counts are the
/// difference at its end) and the outcome of every sample run so far (accuracy and MSE are
/// computed over all of them at the end, in sample order).
public struct EpochProgress: Equatable, Sendable {
    /// 0-based index of the epoch in progress (= epochs completed).
    public var epoch: Int
    /// Training samples of the epoch's order already run: the next one is `order[samplesDone]`.
    public var samplesDone: Int
    /// The simulator's total counts and cycles when the epoch's training pass began.
    public var startCounts: ActionCounts
    public var startCycles: UInt64
    /// The samples' outcomes so far, in order (see `SampleOutcome`).
    public var outcomes: [SampleOutcome]

    public init(epoch: Int, samplesDone: Int, startCounts: ActionCounts, startCycles: UInt64, outcomes: [SampleOutcome]) {
        self.epoch = epoch; self.samplesDone = samplesDone
        self.startCounts = startCounts; self.startCycles = startCycles; self.outcomes = outcomes
    }
}

/// What the epoch's metrics read of one sample's result: label and prediction (accuracy) and,
/// for regression samples, the target and the readout's final v (MSE). Nothing else of a
/// SampleResult outlives the epoch's metrics.
public struct SampleOutcome: Equatable, Sendable {
    public var label: Int?
    public var prediction: Int
    public var target: [Int32]?
    /// The readout's v at the sample's last step; kept only when `target` is set.
    public var finalOutput: [Int32]

    public init(label: Int?, prediction: Int, target: [Int32]?, finalOutput: [Int32]) {
        self.label = label; self.prediction = prediction; self.target = target
        self.finalOutput = target == nil ? [] : finalOutput
    }

    public init(_ r: SampleResult) {
        self.init(label: r.label, prediction: r.prediction, target: r.target, finalOutput: r.finalOutput)
    }

}
