import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

/// NeuroBench metrics (docs/NEUROBENCH.md), every figure computed by hand.
@Suite struct NeuroBenchTests {
    /// 3-2-2, T = 4, 2 samples; in->h has one zero weight of 6, h->out none of 4.
    static func handInputs(active: [UInt64?] = [10, 12]) -> NeuroBenchMetrics {
        let layers = [
            NeuroBenchLayerInput(name: "in", neurons: 3, isInput: true, spiking: true, spikes: 10, activeUpdates: nil, idleUpdates: nil, chipSynapseBytes: 0, chipStateBytes: 0),
            NeuroBenchLayerInput(name: "h", neurons: 2, isInput: false, spiking: true, spikes: 6, activeUpdates: active[0], idleUpdates: active[0].map { 16 - $0 }, chipSynops: active[0].map { _ in 20 }, chipSynapseBytes: 6, chipStateBytes: 14),
            NeuroBenchLayerInput(name: "out", neurons: 2, isInput: false, spiking: true, spikes: 3, activeUpdates: active[1], idleUpdates: active[1].map { 16 - $0 }, chipSynops: active[1].map { _ in 12 }, chipSynapseBytes: 4, chipStateBytes: 14),
        ]
        let conns = [
            NeuroBenchConnectionInput(from: 0, to: 1, nPre: 3, nPost: 2, nonzeroWeights: 5, storedSynapses: 6, weightBits: 8,
                                      uniformNonzeroFanOut: false),
            NeuroBenchConnectionInput(from: 1, to: 2, nPre: 2, nPost: 2, nonzeroWeights: 4, storedSynapses: 4, weightBits: 9),
        ]
        return NeuroBenchMetrics.compute(layers: layers, connections: conns, samples: 2, stepsPerSample: 4,
                                         chipSynops: 32, activeUpdates: 22, idleUpdates: 10)
    }

    @Test func everyFigureByHandOnATinyNetwork() {
        let m = Self.handInputs()
        #expect(m.layers.map(\.name) == ["h", "out"])
        let h = m.layers[0], o = m.layers[1]
        // Dense: every weight every step, zero or not: nPre * nPost * T.
        #expect(h.denseSynapticOperations == 24)          // 3 * 2 * 4
        #expect(o.denseSynapticOperations == 16)          // 2 * 2 * 4
        #expect(m.total.denseSynapticOperations == 40)
        // Effective ACs: presynaptic spikes x nonzero fan-out, per sample: 10 * 5/3 / 2, 6 * 4/2 / 2.
        #expect(abs(h.effectiveACs - 25.0 / 3) < 1e-12)
        #expect(o.effectiveACs == 6)
        #expect(abs(m.total.effectiveACs - (25.0 / 3 + 6)) < 1e-12)
        #expect(!h.effectiveACsExact && o.effectiveACsExact && !m.total.effectiveACsExact)   // one zero among 6: an estimate
        #expect(m.total.effectiveMACs == 0 && h.effectiveMACs == 0 && m.total.chipMACs == 0)
        // Chip synops: the cores' counters per sample: 20 / 2, 12 / 2; total 32 / 2.
        #expect(h.chipSynapticOperations == 10)
        #expect(o.chipSynapticOperations == 6)
        #expect(m.total.chipSynapticOperations == 16)
        // Activation sparsity: 1 - spikes / (neurons * T * samples).
        #expect(h.activationSparsity == 1 - 6.0 / 16)
        #expect(o.activationSparsity == 1 - 3.0 / 16)
        #expect(m.total.activationSparsity == 1 - 9.0 / 32)
        // Connection sparsity: zero weights / all weights.
        #expect(h.connectionSparsity == 1.0 / 6)
        #expect(o.connectionSparsity == 0)
        #expect(m.total.connectionSparsity == 1.0 / 10)
        // Footprint: weights at int8 (8 bits) / int16 (9 bits), 12 B of du, dv, vth, 9 B of buffers per neuron.
        #expect(h.footprintBytes == 6 * 1 + 12 + 2 * 9)
        #expect(o.footprintBytes == 4 * 2 + 12 + 2 * 9)
        #expect(m.total.footprintBytes == 36 + 38)
        #expect(h.parameters == 6 + 3 && o.parameters == 4 + 3)
        #expect(h.chipSRAMBytes == 20 && m.total.chipSRAMBytes == 38)
        // Neuron updates: every neuron every step; membrane updates: the chip's active updates.
        #expect(h.neuronUpdates == 8 && o.neuronUpdates == 8 && m.total.neuronUpdates == 16)
        #expect(h.membraneUpdates == 5 && o.membraneUpdates == 6 && m.total.membraneUpdates == 11)
        #expect(h.chipNeuronUpdates == 8 && m.total.chipNeuronUpdates == 16)
        #expect(m.perLayerNeuronCountsExact)
    }

    /// Graded packets into a layer: the chip's MAC count per sample, and NeuroBench's effective
    /// MACs from the graded delivery's count of nonzero-input, nonzero-weight products.
    @Test func gradedPacketsGiveChipMACsAndEffectiveMACs() {
        let layers = [
            NeuroBenchLayerInput(name: "in", neurons: 3, isInput: true, spiking: true, spikes: 10, activeUpdates: nil, idleUpdates: nil, chipSynapseBytes: 0, chipStateBytes: 0),
            NeuroBenchLayerInput(name: "h", neurons: 2, isInput: false, spiking: true, spikes: 6, activeUpdates: 10, idleUpdates: 6, chipSynops: 20, chipGradedSynops: 0, chipSynapseBytes: 6, chipStateBytes: 14),
            NeuroBenchLayerInput(name: "out", neurons: 2, isInput: false, spiking: false, spikes: 0, activeUpdates: 16, idleUpdates: 0, chipSynops: 12, chipGradedSynops: 28, gradedNonzeroProducts: 9, chipSynapseBytes: 4, chipStateBytes: 14),
        ]
        let conns = [NeuroBenchConnectionInput(from: 0, to: 1, nPre: 3, nPost: 2, nonzeroWeights: 6, storedSynapses: 6, weightBits: 8),
                     NeuroBenchConnectionInput(from: 1, to: 2, nPre: 2, nPost: 2, nonzeroWeights: 4, storedSynapses: 4, weightBits: 8)]
        let m = NeuroBenchMetrics.compute(layers: layers, connections: conns, samples: 2, stepsPerSample: 4, chipSynops: 32,
                                          chipGradedSynops: 28, gradedNonzeroProducts: 9, chipLearningSynops: 50, activeUpdates: 26, idleUpdates: 6)
        #expect(m.layers[0].effectiveMACs == 0 && m.layers[0].chipMACs == 0)
        #expect(m.layers[1].effectiveMACs == 4.5 && m.layers[1].chipMACs == 14)      // 9 / 2, 28 / 2
        #expect(m.total.effectiveMACs == 4.5 && m.total.chipMACs == 14 && m.total.chipLearningSynapticOperations == 25)
        #expect(m.layers[1].activationSparsity == nil)                                 // the readout is no activation module
        #expect(m.total.activationSparsity == 1 - 6.0 / 16)                             // h only
    }

    /// A trained OPZO run: post-neuron noise shows up as graded MACs. The feedback sums G = M e
    /// are no learning-phase synops: the transposed delivery is charged by the bits it reads
    /// (graded.mac.bits, docs/LEARNING.md "What the cost model changed").
    @Test func opzoRunSeparatesSpikesGradedPacketsAndLearningReads() throws {
        let (_, pre) = try trainTiny(rule: "opzo")
        let a = NeuroBenchMetrics.of(simulator: pre)
        #expect(a.total.chipMACs == 0 && a.total.effectiveMACs == 0 && a.total.chipLearningSynapticOperations == 0)
        #expect(pre.totalPhaseCounts[.learning][.gradedMACBits] > 0)
        let (_, post) = try trainTiny(rule: "opzo") { $0.postNeuronNoise = true; $0.alpha = 300 }
        let b = NeuroBenchMetrics.of(simulator: post)
        let phases = post.totalPhaseCounts
        #expect((b.total.chipMACs ?? 0) > 0 && (b.total.effectiveMACs ?? 0) > 0 && b.total.effectiveMACs! <= b.total.chipMACs!)
        #expect(b.total.chipMACs == Double(phases[.neuronUpdate][.synop]) / Double(post.samplesRun))
        let sum = b.total.chipSynapticOperations! + b.total.chipMACs! + b.total.chipLearningSynapticOperations!
        let whole = Double(post.totalCounts[.synop]) / Double(post.samplesRun)
        #expect(abs(sum - whole) <= 1e-12 * whole)     // three quotients summed vs one: rounding only
    }

    @Test func sharedCoreLeavesPerLayerNeuronCountsOpen() {
        let m = Self.handInputs(active: [nil, nil])
        #expect(m.layers[0].membraneUpdates == nil && m.layers[0].chipSynapticOperations == nil)
        #expect(m.total.membraneUpdates == 11)
        #expect(!m.perLayerNeuronCountsExact)
    }

    /// 3-2-2 on three 2-neuron cores: in->h all weights 60, h->out all zero.
    /// `delivered` counts, per layer (in, h), the spikes emitted before the last step of a sample.
    final class Delivered { var spikes = [0, 0] }
    static func run(delivered: Delivered? = nil, neuronsPerCore: Int = 2) throws -> Simulator {
        let c = try ExperimentConfig(json: JSONValue.parse("""
        {"seed": 3, "chip": {"meshWidth": 2, "meshHeight": 1, "core": {"neurons": \(neuronsPerCore)}}, "network": {"layers": [
            {"name": "in", "kind": "input", "size": 3},
            {"name": "h", "size": 2, "neuron": {"du": 4095, "dv": 256, "vth": 100}},
            {"name": "out", "size": 2, "neuron": {"du": 4095, "dv": 256, "vth": 100}}],
          "connections": [{"from": "in", "to": "h", "init": {"kind": "constant", "value": 60}},
                          {"from": "h", "to": "out", "init": {"kind": "constant", "value": 0}}]},
         "input": {"kind": "pattern", "pattern": "uniform", "rate": 0.5, "samples": 3},
         "run": {"steps": 8}}
        """, file: "nb.json"), file: "nb.json")
        let sim = Simulator(chip: try Chip(config: c))
        if let delivered {
            sim.onStep = { [unowned sim] _, t in
                if t < 7 { for l in 0..<2 { delivered.spikes[l] += sim.spikesEmitted(layer: l).count } }
            }
        }
        sim.run(source: try Experiment.source(for: c))
        return sim
    }

    /// Both layers on one core: per-layer chip counts are open, the totals stay exact and equal.
    @Test func aSharedCoreRunKeepsExactTotals() throws {
        let shared = NeuroBenchMetrics.of(simulator: try Self.run(neuronsPerCore: 4))
        let split = NeuroBenchMetrics.of(simulator: try Self.run())
        #expect(!shared.perLayerNeuronCountsExact && shared.layers.allSatisfy { $0.membraneUpdates == nil && $0.chipSynapticOperations == nil })
        #expect(shared.total == split.total)     // the mapping changes neither spikes nor counts
        #expect(shared.layers.map(\.effectiveACs) == split.layers.map(\.effectiveACs))
    }

    @Test func aRunAgreesWithTheChipsCounters() throws {
        let sim = try Self.run()
        let m = NeuroBenchMetrics.of(simulator: sim)
        let spikes = sim.totalSpikesPerLayer
        #expect(spikes[0] > 0 && spikes[1] > 0)
        let h = m.layers[0], o = m.layers[1]
        #expect(h.denseSynapticOperations == 3 * 2 * 8 && o.denseSynapticOperations == 2 * 2 * 8)
        // No zero weights into h: effective = input spikes x 2 per sample.
        #expect(h.effectiveACs == Double(spikes[0] * 2) / 3)
        // All weights into out are zero: no effective operation, but the chip reads every stored synapse.
        #expect(o.effectiveACs == 0 && o.connectionSparsity == 1)
        #expect(h.effectiveACsExact && o.effectiveACsExact)          // constant weights: uniform fan-out
        // The chip delivers a spike one step after it is emitted and the reset between samples
        // drops the last step's spikes: its count is spikes minus last-step spikes, x fan-out 2.
        let d = Delivered()
        let sim2 = try Self.run(delivered: d)
        let delivered = d.spikes
        #expect(sim2.totalSpikesPerLayer == spikes)
        #expect(h.chipSynapticOperations == Double(2 * delivered[0]) / 3)
        #expect(o.chipSynapticOperations == Double(2 * delivered[1]) / 3)
        #expect(m.total.chipSynapticOperations == Double(sim.totalCounts[.synop]) / 3)   // all in the delivery phase
        #expect(m.total.chipMACs == 0 && m.total.effectiveMACs == 0 && m.total.chipLearningSynapticOperations == 0)
        #expect(o.activationSparsity == 1)                 // nothing reaches out
        #expect(h.activationSparsity == 1 - Double(spikes[1]) / Double(2 * 8 * 3))
        // One layer per core: neuron counts attributed; every neuron updated every step.
        #expect(m.perLayerNeuronCountsExact)
        #expect(h.chipNeuronUpdates == 16 && o.chipNeuronUpdates == 16 && m.total.chipNeuronUpdates == 32)
        #expect(o.membraneUpdates == 0)                    // u, v and input stay 0
        #expect(h.membraneUpdates! > 0)
        #expect(m.total.membraneUpdates == Double(sim.totalCounts[.neuronActive]) / 3)
        // The report carries the block.
        let report = RunReport(simulator: sim, table: try BuiltinEnergyTables.named("loihi")!, wallSeconds: 0)
        guard case let .number(dense, _)? = report.json["neurobench"]?["total"]?["denseSynapticOperations"] else {
            Issue.record("no neurobench block"); return
        }
        #expect(dense == 80)
    }
}
