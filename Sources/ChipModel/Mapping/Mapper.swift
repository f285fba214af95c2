// Places layers onto cores within the per-core limits.
//
// Rules shared by all strategies:
// - A core holds neurons of one layer only; a layer's neurons are split into contiguous
//   runs (slices) in neuron order.
// - Per core: neurons <= neuronsPerCore; synapseBytes(neurons) <= synapseBytes;
//   input axons = the layer's fanIn <= maxInputAxons (the core's neurons share them);
//   output axons = neurons x (number of cores holding the layers this layer feeds)
//   <= maxOutputAxons (one axon per neuron and destination core, as on Loihi).
// - Greedy and balanced choose, per layer, the largest per-core neuron count n that
//   satisfies all limits (output axons use the core counts of the layers fed that come
//   later in the list; feedback to earlier layers or to itself is only verified).
//   Core counts are computed from the last layer backwards, cores are assigned in id
//   order from the first layer.
// Every impossible placement is a ChipError.capacity naming the layer, the core and the
// limit with numbers; mistakes in an explicit list are ChipError.config at its JSON path.

public enum Mapper {
    public static func place(_ layers: [LayerDemand], limits: CoreLimits, mesh: Mesh,
                             config: MappingConfig) throws -> Placement {
        guard !layers.isEmpty else { throw ChipError.capacity(message: "the network has no layers") }
        for l in layers where l.neurons < 1 {
            throw ChipError.capacity(message: "layer '\(l.name)' has \(l.neurons) neurons; a layer needs at least 1")
        }
        let feeds = layers.indices.map { l in layers[l].feeds ?? (l + 1 < layers.count ? [l + 1] : []) }
        for (l, f) in feeds.enumerated() {
            for m in f where m < 0 || m >= layers.count {
                throw ChipError.capacity(message: "layer '\(layers[l].name)' feeds layer index \(m), which does not exist")
            }
        }
        let slices: [[CoreSlice]]
        switch config.strategy {
        case .packed:
            throw ChipError.config(file: config.file, path: config.path + ".strategy", message: "packed placement is done by Chip, not by Mapper.place")
        case .greedy, .balanced:
            slices = try automatic(layers, feeds: feeds, limits: limits, mesh: mesh, config: config)
        case .explicit:
            slices = try explicit(layers, mesh: mesh, config: config)
        }
        return try verify(layers, feeds: feeds, slices: slices, limits: limits, mesh: mesh)
    }

    // MARK: Greedy and balanced

    static func automatic(_ layers: [LayerDemand], feeds: [[Int]], limits: CoreLimits, mesh: Mesh,
                          config: MappingConfig) throws -> [[CoreSlice]] {
        let n = layers.count
        // Requested core counts (balanced only), by layer name.
        var requested = [Int?](repeating: nil, count: n)
        for (name, count) in config.coreCounts {
            guard let l = layers.firstIndex(where: { $0.name == name }) else {
                throw ChipError.config(file: config.file, path: "\(config.path).cores.\(name)",
                    message: "unknown layer '\(name)'; layers are: \(layers.map(\.name).joined(separator: ", "))")
            }
            guard count <= layers[l].neurons else {
                throw ChipError.config(file: config.file, path: "\(config.path).cores.\(name)",
                    message: "layer '\(name)' has \(layers[l].neurons) neurons, so it cannot be split over \(count) cores")
            }
            requested[l] = count
        }
        for l in layers where l.fanIn > limits.maxInputAxons {
            throw ChipError.capacity(message: "layer '\(l.name)' needs \(l.fanIn) input axons on every core that holds it but maxInputAxons is \(limits.maxInputAxons)")
        }
        var perCore = [Int](repeating: 0, count: n)   // largest neurons per core that fit
        var why = [String](repeating: "", count: n)    // the binding limit, for messages
        var coresNeeded = [Int](repeating: 0, count: n)
        for l in stride(from: n - 1, through: 0, by: -1) {
            let layer = layers[l]
            var cap = limits.neuronsPerCore
            why[l] = "neuronsPerCore \(limits.neuronsPerCore)"
            // Synapse memory: binary search for the largest count that fits.
            if layer.synapseBytes(cap) > limits.synapseBytes {
                var lo = 0, hi = cap
                while lo < hi {
                    let mid = (lo + hi + 1) / 2
                    if layer.synapseBytes(mid) <= limits.synapseBytes { lo = mid } else { hi = mid - 1 }
                }
                if lo == 0 {
                    throw ChipError.capacity(message: "layer '\(layer.name)' needs \(layer.synapseBytes(1)) synapse bytes for a single neuron but synapseBytes per core is \(limits.synapseBytes)")
                }
                cap = lo
                why[l] = "synapse memory \(limits.synapseBytes) bytes"
            }
            let fanOutCores = feeds[l].filter { $0 > l }.reduce(0) { $0 + coresNeeded[$1] }
            if fanOutCores > 0 && cap * fanOutCores > limits.maxOutputAxons {
                let axonCap = limits.maxOutputAxons / fanOutCores
                if axonCap == 0 {
                    throw ChipError.capacity(message: "layer '\(layer.name)' needs \(fanOutCores) output axons per neuron (one per destination core) but maxOutputAxons is \(limits.maxOutputAxons)")
                }
                cap = axonCap
                why[l] = "maxOutputAxons \(limits.maxOutputAxons) for \(fanOutCores) destination cores"
            }
            perCore[l] = cap
            coresNeeded[l] = requested[l] ?? (layer.neurons + cap - 1) / cap
        }
        let total = coresNeeded.reduce(0, +)
        if total > mesh.coreCount {
            let net = layers.map { String($0.neurons) }.joined(separator: "-")
            let each = layers.indices.map { "'\(layers[$0].name)' \(coresNeeded[$0])" }.joined(separator: ", ")
            var notes = ""
            for l in layers.indices where perCore[l] < limits.neuronsPerCore {
                notes += "; '\(layers[l].name)' fits at most \(perCore[l]) neurons per core (\(why[l]))"
            }
            throw ChipError.capacity(message: "not enough cores: \(net) needs \(total) cores of up to \(limits.neuronsPerCore) neurons (\(each)\(notes)), the \(mesh.width)x\(mesh.height) mesh has \(mesh.coreCount)" + (mesh.coresPerTile > 1 ? " (\(mesh.coresPerTile) cores per tile)" : ""))
        }
        var out: [[CoreSlice]] = []
        var core = 0
        for l in layers.indices {
            var s: [CoreSlice] = []
            let size = layers[l].neurons, k = coresNeeded[l]
            var first = 0
            for i in 0..<k {
                let count: Int
                if config.strategy == .greedy {
                    count = min(perCore[l], size - first)
                } else {
                    count = size / k + (i < size % k ? 1 : 0)   // first (size % k) cores get one more
                }
                s.append(CoreSlice(core: core, firstNeuron: first, count: count))
                first += count; core += 1
            }
            out.append(s)
        }
        return out
    }

    // MARK: Explicit

    static func explicit(_ layers: [LayerDemand], mesh: Mesh, config: MappingConfig) throws -> [[CoreSlice]] {
        var out = [[CoreSlice]?](repeating: nil, count: layers.count)
        var owner = [Int: (layer: String, path: String)]()
        let base = "\(config.path).cores"
        for (name, entries) in config.explicitCores {
            let lpath = "\(base).\(name)"
            guard let l = layers.firstIndex(where: { $0.name == name }) else {
                throw ChipError.config(file: config.file, path: lpath,
                    message: "unknown layer '\(name)'; layers are: \(layers.map(\.name).joined(separator: ", "))")
            }
            guard !entries.isEmpty else {
                throw ChipError.config(file: config.file, path: lpath, message: "layer '\(name)' lists no cores")
            }
            var s: [CoreSlice] = []
            var first = 0
            for (i, e) in entries.enumerated() {
                let p = "\(lpath)[\(i)]"
                guard e.core >= 0 && e.core < mesh.coreCount else {
                    throw ChipError.config(file: config.file, path: p + "[0]",
                        message: "unknown core \(e.core); the \(mesh.width)x\(mesh.height) mesh with \(mesh.coresPerTile) core(s) per tile has cores 0...\(mesh.coreCount - 1)")
                }
                guard e.count >= 1 else {
                    throw ChipError.config(file: config.file, path: p + "[1]", message: "count \(e.count) must be at least 1")
                }
                if let o = owner[e.core] {
                    throw ChipError.config(file: config.file, path: p + "[0]",
                        message: "core \(e.core) is already used by layer '\(o.layer)' at \(o.path); a core holds neurons of one layer only, once")
                }
                owner[e.core] = (name, p)
                s.append(CoreSlice(core: e.core, firstNeuron: first, count: e.count))
                first += e.count
            }
            if first != layers[l].neurons {
                let diff = first < layers[l].neurons
                    ? "\(layers[l].neurons - first) neurons missing"
                    : "\(first - layers[l].neurons) more than the layer has"
                throw ChipError.config(file: config.file, path: lpath,
                    message: "layer '\(name)' has \(layers[l].neurons) neurons but the listed counts sum to \(first) (\(diff))")
            }
            out[l] = s
        }
        for (l, s) in out.enumerated() where s == nil {
            throw ChipError.config(file: config.file, path: base,
                message: "layer '\(layers[l].name)' is not placed; explicit mapping must list every layer")
        }
        return out.map { $0! }
    }

    // MARK: Limits check and loads

    static func verify(_ layers: [LayerDemand], feeds: [[Int]], slices: [[CoreSlice]], limits: CoreLimits,
                       mesh: Mesh) throws -> Placement {
        var loads = (0..<mesh.coreCount).map {
            CoreLoad(core: $0, tile: mesh.coord(ofCore: $0), layer: nil, neurons: 0, synapseBytes: 0, inputAxons: 0, outputAxons: 0)
        }
        for (l, s) in slices.enumerated() {
            let layer = layers[l]
            let fanOutCores = feeds[l].reduce(0) { $0 + slices[$1].count }
            for c in s {
                let name = layer.name
                if c.count > limits.neuronsPerCore {
                    throw ChipError.capacity(message: "layer '\(name)' needs \(c.count) neurons on core \(c.core) but neuronsPerCore is \(limits.neuronsPerCore)")
                }
                let bytes = layer.synapseBytes(c.count)
                if bytes > limits.synapseBytes {
                    throw ChipError.capacity(message: "layer '\(name)' needs \(bytes) synapse bytes on core \(c.core) (\(c.count) neurons) but synapseBytes per core is \(limits.synapseBytes)")
                }
                if layer.fanIn > limits.maxInputAxons {
                    throw ChipError.capacity(message: "layer '\(name)' needs \(layer.fanIn) input axons on core \(c.core) but maxInputAxons is \(limits.maxInputAxons)")
                }
                let outAxons = c.count * fanOutCores
                if outAxons > limits.maxOutputAxons {
                    throw ChipError.capacity(message: "layer '\(name)' needs \(outAxons) output axons on core \(c.core) (\(c.count) neurons x \(fanOutCores) destination cores) but maxOutputAxons is \(limits.maxOutputAxons)")
                }
                loads[c.core] = CoreLoad(core: c.core, tile: mesh.coord(ofCore: c.core), layer: l, neurons: c.count,
                                         synapseBytes: bytes, inputAxons: layer.fanIn, outputAxons: outAxons)
            }
        }
        return Placement(mesh: mesh, layerNames: layers.map(\.name), slices: slices, loads: loads)
    }
}
