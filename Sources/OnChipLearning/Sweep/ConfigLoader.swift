import Foundation
import ChipModel

/// Loading a config with `--set PATH=VALUE` overrides: the one helper `run`, `validate`,
/// `bench ... --config`, `compare` and `sweep` call. The overrides edit the parsed JSON before
/// the config is decoded (so they are checked like the file, errors naming their JSON path)
/// and are recorded in the resolved config's "overrides" list (docs/SWEEP.md).
public enum ConfigLoader {
    /// An experiment config (`chipsim run` / `validate` / `bench train --config`). The
    /// overrides are applied first (so `--set network.dt=1e-3` reaches a NIR network), then a
    /// `"network": {"nir": ...}` is imported (NIRConfigNetwork, docs/NIR.md).
    public static func experiment(path: String, set: [String]) throws -> ExperimentConfig {
        let json = try ConfigOverride.loadJSON(path: path, overrides: try ConfigOverride.parse(set))
        return try ExperimentConfig(json: try NIRConfigNetwork.resolve(json, file: path), file: path)
    }

    /// An experiment config file without overrides (compare's experiment file, gradcheck).
    public static func experiment(path: String) throws -> ExperimentConfig {
        try experiment(path: path, set: [])
    }

    /// A compare config's JSON with the overrides applied. Paths are those of the compare file
    /// (`onChipRules`, `offChip.epochs`, `experiment.learning.etaHidden`, `experiment.seed`):
    /// with any override, an experiment given as a file name is read and inlined first (so
    /// `experiment.*` paths reach it), and the overrides are recorded in the experiment's
    /// "overrides" list (the compare file itself has no such key). The inlined experiment keeps
    /// its name; its relative paths resolve against the compare file's directory, so it must
    /// live in the same directory (as every shipped compare config's does).
    public static func compareJSON(path: String, overrides: [ConfigOverride]) throws -> JSONValue {
        if overrides.isEmpty {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ChipError.io(path: path, message: "cannot read the compare config (does it exist?)")
            }
            return try JSONValue.parse(data, file: path)
        }
        var doc = try compareJSONInlined(path: path)
        doc = try ConfigOverride.apply(overrides, to: doc, file: path, record: false)
        // Record in the (now inline) experiment.
        guard case var .object(kv2) = doc, let j = kv2.firstIndex(where: { $0.0 == "experiment" }) else { return doc }
        if case var .object(ekv) = kv2[j].1 {
            if let k = ekv.firstIndex(where: { $0.0 == "overrides" }), case let .array(old) = ekv[k].1 {
                ekv[k].1 = .array(old + overrides.map(\.json))
            } else {
                ekv.append(("overrides", .array(overrides.map(\.json))))
            }
            kv2[j].1 = .object(ekv)
        }
        return .object(kv2)
    }

    /// A compare config's JSON with its experiment inline (read from its file if named).
    public static func compareJSONInlined(path: String) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ChipError.io(path: path, message: "cannot read the compare config (does it exist?)")
        }
        let doc = try JSONValue.parse(data, file: path)
        guard case var .object(kv) = doc, let i = kv.firstIndex(where: { $0.0 == "experiment" }) else {
            throw ChipError.config(file: path, path: "$.experiment", message: "missing: an experiment config file name or an inline experiment object")
        }
        guard case let .string(name) = kv[i].1 else { return doc }
        let dir = PathParts.directory(of: path)
        let expPath = name.hasPrefix("/") || dir.isEmpty ? name : (dir as NSString).appendingPathComponent(name)
        let expDir = PathParts.directory(of: expPath)
        if URL(fileURLWithPath: expDir.isEmpty ? "." : expDir).standardizedFileURL.path != URL(fileURLWithPath: dir.isEmpty ? "." : dir).standardizedFileURL.path {
            throw ChipError.config(file: path, path: "$.experiment", message: "--set needs the experiment inline or in the compare file's directory; '\(name)' is elsewhere")
        }
        guard let ed = FileManager.default.contents(atPath: expPath) else {
            throw ChipError.io(path: expPath, message: "cannot read the experiment config (does it exist?)")
        }
        var exp = try JSONValue.parse(ed, file: expPath)
        if case var .object(ekv) = exp, !ekv.contains(where: { $0.0 == "name" }) {
            ekv.insert(("name", .string(((expPath as NSString).lastPathComponent as NSString).deletingPathExtension)), at: 0)
            exp = .object(ekv)
        }
        kv[i].1 = exp
        return .object(kv)
    }

    /// A compare config (`chipsim compare`) with overrides; see `compareJSON`.
    public static func compare(path: String, set: [String]) throws -> CompareConfig {
        try CompareConfig(json: try compareJSON(path: path, overrides: try ConfigOverride.parse(set)), file: path)
    }
}
