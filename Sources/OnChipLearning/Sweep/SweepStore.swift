import Foundation
import ChipModel

/// The output layout of a sweep (the same locally and on Slurm):
///
///     OUT/plan.json                 every point: index, id, config file, values, overrides
///     OUT/points/ID/run/            the point's `chipsim run` (or `compare`) output directory
///     OUT/points/ID/done.json       marker: the point finished (written after its report)
///     OUT/points/ID/failed.json     marker: the point failed, with its error
///     OUT/points/ID/worker.log      the worker's stdout and stderr (local runs)
///     OUT/sweep.csv, OUT/index.html the merged results (`chipsim sweep collect`)
///
/// Markers are written atomically (temporary file + rename), after the run directory is in
/// place, so a point with done.json has a complete report; a point killed before its marker
/// has none and runs again.
public struct SweepStore {
    public enum Status: Equatable, Sendable {
        case pending
        case done
        case failed(String)
    }

    public let root: String
    public init(root: String) { self.root = root }

    public func pointDir(_ p: SweepPoint) -> String { root + "/points/" + p.id }
    public func runDir(_ p: SweepPoint) -> String { pointDir(p) + "/run" }
    public func logPath(_ p: SweepPoint) -> String { pointDir(p) + "/worker.log" }
    var donePath: (SweepPoint) -> String { { pointDir($0) + "/done.json" } }
    var failedPath: (SweepPoint) -> String { { pointDir($0) + "/failed.json" } }

    public func status(_ p: SweepPoint) -> Status {
        let fm = FileManager.default
        if fm.fileExists(atPath: donePath(p)) { return .done }
        if let d = fm.contents(atPath: failedPath(p)), let v = try? JSONValue.parse(d, file: failedPath(p)),
           case let .string(e)? = v["error"] { return .failed(e) }
        return .pending
    }

    /// Before a point runs: drop its markers and any partial output a killed worker left.
    public func prepare(_ p: SweepPoint) throws {
        let fm = FileManager.default
        let dir = pointDir(p)
        try? fm.removeItem(atPath: donePath(p))
        try? fm.removeItem(atPath: failedPath(p))
        do { try fm.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch {
            throw ChipError.io(path: dir, message: "cannot create the point's directory: \(error.localizedDescription)")
        }
        for name in (try? fm.contentsOfDirectory(atPath: dir)) ?? [] where name.hasPrefix(".run.partial-") || name.hasPrefix(".tmp-") {
            try? fm.removeItem(atPath: dir + "/" + name)
        }
        try Self.writeAtomically(dir + "/point.json", p.json.serialized() + "\n")
    }

    public func markDone(_ p: SweepPoint, wallSeconds: Double) throws {
        try Self.writeAtomically(donePath(p), JSONValue.object([
            ("id", .string(p.id)), ("index", .int(p.index)), ("status", .string("ok")), ("wallSeconds", .double(wallSeconds)),
        ]).serialized() + "\n")
    }

    public func markFailed(_ p: SweepPoint, error: String, wallSeconds: Double) throws {
        try? FileManager.default.createDirectory(atPath: pointDir(p), withIntermediateDirectories: true)
        try Self.writeAtomically(failedPath(p), JSONValue.object([
            ("id", .string(p.id)), ("index", .int(p.index)), ("status", .string("failed")), ("error", .string(error)),
            ("wallSeconds", .double(wallSeconds)),
        ]).serialized() + "\n")
    }

    /// Wall seconds recorded in a point's marker.
    public func wallSeconds(_ p: SweepPoint) -> Double? {
        for path in [donePath(p), failedPath(p)] {
            if let d = FileManager.default.contents(atPath: path), let v = try? JSONValue.parse(d, file: path),
               case let .number(x, _)? = v["wallSeconds"] { return x }
        }
        return nil
    }

    public func writePlan(_ spec: SweepSpec, _ points: [SweepPoint]) throws {
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try Self.writeAtomically(root + "/plan.json", JSONValue.object([
            ("name", .string(spec.name)), ("kind", .string(spec.kind.rawValue)), ("spec", .string(spec.file)),
            ("points", .array(points.map(\.json))),
        ]).serialized() + "\n")
    }

    /// Temporary file in the same directory, then rename(2): readers see the old file or the
    /// whole new one, never part of it.
    public static func writeAtomically(_ path: String, _ text: String) throws {
        let dir = PathParts.directory(of: path)
        let tmp = (dir.isEmpty ? "" : dir + "/") + ".tmp-\(getpid())-" + (path as NSString).lastPathComponent
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: tmp))
            if rename(tmp, path) != 0 { throw ChipError.io(path: path, message: "rename failed: \(String(cString: strerror(errno)))") }
        } catch let e as ChipError {
            try? FileManager.default.removeItem(atPath: tmp); throw e
        } catch {
            try? FileManager.default.removeItem(atPath: tmp)
            throw ChipError.io(path: path, message: "cannot write: \(error.localizedDescription)")
        }
    }
}
