import Foundation
import ChipModel
import OnChipLearning

/// Everything `chipsim run` builds and checks before it simulates: energy table, input
/// source(s), chip placement, learning rule attached (its feedback synapses must fit the
/// learning memory), training settings, probes and the default output name. `chipsim
/// validate` builds the same and stops there, so a config that validates does not fail at
/// the start of `run`.
struct RunSetup {
    enum Work {
        case inference(source: SpikeSource, probes: [Probe])
        /// `resolved` is the resolved config with the rule's and training's defaults filled in
        /// (what the report and the checkpoint store).
        case training(session: TrainingSession, training: TrainingConfig, resolved: String)
    }

    let config: ExperimentConfig
    let table: EnergyTable
    let simulator: Simulator
    let work: Work
    var chip: Chip { simulator.chip }

    init(config given: ExperimentConfig, probes probeSpecs: [String] = []) throws {
        // The mnist5k data resolved to its file and SHA-256, so the resolved config says which
        // data the run used (not whichever data/ an upward search found; docs/DATA.md).
        let config = try given.resolvingDataset()
        self.config = config
        table = try Experiment.energyTable(for: config)
        let training = try TrainingConfig.decode(config.training, file: config.file)
        if let learning = config.learning {
            if !probeSpecs.isEmpty { throw ChipError.usage("--probe is for inference runs; remove it or the learning section") }
            if !config.run.resetBetweenSamples {
                throw ChipError.config(file: config.file, path: "$.run.resetBetweenSamples", message: "training needs true (per-sample learning state is not checkpointed)")
            }
            // The same chip, rule, trainer and rate schedule compare builds (one training path).
            let session = try TrainingSession(experiment: config, learning: learning, training: training)
            let rule = session.rule
            var resolved = config.resolvedJSON
            if case var .object(kv) = resolved {
                if let i = kv.firstIndex(where: { $0.0 == "learning" }) { kv[i].1 = rule.parametersJSON }
                if let i = kv.firstIndex(where: { $0.0 == "training" }) { kv[i].1 = training.json } else { kv.append(("training", training.json)) }
                resolved = .object(kv)
            }
            simulator = session.simulator
            work = .training(session: session, training: training, resolved: resolved.serialized())
        } else {
            let source = try Experiment.source(for: config)
            let inputSize = config.network.layers.first { $0.isInput }!.size
            if source.channels != inputSize {
                throw ChipError.config(file: config.file, path: "$.input", message: "the input has \(source.channels) channels but the input layer has \(inputSize)")
            }
            let probes = try probeSpecs.map { try Probe(spec: $0, network: config.network) }
            simulator = Simulator(chip: try Chip(config: config))
            work = .inference(source: source, probes: probes)
        }
    }

    /// Samples per training epoch and per test pass, as the Trainer takes them.
    static func counts(_ t: TrainingConfig, train: SpikeSource, test: SpikeSource) -> (train: Int, test: Int) {
        (t.trainLimit > 0 ? min(t.trainLimit, train.samples) : train.samples,
         t.testLimit > 0 ? min(t.testLimit, test.samples) : test.samples)
    }
}
