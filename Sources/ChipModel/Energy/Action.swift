// The actions that hardware components count. Components only increment integer
// counters; `EnergyModel.cost` turns counts into joules with a table afterwards
// (Accelergy's split of action counts from the energy table).

/// One countable hardware action. The raw string is the name used in energy tables,
/// report.json and metrics.csv; it never changes once published.
public enum Action: Int, CaseIterable, Codable, Sendable {
    /// One synaptic operation: one weight read and accumulated for one delivered spike.
    case synop
    /// Neuron update of a neuron with nonzero state or input.
    case neuronActive
    /// Neuron update of a neuron whose u, v and input are all zero.
    case neuronIdle
    /// A spike delivered to a core on the same tile as its source (no hop).
    case spikeLocal
    /// One flit crossing one east-west link.
    case hopEW
    /// One flit crossing one north-south link.
    case hopNS
    /// One chip-wide barrier synchronisation (one per timestep).
    case barrier
    /// Bits read from / written to synapse and state SRAM.
    case sramReadBits
    case sramWriteBits
    /// One microcode instruction executed by a plasticity unit (per lane-element).
    case plastInstr
    /// One synapse visited by a synapse-scope program (SRAM row access of the update).
    case plastSynapse
    /// One trace register update (decay + impulse).
    case traceUpdate
    /// One 64-bit draw from the core PRNG.
    case prngDraw
    /// One modulatory value broadcast to all neurons of a core.
    case modBroadcast
    /// Bytes moved over the host link (inputs, labels, weight reads/writes).
    case hostIOBytes
    /// Host-side floating point operations (off-chip training).
    case hostFlop
    /// Host-side DRAM traffic in bytes (off-chip training).
    case hostDRAMBytes
    /// Bits of stored synaptic values read and multiply-accumulated by a graded (non-spike)
    /// delivery, e.g. g = M e through a feedback block: charged by the bits it reads, not as
    /// 8-bit synops (TransposedDelivery).
    case gradedMACBits
    /// One element visited by a core's reducer (a max |x| or sum over its neurons; Reducer).
    case reduceOp

    /// Stable name used in tables and reports.
    public var name: String {
        switch self {
        case .synop: return "synop"
        case .neuronActive: return "neuron.active"
        case .neuronIdle: return "neuron.idle"
        case .spikeLocal: return "spike.local"
        case .hopEW: return "hop.ew"
        case .hopNS: return "hop.ns"
        case .barrier: return "barrier"
        case .sramReadBits: return "sram.read.bits"
        case .sramWriteBits: return "sram.write.bits"
        case .plastInstr: return "plast.instr"
        case .plastSynapse: return "plast.synapse"
        case .traceUpdate: return "trace.update"
        case .prngDraw: return "prng.draw"
        case .modBroadcast: return "mod.broadcast"
        case .hostIOBytes: return "host.io.bytes"
        case .hostFlop: return "host.flop"
        case .hostDRAMBytes: return "host.dram.bytes"
        case .gradedMACBits: return "graded.mac.bits"
        case .reduceOp: return "reduce.op"
        }
    }

    public init?(name: String) {
        guard let a = Action.allCases.first(where: { $0.name == name }) else { return nil }
        self = a
    }

    public static let count = Action.allCases.count
}

/// Counts per action for one component (a core, the mesh, the host). Plain integers;
/// ratios (utilisation, energy per sample) are derived when reporting, never stored.
public struct ActionCounts: Equatable, Sendable {
    public var values: [UInt64]
    /// Not an action (it costs nothing beyond the `synop`s already counted): of the products a
    /// graded delivery performed, those whose graded input and stored weight were both nonzero,
    /// NeuroBench's effective MACs (`GradedDelivery.count`, docs/NEUROBENCH.md). Summed by
    /// `add(_:)` like the actions; not in energy tables, `byName` or checkpoints.
    public var gradedNonzeroProducts: UInt64 = 0

    public init() { values = [UInt64](repeating: 0, count: Action.count) }

    @inlinable
    public subscript(_ a: Action) -> UInt64 {
        get { values[a.rawValue] }
        set { values[a.rawValue] = newValue }
    }

    @inlinable
    public mutating func add(_ a: Action, _ n: UInt64) { values[a.rawValue] += n }

    @inlinable
    public mutating func add(_ other: ActionCounts) {
        for i in 0..<values.count { values[i] += other.values[i] }
        gradedNonzeroProducts += other.gradedNonzeroProducts
    }

    /// Name -> count for every action, including zeros (reports list all actions).
    public var byName: [(String, UInt64)] { Action.allCases.map { ($0.name, self[$0]) } }
}
