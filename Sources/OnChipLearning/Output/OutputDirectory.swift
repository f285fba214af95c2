import Foundation
import ChipModel

/// A run's output directory, written atomically and never over a user's files.
///
/// - The directory must be new, empty, or hold a previous chipsim output of the same kind
///   (its `.chipsim-run` marker names the kind: `run`, `compare`, ...) *and* the user must
///   have passed `--overwrite`. A regular file, a symbolic link, a non-empty directory
///   without the marker or with another kind's marker is refused before any work starts.
/// - `.BASE.lock` beside it is held for the whole run (OutputLock): a second chipsim writing
///   the same directory fails at once.
/// - Everything is written into the sibling `.BASE.partial-PID`, which is renamed into
///   place only when complete, so a failed run never leaves a half-written report; partial
///   directories of dead processes are removed by the next run on the same output.
public final class OutputDirectory {
    public static let markerName = ".chipsim-run"

    /// The path as the user gave it (for messages).
    public let finalPath: String
    /// Absolute and normalised (OutputPath.directory).
    public let absolutePath: String
    public let tempPath: String
    public let kind: String
    let overwrite: Bool
    private var lock: OutputLock?

    /// Claims `path` for an output of `kind` (checks, locks, creates the temporary directory).
    public init(_ path: String, kind: String, overwrite: Bool, option: String = "--out") throws {
        var shown = path
        while shown.count > 1 && shown.hasSuffix("/") { shown.removeLast() }
        finalPath = shown
        absolutePath = try OutputPath.directory(path, option: option)
        self.kind = kind
        self.overwrite = overwrite
        let (parent, base) = OutputPath.split(absolutePath)
        tempPath = OutputPath.join(parent, ".\(base).partial-\(getpid())")
        let lock = try OutputLock.acquire(absolutePath)
        do {
            try OutputDirectory.checkReplaceable(absolutePath, shown: shown, kind: kind, overwrite: overwrite)
            StalePartials.clean(parent: parent, prefix: ".\(base).partial-")
            InterruptCleanup.register(tempPath)
            let fm = FileManager.default
            do {
                if fm.fileExists(atPath: tempPath) { try fm.removeItem(atPath: tempPath) }
                try fm.createDirectory(atPath: tempPath, withIntermediateDirectories: false)
            } catch {
                throw ChipError.io(path: shown, message: "cannot create the output directory: \(error.localizedDescription)")
            }
            try AtomicFile.write(Array("\(kind)\n".utf8), to: tempPath + "/" + OutputDirectory.markerName, durable: false, locked: false)
        } catch {
            try? FileManager.default.removeItem(atPath: tempPath)
            InterruptCleanup.unregister(tempPath)
            lock.release()
            throw error
        }
        self.lock = lock
    }

    /// The marker's kind of a directory, nil without a marker.
    public static func markedKind(_ dir: String) -> String? {
        guard let d = FileManager.default.contents(atPath: dir + "/" + markerName) else { return nil }
        return String(decoding: d, as: UTF8.self).split(separator: "\n").first.map(String.init) ?? ""
    }

    /// Throws unless `abs` may become an output of `kind` (see the type's comment).
    public static func checkReplaceable(_ abs: String, shown: String, kind: String, overwrite: Bool) throws {
        var st = stat()
        guard lstat(abs, &st) == 0 else {
            if errno == ENOENT { return }
            throw OutputFile.error(shown, "cannot inspect the output path")
        }
        let type = st.st_mode & S_IFMT
        if type == S_IFLNK {
            throw ChipError.io(path: shown, message: "is a symbolic link; chipsim replaces output directories as a whole, so give the real path or a new one")
        }
        guard type == S_IFDIR else {
            throw ChipError.io(path: shown, message: "exists and is not a directory; chipsim will not replace it: remove it yourself or choose another output path")
        }
        let entries: [String]
        do { entries = try FileManager.default.contentsOfDirectory(atPath: abs) } catch {
            throw ChipError.io(path: shown, message: "cannot list the existing directory: \(error.localizedDescription)")
        }
        if entries.isEmpty { return }
        guard let found = markedKind(abs) else {
            throw ChipError.io(path: shown, message: "exists and is not a chipsim output directory (no \(markerName) marker); chipsim will not replace it: choose a new output path")
        }
        guard found == kind else {
            throw ChipError.io(path: shown, message: "holds a chipsim '\(found)' output, not a '\(kind)' output; choose another output path")
        }
        guard overwrite else {
            throw ChipError.io(path: shown, message: "holds a previous chipsim \(kind) output; pass --overwrite to replace it, or choose another output path")
        }
    }

    public func path(_ name: String) -> String { tempPath + "/" + name }

    public func write(_ name: String, _ text: String) throws {
        let p = path(name)
        let dir = OutputPath.directoryPart(of: p)
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let f = try OutputFile(creating: p)
            try f.write(text)
            try f.close()
        } catch {
            let why = (error as? ChipError).map { e -> String in if case let .io(_, m) = e { return m }; return "\(e)" } ?? error.localizedDescription
            throw ChipError.io(path: finalPath + "/" + name, message: "cannot write: \(why)")
        }
    }

    /// Moves the finished directory into place (checking again that what it replaces is
    /// still replaceable) and releases the lock.
    public func commit() throws {
        guard let lock else { throw ChipError.io(path: finalPath, message: "output already committed or discarded") }
        defer {
            InterruptCleanup.unregister(tempPath)
            lock.release(); self.lock = nil
        }
        let fm = FileManager.default
        do {
            try OutputDirectory.checkReplaceable(absolutePath, shown: finalPath, kind: kind, overwrite: overwrite)
            // Not interrupted between the two renames (Ctrl-C waits for the swap).
            let old = tempPath + ".old"
            let replaced: Bool = try InterruptCleanup.withoutInterruption {
                guard fm.fileExists(atPath: absolutePath) else {
                    if rename(tempPath, absolutePath) != 0 { throw OutputFile.error(finalPath, "cannot move the finished output into place") }
                    return false
                }
                if rename(absolutePath, old) != 0 { throw OutputFile.error(finalPath, "cannot move the previous output aside") }
                if rename(tempPath, absolutePath) != 0 {
                    let e = errno
                    _ = rename(old, absolutePath)
                    throw OutputFile.error(finalPath, "cannot move the finished output into place", e)
                }
                return true
            }
            if replaced { try? fm.removeItem(atPath: old) }
        } catch {
            try? fm.removeItem(atPath: tempPath)
            throw error
        }
    }

    /// Removes the temporary directory and releases the lock (nothing is left behind).
    public func discard() {
        try? FileManager.default.removeItem(atPath: tempPath)
        InterruptCleanup.unregister(tempPath)
        lock?.release(); lock = nil
    }

    deinit { lock?.release() }
}
