// What a chip is (Lava's "process" side): mesh, core limits, clock, timing, energy table.
// The engine (Engine/) says how it runs. Defaults follow Loihi (Davies et al., IEEE Micro
// 2018): 128 KiB synapse memory and 1024 compartments per core, 4096 input / output axons.

public struct CoreConfig: Equatable, Sendable {
    public var neurons: Int
    public var synapseMemoryBytes: Int
    public var maxInputAxons: Int
    public var maxOutputAxons: Int

    public static let docs = SectionDoc("$.chip.core", "Limits of one neuromorphic core.", [
        KeyDoc("neurons", "integer >= 1", "1024", "Neurons (compartments) per core (Loihi: 1024)."),
        KeyDoc("synapseMemoryBytes", "integer >= 1", "131072", "Synapse SRAM per core in bytes (Loihi: 128 KiB). Dense: ceil(nPre*nPost*weightBits/8); sparse: see docs/SEMANTICS.md."),
        KeyDoc("maxInputAxons", "integer >= 1", "4096", "Input axons per core: the sum of presynaptic population sizes over the core's incoming connections (Loihi: 4096)."),
        KeyDoc("maxOutputAxons", "integer >= 1", "4096", "Output axons per core: neurons on the core x destination cores of each outgoing connection (Loihi: 4096)."),
    ])

    init(_ r: JSONReader?) throws {
        neurons = try r?.int("neurons", default: 1024, range: 1...1_048_576) ?? 1024
        synapseMemoryBytes = try r?.int("synapseMemoryBytes", default: 131_072, range: 1...(1 << 40)) ?? 131_072
        maxInputAxons = try r?.int("maxInputAxons", default: 4096, range: 1...(1 << 30)) ?? 4096
        maxOutputAxons = try r?.int("maxOutputAxons", default: 4096, range: 1...(1 << 30)) ?? 4096
        try r?.rejectUnknownKeys()
    }

    /// The limits in the mapper's terms.
    public var limits: CoreLimits {
        CoreLimits(neuronsPerCore: neurons, synapseBytes: synapseMemoryBytes, maxInputAxons: maxInputAxons, maxOutputAxons: maxOutputAxons)
    }

    var json: JSONValue {
        .object([("neurons", .int(neurons)), ("synapseMemoryBytes", .int(synapseMemoryBytes)),
                 ("maxInputAxons", .int(maxInputAxons)), ("maxOutputAxons", .int(maxOutputAxons))])
    }
}

/// Cycle costs of each action, in core clock cycles. Defaults: Loihi's published times
/// (Davies et al. 2018, Table 2) rounded to whole cycles of a 1 GHz clock; see configs/README.md.
public struct TimingConfig: Equatable, Sendable {
    public var synopCycles: Int          // 3.5 ns per synaptic op -> 4
    public var spikeInCycles: Int        // per delivered spike (axon lookup): assumption 2
    public var neuronActiveCycles: Int   // 8.4 ns -> 8
    public var neuronIdleCycles: Int     // 5.3 ns -> 5
    public var spikeLocalCycles: Int     // spike within tile 2.1 ns -> 2
    public var barrierBaseCycles: Int    // 113 ns for 1 tile
    public var barrierCyclesPerHop: Int  // (465 - 113) ns over the 10-hop diameter of 32 tiles (8x4) -> 35

    public static let docs = SectionDoc("$.chip.timing", "Cycle cost of each action (at chip.clockMHz). Defaults: Loihi's published times (Davies et al. 2018) rounded to 1 GHz cycles.", [
        KeyDoc("synopCycles", "integer >= 0", "4", "Per synaptic operation (weight read + accumulate); Loihi 3.5 ns."),
        KeyDoc("spikeInCycles", "integer >= 0", "2", "Per spike arriving at a core (axon lookup); assumption."),
        KeyDoc("neuronActiveCycles", "integer >= 0", "8", "Per active neuron update; Loihi 8.4 ns."),
        KeyDoc("neuronIdleCycles", "integer >= 0", "5", "Per idle neuron update; Loihi 5.3 ns."),
        KeyDoc("spikeLocalCycles", "integer >= 0", "2", "Per spike delivered within a tile; Loihi 2.1 ns."),
        KeyDoc("barrierBaseCycles", "integer >= 0", "113", "Barrier on a 1-tile chip; Loihi 113 ns."),
        KeyDoc("barrierCyclesPerHop", "integer >= 0", "35", "Added per hop of mesh diameter (width-1 + height-1); fits Loihi's 465 ns at 32 tiles (8x4)."),
    ])

    init(_ r: JSONReader?) throws {
        func c(_ k: String, _ d: Int) throws -> Int { try r?.int(k, default: d, range: 0...1_000_000) ?? d }
        synopCycles = try c("synopCycles", 4)
        spikeInCycles = try c("spikeInCycles", 2)
        neuronActiveCycles = try c("neuronActiveCycles", 8)
        neuronIdleCycles = try c("neuronIdleCycles", 5)
        spikeLocalCycles = try c("spikeLocalCycles", 2)
        barrierBaseCycles = try c("barrierBaseCycles", 113)
        barrierCyclesPerHop = try c("barrierCyclesPerHop", 35)
        try r?.rejectUnknownKeys()
    }

    var json: JSONValue {
        .object([("synopCycles", .int(synopCycles)), ("spikeInCycles", .int(spikeInCycles)),
                 ("neuronActiveCycles", .int(neuronActiveCycles)), ("neuronIdleCycles", .int(neuronIdleCycles)),
                 ("spikeLocalCycles", .int(spikeLocalCycles)), ("barrierBaseCycles", .int(barrierBaseCycles)),
                 ("barrierCyclesPerHop", .int(barrierCyclesPerHop))])
    }
}

/// How the routing phase is timed.
public enum RoutingModel: String, CaseIterable, Sendable {
    /// Cycle-accurate mesh: link occupancy, contention, waiting packets (Router/MeshRouter).
    case cycleAccurate = "cycle-accurate"
    /// Closed-form XY latency of each packet, no contention: the same hop counts and energy,
    /// an optimistic drain time, much faster to simulate (for sweeps).
    case closedForm = "closed-form"
}

public struct ChipConfig: Equatable, Sendable {
    public var meshWidth: Int
    public var meshHeight: Int
    public var clockMHz: Double
    public var core: CoreConfig
    public var timing: TimingConfig
    /// "loihi" (built in, identical to configs/energy/loihi.json) or a path relative to the config file.
    public var energyTable: String
    public var noc: NocConfig
    public var routing: RoutingModel

    public var coresPerTile: Int { noc.coresPerTile }
    public var cores: Int { meshWidth * meshHeight * coresPerTile }
    public var mesh: Mesh { Mesh(width: meshWidth, height: meshHeight, coresPerTile: noc.coresPerTile) }

    public static let docs = SectionDoc("$.chip", "The chip: a mesh of tiles, each with one or more cores.", [
        KeyDoc("meshWidth", "integer 1...64", "1", "Tiles in the x (east-west) direction."),
        KeyDoc("meshHeight", "integer 1...64", "1", "Tiles in the y (north-south) direction."),
        KeyDoc("clockMHz", "number > 0", "1000", "Core clock; converts cycles to simulated seconds."),
        KeyDoc("core", "object", "see $.chip.core", "Per-core limits."),
        KeyDoc("timing", "object", "see $.chip.timing", "Cycle costs."),
        KeyDoc("energyTable", "string", "\"loihi\"", "Energy table (chip profile): \"loihi\" (Davies et al. 2018; configs/energy/loihi.json), \"loihi-sanafe\" (SANA-FE's calibrated Loihi figures; configs/energy/loihi-sanafe.json), \"odin\" (ODIN, Frenkel et al. 2019; configs/energy/odin.json), all built in, or a JSON file path, relative to the config file."),
        KeyDoc("noc", "object", "see $.chip.noc", "Network-on-chip: hop cycles, cores per tile, host port, flits per packet kind."),
        KeyDoc("routing", "\"cycle-accurate\" | \"closed-form\"", "\"cycle-accurate\"", "Routing phase timing: cycle-accurate mesh with link contention, or closed-form XY latency without contention (same counts and energy, optimistic drain, faster)."),
    ])

    init(_ r: JSONReader?) throws {
        meshWidth = try r?.int("meshWidth", default: 1, range: 1...64) ?? 1
        meshHeight = try r?.int("meshHeight", default: 1, range: 1...64) ?? 1
        clockMHz = try r?.double("clockMHz", default: 1000, min: 1e-6) ?? 1000
        core = try CoreConfig(r?.optionalObject("core"))
        timing = try TimingConfig(r?.optionalObject("timing"))
        energyTable = try r?.string("energyTable", default: "loihi") ?? "loihi"
        noc = try NocConfig.decode(r?.optionalObject("noc"))
        routing = RoutingModel(rawValue: try r?.string("routing", default: "cycle-accurate", oneOf: RoutingModel.allCases.map(\.rawValue)) ?? "cycle-accurate")!
        try r?.rejectUnknownKeys()
        try noc.validate(mesh: mesh)
    }

    var json: JSONValue {
        .object([("meshWidth", .int(meshWidth)), ("meshHeight", .int(meshHeight)), ("clockMHz", .double(clockMHz)),
                 ("core", core.json), ("timing", timing.json), ("energyTable", .string(energyTable)),
                 ("noc", noc.json), ("routing", .string(routing.rawValue))])
    }
}
