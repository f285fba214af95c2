// What the mapper must place: per-layer demands and per-core hardware limits.

/// One layer as the mapper sees it.
public struct LayerDemand {
    public var name: String
    public var neurons: Int
    /// Input axons per neuron = distinct presynaptic sources. The neurons of a core share
    /// its input axons (a presynaptic spike arrives once per core and fans out to all of
    /// the core's neurons), so a core holding any part of this layer needs `fanIn` axons.
    public var fanIn: Int
    /// Synapse memory bytes needed by `n` neurons of this layer on one core. Must be
    /// non-decreasing in n (the mapper searches the largest n that fits).
    public var synapseBytes: (Int) -> Int
    /// Input layers are spike sources (no synapses) but still occupy cores.
    public var isInput: Bool
    /// Indices of the layers this layer's spikes go to; nil = the next layer in the list
    /// (a feed-forward chain), [] = none (an output layer).
    public var feeds: [Int]?

    public init(name: String, neurons: Int, fanIn: Int, isInput: Bool = false, feeds: [Int]? = nil,
                synapseBytes: @escaping (Int) -> Int) {
        self.name = name; self.neurons = neurons; self.fanIn = fanIn
        self.isInput = isInput; self.feeds = feeds; self.synapseBytes = synapseBytes
    }

    /// Convenience: dense synapses of `weightBits` each, `fanIn` per neuron, rounded up to bytes.
    public static func dense(name: String, neurons: Int, fanIn: Int, weightBits: Int = 8, isInput: Bool = false) -> LayerDemand {
        LayerDemand(name: name, neurons: neurons, fanIn: fanIn, isInput: isInput) { n in
            (n * fanIn * weightBits + 7) / 8
        }
    }
}

/// Per-core limits of the hardware.
public struct CoreLimits: Equatable, Sendable {
    /// Neurons (compartments) a core can hold.
    public var neuronsPerCore: Int
    /// Synapse memory per core in bytes.
    public var synapseBytes: Int
    /// Input axons per core (distinct presynaptic sources).
    public var maxInputAxons: Int
    /// Output axons per core: one per (neuron, destination core) pair.
    public var maxOutputAxons: Int

    /// Defaults after Loihi: 1024 compartments, 128 KiB synapse memory, 4096 input and
    /// 4096 output axons per core.
    public init(neuronsPerCore: Int = 1024, synapseBytes: Int = 128 * 1024,
                maxInputAxons: Int = 4096, maxOutputAxons: Int = 4096) {
        self.neuronsPerCore = neuronsPerCore; self.synapseBytes = synapseBytes
        self.maxInputAxons = maxInputAxons; self.maxOutputAxons = maxOutputAxons
    }
}
