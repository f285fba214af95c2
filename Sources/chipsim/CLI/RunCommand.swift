import Foundation
import ChipModel
import OnChipLearning

enum RunCommand: Subcommand {
    static let name = "run"
    static let summary = "Run an experiment from a JSON config; print and write its report."
    static let flags: Set<String> = ["quiet", "resume", "overwrite"]
    static let help = """
    USAGE: chipsim run <config.json> [--out DIR] [--overwrite] [--probe LAYER.VAR ...] [--quiet]
                       [--checkpoint FILE] [--resume] [--set PATH=VALUE ...]

    Simulates the experiment and writes DIR (default: runs/<config name>):
      config.resolved.json  the config with every default filled in
      report.json           counts, cycles, energy, memory (schemaVersion \(RunReport.schemaVersion))
      metrics.csv           one row per sample
      probes/LAYER.VAR.csv  per-step values of probed layers (sample,step,n0,n1,...)
      spikes/LAYER.aer      with --record spikes: every non-input layer's spikes as an AER trace
                            (traces/README.md; `chipsim trace info` reads it)
    The directory appears only when the run has finished. An existing DIR is replaced only
    when it holds a previous chipsim run (its .chipsim-run marker) and --overwrite is given;
    any other existing file or directory is refused before the run starts (docs/OUTPUT.md).
    A second chipsim writing the same DIR or checkpoint fails at once (lock file .DIR.lock).
    With a "learning" section the run trains on chip: epochs over the dataset's train split,
    a test pass after each; report.json gets a "training" block and metrics.csv one row per
    epoch. After every epoch a checkpoint is written atomically (default: DIR.checkpoint.json),
    and with training.checkpointEvery N also after every N training samples within an epoch;
    --resume continues from it (at the next epoch or sample) and ends with the same report
    (minus wall clock).

    OPTIONS:
      --out DIR          output directory (default: runs/<config name>)
      --overwrite        replace DIR if it holds a previous chipsim run
      --probe LAYER.VAR  record u, v or spikes of a layer every step (repeatable)
      --record spikes    write the spikes of every non-input layer as AER traces
      --quiet            print nothing on success
      --checkpoint FILE  training checkpoint file (default: DIR.checkpoint.json)
      --resume           continue training from the checkpoint
      --set PATH=VALUE   override a config value before it is checked (JSON path and value,
                         repeatable; recorded in config.resolved.json; docs/SWEEP.md)

    ENVIRONMENT:
      CHIPSIM_NO_FUSED=1 run every plasticity program on the interpreter, without the fused
                         kernels (the same report, slower; docs/LEARNING.md "Fused kernels")

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
        let overwrite = args.flag("overwrite")
        let sets = args.values("set")
        try args.finish()

        let config = try ConfigLoader.experiment(path: path, set: sets)
        if resume || checkpoint != nil, config.learning == nil {
            throw ChipError.usage("--resume and --checkpoint are for training runs (configs with a \"learning\" section)")
        }
        let setup = try RunSetup(config: config, probes: probeSpecs)
        let outPath = try out ?? OutputPath.defaultDirectory(name: config.name, file: config.file)
        guard case let .inference(source, probes) = setup.work else {
            return try train(setup, out: outPath, overwrite: overwrite, quiet: quiet, checkpoint: checkpoint, resume: resume)
        }
        let table = setup.table, sim = setup.simulator
        let dir = try OutputDirectory(outPath, kind: "run", overwrite: overwrite)
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
            try finish(dir, resolved: setup.config.resolvedJSON.serialized(), report: report.json, metrics: report.metricsCSV,
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
    static func train(_ setup: RunSetup, out outPath: String, overwrite: Bool, quiet: Bool, checkpoint: String?, resume: Bool) throws -> Int32 {
        guard case let .training(session, _, resolvedText) = setup.work else { return 1 }
        let trainer = session.trainer, rule = session.rule
        let sim = setup.simulator, table = setup.table
        let dir = try OutputDirectory(outPath, kind: "run", overwrite: overwrite)
        // The checkpoint is locked for the whole run: two trainings sharing one checkpoint
        // file fail at once instead of overwriting each other's epochs.
        let checkpointPath = checkpoint ?? dir.finalPath + ".checkpoint.json"
        let checkpointLock: OutputLock
        do {
            let abs = try OutputPath.file(checkpointPath, option: "--checkpoint")
            if abs.hasPrefix(dir.absolutePath + "/") {
                throw ChipError.usage("--checkpoint \(checkpointPath) lies inside the output directory, which is replaced when the run finishes; put it beside it")
            }
            checkpointLock = try OutputLock.acquire(abs)
        } catch {
            dir.discard()
            throw error
        }
        defer { checkpointLock.release() }
        do {
            if resume {
                try Checkpoint.restore(path: checkpointPath, trainer: trainer, rule: rule, config: resolvedText)
                if let p = trainer.inProgress {
                    Console.error("resumed from \(checkpointPath) in epoch \(p.epoch + 1) after training sample \(p.samplesDone)")
                } else {
                    Console.error("resumed from \(checkpointPath) after epoch \(trainer.epochs.count)")
                }
            }
            // CHIPSIM_STOP_AFTER_EPOCH=N simulates an interruption right after epoch N's checkpoint,
            // CHIPSIM_STOP_AFTER_SAMPLE=N right after the mid-epoch checkpoint that follows the
            // run's N-th training sample (counted over epochs; exit status 75), for testing --resume.
            let environment = ProcessInfo.processInfo.environment
            let stopAfter = environment["CHIPSIM_STOP_AFTER_EPOCH"].flatMap { Int($0) }
            let stopAfterSample = environment["CHIPSIM_STOP_AFTER_SAMPLE"].flatMap { Int($0) }
            func stop(_ what: String) -> Never {
                dir.discard(); checkpointLock.release(); Console.progressDone(); Console.error("stopped after \(what)"); exit(75)
            }
            trainer.afterEpoch = {
                try Checkpoint.write(Checkpoint.json(trainer: trainer, rule: rule, config: resolvedText), to: checkpointPath)
                if trainer.epochs.count == stopAfter { stop("epoch \(trainer.epochs.count) (CHIPSIM_STOP_AFTER_EPOCH)") }
            }
            trainer.afterSamples = {
                try Checkpoint.write(Checkpoint.json(trainer: trainer, rule: rule, config: resolvedText), to: checkpointPath)
                if let p = trainer.inProgress, p.epoch * trainer.trainingSamplesPerEpoch + p.samplesDone == stopAfterSample {
                    stop("training sample \(p.samplesDone) of epoch \(p.epoch + 1) (CHIPSIM_STOP_AFTER_SAMPLE)")
                }
            }
            trainer.progress = { line in
                if line.contains("accuracy") { Console.progressDone(); Console.error(line) } else { Console.progress(line) }
            }
            let start = DispatchTime.now(), stepsAtStart = sim.totals.steps
            try trainer.run()
            let wall = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
            let run = RunReport(simulator: sim, table: table, wallSeconds: wall, timedSteps: sim.totals.steps - stepsAtStart)
            let report = TrainingReport(run: run, trainer: trainer, rule: rule)
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
        do { try FileManager.default.createDirectory(atPath: directory.path("spikes"), withIntermediateDirectories: true) } catch {
            throw ChipError.io(path: directory.path("spikes"), message: "cannot create the directory: \(error.localizedDescription)")
        }
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

/// Streams probe values to CSV files as the run goes (memory stays flat on long runs). A
/// write failure (e.g. a full disk) stops the recording and is thrown by `close()`.
final class ProbeRecorder {
    let probes: [Probe]
    let simulator: Simulator
    var chip: Chip { simulator.chip }
    var files: [OutputFile] = []
    var buffers: [String] = []
    var failure: Error?

    init(probes: [Probe], simulator: Simulator, directory: OutputDirectory) throws {
        self.probes = probes; self.simulator = simulator
        for p in probes {
            let path = directory.path("probes/\(p.layerName).\(p.variable.rawValue).csv")
            do {
                try FileManager.default.createDirectory(atPath: OutputPath.directoryPart(of: path), withIntermediateDirectories: true)
            } catch {
                throw ChipError.io(path: path, message: "cannot create the probe directory: \(error.localizedDescription)")
            }
            files.append(try OutputFile(creating: path))
            let n = chip.layers[p.layer].size
            buffers.append("sample,step," + (0..<n).map { "n\($0)" }.joined(separator: ",") + "\n")
        }
    }

    func record(sample: Int, step: Int) {
        guard failure == nil else { return }
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
            if buffers[k].utf8.count > 1 << 20 {
                do { try flush(k) } catch { failure = error; return }
            }
        }
    }

    func flush(_ k: Int) throws {
        try files[k].write(buffers[k])
        buffers[k] = ""
    }

    func close() throws {
        if let failure { throw failure }
        for k in 0..<files.count { try flush(k); try files[k].close() }
    }
}
