// One neuromorphic core: one or more populations (slices of layers), each with its neuron
// Parameters + Derived + State, the synapse blocks of its incoming connections and per-step
// buffers; and the core's counters.

/// The neurons [firstNeuron, firstNeuron + count) of one layer, held by one core.
public final class Population {
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
    /// Learning state, when a rule is attached.
    public var learning: PopulationLearning?
    /// Shaped incoming connections (conv2d, pools, oneToOne) and their dendritic accumulators
    /// (channel-minor, see ConvSynapseBlock), summed into a_in like `blocks`. A rule may learn
    /// conv2d kernels (PlasticityUnit.runSharedKernel); pools and one-to-one maps stay fixed.
    public internal(set) var convBlocks: [ConvSynapseBlock]
    public var convAccumulators: [ContiguousArray<Int32>]
    /// Initial u and v of this slice (the layer's initialU / initialV), restored by a reset.
    public let initialU: ContiguousArray<Int32>?
    public let initialV: ContiguousArray<Int32>?

    init(layer: Int, firstNeuron: Int, count: Int, parameters: LIFParameters, blocks: [SynapseBlock],
         convBlocks: [ConvSynapseBlock] = [], initialU: InitialValues = .zero, initialV: InitialValues = .zero) {
        self.layer = layer; self.firstNeuron = firstNeuron; self.count = count
        self.parameters = parameters; self.derived = LIFDerived(parameters)
        self.state = LIFState(count: count); self.blocks = blocks
        accumulators = blocks.map { _ in ContiguousArray(repeating: 0, count: count) }
        self.convBlocks = convBlocks
        convAccumulators = convBlocks.map { ContiguousArray(repeating: 0, count: $0.accumulatorCount) }
        aIn = ContiguousArray(repeating: 0, count: count)
        emitted.reserveCapacity(count)
        func slice(_ v: InitialValues) -> ContiguousArray<Int32>? {
            v == .zero ? nil : ContiguousArray((0..<count).map { v.value(firstNeuron + $0) })
        }
        self.initialU = slice(initialU); self.initialV = slice(initialV)
        applyInitialState()
    }

    /// Sets u and v to the layer's initial values (after a reset, which zeroes them).
    func applyInitialState() {
        // Element copies, so u and v keep their own storage (no copy-on-write in the step).
        if let initialU { for j in 0..<count { state.u[j] = initialU[j] } }
        if let initialV { for j in 0..<count { state.v[j] = initialV[j] } }
    }

    /// Makes conv block `k` learnable: adds its 32-bit kernel accumulators (counted in the
    /// synapse memory) and its presynaptic traces (one per input axon of this core). Called by a
    /// rule's attach, after the learning state exists.
    public func enableKernelLearning(block k: Int) {
        precondition(convBlocks[k].kind == .conv2d, "only conv2d kernels learn")
        if convBlocks[k].auxBits == 0 { convBlocks[k].enableKernelAccumulators() }
        learning?.enableConvTraces(block: k, inputSize: convBlocks[k].geometry.input.size, axons: convBlocks[k].inputAxons)
    }

    /// Sets conv block `k`'s kernels of its covered channels (OIHW order, channels
    /// channelLo..<channelHi; checkpoint restore). Throws unless every value lies within weightBits.
    public func setKernels(block k: Int, oihw: [Int], file: String, path: String) throws {
        let b = convBlocks[k]
        let lo = FixedPoint.signedMin(bits: b.weightBits), hi = FixedPoint.signedMax(bits: b.weightBits)
        guard oihw.count == (b.channelHi - b.channelLo) * b.geometry.kernelSize else {
            throw ChipError.config(file: file, path: path, message: "expected \((b.channelHi - b.channelLo) * b.geometry.kernelSize) kernel weights, found \(oihw.count)")
        }
        if let bad = oihw.firstIndex(where: { Int64($0) < lo || Int64($0) > hi }) {
            throw ChipError.config(file: file, path: "\(path)[\(bad)]", message: "kernel weight \(oihw[bad]) is outside the \(b.weightBits)-bit range \(lo)...\(hi)")
        }
        convBlocks[k].setKernels(oihw: oihw)
    }

    public var synapseBytes: Int { blocks.reduce(0) { $0 + $1.bytes } + convBlocks.reduce(0) { $0 + $1.bytes } }
    public var inputAxons: Int { blocks.reduce(0) { $0 + $1.nPre } + convBlocks.reduce(0) { $0 + $1.inputAxons } }
    /// Neuron state bits: u and v (24 each) + refractory counter (6).
    public static let stateBitsPerNeuron = NeuronWidths.current + NeuronWidths.voltage + 6
    public var stateBytes: Int { (count * Population.stateBitsPerNeuron + 7) / 8 }

    public func resetState() {
        state.reset()
        for k in 0..<accumulators.count {
            accumulators[k].zeroFill()
        }
        for k in 0..<convAccumulators.count { convAccumulators[k].zeroFill() }
        applyInitialState()
        emitted.removeAll(keepingCapacity: true)
        learning?.reset()
    }
}

public final class Core {
    public let id: Int
    public let tileX: Int
    public let tileY: Int
    public internal(set) var populations: [Population] = []
    /// Slices of input layers placed here (mapper strategies other than packed): this core
    /// is their spike source; it updates no neurons for them.
    public internal(set) var inputSlices: [(layer: Int, slice: CoreSlice)] = []
    /// The core's counters. Only the core's own units add to them (the simulator's phases and
    /// the methods of CoreLearningCounters.swift); outside ChipModel they are read-only.
    public internal(set) var counts = PhaseCounts()
    /// Busy cycles per phase accumulated over the run (for utilisation).
    public var busyCycles = [UInt64](repeating: 0, count: Phase.count)
    /// The core's plasticity unit (microcode interpreter).
    public lazy var plasticityUnit = PlasticityUnit(lanes: 1)

    init(id: Int, tileX: Int, tileY: Int) { self.id = id; self.tileX = tileX; self.tileY = tileY }

    public var neurons: Int { populations.reduce(0) { $0 + $1.count } }
    public var synapseBytes: Int { populations.reduce(0) { $0 + $1.synapseBytes } }
    public var inputAxons: Int { populations.reduce(0) { $0 + $1.inputAxons } }
    public var stateBytes: Int { populations.reduce(0) { $0 + $1.stateBytes } }
    /// Synapses (pre, post pairs; for shaped connections the real ones, not the stored kernel weights).
    public var synapseCount: Int { populations.reduce(0) { $0 + $1.blocks.reduce(0) { $0 + $1.synapseCount } + $1.convBlocks.reduce(0) { $0 + $1.synapseCount } } }

    public func resetState() { for p in populations { p.resetState() } }
}
