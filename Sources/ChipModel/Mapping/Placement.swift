// The result of mapping: which neurons of which layer live on which core.

/// A contiguous run of a layer's neurons on one core.
public struct CoreSlice: Equatable, Sendable {
    public var core: Int
    public var firstNeuron: Int
    public var count: Int
    public init(core: Int, firstNeuron: Int, count: Int) { self.core = core; self.firstNeuron = firstNeuron; self.count = count }
}

/// What one core holds, for the report.
public struct CoreLoad: Equatable, Sendable {
    public var core: Int
    public var tile: TileCoord
    /// Layer index, nil when the core is unused.
    public var layer: Int?
    public var neurons: Int
    public var synapseBytes: Int
    public var inputAxons: Int
    public var outputAxons: Int
}

public struct Placement: Sendable {
    public let mesh: Mesh
    public let layerNames: [String]
    /// Per layer, its slices in neuron order (firstNeuron increasing, no gaps).
    public let slices: [[CoreSlice]]
    /// One entry per core of the mesh, used or not.
    public let loads: [CoreLoad]

    public init(mesh: Mesh, layerNames: [String], slices: [[CoreSlice]], loads: [CoreLoad]) {
        self.mesh = mesh; self.layerNames = layerNames; self.slices = slices; self.loads = loads
    }

    /// Core ids holding part of a layer, in neuron order.
    public func cores(ofLayer l: Int) -> [Int] { slices[l].map(\.core) }

    /// Tile of a core: tile = core / coresPerTile, x = tile % width, y = tile / width.
    public func tile(ofCore c: Int) -> TileCoord { mesh.coord(ofCore: c) }

    /// Number of cores that hold neurons.
    public var usedCores: Int { loads.filter { $0.layer != nil }.count }

    /// Core and index on that core of a layer's neuron (binary search over the slices).
    public func locate(layer l: Int, neuron n: Int) -> (core: Int, index: Int) {
        let s = slices[l]
        var lo = 0, hi = s.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if s[mid].firstNeuron <= n { lo = mid } else { hi = mid - 1 }
        }
        precondition(n >= s[lo].firstNeuron && n < s[lo].firstNeuron + s[lo].count, "neuron \(n) not in layer \(l)")
        return (s[lo].core, n - s[lo].firstNeuron)
    }

    /// For the report: per layer its slices, and per used core its load.
    public var json: JSONValue {
        .object([
            ("layers", .array(layerNames.indices.map { l in
                .object([
                    ("name", .string(layerNames[l])),
                    ("cores", .array(slices[l].map {
                        .object([("core", .int($0.core)), ("firstNeuron", .int($0.firstNeuron)), ("count", .int($0.count))])
                    })),
                ])
            })),
            ("cores", .array(loads.filter { $0.layer != nil }.map { c in
                .object([
                    ("core", .int(c.core)), ("tile", .array([.int(c.tile.x), .int(c.tile.y)])),
                    ("layer", .string(layerNames[c.layer!])), ("neurons", .int(c.neurons)),
                    ("synapseBytes", .int(c.synapseBytes)), ("inputAxons", .int(c.inputAxons)),
                    ("outputAxons", .int(c.outputAxons)),
                ])
            })),
        ])
    }
}
