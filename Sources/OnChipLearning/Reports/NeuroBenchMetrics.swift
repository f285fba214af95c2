import ChipModel

// NeuroBench's workload and static metrics (Yik et al., "The neurobench framework for
// benchmarking neuromorphic computing algorithms and systems", Nature Communications, 2025,
// doi:10.1038/s41467-025-56739-4; harness github.com/NeuroBench/neurobench, docs/metrics/*) computed from what the chip
// counted, beside the chip's own figure wherever its convention differs. Every definition, its
// source and the difference is in docs/NEUROBENCH.md.
//
// Pure: `NeuroBenchMetrics.compute` takes the network's structure and the run's totals and
// returns figures per sample; `NeuroBenchMetrics.of(simulator:)` gathers those inputs from a
// finished run. Per-sample figures are run totals divided by the number of samples run
// (NeuroBench averages over the samples of the workload the same way).

/// One layer as NeuroBench sees it: a population of neurons and what it did over the run.
public struct NeuroBenchLayerInput: Equatable, Sendable {
    public var name: String
    public var neurons: Int
    /// Input layers are data, not activation modules: they enter no activation sparsity.
    public var isInput: Bool
    /// False for the non-spiking readout (its output is a potential, not an activation).
    public var spiking: Bool
    /// Spikes the layer emitted over the whole run.
    public var spikes: Int
    /// The same per neuron (they sum to `spikes`), or nil when the run does not have them (a run
    /// resumed from a checkpoint, which keeps layer totals only).
    public var spikesPerNeuron: [Int]?
    /// `neuron.active` / `neuron.idle` counts attributed to this layer, or nil when a core holds
    /// neurons of several layers (the chip counts per core, not per layer).
    public var activeUpdates: UInt64?
    public var idleUpdates: UInt64?
    /// Delivery-phase `synop` counts of the cores holding this layer: binary spikes read from
    /// synapse SRAM (nil as for the neuron counts).
    public var chipSynops: UInt64?
    /// Neuron-update-phase `synop` counts: graded packets integrated (post-neuron noise of the
    /// error-broadcast rules), every stored synapse of every graded packet.
    public var chipGradedSynops: UInt64?
    /// Of those graded products, the ones with a nonzero input and a nonzero weight, as the
    /// graded delivery counted them (NeuroBench's effective MACs); nil as the other counts.
    public var gradedNonzeroProducts: UInt64?
    /// The chip's SRAM for this layer: synapse bytes of its incoming blocks and neuron state.
    public var chipSynapseBytes: Int
    public var chipStateBytes: Int
    public init(name: String, neurons: Int, isInput: Bool, spiking: Bool, spikes: Int,
                activeUpdates: UInt64?, idleUpdates: UInt64?, chipSynops: UInt64? = nil, chipGradedSynops: UInt64? = 0,
                gradedNonzeroProducts: UInt64? = 0,
                chipSynapseBytes: Int, chipStateBytes: Int, spikesPerNeuron: [Int]? = nil) {
        self.name = name; self.neurons = neurons; self.isInput = isInput; self.spiking = spiking; self.spikes = spikes
        self.spikesPerNeuron = spikesPerNeuron
        self.activeUpdates = activeUpdates; self.idleUpdates = idleUpdates; self.chipSynops = chipSynops
        self.chipGradedSynops = chipGradedSynops; self.gradedNonzeroProducts = gradedNonzeroProducts
        self.chipSynapseBytes = chipSynapseBytes; self.chipStateBytes = chipStateBytes
    }
}

/// One connection (a weight matrix nPre x nPost; absent sparse synapses are zero weights).
public struct NeuroBenchConnectionInput: Equatable, Sendable {
    public var from: Int
    public var to: Int
    public var nPre: Int
    public var nPost: Int
    /// Weights whose value is not zero, over the whole matrix (at the end of the run).
    public var nonzeroWeights: Int
    /// Synapses the chip stores (nPre * nPost for dense; the generated nnz for sparse): each
    /// costs one synaptic operation per presynaptic spike, whatever its value.
    public var storedSynapses: Int
    public var weightBits: Int
    /// Nonzero weights of each presynaptic neuron (nPre entries summing to `nonzeroWeights`;
    /// shaped connections: the real fan-out positions only, padding excluded), or nil.
    public var nonzeroFanOut: [Int]?
    /// True when every presynaptic neuron has the same number of nonzero weights, which makes
    /// the effective-AC figure exact from layer spike totals alone.
    public var uniformNonzeroFanOut: Bool
    /// Shaped (conv, pool, one-to-one) connections: the real synapse positions (pre, post pairs
    /// inside the input, padding excluded) and the shared kernel's weight count. nil for a
    /// matrix, whose positions and parameters are nPre x nPost.
    public var shapedPositions: Int? = nil
    public var shapedParameters: Int? = nil
    public init(from: Int, to: Int, nPre: Int, nPost: Int, nonzeroWeights: Int, storedSynapses: Int, weightBits: Int,
                uniformNonzeroFanOut: Bool = true, nonzeroFanOut: [Int]? = nil) {
        self.from = from; self.to = to; self.nPre = nPre; self.nPost = nPost
        self.nonzeroWeights = nonzeroWeights; self.storedSynapses = storedSynapses; self.weightBits = weightBits
        self.uniformNonzeroFanOut = uniformNonzeroFanOut; self.nonzeroFanOut = nonzeroFanOut
    }
}

/// Figures of one non-input layer (and its incoming connections), per sample.
public struct NeuroBenchLayer: Equatable, Sendable {
    public var name: String
    public var neurons: Int
    public var denseSynapticOperations: Double
    public var effectiveACs: Double
    /// False only when per-neuron spikes or fan-outs were missing (a run resumed from a
    /// checkpoint) and the presynaptic fan-outs differ: the mean fan-out stood in (an estimate).
    public var effectiveACsExact: Bool = true
    /// Graded products with a nonzero input and a nonzero weight, as the graded delivery counted
    /// them (0 when no graded packet reached the layer); nil when the layer shares a core.
    public var effectiveMACs: Double?
    /// The chip's own count of binary-spike operations (every stored synapse of every delivered
    /// spike); nil when the layer shares a core with another layer.
    public var chipSynapticOperations: Double?
    /// The chip's count of graded-packet operations (MACs); nil as chipSynapticOperations.
    public var chipMACs: Double?
    /// Total only: synaptic-memory reads of the learning phase (learning work, e.g. OPZO's
    /// feedback sums), which NeuroBench's inference metrics do not contain.
    public var chipLearningSynapticOperations: Double? = nil
    /// nil for layers that are not spiking activation modules (the readout).
    public var activationSparsity: Double?
    public var connectionSparsity: Double?
    public var parameters: Int
    public var footprintBytes: Int
    public var chipSRAMBytes: Int
    public var neuronUpdates: Double
    public var chipNeuronUpdates: Double?
    public var membraneUpdates: Double?
}

public struct NeuroBenchMetrics: Equatable, Sendable {
    public var samples: Int
    public var stepsPerSample: Int
    public var layers: [NeuroBenchLayer]
    public var total: NeuroBenchLayer
    /// True when every layer's neuron counts could be attributed (each core holds one layer).
    public var perLayerNeuronCountsExact: Bool

    /// Bytes one weight takes in the smallest integer tensor type that holds it
    /// (torch's element_size: int8 up to 8 bits, int16 up to 16).
    public static func weightElementBytes(bits: Int) -> Int { bits <= 8 ? 1 : bits <= 16 ? 2 : 4 }
    /// Per neuron: u and v as int32 tensors (the chip's 24-bit registers), the refractory
    /// counter as uint8: the state a framework model keeps as buffers.
    public static let bufferBytesPerNeuron = 4 + 4 + 1
    /// Per layer: du, dv and vth as int32 parameters.
    public static let neuronParameterBytesPerLayer = 3 * 4
    public static let neuronParametersPerLayer = 3

    /// The pure computation. `chipSynops`, `activeUpdates` and `idleUpdates` are the run's totals of the
    /// chip's `synop` and `neuron.active` counters; they give the totals exactly, and the
    /// per-layer figures where attribution is possible.
    public static func compute(layers: [NeuroBenchLayerInput], connections: [NeuroBenchConnectionInput],
                               samples: Int, stepsPerSample t: Int, chipSynops: UInt64,
                               chipGradedSynops: UInt64 = 0, gradedNonzeroProducts: UInt64 = 0, chipLearningSynops: UInt64 = 0,
                               activeUpdates: UInt64, idleUpdates: UInt64) -> NeuroBenchMetrics {
        let s = Double(max(1, samples))
        var out: [NeuroBenchLayer] = []
        var exact = true
        var zeros = 0, weights = 0, actZeros = 0.0, actAll = 0.0
        for (li, l) in layers.enumerated() where !l.isInput {
            let incoming = connections.filter { $0.to == li }
            var dense = 0.0, effective = 0.0, nnz = 0, all = 0, footprint = 0, params = 0
            var effectiveExact = true
            for c in incoming {
                // A matrix has nPre x nPost positions and as many parameters; a shaped
                // connection its real positions and one shared kernel (docs/NEUROBENCH.md).
                let positions = c.shapedPositions ?? c.nPre * c.nPost
                let parameters = c.shapedParameters ?? c.nPre * c.nPost
                dense += Double(positions * t)
                if let fan = c.nonzeroFanOut, let spikes = layers[c.from].spikesPerNeuron, fan.count == c.nPre, spikes.count == c.nPre {
                    // Each presynaptic neuron's spikes times its own nonzero fan-out: the nonzero
                    // weights its spikes met (exact, docs/NEUROBENCH.md). Integer sum, exact.
                    var sum = 0
                    for i in 0..<c.nPre { sum += spikes[i] * fan[i] }
                    effective += Double(sum)
                } else {
                    // Layer spikes times the mean nonzero fan-out: exact only when every
                    // presynaptic neuron has the same number of nonzero weights.
                    effective += Double(layers[c.from].spikes) * Double(c.nonzeroWeights) / Double(c.nPre)
                    if !c.uniformNonzeroFanOut { effectiveExact = false }
                }
                nnz += c.nonzeroWeights; all += positions
                params += parameters
                footprint += parameters * weightElementBytes(bits: c.weightBits)
            }
            params += neuronParametersPerLayer
            footprint += neuronParameterBytesPerLayer + l.neurons * bufferBytesPerNeuron
            zeros += all - nnz; weights += all
            var sparsity: Double? = nil
            if l.spiking {
                let possible = Double(l.neurons * t) * s
                sparsity = possible > 0 ? 1 - Double(l.spikes) / possible : 0
                actZeros += possible - Double(l.spikes); actAll += possible
            }
            if l.activeUpdates == nil { exact = false }
            var layer = NeuroBenchLayer(
                name: l.name, neurons: l.neurons, denseSynapticOperations: dense, effectiveACs: effective / s,
                effectiveMACs: l.gradedNonzeroProducts.map { Double($0) / s }, chipSynapticOperations: l.chipSynops.map { Double($0) / s },
                chipMACs: l.chipGradedSynops.map { Double($0) / s }, activationSparsity: sparsity,
                connectionSparsity: all > 0 ? Double(all - nnz) / Double(all) : nil,
                parameters: params, footprintBytes: footprint, chipSRAMBytes: l.chipSynapseBytes + l.chipStateBytes,
                neuronUpdates: Double(l.neurons * t),
                chipNeuronUpdates: l.activeUpdates.flatMap { a in l.idleUpdates.map { Double(a + $0) / s } },
                membraneUpdates: l.activeUpdates.map { Double($0) / s })
            layer.effectiveACsExact = effectiveExact
            out.append(layer)
        }
        var total = NeuroBenchLayer(
            name: "total", neurons: out.reduce(0) { $0 + $1.neurons },
            denseSynapticOperations: out.reduce(0) { $0 + $1.denseSynapticOperations },
            effectiveACs: out.reduce(0) { $0 + $1.effectiveACs }, effectiveMACs: Double(gradedNonzeroProducts) / s,
            chipSynapticOperations: Double(chipSynops) / s, chipMACs: Double(chipGradedSynops) / s,
            chipLearningSynapticOperations: Double(chipLearningSynops) / s,
            activationSparsity: actAll > 0 ? actZeros / actAll : nil,
            connectionSparsity: weights > 0 ? Double(zeros) / Double(weights) : nil,
            parameters: out.reduce(0) { $0 + $1.parameters }, footprintBytes: out.reduce(0) { $0 + $1.footprintBytes },
            chipSRAMBytes: out.reduce(0) { $0 + $1.chipSRAMBytes },
            neuronUpdates: out.reduce(0) { $0 + $1.neuronUpdates },
            chipNeuronUpdates: Double(activeUpdates + idleUpdates) / s, membraneUpdates: Double(activeUpdates) / s)
        total.effectiveACsExact = out.allSatisfy(\.effectiveACsExact)
        return NeuroBenchMetrics(samples: samples, stepsPerSample: t, layers: out, total: total, perLayerNeuronCountsExact: exact)
    }

    /// Gathers the inputs from a finished run (weights as they are at the end of the run).
    public static func of(simulator sim: Simulator) -> NeuroBenchMetrics {
        let chip = sim.chip, net = chip.config.network
        let counts = sim.totalCounts, phases = sim.totalPhaseCounts
        // Per-layer neuron counts: a core's counters belong to one layer only if it holds one.
        var active = [UInt64?](repeating: 0, count: net.layers.count)
        var idle = [UInt64?](repeating: 0, count: net.layers.count)
        var synops = [UInt64?](repeating: 0, count: net.layers.count), graded = synops, gradedNonzero = synops
        var synBytes = [Int](repeating: 0, count: net.layers.count), stBytes = synBytes
        for core in chip.cores {
            let layersHere = Set(core.populations.map(\.layer))
            for p in core.populations { synBytes[p.layer] += p.synapseBytes; stBytes[p.layer] += p.stateBytes }
            guard !layersHere.isEmpty else { continue }
            if layersHere.count == 1, let l = layersHere.first {
                let c = core.counts.total
                active[l] = active[l].map { $0 + c[.neuronActive] }
                idle[l] = idle[l].map { $0 + c[.neuronIdle] }
                synops[l] = synops[l].map { $0 + core.counts[.delivery][.synop] }
                graded[l] = graded[l].map { $0 + core.counts[.neuronUpdate][.synop] }
                gradedNonzero[l] = gradedNonzero[l].map { $0 + core.counts[.neuronUpdate].gradedNonzeroProducts }
            } else {
                for l in layersHere { active[l] = nil; idle[l] = nil; synops[l] = nil; graded[l] = nil; gradedNonzero[l] = nil }
            }
        }
        let layers = net.layers.enumerated().map { li, l in
            // Per-neuron spikes are kept since the start or the last restore; they are used only
            // when they account for all of the layer's spikes (not after a checkpoint resume).
            let first = sim.neuronSpikeOffset[li]
            let perNeuron = Array(sim.totalSpikesPerNeuron[first..<(first + l.size)])
            return NeuroBenchLayerInput(name: l.name, neurons: l.size, isInput: l.isInput, spiking: l.neuron.parameters.spiking,
                                 spikes: sim.totalSpikesPerLayer[li], activeUpdates: l.isInput ? nil : active[li],
                                 idleUpdates: l.isInput ? nil : idle[li],
                                 chipSynops: l.isInput ? nil : synops[li], chipGradedSynops: l.isInput ? 0 : graded[li],
                                 gradedNonzeroProducts: l.isInput ? 0 : gradedNonzero[li], chipSynapseBytes: synBytes[li], chipStateBytes: stBytes[li],
                                 spikesPerNeuron: perNeuron.reduce(0, +) == sim.totalSpikesPerLayer[li] ? perNeuron : nil)
        }
        var conns: [NeuroBenchConnectionInput] = net.connections.map { c in
            let from = net.layerIndex(c.from)!, to = net.layerIndex(c.to)!
            return NeuroBenchConnectionInput(from: from, to: to, nPre: net.layers[from].size, nPost: net.layers[to].size,
                                             nonzeroWeights: 0, storedSynapses: 0, weightBits: c.weightBits)
        }
        // Nonzero weights per presynaptic neuron, summed over the blocks (slices of the post layer).
        var perPre: [[Int]] = conns.map { [Int](repeating: 0, count: $0.nPre) }
        for core in chip.cores { for p in core.populations { for b in p.blocks {
            conns[b.connection].storedSynapses += b.synapseCount
            for i in 0..<b.nPre {
                var n = 0
                switch b.layout {
                case .dense: for j in 0..<b.nPost where b.weights[i * b.nPost + j] != 0 { n += 1 }
                case .sparse: for k in Int(b.rowStart[i])..<Int(b.rowStart[i + 1]) where b.weights[k] != 0 { n += 1 }
                }
                perPre[b.connection][i] += n
            }
        }
        // Shaped connections: the real (pre, post) pairs of the slice whose kernel weight is
        // nonzero; taps falling in the padding are no synapse.
        for b in p.convBlocks {
            conns[b.connection].storedSynapses += b.synapseCount
            addNonzeroFanOut(of: b, into: &perPre[b.connection])
        } } }
        for (i, c) in net.connections.enumerated() {
            if let g = c.shaped?.geometry { conns[i].shapedPositions = conns[i].storedSynapses; conns[i].shapedParameters = g.weightCount }
        }
        for c in conns.indices {
            conns[c].nonzeroWeights = perPre[c].reduce(0, +)
            conns[c].uniformNonzeroFanOut = Set(perPre[c]).count <= 1
            conns[c].nonzeroFanOut = perPre[c]
        }
        return compute(layers: layers, connections: conns, samples: sim.samplesRun, stepsPerSample: chip.config.run.steps,
                       chipSynops: phases[.delivery][.synop], chipGradedSynops: phases[.neuronUpdate][.synop],
                       gradedNonzeroProducts: phases[.neuronUpdate].gradedNonzeroProducts,
                       chipLearningSynops: phases[.learning][.synop],
                       activeUpdates: counts[.neuronActive], idleUpdates: counts[.neuronIdle])
    }

    /// Adds, for each presynaptic neuron, the nonzero kernel weights through which it reaches a
    /// neuron of the block's slice (the plain walk over the slice's neurons and kernel taps).
    static func addNonzeroFanOut(of b: ConvSynapseBlock, into perPre: inout [Int]) {
        let g = b.geometry
        for j in 0..<b.nPost {
            let (o, oy, ox) = g.output.coordinates(of: b.postFirst + j)
            let grp = o / g.outPerGroup
            for i in 0..<g.inPerGroup { for ky in 0..<g.kernelH {
                let iy = oy * g.strideH - g.padH + ky * g.dilationH
                if iy < 0 || iy >= g.input.height { continue }
                for kx in 0..<g.kernelW {
                    let ix = ox * g.strideW - g.padW + kx * g.dilationW
                    if ix < 0 || ix >= g.input.width || b.weight(o: o, i: i, ky: ky, kx: kx) == 0 { continue }
                    perPre[g.input.flatIndex(c: grp * g.inPerGroup + i, y: iy, x: ix)] += 1
                }
            } }
        }
    }

    public var json: JSONValue {
        func layerJSON(_ l: NeuroBenchLayer) -> JSONValue {
            func opt(_ x: Double?) -> JSONValue { x.map { .double($0) } ?? .null }
            return .object([
                ("layer", .string(l.name)), ("neurons", .int(l.neurons)),
                ("denseSynapticOperations", .double(l.denseSynapticOperations)),
                ("effectiveACs", .double(l.effectiveACs)), ("effectiveACsExact", .bool(l.effectiveACsExact)),
                ("effectiveMACs", opt(l.effectiveMACs)),
                ("chipSynapticOperations", opt(l.chipSynapticOperations)), ("chipMACs", opt(l.chipMACs)),
            ] + (l.chipLearningSynapticOperations.map { [("chipLearningSynapticOperations", JSONValue.double($0))] } ?? []) + [
                ("activationSparsity", opt(l.activationSparsity)), ("connectionSparsity", opt(l.connectionSparsity)),
                ("parameters", .int(l.parameters)), ("footprintBytes", .int(l.footprintBytes)),
                ("chipSRAMBytes", .int(l.chipSRAMBytes)),
                ("neuronUpdates", .double(l.neuronUpdates)), ("chipNeuronUpdates", opt(l.chipNeuronUpdates)),
                ("membraneUpdates", opt(l.membraneUpdates)),
            ])
        }
        return .object([
            ("definitions", .string("docs/NEUROBENCH.md; per sample = run total / samples")),
            ("samples", .int(samples)), ("stepsPerSample", .int(stepsPerSample)),
            ("perLayerNeuronCountsExact", .bool(perLayerNeuronCountsExact)),
            ("layers", .array(layers.map(layerJSON))), ("total", layerJSON(total)),
        ])
    }

    /// Two lines for the stdout report.
    public var text: String {
        let t = total
        var s = "neurobench (per sample, docs/NEUROBENCH.md): dense synops \(fmt(t.denseSynapticOperations, 0)), effective ACs \(fmt(t.effectiveACs, 1)), MACs \(t.effectiveMACs.map { fmt($0, 0) } ?? "n/a"), chip synops \(fmt(t.chipSynapticOperations ?? 0, 1)) (+ graded \(fmt(t.chipMACs ?? 0, 1)), learning \(fmt(t.chipLearningSynapticOperations ?? 0, 1)))\n"
        s += "  activation sparsity \(t.activationSparsity.map { fmt($0, 4) } ?? "-"), connection sparsity \(t.connectionSparsity.map { fmt($0, 4) } ?? "-"), footprint \(t.footprintBytes) B (chip SRAM \(t.chipSRAMBytes) B), membrane updates \(fmt(t.membraneUpdates ?? 0, 1)), neuron updates \(fmt(t.neuronUpdates, 0))\n"
        return s
    }
}
