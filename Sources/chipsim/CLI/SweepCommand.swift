import Foundation
import ChipModel
import OnChipLearning

/// `chipsim sweep SPEC`: many runs (or compares) of one base config over axes of overrides,
/// seeds and config files, on local worker processes or a Slurm job array (docs/SWEEP.md).
enum SweepCommand: Subcommand {
    static let name = "sweep"
    static let summary = "Run a config over grids of values and seeds, locally or on Slurm."
    static let flags: Set<String> = ["quiet", "list", "slurm", "submit", "retry-failed"]
    static let help = """
    USAGE: chipsim sweep <spec.json> [--jobs N] [--out DIR] [--retry-failed] [--quiet] [--list]
           chipsim sweep <spec.json> --point INDEX|ID [--out DIR]
           chipsim sweep <spec.json> --slurm [--submit] [--partition P] [--time T]
                         [--cpus-per-task C] [--mem M] [--account A] [--qos Q]
                         [--points-per-task K] [--max-parallel M] [--sbatch-option OPT ...]
           chipsim sweep collect <spec.json> [--out DIR]
           chipsim sweep seeds <compare-config.json> --seeds N [--set PATH=VALUE ...] [--jobs N] [--out DIR]

    Runs every point of the spec (a base config, overrides and axes; docs/SWEEP.md) with
    `chipsim run` (or `compare`) semantics, each in its own worker process and directory
    DIR/points/ID (ID: a hash of the point's resolved config), then writes DIR/sweep.csv and
    DIR/index.html. Finished points are skipped, so an interrupted sweep continues where it
    stopped; a failed point is recorded (DIR/points/ID/failed.json) and the others go on.
    Reports do not depend on --jobs or on the order points run in.

    OPTIONS:
      --jobs N             worker processes (default: the number of cores)
      --out DIR            output directory (default: the spec's "out", else runs/<name>)
      --retry-failed       run failed points again (default: keep their recorded error)
      --list               print the points (index, id, values) and exit
      --point INDEX|ID     compute one point in this process (what workers and Slurm tasks run)
      --slurm              write DIR/slurm/sweep.sbatch, a job array over the points
      --submit             with --slurm: submit it with sbatch
      --points-per-task K  with --slurm: points per array task (default 1)
      --max-parallel M     with --slurm: at most M array tasks at once
      --quiet              no progress lines or summary

    `sweep seeds` runs a compare config once per seed (experiment.seed = 1...N, as a sweep
    of kind compare in DIR, default runs/<name>-seeds) and prints every method's accuracy and
    energy as mean ± sd over the seeds (also DIR/compare-seeds.csv).

    EXAMPLES:
      chipsim sweep configs/sweeps/quickstart-seeds.json --jobs 2
      chipsim sweep configs/sweeps/mgd-scaling.json --slurm --partition cpu --time 02:00:00 --submit
      chipsim sweep collect configs/sweeps/mgd-scaling.json
    """

    static func run(_ args: inout Arguments) throws -> Int32 {
        var first = try args.positional("sweep spec file")
        let collect = first == "collect"
        if collect { first = try args.positional("sweep spec file") }
        if first == "seeds" { return try compareSeeds(&args) }
        let specPath = first
        let quiet = args.flag("quiet"), list = args.flag("list"), slurm = args.flag("slurm"), submit = args.flag("submit")
        let retry = args.flag("retry-failed")
        let out = try args.value("out")
        let pointArg = try args.value("point")
        let jobs = try args.int("jobs", default: ProcessInfo.processInfo.activeProcessorCount)
        var slurmOptions = SlurmOptions()
        slurmOptions.partition = try args.value("partition")
        slurmOptions.time = try args.value("time")
        slurmOptions.cpusPerTask = try args.int("cpus-per-task", default: 1)
        slurmOptions.mem = try args.value("mem")
        slurmOptions.account = try args.value("account")
        slurmOptions.qos = try args.value("qos")
        slurmOptions.pointsPerTask = try args.int("points-per-task", default: 1)
        slurmOptions.maxParallel = try args.value("max-parallel").map { s in
            guard let v = Int(s), v >= 1 else { throw ChipError.usage("--max-parallel expects a positive integer, got '\(s)'") }
            return v
        }
        slurmOptions.extra = args.values("sbatch-option")
        try args.finish()
        if jobs < 1 { throw ChipError.usage("--jobs must be at least 1") }
        if slurmOptions.pointsPerTask < 1 || slurmOptions.cpusPerTask < 1 { throw ChipError.usage("--points-per-task and --cpus-per-task must be at least 1") }
        if submit && !slurm { throw ChipError.usage("--submit goes with --slurm") }

        let spec = try SweepSpec.load(path: specPath)
        let points = try spec.points()
        let store = SweepStore(root: out ?? spec.out ?? "runs/\(spec.name)")

        if let pointArg { return try runPoint(pointArg, spec: spec, points: points, store: store, quiet: quiet) }
        if list {
            for p in points {
                print("\(p.index)\t\(p.id)\t" + p.values.map { "\($0.0)=\(SweepPoint.text($0.1))" }.joined(separator: " "))
            }
            return 0
        }
        if collect { return try collectResults(spec: spec, points: points, store: store, quiet: quiet) }
        try store.writePlan(spec, points)
        if slurm { return try writeSlurm(spec: spec, specPath: specPath, points: points, store: store, options: slurmOptions, submit: submit) }
        try runLocal(spec: spec, specPath: specPath, points: points, store: store, jobs: jobs, retry: retry, quiet: quiet)
        return try collectResults(spec: spec, points: points, store: store, quiet: quiet)
    }

    // MARK: One point

    /// Computes one point in this process: prepares its directory, runs `run` (or `compare`)
    /// on the base config with the point's overrides into DIR/points/ID/run, then writes the
    /// done marker; on an error writes the failed marker (exit status 1).
    static func runPoint(_ arg: String, spec: SweepSpec, points: [SweepPoint], store: SweepStore, quiet: Bool) throws -> Int32 {
        guard let p = Int(arg).flatMap({ i in points.indices.contains(i) ? points[i] : nil }) ?? points.first(where: { $0.id == arg }) else {
            throw ChipError.usage("--point '\(arg)': no such point; give an index 0..<\(points.count) or an id (see --list)")
        }
        if store.status(p) == .done {
            if !quiet { Console.error("point \(p.index) (\(p.id)) is already done") }
            return 0
        }
        watchParent()
        try store.prepare(p)
        let start = DispatchTime.now()
        func elapsed() -> Double { Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9 }
        do {
            let argv = [p.configFile] + p.setArguments + ["--out", store.runDir(p), "--quiet"]
            switch spec.kind {
            case .run:
                var a = try Arguments(argv, command: "run", flags: RunCommand.flags)
                _ = try RunCommand.run(&a)
            case .compare:
                var a = try Arguments(argv, command: "compare", flags: CompareCommand.flags)
                _ = try CompareCommand.run(&a)
            }
            try store.markDone(p, wallSeconds: elapsed())
        } catch {
            try store.markFailed(p, error: "\(error)", wallSeconds: elapsed())
            Console.error("point \(p.index) (\(p.id)) failed: \(error)")
            return 1
        }
        return 0
    }

    /// A worker started by a local sweep (CHIPSIM_SWEEP_PARENT set) exits when that sweep is
    /// gone (killed with -9, it cannot stop its workers): otherwise an orphan could still be
    /// computing a point that the resumed sweep computes again.
    static func watchParent() {
        guard let s = ProcessInfo.processInfo.environment["CHIPSIM_SWEEP_PARENT"], let parent = Int32(s) else { return }
        let t = Thread {
            while true {
                if getppid() != parent { _exit(137) }
                usleep(100_000)
            }
        }
        t.start()
    }

    // MARK: Local workers

    static var selfExecutable: String {
        #if os(Linux)
        if let p = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") { return p }
        #endif
        return Bundle.main.executablePath ?? CommandLine.arguments[0]
    }

    static func runLocal(spec: SweepSpec, specPath: String, points: [SweepPoint], store: SweepStore, jobs: Int, retry: Bool, quiet: Bool) throws {
        var pending: [SweepPoint] = []
        var done = 0, failed = 0
        for p in points {
            switch store.status(p) {
            case .done: done += 1
            case .failed: if retry { pending.append(p) } else { failed += 1 }
            case .pending: pending.append(p)
            }
        }
        if !quiet && (done + failed) > 0 {
            Console.error("sweep \(spec.name): \(done) point(s) already done, \(failed) failed earlier (kept; --retry-failed reruns them); \(pending.count) to run")
        }
        var running: [(process: Process, point: SweepPoint, log: FileHandle)] = []
        var finishedWall: [Double] = []
        let start = DispatchTime.now()
        var queue = pending[...]
        var finishedSinceProgress = false   // print after the freed workers are refilled
        func progress() {
            guard !quiet else { return }
            let remaining = queue.count + running.count
            var eta = ""
            if !finishedWall.isEmpty && remaining > 0 {
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
                // Throughput so far (points per second of this session, all workers together).
                let perPoint = elapsed / Double(finishedWall.count)
                eta = ", ETA " + clock(perPoint * Double(remaining))
            }
            Console.error("sweep \(spec.name): \(done)/\(points.count) done, \(failed) failed, \(remaining) remaining (\(running.count) running)\(eta)")
        }
        let exe = selfExecutable
        var env = ProcessInfo.processInfo.environment
        env["CHIPSIM_SWEEP_PARENT"] = String(getpid())
        while !queue.isEmpty || !running.isEmpty {
            while running.count < jobs, let p = queue.first {
                queue = queue.dropFirst()
                try FileManager.default.createDirectory(atPath: store.pointDir(p), withIntermediateDirectories: true)
                guard FileManager.default.createFile(atPath: store.logPath(p), contents: nil), let log = FileHandle(forWritingAtPath: store.logPath(p)) else {
                    throw ChipError.io(path: store.logPath(p), message: "cannot create the worker log")
                }
                let proc = Process()
                proc.executableURL = URL(fileURLWithPath: exe)
                proc.arguments = ["sweep", specPath, "--out", store.root, "--point", p.id, "--quiet"]
                proc.environment = env
                proc.standardOutput = log; proc.standardError = log
                proc.standardInput = FileHandle.nullDevice
                do { try proc.run() } catch {
                    throw ChipError.io(path: exe, message: "cannot start a worker process: \(error.localizedDescription)")
                }
                running.append((proc, p, log))
            }
            if finishedSinceProgress { progress(); finishedSinceProgress = false }
            usleep(20_000)
            var k = 0
            while k < running.count {
                let r = running[k]
                if r.process.isRunning { k += 1; continue }
                running.remove(at: k)
                try? r.log.close()
                let status = r.process.terminationStatus
                if store.status(r.point) == .done {
                    done += 1
                } else {
                    failed += 1
                    if case .failed = store.status(r.point) {} else {
                        let tail = (FileManager.default.contents(atPath: store.logPath(r.point)).map { String(decoding: $0.suffix(600), as: UTF8.self) } ?? "")
                        try store.markFailed(r.point, error: "worker exited with status \(status) without a result: \(tail)", wallSeconds: 0)
                    }
                }
                finishedWall.append(store.wallSeconds(r.point) ?? 0)
                finishedSinceProgress = true
            }
        }
        if finishedSinceProgress { progress() }
    }

    /// h:mm:ss (or m:ss).
    static func clock(_ seconds: Double) -> String {
        let t = Int(seconds.rounded()), h = t / 3600, m = (t % 3600) / 60, s = t % 60
        return h > 0 ? String(format: "%d:%02d:%02d", h, m, s) : String(format: "%d:%02d", m, s)
    }

    // MARK: Results

    static func collectResults(spec: SweepSpec, points: [SweepPoint], store: SweepStore, quiet: Bool) throws -> Int32 {
        let rows = SweepResults.rows(spec: spec, points: points, store: store)
        try FileManager.default.createDirectory(atPath: store.root, withIntermediateDirectories: true)
        try SweepStore.writeAtomically(store.root + "/sweep.csv", SweepResults.csv(spec: spec, rows: rows))
        for (name, text) in SweepReport.files(spec: spec, rows: rows) {
            try SweepStore.writeAtomically(store.root + "/" + name, text)
        }
        let ok = rows.filter { $0.status == "ok" }.count, failed = rows.filter { $0.status == "failed" }.count
        let pending = rows.count - ok - failed
        if !quiet {
            print(SweepReport.text(spec: spec, rows: rows), terminator: "")
            print("sweep \(spec.name): \(rows.count) point(s): \(ok) ok, \(failed) failed, \(pending) not run")
            for r in rows where r.status == "failed" { print("  failed: point \(r.point.index) (\(r.point.id)): \(r.error.prefix(300))") }
            print("results: \(store.root)/sweep.csv, \(store.root)/index.html")
        }
        return ok == rows.count ? 0 : 1
    }

    // MARK: Slurm

    static func absolute(_ p: String) -> String {
        p.hasPrefix("/") ? p : FileManager.default.currentDirectoryPath + "/" + p
    }

    static func writeSlurm(spec: SweepSpec, specPath: String, points: [SweepPoint], store: SweepStore, options: SlurmOptions, submit: Bool) throws -> Int32 {
        let text = SlurmScript.text(name: spec.name, executable: selfExecutable, spec: absolute(specPath), out: absolute(store.root),
                                    workdir: FileManager.default.currentDirectoryPath, points: points.count, options: options)
        let dir = store.root + "/slurm"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let script = dir + "/sweep.sbatch"
        try SweepStore.writeAtomically(script, text)
        chmod(script, 0o755)
        print("wrote \(script): \(SlurmScript.taskCount(points: points.count, pointsPerTask: options.pointsPerTask)) array task(s) for \(points.count) point(s)")
        guard submit else {
            print("submit: sbatch \(script)\nthen:   chipsim sweep collect \(specPath) --out \(store.root)")
            return 0
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["sbatch", "--parsable", script]
        let o = Pipe(), e = Pipe()
        p.standardOutput = o; p.standardError = e
        do { try p.run() } catch { throw ChipError.io(path: "sbatch", message: "cannot run sbatch: \(error.localizedDescription)") }
        let od = o.fileHandleForReading.readDataToEndOfFile(), ed = e.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw ChipError.io(path: "sbatch", message: "sbatch failed (status \(p.terminationStatus)): \(String(decoding: ed, as: UTF8.self))")
        }
        let job = String(decoding: od, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ";").first.map(String.init) ?? ""
        print("submitted job \(job)\nwhen it has finished: chipsim sweep collect \(specPath) --out \(store.root)")
        return 0
    }
}

extension SweepCommand {
    /// `chipsim sweep seeds COMPARE --seeds N`: the compare config as a sweep over seeds 1...N,
    /// then mean ± sd per method (CompareSeeds).
    static func compareSeeds(_ args: inout Arguments) throws -> Int32 {
        let path = try args.positional("compare config file")
        let quiet = args.flag("quiet")
        let seeds = try args.int("seeds", default: 3)
        let jobs = try args.int("jobs", default: ProcessInfo.processInfo.activeProcessorCount)
        let out = try args.value("out")
        let sets = args.values("set")
        try args.finish()
        if seeds < 1 || jobs < 1 { throw ChipError.usage("--seeds and --jobs must be at least 1") }
        let overrides = try ConfigOverride.parse(sets)
        _ = try ConfigLoader.compare(path: path, set: sets)   // a bad config fails here, once
        let name = ((path as NSString).lastPathComponent as NSString).deletingPathExtension + "-seeds"
        let store = SweepStore(root: out ?? "runs/\(name)")
        try FileManager.default.createDirectory(atPath: store.root, withIntermediateDirectories: true)
        let specPath = store.root + "/seeds-spec.json"
        try SweepStore.writeAtomically(specPath, CompareSeeds.specJSON(name: name, compareConfig: absolute(path), overrides: overrides, seeds: seeds).serialized() + "\n")
        let spec = try SweepSpec.load(path: specPath)
        let points = try spec.points()
        try store.writePlan(spec, points)
        try runLocal(spec: spec, specPath: specPath, points: points, store: store, jobs: jobs, retry: false, quiet: quiet)
        let status = try collectResults(spec: spec, points: points, store: store, quiet: true)
        let stats = CompareSeeds.stats(points: points, store: store)
        try SweepStore.writeAtomically(store.root + "/compare-seeds.csv", CompareSeeds.csv(stats))
        if !quiet {
            print(CompareSeeds.text(stats, seeds: seeds) + "results: \(store.root)/compare-seeds.csv; per seed: \(store.root)/points/ID/run/index.html (\(store.root)/sweep.csv)")
        }
        return status
    }
}
