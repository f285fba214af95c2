import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

/// `compare` on networks with conv, pooling, flatten and recurrent connections
/// (docs/COMPARE.md, "Conv and recurrent networks"): the shaped twin trains off chip, its
/// tensors are quantised into the chip's format and deployed, and the chip's inference is
/// measured; the on-chip rules run where the chip can learn the network.
@Suite struct ShapedCompareTests {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    /// Yin-Yang's 4 features as a 1 x 2 x 2 image: conv 4@2x2 (padding 1, stride 1 or 2) ->
    /// 4 x 3 x 3 or 4 x 2 x 2, a sum pool over the whole map (OR-pool, vth 1) -> 4 x 1 x 1,
    /// dense -> 3 readout. du 4095 and dv 0 everywhere: the chip's decays are then exact
    /// (u = a_in << 6, v not leaking), so the chip and the twin run with the dequantised
    /// weights must agree spike for spike.
    static func conv(stride: Int = 1) -> String {
        let side = stride == 1 ? 3 : 2
        return """
        {"name": "tiny-conv", "seed": 3,
         "network": {"layers": [{"name": "input", "kind": "input", "shape": [1, 2, 2]},
                                {"name": "conv", "shape": [4, \(side), \(side)], "neuron": {"du": 4095, "dv": 0, "vth": 120}},
                                {"name": "pool", "shape": [4, 1, 1], "neuron": {"du": 4095, "dv": 0, "vth": 1}},
                                {"name": "output", "size": 3, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 0}}],
                     "connections": [{"from": "input", "to": "conv", "kind": "conv2d", "kernel": 2, "padding": 1, "stride": \(stride)},
                                     {"from": "conv", "to": "pool", "kind": "sumPool", "kernel": \(side)},
                                     {"from": "pool", "to": "output"}]},
         "input": {"kind": "dataset", "dataset": {"kind": "yinyang", "train": 48, "test": 24}, "encoder": {"kind": "rate", "steps": 8}},
         "run": {"steps": 8},
         "training": {"epochs": 2}}
        """
    }

    /// 4 -> 8 LIF with an 8 x 8 self-connection -> 3 readout, on chip with opzo and readout.
    static let recurrent = """
    {"name": "tiny-rec", "seed": 4,
     "chip": {"meshWidth": 2, "meshHeight": 1, "core": {"neurons": 8}},
     "network": {"layers": [{"name": "input", "kind": "input", "size": 4},
                            {"name": "hidden", "size": 8, "neuron": {"du": 4095, "dv": 0, "vth": 60}},
                            {"name": "output", "size": 3, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 0}}],
                 "connections": [{"from": "input", "to": "hidden", "init": {"kind": "uniform", "low": -100, "high": 100}},
                                 {"from": "hidden", "to": "hidden", "init": {"kind": "uniform", "low": -20, "high": 20}},
                                 {"from": "hidden", "to": "output", "init": {"kind": "uniform", "low": -8, "high": 8}}]},
     "input": {"kind": "dataset", "dataset": {"kind": "yinyang", "train": 20, "test": 16}, "encoder": {"kind": "rate", "steps": 8}},
     "run": {"steps": 8},
     "learning": {"rule": "opzo", "etaHidden": 16, "etaReadout": 16},
     "training": {"epochs": 2}}
    """

    func runner(_ experiment: String, extra: String = "") throws -> CompareRunner {
        let text = """
        {"experiment": \(experiment)\(extra), "offChip": {"methods": [{"rule": "bptt", "optimiser": "adam", "lr": 0.01}], "batchSize": 4},
         "hosts": ["\(root)/configs/host/cpu-server.json"]}
        """
        return try CompareRunner(config: try CompareConfig(json: try JSONValue.parse(Data(text.utf8), file: "c.json"), file: "c.json"))
    }

    /// Trains the shaped twin with BPTT on the dataset, deploys it (deployShaped: the chip's
    /// test accuracy with the rate encoder's own draws), then runs the deployed chip and the twin
    /// with the weights the chip received (w_int / scale per tensor; the fixed pool unchanged) on
    /// the same input spikes: every binary pattern of the input channels, held for all steps
    /// (probability 0 or 1, so both sides spike identically). With exact decays (du 4095, dv 0)
    /// the predictions must agree and the readout's summed v must equal the twin's summed o
    /// times scale x 2^e x 64 (float rounding aside).
    func deployedChipEqualsDequantisedTwin(_ r: CompareRunner) throws -> (deployment: CompareRunner.Deployment, patterns: Int, agree: Int, worstReadout: Double) {
        let topology = try #require(r.shapedTopology)
        let (train, test) = try r.floatData()
        let trainer = ShapedTwinTrainer(topology: topology, rule: .bptt, optimiser: .adam(lr: 0.01), batchSize: 4, shuffle: true)
        for _ in 0..<2 { trainer.trainEpoch(train, test: test) }
        let dep = try r.deployShaped(trainer.net)
        var exp = r.experiment
        exp.learning = nil; exp.training = nil
        let qs = CompareRunner.installShaped(trainer.net, into: &exp, forward: r.chainConnections, recurrent: r.recurrentConnections, theta: r.config.theta)
        let deq = ShapedTwinNetwork(topology: topology)
        for (q, p) in trainer.net.params.enumerated() { deq.params[q].p.update(from: p.p, count: p.count) }
        for (connection, quantised) in qs {
            let tensor = r.chainConnections.firstIndex(of: connection).map { deq.forwardParam[$0] }
                ?? deq.recurrentParam[r.recurrentConnections.firstIndex(of: connection)!]
            let flat = quantised.weights.flatMap { $0 }
            #expect(flat.count == deq.params[tensor].count)
            for (k, w) in flat.enumerated() { deq.params[tensor][k] = Float(Double(w) / quantised.scale) }
        }
        let readout = qs.last!.quantised
        let factor = readout.scale * pow(2, Double(readout.weightExponent)) * 64
        let n0 = topology.base.sizes[0], m = topology.base.sizes.last!
        let patterns = (0..<(1 << n0)).map { b in (0..<n0).map { b >> $0 & 1 == 1 } }
        let sim = Simulator(chip: try Chip(config: exp))
        let source = PatternListSource(patterns: patterns)
        var agree = 0, worst = 0.0
        for (s, pattern) in patterns.enumerated() {
            sim.runSample(s, source: source)
            let chip = sim.samples.last!
            let x = pattern.map { Float($0 ? 1 : 0) }
            let predicted = x.withUnsafeBufferPointer { deq.predict($0.baseAddress!, coordinate: UInt64(s)) }
            if predicted == chip.prediction { agree += 1 }
            for k in 0..<m {
                let expected = Double(deq.outSum[k]) * factor
                worst = max(worst, abs(Double(chip.outputSpikeCounts[k]) - expected) / max(1, abs(expected)))
            }
        }
        return (dep, patterns.count, agree, worst)
    }

    @Test(arguments: [1, 2])
    func convNetTrainedByBPTTDeploysAndTheChipEqualsTheQuantisedTwin(stride: Int) throws {
        let r = try runner(Self.conv(stride: stride))
        #expect(r.shapedTopology != nil && r.chainConnections == [0, 1, 2] && r.recurrentConnections == [nil, nil, nil])
        #expect(r.config.onChipLearning.isEmpty)
        let (dep, n, agree, worst) = try deployedChipEqualsDequantisedTwin(r)
        #expect(agree == n, "chip and dequantised twin disagree on \(n - agree) of \(n) patterns")
        #expect(worst < 1e-4, "readout sums differ by \(worst) (relative)")
        #expect(dep.testSamples == 24 && dep.predictions.count == 24)
        // The conv kernel (4 x 1 x 2 x 2 = 16 weights, one row) and the readout are quantised;
        // the pool keeps its fixed weight.
        #expect(dep.connections.map { $0.weights.count * ($0.weights.first?.count ?? 0) } == [16, 4 * 3])
        #expect(dep.connections[0].weights.count == 1 && dep.connections[0].maxAbsInt > dep.connections[0].wMax / 2)
        // A whole compare: the off-chip BPTT column only (the chip cannot learn conv layers here).
        let result = try r.run()
        #expect(result.methods.map(\.name) == ["off-chip bptt-adam @ cpu-server"])
        let bp = result.methods[0]
        let linkBytes: Int = (16 + 4) + (12 + 4)    // packed 8-bit mantissas plus 4 bytes per connection
        #expect(bp.hostIOBytes == UInt64(linkBytes))
        #expect((0...1).contains(bp.chipAccuracy) && bp.trainSamples == 2 * 48)
    }

    @Test func recurrentCompareRunsEndToEnd() throws {
        let r = try runner(Self.recurrent, extra: #", "onChipRules": ["opzo", "readout"]"#)
        #expect(r.chainConnections == [0, 2] && r.recurrentConnections == [1, nil])
        let (dep, n, agree, worst) = try deployedChipEqualsDequantisedTwin(r)
        #expect(agree == n, "chip and dequantised twin disagree on \(n - agree) of \(n) patterns")
        #expect(worst < 1e-4, "readout sums differ by \(worst) (relative)")
        // Forward, recurrent (8 x 8), readout.
        #expect(dep.connections.map { [$0.weights.count, $0.weights.first?.count ?? 0] } == [[4, 8], [8, 8], [8, 3]])
        // R needed e < 0 at the forward unit: the threshold and the forward exponent rose instead,
        // so R is stored with e >= 0 (no biased floor shift) and the sums above agree exactly.
        #expect(dep.connections[1].maxAbsInt > dep.connections[1].wMax / 2 && dep.connections[1].weightExponent >= 0)
        let result = try r.run()
        #expect(result.methods.map(\.name) == ["on-chip opzo", "on-chip readout", "off-chip bptt-adam @ cpu-server"])
        for m in result.methods {
            #expect((0...1).contains(m.chipAccuracy), "\(m.name)")
            #expect(m.trainSamples == 2 * 20, "\(m.name)")
        }
        // OPZO trains the input and recurrent weights too: more synapse updates than readout-only.
        let writes = Dictionary(uniqueKeysWithValues: result.methods.map { ($0.name, $0.weightWrites) })
        #expect(writes["on-chip opzo"]! > writes["on-chip readout"]!)
        // Weight memory: 4 x 8 + 8 x 8 + 8 x 3 8-bit weights.
        let weightBytes: Int = 32 + 64 + 24
        #expect(result.methods[0].memory.first { $0.0 == "weights (chip SRAM)" }?.1 == weightBytes)
    }

    /// gradcheck's rule comparison runs the dense twin: a recurrent network is refused there
    /// (the CLI checks it with ShapedConfigGradCheck) rather than silently losing R.
    @Test func denseGradcheckRefusesARecurrentNetwork() throws {
        let exp = try ExperimentConfig(json: try JSONValue.parse(Data(Self.recurrent.utf8), file: "r.json"), file: "r.json")
        do {
            _ = try ConfigGradCheck(experiment: exp, samples: 2)
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("needs a dense feedforward chain"))
        }
    }

    @Test func chipInTheLoopRefusesAShapedNetwork() throws {
        let text = """
        {"experiment": \(Self.conv()), "chipInTheLoop": {"methods": [{"rule": "bptt"}]}, "hosts": ["\(root)/configs/host/cpu-server.json"]}
        """
        let c = try CompareConfig(json: try JSONValue.parse(Data(text.utf8), file: "c.json"), file: "c.json")
        #expect(throws: ChipError.self) { _ = try CompareRunner(config: c) }
    }
}

/// Sample s holds pattern s on the input channels at every step.
private struct PatternListSource: SpikeSource {
    let patterns: [[Bool]]
    var channels: Int { patterns[0].count }
    var samples: Int { patterns.count }
    func label(sample: Int) -> Int? { 0 }
    func spikes(sample: Int, step: Int, into out: inout ContiguousArray<Int32>) {
        for (c, on) in patterns[sample].enumerated() where on { out.append(Int32(c)) }
    }
}
