import Foundation
import ChipModel

/// An exclusive advisory lock on an output (a directory or a checkpoint file): the lock file
/// `.BASE.lock` beside it is `flock`ed for as long as the writer runs, so a second chipsim
/// writing the same output fails at once with a clear error. The kernel drops the lock when
/// the process dies, so a killed run never leaves a stale lock; the file holds the owner's
/// pid for the message only. Locks are re-entrant within one process (the training run holds
/// its checkpoint's lock and every `Checkpoint.write` takes it again).
public final class OutputLock {
    public let path: String
    public let lockPath: String
    private let fd: Int32

    nonisolated(unsafe) private static var held: [String: (lock: OutputLock, count: Int)] = [:]
    private static let mutex = NSLock()

    private init(path: String, lockPath: String, fd: Int32) { self.path = path; self.lockPath = lockPath; self.fd = fd }

    /// Takes the lock of the output at absolute path `path`, or throws naming the owner.
    public static func acquire(_ path: String) throws -> OutputLock {
        mutex.lock(); defer { mutex.unlock() }
        if let h = held[path] { held[path] = (h.lock, h.count + 1); return h.lock }
        let (parent, base) = OutputPath.split(path)
        let lockPath = OutputPath.join(parent, ".\(base).lock")
        do { try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true) } catch {
            throw ChipError.io(path: path, message: "cannot create the parent directory: \(error.localizedDescription)")
        }
        // Open, lock, then check that the path still names the locked file: a releasing owner
        // unlinks it, and a lock on an unlinked file protects nothing.
        for _ in 0..<8 {
            let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw ChipError.io(path: lockPath, message: "cannot create the lock file: \(String(cString: strerror(errno)))")
            }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                let e = errno
                var owner = ""
                var buf = [UInt8](repeating: 0, count: 32)
                let n = pread(fd, &buf, 31, 0)
                if n > 0 { owner = String(decoding: buf[..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) }
                close(fd)
                if e == EWOULDBLOCK {
                    throw ChipError.io(path: path, message: "another chipsim\(owner.isEmpty ? "" : " (pid \(owner))") is writing this output (lock \(lockPath)); wait for it or choose another path")
                }
                throw ChipError.io(path: lockPath, message: "cannot lock: \(String(cString: strerror(e)))")
            }
            var a = stat(), b = stat()
            if fstat(fd, &a) == 0, stat(lockPath, &b) == 0, a.st_ino == b.st_ino, a.st_dev == b.st_dev {
                let pid = Array("\(getpid())\n".utf8)
                _ = ftruncate(fd, 0)
                _ = pwrite(fd, pid, pid.count, 0)
                let lock = OutputLock(path: path, lockPath: lockPath, fd: fd)
                held[path] = (lock, 1)
                InterruptCleanup.register(lockPath)   // unlinking a held lock file is safe (see above)
                return lock
            }
            close(fd)
        }
        throw ChipError.io(path: lockPath, message: "the lock file keeps being replaced; is another chipsim starting on this output?")
    }

    /// Releases one acquisition; the last one unlinks the lock file and drops the lock.
    public func release() {
        OutputLock.mutex.lock(); defer { OutputLock.mutex.unlock() }
        guard let h = OutputLock.held[path] else { return }
        if h.count > 1 { OutputLock.held[path] = (h.lock, h.count - 1); return }
        OutputLock.held[path] = nil
        InterruptCleanup.unregister(lockPath)
        unlink(lockPath)
        close(fd)
    }

    /// Runs `body` holding the lock of `path`.
    public static func with<T>(_ path: String, _ body: () throws -> T) throws -> T {
        let lock = try acquire(path)
        defer { lock.release() }
        return try body()
    }
}

/// Leftovers of killed runs: `.BASE.partial-PID` (and `.BASE.partial-PID.old`) beside a
/// directory output, `BASE.partial-PID` beside a checkpoint. Removed when PID is no longer a
/// live process (the caller holds the output's lock, so no live chipsim owns them either).
enum StalePartials {
    static func clean(parent: String, prefix: String) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent) else { return }
        for n in names where n.hasPrefix(prefix) {
            var rest = n.dropFirst(prefix.count)
            if rest.hasSuffix(".old") { rest = rest.dropLast(4) }
            guard let pid = Int32(rest), pid > 0 else { continue }
            if pid == getpid() || !isAlive(pid) { try? FileManager.default.removeItem(atPath: OutputPath.join(parent, n)) }
        }
    }

    static func isAlive(_ pid: Int32) -> Bool { kill(pid, 0) == 0 || errno == EPERM }
}
