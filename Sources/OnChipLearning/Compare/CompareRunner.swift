import Foundation
import ChipModel

/// Runs a comparison: every configured on-chip rule (the chip simulator training with its
/// microcode rule) and every off-chip method (the float twin trained with BPTT / OTTT on the
/// host, quantised, written to the chip and evaluated there) on the same dataset, split,
/// sample limits and seed; each off-chip method is costed on every host profile.
public final class CompareRunner {
    public let config: CompareConfig
    public let table: EnergyTable
    public var progress: (String) -> Void = { _ in }
    /// Topology of the experiment's chain: connection index feeding layer l + 1, per weight layer l.
    let chainConnections: [Int]
    /// A network with conv, pooling, flatten or recurrent connections: the shaped twin's
    /// topology and, per weight layer, the recurrent connection into its post layer (or nil).
    /// nil for a dense feedforward chain (the dense twin, TwinNetwork).
    public let shapedTopology: TwinTopology?
    let recurrentConnections: [Int?]

    public init(config: CompareConfig) throws {
        self.config = config
        table = try Experiment.energyTable(for: config.experiment)
        let e = config.experiment
        if e.network.connections.contains(where: { $0.kind.isShaped || e.network.isRecurrent($0) }) {
            let shaped = try Self.shapedChain(e, base: Self.twinConfig(e, config), theta: config.theta)
            shapedTopology = shaped.topology
            chainConnections = shaped.forward
            recurrentConnections = shaped.recurrent
            if !config.loopMethods.isEmpty {
                throw ChipError.config(file: config.file, path: "$.chipInTheLoop", message: "chip-in-the-loop training needs a dense feedforward chain; this network has conv, pooling or recurrent connections")
            }
        } else {
            chainConnections = try Self.chain(e)
            shapedTopology = nil
            recurrentConnections = chainConnections.map { _ in nil }
        }
    }

    var experiment: ExperimentConfig { config.experiment }
    var training: TrainingConfig { (try? TrainingConfig.decode(experiment.training, file: experiment.file)) ?? TrainingConfig() }

    /// The network must be a feedforward chain input -> hidden... -> readout with dense
    /// connections, loihi-cuba hidden layers (no bias, no refractory period, equal decays) and a
    /// loihi-cuba-readout output: the topology and dynamics the twin reproduces.
    static func chain(_ e: ExperimentConfig) throws -> [Int] {
        let layers = e.network.layers
        func fail(_ path: String, _ m: String) -> ChipError { ChipError.config(file: e.file, path: path, message: m + " (compare needs a feedforward chain the float twin can reproduce)") }
        guard layers.count >= 2, layers[0].isInput, layers.dropFirst().allSatisfy({ !$0.isInput }) else {
            throw fail("$.network.layers", "the first layer must be the only input layer")
        }
        var out: [Int] = []
        for l in 0..<(layers.count - 1) {
            let matches = e.network.connections.indices.filter { e.network.connections[$0].from == layers[l].name && e.network.connections[$0].to == layers[l + 1].name }
            guard matches.count == 1 else { throw fail("$.network.connections", "expected exactly one connection \(layers[l].name) -> \(layers[l + 1].name)") }
            if e.network.connections[matches[0]].layout != .dense { throw fail("$.network.connections[\(matches[0])].layout", "must be dense") }
            out.append(matches[0])
        }
        if e.network.connections.count != out.count { throw fail("$.network.connections", "only connections between consecutive layers are supported") }
        let hidden = layers.dropFirst().dropLast()
        for (i, h) in zip(hidden.indices, hidden) {
            let p = h.neuron.parameters
            if h.neuron.model != "loihi-cuba" { throw fail("$.network.layers[\(i)].neuron.model", "hidden layers must be loihi-cuba") }
            if p.biasMant != 0 || p.refractory != 0 { throw fail("$.network.layers[\(i)].neuron", "hidden layers must have no bias and no refractory period") }
            let first = hidden.first!.neuron.parameters
            if p.du != first.du || p.dv != first.dv || p.reset != first.reset { throw fail("$.network.layers[\(i)].neuron", "all hidden layers must share du, dv and reset") }
        }
        if layers.last!.neuron.model != "loihi-cuba-readout" { throw fail("$.network.layers[\(layers.count - 1)].neuron.model", "the output layer must be loihi-cuba-readout") }
        return out
    }

    /// The twin with the chip's dynamics: sizes, steps, du / dv of hidden and readout layers,
    /// reset mode, seed; threshold theta (the chip's vth maps to it at deployment).
    public var twinConfig: TwinConfig { Self.twinConfig(experiment, config) }

    static func twinConfig(_ experiment: ExperimentConfig, _ config: CompareConfig) -> TwinConfig {
        let layers = experiment.network.layers
        var t = TwinConfig(sizes: layers.map(\.size), steps: experiment.run.steps, seed: experiment.seed)
        if layers.count > 2 {
            let h = layers[1].neuron.parameters
            t.hiddenDu = h.du; t.hiddenDv = h.dv; t.reset = h.reset
        }
        let o = layers.last!.neuron.parameters
        t.readoutDu = o.du; t.readoutDv = o.dv
        t.threshold = config.theta
        t.hiddenInitScale = config.hiddenInitScale
        t.surrogate = Surrogate(shape: .rectangular, halfWidth: config.surrogateHalfWidth * config.theta)
        return t
    }

    /// The dataset's float train and test splits, limited exactly as the chip's trainer limits them.
    ///
    /// The twin draws input channel c with probability round(x_c 65536) / 65536 per step, so
    /// the features are the chip encoder's per-step spike probabilities:
    ///   rate encoder:       x_c = pixel_c / 255                (the chip: pixel / 255)
    ///   population encoder: x_{f n + j} = numerator(p_f, j) / 65536, the chip's exact
    ///                       receptive-field probability of channel j of feature f
    /// Other encoders (latency, DVS) are refused: the twin cannot reproduce them. The encoded
    /// width must equal the input layer's size.
    public func floatData() throws -> (train: FloatDataset, test: FloatDataset) {
        guard case let .dataset(d, e, _, limit) = experiment.input else {
            throw ChipError.config(file: experiment.file, path: "$.input", message: "compare needs a dataset input")
        }
        let spec = try DatasetSpec(json: JSONReader(d, file: experiment.file, path: "$.input.dataset"))
        let dir = PathParts.directory(of: experiment.file)
        guard case let .images(tr, te) = try spec.load(relativeTo: dir.isEmpty ? "." : dir) else {
            throw ChipError.config(file: experiment.file, path: "$.input.dataset", message: "compare needs an image dataset (the twin encodes pixels as rates)")
        }
        guard tr.targets == nil else {
            throw ChipError.config(file: experiment.file, path: "$.input.dataset", message: "the float twin (compare, gradcheck) trains classifiers; this dataset is a regression task (run it on chip with `chipsim run`)")
        }
        var train = FloatDataset(tr), test = FloatDataset(te)
        func cap(_ n: Int, _ a: Int, _ b: Int) -> Int { [n, a > 0 ? a : n, b > 0 ? b : n].min()! }
        let nTrain = cap(train.count, limit, training.trainLimit), nTest = cap(test.count, limit, training.testLimit)
        if nTrain < train.count { train = train.slice(0..<nTrain) }
        if nTest < test.count { test = test.slice(0..<nTest) }
        let enc = try e.map { try EncoderSpec(json: JSONReader($0, file: experiment.file, path: "$.input.encoder")) }
            ?? .rate(steps: experiment.run.steps, seed: 0)
        switch enc {
        case .rate: break
        case let .population(steps, neurons, maxRate, seed):
            let p = PopulationEncoder(steps: steps, neurons: neurons, maxRate: maxRate, seed: seed)
            func expand(_ data: FloatDataset) -> FloatDataset {
                let n = p.neurons
                var x = [Float](repeating: 0, count: data.count * data.features * n)
                for s in 0..<data.count {
                    for f in 0..<data.features {
                        let pixel = Int((data.x[s * data.features + f] * 255).rounded())
                        for j in 0..<n { x[(s * data.features + f) * n + j] = Float(p.numerators[pixel * n + j]) / 65536 }
                    }
                }
                return FloatDataset(features: data.features * n, classes: data.classes, x: x, y: data.y)
            }
            train = expand(train); test = expand(test)
        default:
            throw ChipError.config(file: experiment.file, path: "$.input.encoder.kind",
                                   message: "the float twin (compare, gradcheck) needs a rate or population encoder (it encodes features as per-step spike probabilities)")
        }
        let inputs = experiment.network.layers[0].size
        guard train.features == inputs else {
            throw ChipError.config(file: experiment.file, path: "$.input",
                                   message: "the encoded dataset has \(train.features) channels but the input layer has \(inputs)")
        }
        return (train, test)
    }

    /// Bytes of the chip's synapse memory that hold the chain's weights (a shaped
    /// connection's kernel counted once, a recurrent matrix n x n; fixed pools hold none).
    var chipWeightBytes: Int {
        let layers = experiment.network.layers
        return chainConnections.enumerated().reduce(0) { acc, lc in
            let c = experiment.network.connections[lc.1]
            let forward = c.shaped.map { $0.fixedWeight == nil ? $0.geometry.weightCount : 0 } ?? layers[lc.0].size * layers[lc.0 + 1].size
            let n = layers[lc.0 + 1].size
            let recurrent = recurrentConnections[lc.0].map { experiment.network.connections[$0].weightBits * n * n } ?? 0
            return acc + (forward * c.weightBits + 7) / 8 + (recurrent + 7) / 8
        }
    }

    // MARK: on-chip

    /// An error-broadcast rule on chip with the experiment's learning section (its rule replaced).
    public func runOnChip(_ kind: ErrorBroadcastParameters.Kind) throws -> MethodResult {
        try runOnChip(learning: TrainingSession.learning(experiment.learning!, withRule: kind.rawValue))
    }

    /// Any rule on chip (a learning section: OPZO and family, MGD-WP, fwd_grad, LOCO, a user's
    /// microcode rule), trained the way `run` trains it (TrainingSession).
    public func runOnChip(learning: JSONValue) throws -> MethodResult {
        let exp = experiment
        let session = try TrainingSession(experiment: exp, learning: learning, training: training)
        let sim = session.simulator, rule = session.rule, trainer = session.trainer
        let ruleName: String
        if case let .string(r)? = learning["rule"] { ruleName = r } else { ruleName = rule.name }
        let name = "on-chip \(ruleName)"
        trainer.progress = { [progress] line in progress("\(name): \(line)") }
        try trainer.run()
        let clock = exp.chip.clockMHz * 1e6
        let powered = table.poweredCores(used: sim.chip.usedCores.count, onChip: exp.chip.cores)
        var counts = ActionCounts(), pj = 0.0, secs = 0.0, samples = 0
        var curve: [ComparePoint] = []
        for e in trainer.epochs {
            counts.add(e.trainCounts)
            pj += EnergyModel.cost(e.trainCounts, table: table, cores: powered, simulatedSeconds: Double(e.trainCycles) / clock).totalPicojoules
            secs += Double(e.trainCycles) / clock
            samples += e.trainSamples
            curve.append(ComparePoint(epoch: e.epoch, trainAccuracy: e.trainAccuracy, testAccuracy: e.testAccuracy,
                                      cumulativePicojoules: pj, cumulativeSeconds: secs))
        }
        let last = trainer.epochs.last!
        let learningBytes = sim.chip.cores.reduce(0) { acc, c in acc + c.populations.reduce(0) { $0 + ($1.learning?.memoryBytes ?? 0) } }
        return MethodResult(
            name: name, kind: "on-chip", rule: ruleName, host: nil, curve: curve, floatAccuracy: nil,
            chipAccuracy: last.testAccuracy, trainSamples: samples,
            energy: EnergyCategory.breakdown(counts, table: table, poweredCores: powered, seconds: secs), trainSeconds: secs,
            operations: [("synops", counts[.synop]), ("neuron updates", counts[.neuronActive] + counts[.neuronIdle]),
                         ("synapse updates", counts[.plastSynapse]), ("plasticity instructions", counts[.plastInstr]),
                         ("spike hops", counts[.hopEW] + counts[.hopNS]), ("host I/O bytes", counts[.hostIOBytes])],
            memory: [("weights (chip SRAM)", chipWeightBytes), ("learning state", learningBytes), ("feedback synapses", rule.extraSynapseBytes)],
            weightWrites: counts[.plastSynapse], hostIOBytes: counts[.hostIOBytes],
            inferencePicojoulesPerSample: EnergyModel.cost(last.testCounts, table: table).dynamicPicojoules / Double(max(1, last.testSamples)),
            deployment: nil, neurobench: NeuroBenchMetrics.of(simulator: sim))
    }

    // MARK: off-chip

    /// A trained twin's outcome before host costing.
    public struct OffChipRun {
        public var method: OffChipMethod
        public var records: [TwinEpochRecord]
        public var counts: TwinOpCounts
        public var floatAccuracy: Double
        public var deployment: Deployment
        public var weightUpdates: UInt64
        public var stateBytes: [(String, Int)]
    }

    /// Quantised weights on the chip and what the chip measured with them.
    public struct Deployment {
        public var connections: [QuantisedConnection]
        public var linkBytes: UInt64
        public var sramWriteBits: UInt64
        public var chipAccuracy: Double
        public var testCounts: ActionCounts
        public var testSamples: Int
        public var neurobench: NeuroBenchMetrics? = nil
        /// The chip's prediction for each test sample, in order (not in the report).
        public var predictions: [Int] = []
        public var json: JSONValue {
            .object([("linkBytes", .uint(linkBytes)), ("sramWriteBits", .uint(sramWriteBits)), ("chipTestAccuracy", .double(chipAccuracy)),
                     ("connections", .array(connections.map { q in
                         .object([("weightBits", .int(q.weightBits)), ("weightExponent", .int(q.weightExponent)),
                                  ("scale", .double(q.scale)), ("vth", q.vth.map { .int($0) } ?? .null),
                                  ("maxAbsFloat", .double(Double(q.maxAbsFloat))), ("maxAbsMantissa", .int(q.maxAbsInt))])
                     }))])
        }
    }

    public func trainOffChip(_ m: OffChipMethod, train: FloatDataset, test: FloatDataset) throws -> OffChipRun {
        if let topology = shapedTopology { return try trainOffChipShaped(m, topology: topology, train: train, test: test) }
        var tc = TwinTrainerConfig(rule: m.rule)
        tc.epochs = config.offChipEpochs ?? training.epochs
        tc.batchSize = config.batchSize
        tc.shuffle = training.shuffle
        tc.optimiser = m.twinOptimiser
        let trainer = TwinTrainer(network: twinConfig, trainer: tc)
        var records: [TwinEpochRecord] = []
        for _ in 0..<tc.epochs {
            let r = trainer.trainEpoch(train, test: test)
            records.append(r)
            progress(String(format: "off-chip %@: epoch %d/%d: train accuracy %.2f%%, float test accuracy %.2f%%", m.name, r.epoch, tc.epochs, 100 * r.trainAccuracy, 100 * r.testAccuracy))
        }
        let dep = try deploy(trainer.net)
        progress(String(format: "off-chip %@: deployed to the chip: test accuracy %.2f%% (float %.2f%%)", m.name, 100 * dep.chipAccuracy, 100 * (records.last?.testAccuracy ?? 0)))
        let nW = trainer.net.weights.reduce(0) { $0 + $1.count }
        let steps = UInt64(tc.epochs) * UInt64((train.count + tc.batchSize - 1) / tc.batchSize)
        let sizes = twinConfig.sizes
        let post = sizes.dropFirst().reduce(0, +), pre = sizes.dropLast().reduce(0, +)
        // BPTT keeps h and s of every post neuron for all T steps; OTTT keeps two presynaptic
        // trace floats per presynaptic neuron and a one-step ring of psi and traces.
        let activation = m.rule == .bptt ? twinConfig.steps * post * 2 * 4 : (2 * pre + 2 * (post + pre)) * 4
        var state: [(String, Int)] = [("float weights", 4 * nW), ("gradient", 4 * nW)]
        if m.optimiser == .adam { state.append(("Adam moments", 8 * nW)) }
        state.append(("activations per sample", activation))
        return OffChipRun(method: m, records: records, counts: trainer.trainCounts, floatAccuracy: records.last?.testAccuracy ?? 0,
                          deployment: dep, weightUpdates: steps * UInt64(nW), stateBytes: state)
    }

    /// Quantises the twin's weights (Quantiser), writes them into a copy of the experiment's
    /// chip (counted: packed mantissas plus 4 bytes of exponent and threshold per connection
    /// over the host link; weightBits SRAM write bits per synapse) and evaluates the test split.
    public func deploy(_ net: TwinNetwork) throws -> Deployment {
        var exp = experiment
        exp.learning = nil; exp.training = nil
        let qs = Self.install(net, into: &exp, chain: chainConnections, theta: config.theta)
        var link: UInt64 = 0, bits: UInt64 = 0
        for (l, q) in qs.enumerated() {
            link += UInt64(q.packedBytes + 4)
            bits += UInt64(exp.network.layers[l].size * exp.network.layers[l + 1].size * q.weightBits)
        }
        return try evaluateDeployment(exp, connections: qs, linkBytes: link, sramWriteBits: bits)
    }

    /// Quantises the twin's weights layer by layer into `exp` (chain: the connection index of
    /// each weight layer): explicit mantissas, weight exponents and hidden thresholds.
    public static func install(_ net: TwinNetwork, into exp: inout ExperimentConfig, chain: [Int], theta: Float) -> [QuantisedConnection] {
        var qs: [QuantisedConnection] = []
        for (l, ci) in chain.enumerated() {
            let c = exp.network.connections[ci]
            let post = l + 1
            let isReadout = post == exp.network.layers.count - 1
            let q = Quantiser.quantise(net.weights[l].p, rows: exp.network.layers[l].size, cols: exp.network.layers[post].size,
                                       weightBits: c.weightBits, theta: isReadout ? nil : theta,
                                       vth: isReadout ? nil : exp.network.layers[post].neuron.parameters.vth)
            exp.network.connections[ci].initialization = .explicit(q.weights)
            exp.network.connections[ci].weightExponent = q.weightExponent
            if let v = q.vth { exp.network.layers[post].neuron.parameters.vth = v }
            qs.append(q)
        }
        return qs
    }

    /// Costs an off-chip run on one host: twin FLOPs and bytes on the host, the deployment's
    /// link bytes on the host's link, the deployment's SRAM writes with the chip's table.
    public func result(_ r: OffChipRun, host: HostProfile, trainSamplesPerEpoch: Int) -> MethodResult {
        var curve: [ComparePoint] = []
        for rec in r.records {
            let c = HostEnergyModel.cost(HostCounts(flops: rec.flops, dramBytes: rec.bytes), profile: host)
            curve.append(ComparePoint(epoch: rec.epoch, trainAccuracy: rec.trainAccuracy, testAccuracy: rec.testAccuracy,
                                      cumulativePicojoules: c.totalPicojoules, cumulativeSeconds: c.seconds))
        }
        let hc = HostEnergyModel.cost(HostCounts(flops: r.counts.totalFlops, dramBytes: r.counts.totalBytes, linkBytes: r.deployment.linkBytes), profile: host)
        var writes = ActionCounts(); writes.add(.sramWriteBits, r.deployment.sramWriteBits)
        var energy: [EnergyCategory: Double] = [.hostCompute: hc.flopPicojoules, .hostDRAM: hc.dramPicojoules, .hostLink: hc.linkPicojoules]
        energy[.chipLearning] = EnergyModel.cost(writes, table: table).dynamicPicojoules
        let dep = r.deployment
        let synapses = dep.connections.reduce(0) { $0 + $1.weights.count * ($1.weights.first?.count ?? 0) }
        return MethodResult(
            name: "off-chip \(r.method.name) @ \(host.name)", kind: "off-chip", rule: r.method.rule.rawValue, host: host.name,
            curve: curve, floatAccuracy: r.floatAccuracy, chipAccuracy: dep.chipAccuracy,
            trainSamples: r.records.count * trainSamplesPerEpoch, energy: energy, trainSeconds: hc.seconds,
            operations: [("FLOPs", r.counts.totalFlops), ("DRAM bytes", r.counts.totalBytes), ("host I/O bytes", dep.linkBytes),
                         ("chip weight writes", UInt64(synapses))],
            memory: r.stateBytes + [("weights (chip SRAM)", chipWeightBytes)],
            weightWrites: r.weightUpdates + UInt64(synapses), hostIOBytes: dep.linkBytes,
            inferencePicojoulesPerSample: EnergyModel.cost(dep.testCounts, table: table).dynamicPicojoules / Double(max(1, dep.testSamples)),
            deployment: dep.json, neurobench: dep.neurobench)
    }

    // MARK: chip in the loop

    /// A chip-in-the-loop run before host costing.
    public struct LoopRun {
        public var method: OffChipMethod
        /// Per epoch: train accuracy, chip test accuracy, cumulative chip counts, cycles, host counts, link bytes, SRAM write bits.
        public var epochs: [(trainAccuracy: Double, testAccuracy: Double, chip: ActionCounts, cycles: UInt64, host: TwinOpCounts, link: UInt64, writeBits: UInt64)]
        public var weightUpdates: UInt64
        public var stateBytes: [(String, Int)]
        public var quantised: [QuantisedConnection]
        /// Chip counts of the last test pass and its sample count.
        public var testCounts: ActionCounts
        public var testSamples: Int
    }

    public func trainInTheLoop(_ m: OffChipMethod, trainCount: Int, testCount: Int) throws -> LoopRun {
        let loop = try ChipInTheLoopTrainer(experiment: experiment, chain: chainConnections, twin: twinConfig, method: m)
        var exp = experiment
        exp.learning = nil; exp.training = nil
        let (trainSource, testSource) = try Experiment.sources(for: exp)
        guard let trainSource else { throw ChipError.config(file: exp.file, path: "$.input", message: "training needs a dataset input") }
        let epochs = config.loopEpochs ?? training.epochs
        var out: [(trainAccuracy: Double, testAccuracy: Double, chip: ActionCounts, cycles: UInt64, host: TwinOpCounts, link: UInt64, writeBits: UInt64)] = []
        var chipCounts = ActionCounts(), cycles: UInt64 = 0, testCounts = ActionCounts()
        for e in 0..<epochs {
            let c0 = loop.sim.totalCounts, y0 = loop.sim.totals.cycles
            loop.sim.training = true
            let (_, trainAcc) = loop.trainEpoch(e, train: trainSource, count: trainCount, batchSize: config.batchSize, seed: experiment.seed, shuffle: training.shuffle)
            loop.sim.training = false
            chipCounts.add(loop.sim.totalCounts.minus(c0)); cycles += loop.sim.totals.cycles - y0
            let c1 = loop.sim.totalCounts
            let testAcc = loop.evaluate(testSource, count: testCount)
            testCounts = loop.sim.totalCounts.minus(c1)
            out.append((trainAcc, testAcc, chipCounts, cycles, loop.hostCounts, loop.linkBytes, loop.sramWriteBits))
            progress(String(format: "chip-in-the-loop %@: epoch %d/%d: train accuracy %.2f%%, chip test accuracy %.2f%%", m.name, e + 1, epochs, 100 * trainAcc, 100 * testAcc))
        }
        let nW = loop.weights.reduce(0) { $0 + $1.count }
        var state: [(String, Int)] = [("float weights", 4 * nW), ("gradient", 4 * nW)]
        if m.optimiser == .adam { state.append(("Adam moments", 8 * nW)) }
        state.append(("recordings per sample", experiment.run.steps * (loop.nH * 2 + loop.nO) * 4))
        return LoopRun(method: m, epochs: out, weightUpdates: loop.weightUpdates, stateBytes: state, quantised: loop.quantised,
                       testCounts: testCounts, testSamples: testCount)
    }

    /// Costs a chip-in-the-loop run on one host: chip forward passes with the chip's table,
    /// host FLOPs / bytes and link traffic with the host profile, weight write-back SRAM bits
    /// with the chip's table; time = chip simulated time + host roofline time + link time.
    public func result(_ r: LoopRun, host: HostProfile, trainSamplesPerEpoch: Int) -> MethodResult {
        let clock = experiment.chip.clockMHz * 1e6
        let loopPowered = table.poweredCores(used: (try? Chip(config: experiment))?.usedCores.count ?? 1, onChip: experiment.chip.cores)
        func cost(_ ep: (trainAccuracy: Double, testAccuracy: Double, chip: ActionCounts, cycles: UInt64, host: TwinOpCounts, link: UInt64, writeBits: UInt64)) -> ([EnergyCategory: Double], Double) {
            var energy = EnergyCategory.breakdown(ep.chip, table: table, poweredCores: loopPowered, seconds: Double(ep.cycles) / clock)
            let hc = HostEnergyModel.cost(HostCounts(flops: ep.host.totalFlops, dramBytes: ep.host.totalBytes, linkBytes: ep.link), profile: host)
            energy[.hostCompute, default: 0] += hc.flopPicojoules
            energy[.hostDRAM, default: 0] += hc.dramPicojoules
            energy[.hostLink, default: 0] += hc.linkPicojoules
            var w = ActionCounts(); w.add(.sramWriteBits, ep.writeBits)
            energy[.chipLearning, default: 0] += EnergyModel.cost(w, table: table).dynamicPicojoules
            return (energy, Double(ep.cycles) / clock + hc.seconds)
        }
        let curve = r.epochs.enumerated().map { i, ep -> ComparePoint in
            let (en, t) = cost(ep)
            return ComparePoint(epoch: i + 1, trainAccuracy: ep.trainAccuracy, testAccuracy: ep.testAccuracy,
                                cumulativePicojoules: en.values.reduce(0, +), cumulativeSeconds: t)
        }
        let last = r.epochs.last!
        let (energy, seconds) = cost(last)
        return MethodResult(
            name: "chip-in-the-loop \(r.method.name) @ \(host.name)", kind: "chip-in-the-loop", rule: r.method.rule.rawValue, host: host.name,
            curve: curve, floatAccuracy: nil, chipAccuracy: last.testAccuracy, trainSamples: r.epochs.count * trainSamplesPerEpoch,
            energy: energy, trainSeconds: seconds,
            operations: [("chip synops", last.chip[.synop]), ("host FLOPs", last.host.totalFlops), ("host DRAM bytes", last.host.totalBytes),
                         ("host I/O bytes", last.link + last.chip[.hostIOBytes]), ("chip weight writes", last.writeBits / UInt64(r.quantised[0].weightBits))],
            memory: r.stateBytes + [("weights (chip SRAM)", chipWeightBytes)],
            weightWrites: r.weightUpdates + last.writeBits / UInt64(r.quantised[0].weightBits), hostIOBytes: last.link + last.chip[.hostIOBytes],
            inferencePicojoulesPerSample: EnergyModel.cost(r.testCounts, table: table).dynamicPicojoules / Double(max(1, r.testSamples)),
            deployment: nil)
    }

    /// Everything: on-chip rules first, then each off-chip method on each host.
    public func run() throws -> CompareResult {
        let start = DispatchTime.now()
        var methods: [MethodResult] = []
        for learning in config.onChipLearning { methods.append(try runOnChip(learning: learning)) }
        let (train, test) = try floatData()
        for m in config.methods {
            let r = try trainOffChip(m, train: train, test: test)
            for h in config.hosts { methods.append(result(r, host: h, trainSamplesPerEpoch: train.count)) }
        }
        for m in config.loopMethods {
            let r = try trainInTheLoop(m, trainCount: train.count, testCount: test.count)
            for h in config.hosts { methods.append(result(r, host: h, trainSamplesPerEpoch: train.count)) }
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let tc = training
        let task: JSONValue = .object([
            ("experiment", .string(experiment.name)), ("seed", .uint(experiment.seed)),
            ("sizes", .array(experiment.network.layers.map { .int($0.size) })), ("steps", .int(experiment.run.steps)),
            ("trainSamples", .int(train.count)), ("testSamples", .int(test.count)),
            ("epochs", .int(tc.epochs)), ("offChipEpochs", .int(config.offChipEpochs ?? tc.epochs)),
            ("energyTable", .string(table.name)),
            ("chip", ChipSetup.of(try Chip(config: experiment)).json),
            ("twin", .object([("hiddenDu", .int(twinConfig.hiddenDu)), ("hiddenDv", .int(twinConfig.hiddenDv)),
                              ("readoutDu", .int(twinConfig.readoutDu)), ("readoutDv", .int(twinConfig.readoutDv)),
                              ("reset", .string(twinConfig.reset.rawValue)), ("theta", .double(Double(twinConfig.threshold))),
                              ("batchSize", .int(config.batchSize))])),
        ])
        return CompareResult(name: config.name, task: task, hosts: config.hosts, methods: methods, wallSeconds: wall)
    }
}

extension CompareConfig {
    /// An experiment on its own with compare's default twin settings (theta 1, hidden init
    /// scale 2, surrogate half-width 0.5) and no off-chip methods or hosts: what `chipsim
    /// gradcheck CONFIG` needs to map the experiment to its twin (CompareRunner.twinConfig).
    public init(experiment: ExperimentConfig) throws {
        guard let learning = experiment.learning else {
            throw ChipError.config(file: experiment.file, path: "$.learning", message: "the experiment needs an on-chip learning section")
        }
        self.experiment = experiment
        file = experiment.file
        name = experiment.name
        _ = try LearningConfig.decode(learning, file: experiment.file)   // gradcheck maps an error-broadcast rule
        onChipLearning = [learning]
        methods = []
        offChipEpochs = nil
        batchSize = 16
        theta = 1
        hiddenInitScale = 2
        surrogateHalfWidth = 0.5
        hosts = []
    }
}
