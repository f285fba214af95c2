import Foundation

/// Removes the partial outputs of a run stopped by SIGINT (Ctrl-C) or SIGTERM, so an
/// interrupted run leaves nothing behind (SIGKILL cannot be caught: the next run on the same
/// output removes those leftovers, see StalePartials). The signals are handled on a dispatch
/// queue, not in a signal handler, so the cleanup may use Foundation; the process then ends
/// with status 128 + signal, as if killed by it.
enum InterruptCleanup {
    nonisolated(unsafe) private static var paths: Set<String> = []
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []
    private static let lock = NSLock()
    private static let queue = DispatchQueue(label: "chipsim.interrupt-cleanup")

    /// Removes `path` if the process is interrupted before `unregister(path)`.
    static func register(_ path: String) {
        lock.lock(); defer { lock.unlock() }
        installOnce()
        paths.insert(path)
    }

    static func unregister(_ path: String) {
        lock.lock(); defer { lock.unlock() }
        paths.remove(path)
    }

    /// Runs `body` with interruption cleanup held off: a signal arriving meanwhile is handled
    /// after it (for steps that must not be cut in two, such as swapping directories).
    static func withoutInterruption<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock(); defer { lock.unlock() }
        return try body()
    }

    private static func installOnce() {
        guard sources.isEmpty else { return }
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)   // delivered to the source below instead
            let s = DispatchSource.makeSignalSource(signal: sig, queue: queue)
            s.setEventHandler {
                lock.lock()
                let pending = paths
                paths = []
                lock.unlock()
                for p in pending { try? FileManager.default.removeItem(atPath: p) }
                _exit(128 + sig)
            }
            s.resume()
            sources.append(s)
        }
    }
}
