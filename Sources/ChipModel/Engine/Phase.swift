// The phases of one algorithmic timestep, run in this order on every core
// (docs/SEMANTICS.md, phase order; Lava's LoihiProtocol has the same shape).

public enum Phase: Int, CaseIterable, Sendable {
    /// Spikes emitted at step t-1 are read from synapse SRAM and accumulated.
    case delivery
    /// Every neuron updates u and v, compares to threshold and emits spikes.
    case neuronUpdate
    /// Emitted packets traverse the mesh; the phase ends when the network has drained.
    case routing
    /// Plasticity programs (every tEpoch steps, when a rule is active).
    case learning
    /// Chip-wide barrier synchronisation.
    case barrier

    public var name: String {
        switch self {
        case .delivery: return "delivery"
        case .neuronUpdate: return "neuronUpdate"
        case .routing: return "routing"
        case .learning: return "learning"
        case .barrier: return "barrier"
        }
    }

    public static let count = Phase.allCases.count
}

/// Counts per (phase, action) for one component; the phase split lets reports show energy
/// by phase as well as by action without a second simulation.
public struct PhaseCounts: Equatable, Sendable {
    public var byPhase: [ActionCounts]

    public init() { byPhase = Array(repeating: ActionCounts(), count: Phase.count) }

    @inlinable
    public subscript(_ p: Phase) -> ActionCounts {
        get { byPhase[p.rawValue] }
        set { byPhase[p.rawValue] = newValue }
    }

    @inlinable
    public mutating func add(_ p: Phase, _ a: Action, _ n: UInt64) { byPhase[p.rawValue].add(a, n) }

    public mutating func add(_ other: PhaseCounts) {
        for p in 0..<Phase.count { byPhase[p].add(other.byPhase[p]) }
    }

    public var total: ActionCounts {
        var t = ActionCounts()
        for c in byPhase { t.add(c) }
        return t
    }
}
