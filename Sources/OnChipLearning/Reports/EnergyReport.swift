import ChipModel

/// Counts of one component (a core, or the mesh) split by phase: what report.json stores
/// and what `chipsim cost` reads back to re-cost a run without re-simulating.
public struct ComponentCounts: Equatable, Sendable {
    /// "0", "1", ... for cores; "mesh" for chip-wide actions (barrier).
    public var component: String
    public var counts: PhaseCounts
    public init(component: String, counts: PhaseCounts) { self.component = component; self.counts = counts }
}

/// The energy block of a report, derived purely from counts + table (+ static power).
public enum EnergyReport {
    public static func json(components: [ComponentCounts], table: EnergyTable, cores: Int,
                            simulatedSeconds: Double, samples: Int) -> JSONValue {
        var total = PhaseCounts()
        for c in components { total.add(c.counts) }
        let all = EnergyModel.cost(total.total, table: table, cores: cores, simulatedSeconds: simulatedSeconds)
        func byAction(_ b: EnergyBreakdown) -> JSONValue {
            .object(Action.allCases.map { ($0.name, .double(b.byAction[$0.rawValue])) })
        }
        let byPhase: [(String, JSONValue)] = Phase.allCases.map { p in
            (p.name, .double(EnergyModel.cost(total[p], table: table).dynamicPicojoules))
        }
        let byComponent: [(String, JSONValue)] = components.map { c in
            (c.component, .double(EnergyModel.cost(c.counts.total, table: table).dynamicPicojoules))
        }
        return .object([
            ("table", .string(table.name)),
            ("totalPicojoules", .double(all.totalPicojoules)),
            ("dynamicPicojoules", .double(all.dynamicPicojoules)),
            ("staticPicojoules", .double(all.staticPicojoules)),
            ("perSamplePicojoules", .double(samples > 0 ? all.totalPicojoules / Double(samples) : 0)),
            ("byAction", byAction(all)),
            ("byPhase", .object(byPhase)),
            ("byComponent", .object(byComponent)),
            ("missingActions", .array(table.missingActions.map { .string($0) })),
        ])
    }

    public static func countsJSON(_ c: ActionCounts) -> JSONValue {
        .object(Action.allCases.map { ($0.name, .uint(c[$0])) })
    }

    public static func phaseCountsJSON(_ p: PhaseCounts) -> JSONValue {
        .object(Phase.allCases.map { ($0.name, countsJSON(p[$0])) })
    }

    /// Reads `countsByComponent` back from a report (inverse of phaseCountsJSON).
    public static func components(fromReport report: JSONValue, file: String) throws -> [ComponentCounts] {
        let r = try JSONReader(report, file: file, path: "$")
        let cr = try r.object("countsByComponent")
        var out: [ComponentCounts] = []
        for name in cr.keys {
            let pr = try cr.object(name)
            var pc = PhaseCounts()
            for p in Phase.allCases {
                guard let ar = try pr.optionalObject(p.name) else { continue }
                for a in Action.allCases {
                    let v = try ar.int(a.name, default: 0, range: 0...Int.max)
                    pc.add(p, a, UInt64(v))
                }
                try ar.rejectUnknownKeys()
            }
            try pr.rejectUnknownKeys()
            out.append(ComponentCounts(component: name, counts: pc))
        }
        return out
    }
}
