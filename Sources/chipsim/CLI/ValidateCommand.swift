import Foundation
import ChipModel
import OnChipLearning

enum ValidateCommand: Subcommand {
    static let name = "validate"
    static let summary = "Check a config (syntax, values, hardware limits) without running it."
    static let flags: Set<String> = []
    static let help = """
    USAGE: chipsim validate <config.json> [--set PATH=VALUE ...]

    Parses the config strictly (unknown keys and bad values are errors with their JSON path),
    places the network on the chip (capacity errors name the layer, core and limit), loads the
    energy table and the input, and prints the placement. Exit status 0 when valid, 1 otherwise.
    --set PATH=VALUE overrides a value first (JSON path and value, repeatable; docs/SWEEP.md).

    EXAMPLE:
      chipsim validate configs/quickstart.json
    """

    static func run(_ args: inout Arguments) throws -> Int32 {
        let path = try args.positional("config file")
        let sets = args.values("set")
        try args.finish()
        let config = try ConfigLoader.experiment(path: path, set: sets)
        _ = try Experiment.energyTable(for: config)
        if let learning = config.learning { _ = try RuleFactory.make(learning, config: config) }
        _ = try TrainingConfig.decode(config.training, file: path)
        let source = try Experiment.source(for: config)
        let inputSize = config.network.layers.first { $0.isInput }!.size
        if source.channels != inputSize {
            throw ChipError.config(file: path, path: "$.input", message: "the input has \(source.channels) channels but the input layer has \(inputSize)")
        }
        let chip = try Chip(config: config)
        print("\(path): valid. \(chip.cores.count) of \(config.chip.cores) cores used; \(source.samples) samples x \(config.run.steps) steps")
        for c in chip.cores {
            let pops = c.populations.map { "\(chip.layers[$0.layer].name)[\($0.firstNeuron)..<\($0.firstNeuron + $0.count)]" }.joined(separator: " + ")
            print("  core \(c.id) tile (\(c.tileX),\(c.tileY)): \(pops), \(c.synapseBytes)/\(config.chip.core.synapseMemoryBytes) synapse bytes, \(c.inputAxons)/\(config.chip.core.maxInputAxons) input axons")
        }
        return 0
    }
}
