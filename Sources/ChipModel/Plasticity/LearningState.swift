// The learning state a core holds, as struct-of-arrays (one ContiguousArray per register,
// indexed by axon / neuron / synapse). Every stored value already lies in its register's
// range; all arrays are Int32 except the weights, so the interpreters gather without
// conversions. Memory functions count bits of the hardware registers (not of the Swift
// arrays) and return bytes, rounded up, for the core's SRAM budget.

/// Pre-synaptic learning state of a population of `count` axons: this step's spike flags
/// (x0) and two traces (x1, x2).
public struct PreSynapticTraces: Sendable {
    public let count: Int
    public var x1Parameters: TraceParameters
    public var x2Parameters: TraceParameters
    /// x0: 1 if the axon spiked this step, else 0. The engine sets it before `updateTraces`.
    public var spikes: ContiguousArray<Int32>
    public var x1: ContiguousArray<Int32>
    public var x2: ContiguousArray<Int32>

    public init(count: Int, x1: TraceParameters, x2: TraceParameters = .unused) {
        self.count = count
        x1Parameters = x1; x2Parameters = x2
        spikes = ContiguousArray(repeating: 0, count: count)
        self.x1 = ContiguousArray(repeating: 0, count: count)
        self.x2 = ContiguousArray(repeating: 0, count: count)
    }

    /// Decays x1 and x2 and adds this step's impulses (TraceUnit's formula).
    public mutating func updateTraces(seed: UInt64, core: Int, step: Int, population: Int,
                                      counts: inout ActionCounts) {
        TraceUnit.update(&x1, spikes: spikes, parameters: x1Parameters,
                         key: TraceUnit.key(seed: seed, core: core, step: step, population: population, slot: .x1),
                         counts: &counts)
        if x2Parameters != .unused {
            TraceUnit.update(&x2, spikes: spikes, parameters: x2Parameters,
                             key: TraceUnit.key(seed: seed, core: core, step: step, population: population, slot: .x2),
                             counts: &counts)
        }
    }

    /// Spike flag (1 bit) + x1 + x2 (x2 only when used) per axon.
    public var memoryBytes: Int {
        let perAxon = 1 + x1Parameters.bits + (x2Parameters == .unused ? 0 : x2Parameters.bits)
        return (count * perAxon + 7) / 8
    }
}

/// Post-synaptic learning state of `count` neurons: spike flag y0, traces y1..y3, the
/// modulator (signed 16-bit), scratch registers r0..r3 (signed 32-bit), and read-only
/// copies of u and v for this step (set by the engine after the neuron update).
public struct PostSynapticState: Sendable {
    public let count: Int
    public var y1Parameters: TraceParameters
    public var y2Parameters: TraceParameters
    public var y3Parameters: TraceParameters
    /// y0: 1 if the neuron spiked this step, else 0.
    public var spikes: ContiguousArray<Int32>
    public var y1: ContiguousArray<Int32>
    public var y2: ContiguousArray<Int32>
    public var y3: ContiguousArray<Int32>
    /// Read-only inputs of the step (not learning memory: they live in the neuron core).
    public var u: ContiguousArray<Int32>
    public var v: ContiguousArray<Int32>
    /// Modulator, values within signed 16 bits (stores saturate).
    public var modulator: ContiguousArray<Int32>
    public var r0: ContiguousArray<Int32>
    public var r1: ContiguousArray<Int32>
    public var r2: ContiguousArray<Int32>
    public var r3: ContiguousArray<Int32>

    public init(count: Int, y1: TraceParameters, y2: TraceParameters = .unused, y3: TraceParameters = .unused) {
        self.count = count
        y1Parameters = y1; y2Parameters = y2; y3Parameters = y3
        let z = ContiguousArray<Int32>(repeating: 0, count: count)
        spikes = z; self.y1 = z; self.y2 = z; self.y3 = z; u = z; v = z
        modulator = z; r0 = z; r1 = z; r2 = z; r3 = z
    }

    /// Sets every neuron's modulator to `value` saturated to 16 bits (a modulatory broadcast;
    /// the engine counts `.modBroadcast`).
    public mutating func broadcastModulator(_ value: Int64) {
        let m = Int32(FixedPoint.saturate(value, bits: LearningWidths.modulator))
        for i in 0..<count { modulator[i] = m }
    }

    /// Sets every neuron's scratch register r0 to `value` saturated to 32 bits (a scalar
    /// broadcast wider than the modulator, e.g. a period's cost difference; the engine counts
    /// `.modBroadcast`).
    public mutating func broadcastScratch(_ value: Int64) {
        let x = Int32(FixedPoint.saturate(value, bits: LearningWidths.aluRegister))
        for i in 0..<count { r0[i] = x }
    }

    /// Decays y1 (and y2, y3 when used) and adds this step's impulses (TraceUnit's formula).
    public mutating func updateTraces(seed: UInt64, core: Int, step: Int, population: Int,
                                      counts: inout ActionCounts) {
        func key(_ slot: TraceSlot) -> RandomKey {
            TraceUnit.key(seed: seed, core: core, step: step, population: population, slot: slot)
        }
        // An unused trace is not hardware: it is neither updated nor counted.
        if y1Parameters != .unused {
            TraceUnit.update(&y1, spikes: spikes, parameters: y1Parameters, key: key(.y1), counts: &counts)
        }
        if y2Parameters != .unused {
            TraceUnit.update(&y2, spikes: spikes, parameters: y2Parameters, key: key(.y2), counts: &counts)
        }
        if y3Parameters != .unused {
            TraceUnit.update(&y3, spikes: spikes, parameters: y3Parameters, key: key(.y3), counts: &counts)
        }
    }

    /// Per neuron: spike flag 1 + used traces + modulator 16 + scratch 4 x 32 bits.
    public var memoryBytes: Int {
        var perNeuron = 1 + y1Parameters.bits + LearningWidths.modulator + 4 * LearningWidths.aluRegister
        if y2Parameters != .unused { perNeuron += y2Parameters.bits }
        if y3Parameters != .unused { perNeuron += y3Parameters.bits }
        return (count * perNeuron + 7) / 8
    }
}

// Synapse blocks (weights + auxiliary registers) are Synapse/SynapseBlock.swift: the same
// storage the engine delivers spikes from is what the plasticity unit updates.

extension LearningWidths {
    /// Default width of the per-synapse auxiliary register (signed, saturating).
    public static let defaultAuxBits = 16
}
