import Foundation
import ChipModel

/// One point of a sweep: a base config file plus overrides, its values on each column, and
/// a stable id (StableHash of its resolved JSON: the base file's JSON with the overrides
/// applied and its name filled in, as the config will be read).
public struct SweepPoint: Sendable {
    /// Position in the spec's order (the first axis slowest): the Slurm array index.
    public var index: Int
    public var id: String
    /// The config file this point starts from (the base, or a "configs" axis' file).
    public var configFile: String
    /// Overrides in the order applied: the spec's "set", then each axis' columns.
    public var overrides: [ConfigOverride]
    /// (column name, value) for every column of the spec, in order.
    public var values: [(String, JSONValue)]
    /// The resolved JSON (overrides applied, not recorded).
    public var resolved: JSONValue

    /// `--set=PATH=VALUE` arguments of the `run` / `compare` command that computes this point.
    public var setArguments: [String] { overrides.map { "--set=" + $0.argument } }

    public var json: JSONValue {
        .object([("index", .int(index)), ("id", .string(id)), ("config", .string(configFile)),
                 ("values", .object(values)), ("overrides", .array(overrides.map(\.json)))])
    }

    /// A cell's text: strings bare, other values as compact JSON.
    public static func text(_ v: JSONValue) -> String {
        if case let .string(s) = v { return s }
        return ConfigOverride.compact(v)
    }
}

extension SweepSpec {
    /// Every point, in order. Each is resolved (its JSON built and hashed) here, so a bad path
    /// fails before anything runs; a config that decodes badly is a per-point failure later.
    /// Two points with the same id (the same config twice) are an error.
    public func points() throws -> [SweepPoint] {
        var out: [SweepPoint] = []
        out.reserveCapacity(pointCount)
        var cache: [String: JSONValue] = [:]
        func baseJSON(_ path: String) throws -> JSONValue {
            if let v = cache[path] { return v }
            let v: JSONValue
            switch kind {
            case .run:
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw ChipError.io(path: path, message: "cannot read the config file (does it exist?)")
                }
                v = try JSONValue.parse(data, file: path)
            case .compare:
                // Points always run with overrides (at least the recorded ones), which inline the
                // experiment (ConfigLoader.compareJSON); hash it inlined too.
                v = try ConfigLoader.compareJSONInlined(path: path)
            }
            cache[path] = v
            return v
        }
        var ids: [String: Int] = [:]
        for index in 0..<pointCount {
            var rest = index
            var choice = [Int](repeating: 0, count: axes.count)
            for a in stride(from: axes.count - 1, through: 0, by: -1) {
                choice[a] = rest % axes[a].count
                rest /= axes[a].count
            }
            var configFile = resolve(base)
            var overrides = fixed
            var values: [(String, JSONValue)] = []
            for (a, axis) in axes.enumerated() {
                for c in axis.columns {
                    let v = c.values[choice[a]]
                    if let p = c.path {
                        values.append((c.name, v))
                        overrides.append(ConfigOverride(steps: p, value: v))
                    } else if case let .string(f) = v {
                        // A config file's column shows its name (file name without extension).
                        values.append((c.name, .string(((f as NSString).lastPathComponent as NSString).deletingPathExtension)))
                        configFile = resolve(f)
                    }
                }
            }
            var doc = try baseJSON(configFile)
            doc = try ConfigOverride.apply(overrides, to: doc, file: configFile, record: false)
            if case var .object(kv) = doc, !kv.contains(where: { $0.0 == "name" }) {
                kv.insert(("name", .string(((configFile as NSString).lastPathComponent as NSString).deletingPathExtension)), at: 0)
                doc = .object(kv)
            }
            let id = StableHash.id(of: .object([("kind", .string(kind.rawValue)), ("config", doc)]))
            if let other = ids[id] {
                throw ChipError.config(file: file, path: "$.axes", message: "points \(other) and \(index) resolve to the same config (id \(id)); remove the duplicate value")
            }
            ids[id] = index
            out.append(SweepPoint(index: index, id: id, configFile: configFile, overrides: overrides, values: values, resolved: doc))
        }
        return out
    }
}
