import Foundation
import ChipModel

// `compare` for networks with conv, pooling, flatten or recurrent connections (docs/COMPARE.md,
// "Conv and recurrent networks"): the off-chip side trains the shaped twin (TwinTopology,
// ShapedTwinTrainer: BPTT or an online rule), quantises its tensors into the chip's format
// (conv kernels into the connection's OIHW weights, recurrent matrices into the
// self-connection, with the dense deployment's weight-exponent and threshold logic) and
// measures chip inference. The on-chip columns run where the chip can learn the network.

extension CompareRunner {
    /// The shaped twin of the experiment (TwinTopology's builder: a chain with optional dense
    /// self-connections on hidden layers) and its connection indices: per weight layer l the
    /// connection feeding layer l + 1 and the self-connection of layer l + 1 (or nil). Hidden
    /// layers must be loihi-cuba without bias or refractory period and share the reset mode
    /// (the twin has one); the last layer must be loihi-cuba-readout.
    static func shapedChain(_ e: ExperimentConfig, base: TwinConfig, theta: Float) throws -> (topology: TwinTopology, forward: [Int], recurrent: [Int?]) {
        let layers = e.network.layers
        func fail(_ path: String, _ m: String) -> ChipError { ChipError.config(file: e.file, path: path, message: m + " (compare needs a network the float twin can reproduce)") }
        let topology = try TwinTopology(network: e.network, file: e.file, base: base, theta: theta)
        let hidden = layers.indices.dropFirst().dropLast()
        for i in hidden {
            let p = layers[i].neuron.parameters
            if layers[i].neuron.model != "loihi-cuba" { throw fail("$.network.layers[\(i)].neuron.model", "hidden layers must be loihi-cuba") }
            if p.biasMant != 0 || p.refractory != 0 { throw fail("$.network.layers[\(i)].neuron", "hidden layers must have no bias and no refractory period") }
            if p.reset != layers[hidden.first!].neuron.parameters.reset { throw fail("$.network.layers[\(i)].neuron.reset", "all hidden layers must share the reset mode") }
        }
        if layers.last!.neuron.model != "loihi-cuba-readout" { throw fail("$.network.layers[\(layers.count - 1)].neuron.model", "the output layer must be loihi-cuba-readout") }
        let cs = e.network.connections
        let forward = (0..<(layers.count - 1)).map { l in cs.indices.first { cs[$0].from == layers[l].name && cs[$0].to == layers[l + 1].name }! }
        let recurrent = (0..<(layers.count - 1)).map { l in cs.indices.first { cs[$0].from == layers[l + 1].name && cs[$0].to == layers[l + 1].name } }
        return (topology, forward, recurrent)
    }

    /// Trains the shaped twin with one method and deploys it (trainOffChip for shaped networks).
    func trainOffChipShaped(_ m: OffChipMethod, topology: TwinTopology, train: FloatDataset, test: FloatDataset) throws -> OffChipRun {
        let epochs = config.offChipEpochs ?? training.epochs
        let trainer = ShapedTwinTrainer(topology: topology, rule: m.rule, optimiser: m.twinOptimiser,
                                        batchSize: config.batchSize, shuffle: training.shuffle)
        var records: [TwinEpochRecord] = []
        for _ in 0..<epochs {
            let r = trainer.trainEpoch(train, test: test)
            records.append(r)
            progress(String(format: "off-chip %@: epoch %d/%d: train accuracy %.2f%%, float test accuracy %.2f%%", m.name, r.epoch, epochs, 100 * r.trainAccuracy, 100 * r.testAccuracy))
        }
        let dep = try deployShaped(trainer.net)
        progress(String(format: "off-chip %@: deployed to the chip: test accuracy %.2f%% (float %.2f%%)", m.name, 100 * dep.chipAccuracy, 100 * (records.last?.testAccuracy ?? 0)))
        let nAll = trainer.net.params.reduce(0) { $0 + $1.count }
        let nW = trainer.updatedParams.reduce(0) { $0 + trainer.net.params[$1].count }
        let steps = UInt64(epochs) * UInt64((train.count + config.batchSize - 1) / config.batchSize)
        let sizes = topology.base.sizes, T = topology.base.steps
        let post = sizes.dropFirst().reduce(0, +), pre = sizes.dropLast().reduce(0, +)
        // BPTT keeps h and s of every post neuron and the delivered input for all T steps; the
        // online rules keep traces and their rings (about two floats per neuron per layer).
        let activation = m.rule == .bptt ? T * (2 * post + sizes[0]) * 4 : (2 * pre + 2 * (post + pre)) * 4
        var state: [(String, Int)] = [("float weights", 4 * nAll), ("gradient", 4 * nAll)]
        if m.optimiser == .adam { state.append(("Adam moments", 8 * nW)) }
        state.append(("activations per sample", activation))
        return OffChipRun(method: m, records: records, counts: trainer.trainCounts, floatAccuracy: records.last?.testAccuracy ?? 0,
                          deployment: dep, weightUpdates: steps * UInt64(nW), stateBytes: state)
    }

    /// Quantises the shaped twin's tensors into a copy of the experiment (installShaped),
    /// counts the deployment (packed mantissas plus 4 bytes of exponent and threshold per
    /// quantised connection over the host link; weightBits SRAM write bits per stored weight)
    /// and evaluates the test split on the chip.
    public func deployShaped(_ net: ShapedTwinNetwork) throws -> Deployment {
        var exp = experiment
        exp.learning = nil; exp.training = nil
        let qs = Self.installShaped(net, into: &exp, forward: chainConnections, recurrent: recurrentConnections, theta: config.theta)
        var link: UInt64 = 0, bits: UInt64 = 0
        for q in qs.map(\.quantised) {
            link += UInt64(q.packedBytes + 4)
            bits += UInt64(q.weights.count * (q.weights.first?.count ?? 0) * q.weightBits)
        }
        return try evaluateDeployment(exp, connections: qs.map(\.quantised), linkBytes: link, sramWriteBits: bits)
    }

    /// Runs the test split of `exp` (the deployed weights) on a fresh chip.
    func evaluateDeployment(_ exp: ExperimentConfig, connections qs: [QuantisedConnection], linkBytes: UInt64, sramWriteBits: UInt64) throws -> Deployment {
        let (_, testSource) = try Experiment.sources(for: exp)
        let tc = training
        let n = tc.testLimit > 0 ? min(tc.testLimit, testSource.samples) : testSource.samples
        let sim = Simulator(chip: try Chip(config: exp))
        let c0 = sim.totalCounts
        var correct = 0
        var predictions: [Int] = []
        for s in 0..<n {
            sim.runSample(s, source: testSource)
            if let r = sim.samples.last {
                predictions.append(r.prediction)
                if r.label == r.prediction { correct += 1 }
            }
        }
        var d = Deployment(connections: qs, linkBytes: linkBytes, sramWriteBits: sramWriteBits, chipAccuracy: Double(correct) / Double(max(1, n)),
                           testCounts: sim.totalCounts.minus(c0), testSamples: n, neurobench: NeuroBenchMetrics.of(simulator: sim))
        d.predictions = predictions
        return d
    }

    /// Quantises the shaped twin's tensors layer by layer into `exp`: per weight layer the
    /// forward connection (dense: weights[pre][post]; conv2d / oneToOne: the flat OIHW kernel
    /// as one row, the connection's explicit-weights form) with Quantiser.quantise (its
    /// exponent and, for a thresholded post layer, its new vth: unit = vth / theta; a post layer
    /// with vth 0, an OR-pool, and the readout use unit 1), then the post layer's recurrent
    /// matrix with the unit the forward connection fixed (scale x 2^exponent), since both
    /// feed one threshold (raising both the threshold and the forward exponent by 2^k first
    /// when R would otherwise need a negative exponent). Fixed pools keep their configured
    /// weights and are not listed.
    public static func installShaped(_ net: ShapedTwinNetwork, into exp: inout ExperimentConfig, forward: [Int], recurrent: [Int?],
                                     theta: Float) -> [(connection: Int, quantised: QuantisedConnection)] {
        let topo = net.topology
        var out: [(Int, QuantisedConnection)] = []
        for l in 0..<topo.layerCount {
            let post = l + 1, ci = forward[l]
            let c = exp.network.connections[ci]
            let vth0 = exp.network.layers[post].neuron.parameters.vth
            let thresholded = !topo.isReadout(l) && vth0 > 0
            let w = net.params[net.forwardParam[l]]
            var q: QuantisedConnection
            switch topo.forward[l] {
            case .shaped(_, fixed: .some):
                continue
            case let .shaped(g, fixed: nil):
                q = Quantiser.quantise(w.p, rows: 1, cols: g.weightCount, weightBits: c.weightBits,
                                       theta: thresholded ? theta : nil, vth: thresholded ? vth0 : nil)
            case let .dense(pre, postCount):
                q = Quantiser.quantise(w.p, rows: pre, cols: postCount, weightBits: c.weightBits,
                                       theta: thresholded ? theta : nil, vth: thresholded ? vth0 : nil)
            }
            var recurrentQ: (Int, QuantisedConnection)? = nil
            if let ri = recurrent[l], net.recurrentParam[l] >= 0 {
                let n = topo.base.sizes[post], R = net.params[net.recurrentParam[l]]
                let bits = exp.network.connections[ri].weightBits
                var maxR: Float = 0
                for k in 0..<R.count { maxR = max(maxR, abs(R[k])) }
                var unit = q.scale * pow(2, Double(q.weightExponent))
                // R smaller than the forward weights would want e < 0: raise the threshold by
                // 2^k and the forward exponent by k instead (the forward mantissas and scale are
                // unchanged: w 2^(e+k) against vth 2^k), so R's mantissas use their range.
                let eR = Quantiser.exponentNeeded(maxAbs: Double(maxR), unit: unit, wMax: (1 << (bits - 1)) - 1)
                if eR < 0, let v = q.vth {
                    var k = 0
                    while k < -eR && q.weightExponent + k < Quantiser.exponentRange.upperBound && v << (k + 1) <= Quantiser.vthMax { k += 1 }
                    q.vth = v << k
                    q.weightExponent += k
                    unit *= pow(2, Double(k))
                }
                let r = Quantiser.quantise(R.p, rows: n, cols: n, weightBits: bits, unit: unit)
                exp.network.connections[ri].initialization = .explicit(r.weights)
                exp.network.connections[ri].weightExponent = r.weightExponent
                recurrentQ = (ri, r)
            }
            exp.network.connections[ci].initialization = .explicit(q.weights)
            exp.network.connections[ci].weightExponent = q.weightExponent
            if let v = q.vth { exp.network.layers[post].neuron.parameters.vth = v }
            out.append((ci, q))
            if let recurrentQ { out.append(recurrentQ) }
        }
        return out
    }
}
