import Foundation
import ChipModel
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A file written through its POSIX descriptor, every failure (a full disk, a closed pipe,
/// an I/O error) a ChipError naming the file instead of the trap of `FileHandle.write(_:)`.
public final class OutputFile {
    public let path: String
    private var fd: Int32

    /// Creates (or truncates) `path` for writing.
    public init(creating path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0 { throw OutputFile.error(path, "cannot create the file") }
    }

    static func error(_ path: String, _ what: String, _ code: Int32 = errno) -> ChipError {
        ChipError.io(path: path, message: "\(what): \(String(cString: strerror(code)))")
    }

    /// Appends all of `bytes` at the current offset.
    public func write(_ bytes: some Collection<UInt8>) throws {
        guard fd >= 0 else { throw ChipError.io(path: path, message: "write after close") }
        let a = Array(bytes)
        var done = 0
        while done < a.count {
            let n = a.withUnsafeBytes { sysWrite(fd, $0.baseAddress! + done, a.count - done) }
            if n < 0 { if errno == EINTR { continue }; throw OutputFile.error(path, "cannot write") }
            done += n
        }
    }

    public func write(_ text: String) throws { try write(Array(text.utf8)) }

    /// Writes `bytes` at absolute `offset` (the current offset is unchanged).
    public func write(_ bytes: [UInt8], at offset: Int) throws {
        guard fd >= 0 else { throw ChipError.io(path: path, message: "write after close") }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(offset + done)) }
            if n < 0 { if errno == EINTR { continue }; throw OutputFile.error(path, "cannot write") }
            done += n
        }
    }

    /// Flushes the file's data to the device (before a rename makes it the real file).
    public func sync() throws {
        if fd >= 0, fsync(fd) != 0, errno != EINVAL { throw OutputFile.error(path, "cannot sync") }
    }

    public func close() throws {
        guard fd >= 0 else { return }
        let r = sysClose(fd)
        fd = -1
        if r != 0 { throw OutputFile.error(path, "cannot close") }
    }

    deinit { if fd >= 0 { _ = sysClose(fd) } }
}

// The C functions, named apart from the methods above.
#if canImport(Glibc)
@inline(__always) private func sysWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { Glibc.write(fd, p, n) }
@inline(__always) private func sysClose(_ fd: Int32) -> Int32 { Glibc.close(fd) }
#else
@inline(__always) private func sysWrite(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int { Darwin.write(fd, p, n) }
@inline(__always) private func sysClose(_ fd: Int32) -> Int32 { Darwin.close(fd) }
#endif

/// Whole-file atomic writes: the bytes go to `BASE.partial-PID` in the same directory, are
/// optionally fsynced, and are renamed over the target, so a reader sees the old file or the
/// new one, never a mix; on failure the partial file is removed and the old file is kept.
/// The target must be new or a regular file (a directory, device, socket or symbolic link is
/// refused, never replaced).
public enum AtomicFile {
    /// Writes `bytes` to `path` atomically. `durable` fsyncs the file before the rename and the
    /// directory after it (checkpoints: a power cut must not leave an empty file behind).
    /// `locked` holds the path's OutputLock while writing (re-entrant if the caller holds it).
    public static func write(_ bytes: [UInt8], to path: String, durable: Bool, locked: Bool) throws {
        let abs = try OutputPath.replaceableFile(path, option: "output file")
        let lock = locked ? try OutputLock.acquire(abs) : nil
        defer { lock?.release() }
        let (parent, base) = OutputPath.split(abs)
        do { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) } catch {
            throw ChipError.io(path: path, message: "cannot create the directory: \(error.localizedDescription)")
        }
        if locked { StalePartials.clean(parent: parent, prefix: base + ".partial-") }
        let tmp = OutputPath.join(parent, base + ".partial-\(getpid())")
        do {
            let f = try OutputFile(creating: tmp)
            try f.write(bytes)
            if durable { try f.sync() }
            try f.close()
            if rename(tmp, abs) != 0 { throw OutputFile.error(path, "cannot rename \(tmp) into place") }
            if durable { syncDirectory(parent) }
        } catch {
            unlink(tmp)
            if let e = error as? ChipError, case let .io(p, m) = e, p == tmp { throw ChipError.io(path: path, message: m) }
            throw error
        }
    }

    /// Makes a rename in `dir` durable (best effort: not every filesystem supports it).
    static func syncDirectory(_ dir: String) {
        let fd = open(dir, O_RDONLY | O_CLOEXEC)
        if fd >= 0 { _ = fsync(fd); _ = close(fd) }
    }
}
