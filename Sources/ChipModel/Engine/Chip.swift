// Builds a chip from an experiment config: places layers on cores, generates synapse
// SRAM contents, and checks every hardware limit. A network that does not fit is rejected
// with an error naming the layer, the core and the limit.
//
// Placement (until the network-on-chip mapper lands): greedy. Layers are taken in order; a
// lif layer of n neurons takes ceil(n / neuronsPerCore) consecutive cores, split as evenly as
// possible (the first n % k cores get one more neuron). A core holds one layer only. Input
// layers occupy no core: their spikes come from the chip's spike generators at each consumer
// core (see docs/SEMANTICS.md, "Input").

public final class Chip {
    public let config: ExperimentConfig
    public private(set) var cores: [Core] = []
    /// For each layer, the ids of the cores holding it (empty for the input layer).
    public private(set) var coresOfLayer: [[Int]]
    /// For each layer, the layers it projects to (connection order).
    public let targetsOfLayer: [[Int]]

    public var layers: [LayerConfig] { config.network.layers }

    public init(config: ExperimentConfig) throws {
        self.config = config
        let net = config.network
        let chip = config.chip
        coresOfLayer = Array(repeating: [], count: net.layers.count)
        targetsOfLayer = net.layers.map { l in
            net.connections.filter { $0.from == l.name }.map { net.layerIndex($0.to)! }
        }
        // 1. Place.
        var slices: [(layer: Int, first: Int, count: Int)] = []
        for (li, l) in net.layers.enumerated() where !l.isInput {
            let k = (l.size + chip.core.neurons - 1) / chip.core.neurons
            var first = 0
            for c in 0..<k {
                let n = l.size / k + (c < l.size % k ? 1 : 0)
                slices.append((li, first, n))
                first += n
            }
        }
        guard slices.count <= chip.cores else {
            let need = net.layers.filter { !$0.isInput }.map { "'\($0.name)' \(($0.size + chip.core.neurons - 1) / chip.core.neurons)" }
            throw ChipError.capacity(message: "not enough cores: the network needs \(slices.count) cores of \(chip.core.neurons) neurons (\(need.joined(separator: ", "))), the \(chip.meshWidth)x\(chip.meshHeight) mesh with \(chip.coresPerTile) core(s) per tile has \(chip.cores)")
        }
        // 2. Synapses and limits.
        for (id, s) in slices.enumerated() {
            let layer = net.layers[s.layer]
            var blocks: [SynapseBlock] = []
            for (ci, c) in net.connections.enumerated() where c.to == layer.name {
                let pre = net.layerIndex(c.from)!
                blocks.append(try Chip.makeBlock(connection: ci, config: c, preLayer: pre, nPre: net.layers[pre].size,
                                                 postFirst: s.first, nPost: s.count, seed: config.seed))
            }
            let tile = id / chip.coresPerTile
            let core = Core(id: id, tileX: tile % chip.meshWidth, tileY: tile / chip.meshWidth, layer: s.layer,
                            firstNeuron: s.first, count: s.count, parameters: layer.neuron.parameters, blocks: blocks)
            if core.synapseBytes > chip.core.synapseMemoryBytes {
                let parts = blocks.map { "\($0.bytes) bytes from '\(net.layers[$0.preLayer].name)' (\($0.layout.rawValue), \($0.weightBits)-bit)" }
                throw ChipError.capacity(message: "layer '\(layer.name)' on core \(id) (neurons \(s.first)..<\(s.first + s.count)) needs \(core.synapseBytes) bytes of synapse memory (\(parts.joined(separator: " + "))); chip.core.synapseMemoryBytes is \(chip.core.synapseMemoryBytes)")
            }
            if core.inputAxons > chip.core.maxInputAxons {
                throw ChipError.capacity(message: "layer '\(layer.name)' on core \(id) needs \(core.inputAxons) input axons; chip.core.maxInputAxons is \(chip.core.maxInputAxons)")
            }
            for b in blocks where Int64(b.nPre) << Int64(b.weightBits - 1) >= Int64(1) << 31 {
                throw ChipError.capacity(message: "layer '\(layer.name)' on core \(id): fan-in \(b.nPre) with \(b.weightBits)-bit weights could overflow the 32-bit dendritic accumulator")
            }
            cores.append(core)
            coresOfLayer[s.layer].append(id)
        }
        for core in cores {
            let outAxons = targetsOfLayer[core.layer].reduce(0) { $0 + core.count * coresOfLayer[$1].count }
            if outAxons > chip.core.maxOutputAxons {
                throw ChipError.capacity(message: "layer '\(net.layers[core.layer].name)' on core \(core.id) needs \(outAxons) output axons (\(core.count) neurons x destination cores); chip.core.maxOutputAxons is \(chip.core.maxOutputAxons)")
            }
        }
    }

    /// Generates the synapses of connection `config` from all nPre presynaptic neurons to
    /// postsynaptic neurons [postFirst, postFirst + nPost). Every weight and every sparse
    /// existence draw is keyed by (seed, connection, pre, global post): the result does not
    /// depend on how the layer is split over cores.
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

    /// Mesh distance in hops between two tiles (XY routing, no contention).
    public func hops(from a: Core, to b: Core) -> (ew: Int, ns: Int) {
        (abs(a.tileX - b.tileX), abs(a.tileY - b.tileY))
    }
}
