import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

/// NeuroBench's effective ACs (docs/NEUROBENCH.md) when presynaptic neurons have different
/// nonzero fan-outs: each neuron's spikes times its own nonzero fan-out, checked against spikes
/// counted independently through `onStep` and fan-outs written down by hand.
@Suite struct NeuroBenchEffectiveACTests {
    /// Pure figure: in (3) -> h (2), fan-outs 2, 2, 1 (one zero weight), spikes 4, 3, 3 over 2
    /// samples: (4*2 + 3*2 + 3*1) / 2 = 8.5, where the mean fan-out 5/3 would give 25/3.
    @Test func perNeuronSpikesTimesOwnFanOutByHand() {
        let layers = [
            NeuroBenchLayerInput(name: "in", neurons: 3, isInput: true, spiking: true, spikes: 10, activeUpdates: nil, idleUpdates: nil,
                                 chipSynapseBytes: 0, chipStateBytes: 0, spikesPerNeuron: [4, 3, 3]),
            NeuroBenchLayerInput(name: "h", neurons: 2, isInput: false, spiking: true, spikes: 0, activeUpdates: 0, idleUpdates: 0,
                                 chipSynapseBytes: 0, chipStateBytes: 0, spikesPerNeuron: [0, 0]),
        ]
        let conn = NeuroBenchConnectionInput(from: 0, to: 1, nPre: 3, nPost: 2, nonzeroWeights: 5, storedSynapses: 6, weightBits: 8,
                                             uniformNonzeroFanOut: false, nonzeroFanOut: [2, 2, 1])
        let m = NeuroBenchMetrics.compute(layers: layers, connections: [conn], samples: 2, stepsPerSample: 4,
                                          chipSynops: 0, activeUpdates: 0, idleUpdates: 0)
        #expect(m.layers[0].effectiveACs == 8.5 && m.layers[0].effectiveACsExact && m.total.effectiveACsExact)
        // Without per-neuron spikes (a resumed run) the mean stands in and the flag says so.
        var noSpikes = layers
        noSpikes[0].spikesPerNeuron = nil
        let e = NeuroBenchMetrics.compute(layers: noSpikes, connections: [conn], samples: 2, stepsPerSample: 4,
                                          chipSynops: 0, activeUpdates: 0, idleUpdates: 0)
        #expect(abs(e.layers[0].effectiveACs - 25.0 / 3) < 1e-12 && !e.layers[0].effectiveACsExact && !e.total.effectiveACsExact)
    }

    /// Spikes per neuron of each layer, counted from what the simulator emitted each step.
    final class PerNeuron { var spikes: [[Int]] = [] }
    static func run(_ json: String, layers: [Int], record: PerNeuron) throws -> Simulator {
        let c = try ExperimentConfig(json: JSONValue.parse(json, file: "nbe.json"), file: "nbe.json")
        let sim = Simulator(chip: try Chip(config: c))
        record.spikes = layers.map { [Int](repeating: 0, count: $0) }
        sim.onStep = { [unowned sim] _, _ in
            for l in 0..<layers.count { for g in sim.spikesEmitted(layer: l) { record.spikes[l][Int(g)] += 1 } }
        }
        sim.run(source: try Experiment.source(for: c))
        return sim
    }

    /// Dense in -> h with fan-outs 2, 1, 0 and sparse-free h -> out with fan-outs 1, 2.
    @Test func denseRunWithDifferentFanOutsIsExact() throws {
        let rec = PerNeuron()
        let sim = try Self.run("""
        {"seed": 5, "chip": {"meshWidth": 2, "meshHeight": 1, "core": {"neurons": 2}}, "network": {"layers": [
            {"name": "in", "kind": "input", "size": 3},
            {"name": "h", "size": 2, "neuron": {"du": 4095, "dv": 256, "vth": 100}},
            {"name": "out", "size": 2, "neuron": {"du": 4095, "dv": 256, "vth": 100}}],
          "connections": [{"from": "in", "to": "h", "weights": [[60, 60], [60, 0], [0, 0]]},
                          {"from": "h", "to": "out", "weights": [[50, 0], [50, 50]]}]},
         "input": {"kind": "pattern", "pattern": "uniform", "rate": 0.5, "samples": 3},
         "run": {"steps": 8}}
        """, layers: [3, 2, 2], record: rec)
        let m = NeuroBenchMetrics.of(simulator: sim)
        let i = rec.spikes[0], h = rec.spikes[1]
        #expect(i[0] > 0 && i[1] > 0 && h[0] > 0 && i[0] != i[1])   // the mean fan-out would be wrong
        #expect(sim.totalSpikesPerNeuron == rec.spikes.flatMap { $0 })
        #expect(m.layers[0].effectiveACs == Double(2 * i[0] + 1 * i[1] + 0 * i[2]) / 3)
        #expect(m.layers[1].effectiveACs == Double(1 * h[0] + 2 * h[1]) / 3)
        #expect(m.layers.allSatisfy(\.effectiveACsExact) && m.total.effectiveACsExact)
        // Restored totals carry the per-neuron counts: still exact.
        sim.restore(sim.savedTotals)
        #expect(NeuroBenchMetrics.of(simulator: sim) == m)
        // Totals without them (a checkpoint written before they existed): the estimate, flagged.
        var old = sim.savedTotals
        old.spikesPerNeuron = []
        sim.restore(old)
        let r = NeuroBenchMetrics.of(simulator: sim)
        #expect(!r.layers[0].effectiveACsExact && r.layers[0].effectiveACs == Double(i.reduce(0, +)) * 3 / 3 / 3)
    }

    /// conv2d 1x3x3 -> 1x3x3, kernel 3, padding 1, only tap (0, 0) nonzero: output (oy, ox)
    /// reads input (oy - 1, ox - 1), so inputs in rows 0-1 and columns 0-1 have fan-out 1, the
    /// others 0 (their tap falls outside the output: no synapse). Sliced over two cores.
    @Test func shapedRunCountsRealNonzeroPositionsOnly() throws {
        let rec = PerNeuron()
        let kernel = [[[[7, 0, 0], [0, 0, 0], [0, 0, 0]]]]
        let sim = try Self.run("""
        {"seed": 9, "chip": {"meshWidth": 2, "meshHeight": 2, "noc": {"coresPerTile": 1}, "core": {"neurons": 5}},
         "network": {"layers": [{"name": "in", "kind": "input", "shape": [1, 3, 3]},
                                {"name": "c", "shape": [1, 3, 3], "neuron": {"du": 4095, "dv": 4095, "vth": 100000}}],
                     "connections": [{"from": "in", "to": "c", "kind": "conv2d", "kernel": 3, "padding": 1, "weights": \(kernel)}]},
         "input": {"kind": "pattern", "pattern": "uniform", "rate": 0.5, "samples": 2},
         "run": {"steps": 6}}
        """, layers: [9, 9], record: rec)
        let m = NeuroBenchMetrics.of(simulator: sim)
        let fan = [1, 1, 0, 1, 1, 0, 0, 0, 0]
        let i = rec.spikes[0]
        #expect(i.reduce(0, +) > 0)
        #expect(m.layers[0].effectiveACs == Double(zip(i, fan).reduce(0) { $0 + $1.0 * $1.1 }) / 2)
        #expect(m.layers[0].effectiveACsExact)
        // Real positions of a 3x3 kernel with padding 1 on a 3x3 map: 4 corners x 4 taps,
        // 4 edges x 6, the centre 9 = 49 (not 9 x 9); 4 of them have the nonzero tap.
        #expect(m.layers[0].connectionSparsity == Double(49 - 4) / 49)
        #expect(m.layers[0].denseSynapticOperations == Double(49 * 6))
        // One shared 3x3 kernel (9 int8 weights) + du, dv, vth; buffers 9 bytes x 9 neurons.
        #expect(m.layers[0].parameters == 9 + 3)
        #expect(m.layers[0].footprintBytes == 9 + 12 + 9 * 9)
    }
}
