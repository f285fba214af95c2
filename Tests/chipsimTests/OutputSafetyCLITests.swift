import Foundation
import Testing
import ChipModel
import OnChipLearning

// Output safety of `chipsim run` / `compare` (docs/OUTPUT.md): existing paths are replaced
// only when they hold a previous chipsim output of the same kind and --overwrite is given;
// odd paths are refused before any work; config names never escape runs/; a second writer
// fails at once; partial leftovers of dead processes are cleaned up.

private let quickstart = repoRoot + "/configs/quickstart.json"
private let fm = FileManager.default

/// The pid of a process that has exited (its partial files are stale).
private func deadPid() throws -> Int32 {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", "exit 0"]
    try p.run(); p.waitUntilExit()
    return p.processIdentifier
}

private func list(_ dir: String) -> [String] { ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).sorted() }

@Suite(.serialized) struct OutputSafetyCLITests {
    @Test func existingForeignDirectoryIsRefusedEvenWithOverwrite() throws {
        let dir = tempDir("out-foreign")
        defer { try? fm.removeItem(atPath: dir) }
        try fm.createDirectory(atPath: dir + "/q/sub", withIntermediateDirectories: true)
        try "keep".write(toFile: dir + "/q/mine.txt", atomically: true, encoding: .utf8)
        for extra in [[], ["--overwrite"]] {
            let r = try chipsim(["run", quickstart, "--out", dir + "/q", "--quiet"] + extra)
            #expect(r.status == 1, "\(r.err)")
            #expect(r.err.contains("not a chipsim output directory"), "\(r.err)")
        }
        #expect(list(dir + "/q") == ["mine.txt", "sub"])
        #expect(list(dir) == ["q"], "nothing left beside it: \(list(dir))")
    }

    @Test func regularFileIsRefusedAndKept() throws {
        let dir = tempDir("out-file")
        defer { try? fm.removeItem(atPath: dir) }
        try "keep".write(toFile: dir + "/q", atomically: true, encoding: .utf8)
        let r = try chipsim(["run", quickstart, "--out", dir + "/q", "--quiet", "--overwrite"])
        #expect(r.status == 1)
        #expect(r.err.contains("is not a directory"), "\(r.err)")
        #expect(try String(contentsOfFile: dir + "/q", encoding: .utf8) == "keep")
    }

    @Test func previousRunIsReplacedOnlyWithOverwriteAndOnlyBySameKind() throws {
        let dir = tempDir("out-rerun")
        defer { try? fm.removeItem(atPath: dir) }
        let q = dir + "/q"
        #expect(try chipsim(["run", quickstart, "--out", q, "--quiet"]).status == 0)
        #expect(try String(contentsOfFile: q + "/.chipsim-run", encoding: .utf8) == "run\n")
        try "old".write(toFile: q + "/report.json", atomically: true, encoding: .utf8)
        let again = try chipsim(["run", quickstart, "--out", q, "--quiet"])
        #expect(again.status == 1)
        #expect(again.err.contains("pass --overwrite"), "\(again.err)")
        #expect(try String(contentsOfFile: q + "/report.json", encoding: .utf8) == "old")
        let over = try chipsim(["run", quickstart, "--out", q + "/", "--quiet", "--overwrite"])
        #expect(over.status == 0, "\(over.err)")
        #expect(try String(contentsOfFile: q + "/report.json", encoding: .utf8).hasPrefix("{"))
        // A run directory is not a compare directory: refused before any training.
        let cmp = try chipsim(["compare", repoRoot + "/configs/compare-quick.json", "--out", q, "--overwrite"])
        #expect(cmp.status == 1)
        #expect(cmp.err.contains("holds a chipsim 'run' output, not a 'compare' output"), "\(cmp.err)")
        #expect(list(dir) == ["q"], "no lock or partial left: \(list(dir))")
    }

    @Test func emptyDirectoryIsUsed() throws {
        let dir = tempDir("out-empty")
        defer { try? fm.removeItem(atPath: dir) }
        try fm.createDirectory(atPath: dir + "/q", withIntermediateDirectories: true)
        let r = try chipsim(["run", quickstart, "--out", dir + "/q", "--quiet"])
        #expect(r.status == 0, "\(r.err)")
        #expect(fm.fileExists(atPath: dir + "/q/report.json"))
    }

    @Test func oddOutPathsAreRefusedUpFrontOrWork() throws {
        let dir = tempDir("out-odd")
        defer { try? fm.removeItem(atPath: dir) }
        try fm.createDirectory(atPath: dir + "/cwd/a", withIntermediateDirectories: true)
        let cwd = dir + "/cwd"
        try "x".write(toFile: cwd + "/keep.txt", atomically: true, encoding: .utf8)
        // Each is the working directory, an ancestor, the root or empty: usage errors (64).
        for out in [".", "./", "..", "/", "a/..", "", "a/../.."] {
            let r = try chipsim(["run", quickstart, "--out", out, "--quiet"], cwd: cwd)
            #expect(r.status == 64, "--out '\(out)': \(r.status) \(r.err)")
            #expect(r.err.hasPrefix("error: --out"), "--out '\(out)': \(r.err)")
        }
        // `~` is the home directory: an existing directory without a marker, refused.
        let home = try chipsim(["run", quickstart, "--out", "~", "--quiet"], cwd: cwd)
        #expect(home.status == 1 && home.err.contains("not a chipsim output directory"), "\(home.err)")
        // One-character relative names and a trailing slash work.
        for out in ["x", "y/", "a/b"] {
            let r = try chipsim(["run", quickstart, "--out", out, "--quiet"], cwd: cwd)
            #expect(r.status == 0, "--out '\(out)': \(r.err)")
        }
        #expect(list(cwd) == ["a", "keep.txt", "x", "y"], "\(list(cwd))")
        // A config whose own path is one character (a dataset config: its data are found
        // relative to it).
        try TrainingCLITests.regression.write(toFile: cwd + "/t", atomically: true, encoding: .utf8)
        let v = try chipsim(["validate", "t"], cwd: cwd)
        #expect(v.status == 0 && v.out.hasPrefix("t: valid training config"), "\(v.out) \(v.err)")
        #expect(fm.fileExists(atPath: cwd + "/y/report.json") && fm.fileExists(atPath: cwd + "/a/b/report.json"))
    }

    @Test func configNameCannotEscapeTheOutputRoot() throws {
        let dir = tempDir("out-name")
        defer { try? fm.removeItem(atPath: dir) }
        try fm.createDirectory(atPath: dir + "/work/deep", withIntermediateDirectories: true)
        try "precious".write(toFile: dir + "/victim", atomically: true, encoding: .utf8)
        var text = try String(contentsOfFile: quickstart, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"name\": \"quickstart\"", with: "\"name\": \"../../victim\"")
        #expect(text.contains("../../victim"))
        try text.write(toFile: dir + "/work/deep/evil.json", atomically: true, encoding: .utf8)
        for cmd in ["run", "validate"] {
            let r = try chipsim([cmd, "evil.json"], cwd: dir + "/work/deep")
            #expect(r.status == 1, "\(cmd): \(r.err)")
            #expect(r.err.contains("$.name") && r.err.contains("../../victim"), "\(cmd): \(r.err)")
        }
        #expect(try String(contentsOfFile: dir + "/victim", encoding: .utf8) == "precious")
        #expect(list(dir + "/work") == ["deep"] && list(dir + "/work/deep") == ["evil.json"])
    }

    @Test func secondWriterFailsAtOnceWhileTheLockIsHeld() throws {
        let dir = tempDir("out-lock")
        defer { try? fm.removeItem(atPath: dir) }
        // Hold the lock as a running chipsim does: flock on .q.lock beside the output.
        let fd = open(dir + "/.q.lock", O_RDWR | O_CREAT, 0o644)
        #expect(fd >= 0)
        #expect(flock(fd, LOCK_EX | LOCK_NB) == 0)
        let r = try chipsim(["run", quickstart, "--out", dir + "/q", "--quiet"])
        #expect(r.status == 1)
        #expect(r.err.contains("another chipsim") && r.err.contains(".q.lock"), "\(r.err)")
        #expect(!fm.fileExists(atPath: dir + "/q"))
        // The same for a checkpoint shared by two training runs.
        try TrainingCLITests.regression.write(toFile: dir + "/t.json", atomically: true, encoding: .utf8)
        let cfd = open(dir + "/.shared.json.lock", O_RDWR | O_CREAT, 0o644)
        #expect(flock(cfd, LOCK_EX | LOCK_NB) == 0)
        let t = try chipsim(["run", dir + "/t.json", "--out", dir + "/t", "--checkpoint", dir + "/shared.json", "--quiet"])
        #expect(t.status == 1)
        #expect(t.err.contains("another chipsim") && t.err.contains(".shared.json.lock"), "\(t.err)")
        #expect(!fm.fileExists(atPath: dir + "/t"))
        close(cfd)
        close(fd)
        // Released (the holder closed it, as a killed process's descriptors are): it runs.
        let after = try chipsim(["run", quickstart, "--out", dir + "/q", "--quiet"])
        #expect(after.status == 0, "\(after.err)")
    }

    @Test func stalePartialsOfDeadRunsAreCleanedUp() throws {
        let dir = tempDir("out-stale")
        defer { try? fm.removeItem(atPath: dir) }
        let dead = try deadPid()
        try fm.createDirectory(atPath: dir + "/.q.partial-\(dead)", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: dir + "/.q.partial-\(dead).old", withIntermediateDirectories: true)
        // A live process's partial (ours) is not touched; nor is another output's.
        try fm.createDirectory(atPath: dir + "/.other.partial-\(dead)", withIntermediateDirectories: true)
        try "{}".write(toFile: dir + "/t.checkpoint.json.partial-\(dead)", atomically: true, encoding: .utf8)
        #expect(try chipsim(["run", quickstart, "--out", dir + "/q", "--quiet"]).status == 0)
        #expect(list(dir) == [".other.partial-\(dead)", "q", "t.checkpoint.json.partial-\(dead)"], "\(list(dir))")
        // A training run cleans its checkpoint's stale partials when it writes the checkpoint.
        try TrainingCLITests.regression.write(toFile: dir + "/t.json", atomically: true, encoding: .utf8)
        let t = try chipsim(["run", dir + "/t.json", "--out", dir + "/t", "--quiet"])
        #expect(t.status == 0, "\(t.err)")
        #expect(list(dir) == [".other.partial-\(dead)", "q", "t", "t.checkpoint.json", "t.json"], "\(list(dir))")
    }

    /// A run killed with SIGKILL (no chance to clean up) leaves its partial directory and lock
    /// file; the next run on the same output is not blocked and removes the partial.
    @Test func aKilledRunDoesNotBlockTheNextOne() throws {
        let dir = tempDir("out-killed")
        defer { try? fm.removeItem(atPath: dir) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chipsimPath)
        p.arguments = ["run", repoRoot + "/configs/opzo-yinyang.json", "--out", dir + "/q", "--quiet"]
        p.standardError = Pipe()
        try p.run()
        let partial = dir + "/.q.partial-\(p.processIdentifier)"
        let deadline = Date().addingTimeInterval(60)
        while !fm.fileExists(atPath: partial) && Date() < deadline { usleep(20_000) }
        #expect(fm.fileExists(atPath: partial))
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        #expect(list(dir).contains(".q.lock") && list(dir).contains(".q.partial-\(p.processIdentifier)"), "\(list(dir))")
        let r = try chipsim(["run", quickstart, "--out", dir + "/q", "--quiet"])
        #expect(r.status == 0, "\(r.err)")
        // The killed training's checkpoint lock file stays (unheld, reused by the next
        // training on that checkpoint); the output's own lock file and partial are gone.
        #expect(list(dir) == [".q.checkpoint.json.lock", "q"], "\(list(dir))")
    }

    /// SIGTERM (and Ctrl-C's SIGINT) mid-run: the partial directory and the lock files are
    /// removed before the process ends with status 128 + 15.
    @Test func anInterruptedRunLeavesNothingBehind() throws {
        let dir = tempDir("out-sigterm")
        defer { try? fm.removeItem(atPath: dir) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chipsimPath)
        p.arguments = ["run", repoRoot + "/configs/opzo-yinyang.json", "--out", dir + "/q", "--quiet"]
        p.standardError = Pipe()
        try p.run()
        let partial = dir + "/.q.partial-\(p.processIdentifier)"
        let deadline = Date().addingTimeInterval(60)
        while !fm.fileExists(atPath: partial) && Date() < deadline { usleep(20_000) }
        #expect(fm.fileExists(atPath: partial))
        usleep(100_000)   // into the training (checkpoint lock held too)
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        #expect(p.terminationStatus == 128 + SIGTERM)
        #expect(list(dir) == [], "\(list(dir))")
    }

    @Test func badCheckpointPathsAreRefusedBeforeTraining() throws {
        let dir = tempDir("out-ckpt")
        defer { try? fm.removeItem(atPath: dir) }
        try TrainingCLITests.regression.write(toFile: dir + "/t.json", atomically: true, encoding: .utf8)
        for (ckpt, message) in [("c/", "names a directory"), (".", "is a directory"), ("", "the path is empty"),
                                ("t/c.json", "inside the output directory")] {
            let r = try chipsim(["run", "t.json", "--out", "t", "--checkpoint", ckpt, "--quiet"], cwd: dir)
            #expect(r.status == 64, "--checkpoint '\(ckpt)': \(r.err)")
            #expect(r.err.contains(message), "--checkpoint '\(ckpt)': \(r.err)")
        }
        #expect(list(dir) == ["t.json"], "\(list(dir))")
        // One-character checkpoint names work.
        let r = try chipsim(["run", "t.json", "--out", "t", "--checkpoint", "c", "--quiet"], cwd: dir)
        #expect(r.status == 0, "\(r.err)")
        #expect(list(dir) == ["c", "t", "t.json"], "\(list(dir))")
    }

    @Test func traceOutputsThatAreDirectoriesAreUsageErrors() throws {
        let dir = tempDir("out-trace")
        defer { try? fm.removeItem(atPath: dir) }
        for out in [".", "./", "", "/", "x/", "~"] {
            let r = try chipsim(["trace", "encode", "--dataset", "yinyang", "--count", "2", "--out", out], cwd: dir)
            #expect(r.status == 64, "--out '\(out)': \(r.err)")
        }
        #expect(mkfifo(dir + "/p", 0o644) == 0)
        let fifo = try chipsim(["trace", "encode", "--dataset", "yinyang", "--count", "2", "--out", "p"], cwd: dir)
        #expect(fifo.status == 1 && fifo.err.contains("not a regular file"), "\(fifo.err)")
        let r = try chipsim(["trace", "encode", "--dataset", "yinyang", "--count", "2", "--out", "t"], cwd: dir)
        #expect(r.status == 0, "\(r.err)")
        #expect(list(dir) == ["p", "t"])
    }

    @Test func writeFailuresAreCleanErrors() throws {
        // /dev/full accepts open() and fails every write with ENOSPC: a full disk.
        guard fm.fileExists(atPath: "/dev/full") else { return }
        let shape = TraceShape(width: 4, height: 1, polarities: 1)
        #expect(throws: ChipError.self) {
            let w = try TraceWriter(path: "/dev/full", shape: shape, timestepNanoseconds: 1000)
            try w.finish()
        }
        let f = try OutputFile(creating: "/dev/full")
        #expect(throws: ChipError.self) { try f.write("x") }
        #expect(throws: ChipError.self) { try AtomicFile.write([1, 2, 3], to: "/dev/null/x", durable: true, locked: false) }
        // A special file (here a FIFO, as a device would be), a directory or a symbolic link
        // is never replaced by a file.
        let dir = tempDir("atomic")
        defer { try? fm.removeItem(atPath: dir) }
        #expect(mkfifo(dir + "/p", 0o644) == 0)
        #expect(throws: ChipError.self) { try AtomicFile.write([1], to: dir + "/p", durable: false, locked: false) }
        var st = stat()
        #expect(lstat(dir + "/p", &st) == 0 && st.st_mode & S_IFMT == S_IFIFO, "the FIFO is still a FIFO")
        try fm.createDirectory(atPath: dir + "/d", withIntermediateDirectories: true)
        try fm.createSymbolicLink(atPath: dir + "/l", withDestinationPath: dir + "/target")
        #expect(throws: ChipError.self) { try AtomicFile.write([1], to: dir + "/d", durable: false, locked: true) }
        #expect(throws: ChipError.self) { try AtomicFile.write([1], to: dir + "/l", durable: false, locked: true) }
        try AtomicFile.write([7, 8], to: dir + "/f", durable: true, locked: true)
        try AtomicFile.write([9], to: dir + "/f", durable: true, locked: true)
        #expect(fm.contents(atPath: dir + "/f") == Data([9]))
        #expect(list(dir) == ["d", "f", "l", "p"], "no partial or lock left: \(list(dir))")
    }
}

@Suite struct IntegerOptionTests {
    /// Values beyond Int, beyond the option's range, negative and non-numeric: each a usage
    /// error (exit 64) naming the option and its range, never a trap.
    @Test func outOfRangeIntegerOptionsAreUsageErrors() throws {
        let cases: [([String], String)] = [
            (["trace", "nmnist", "x.bin", "--out", "o.aer", "--bin-us", "9223372036854775807"], "--bin-us expects an integer in 1...4294967"),
            (["trace", "nmnist", "x.bin", "--out", "o.aer", "--label", "99999999999"], "--label expects an integer in 0...2147483647"),
            (["trace", "nmnist", "x.bin", "--out", "o.aer", "--steps", "0"], "--steps expects an integer in 1...1048576"),
            (["trace", "encode", "--first", "9223372036854775807", "--out", "o.aer"], "--first expects an integer in 0...4294967295"),
            (["trace", "encode", "--steps", "1000000000", "--out", "o.aer"], "--steps expects an integer in 1...1048576"),
            (["trace", "encode", "--steps", "1048576", "--count", "1000", "--out", "o.aer"], "exceeds 100000000 timesteps"),
            (["trace", "encode", "--count", "99999999999999999999999", "--out", "o.aer"], "(out of range)"),
            (["trace", "encode", "--seed", "-1", "--out", "o.aer"], "--seed expects an integer in 0..."),
            (["asm", "--fraction-bits", "17", "--rule", "dw = x1"], "--fraction-bits expects an integer in 0...16"),
            (["bench", "train", "--samples", "-5"], "--samples expects an integer in 1...10000000"),
            (["bench", "route", "--steps", "twelve"], "--steps expects an integer in 1...10000000, got 'twelve'"),
            (["bench", "route", "--mesh", "99999999999x99999999999"], "--mesh expects WxH with W and H in 1...64"),
        ]
        for (args, message) in cases {
            let r = try chipsim(args)
            #expect(r.status == 64, "\(args): \(r.status) \(r.err)")
            #expect(r.err.contains(message), "\(args): \(r.err)")
        }
    }
}

@Suite struct ValidateAgreesWithRunTests {
    /// A config whose rule's feedback synapses overflow the learning memory: validate must
    /// refuse it with the same capacity error run gives (it used to say valid).
    @Test func learningMemoryOverflowIsRefusedByValidateAsByRun() throws {
        let dir = tempDir("validate-lm")
        defer { try? fm.removeItem(atPath: dir) }
        // The one-core variant: 397,000 bytes of forward synapses fit in 400,000; the 10 x 500
        // 32-bit feedback synapses (20,000 bytes + overhead) do not.
        var text = try String(contentsOfFile: repoRoot + "/configs/opzo-mnist-bigcore.json", encoding: .utf8)
        text = text.replacingOccurrences(of: "\"synapseMemoryBytes\": 1048576", with: "\"synapseMemoryBytes\": 400000")
        try #require(text.contains("400000"), "the config no longer names 1048576 bytes of synapse memory")
        try text.write(toFile: dir + "/lm.json", atomically: true, encoding: .utf8)
        let v = try chipsim(["validate", dir + "/lm.json"])
        let r = try chipsim(["run", dir + "/lm.json", "--out", dir + "/out", "--quiet"])
        #expect(v.status == 1 && r.status == 1, "validate \(v.status) \(v.err) / run \(r.status) \(r.err)")
        #expect(v.err.contains("feedback synapses") && v.err.contains("bytes more"), "\(v.err)")
        #expect(v.err == r.err)
        #expect(list(dir) == ["lm.json"])
    }

    @Test func validatePrintsWhatTheRunWillDo() throws {
        let mesh = try chipsim(["validate", "configs/mesh-4x4.json"])
        #expect(mesh.status == 0, "\(mesh.err)")
        // 7 cores are input spike sources, 4 hold hidden, 1 the output: 12 used, as the report places them.
        #expect(mesh.out.contains("chip: 12 of 16 core(s) used"), "\(mesh.out)")
        #expect(mesh.out.components(separatedBy: "(spike source)").count - 1 == 7, "\(mesh.out)")
        #expect(!mesh.out.contains("): ,"), "a core line without contents: \(mesh.out)")
        let train = try chipsim(["validate", "configs/opzo-mnist.json"])
        #expect(train.status == 0, "\(train.err)")
        // opzo-mnist: 12 epochs of the 4000-sample train split, 1000 test samples.
        #expect(train.out.contains("12 epoch(s) of 4000 training samples (of 4000) then 1000 test samples (of 1000)"), "\(train.out)")
        let cmp = try chipsim(["validate", "configs/compare-quick.json"])
        #expect(cmp.status == 0, "\(cmp.err)")
        #expect(cmp.out.contains("on-chip opzo: 2000 training samples then 1000 test samples"), "\(cmp.out)")
    }

    /// An inline experiment's error names its full path and comes before any training.
    @Test func compareConfigErrorsNameTheFullPathBeforeTraining() throws {
        let dir = tempDir("validate-compare")
        defer { try? fm.removeItem(atPath: dir) }
        var text = try String(contentsOfFile: repoRoot + "/configs/compare-quick.json", encoding: .utf8)
        text = text.replacingOccurrences(of: "\"encoder\": {\"kind\": \"rate\", \"steps\": 16}", with: "\"encoder\": {\"kind\": \"latency\", \"steps\": 16}")
        text = text.replacingOccurrences(of: "\"host/", with: "\"\(repoRoot)/configs/host/")
        #expect(text.contains("latency"))
        try text.write(toFile: dir + "/c.json", atomically: true, encoding: .utf8)
        for cmd in [["validate", dir + "/c.json"], ["compare", dir + "/c.json", "--out", dir + "/out"]] {
            let r = try chipsim(cmd)
            #expect(r.status == 1, "\(cmd): \(r.err)")
            #expect(r.err.contains("$.experiment.input.encoder.kind"), "\(cmd): \(r.err)")
            #expect(!r.err.contains("accuracy"), "training ran first: \(r.err)")
        }
        #expect(list(dir) == ["c.json"])
    }
}

@Suite struct NewcomerTests {
    /// Every example line of `asm --help` runs; the shipped .mc files are the built-in rules.
    @Test func asmHelpExamplesRunAndShippedFilesMatchTheBuiltins() throws {
        let help = try chipsim(["asm", "--help"])
        let examples = help.out.components(separatedBy: "EXAMPLES:").last!.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }.filter { $0.hasPrefix("chipsim asm ") }
        #expect(examples.count >= 2)
        for e in examples {
            // The examples' single argument after `asm` (a path, or --rule "...").
            let rest = String(e.dropFirst("chipsim asm ".count))
            let args = rest.hasPrefix("--rule ") ? ["--rule", String(rest.dropFirst(7).dropFirst().dropLast())] : [rest]
            let r = try chipsim(["asm"] + args)
            #expect(r.status == 0, "\(e): \(r.err)")
        }
        for rule in ["stdp", "rstdp"] {
            let file = try chipsim(["asm", "configs/microcode/\(rule).mc"]), builtin = try chipsim(["asm", "--builtin", rule])
            // The same disassembly (after the title line) and costs.
            let f = file.out.split(separator: "\n").dropFirst(), b = builtin.out.components(separatedBy: "\n\n").last!.split(separator: "\n").dropFirst()
            #expect(file.status == 0 && Array(f) == Array(b), "\(rule): \(file.out) vs \(builtin.out)")
        }
    }

    @Test func versionIsPrinted() throws {
        for flag in ["--version", "version"] {
            let r = try chipsim([flag])
            #expect(r.status == 0)
            #expect(r.out.hasPrefix("chipsim ") && r.out.split(separator: ".").count >= 3, "\(r.out)")
        }
    }
}

@Suite(.serialized) struct ResumedSpeedTests {
    /// A run resumed after epoch 1 of 3 simulates 2 epochs' steps in its wall clock: its
    /// stepsPerSecond x seconds is those steps (2/3 of the total: every epoch runs the same
    /// samples), not the whole run's.
    @Test func resumedStepsPerSecondCountsOnlyTheResumedSteps() throws {
        let dir = tempDir("resume-speed")
        defer { try? fm.removeItem(atPath: dir) }
        try TrainingCLITests.regression.write(toFile: dir + "/t.json", atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chipsimPath)
        p.arguments = ["run", dir + "/t.json", "--out", dir + "/part", "--quiet"]
        p.environment = ProcessInfo.processInfo.environment.merging(["CHIPSIM_STOP_AFTER_EPOCH": "1"]) { $1 }
        p.standardError = Pipe()
        try p.run(); p.waitUntilExit()
        #expect(p.terminationStatus == 75)
        let r = try chipsim(["run", dir + "/t.json", "--out", dir + "/part", "--quiet", "--resume"])
        #expect(r.status == 0, "\(r.err)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/part/report.json"))) as! [String: Any]
        let wall = report["wallClock"] as! [String: Any]
        let summary = report["summary"] as! [String: Any]
        let total = (summary["totalSteps"] as! NSNumber).doubleValue
        let timed = (wall["stepsPerSecond"] as! NSNumber).doubleValue * (wall["seconds"] as! NSNumber).doubleValue
        #expect(total > 0)
        #expect(abs(timed - total * 2 / 3) <= 1e-6 * total, "timed \(timed) of \(total)")
    }
}
