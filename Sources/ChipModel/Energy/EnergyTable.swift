import Foundation

// An energy table maps action names to picojoules per action (Accelergy's ERT). It is a
// separate JSON file (configs/energy/*.json) so that a run can be re-costed with another
// table without re-simulating: `chipsim cost report.json --energy other.json`.

public struct EnergyEntry: Codable, Equatable, Sendable {
    /// Energy per action in picojoules.
    public var picojoules: Double
    /// Where the figure comes from (paper, table, measurement) or why it was assumed.
    public var source: String
    /// True when the figure is not published but chosen (calibrated or guessed).
    public var assumption: Bool
}

/// Which cores leak while a run's simulated time passes (a table choice: a chip whose unused
/// cores are power-gated charges only the used ones).
public enum StaticCores: String, Codable, Equatable, Sendable, CaseIterable {
    /// Cores that hold neurons or input slices (unused cores power-gated).
    case used
    /// Every core of the mesh (meshWidth x meshHeight x coresPerTile), used or not.
    case all
}

public struct EnergyTable: Codable, Equatable, Sendable {
    public var name: String
    public var description: String
    /// Static (leakage) power per core in watts, charged over simulated time (busy or idle
    /// cycles alike). 0 disables.
    public var staticWattsPerCore: Double
    public var staticCores: StaticCores
    /// Where staticWattsPerCore comes from, and whether it is an assumption.
    public var staticSource: String
    public var staticAssumption: Bool

    /// The cores static power is charged for, given how many the run used and the chip has.
    public func poweredCores(used: Int, onChip: Int) -> Int { staticCores == .used ? used : onChip }
    public var actions: [String: EnergyEntry]

    /// pJ per action, indexed by Action.rawValue; actions missing from the table cost 0
    /// and are listed by `missingActions` so reports can say so.
    public var picojoulesByAction: [Double] {
        Action.allCases.map { actions[$0.name]?.picojoules ?? 0 }
    }

    public var missingActions: [String] {
        Action.allCases.map(\.name).filter { actions[$0] == nil }
    }

    public static func load(path: String) throws -> EnergyTable {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw ChipError.io(path: path, message: "cannot read energy table: \(error.localizedDescription)")
        }
        let json = try JSONValue.parse(data, file: path)
        return try EnergyTable(json: json, file: path)
    }

    public init(name: String, description: String, staticWattsPerCore: Double, staticCores: StaticCores = .used,
                staticSource: String = "", staticAssumption: Bool = true, actions: [String: EnergyEntry]) {
        self.name = name; self.description = description
        self.staticWattsPerCore = staticWattsPerCore; self.staticCores = staticCores
        self.staticSource = staticSource; self.staticAssumption = staticAssumption; self.actions = actions
    }

    /// Strict decoding: unknown action names and keys are errors with their JSON path.
    public init(json: JSONValue, file: String) throws {
        let r = try JSONReader(json, file: file, path: "$")
        name = try r.string("name", default: "unnamed")
        description = try r.string("description", default: "")
        staticWattsPerCore = try r.double("staticWattsPerCore", default: 0, min: 0)
        staticCores = StaticCores(rawValue: try r.string("staticCores", default: "used", oneOf: StaticCores.allCases.map(\.rawValue)))!
        staticSource = try r.string("staticSource", default: "")
        staticAssumption = try r.bool("staticAssumption", default: true)
        var acts: [String: EnergyEntry] = [:]
        let ar = try r.object("actions")
        for key in ar.keys {
            guard Action(name: key) != nil else {
                throw ChipError.config(file: file, path: "\(ar.path).\(key)",
                    message: "unknown action '\(key)'; known actions: \(Action.allCases.map(\.name).joined(separator: ", "))")
            }
            let er = try ar.object(key)
            acts[key] = EnergyEntry(picojoules: try er.double("picojoules", min: 0),
                                    source: try er.string("source", default: ""),
                                    assumption: try er.bool("assumption", default: false))
            try er.rejectUnknownKeys()
        }
        try ar.rejectUnknownKeys()
        actions = acts
        try r.rejectUnknownKeys()
    }
}

/// Energy of a run, derived from counts and a table; never stored as simulation state.
public struct EnergyBreakdown: Equatable, Sendable {
    public var byAction: [Double]          // pJ, indexed by Action.rawValue
    public var staticPicojoules: Double
    public var dynamicPicojoules: Double { byAction.reduce(0, +) }
    public var totalPicojoules: Double { dynamicPicojoules + staticPicojoules }
}

public enum EnergyModel {
    /// The one function that turns counts into energy: sum over actions of count x pJ,
    /// plus static power x powered cores x simulated seconds (`cores` is what
    /// `EnergyTable.poweredCores` chose). Pure: same inputs, same result.
    public static func cost(_ counts: ActionCounts, table: EnergyTable,
                            cores: Int = 0, simulatedSeconds: Double = 0) -> EnergyBreakdown {
        let pj = table.picojoulesByAction
        var by = [Double](repeating: 0, count: Action.count)
        for i in 0..<Action.count { by[i] = Double(counts.values[i]) * pj[i] }
        let stat = table.staticWattsPerCore * Double(cores) * simulatedSeconds * 1e12
        return EnergyBreakdown(byAction: by, staticPicojoules: stat)
    }
}
