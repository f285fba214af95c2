import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

/// `compare` on networks with several hidden layers: the on-chip rules train every hidden layer
/// (docs/LEARNING.md, "Depth"), the float twin trains the same chain with BPTT, and its weights
/// are quantised layer by layer and deployed to the chip.
@Suite struct DepthCompareTests {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// A 4-8-8-3 network on Yin-Yang, two epochs of 20 samples, on a 2x2 mesh of small cores
    /// (8 neurons each: every layer on its own core).
    static let experiment = """
    {"name": "tiny-deep", "seed": 4,
     "chip": {"meshWidth": 2, "meshHeight": 2, "core": {"neurons": 8}},
     "network": {"layers": [{"name": "input", "kind": "input", "size": 4},
                            {"name": "hidden", "size": 8, "neuron": {"du": 4095, "dv": 410, "vth": 60}},
                            {"name": "hidden2", "size": 8, "neuron": {"du": 4095, "dv": 410, "vth": 60}},
                            {"name": "output", "size": 3, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
                 "connections": [{"from": "input", "to": "hidden", "init": {"kind": "uniform", "low": -100, "high": 100}},
                                 {"from": "hidden", "to": "hidden2", "init": {"kind": "uniform", "low": -60, "high": 100}},
                                 {"from": "hidden2", "to": "output", "init": {"kind": "uniform", "low": -8, "high": 8}}]},
     "input": {"kind": "dataset", "dataset": {"kind": "yinyang", "train": 20, "test": 10}, "encoder": {"kind": "rate", "steps": 8}},
     "run": {"steps": 8},
     "learning": {"rule": "opzo", "etaHidden": 16, "etaReadout": 16},
     "training": {"epochs": 2}}
    """

    @Test func compareTrainsEveryRuleAndTheTwinsBPTTOnTwoHiddenLayers() throws {
        let text = """
        {"experiment": \(Self.experiment), "onChipRules": ["opzo", "dfa", "zo_sp", "readout"],
         "offChip": {"methods": [{"rule": "bptt", "optimiser": "adam"}], "batchSize": 5},
         "hosts": ["\(root)/configs/host/cpu-server.json"]}
        """
        let config = try CompareConfig(json: try JSONValue.parse(Data(text.utf8), file: "c.json"), file: "c.json")
        let runner = try CompareRunner(config: config)
        #expect(runner.chainConnections == [0, 1, 2])
        #expect(runner.twinConfig.sizes == [4, 8, 8, 3])
        let result = try runner.run()
        #expect(result.methods.map(\.name) == ["on-chip opzo", "on-chip dfa", "on-chip zo_sp", "on-chip readout", "off-chip bptt-adam @ cpu-server"])
        for m in result.methods {
            #expect(m.trainSamples == 2 * 20, "\(m.name)")
            #expect((0...1).contains(m.chipAccuracy), "\(m.name)")
        }
        // Learning memory: OPZO and DFA hold one 3 x 8 feedback block per hidden layer (each entry
        // a 1-bit weight plus a 32-bit aux register: 99 bytes); ZO_sp and readout-only none.
        func feedback(_ name: String) -> Int? { result.methods.first { $0.name == name }?.memory.first { $0.0 == "feedback synapses" }?.1 }
        #expect(feedback("on-chip opzo") == 2 * 99 && feedback("on-chip dfa") == 2 * 99)
        #expect(feedback("on-chip zo_sp") == 0 && feedback("on-chip readout") == 0)
        // The hidden layers really learn on chip: OPZO and DFA update more synapses than readout-only.
        let writes = Dictionary(uniqueKeysWithValues: result.methods.map { ($0.name, $0.weightWrites) })
        #expect(writes["on-chip opzo"]! > writes["on-chip readout"]! && writes["on-chip dfa"]! > writes["on-chip readout"]!)
        // The twin's weights go to the chip layer by layer: three connections, packed 8-bit
        // mantissas plus 4 bytes each over the host link.
        let bp = try #require(result.methods.last)
        let linkBytes: Int = (4 * 8 + 4) + (8 * 8 + 4) + (8 * 3 + 4)
        #expect(bp.hostIOBytes == UInt64(linkBytes))
        guard case let .array(connections)? = bp.deployment?["connections"] else { Issue.record("no deployment"); return }
        #expect(connections.count == 3)
    }

    /// Deployed weights of a twin with two hidden layers reproduce the twin on the chip: the same
    /// spikes in both hidden layers and the same prediction (hand-chosen weights away from the
    /// thresholds, so 8-bit rounding cannot flip a spike).
    @Test func deployedTwoHiddenLayerTwinMatchesTheChip() throws {
        let steps = 6
        let json = """
        {"name": "dep", "network": {"layers": [{"name": "in", "kind": "input", "size": 2},
            {"name": "h", "size": 3, "neuron": {"du": 4095, "dv": 410, "vth": 250}},
            {"name": "h2", "size": 3, "neuron": {"du": 4095, "dv": 410, "vth": 250}},
            {"name": "o", "size": 2, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
          "connections": [{"from": "in", "to": "h"}, {"from": "h", "to": "h2"}, {"from": "h2", "to": "o"}]},
         "run": {"steps": \(steps)}}
        """
        var exp = try ExperimentConfig(json: try JSONValue.parse(Data(json.utf8), file: "dep.json"), file: "dep.json")
        var tc = TwinConfig(sizes: [2, 3, 3, 2], steps: steps, seed: 1)
        tc.hiddenDv = 410; tc.readoutDv = 410; tc.reset = .hard
        let net = TwinNetwork(config: tc)
        net.setWeights(0, [0.6, 1.3, -0.4,  0.2, 0.2, 0.2])
        net.setWeights(1, [0.9, 0.5, -0.3,  0.4, 1.2, 0.6,  0.1, 0.1, 0.1])
        net.setWeights(2, [0.5, -0.25,  -0.3, 0.7,  0.1, 0.1])
        let qs = CompareRunner.install(net, into: &exp, chain: try CompareRunner.chain(exp), theta: 1)
        // Hand: h -> h2 max 1.2, unit 250: e* = ceil(log2(300 / 127)) = 2, scale 62.5;
        // w_int = round-half-away(w x 62.5): 56.25, 31.25, -18.75, 25, 75, 37.5, 6.25.
        #expect(qs[1].weightExponent == 2 && qs[1].scale == 62.5 && qs[1].vth == 250)
        #expect(qs[1].weights == [[56, 31, -19], [25, 75, 38], [6, 6, 6]])

        let x: [Float] = [1, 0]
        var twinSpikes = [[Int]](repeating: [0, 0, 0], count: 2)
        x.withUnsafeBufferPointer { net.resetState(); net.loadSample($0.baseAddress!, coordinate: 0) }
        for t in 0..<steps {
            net.step(t)
            for l in 0..<2 { for i in 0..<3 where net.out[l][i] > 0 { twinSpikes[l][i] += 1 } }
        }
        let sim = Simulator(chip: try Chip(config: exp))
        var chipSpikes = [[Int]](repeating: [0, 0, 0], count: 2)
        sim.onStep = { _, _ in
            for l in 0..<2 { for g in sim.spikesEmitted(layer: l + 1) { chipSpikes[l][Int(g)] += 1 } }
        }
        sim.runSample(0, source: ConstantInput())
        // The second layer spikes (the check is not vacuous) and both layers agree neuron by neuron.
        #expect(twinSpikes[1].reduce(0, +) > 0)
        #expect(chipSpikes == twinSpikes)
        let r = sim.samples.last!
        #expect(r.prediction == (net.outSum[0] >= net.outSum[1] ? 0 : 1))
    }

    @Test func shippedDepthConfigsLoadAndMapToTheTwin() throws {
        for (depth, sizes) in [(1, [784, 500, 10]), (2, [784, 500, 500, 10]), (4, [784, 500, 500, 500, 500, 10])] {
            let c = try CompareConfig.load(path: root + "/configs/compare-mnist-deep\(depth).json")
            #expect(c.onChipLearning.count == 4)
            let runner = try CompareRunner(config: c)
            #expect(runner.twinConfig.sizes == sizes)
            #expect(c.experiment.chip.core.synapseMemoryBytes == 131072 && c.experiment.chip.core.neurons == 128)
        }
    }

    /// The depth study changes only the depth: each deep config is its rule's shipped MNIST-5k
    /// config with more hidden layers of the same neurons and initialisation (learning section,
    /// loss, input, epochs and rate schedule identical), and the sweeps list every rule at
    /// every depth.
    @Test func depthConfigsDifferFromTheirRulesShippedConfigOnlyInDepth() throws {
        func load(_ name: String) throws -> JSONValue {
            try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: root + "/configs/" + name)), file: name)
        }
        for rule in ["opzo", "dfa", "zosp", "readout"] {
            let base = try load("\(rule)-mnist.json")
            for depth in [2, 4] {
                let deep = try load("\(rule)-mnist-deep\(depth).json")
                for key in ["seed", "input", "run", "learning", "training"] { #expect(deep[key] == base[key], "\(rule) deep\(depth): \(key)") }
                let exp = try ExperimentConfig(json: deep, file: "\(rule)-mnist-deep\(depth).json")
                let baseExp = try ExperimentConfig(json: base, file: "\(rule)-mnist.json")
                #expect(exp.network.layers.map(\.size) == [784] + Array(repeating: 500, count: depth) + [10])
                for l in 1...depth { #expect(exp.network.layers[l].neuron == baseExp.network.layers[1].neuron) }
                for c in 0..<depth { #expect(exp.network.connections[c].initialization == baseExp.network.connections[0].initialization) }
                #expect(exp.network.connections[depth].weightExponent == baseExp.network.connections[1].weightExponent)
                #expect(exp.chip.core == baseExp.chip.core)
            }
        }
        for (spec, count) in [("depth-fc.json", 36), ("depth-fc-reduced.json", 36), ("depth-dvs.json", 36), ("depth-dvs-reduced.json", 36)] {
            let points = try SweepSpec.load(path: root + "/configs/sweeps/" + spec).points()
            #expect(points.count == count, "\(spec)")
            for p in points { _ = try ExperimentConfig(json: p.resolved, file: p.configFile) }
        }
    }
}
