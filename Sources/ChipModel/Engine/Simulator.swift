// The timestep engine: runs samples through the chip, phase by phase (Phase.swift), and
// accumulates counters and cycles. Single-threaded and deterministic: the same config and
// seed give the same counts, cycles and spikes.
//
// One timestep t, in order:
//   1. delivery     every core accumulates, for each incoming block, the rows of the spikes
//                   its presynaptic layer emitted at step t-1 (input spikes of step t-1
//                   included): a spike emitted at t is integrated at t+1.
//   2. neuronUpdate every core computes a_in = sum over blocks of shift(acc, exponent), runs
//                   the LIF update on its neurons, collects spikes, clears the accumulators.
//                   The input layer "emits" the source's spikes of step t.
//   3. routing      every spike emitted at t goes, as one packet, to each core holding a slice
//                   of each layer its layer projects to; same-tile packets are local spikes, the
//                   others cross the mesh (Router/MeshRouter: cycle-accurate XY routing with link
//                   contention; or closed-form latency when chip.routing is "closed-form").
//                   The phase lasts until the network has drained.
//   4. learning     (no rule is active in inference runs.)
//   5. barrier      barrierBaseCycles + barrierCyclesPerHop * (meshWidth-1 + meshHeight-1).
// Step cycles = max over cores of (delivery + neuronUpdate) + routing drain + barrier; the
// per-phase split reported is that of the critical (slowest) core, so phases add up to the total.

public struct SampleResult: Equatable, Sendable {
    public var label: Int?
    /// Argmax of the last layer's spike counts (for a readout layer: of v summed over the
    /// sample's steps), ties to the lowest index; -1 if a spiking last layer never spiked.
    public var prediction: Int
    /// Spike counts of the last layer, or v summed over the steps for a readout layer.
    public var outputSpikeCounts: [Int]
    /// A readout layer's v at the sample's last step (regression predictions); empty otherwise.
    public var finalOutput: [Int32] = []
    /// The sample's regression targets, if any.
    public var target: [Int32]? = nil
    public var spikesPerLayer: [Int]
    public var counts: ActionCounts
    public var cycles: UInt64
}

public struct RunTotals: Equatable, Sendable {
    public var cycles: UInt64 = 0
    /// Critical-path cycles per phase (they sum to `cycles`).
    public var cyclesByPhase = [UInt64](repeating: 0, count: Phase.count)
    public var steps: UInt64 = 0
    public init() {}
}

public final class Simulator {
    public let chip: Chip
    public private(set) var totals = RunTotals()
    /// Counts of mesh-wide actions not owned by a core (the barrier).
    public private(set) var meshCounts = PhaseCounts()
    /// The host steps rules declared and what they moved and computed (HostSteps.swift): host
    /// work, kept apart from the chip's action counts.
    public let hostSteps = HostStepLedger()
    public private(set) var samples: [SampleResult] = []
    /// Samples run and spikes per layer since the start (kept when `discardSamples` is called).
    public private(set) var samplesRun = 0
    public private(set) lazy var totalSpikesPerLayer = [Int](repeating: 0, count: chip.layers.count)
    /// Spikes per neuron since the start (restored from a checkpoint that carries them, else
    /// zeroed on restore): neuron g of layer l at `neuronSpikeOffset[l] + g`.
    /// One increment per emitted spike (not per synapse); NeuroBench's effective ACs weigh each
    /// neuron's spikes by its own nonzero fan-out (docs/NEUROBENCH.md).
    public private(set) var totalSpikesPerNeuron: [Int]
    public let neuronSpikeOffset: [Int]
    /// Called after the neuron update of every step with (sample, step); for probes.
    public var onStep: ((Int, Int) -> Void)?
    /// The attached learning rule, if any, and whether it learns in the current sample.
    public private(set) var rule: LearningRule?
    public var training = false
    /// Steps simulated since the start (keys per-step random draws of rules).
    public private(set) var globalStep = 0
    private var context = StepContext(sample: 0, step: 0, stepsPerSample: 0, globalStep: 0, label: nil, training: false)

    /// Spikes emitted in the previous step per layer (global indices, ascending), and this step's.
    private var pending: [ContiguousArray<Int32>]
    private var emitted: [ContiguousArray<Int32>]
    private let inputLayer: Int
    /// Bytes of one input spike event over the host link (see `inputEventBytes(channels:)`).
    private let inputEventBytes: UInt64

    /// An input spike event carries the index of its input channel: ceil(log2 channels) bits
    /// rounded up to whole bytes, at least one (2 channels: 1 byte; 256: 1; 257...65,536: 2).
    public static func inputEventBytes(channels: Int) -> UInt64 {
        let bits = channels > 1 ? Int.bitWidth - (channels - 1).leadingZeroBitCount : 0
        return UInt64(max(1, (bits + 7) / 8))
    }
    private let outputLayer: Int
    private let barrierCycles: UInt64
    private var router: MeshRouter
    private let noc: NocConfig
    /// Cycles packets spent waiting for busy links, over the run (cycle-accurate routing).
    public private(set) var routingStalls: UInt64 = 0

    public init(chip: Chip) {
        self.chip = chip
        noc = chip.config.chip.noc
        // The NoC config was validated against this mesh when the config was decoded.
        router = try! MeshRouter(mesh: chip.mesh, noc: chip.config.chip.noc)
        let n = chip.layers.count
        pending = Array(repeating: [], count: n)
        emitted = Array(repeating: [], count: n)
        for l in 0..<n { pending[l].reserveCapacity(chip.layers[l].size); emitted[l].reserveCapacity(chip.layers[l].size) }
        var offsets = [Int](), total = 0
        for l in 0..<n { offsets.append(total); total += chip.layers[l].size }
        neuronSpikeOffset = offsets
        totalSpikesPerNeuron = [Int](repeating: 0, count: total)
        haloCount = [Int](repeating: 0, count: chip.cores.count)
        inputLayer = chip.layers.firstIndex { $0.isInput }!
        inputEventBytes = Simulator.inputEventBytes(channels: chip.layers[inputLayer].size)
        outputLayer = n - 1
        let c = chip.config.chip
        barrierCycles = UInt64(c.timing.barrierBaseCycles + c.timing.barrierCyclesPerHop * (c.meshWidth - 1 + c.meshHeight - 1))
    }

    public var tiles: Int { chip.config.chip.meshWidth * chip.config.chip.meshHeight }

    /// Attaches a learning rule: allocates every population's learning state (counted in the
    /// report's memory), then lets the rule add its own (feedback blocks, aux registers).
    public func attach(rule: LearningRule) throws {
        if let reason = chip.config.network.untrainableReason {
            throw ChipError.config(file: chip.config.file, path: "$.learning", message: "cannot train this network: \(reason)")
        }
        if !rule.trainsShapedNetworks, let reason = chip.config.network.shapedConnectionReason {
            throw ChipError.config(file: chip.config.file, path: "$.learning", message: "cannot train this network with \(rule.name): \(reason)")
        }
        for core in chip.cores { for pop in core.populations { pop.learning = PopulationLearning(population: pop, rule: rule) } }
        self.rule = rule
        try rule.attach(to: self)
    }

    /// Everything a resumed run needs to continue exactly: run totals and router totals (the
    /// cores' counters and synapses are read and written by the checkpoint directly).
    public struct Totals: Sendable {
        public var totals: RunTotals
        public var meshCounts: PhaseCounts
        public var globalStep: Int
        public var routingStalls: UInt64
        public var linkFlits: [UInt64]
        public var drainCycles: UInt64
        public var routedSteps: Int
        public var samplesRun: Int
        public var spikesPerLayer: [Int]
        /// `totalSpikesPerNeuron`; empty when a checkpoint did not carry it (then zeroed on restore).
        public var spikesPerNeuron: [Int]
        public init(totals: RunTotals, meshCounts: PhaseCounts, globalStep: Int, routingStalls: UInt64,
                    linkFlits: [UInt64], drainCycles: UInt64, routedSteps: Int, samplesRun: Int, spikesPerLayer: [Int],
                    spikesPerNeuron: [Int] = []) {
            self.spikesPerNeuron = spikesPerNeuron
            self.totals = totals; self.meshCounts = meshCounts; self.globalStep = globalStep; self.routingStalls = routingStalls
            self.linkFlits = linkFlits; self.drainCycles = drainCycles; self.routedSteps = routedSteps
            self.samplesRun = samplesRun; self.spikesPerLayer = spikesPerLayer
        }
    }

    public var savedTotals: Totals {
        Totals(totals: totals, meshCounts: meshCounts, globalStep: globalStep, routingStalls: routingStalls,
               linkFlits: router.totalLinkFlits, drainCycles: router.totalDrainCycles, routedSteps: router.totalSteps,
               samplesRun: samplesRun, spikesPerLayer: totalSpikesPerLayer, spikesPerNeuron: totalSpikesPerNeuron)
    }

    public func restore(_ t: Totals) {
        totals = t.totals; meshCounts = t.meshCounts; globalStep = t.globalStep; routingStalls = t.routingStalls
        router.restoreTotals(linkFlits: t.linkFlits, drainCycles: t.drainCycles, steps: t.routedSteps)
        samplesRun = t.samplesRun; totalSpikesPerLayer = t.spikesPerLayer
        if t.spikesPerNeuron.count == totalSpikesPerNeuron.count { totalSpikesPerNeuron = t.spikesPerNeuron }
        else { for i in totalSpikesPerNeuron.indices { totalSpikesPerNeuron[i] = 0 } }
    }

    /// Forgets the per-sample results kept so far (long training runs).
    public func discardSamples() { samples.removeAll(keepingCapacity: true) }

    /// Spikes delivered in the current step (emitted by `layer` in the previous step).
    public func spikesDelivered(layer: Int) -> ContiguousArray<Int32> { pending[layer] }

    /// Sends `count` packets of `kind` from core `src` to core `dst` in the current learning
    /// phase: local within a tile, else through the mesh. Call `drainLearningPackets` after.
    public func sendLearningPackets(from src: Int, to dst: Int, kind: PacketKind, count: Int) {
        route(from: src, to: dst, kind: kind, count: count, phase: .learning)
    }

    /// Routes the learning packets sent since the last call; returns the drain cycles.
    public func drainLearningPackets() -> UInt64 { drainRoutes(phase: .learning) }

    /// One packet path for spikes and learning packets: same-tile packets are local spikes
    /// (no router); others cross the mesh, cycle-accurately through the router or, with
    /// chip.routing "closed-form", with their uncontended XY latency. Counts go to `phase`.
    private func route(from src: Int, to dst: Int, kind: PacketKind, count: Int, phase: Phase) {
        let a = chip.cores[src], b = chip.cores[dst]
        if a.tileX == b.tileX && a.tileY == b.tileY {
            meshCounts.add(phase, .spikeLocal, UInt64(count))
            pendingLocal += count
        } else if chip.config.chip.routing == .closedForm {
            let ew = abs(a.tileX - b.tileX), ns = abs(a.tileY - b.tileY)
            meshCounts.add(phase, .hopEW, UInt64(count * ew * noc.flits(kind)))
            meshCounts.add(phase, .hopNS, UInt64(count * ns * noc.flits(kind)))
            pendingClosedFormDrain = max(pendingClosedFormDrain, UInt64(noc.latency(mesh: chip.mesh, fromCore: src, toCore: dst, kind: kind)))
        } else {
            router.inject(from: src, to: dst, kind: kind, cycle: 0, count: count)
            pendingInjected += count
        }
    }

    /// Drains what `route` sent; returns the phase's drain cycles.
    private func drainRoutes(phase: Phase) -> UInt64 {
        var drain = pendingClosedFormDrain
        if pendingLocal > 0 { drain = max(drain, UInt64(chip.config.chip.timing.spikeLocalCycles)) }
        if pendingInjected > 0 {
            let r = router.drain()
            var c = ActionCounts()
            r.add(to: &c)
            meshCounts.byPhase[phase.rawValue].add(c)
            drain = max(drain, UInt64(r.drainCycles))
            routingStalls += r.stallCycles
            router.reset()
        }
        pendingInjected = 0; pendingLocal = 0; pendingClosedFormDrain = 0
        return drain
    }
    /// Packets per destination core while a halo route is being sent (zero between sends).
    private var haloCount: [Int]
    private var pendingInjected = 0
    private var pendingLocal = 0
    private var pendingClosedFormDrain: UInt64 = 0

    /// Counts an action of the host (labels, weight I/O) in the mesh component.
    public func countHost(_ a: Action, _ n: UInt64, phase: Phase = .learning) { meshCounts.add(phase, a, n) }

    /// Runs every sample of `source` for `run.steps` steps each.
    public func run(source: SpikeSource, progress: ((Int, Int) -> Void)? = nil) {
        for s in 0..<source.samples {
            runSample(s, source: source)
            progress?(s + 1, source.samples)
        }
    }

    public func resetNetworkState() {
        for c in chip.cores { c.resetState() }
        for l in 0..<pending.count { pending[l].removeAll(keepingCapacity: true); emitted[l].removeAll(keepingCapacity: true) }
    }

    /// One increment per spike emitted this step. One access to the counters per step (not per
    /// spike): the class property's exclusivity check stays out of the spike loop.
    private func countSpikesPerNeuron() {
        totalSpikesPerNeuron.withUnsafeMutableBufferPointer { counts in
            for l in 0..<emitted.count {
                let base = neuronSpikeOffset[l]
                emitted[l].withUnsafeBufferPointer { spikes in
                    for g in spikes { counts[base &+ Int(g)] &+= 1 }
                }
            }
        }
    }

    public func runSample(_ sample: Int, source: SpikeSource) {
        let steps = chip.config.run.steps
        if chip.config.run.resetBetweenSamples { resetNetworkState() }
        context = StepContext(sample: sample, step: 0, stepsPerSample: steps, globalStep: globalStep,
                              label: source.label(sample: sample), target: source.target(sample: sample),
                              training: training && rule != nil)
        if context.training { rule!.beginSample(simulator: self, context: context) }
        let before = currentTotalCounts()
        let cyclesBefore = totals.cycles
        var spikesPerLayer = [Int](repeating: 0, count: chip.layers.count)
        var outCounts = [Int](repeating: 0, count: chip.layers[outputLayer].size)
        let readout = !chip.layers[outputLayer].neuron.parameters.spiking
        for t in 0..<steps {
            context.step = t
            context.globalStep = globalStep
            step(sample: sample, t: t, source: source)
            globalStep += 1
            for l in 0..<emitted.count { spikesPerLayer[l] += emitted[l].count }
            countSpikesPerNeuron()
            if readout {
                for c in chip.coresOfLayer[outputLayer] {
                    for p in chip.cores[c].populations where p.layer == outputLayer {
                        for j in 0..<p.count { outCounts[p.firstNeuron + j] += Int(p.state.v[j]) }
                    }
                }
            } else {
                for s in emitted[outputLayer] { outCounts[Int(s)] += 1 }
            }
            onStep?(sample, t)
            swap(&pending, &emitted)
        }
        var pred = readout ? 0 : -1, best = readout ? outCounts.first ?? 0 : 0
        for (k, c) in outCounts.enumerated() where c > best { best = c; pred = k }
        var delta = currentTotalCounts()
        for i in 0..<delta.values.count { delta.values[i] -= before.values[i] }
        delta.gradedNonzeroProducts -= before.gradedNonzeroProducts
        for l in 0..<spikesPerLayer.count { totalSpikesPerLayer[l] += spikesPerLayer[l] }
        samplesRun += 1
        var result = SampleResult(label: source.label(sample: sample), prediction: pred, outputSpikeCounts: outCounts,
                                  spikesPerLayer: spikesPerLayer, counts: delta, cycles: totals.cycles - cyclesBefore)
        result.target = source.target(sample: sample)
        if readout {
            var last = [Int32](repeating: 0, count: chip.layers[outputLayer].size)
            for c in chip.coresOfLayer[outputLayer] {
                for p in chip.cores[c].populations where p.layer == outputLayer {
                    for j in 0..<p.count { last[p.firstNeuron + j] = p.state.v[j] }
                }
            }
            result.finalOutput = last
        }
        samples.append(result)
    }

    func currentTotalCounts() -> ActionCounts {
        var t = meshCounts.total
        for c in chip.cores { t.add(c.counts.total) }
        return t
    }

    /// One timestep (phases 1-5).
    func step(sample: Int, t: Int, source: SpikeSource) {
        let timing = chip.config.chip.timing
        var critical: (total: UInt64, delivery: UInt64, neuron: UInt64) = (0, 0, 0)
        // Phases 1 and 2, core by core (cores are independent within these phases).
        for core in chip.cores {
            var spikesIn = 0, synops = 0, readBits = 0, active = 0, idle = 0, stateBits = 0
            for pop in core.populations {
                for k in 0..<pop.blocks.count {
                    let spikes = pending[pop.blocks[k].preLayer]
                    if spikes.isEmpty { continue }
                    let n = spikes.withUnsafeBufferPointer { sp in
                        pop.accumulators[k].withUnsafeMutableBufferPointer { acc in
                            pop.blocks[k].deliver(spikes: sp, into: acc.baseAddress!)
                        }
                    }
                    spikesIn += spikes.count
                    synops += n
                    readBits += n * pop.blocks[k].bitsPerSynop
                }
                // Shaped connections: only the spikes routed to this core (its input axons) arrive.
                for k in 0..<pop.convBlocks.count {
                    let spikes = pending[pop.convBlocks[k].preLayer]
                    if spikes.isEmpty { continue }
                    let r = spikes.withUnsafeBufferPointer { sp in
                        pop.convAccumulators[k].withUnsafeMutableBufferPointer { acc in
                            pop.convBlocks[k].deliver(spikes: sp, into: acc.baseAddress!)
                        }
                    }
                    spikesIn += r.spikesIn
                    synops += r.synops
                    readBits += r.synops * pop.convBlocks[k].bitsPerSynop
                }
                // Dendritic sum: a_in[j] = sum_k shift(acc_k[j], e_k); accumulators cleared for the next step.
                let n = pop.count
                pop.aIn.withUnsafeMutableBufferPointer { a in
                    for j in 0..<n { a[j] = 0 }
                    for k in 0..<pop.blocks.count {
                        // FixedPoint.shift(acc, by: e), one loop per direction. |acc| < 2^31 and
                        // e in SynapseWidths.weightExponentRange (-8...7), so each term is below
                        // 2^38 and a sum over a population's blocks is exact in Int64: the
                        // wrapping operators never wrap, and they let the loops vectorise.
                        let e = pop.blocks[k].weightExponent
                        pop.accumulators[k].withUnsafeMutableBufferPointer { acc in
                            if e >= 0 {
                                let s = Int64(e)
                                for j in 0..<n { a[j] &+= Int64(acc[j]) &<< s; acc[j] = 0 }
                            } else {
                                let s = Int64(-e)
                                for j in 0..<n { a[j] &+= Int64(acc[j]) &>> s; acc[j] = 0 }
                            }
                        }
                    }
                    for k in 0..<pop.convBlocks.count {
                        // The same shifted sum (and exactness argument) as for `blocks`, read
                        // through the block's channel-minor accumulator index.
                        let e = pop.convBlocks[k].weightExponent
                        pop.convBlocks[k].accumulatorIndex.withUnsafeBufferPointer { ix in
                            pop.convAccumulators[k].withUnsafeMutableBufferPointer { acc in
                                if e >= 0 {
                                    let s = Int64(e)
                                    for j in 0..<n { let i = Int(ix[j]); a[j] &+= Int64(acc[i]) &<< s; acc[i] = 0 }
                                } else {
                                    let s = Int64(-e)
                                    for j in 0..<n { let i = Int(ix[j]); a[j] &+= Int64(acc[i]) &>> s; acc[i] = 0 }
                                }
                            }
                        }
                    }
                }
                pop.emitted.removeAll(keepingCapacity: true)
                if context.training {
                    pop.aIn.withUnsafeMutableBufferPointer { a in
                        rule!.beforeNeuronUpdate(core: core, population: pop, aIn: a, context: context, counts: &core.counts.byPhase[Phase.neuronUpdate.rawValue])
                    }
                }
                let tally: LIFStepTally
                if let learning = pop.learning {
                    tally = pop.aIn.withUnsafeBufferPointer { a in
                        learning.preResetV.withUnsafeMutableBufferPointer { pv in
                            LIFModel.step(state: &pop.state, aIn: a.baseAddress!, derived: pop.derived,
                                          spikes: &pop.emitted, indexOffset: Int32(pop.firstNeuron), preResetV: pv.baseAddress!)
                        }
                    }
                } else {
                    tally = pop.aIn.withUnsafeBufferPointer { a in
                        LIFModel.step(state: &pop.state, aIn: a.baseAddress!, derived: pop.derived,
                                      spikes: &pop.emitted, indexOffset: Int32(pop.firstNeuron))
                    }
                }
                active += tally.active
                idle += tally.idle
                // State SRAM: every update reads and writes u, v and the refractory counter.
                stateBits += n * Population.stateBitsPerNeuron
            }
            core.counts.add(.delivery, .synop, UInt64(synops))
            core.counts.add(.delivery, .sramReadBits, UInt64(readBits))
            core.counts.add(.neuronUpdate, .neuronActive, UInt64(active))
            core.counts.add(.neuronUpdate, .neuronIdle, UInt64(idle))
            core.counts.add(.neuronUpdate, .sramReadBits, UInt64(stateBits))
            core.counts.add(.neuronUpdate, .sramWriteBits, UInt64(stateBits))
            let deliveryCycles = UInt64(spikesIn * timing.spikeInCycles + synops * timing.synopCycles)
            let neuronCycles = UInt64(active * timing.neuronActiveCycles + idle * timing.neuronIdleCycles)
            core.busyCycles[Phase.delivery.rawValue] += deliveryCycles
            core.busyCycles[Phase.neuronUpdate.rawValue] += neuronCycles
            if deliveryCycles + neuronCycles > critical.total {
                critical = (deliveryCycles + neuronCycles, deliveryCycles, neuronCycles)
            }
        }
        // Gather this step's spikes per layer in core order (ascending global indices).
        for l in 0..<emitted.count { emitted[l].removeAll(keepingCapacity: true) }
        source.spikes(sample: sample, step: t, into: &emitted[inputLayer])
        // Host I/O: the host encodes each sample and streams its input spikes in, one address
        // event of `inputEventBytes` per spike (docs/LEARNING.md, "What the cost model changed").
        meshCounts.add(.routing, .hostIOBytes, UInt64(emitted[inputLayer].count) &* inputEventBytes)
        for core in chip.cores { for pop in core.populations { emitted[pop.layer].append(contentsOf: pop.emitted) } }

        // Phase 3: routing. One unicast packet per spike per destination core of each target
        // layer (one output axon per destination core, as on Loihi). Packets within a tile are
        // local spikes (no router); the others cross the mesh, cycle-accurately or closed-form.
        func send(from src: Core, count: Int, target: Int) {
            for d in chip.coresOfLayer[target] { route(from: src.id, to: d, kind: .spike, count: count, phase: .routing) }
        }
        // Shaped connections: one packet per spike per core in the spike's halo route only.
        func sendHalo(from src: Core, spikes: ContiguousArray<Int32>, range: Range<Int>, route h: HaloRoute, target: Int) {
            for k in range {
                let s = Int(spikes[k])
                for d in Int(h.start[s])..<Int(h.start[s + 1]) { haloCount[Int(h.cores[d])] += 1 }
            }
            for d in chip.coresOfLayer[target] where haloCount[d] > 0 {
                route(from: src.id, to: d, kind: .spike, count: haloCount[d], phase: .routing)
                haloCount[d] = 0
            }
        }
        for core in chip.cores {
            for pop in core.populations where !pop.emitted.isEmpty {
                for (k, target) in chip.targetsOfLayer[pop.layer].enumerated() {
                    if let h = chip.haloRoutes[pop.layer][k] {
                        sendHalo(from: core, spikes: pop.emitted, range: 0..<pop.emitted.count, route: h, target: target)
                    } else {
                        send(from: core, count: pop.emitted.count, target: target)
                    }
                }
            }
        }
        // Input layers placed on cores: their spikes leave from the core holding the channel.
        if !chip.sourceCoreOfChannel[inputLayer].isEmpty {
            let map = chip.sourceCoreOfChannel[inputLayer]
            var k = 0
            let spikes = emitted[inputLayer]
            while k < spikes.count {
                let core = map[Int(spikes[k])]
                var n = 1
                while k + n < spikes.count && map[Int(spikes[k + n])] == core { n += 1 }
                for (h, target) in chip.targetsOfLayer[inputLayer].enumerated() {
                    if let route = chip.haloRoutes[inputLayer][h] {
                        sendHalo(from: chip.cores[Int(core)], spikes: spikes, range: k..<(k + n), route: route, target: target)
                    } else {
                        send(from: chip.cores[Int(core)], count: n, target: target)
                    }
                }
                k += n
            }
        }
        let drain = drainRoutes(phase: .routing)
        // Phase 4: learning.
        var learningCycles: UInt64 = 0
        if context.training, let rule {
            updateLearningState()
            learningCycles = rule.learn(simulator: self, context: context)
        }
        // Phase 5: barrier, one barrier action per tile.
        meshCounts.add(.barrier, .barrier, UInt64(tiles))
        let stepCycles = critical.total + drain + learningCycles + barrierCycles
        totals.cyclesByPhase[Phase.learning.rawValue] += learningCycles
        totals.cycles += stepCycles
        totals.cyclesByPhase[Phase.delivery.rawValue] += critical.delivery
        totals.cyclesByPhase[Phase.neuronUpdate.rawValue] += critical.neuron
        totals.cyclesByPhase[Phase.routing.rawValue] += drain
        totals.cyclesByPhase[Phase.barrier.rawValue] += barrierCycles
        totals.steps += 1
    }

    /// Sets spike flags, u and pre-reset v, and updates traces of every population (learning
    /// phase, before the rule's programs). Pre flags are the spikes delivered this step.
    private func updateLearningState() {
        for core in chip.cores {
            for pop in core.populations {
                guard let l = pop.learning else { continue }
                let n = pop.count, first = pop.firstNeuron
                l.post.spikes.withUnsafeMutableBufferPointer { spikes in
                    for i in 0..<n { spikes[i] = 0 }
                    for s in pop.emitted { spikes[Int(s) - first] = 1 }
                }
                pop.state.u.withUnsafeBufferPointer { src in
                    l.post.u.withUnsafeMutableBufferPointer { dst in for i in 0..<n { dst[i] = src[i] } }
                }
                l.preResetV.withUnsafeBufferPointer { src in
                    l.post.v.withUnsafeMutableBufferPointer { dst in for i in 0..<n { dst[i] = src[i] } }
                }
                var c = ActionCounts()
                l.post.updateTraces(seed: chip.config.seed, core: core.id, step: globalStep, population: pop.layer, counts: &c)
                for k in 0..<pop.blocks.count {
                    let delivered = pending[pop.blocks[k].preLayer]
                    l.pre[k].spikes.withUnsafeMutableBufferPointer { spikes in
                        for i in 0..<spikes.count { spikes[i] = 0 }
                        for s in delivered { spikes[Int(s)] = 1 }
                    }
                    l.pre[k].updateTraces(seed: chip.config.seed, core: core.id, step: globalStep, population: pop.layer * 64 + k, counts: &c)
                }
                // Learned conv blocks: only the spikes of this core's input axons arrive.
                for k in 0..<l.convPre.count where l.convPre[k].count > 0 {
                    let delivered = pending[pop.convBlocks[k].preLayer]
                    pop.convBlocks[k].isAxon.withUnsafeBufferPointer { axon in
                        l.convPre[k].spikes.withUnsafeMutableBufferPointer { spikes in
                            for i in 0..<spikes.count { spikes[i] = 0 }
                            for s in delivered where axon[Int(s)] != 0 { spikes[Int(s)] = 1 }
                        }
                    }
                    l.convPre[k].updateTraces(seed: chip.config.seed, core: core.id, step: globalStep, population: pop.layer * 64 + 32 + k, counts: &c)
                }
                core.counts.byPhase[Phase.learning.rawValue].add(c)
            }
        }
    }

    /// Link usage over the run (cycle-accurate routing only).
    public func linkUsage() -> LinkUsageReport { router.linkUsage() }

    /// Spikes `layer` emitted in the current step (valid inside `onStep`), ascending global indices.
    public func spikesEmitted(layer: Int) -> ContiguousArray<Int32> { emitted[layer] }

    /// Simulated seconds at the configured clock.
    public var simulatedSeconds: Double { Double(totals.cycles) / (chip.config.chip.clockMHz * 1e6) }

    /// Counts per core (index = core id) and the mesh's own counts.
    public var totalCounts: ActionCounts { currentTotalCounts() }

    public var totalPhaseCounts: PhaseCounts {
        var p = meshCounts
        for c in chip.cores { p.add(c.counts) }
        return p
    }
}
