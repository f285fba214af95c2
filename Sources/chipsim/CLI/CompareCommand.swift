import Foundation
import ChipModel
import OnChipLearning

/// `chipsim compare CONFIG`: on-chip learning rules against off-chip backpropagation on the
/// same task (docs/COMPARE.md).
enum CompareCommand: Subcommand {
    static let name = "compare"
    static let summary = "On-chip rules vs off-chip BP: accuracy, energy, time; table + HTML report."
    static let flags: Set<String> = ["quiet", "overwrite"]
    static let help = """
    USAGE: chipsim compare <compare-config.json> [--out DIR] [--overwrite] [--quiet]
                           [--set PATH=VALUE ...]
                           [--seeds N [--jobs N]]

    Trains the configured on-chip rule(s) on the simulated chip and the float twin with
    off-chip BPTT / OTTT (SGD or Adam) on the same dataset, split, sample limits and seed;
    quantises the twin's weights to the chip's format, writes them over the host link
    (counted) and evaluates them on the chip. Each off-chip method is costed on every host
    profile (configs/host/*.json). Prints a comparison table and writes DIR
    (default: runs/<config name>):
      report.json          every method: accuracy (float / on chip), energy by category,
                           time, operation counts, memory, weight writes, learning curve
      summary.csv          one row per method;  curves.csv: one row per method and epoch
      *.svg, index.html    plots and a page showing them (open index.html; works offline)

    OPTIONS:
      --out DIR     output directory (default: runs/<config name>); an existing one is
                    replaced only if it holds a previous compare output and with --overwrite
      --overwrite   replace DIR if it holds a previous chipsim compare output
      --quiet       print nothing on success
      --set PATH=VALUE  override a value of the compare config (e.g. experiment.seed=2;
                    repeatable; written to DIR/config.resolved.json; docs/SWEEP.md)
      --seeds N     run the comparison once per seed 1...N (worker processes: --jobs N)
                    and print each method's accuracy and energy as mean ± sd (the same as
                    `chipsim sweep seeds`; DIR defaults to runs/<name>-seeds)

    EXAMPLE (about 10 s once built, release build):
      swift build -c release && .build/release/chipsim compare configs/compare-quick.json
    """

    static func run(_ args: inout Arguments) throws -> Int32 {
        // Several seeds: the compare config as a sweep over experiment.seed (docs/SWEEP.md).
        if args.has("seeds") { return try SweepCommand.compareSeeds(&args) }
        let path = try args.positional("compare config file")
        let out = try args.value("out")
        let quiet = args.flag("quiet")
        let overwrite = args.flag("overwrite")
        let sets = args.values("set")
        try args.finish()
        let config = try ConfigLoader.compare(path: path, set: sets)
        // Claimed before training, so a refused directory costs nothing.
        let dir = try OutputDirectory(out ?? OutputPath.defaultDirectory(name: config.name, file: path), kind: "compare", overwrite: overwrite)
        let runner: CompareRunner
        do {
            runner = try config.inExperiment { try CompareRunner(config: config) }
            _ = try runner.preflight()
        } catch { dir.discard(); throw error }
        runner.progress = { line in
            if line.contains("accuracy") { Console.progressDone(); if !quiet { Console.error(line) } } else { Console.progress(line) }
        }
        do {
            let result = try config.inExperiment { try runner.run() }
            Console.progressDone()
            for (name, text) in HTMLReport.files(result) { try dir.write(name, text) }
            if !sets.isEmpty { try dir.write("config.resolved.json", try ConfigLoader.compareJSON(path: path, overrides: ConfigOverride.parse(sets)).serialized() + "\n") }
            try dir.commit()
            if !quiet { print(result.text + "report: \(dir.finalPath)/index.html") }
        } catch {
            dir.discard()
            throw error
        }
        return 0
    }
}
