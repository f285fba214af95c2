// Builds a chip from an experiment config: places layers on cores, generates synapse
// SRAM contents, and checks every hardware limit. A network that does not fit is rejected
// with an error naming the layer, the core and the limit.
//
// Placement: mapping.strategy "greedy", "balanced" and "explicit" are done by Mapping/Mapper
// (one layer per core; input layers occupy cores and their spikes are routed). "packed" (the
// default) is done here: greedy packing. Cores are filled in
// id order; layers are taken in order; each layer takes as many neurons as fit on the
// current core (neurons, synapse bytes and input axons all within the core's limits),
// continuing on the next core. A core may hold slices of several layers. Input layers occupy
// no core: their spikes come from the chip's spike generators at each consumer core (see
// docs/SEMANTICS.md, "Input").

public final class Chip {
    public let config: ExperimentConfig
    public private(set) var cores: [Core] = []
    /// For each layer, the ids of the cores holding part of it, ascending (empty for input layers).
    public private(set) var coresOfLayer: [[Int]]
    /// For each layer, the layers it projects to (connection order).
    public let targetsOfLayer: [[Int]]
    /// For input layers placed on cores: the source core of each channel (else empty).
    public private(set) var sourceCoreOfChannel: [[Int32]]
    public let mesh: Mesh

    public var layers: [LayerConfig] { config.network.layers }

    /// Synapse bytes a slice of `n` neurons of layer `li` needs (exact for dense; the
    /// expected value for sparse, whose actual size is checked after generation).
    static func bytesNeeded(layer li: Int, neurons n: Int, network net: NetworkConfig) -> Int {
        var total = 0
        for c in net.connections where c.to == net.layers[li].name {
            let nPre = net.layers[net.layerIndex(c.from)!].size
            switch c.layout {
            case .dense: total += (nPre * n * c.weightBits + 7) / 8
            case .sparse:
                let nnz = Int((Double(nPre * n) * c.density).rounded(.up))
                total += (nnz * (c.weightBits + SynapseBlock.indexBits(nPost: n)) + nPre * 32 + 7) / 8
            }
        }
        return total
    }

    public init(config: ExperimentConfig) throws {
        self.config = config
        let net = config.network
        let chip = config.chip
        let limits = chip.core
        coresOfLayer = Array(repeating: [], count: net.layers.count)
        sourceCoreOfChannel = Array(repeating: [], count: net.layers.count)
        mesh = chip.mesh
        targetsOfLayer = net.layers.map { l in
            net.connections.filter { $0.from == l.name }.map { net.layerIndex($0.to)! }
        }
        if config.mapping.strategy != .packed {
            try placeWithMapper()
            return
        }
        func newCore(_ id: Int) -> Core {
            let tile = id / chip.coresPerTile
            return Core(id: id, tileX: tile % chip.meshWidth, tileY: tile / chip.meshWidth)
        }
        // 1. Place (greedy packing) and generate synapses.
        var current = newCore(0)
        cores = [current]
        for (li, layer) in net.layers.enumerated() where !layer.isInput {
            let axons = net.connections.filter { $0.to == layer.name }.reduce(0) { $0 + net.layers[net.layerIndex($1.from)!].size }
            if axons > limits.maxInputAxons {
                throw ChipError.capacity(message: "layer '\(layer.name)' has a fan-in of \(axons) input axons per core; chip.core.maxInputAxons is \(limits.maxInputAxons)")
            }
            var first = 0
            while first < layer.size {
                let freeNeurons = limits.neurons - current.neurons
                let freeBytes = limits.synapseMemoryBytes - current.synapseBytes
                var n = 0
                if current.inputAxons + axons <= limits.maxInputAxons {
                    // Largest n <= min(remaining, freeNeurons) whose synapses fit (bytes grow with n).
                    var lo = 0, hi = min(layer.size - first, freeNeurons)
                    while lo < hi {
                        let mid = (lo + hi + 1) / 2
                        if Chip.bytesNeeded(layer: li, neurons: mid, network: net) <= freeBytes { lo = mid } else { hi = mid - 1 }
                    }
                    n = lo
                }
                if n == 0 {
                    if current.populations.isEmpty {
                        let one = Chip.bytesNeeded(layer: li, neurons: 1, network: net)
                        throw ChipError.capacity(message: "layer '\(layer.name)' on core \(current.id): one neuron needs \(one) bytes of synapse memory; chip.core.synapseMemoryBytes is \(limits.synapseMemoryBytes)")
                    }
                    guard cores.count < chip.cores else {
                        throw ChipError.capacity(message: "not enough cores: layer '\(layer.name)' still has \(layer.size - first) of \(layer.size) neurons to place after all \(chip.cores) cores of the \(chip.meshWidth)x\(chip.meshHeight) mesh (\(chip.coresPerTile) per tile) are full (\(limits.neurons) neurons, \(limits.synapseMemoryBytes) synapse bytes per core)")
                    }
                    current = newCore(cores.count)
                    cores.append(current)
                    continue
                }
                var blocks: [SynapseBlock] = []
                for (ci, c) in net.connections.enumerated() where c.to == layer.name {
                    let pre = net.layerIndex(c.from)!
                    let b = try Chip.makeBlock(connection: ci, config: c, preLayer: pre, nPre: net.layers[pre].size,
                                               postFirst: first, nPost: n, seed: config.seed)
                    if Int64(b.nPre) << Int64(b.weightBits - 1) >= Int64(1) << 31 {
                        throw ChipError.capacity(message: "layer '\(layer.name)' on core \(current.id): fan-in \(b.nPre) with \(b.weightBits)-bit weights could overflow the 32-bit dendritic accumulator")
                    }
                    blocks.append(b)
                }
                let pop = Population(layer: li, firstNeuron: first, count: n, parameters: layer.neuron.parameters, blocks: blocks)
                current.populations.append(pop)
                if current.synapseBytes > limits.synapseMemoryBytes {
                    throw ChipError.capacity(message: "layer '\(layer.name)' on core \(current.id): the generated sparse synapses need \(current.synapseBytes) bytes; chip.core.synapseMemoryBytes is \(limits.synapseMemoryBytes) (lower the density or use more cores)")
                }
                if coresOfLayer[li].last != current.id { coresOfLayer[li].append(current.id) }
                first += n
            }
        }
        if cores.last!.populations.isEmpty { cores.removeLast() }
        for core in cores {
            var outAxons = 0
            for p in core.populations { for t in targetsOfLayer[p.layer] { outAxons += p.count * coresOfLayer[t].count } }
            if outAxons > limits.maxOutputAxons {
                throw ChipError.capacity(message: "core \(core.id) (layers \(core.populations.map { "'\(net.layers[$0.layer].name)'" }.joined(separator: ", "))) needs \(outAxons) output axons (neurons x destination cores); chip.core.maxOutputAxons is \(limits.maxOutputAxons)")
            }
        }
    }

    /// Places with Mapping/Mapper (greedy, balanced, explicit) and builds the cores.
    private func placeWithMapper() throws {
        let net = config.network
        let demands: [LayerDemand] = net.layers.enumerated().map { li, l in
            let fanIn = net.connections.filter { $0.to == l.name }.reduce(0) { $0 + net.layers[net.layerIndex($1.from)!].size }
            return LayerDemand(name: l.name, neurons: l.size, fanIn: fanIn, isInput: l.isInput, feeds: targetsOfLayer[li]) { n in
                l.isInput ? 0 : Chip.bytesNeeded(layer: li, neurons: n, network: net)
            }
        }
        let placement = try Mapper.place(demands, limits: config.chip.core.limits, mesh: mesh, config: config.mapping)
        cores = (0..<config.chip.cores).map { id in
            let t = mesh.coord(ofCore: id)
            return Core(id: id, tileX: t.x, tileY: t.y)
        }
        for (li, layer) in net.layers.enumerated() {
            for s in placement.slices[li] {
                let core = cores[s.core]
                if layer.isInput {
                    core.inputSlices.append((li, s))
                } else {
                    var blocks: [SynapseBlock] = []
                    for (ci, c) in net.connections.enumerated() where c.to == layer.name {
                        let pre = net.layerIndex(c.from)!
                        blocks.append(try Chip.makeBlock(connection: ci, config: c, preLayer: pre, nPre: net.layers[pre].size,
                                                         postFirst: s.firstNeuron, nPost: s.count, seed: config.seed))
                    }
                    core.populations.append(Population(layer: li, firstNeuron: s.firstNeuron, count: s.count,
                                                       parameters: layer.neuron.parameters, blocks: blocks))
                    if core.synapseBytes > config.chip.core.synapseMemoryBytes {
                        throw ChipError.capacity(message: "layer '\(layer.name)' on core \(s.core): the generated sparse synapses need \(core.synapseBytes) bytes; chip.core.synapseMemoryBytes is \(config.chip.core.synapseMemoryBytes)")
                    }
                }
                if coresOfLayer[li].last != s.core { coresOfLayer[li].append(s.core) }
            }
            if layer.isInput {
                var map = [Int32](repeating: 0, count: layer.size)
                for s in placement.slices[li] { for j in s.firstNeuron..<(s.firstNeuron + s.count) { map[j] = Int32(s.core) } }
                sourceCoreOfChannel[li] = map
            }
        }
    }

    /// Cores that hold anything (for reports).
    public var usedCores: [Core] { cores.filter { !$0.populations.isEmpty || !$0.inputSlices.isEmpty } }

    /// Generates the synapses of connection `config` from all nPre presynaptic neurons to
    /// postsynaptic neurons [postFirst, postFirst + nPost). Every weight and every sparse
    /// existence draw is keyed by (seed, connection, pre, global post): the result does not
    /// depend on how the layer is split over cores.
    /// The initial weight mantissas of connection `ci` of `config`, pre-major
    /// (w[i * nPost + j], zeros where a sparse connection has no synapse): the same draws the
    /// chip's blocks are built from, independent of how the layer is split over cores.
    public static func initialWeights(connection ci: Int, of config: ExperimentConfig) throws -> [Int] {
        let net = config.network, c = net.connections[ci]
        let pre = net.layerIndex(c.from)!, post = net.layerIndex(c.to)!
        let nPre = net.layers[pre].size, nPost = net.layers[post].size
        let b = try makeBlock(connection: ci, config: c, preLayer: pre, nPre: nPre, postFirst: 0, nPost: nPost, seed: config.seed)
        var w = [Int](repeating: 0, count: nPre * nPost)
        for i in 0..<nPre { for j in 0..<nPost { w[i * nPost + j] = b.weight(pre: i, post: j) } }
        return w
    }

    static func makeBlock(connection ci: Int, config c: ConnectionConfig, preLayer: Int, nPre: Int,
                          postFirst: Int, nPost: Int, seed: UInt64) throws -> SynapseBlock {
        let wKey = RandomKey(seed: seed, stream: .weightInit).with(ci)
        let exKey = wKey.with(Int(-1))
        let wMin = FixedPoint.signedMin(bits: c.weightBits), wMax = FixedPoint.signedMax(bits: c.weightBits)
        // Draw index of synapse (pre i, post j): i * 2^24 + j (2^24 is the maximum layer
        // size), so indices never collide and do not depend on the post layer's size.
        let stride = 1 << 24
        func weight(_ i: Int, _ jGlobal: Int) -> Int16 {
            let idx = i * stride + jGlobal
            switch c.initialization {
            case let .uniform(lo, hi):
                // lo + floor(r32 * (hi - lo + 1) / 2^32): exact-width multiply-high, no modulo bias beyond 2^-32.
                let span = UInt64(hi - lo + 1)
                return Int16(lo + Int(((wKey.draw(idx) >> 32) * span) >> 32))
            case let .normal(mean, std):
                let x = (mean + std * wKey.gaussian(idx)).rounded(.toNearestOrAwayFromZero)
                let clipped = Swift.min(Swift.max(x, Double(wMin)), Double(wMax))
                return Int16(clipped)
            case let .constant(v): return Int16(v)
            case let .explicit(m): return Int16(m[i][jGlobal])
            }
        }
        switch c.layout {
        case .dense:
            var w = ContiguousArray<Int16>(repeating: 0, count: nPre * nPost)
            for i in 0..<nPre { for j in 0..<nPost { w[i * nPost + j] = weight(i, postFirst + j) } }
            return SynapseBlock(connection: ci, preLayer: preLayer, nPre: nPre, nPost: nPost, layout: .dense,
                                weightBits: c.weightBits, weightExponent: c.weightExponent, weights: w)
        case .sparse:
            var w = ContiguousArray<Int16>(), rs = ContiguousArray<Int32>([0]), pi = ContiguousArray<Int32>()
            for i in 0..<nPre {
                for j in 0..<nPost {
                    let exists: Bool
                    if case .explicit = c.initialization { exists = weight(i, postFirst + j) != 0 }
                    else { exists = c.density >= 1 || exKey.uniform(i * stride + postFirst + j) < c.density }
                    if exists { w.append(weight(i, postFirst + j)); pi.append(Int32(j)) }
                }
                rs.append(Int32(w.count))
            }
            return SynapseBlock(connection: ci, preLayer: preLayer, nPre: nPre, nPost: nPost, layout: .sparse,
                                weightBits: c.weightBits, weightExponent: c.weightExponent, weights: w,
                                rowStart: rs, postIndex: pi)
        }
    }

}
