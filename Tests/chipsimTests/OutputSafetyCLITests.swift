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
    }
}
