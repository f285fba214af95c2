import Foundation
import ChipModel
import OnChipLearning

enum ValidateCommand: Subcommand {
    static let name = "validate"
    static let summary = "Check a run or compare config (every check run/compare make) without running it."
    static let flags: Set<String> = []
    static let help = """
    USAGE: chipsim validate <config.json> [--set PATH=VALUE ...]

    Makes every check `chipsim run` (or, for a compare config, `chipsim compare`) makes
    before it simulates: parses the config strictly (unknown keys and bad values are errors
    with their JSON path), loads the energy table and the input, places the network on the
    chip (capacity errors name the layer, core and limit), attaches the learning rule (its
    feedback synapses must fit the learning memory) and checks the output name. Then prints
    what the run will do: samples, epochs, steps, the cores used and what each holds.
    --set PATH=VALUE overrides a value first (JSON path and value, repeatable; docs/SWEEP.md).
    Exit status 0 when valid, 1 otherwise.

    EXAMPLES:
      chipsim validate configs/quickstart.json
      chipsim validate configs/compare-quick.json
    """

    static func run(_ args: inout Arguments) throws -> Int32 {
        let path = try args.positional("config file")
        let sets = args.values("set")
        try args.finish()
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ChipError.io(path: path, message: "cannot read the config (does it exist?)")
        }
        if CompareConfig.isCompareConfig(try JSONValue.parse(data, file: path)) {
            return try validateCompare(path, set: sets)
        }
        let config = try ConfigLoader.experiment(path: path, set: sets)
        let setup = try RunSetup(config: config)
        let out = try OutputPath.defaultDirectory(name: config.name, file: path)
        let steps = config.run.steps
        switch setup.work {
        case let .inference(source, _):
            print("\(path): valid run config. \(source.samples) samples x \(steps) steps (inference)")
        case let .training(session, training, _):
            let train = session.trainer.train, test = session.trainer.test
            let n = RunSetup.counts(training, train: train, test: test)
            print("\(path): valid training config. \(training.epochs) epoch(s) of \(n.train) training samples (of \(train.samples)) then \(n.test) test samples (of \(test.samples)), \(steps) steps each")
        }
        printPlacement(setup.chip)
        print("  output: \(out) (default; --out DIR to choose)\(outputNote(out, kind: "run"))")
        return 0
    }

    static func validateCompare(_ path: String, set: [String]) throws -> Int32 {
        let config = try ConfigLoader.compare(path: path, set: set)
        let runner = try config.inExperiment { try CompareRunner(config: config) }
        let plan = try runner.preflight()
        let out = try OutputPath.defaultDirectory(name: config.name, file: path)
        let steps = config.experiment.run.steps
        let onChip = config.onChipLearning.isEmpty ? "no on-chip rule" : "\(plan.epochs) epoch(s) on chip"
        print("\(path): valid compare config. \(onChip), \(plan.offChipEpochs) epoch(s) off chip; \(steps) steps per sample")
        for r in plan.onChip {
            print("  on-chip \(r.rule.rawValue): \(r.trainSamples) training samples then \(r.testSamples) test samples per epoch on \(r.cores) core(s)")
        }
        for m in config.methods {
            print("  off-chip \(m.name): \(plan.offChipTrainSamples) training samples, \(plan.offChipTestSamples) test samples; costed on \(config.hosts.map(\.name).joined(separator: ", "))")
        }
        for m in config.loopMethods {
            print("  chip-in-the-loop \(m.name): \(plan.offChipTrainSamples) training samples, \(plan.offChipTestSamples) test samples")
        }
        print("  output: \(out) (default; --out DIR to choose)\(outputNote(out, kind: "compare"))")
        return 0
    }

    /// The cores that hold anything (as the report counts them), each with its contents.
    static func printPlacement(_ chip: Chip) {
        let config = chip.config
        let used = chip.usedCores
        print("  chip: \(used.count) of \(chip.cores.count) core(s) used on a \(config.chip.meshWidth)x\(config.chip.meshHeight) mesh")
        for c in used {
            var parts = c.populations.map { "\(chip.layers[$0.layer].name)[\($0.firstNeuron)..<\($0.firstNeuron + $0.count)]" }
            parts += c.inputSlices.map { "\(chip.layers[$0.layer].name)[\($0.slice.firstNeuron)..<\($0.slice.firstNeuron + $0.slice.count)] (spike source)" }
            print("  core \(c.id) tile (\(c.tileX),\(c.tileY)): \(parts.joined(separator: " + ")), \(c.synapseBytes)/\(config.chip.core.synapseMemoryBytes) synapse bytes, \(c.inputAxons)/\(config.chip.core.maxInputAxons) input axons")
        }
    }

    /// What the default output directory's current state means for the run (never an error:
    /// `--out` may choose another).
    static func outputNote(_ dir: String, kind: String) -> String {
        guard let abs = try? OutputPath.directory(dir, option: "output") else { return "" }
        do { try OutputDirectory.checkReplaceable(abs, shown: dir, kind: kind, overwrite: false) } catch {
            return "\n  note: \(error)"
        }
        return ""
    }
}
