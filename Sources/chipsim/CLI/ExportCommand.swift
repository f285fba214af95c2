import Foundation
import ChipModel
import OnChipLearning

enum ExportCommand: Subcommand {
    static let name = "export"
    static let summary = "Write the network of a finished run as a NIR graph (.nir)."
    static let flags: Set<String> = ["quiet"]
    static let help = """
    USAGE: chipsim export <RUN_DIR> --nir OUT.nir [--dt SECONDS] [--checkpoint FILE] [--quiet]

    Reads RUN_DIR/config.resolved.json (written by chipsim run) and writes its network as a NIR
    file (HDF5; NIR version \(NIRExport.version), the layout the nir Python package reads) with
    neuron parameters in NIR's continuous-time form at the step dt (docs/NIR.md).
    Weights: runs do not store trained weights in RUN_DIR; a training run's checkpoint
    (RUN_DIR.checkpoint.json, written after every epoch and every training.checkpointEvery
    samples within one) does, so when it exists (or --checkpoint names one) the trained weights
    are exported; otherwise the config's initial weights (explicit, or drawn exactly as the chip
    draws them). chipsim import of the file gives the same network.

    OPTIONS:
      --nir FILE         NIR file to write (required)
      --dt SECONDS       time step the chip's step stands for (default 1e-4)
      --checkpoint FILE  training checkpoint with the trained weights
      --quiet            print nothing on success

    EXAMPLE:
      chipsim run configs/quickstart.json --out runs/quick
      chipsim export runs/quick --nir quick.nir
    """

    static func run(_ args: inout Arguments) throws -> Int32 {
        var dir = try args.positional("run directory")
        while dir.count > 1 && dir.hasSuffix("/") { dir.removeLast() }
        guard let out = try args.value("nir") else { throw ChipError.usage("--nir OUT.nir is required; see 'chipsim export --help'") }
        var dt = 1e-4
        if let s = try args.value("dt") {
            guard let v = Double(s), v > 0, v.isFinite else { throw ChipError.usage("--dt expects a positive number of seconds, got '\(s)'") }
            dt = v
        }
        let checkpointOption = try args.value("checkpoint")
        let quiet = args.flag("quiet")
        try args.finish()

        let resolvedPath = dir + "/config.resolved.json"
        guard let data = FileManager.default.contents(atPath: resolvedPath) else {
            throw ChipError.io(path: resolvedPath, message: "cannot read it: is \(dir) a directory written by chipsim run?")
        }
        let resolvedText = String(decoding: data, as: UTF8.self)
        let config = try ExperimentConfig(json: JSONValue.parse(data, file: resolvedPath), file: resolvedPath)
        let checkpoint = checkpointOption ?? (FileManager.default.fileExists(atPath: dir + ".checkpoint.json") ? dir + ".checkpoint.json" : nil)
        let weights: [[Int]]
        let source: String
        if let checkpoint {
            weights = try NIRExport.checkpointWeights(path: checkpoint, config: config, resolvedConfig: resolvedText)
            source = "trained weights from \(checkpoint)"
        } else {
            weights = try NIRExport.initialWeights(config)
            source = "the config's initial weights (no training checkpoint found)"
        }
        let graph = try NIRExport.graph(network: config.network, weights: weights, dt: dt, file: resolvedPath)
        let bytes = try HDF5Writer.write(graph.hdf5Tree())
        do { try Data(bytes).write(to: URL(fileURLWithPath: out), options: .atomic) }
        catch { throw ChipError.io(path: out, message: "cannot write the NIR file: \(error.localizedDescription)") }
        if !quiet {
            print("\(out): NIR \(NIRExport.version), dt = \(dt) s, \(graph.nodes.count) nodes, \(graph.edges.count) edges, \(bytes.count) bytes; \(source)")
        }
        return 0
    }
}
