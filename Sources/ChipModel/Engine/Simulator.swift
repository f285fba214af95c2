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
//   3. routing      every spike emitted at t goes to each core holding a slice of each layer
//                   its layer projects to. PLACEHOLDER MODEL until the network-on-chip lands:
//                   closed-form XY hops, no contention; drain = the longest packet latency.
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
    public var spikesPerLayer: [Int]
    public var counts: ActionCounts
    public var cycles: UInt64
}

public struct RunTotals: Equatable, Sendable {
    public var cycles: UInt64 = 0
    /// Critical-path cycles per phase (they sum to `cycles`).
    public var cyclesByPhase = [UInt64](repeating: 0, count: Phase.count)
    public var steps: UInt64 = 0
}

public final class Simulator {
    public let chip: Chip
    public private(set) var totals = RunTotals()
    /// Counts of mesh-wide actions not owned by a core (the barrier).
    public private(set) var meshCounts = PhaseCounts()
    public private(set) var samples: [SampleResult] = []
    /// Called after the neuron update of every step with (sample, step); for probes.
    public var onStep: ((Int, Int) -> Void)?

    /// Spikes emitted in the previous step per layer (global indices, ascending), and this step's.
    private var pending: [ContiguousArray<Int32>]
    private var emitted: [ContiguousArray<Int32>]
    private let inputLayer: Int
    private let outputLayer: Int
    private let barrierCycles: UInt64

    public init(chip: Chip) {
        self.chip = chip
        let n = chip.layers.count
        pending = Array(repeating: [], count: n)
        emitted = Array(repeating: [], count: n)
        for l in 0..<n { pending[l].reserveCapacity(chip.layers[l].size); emitted[l].reserveCapacity(chip.layers[l].size) }
        inputLayer = chip.layers.firstIndex { $0.isInput }!
        outputLayer = n - 1
        let c = chip.config.chip
        barrierCycles = UInt64(c.timing.barrierBaseCycles + c.timing.barrierCyclesPerHop * (c.meshWidth - 1 + c.meshHeight - 1))
    }

    public var tiles: Int { chip.config.chip.meshWidth * chip.config.chip.meshHeight }

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

    public func runSample(_ sample: Int, source: SpikeSource) {
        let steps = chip.config.run.steps
        if chip.config.run.resetBetweenSamples { resetNetworkState() }
        let before = currentTotalCounts()
        let cyclesBefore = totals.cycles
        var spikesPerLayer = [Int](repeating: 0, count: chip.layers.count)
        var outCounts = [Int](repeating: 0, count: chip.layers[outputLayer].size)
        let readout = !chip.layers[outputLayer].neuron.parameters.spiking
        for t in 0..<steps {
            step(sample: sample, t: t, source: source)
            for l in 0..<emitted.count { spikesPerLayer[l] += emitted[l].count }
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
        samples.append(SampleResult(label: source.label(sample: sample), prediction: pred, outputSpikeCounts: outCounts,
                                    spikesPerLayer: spikesPerLayer, counts: delta, cycles: totals.cycles - cyclesBefore))
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
                // Dendritic sum: a_in[j] = sum_k shift(acc_k[j], e_k); accumulators cleared for the next step.
                let n = pop.count
                pop.aIn.withUnsafeMutableBufferPointer { a in
                    for j in 0..<n { a[j] = 0 }
                    for k in 0..<pop.blocks.count {
                        let e = pop.blocks[k].weightExponent
                        pop.accumulators[k].withUnsafeMutableBufferPointer { acc in
                            for j in 0..<n { a[j] += FixedPoint.shift(Int64(acc[j]), by: e); acc[j] = 0 }
                        }
                    }
                }
                pop.emitted.removeAll(keepingCapacity: true)
                let tally = pop.aIn.withUnsafeBufferPointer { a in
                    LIFModel.step(state: &pop.state, aIn: a.baseAddress!, derived: pop.derived,
                                  spikes: &pop.emitted, indexOffset: Int32(pop.firstNeuron))
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
        for core in chip.cores { for pop in core.populations { emitted[pop.layer].append(contentsOf: pop.emitted) } }

        // Phase 3: routing (placeholder: closed-form XY, no contention). One packet per spike
        // per destination core of each target layer.
        var drain: UInt64 = 0
        for core in chip.cores {
            for pop in core.populations where !pop.emitted.isEmpty {
                let nSpikes = UInt64(pop.emitted.count)
                for target in chip.targetsOfLayer[pop.layer] {
                    for d in chip.coresOfLayer[target] {
                        let dst = chip.cores[d]
                        let (ew, ns) = chip.hops(from: core, to: dst)
                        if ew == 0 && ns == 0 {
                            core.counts.add(.routing, .spikeLocal, nSpikes)
                            drain = max(drain, UInt64(timing.spikeLocalCycles))
                        } else {
                            core.counts.add(.routing, .hopEW, nSpikes * UInt64(ew))
                            core.counts.add(.routing, .hopNS, nSpikes * UInt64(ns))
                            drain = max(drain, UInt64(ew * timing.hopCyclesEW + ns * timing.hopCyclesNS))
                        }
                    }
                }
            }
        }
        // Phase 5: barrier, one barrier action per tile.
        meshCounts.add(.barrier, .barrier, UInt64(tiles))
        let stepCycles = critical.total + drain + barrierCycles
        totals.cycles += stepCycles
        totals.cyclesByPhase[Phase.delivery.rawValue] += critical.delivery
        totals.cyclesByPhase[Phase.neuronUpdate.rawValue] += critical.neuron
        totals.cyclesByPhase[Phase.routing.rawValue] += drain
        totals.cyclesByPhase[Phase.barrier.rawValue] += barrierCycles
        totals.steps += 1
    }

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
