import Foundation
import ChipModel

/// Turns a config into the objects a run needs: the energy table, the input source and the chip.
public enum Experiment {
    public static func energyTable(for config: ExperimentConfig) throws -> EnergyTable {
        if let t = try BuiltinEnergyTables.named(config.chip.energyTable) { return t }
        let path = config.resolve(config.chip.energyTable)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ChipError.config(file: config.file, path: "$.chip.energyTable",
                                   message: "'\(config.chip.energyTable)' is neither a built-in table (loihi) nor a file (looked for \(path))")
        }
        return try EnergyTable.load(path: path)
    }

    /// The train and test sources of a dataset input (nil train for other inputs).
    public static func sources(for config: ExperimentConfig) throws -> (train: SpikeSource?, test: SpikeSource) {
        guard case let .dataset(d, e, _, limit) = config.input else { return (nil, try source(for: config)) }
        let dir = OutputPath.directoryPart(of: config.file)
        let spec = try DatasetSpec(json: JSONReader(d, file: config.file, path: "$.input.dataset"))
        let enc = try e.map { try EncoderSpec(json: JSONReader($0, file: config.file, path: "$.input.encoder")) }
            ?? .rate(steps: config.run.steps, seed: 0)
        if enc.steps != config.run.steps {
            throw ChipError.config(file: config.file, path: "$.input.encoder.steps", message: "the encoder makes \(enc.steps) steps per sample but run.steps is \(config.run.steps); make them equal")
        }
        let inputSize = config.network.layers.first { $0.isInput }!.size
        func check(_ s: SpikeSource) throws -> SpikeSource {
            guard s.channels == inputSize else {
                throw ChipError.config(file: config.file, path: "$.input", message: "the dataset through this encoder has \(s.channels) channels but the input layer has \(inputSize)")
            }
            return limit > 0 && s.samples > limit ? LimitedSource(base: s, samples: limit) : s
        }
        let loaded = try spec.load(relativeTo: dir.isEmpty ? "." : dir, configFile: config.file)
        try loaded.checkLabels(outputNeurons: config.network.layers.last!.size, file: config.file, path: "$.input.dataset")
        switch loaded {
        case let .images(train, test):
            if train.targets != nil {
                let out = config.network.layers.last!
                guard out.size == train.targetDimension, !out.neuron.parameters.spiking else {
                    throw ChipError.config(file: config.file, path: "$.input.dataset", message: "a regression dataset with \(train.targetDimension) target(s) needs a non-spiking readout layer (loihi-cuba-readout) of \(train.targetDimension) neuron(s) last; '\(out.name)' has \(out.size)\(out.neuron.parameters.spiking ? " spiking" : "") neuron(s)")
                }
            }
            let encoder = enc.makeEncoder()
            return (try check(EncodedDatasetSource(dataset: train, encoder: encoder)), try check(EncodedDatasetSource(dataset: test, encoder: encoder)))
        case let .traces(train, test):
            let t = try check(TraceSource(trace: train))
            return (t, try test.map { try check(TraceSource(trace: $0)) } ?? t)
        }
    }

    public static func source(for config: ExperimentConfig) throws -> SpikeSource {
        let input = config.network.layers.first { $0.isInput }!
        switch config.input {
        case let .dataset(_, _, split, _):
            let s = try sources(for: config)
            return split == "train" ? (s.train ?? s.test) : s.test
        case let .pattern(name, rate, samples):
            return PatternSource(pattern: name, rate: rate, channels: input.size, samples: samples, seed: config.seed)
        case let .spikeList(path):
            return try SpikeListSource(path: config.resolve(path), channels: input.size, steps: config.run.steps)
        }
    }
}

extension EncodedDatasetSource: SpikeSource {}
extension TraceSource: SpikeSource {}

/// The first `samples` samples of another source.
public struct LimitedSource: SpikeSource {
    public let base: SpikeSource
    public let samples: Int
    public var channels: Int { base.channels }
    public func label(sample: Int) -> Int? { base.label(sample: sample) }
    public func target(sample: Int) -> [Int32]? { base.target(sample: sample) }
    public func spikes(sample: Int, step: Int, into out: inout ContiguousArray<Int32>) { base.spikes(sample: sample, step: step, into: &out) }
}
