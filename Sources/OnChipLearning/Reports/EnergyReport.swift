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
/// Static energy = table.staticWattsPerCore x powered cores x simulated seconds, where the table's
/// `staticCores` chooses the powered cores: the `usedCores` that hold neurons, or all
/// `coresOnChip` of the mesh. Simulated time includes the cycles a core waits idle at the barrier.
public enum EnergyReport {
    /// `hostSteps`: the run's declared host steps and the host profile that costs them; their
    /// energy is the block's `hostSteps` member, apart from (and not included in) the chip's
    /// total, dynamic and static figures. Absent when the run declared none.
    public static func json(components: [ComponentCounts], table: EnergyTable, usedCores: Int, coresOnChip: Int,
                            simulatedSeconds: Double, samples: Int,
                            hostSteps: (steps: [HostStepRecord], profile: HostProfile)? = nil) -> JSONValue {
        var total = PhaseCounts()
        for c in components { total.add(c.counts) }
        let cores = table.poweredCores(used: usedCores, onChip: coresOnChip)
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
        let chipFigures: [(String, JSONValue)] = [
            ("table", .string(table.name)),
            ("totalPicojoules", .double(all.totalPicojoules)),
            ("dynamicPicojoules", .double(all.dynamicPicojoules)),
            ("staticPicojoules", .double(all.staticPicojoules)),
            ("perSamplePicojoules", .double(samples > 0 ? all.totalPicojoules / Double(samples) : 0)),
            ("perSampleDynamicPicojoules", .double(samples > 0 ? all.dynamicPicojoules / Double(samples) : 0)),
            ("perSampleStaticPicojoules", .double(samples > 0 ? all.staticPicojoules / Double(samples) : 0)),
            ("static", .object([("wattsPerCore", .double(table.staticWattsPerCore)), ("cores", .string(table.staticCores.rawValue)),
                                ("poweredCores", .int(cores)), ("simulatedSeconds", .double(simulatedSeconds)),
                                ("assumption", .bool(table.staticAssumption))])),
            ("byAction", byAction(all)),
            ("byPhase", .object(byPhase)),
            ("byComponent", .object(byComponent)),
            ("missingActions", .array(table.missingActions.map { .string($0) })),
        ]
        guard let h = hostSteps, !h.steps.isEmpty else { return .object(chipFigures) }
        return .object(chipFigures + [("hostSteps", HostStepReport.energyJSON(h.steps, profile: h.profile, samples: samples))])
    }

    public static func countsJSON(_ c: ActionCounts) -> JSONValue {
        .object(Action.allCases.map { ($0.name, .uint(c[$0])) })
    }

    public static func phaseCountsJSON(_ p: PhaseCounts) -> JSONValue {
        .object(Phase.allCases.map { ($0.name, countsJSON(p[$0])) })
    }

    /// Reads an action-counts object (inverse of countsJSON); unknown action names are errors.
    public static func counts(from value: JSONValue, file: String, path: String) throws -> ActionCounts {
        let r = try JSONReader(value, file: file, path: path)
        var c = ActionCounts()
        for a in Action.allCases { c[a] = UInt64(try r.int(a.name, default: 0, range: 0...Int.max)) }
        try r.rejectUnknownKeys()
        return c
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
