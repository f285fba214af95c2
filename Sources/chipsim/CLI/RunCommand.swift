import Foundation
import ChipModel
import OnChipLearning

enum RunCommand: Subcommand {
    static let name = "run"
    static let summary = "Run an experiment from a JSON config; print and write its report."
    static let flags: Set<String> = ["quiet", "resume"]
    static let help = """
    USAGE: chipsim run <config.json> [--out DIR] [--probe LAYER.VAR ...] [--quiet]
                       [--checkpoint FILE] [--resume] [--set PATH=VALUE ...]

    Simulates the experiment and writes DIR (default: runs/<config name>):
      config.resolved.json  the config with every default filled in
      report.json           counts, cycles, energy, memory (schemaVersion \(RunReport.schemaVersion))
      metrics.csv           one row per sample
      probes/LAYER.VAR.csv  per-step values of probed layers (sample,step,n0,n1,...)
      spikes/LAYER.aer      with --record spikes: every non-input layer's spikes as an AER trace
                            (traces/README.md; `chipsim trace info` reads it)
    The directory appears only when the run has finished (an existing one is replaced).
    With a "learning" section the run trains on chip: epochs over the dataset's train split,
    a test pass after each; report.json gets a "training" block and metrics.csv one row per
    epoch. After every epoch a checkpoint is written atomically (default: DIR.checkpoint.json);
    --resume continues from it and ends with the same report (minus wall clock).

    OPTIONS:
      --out DIR          output directory
      --probe LAYER.VAR  record u, v or spikes of a layer every step (repeatable)
      --record spikes    write the spikes of every non-input layer as AER traces
      --quiet            print nothing on success
      --checkpoint FILE  training checkpoint file (default: DIR.checkpoint.json)
      --resume           continue training from the checkpoint
      --set PATH=VALUE   override a config value before it is checked (JSON path and value,
                         repeatable; recorded in config.resolved.json; docs/SWEEP.md)

    EXAMPLE:
      chipsim run configs/quickstart.json --out runs/quick --probe hidden.v --probe output.spikes
    """

    static func run(_ args: inout Arguments) throws -> Int32 {
        let path = try args.positional("config file")
        let out = try args.value("out")
        let probeSpecs = args.values("probe")
        let record = try args.value("record")
        if let record, record != "spikes" { throw ChipError.usage("--record: only 'spikes' can be recorded") }
        let quiet = args.flag("quiet")
        let checkpoint = try args.value("checkpoint")
        let resume = args.flag("resume")
        let sets = args.values("set")
        try args.finish()

        let config = try ConfigLoader.experiment(path: path, set: sets)
        let table = try Experiment.energyTable(for: config)
        if let learning = config.learning {
            return try train(config: config, learning: learning, table: table, out: out, probes: probeSpecs, quiet: quiet,
                             checkpoint: checkpoint, resume: resume)
        }
        if resume || checkpoint != nil { throw ChipError.usage("--resume and --checkpoint are for training runs (configs with a \"learning\" section)") }
        let source = try Experiment.source(for: config)
        let inputSize = config.network.layers.first { $0.isInput }!.size
        if source.channels != inputSize {
            throw ChipError.config(file: path, path: "$.input", message: "the input has \(source.channels) channels but the input layer has \(inputSize)")
        }
        let probes = try probeSpecs.map { try Probe(spec: $0, network: config.network) }
        let chip = try Chip(config: config)
        let sim = Simulator(chip: chip)
        let dir = try OutputDirectory(out ?? "runs/\(config.name)")
        do {
            let recorder = try ProbeRecorder(probes: probes, simulator: sim, directory: dir)
            let spikeRecorder = record == nil ? nil : try SpikeRecorder(simulator: sim, directory: dir, label: source.label)
            if !probes.isEmpty || spikeRecorder != nil {
                sim.onStep = { s, t in
                    if !probes.isEmpty { recorder.record(sample: s, step: t) }
                    spikeRecorder?.record(sample: s, step: t)
                }
            }
            let start = DispatchTime.now()
            sim.run(source: source) { done, total in Console.progress("sample \(done)/\(total)") }
            Console.progressDone()
            let wall = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            try recorder.close()
            try spikeRecorder?.finish()
            let report = RunReport(simulator: sim, table: table, wallSeconds: wall)
            try finish(dir, resolved: config.resolvedJSON.serialized(), report: report.json, metrics: report.metricsCSV,
                       text: report.text, quiet: quiet)
        } catch {
            dir.discard()
            throw error
        }
        return 0
    }

    /// Writes the standard files, moves the directory into place and prints the table.
    static func finish(_ dir: OutputDirectory, resolved: String, report: JSONValue, metrics: String, text: String, quiet: Bool) throws {
        try dir.write("config.resolved.json", resolved + "\n")
        try dir.write("report.json", report.serialized() + "\n")
        try dir.write("metrics.csv", metrics)
        try dir.commit()
        if !quiet { print(text + "report: \(dir.finalPath)/report.json") }
    }
}

extension RunCommand {
    /// On-chip training: epochs over the train split with the rule learning, test passes after each.
    static func train(config: ExperimentConfig, learning: JSONValue, table: EnergyTable, out: String?,
                      probes: [String], quiet: Bool, checkpoint: String?, resume: Bool) throws -> Int32 {
        if !probes.isEmpty { throw ChipError.usage("--probe is for inference runs; remove it or the learning section") }
        let training = try TrainingConfig.decode(config.training, file: config.file)
        let (trainSource, testSource) = try Experiment.sources(for: config)
        guard let trainSource else {
            throw ChipError.config(file: config.file, path: "$.input", message: "training needs a dataset input (\"kind\": \"dataset\")")
        }
        let chip = try Chip(config: config)
        let sim = Simulator(chip: chip)
        let rule = try RuleFactory.make(learning, config: config)
        try sim.attach(rule: rule)
        if !config.run.resetBetweenSamples { throw ChipError.config(file: config.file, path: "$.run.resetBetweenSamples", message: "training needs true (per-sample learning state is not checkpointed)") }
        let outPath = out ?? "runs/\(config.name)"
        let checkpointPath = checkpoint ?? outPath + ".checkpoint.json"
        var resolved = config.resolvedJSON
        if case var .object(kv) = resolved {
            if let i = kv.firstIndex(where: { $0.0 == "learning" }) { kv[i].1 = rule.parametersJSON }
            if let i = kv.firstIndex(where: { $0.0 == "training" }) { kv[i].1 = training.json } else { kv.append(("training", training.json)) }
            resolved = .object(kv)
        }
        let resolvedText = resolved.serialized()
        let dir = try OutputDirectory(outPath)
        do {
            let trainer = Trainer(simulator: sim, train: trainSource, test: testSource, config: training)
            if resume {
                try Checkpoint.restore(path: checkpointPath, trainer: trainer, rule: rule, config: resolvedText)
                Console.error("resumed from \(checkpointPath) after epoch \(trainer.epochs.count)")
            }
            // CHIPSIM_STOP_AFTER_EPOCH=N simulates an interruption right after epoch N's checkpoint
            // (exit status 75), for testing --resume.
            trainer.beforeEpoch = { e in try rule.setEtaOffset(training.halveRateEvery > 0 ? e / training.halveRateEvery : 0) }
            let stopAfter = ProcessInfo.processInfo.environment["CHIPSIM_STOP_AFTER_EPOCH"].flatMap { Int($0) }
            trainer.afterEpoch = {
                try Checkpoint.write(Checkpoint.json(trainer: trainer, rule: rule, config: resolvedText), to: checkpointPath)
                if trainer.epochs.count == stopAfter { dir.discard(); Console.error("stopped after epoch \(trainer.epochs.count) (CHIPSIM_STOP_AFTER_EPOCH)"); exit(75) }
            }
            trainer.progress = { line in
                if line.contains("accuracy") { Console.progressDone(); Console.error(line) } else { Console.progress(line) }
            }
            let start = DispatchTime.now()
            try trainer.run()
            let wall = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            let report = TrainingReport(run: RunReport(simulator: sim, table: table, wallSeconds: wall), trainer: trainer, rule: rule)
            try finish(dir, resolved: resolvedText, report: report.json, metrics: report.metricsCSV, text: report.text, quiet: quiet)
        } catch {
            dir.discard()
            throw error
        }
        return 0
    }
}

/// Writes each non-input layer's spikes, sample by sample, as an AER trace (one per layer).
final class SpikeRecorder {
    let simulator: Simulator
    var writers: [(layer: Int, writer: TraceWriter, raster: SpikeRaster)] = []
    let label: (Int) -> Int?
    var failure: Error?

    init(simulator: Simulator, directory: OutputDirectory, label: @escaping (Int) -> Int?) throws {
        self.simulator = simulator; self.label = label
        let chip = simulator.chip
        try FileManager.default.createDirectory(atPath: directory.path("spikes"), withIntermediateDirectories: true)
        for (l, layer) in chip.layers.enumerated() where !layer.isInput {
            let w = try TraceWriter(path: directory.path("spikes/\(layer.name).aer"),
                                    shape: TraceShape(width: layer.size, height: 1, polarities: 1),
                                    timestepNanoseconds: 1_000_000)
            writers.append((l, w, SpikeRaster(channels: layer.size)))
        }
    }

    func record(sample: Int, step: Int) {
        for k in 0..<writers.count {
            writers[k].raster.appendStep(simulator.spikesEmitted(layer: writers[k].layer))
        }
        if step == simulator.chip.config.run.steps - 1 {
            for k in 0..<writers.count {
                do { try writers[k].writer.append(writers[k].raster, label: label(sample)) } catch { failure = failure ?? error }
                writers[k].raster = SpikeRaster(channels: writers[k].raster.channels)
            }
        }
    }

    func finish() throws {
        if let failure { throw failure }
        for w in writers { try w.writer.finish() }
    }
}

/// A probe request: `LAYER.u`, `LAYER.v` or `LAYER.spikes`.
struct Probe {
    enum Variable: String { case u, v, spikes }
    let layer: Int
    let layerName: String
    let variable: Variable

    init(spec: String, network: NetworkConfig) throws {
        guard let dot = spec.lastIndex(of: ".") else {
            throw ChipError.usage("--probe '\(spec)': expected LAYER.VAR with VAR one of u, v, spikes")
        }
        let name = String(spec[..<dot]), v = String(spec[spec.index(after: dot)...])
        guard let l = network.layerIndex(name) else {
            throw ChipError.usage("--probe '\(spec)': no layer named '\(name)'; layers: \(network.layers.map(\.name).joined(separator: ", "))")
        }
        guard let variable = Variable(rawValue: v) else {
            throw ChipError.usage("--probe '\(spec)': unknown variable '\(v)'; expected u, v or spikes")
        }
        if network.layers[l].isInput && variable != .spikes {
            throw ChipError.usage("--probe '\(spec)': input layer '\(name)' has no \(v); probe \(name).spikes")
        }
        layer = l; layerName = name; self.variable = variable
    }
}

/// Streams probe values to CSV files as the run goes (memory stays flat on long runs).
final class ProbeRecorder {
    let probes: [Probe]
    let simulator: Simulator
    var chip: Chip { simulator.chip }
    var handles: [FileHandle] = []
    var buffers: [String] = []

    init(probes: [Probe], simulator: Simulator, directory: OutputDirectory) throws {
        self.probes = probes; self.simulator = simulator
        for p in probes {
            let path = directory.path("probes/\(p.layerName).\(p.variable.rawValue).csv")
            try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
                throw ChipError.io(path: path, message: "cannot create the probe file")
            }
            handles.append(h)
            let n = chip.layers[p.layer].size
            buffers.append("sample,step," + (0..<n).map { "n\($0)" }.joined(separator: ",") + "\n")
        }
    }

    func record(sample: Int, step: Int) {
        for (k, p) in probes.enumerated() {
            let n = chip.layers[p.layer].size
            var row = [Int32](repeating: 0, count: n)
            if p.variable == .spikes {
                for s in simulator.spikesEmitted(layer: p.layer) { row[Int(s)] = 1 }
            } else {
                for c in chip.coresOfLayer[p.layer].map({ chip.cores[$0] }) {
                    for pop in c.populations where pop.layer == p.layer {
                        let values = p.variable == .u ? pop.state.u : pop.state.v
                        for j in 0..<pop.count { row[pop.firstNeuron + j] = values[j] }
                    }
                }
            }
            buffers[k] += "\(sample),\(step)," + row.map { String($0) }.joined(separator: ",") + "\n"
            if buffers[k].utf8.count > 1 << 20 { flush(k) }
        }
    }

    func flush(_ k: Int) {
        handles[k].write(Data(buffers[k].utf8))
        buffers[k] = ""
    }

    func close() throws {
        for k in 0..<handles.count { flush(k); try handles[k].close() }
    }
}
