import Foundation
import ChipModel

/// Metrics of one epoch: training pass (learning on) then test pass (inference only).
public struct EpochMetrics: Equatable, Sendable {
    public var epoch: Int
    public var trainSamples: Int
    public var trainAccuracy: Double
    public var testSamples: Int
    public var testAccuracy: Double
    public var trainCounts: ActionCounts
    public var testCounts: ActionCounts
    public var trainCycles: UInt64
    public var testCycles: UInt64
    /// Regression tasks: mean squared error of the readout's final outputs (target units).
    public var trainMSE: Double? = nil
    public var testMSE: Double? = nil
}

/// Runs on-chip training: epochs over the train source with the rule learning, each followed
/// by a test pass with learning (and noise) off. Deterministic: the sample order of each
/// epoch is a Fisher-Yates shuffle driven by (seed, shuffle, epoch).
public final class Trainer {
    public let simulator: Simulator
    public let train: SpikeSource
    public let test: SpikeSource
    public let config: TrainingConfig
    public private(set) var epochs: [EpochMetrics] = []
    public var progress: ((String) -> Void)?
    /// Least time between two within-epoch progress lines (a clock read per sample decides).
    public var progressInterval: Double = 0.25
    private var lastProgress: UInt64 = 0
    /// Called after every epoch (checkpointing); an error stops the run.
    public var afterEpoch: (() throws -> Void)?
    /// Called within an epoch after every `config.checkpointEvery` training samples (not after
    /// the epoch's last: `afterEpoch` follows its test pass), with `inProgress` set to where
    /// the epoch stands (mid-epoch checkpointing); an error stops the run.
    public var afterSamples: (() throws -> Void)?
    /// The epoch in progress while `afterSamples` runs, or the one a checkpoint restored
    /// (continued by `run`); nil otherwise.
    public private(set) var inProgress: EpochProgress?
    /// Called before every epoch with its index (0-based), e.g. for learning-rate schedules.
    public var beforeEpoch: ((Int) throws -> Void)?

    /// Continues from a checkpoint's epochs and, for a mid-epoch checkpoint, its epoch in
    /// progress (which must be epoch `epochs.count`).
    public func restore(epochs: [EpochMetrics], inProgress: EpochProgress? = nil) {
        precondition(inProgress.map { $0.epoch == epochs.count } ?? true, "the epoch in progress follows the completed ones")
        self.epochs = epochs; self.inProgress = inProgress
    }

    public init(simulator: Simulator, train: SpikeSource, test: SpikeSource, config: TrainingConfig) {
        self.simulator = simulator; self.train = train; self.test = test; self.config = config
    }

    /// Training samples per epoch (`training.trainLimit` applied).
    public var trainingSamplesPerEpoch: Int { trainCount }
    var trainCount: Int { config.trainLimit > 0 ? min(config.trainLimit, train.samples) : train.samples }
    var testCount: Int { config.testLimit > 0 ? min(config.testLimit, test.samples) : test.samples }

    public static func order(count: Int, epoch: Int, seed: UInt64, shuffle: Bool) -> [Int] {
        var o = Array(0..<count)
        guard shuffle, count > 1 else { return o }
        let key = RandomKey(seed: seed, stream: .shuffle).with(epoch)
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(((key.draw(i) >> 32) * UInt64(i + 1)) >> 32)
            o.swapAt(i, j)
        }
        return o
    }

    /// Runs epochs [epochs.count, config.epochs).
    public func run() throws {
        let sim = simulator
        while epochs.count < config.epochs {
            let e = epochs.count
            try beforeEpoch?(e)
            let order = Trainer.order(count: trainCount, epoch: e, seed: sim.chip.config.seed, shuffle: config.shuffle)
            sim.training = true
            // A restored epoch in progress continues at its next sample with its start totals
            // and the outcomes of the samples it ran (EpochProgress).
            let resumed = inProgress.flatMap { $0.epoch == e ? $0 : nil }
            inProgress = nil
            let c0 = resumed?.startCounts ?? sim.totalCounts, y0 = resumed?.startCycles ?? sim.totals.cycles
            let earlier = resumed?.outcomes ?? []
            sim.discardSamples()
            for k in (resumed?.samplesDone ?? 0)..<order.count {
                sim.runSample(order[k], source: train)
                if progressDue() { progress?("epoch \(e + 1)/\(config.epochs): training \(k + 1)/\(order.count)") }
                if config.checkpointEvery > 0, (k + 1) % config.checkpointEvery == 0, k + 1 < order.count, let afterSamples {
                    inProgress = EpochProgress(epoch: e, samplesDone: k + 1, startCounts: c0, startCycles: y0,
                                               outcomes: earlier + sim.samples.map(SampleOutcome.init))
                    defer { inProgress = nil }
                    try afterSamples()
                }
            }
            let outcomes = earlier + sim.samples.map(SampleOutcome.init)
            let trainAcc = Trainer.accuracy(outcomes)
            let unit = (sim.rule as? TrainableRule)?.outputLossUnit
            let trainMSE = unit.flatMap { Trainer.meanSquaredError(outcomes, unit: $0) }
            let c1 = sim.totalCounts, y1 = sim.totals.cycles
            sim.training = false
            sim.discardSamples()
            for s in 0..<testCount {
                sim.runSample(s, source: test)
                if progressDue() { progress?("epoch \(e + 1)/\(config.epochs): testing \(s + 1)/\(testCount)") }
            }
            let tested = sim.samples.map(SampleOutcome.init)
            let testAcc = Trainer.accuracy(tested)
            let testMSE = unit.flatMap { Trainer.meanSquaredError(tested, unit: $0) }
            sim.discardSamples()
            let c2 = sim.totalCounts, y2 = sim.totals.cycles
            epochs.append(EpochMetrics(epoch: e + 1, trainSamples: order.count, trainAccuracy: trainAcc,
                                       testSamples: testCount, testAccuracy: testAcc,
                                       trainCounts: c1.minus(c0), testCounts: c2.minus(c1),
                                       trainCycles: y1 - y0, testCycles: y2 - y1, trainMSE: trainMSE, testMSE: testMSE))
            try afterEpoch?()
            if let trainMSE, let testMSE {
                progress?("epoch \(e + 1)/\(config.epochs): train MSE \(String(format: "%.4f", trainMSE)), test MSE \(String(format: "%.4f", testMSE))")
            } else {
                progress?("epoch \(e + 1)/\(config.epochs): train accuracy \(String(format: "%.2f", trainAcc * 100))%, test accuracy \(String(format: "%.2f", testAcc * 100))%")
            }
        }
    }

    private func progressDue() -> Bool {
        guard progress != nil else { return false }
        let now = DispatchTime.now().uptimeNanoseconds
        guard now &- lastProgress >= UInt64(progressInterval * 1e9) else { return false }
        lastProgress = now
        return true
    }

    /// Mean over samples and outputs of ((r_k - y_k) / 2^14)^2, r = the loss unit's regression
    /// outputs of the readout's v at the sample's last step; nil when no sample has targets.
    public static func meanSquaredError(_ s: [SampleOutcome], unit: LossUnit) -> Double? {
        var sum = 0.0, n = 0
        for r in s {
            guard let y = r.target, !r.finalOutput.isEmpty else { continue }
            for (out, t) in zip(unit.regressionOutputs(r.finalOutput), y) {
                let d = Double(out - Int64(t)) / Double(LossUnit.one)
                sum += d * d; n += 1
            }
        }
        return n > 0 ? sum / Double(n) : nil
    }

    static func accuracy(_ s: [SampleOutcome]) -> Double {
        let labelled = s.filter { $0.label != nil }
        guard !labelled.isEmpty else { return 0 }
        return Double(labelled.filter { $0.label == $0.prediction }.count) / Double(labelled.count)
    }
}

extension ActionCounts {
    public func minus(_ o: ActionCounts) -> ActionCounts {
        var r = self
        for i in 0..<r.values.count { r.values[i] -= o.values[i] }
        r.gradedNonzeroProducts -= o.gradedNonzeroProducts
        return r
    }
}
