import Foundation
import ChipModel

/// A sweep spec (docs/SWEEP.md, "Spec format", documents every key): a base config (run or compare), overrides applied to every
/// point, and axes whose cartesian product gives the points.
///
///     {"name": "lr-scan", "kind": "run" | "compare", "base": "../quickstart.json",
///      "set": {"training.epochs": 2},
///      "axes": [{"path": "learning.etaHidden", "values": [12, 13, 14]},
///               {"zip": [{"path": "network.layers[1].size", "values": [100, 400]},
///                        {"path": "chip.core.neurons", "values": [128, 512]}]},
///               {"name": "rule", "configs": ["../opzo-mnist.json", "../dfa-mnist.json"]},
///               {"seeds": [1, 2, 3]}],
///      "target": {"accuracy": 0.8},
///      "out": "runs/lr-scan"}
public struct SweepSpec {
    public enum Kind: String, CaseIterable, Sendable { case run, compare }

    /// One column of the sweep: a JSON path (or the config file, or the seed) and its values.
    public struct Column: Equatable, Sendable {
        public var name: String
        /// nil for a config-file column.
        public var path: [ConfigOverride.Step]?
        public var values: [JSONValue]
    }

    /// One axis: its columns move together (a zip has several, every other axis one).
    public struct Axis: Equatable, Sendable {
        public var columns: [Column]
        public var count: Int { columns[0].values.count }
    }

    public var name: String
    public var file: String
    public var kind: Kind
    public var base: String
    public var fixed: [ConfigOverride]
    public var axes: [Axis]
    public var targetAccuracy: Double?
    public var out: String?

    public init(json: JSONValue, file: String) throws {
        let r = try JSONReader(json, file: file, path: "$")
        self.file = file
        name = try r.string("name", default: ((file as NSString).lastPathComponent as NSString).deletingPathExtension)
        kind = Kind(rawValue: try r.string("kind", default: "run", oneOf: Kind.allCases.map(\.rawValue)))!
        base = try r.string("base")
        fixed = []
        if let s = try r.optionalObject("set") {
            for k in s.keys where k != "comment" {
                let steps = try Self.path(k, file: file, at: "$.set")
                fixed.append(ConfigOverride(steps: steps, value: s.value[k]!))
            }
        }
        let seedPath: [ConfigOverride.Step] = kind == .run ? [.key("seed")] : [.key("experiment"), .key("seed")]
        axes = []
        for (i, a) in (try r.optionalArray("axes") ?? []).enumerated() {
            let ar = try JSONReader(a, file: file, path: "$.axes[\(i)]")
            func column(_ cr: JSONReader) throws -> Column {
                let p = try cr.string("path")
                let steps = try Self.path(p, file: file, at: cr.path + ".path")
                let values = try cr.array("values")
                if values.isEmpty { throw cr.error("values", "empty; give at least one value") }
                return Column(name: try cr.string("name", default: p.hasPrefix("$.") ? String(p.dropFirst(2)) : p), path: steps, values: values)
            }
            if ar.has("zip") {
                let cols = try ar.objects("zip").map { c -> Column in let col = try column(c); try c.rejectUnknownKeys(); return col }
                if cols.isEmpty { throw ar.error("zip", "empty; give at least one {\"path\", \"values\"}") }
                if let bad = cols.first(where: { $0.values.count != cols[0].values.count }) {
                    throw ar.error("zip", "lists of different lengths (\(cols[0].name): \(cols[0].values.count), \(bad.name): \(bad.values.count)); zipped lists move together")
                }
                axes.append(Axis(columns: cols))
            } else if ar.has("configs") {
                let files = try ar.array("configs")
                if files.isEmpty { throw ar.error("configs", "empty; give at least one config file") }
                for (k, f) in files.enumerated() {
                    guard case .string = f else { throw ChipError.config(file: file, path: "\(ar.path).configs[\(k)]", message: "expected a config file name, found \(f.typeName)") }
                }
                axes.append(Axis(columns: [Column(name: try ar.string("name", default: "config"), path: nil, values: files)]))
            } else if ar.has("seeds") {
                let v = ar.optional("seeds")!
                var seeds: [JSONValue]
                if case .array(let list) = v { seeds = list } else {
                    let n = try ar.int("seeds", range: 1...100_000)
                    seeds = (1...n).map { .int($0) }
                }
                if seeds.isEmpty { throw ar.error("seeds", "empty; give at least one seed") }
                for (k, s) in seeds.enumerated() { _ = try JSONReader.integer(s, file: file, path: "\(ar.path).seeds[\(k)]", range: 0...Int.max) }
                axes.append(Axis(columns: [Column(name: "seed", path: seedPath, values: seeds)]))
            } else if ar.has("path") {
                axes.append(Axis(columns: [try column(ar)]))
            } else {
                throw ChipError.config(file: file, path: ar.path, message: "expected an axis: {\"path\", \"values\"}, {\"zip\": [...]}, {\"configs\": [...]} or {\"seeds\": ...}")
            }
            try ar.rejectUnknownKeys()
        }
        let names = axes.flatMap(\.columns).map(\.name)
        if let dup = names.first(where: { n in names.filter { $0 == n }.count > 1 }) {
            throw r.error("axes", "two columns are named '\(dup)'; give one a \"name\"")
        }
        if let t = try r.optionalObject("target") {
            targetAccuracy = try t.double("accuracy", min: 0, max: 1)
            try t.rejectUnknownKeys()
        }
        out = try r.optionalString("out")
        try r.rejectUnknownKeys()
    }

    static func path(_ text: String, file: String, at: String) throws -> [ConfigOverride.Step] {
        do { return try ConfigOverride.parsePath(text) } catch let ChipError.usage(m) {
            throw ChipError.config(file: file, path: at, message: m)
        }
    }

    public static func load(path: String) throws -> SweepSpec {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ChipError.io(path: path, message: "cannot read the sweep spec (does it exist?)")
        }
        return try SweepSpec(json: try JSONValue.parse(data, file: path), file: path)
    }

    /// A path in the spec, relative to the spec file's directory.
    public func resolve(_ p: String) -> String {
        let dir = PathParts.directory(of: file)
        return p.hasPrefix("/") || dir.isEmpty ? p : (dir as NSString).appendingPathComponent(p)
    }

    public var columns: [Column] { axes.flatMap(\.columns) }

    /// Number of points: the product of the axes' lengths (1 with no axes).
    public var pointCount: Int { axes.reduce(1) { $0 * $1.count } }
}
