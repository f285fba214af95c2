import Foundation
import ChipModel
import OnChipLearning

enum ImportCommand: Subcommand {
    static let name = "import"
    static let summary = "Map a dense NIR graph (.nir) onto chip layers; write an experiment config."
    static let flags: Set<String> = ["quiet", "one-core"]
    static let help = """
    USAGE: chipsim import <MODEL.nir> --out CONFIG.json [--dt SECONDS] [--reset hard|soft]
                          [--weight-bits N] [--steps N] [--input JSON] [--template CONFIG]
                          [--one-core] [--quiet]

    Reads a NIR file (HDF5, written by snnTorch, Norse, Sinabs, Rockpool, the nir package or
    chipsim export) and maps Input, Output, Affine, Linear, Scale, Conv2d, SumPool2d,
    AvgPool2d, Flatten, LIF, IF, LI, CubaLIF and CubaLI nodes, and recurrent edges, onto chip
    layers and dense, conv2d, sumPool and recurrent connections with explicit weights
    (docs/NIR.md: the fixed-point mapping and what it approximates). Prints a per-layer
    quantisation report (max and RMS error of weights, decays, thresholds and biases, in NIR
    units). Delay nodes are not supported (the chip has no delays): the error names the node.

    OPTIONS:
      --out FILE         config to write (required)
      --dt SECONDS       time step of the discretisation (default 1e-4, snnTorch's convention:
                         r = tau / dt)
      --reset MODE       hard (NIR: v = v_reset = 0, the default) or soft (v -= threshold, as
                         snnTorch's reset by subtraction)
      --weight-bits N    signed weight width 1...9 (default 8)
      --steps N          run.steps of the written config (default 32)
      --input JSON       the config's input section, verbatim (e.g. '{"kind": "dataset",
                         "dataset": {"kind": "mnist5k"}, "encoder": {"kind": "rate", "steps": 16}}')
      --template CONFIG  write CONFIG with its network replaced by the imported one (its input,
                         run, learning and training sections kept; its chip section too, if it
                         has one): import, then train on chip
      --one-core         do not choose a mesh (by default the smallest mesh on which the
                         network builds, up to 16 x 16 tiles, is written into the chip section)
      --quiet            print nothing on success

    EXAMPLE:
      chipsim import Tests/OnChipLearningTests/Fixtures/nir/lif_norse.nir --out lif_norse.json
      chipsim run lif_norse.json
    """

    static func run(_ args: inout Arguments) throws -> Int32 {
        let path = try args.positional("NIR file")
        guard let out = try args.value("out") else { throw ChipError.usage("--out CONFIG.json is required; see 'chipsim import --help'") }
        var options = NIRImportOptions()
        if let s = try args.value("dt") {
            guard let dt = Double(s), dt > 0, dt.isFinite else { throw ChipError.usage("--dt expects a positive number of seconds, got '\(s)'") }
            options.dt = dt
        }
        if let s = try args.value("reset") {
            guard let r = ResetMode(rawValue: s) else { throw ChipError.usage("--reset expects hard or soft, got '\(s)'") }
            options.reset = r
        }
        options.weightBits = try args.int("weight-bits", default: 8)
        guard SynapseWidths.weightBitsRange.contains(options.weightBits) else { throw ChipError.usage("--weight-bits must be in 1...9") }
        options.steps = try args.int("steps", default: 32)
        guard (1 ... 100_000).contains(options.steps) else { throw ChipError.usage("--steps must be in 1...100000") }
        options.name = ((out as NSString).lastPathComponent as NSString).deletingPathExtension
        let inputJSON = try args.value("input")
        let template = try args.value("template")
        let oneCore = args.flag("one-core")
        let quiet = args.flag("quiet")
        try args.finish()

        var imported = try NIRImport.run(try NIRGraph.read(path: path), options: options)
        if !oneCore { try imported.fitChip() }
        var json = imported.config
        if let template {
            guard let data = FileManager.default.contents(atPath: template) else { throw ChipError.io(path: template, message: "cannot read the template config") }
            guard case let .object(tkv) = try JSONValue.parse(data, file: template), case let .object(kv) = json else {
                throw ChipError.config(file: template, path: "$", message: "expected a config object")
            }
            // name, comment and network from the import; chip from the template if it has one;
            // every other section (seed, input, run, learning, training, ...) from the template.
            func pick(_ k: String, _ from: [(String, JSONValue)]) -> [(String, JSONValue)] { from.filter { $0.0 == k } }
            json = .object(pick("name", kv) + pick("comment", kv) + (tkv.contains { $0.0 == "chip" } ? pick("chip", tkv) : pick("chip", kv))
                           + pick("network", kv) + tkv.filter { !["name", "comment", "chip", "network"].contains($0.0) })
        }
        if let inputJSON {
            let v = try JSONValue.parse(inputJSON, file: "--input")
            guard case .object = v, case var .object(kv) = json else { throw ChipError.usage("--input expects a JSON object") }
            kv.insert(("input", v), at: kv.firstIndex { $0.0 == "run" } ?? kv.count)
            json = .object(kv)
        }
        _ = try ExperimentConfig(json: json, file: out)  // the written config must load
        do { try Data((json.serialized() + "\n").utf8).write(to: URL(fileURLWithPath: out), options: .atomic) }
        catch { throw ChipError.io(path: out, message: "cannot write the config: \(error.localizedDescription)") }
        if !quiet {
            print("\(path): NIR version \(imported.version ?? "unknown"), dt = \(options.dt) s -> \(out)")
            print("layers: " + ([imported.inputName + " (input, \(imported.inputSize))"] + imported.layers.map {
                "\($0.name) (\($0.type), \($0.size), S = 2^\(Int(log2($0.scale))))" }).joined(separator: " -> "))
            print(imported.reportText, terminator: "")
        }
        return 0
    }
}
