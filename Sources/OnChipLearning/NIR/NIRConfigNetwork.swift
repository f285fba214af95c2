import Foundation
import ChipModel

/// `"network": {"nir": "MODEL.nir", "dt": ..., "reset": ..., "weightBits": ...}` in an
/// experiment config: the network imported from a NIR file when the config is loaded, with the
/// options of `chipsim import` (docs/NIR.md, "A NIR file as the config's network").
///
/// ExperimentConfig (ChipModel) cannot see the importer, so this is a transform of the parsed
/// JSON before it is decoded: the `network` object is replaced by the imported network (layers
/// and connections with explicit weights), exactly what `chipsim import --template CONFIG`
/// writes. A config without a `chip` section gets the chip section import chooses (the first
/// mesh the network builds on); a config with one keeps it (`"chip": {}` for one core at the
/// defaults). The resolved config a run writes therefore holds the imported network in full:
/// it re-runs without the NIR file, bit for bit; the config that named the file is the record
/// of where it came from.
public enum NIRConfigNetwork {
    /// The keys of a NIR network object, for the KeyDoc of `$.network` and the error messages.
    public static let keys = ["nir", "dt", "reset", "weightBits"]

    /// `doc` with its `network` replaced by the import of the NIR file it names, or `doc`
    /// unchanged when its network is not of that form. `file` is the config's path (relative
    /// NIR paths resolve against its directory, errors name it); `path` the JSON path of `doc`
    /// in that file ("$", or "$.experiment" for an experiment inside a compare config).
    public static func resolve(_ doc: JSONValue, file: String, path: String = "$") throws -> JSONValue {
        guard case var .object(kv) = doc, let i = kv.firstIndex(where: { $0.0 == "network" }),
              case .object = kv[i].1, kv[i].1["nir"] != nil else { return doc }
        let r = try JSONReader(kv[i].1, file: file, path: path + ".network")
        let name = try r.string("nir")
        if name.isEmpty { throw r.error("nir", "expected the path of a .nir file, found an empty string") }
        var options = NIRImportOptions()
        options.dt = try r.double("dt", default: options.dt, min: 0)
        if !(options.dt > 0) || !options.dt.isFinite { throw r.error("dt", "expected a positive number of seconds, found \(options.dt)") }
        options.reset = try r.optionalString("reset").map { s in
            guard let m = ResetMode(rawValue: s) else { throw r.error("reset", "expected \"hard\" or \"soft\", found \"\(s)\"") }
            return m
        }
        options.weightBits = try r.int("weightBits", default: options.weightBits, range: SynapseWidths.weightBitsRange)
        if r.has("layers") || r.has("connections") {
            throw r.error("nir", "a network given by a NIR file has no layers or connections of its own (keys here: \(keys.joined(separator: ", ")), comment)")
        }
        try r.rejectUnknownKeys()

        let dir = PathParts.directory(of: file)
        let nirPath = name.hasPrefix("/") || dir.isEmpty ? name : (dir as NSString).appendingPathComponent(name)
        guard FileManager.default.fileExists(atPath: nirPath) else {
            throw r.error("nir", "cannot read '\(nirPath)' (does it exist? relative paths are relative to the config's directory)")
        }
        options.name = ((file as NSString).lastPathComponent as NSString).deletingPathExtension
        var imported: NIRImport
        do {
            imported = try NIRImport.run(try NIRGraph.read(path: nirPath), options: options)
            if !kv.contains(where: { $0.0 == "chip" }) { try imported.fitChip() }
        } catch let e as ChipError {
            throw r.error("nir", "importing '\(nirPath)': \(e)")
        }
        guard let network = imported.config["network"] else { return doc }
        kv[i].1 = network
        if !kv.contains(where: { $0.0 == "chip" }), let chip = imported.chip {
            kv.insert(("chip", chip), at: i)
        }
        return .object(kv)
    }
}
