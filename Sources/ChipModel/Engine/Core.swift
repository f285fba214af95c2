// One neuromorphic core: a slice of one layer's neurons (Parameters + Derived + State),
// the synapse blocks of its incoming connections, per-step buffers, and its counters.

public final class Core {
    public let id: Int
    public let tileX: Int
    public let tileY: Int
    /// The layer this core holds neurons of, and which of them: [firstNeuron, firstNeuron + count).
    public let layer: Int
    public let firstNeuron: Int
    public let count: Int

    public let parameters: LIFParameters
    public let derived: LIFDerived
    public var state: LIFState
    public var blocks: [SynapseBlock]

    /// Buffers: one dendritic accumulator row per incoming block, and the shifted sum.
    public var accumulators: [ContiguousArray<Int32>]
    public var aIn: ContiguousArray<Int64>
    /// Spikes emitted this step, as global neuron indices of `layer`, ascending.
    public var emitted: ContiguousArray<Int32> = []

    public var counts = PhaseCounts()
    /// Busy cycles per phase accumulated over the run (for utilisation).
    public var busyCycles = [UInt64](repeating: 0, count: Phase.count)

    init(id: Int, tileX: Int, tileY: Int, layer: Int, firstNeuron: Int, count: Int,
         parameters: LIFParameters, blocks: [SynapseBlock]) {
        self.id = id; self.tileX = tileX; self.tileY = tileY
        self.layer = layer; self.firstNeuron = firstNeuron; self.count = count
        self.parameters = parameters; self.derived = LIFDerived(parameters)
        self.state = LIFState(count: count); self.blocks = blocks
        accumulators = blocks.map { _ in ContiguousArray(repeating: 0, count: count) }
        aIn = ContiguousArray(repeating: 0, count: count)
        emitted.reserveCapacity(count)
    }

    public var synapseBytes: Int { blocks.reduce(0) { $0 + $1.bytes } }
    public var inputAxons: Int { blocks.reduce(0) { $0 + $1.nPre } }
    /// Neuron state bits: u and v (24 each) + refractory counter (6).
    public var stateBytes: Int { (count * (NeuronWidths.current + NeuronWidths.voltage + 6) + 7) / 8 }

    public func resetState() {
        state.reset()
        for k in 0..<accumulators.count {
            accumulators[k].withUnsafeMutableBufferPointer { p in for j in 0..<p.count { p[j] = 0 } }
        }
        emitted.removeAll(keepingCapacity: true)
    }
}
