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
    /// For each layer, parallel to targetsOfLayer: the halo route of a shaped connection (which
    /// cores each presynaptic neuron's spike goes to), nil for dense/sparse (every core of the target).
    public private(set) var haloRoutes: [[HaloRoute?]] = []
    /// For input layers placed on cores: the source core of each channel (else empty).
    public private(set) var sourceCoreOfChannel: [[Int32]]
    public let mesh: Mesh

    public var layers: [LayerConfig] { config.network.layers }

    /// Synapse bytes a slice of `n` neurons of layer `li` needs (exact for dense; the
    /// expected value for sparse, whose actual size is checked after generation).
    /// Shaped connections store the kernels of the output channels the slice touches: exact
    /// when `first` is given, else the most a slice of n neurons can touch.
    static func bytesNeeded(layer li: Int, first: Int? = nil, neurons n: Int, network net: NetworkConfig) -> Int {
        var total = 0
        for c in net.connections where c.to == net.layers[li].name {
            if let sh = c.shaped {
                let g = sh.geometry, ohw = g.output.height * g.output.width
                let channels = first.map { ($0 + n - 1) / ohw - $0 / ohw + 1 } ?? min(g.output.channels, (n + ohw - 2) / ohw + 1)
                total += ConvSynapseBlock.bytes(channels: channels, geometry: g, weightBits: c.weightBits)
                continue
            }
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
            try buildHaloRoutes()
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
            // Dense and sparse connections need every presynaptic neuron as an input axon; shaped
            // ones only those whose receptive field reaches the slice (counted per slice).
            let axons = net.connections.filter { $0.to == layer.name && $0.shaped == nil }.reduce(0) { $0 + net.layers[net.layerIndex($1.from)!].size }
            let shapedIn = net.connections.filter { $0.to == layer.name }.compactMap(\.shaped)
            func shapedAxons(_ first: Int, _ n: Int) -> Int {
                shapedIn.reduce(0) { $0 + ConvSynapseBlock.inputAxons(geometry: $1.geometry, postFirst: first, nPost: n) }
            }
            // Neurons per output channel of a conv2d input, when the config has a learning section.
            let learnedChannelSize: Int? = config.learning == nil || config.learning == .null ? nil
                : net.connections.first { $0.to == layer.name && $0.kind == .conv2d }.map { $0.shaped!.geometry.output.height * $0.shaped!.geometry.output.width }
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
                    let freeAxons = limits.maxInputAxons - current.inputAxons - axons
                    func fits(_ m: Int) -> Bool {
                        shapedIn.isEmpty ? Chip.bytesNeeded(layer: li, neurons: m, network: net) <= freeBytes
                            : Chip.bytesNeeded(layer: li, first: first, neurons: m, network: net) <= freeBytes && shapedAxons(first, m) <= freeAxons
                    }
                    // Shaped layers: try the whole remainder first (usually the neuron limit binds),
                    // since each probe counts the slice's input axons.
                    if !shapedIn.isEmpty && hi > 0 && fits(hi) { lo = hi }
                    while lo < hi {
                        let mid = (lo + hi + 1) / 2
                        if fits(mid) { lo = mid } else { hi = mid - 1 }
                    }
                    n = lo
                    // A network that learns takes whole channels of a conv2d target per core
                    // when it can: a learned kernel must not be split by position over two
                    // cores (docs/CONV.md, "Learning").
                    if let ohw = learnedChannelSize, first + n < layer.size, (first + n) % ohw != 0 {
                        let aligned = (first + n) / ohw * ohw
                        if aligned > first { n = aligned - first } else if !current.populations.isEmpty { n = 0 }
                    }
                }
                if n == 0 {
                    if current.populations.isEmpty {
                        let oneAxons = axons + shapedAxons(first, 1)
                        if !shapedIn.isEmpty && oneAxons > limits.maxInputAxons {
                            throw ChipError.capacity(message: "layer '\(layer.name)' on core \(current.id): neuron \(first) needs \(oneAxons) input axons; chip.core.maxInputAxons is \(limits.maxInputAxons)")
                        }
                        let one = Chip.bytesNeeded(layer: li, first: shapedIn.isEmpty ? nil : first, neurons: 1, network: net)
                        throw ChipError.capacity(message: "layer '\(layer.name)' on core \(current.id): one neuron needs \(one) bytes of synapse memory; chip.core.synapseMemoryBytes is \(limits.synapseMemoryBytes)")
                    }
                    guard cores.count < chip.cores else {
                        throw ChipError.capacity(message: "not enough cores: layer '\(layer.name)' still has \(layer.size - first) of \(layer.size) neurons to place after all \(chip.cores) cores of the \(chip.meshWidth)x\(chip.meshHeight) mesh (\(chip.coresPerTile) per tile) are full (\(limits.neurons) neurons, \(limits.synapseMemoryBytes) synapse bytes per core)")
                    }
                    current = newCore(cores.count)
                    cores.append(current)
                    continue
                }
                let pop = try makePopulation(layer: li, first: first, count: n, core: current.id)
                current.populations.append(pop)
                if current.synapseBytes > limits.synapseMemoryBytes {
                    throw ChipError.capacity(message: "layer '\(layer.name)' on core \(current.id): the generated sparse synapses need \(current.synapseBytes) bytes; chip.core.synapseMemoryBytes is \(limits.synapseMemoryBytes) (lower the density or use more cores)")
                }
                if coresOfLayer[li].last != current.id { coresOfLayer[li].append(current.id) }
                first += n
            }
        }
        if cores.last!.populations.isEmpty { cores.removeLast() }
        try buildHaloRoutes()
        for core in cores {
            var outAxons = 0
            for p in core.populations {
                for (k, t) in targetsOfLayer[p.layer].enumerated() {
                    if let h = haloRoutes[p.layer][k] {
                        for j in p.firstNeuron..<(p.firstNeuron + p.count) { outAxons += h.destinationCount(of: j) }
                    } else {
                        outAxons += p.count * coresOfLayer[t].count
                    }
                }
            }
            if outAxons > limits.maxOutputAxons {
                throw ChipError.capacity(message: "core \(core.id) (layers \(core.populations.map { "'\(net.layers[$0.layer].name)'" }.joined(separator: ", "))) needs \(outAxons) output axons (neurons x destination cores); chip.core.maxOutputAxons is \(limits.maxOutputAxons)")
            }
        }
    }

    /// Places with Mapping/Mapper (greedy, balanced, explicit) and builds the cores.
    private func placeWithMapper() throws {
        let net = config.network
        let demands: [LayerDemand] = net.layers.enumerated().map { li, l in
            // Shaped connections count their kernel fan-in here (a lower bound: the halo is
            // checked per core once the blocks are built).
            let fanIn = net.connections.filter { $0.to == l.name }.reduce(0) { $0 + ($1.shaped.map { $0.geometry.kernelSize } ?? net.layers[net.layerIndex($1.from)!].size) }
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
                    core.populations.append(try makePopulation(layer: li, first: s.firstNeuron, count: s.count, core: s.core))
                    if core.synapseBytes > config.chip.core.synapseMemoryBytes {
                        throw ChipError.capacity(message: "layer '\(layer.name)' on core \(s.core): the generated sparse synapses need \(core.synapseBytes) bytes; chip.core.synapseMemoryBytes is \(config.chip.core.synapseMemoryBytes)")
                    }
                    if core.inputAxons > config.chip.core.maxInputAxons {
                        throw ChipError.capacity(message: "layer '\(layer.name)' on core \(s.core): \(core.inputAxons) input axons (receptive fields included); chip.core.maxInputAxons is \(config.chip.core.maxInputAxons)")
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

    /// The neurons [first, first + count) of layer `li` on core `coreId`, with the synapse
    /// blocks of every incoming connection (shaped ones as ConvSynapseBlocks).
    private func makePopulation(layer li: Int, first: Int, count n: Int, core coreId: Int) throws -> Population {
        let net = config.network, layer = net.layers[li]
        var blocks: [SynapseBlock] = [], convBlocks: [ConvSynapseBlock] = []
        for (ci, c) in net.connections.enumerated() where c.to == layer.name {
            let pre = net.layerIndex(c.from)!
            if let sh = c.shaped {
                if Int64(sh.geometry.kernelSize) << Int64(c.weightBits - 1) >= Int64(1) << 31 {
                    throw ChipError.capacity(message: "layer '\(layer.name)' on core \(coreId): kernel fan-in \(sh.geometry.kernelSize) with \(c.weightBits)-bit weights could overflow the 32-bit dendritic accumulator")
                }
                convBlocks.append(ConvSynapseBlock(connection: ci, preLayer: pre, kind: c.kind, geometry: sh.geometry, weightBits: c.weightBits,
                                                   weightExponent: c.weightExponent, weightsOIHW: Chip.kernelWeights(connection: ci, config: c, seed: config.seed),
                                                   postFirst: first, nPost: n))
                continue
            }
            let b = try Chip.makeBlock(connection: ci, config: c, preLayer: pre, nPre: net.layers[pre].size,
                                       postFirst: first, nPost: n, seed: config.seed)
            if Int64(b.nPre) << Int64(b.weightBits - 1) >= Int64(1) << 31 {
                throw ChipError.capacity(message: "layer '\(layer.name)' on core \(coreId): fan-in \(b.nPre) with \(b.weightBits)-bit weights could overflow the 32-bit dendritic accumulator")
            }
            blocks.append(b)
        }
        return Population(layer: li, firstNeuron: first, count: n, parameters: layer.neuron.parameters, blocks: blocks,
                          convBlocks: convBlocks, initialU: layer.initialU, initialV: layer.initialV)
    }

    /// For every shaped connection: which cores each presynaptic neuron's spikes go to (the
    /// cores whose blocks count it as an input axon), ascending core ids.
    private func buildHaloRoutes() throws {
        let net = config.network
        haloRoutes = net.layers.map { l in
            net.connections.filter { $0.from == l.name }.map { _ in nil }
        }
        for (li, l) in net.layers.enumerated() {
            var k = 0
            for (ci, c) in net.connections.enumerated() where c.from == l.name {
                defer { k += 1 }
                guard c.shaped != nil else { continue }
                let post = net.layerIndex(c.to)!
                var holders: [(core: Int, mask: ContiguousArray<UInt8>)] = []
                for coreId in coresOfLayer[post] {
                    for p in cores[coreId].populations where p.layer == post {
                        for b in p.convBlocks where b.connection == ci { holders.append((coreId, b.isAxon)) }
                    }
                }
                var start = ContiguousArray<Int32>([0]), dests = ContiguousArray<Int32>()
                for s in 0..<l.size {
                    var last = -1
                    for h in holders where h.mask[s] != 0 && h.core != last { dests.append(Int32(h.core)); last = h.core }
                    start.append(Int32(dests.count))
                }
                haloRoutes[li][k] = HaloRoute(start: start, cores: dests)
            }
        }
    }

    /// The whole OIHW kernel of shaped connection `ci` (oneToOne: one weight per neuron).
    /// Random kinds draw kernel weight k with the draw index of synapse (pre 0, post k) in
    /// makeBlock, so the kernel does not depend on placement.
    static func kernelWeights(connection ci: Int, config c: ConnectionConfig, seed: UInt64) -> [Int16] {
        let n = c.shaped!.geometry.weightCount
        let wKey = RandomKey(seed: seed, stream: .weightInit).with(ci)
        return (0..<n).map { k in Chip.initialWeight(c, key: wKey, index: k, explicit: { _ in c.initialization.explicitFlat![k] }) }
    }

    /// One initial weight of connection `c` with draw index `idx` (shared by makeBlock and kernelWeights).
    static func initialWeight(_ c: ConnectionConfig, key wKey: RandomKey, index idx: Int, explicit: (Int) -> Int) -> Int16 {
        switch c.initialization {
        case let .uniform(lo, hi):
            // lo + floor(r32 * (hi - lo + 1) / 2^32): exact-width multiply-high, no modulo bias beyond 2^-32.
            let span = UInt64(hi - lo + 1)
            return Int16(lo + Int(((wKey.draw(idx) >> 32) * span) >> 32))
        case let .normal(mean, std):
            let wMin = FixedPoint.signedMin(bits: c.weightBits), wMax = FixedPoint.signedMax(bits: c.weightBits)
            let x = (mean + std * wKey.gaussian(idx)).rounded(.toNearestOrAwayFromZero)
            return Int16(Swift.min(Swift.max(x, Double(wMin)), Double(wMax)))
        case let .constant(v): return Int16(v)
        case .explicit: return Int16(explicit(idx))
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
        if c.kind.isShaped {
            throw ChipError.config(file: config.file, path: "$.network.connections[\(ci)]", message: "a \(c.kind.rawValue) connection has a shared kernel, not a weight matrix")
        }
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
        // Draw index of synapse (pre i, post j): i * 2^24 + j (2^24 is the maximum layer
        // size), so indices never collide and do not depend on the post layer's size.
        let stride = 1 << 24
        func weight(_ i: Int, _ jGlobal: Int) -> Int16 {
            Chip.initialWeight(c, key: wKey, index: i * stride + jGlobal, explicit: { _ in
                if case let .explicit(m) = c.initialization { return m[i][jGlobal] }
                return 0
            })
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
