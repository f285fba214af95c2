import Foundation
import ChipModel

/// Turns a config into the objects a run needs: the energy table, the input source and the chip.
public enum Experiment {
    public static func energyTable(for config: ExperimentConfig) throws -> EnergyTable {
        if let t = try BuiltinEnergyTables.named(config.chip.energyTable) { return t }
        let path = config.resolve(config.chip.energyTable)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ChipError.config(file: config.file, path: "$.chip.energyTable",
                                   message: "'\(config.chip.energyTable)' is neither a built-in table (loihi) nor a file (looked for \(path))")
        }
        return try EnergyTable.load(path: path)
    }

    public static func source(for config: ExperimentConfig) throws -> SpikeSource {
        let input = config.network.layers.first { $0.isInput }!
        switch config.input {
        case let .pattern(name, rate, samples):
            return PatternSource(pattern: name, rate: rate, channels: input.size, samples: samples, seed: config.seed)
        case let .spikeList(path):
            return try SpikeListSource(path: config.resolve(path), channels: input.size, steps: config.run.steps)
        }
    }
}

/// Writes a run's output directory atomically: everything goes into a temporary sibling
/// directory that is renamed into place only when complete, so a failed run never leaves a
/// half-written report (an existing directory is replaced only on success).
public final class OutputDirectory {
    public let finalPath: String
    public let tempPath: String

    public init(_ path: String) throws {
        finalPath = path
        let parent = (path as NSString).deletingLastPathComponent
        let base = (path as NSString).lastPathComponent
        tempPath = (parent.isEmpty ? "" : parent + "/") + ".\(base).partial-\(getpid())"
        let fm = FileManager.default
        do {
            if !parent.isEmpty { try fm.createDirectory(atPath: parent, withIntermediateDirectories: true) }
            if fm.fileExists(atPath: tempPath) { try fm.removeItem(atPath: tempPath) }
            try fm.createDirectory(atPath: tempPath, withIntermediateDirectories: true)
        } catch {
            throw ChipError.io(path: path, message: "cannot create the output directory: \(error.localizedDescription)")
        }
    }

    public func path(_ name: String) -> String { tempPath + "/" + name }

    public func write(_ name: String, _ text: String) throws {
        let p = path(name)
        let dir = (p as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: p))
        } catch {
            throw ChipError.io(path: finalPath + "/" + name, message: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Moves the finished directory into place.
    public func commit() throws {
        let fm = FileManager.default
        do {
            if fm.fileExists(atPath: finalPath) {
                let old = tempPath + ".old"
                try fm.moveItem(atPath: finalPath, toPath: old)
                try fm.moveItem(atPath: tempPath, toPath: finalPath)
                try fm.removeItem(atPath: old)
            } else {
                try fm.moveItem(atPath: tempPath, toPath: finalPath)
            }
        } catch {
            throw ChipError.io(path: finalPath, message: "cannot move the finished output into place: \(error.localizedDescription)")
        }
    }

    public func discard() { try? FileManager.default.removeItem(atPath: tempPath) }
}
