import Foundation
import ChipModel

/// Everything `chipsim run` writes, derived from a finished Simulator: report.json (schema
/// versioned), metrics.csv (one row per sample) and the human table for stdout. Wall-clock
/// figures live only in the "wallClock" block, so two runs of the same config produce
/// byte-identical reports once that block is removed.
public struct RunReport {
    public static let schemaVersion = 1
    public static func routingModel(_ m: RoutingModel) -> String {
        switch m {
        case .cycleAccurate: return "cycle-accurate 2D mesh: XY routing, one flit per link per cycle, packets wait for busy links (docs/ROUTER.md)"
        case .closedForm: return "closed-form XY latency per packet, no link contention (same hop counts and energy as cycle-accurate; optimistic drain time)"
        }
    }
    public static func inputModel(_ s: MappingStrategy) -> String {
        s == .packed ? "input spikes come from spike generators at each consumer core: no routing cost, only their synaptic operations"
                     : "input layers occupy cores; their spikes are routed from there like any other spike"
    }

    public let simulator: Simulator
    public let table: EnergyTable
    public let wallSeconds: Double
    /// Steps simulated during `wallSeconds` (a resumed run: only the resumed part's).
    public let timedSteps: UInt64?
    /// The host profile the run's declared host steps are costed with (docs/LEARNING.md, "Host steps").
    public let hostProfile: HostProfile

    public init(simulator: Simulator, table: EnergyTable, wallSeconds: Double, timedSteps: UInt64? = nil,
                hostProfile: HostProfile = BuiltinHostProfiles.default) {
        self.simulator = simulator; self.table = table; self.wallSeconds = wallSeconds; self.timedSteps = timedSteps
        self.hostProfile = hostProfile
    }

    /// The declared host steps with their profile, nil when the run declared none.
    var hostSteps: (steps: [HostStepRecord], profile: HostProfile)? {
        simulator.hostSteps.isEmpty ? nil : (simulator.hostSteps.steps, hostProfile)
    }

    var stepsPerSecond: Double { wallSeconds > 0 ? Double(timedSteps ?? simulator.totals.steps) / wallSeconds : 0 }

    var chip: Chip { simulator.chip }
    var config: ExperimentConfig { chip.config }

    public var components: [ComponentCounts] {
        chip.cores.map { ComponentCounts(component: String($0.id), counts: $0.counts) }
            + [ComponentCounts(component: "mesh", counts: simulator.meshCounts)]
    }

    public var accuracy: Double? {
        let labelled = simulator.samples.filter { $0.label != nil }
        guard !labelled.isEmpty else { return nil }
        return Double(labelled.filter { $0.label == $0.prediction }.count) / Double(labelled.count)
    }

    public var json: JSONValue {
        let s = simulator
        let phaseCounts = s.totalPhaseCounts
        let totalCounts = phaseCounts.total
        var summary: [(String, JSONValue)] = [
            ("samples", .int(s.samplesRun)), ("stepsPerSample", .int(config.run.steps)),
            ("totalSteps", .uint(s.totals.steps)), ("cores", .int(chip.cores.count)),
            ("coresUsed", .int(chip.usedCores.count)), ("coresOnChip", .int(config.chip.cores)),
            ("synapseMemoryBytesPerCore", .int(config.chip.core.synapseMemoryBytes)),
            ("mesh", .array([.int(config.chip.meshWidth), .int(config.chip.meshHeight)])),
        ]
        if let a = accuracy { summary.append(("accuracy", .double(a))) }
        summary.append(("spikesPerLayer", .object(chip.layers.enumerated().map { l, layer in
            (layer.name, .int(s.totalSpikesPerLayer[l]))
        })))
        let placement: [JSONValue] = chip.usedCores.map { c in
            .object([("core", .int(c.id)), ("tile", .array([.int(c.tileX), .int(c.tileY)])),
                     ("populations", .array(c.populations.map { p in
                         .object([("layer", .string(chip.layers[p.layer].name)),
                                  ("neurons", .array([.int(p.firstNeuron), .int(p.count)]))])
                     } + c.inputSlices.map { s in
                         .object([("layer", .string(chip.layers[s.layer].name)), ("source", .bool(true)),
                                  ("neurons", .array([.int(s.slice.firstNeuron), .int(s.slice.count)]))])
                     })),
                     ("neurons", .int(c.neurons)), ("synapses", .int(c.synapseCount)),
                     ("synapseBytes", .int(c.synapseBytes)), ("stateBytes", .int(c.stateBytes)),
                     ("inputAxons", .int(c.inputAxons))])
        }
        let cycles: JSONValue = .object([
            ("total", .uint(s.totals.cycles)),
            ("byPhase", .object(Phase.allCases.map { ($0.name, .uint(s.totals.cyclesByPhase[$0.rawValue])) })),
            ("busyByCore", .array(chip.usedCores.map { c in
                .object([("core", .int(c.id))] + Phase.allCases.map { ($0.name, .uint(c.busyCycles[$0.rawValue])) })
            })),
            ("perStepMean", .double(s.totals.steps > 0 ? Double(s.totals.cycles) / Double(s.totals.steps) : 0)),
            // Cycles the used cores spent waiting (powered, not busy): static energy's share of time.
            ("idleCoreCycles", .uint(idleCoreCycles)),
        ])
        let synBytes = chip.cores.reduce(0) { $0 + $1.synapseBytes }
        let stateBytes = chip.cores.reduce(0) { $0 + $1.stateBytes }
        let memory: JSONValue = .object([
            ("synapseBytes", .int(synBytes)), ("neuronStateBytes", .int(stateBytes)),
            ("synapseCapacityBytes", .int(config.chip.core.synapseMemoryBytes * chip.cores.count)),
        ])
        let head: [(String, JSONValue)] = [
            ("schemaVersion", .int(RunReport.schemaVersion)),
            ("name", .string(config.name)),
            ("summary", .object(summary)),
            ("models", .object([("routing", .string(RunReport.routingModel(config.chip.routing))),
                                ("input", .string(RunReport.inputModel(config.mapping.strategy))),
                                ("mapping", .string(config.mapping.strategy.rawValue))])),
            ("routing", routingJSON),
            ("placement", .array(placement)),
            ("counts", EnergyReport.countsJSON(totalCounts)),
            ("countsByComponent", .object(components.map { ($0.component, EnergyReport.phaseCountsJSON($0.counts)) })),
            ("cycles", cycles),
            ("simulatedSeconds", .double(s.simulatedSeconds)),
            ("energy", EnergyReport.json(components: components, table: table, usedCores: chip.usedCores.count,
                                         coresOnChip: config.chip.cores, simulatedSeconds: s.simulatedSeconds, samples: s.samplesRun,
                                         hostSteps: hostSteps)),
        ]
        // Declared host steps (only when the rule declares any): counts and their profile.
        let host: [(String, JSONValue)] = hostSteps.map { [("hostSteps", HostStepReport.countsJSON($0.steps, profile: $0.profile))] } ?? []
        let tail: [(String, JSONValue)] = [
            ("memory", memory),
            ("neurobench", NeuroBenchMetrics.of(simulator: s).json),
            ("wallClock", .object([("seconds", .double(wallSeconds)),
                                   ("stepsPerSecond", .double(stepsPerSecond))])),
        ]
        return .object(head + host + tail)
    }

    /// Sum over used cores of (total cycles - the core's busy cycles).
    public var idleCoreCycles: UInt64 {
        chip.usedCores.reduce(0) { acc, c in
            let busy = c.busyCycles.reduce(0, +)
            return acc + (simulator.totals.cycles > busy ? simulator.totals.cycles - busy : 0)
        }
    }

    /// Cores the table charges static power for.
    public var poweredCores: Int { table.poweredCores(used: chip.usedCores.count, onChip: config.chip.cores) }

    var routingJSON: JSONValue {
        var kv: [(String, JSONValue)] = [("model", .string(config.chip.routing.rawValue)), ("stallCycles", .uint(simulator.routingStalls))]
        if config.chip.routing == .cycleAccurate { kv.append(("links", simulator.linkUsage().json)) }
        return .object(kv)
    }

    /// One row per sample: its counts costed with the table (dynamic), and the static energy of
    /// the powered cores over the sample's simulated cycles.
    public var metricsCSV: String {
        var out = "sample,label,prediction,correct," + chip.layers.map { "spikes_\($0.name)" }.joined(separator: ",")
            + ",synops,cycles,dynamic_picojoules,static_picojoules\n"
        let clockHz = config.chip.clockMHz * 1e6
        for (i, r) in simulator.samples.enumerated() {
            let e = EnergyModel.cost(r.counts, table: table, cores: poweredCores, simulatedSeconds: Double(r.cycles) / clockHz)
            let label = r.label.map(String.init) ?? ""
            let correct = r.label.map { $0 == r.prediction ? "1" : "0" } ?? ""
            out += "\(i),\(label),\(r.prediction),\(correct)," + r.spikesPerLayer.map(String.init).joined(separator: ",")
                + ",\(r.counts[.synop]),\(r.cycles),\(e.dynamicPicojoules),\(e.staticPicojoules)\n"
        }
        return out
    }


    public var text: String {
        let s = simulator
        let counts = s.totalCounts
        let e = EnergyModel.cost(counts, table: table, cores: poweredCores, simulatedSeconds: s.simulatedSeconds)
        var out = "chipsim run: \(config.name): \(s.samplesRun) samples x \(config.run.steps) steps on \(chip.usedCores.count) used core(s) of a \(config.chip.meshWidth)x\(config.chip.meshHeight) mesh (\(config.chip.cores) cores, \(config.chip.core.synapseMemoryBytes / 1024) KiB synapse memory each)\n"
        if let a = accuracy { out += "accuracy: \(fmt(a * 100, 2))%\n" }
        let spikes = chip.layers.enumerated().map { l, layer in "\(layer.name) \(s.totalSpikesPerLayer[l])" }
        out += "spikes: " + spikes.joined(separator: ", ") + "\n\n"
        out += "energy (table '\(table.name)'): total \(Units.energy(e.totalPicojoules)) (dynamic \(Units.energy(e.dynamicPicojoules)), static \(Units.energy(e.staticPicojoules))), per sample \(Units.energy(e.totalPicojoules / Double(max(1, s.samplesRun))))\n"
        out += "  " + "action".padding(toLength: 16, withPad: " ", startingAt: 0) + lpad("count", 16) + lpad("energy", 14) + lpad("share", 8) + "\n"
        for a in Action.allCases where counts[a] > 0 {
            let pj = e.byAction[a.rawValue]
            out += "  " + a.name.padding(toLength: 16, withPad: " ", startingAt: 0) + lpad(String(counts[a]), 16)
                + lpad(Units.energy(pj), 14) + lpad(fmt(e.totalPicojoules > 0 ? 100 * pj / e.totalPicojoules : 0, 1) + "%", 8) + "\n"
        }
        if e.staticPicojoules > 0 {
            out += "  " + "static".padding(toLength: 16, withPad: " ", startingAt: 0) + lpad("\(poweredCores) core(s)", 16) + lpad(Units.energy(e.staticPicojoules), 14)
                + lpad(fmt(100 * e.staticPicojoules / e.totalPicojoules, 1) + "%", 8) + "\n"
        }
        if let h = hostSteps { out += HostStepReport.text(h.steps, profile: h.profile, chipPicojoules: e.totalPicojoules) }
        out += "\ncycles: total \(s.totals.cycles) (\(fmt(Double(s.totals.cycles) / Double(max(1, s.totals.steps)), 1)) per step); simulated time \(Units.time(s.simulatedSeconds))\n"
        for p in Phase.allCases {
            let c = s.totals.cyclesByPhase[p.rawValue]
            out += "  " + p.name.padding(toLength: 16, withPad: " ", startingAt: 0) + lpad(String(c), 16)
                + lpad(fmt(s.totals.cycles > 0 ? 100 * Double(c) / Double(s.totals.cycles) : 0, 1) + "%", 8) + "\n"
        }
        out += "  (phase split of the slowest core each step; routing: \(RunReport.routingModel(config.chip.routing)))\n"
        if config.chip.routing == .cycleAccurate, let hot = simulator.linkUsage().hottest {
            let u = simulator.linkUsage()
            out += "  links: max utilisation \(fmt(u.maxUtilisation * 100, 1))%, mean \(fmt(u.meanUtilisation * 100, 1))%, hottest \(hot); stalls \(simulator.routingStalls) cycles\n"
        }
        let synBytes = chip.cores.reduce(0) { $0 + $1.synapseBytes }
        out += "\nmemory: synapses \(synBytes) bytes of \(config.chip.core.synapseMemoryBytes * chip.cores.count), neuron state \(chip.cores.reduce(0) { $0 + $1.stateBytes }) bytes\n"
        out += NeuroBenchMetrics.of(simulator: s).text
        out += "wall clock: \(fmt(wallSeconds, 3)) s (\(fmt(stepsPerSecond, 0)) steps/s)\n"
        return out
    }
}

func fmt(_ x: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", x) }
func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? " " + s : String(repeating: " ", count: n - s.count) + s }

public enum Units {
    public static func energy(_ pj: Double) -> String {
        let a = abs(pj)
        if a >= 1e12 { return fmt(pj / 1e12, 3) + " J" }
        if a >= 1e9 { return fmt(pj / 1e9, 3) + " mJ" }
        if a >= 1e6 { return fmt(pj / 1e6, 3) + " uJ" }
        if a >= 1e3 { return fmt(pj / 1e3, 3) + " nJ" }
        return fmt(pj, 2) + " pJ"
    }
    public static func time(_ s: Double) -> String {
        if s >= 1 { return fmt(s, 3) + " s" }
        if s >= 1e-3 { return fmt(s * 1e3, 3) + " ms" }
        if s >= 1e-6 { return fmt(s * 1e6, 3) + " us" }
        return fmt(s * 1e9, 1) + " ns"
    }
}
