import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

/// Tiny hand-set network: input channel 0 always spikes (x = 1), channel 1 never (x = 0).
/// Hidden (3 neurons, cv = 0.5, cu = 0, threshold 1, soft reset), readout (2, cv = 0.5).
func handNetwork(reset: ResetMode = .soft) -> TwinNetwork {
    var c = TwinConfig(sizes: [2, 3, 2], steps: 3, seed: 7)
    c.reset = reset
    let net = TwinNetwork(config: c)
    // W0 stored [pre j][post i]: input 0 -> hidden 0 weight 2, everything else 0.
    net.setWeights(0, [2, 0, 0,  0, 0, 0])
    // W1: hidden 0 -> readout [0.5, -0.25]; other hidden rows 0.
    net.setWeights(1, [0.5, -0.25,  0, 0,  0, 0])
    return net
}

@Suite struct TwinDynamicsTests {
    @Test func lifTraceMatchesHandComputation() {
        let net = handNetwork()
        let x: [Float] = [1, 0]
        x.withUnsafeBufferPointer { net.resetState(); net.loadSample($0.baseAddress!, coordinate: 0) }
        // Step 0: nothing delivered yet (one-step delay): all zero.
        net.step(0)
        #expect(net.pre[0][0] == 0 && net.out[0][0] == 0 && net.out[1][0] == 0)
        // Step 1: input spike of step 0 arrives: h = 0.5*0 + 2 = 2 > 1 -> spike, v = 1.
        net.step(1)
        #expect(net.pre[0][0] == 2 && net.out[0][0] == 1 && net.mem[0][0] == 1)
        #expect(net.out[1][0] == 0)   // hidden spike reaches the readout one step later
        // Step 2: h = 0.5*1 + 2 = 2.5 -> spike, v = 1.5; readout o = 0.5*0 + [0.5, -0.25].
        net.step(2)
        #expect(net.pre[0][0] == 2.5 && net.mem[0][0] == 1.5)
        #expect(net.out[1][0] == 0.5 && net.out[1][1] == -0.25)
        #expect(net.outSum[0] == 0.5 && net.outSum[1] == -0.25)
    }

    @Test func hardResetZeroesVoltage() {
        let net = handNetwork(reset: .hard)
        let x: [Float] = [1, 0]
        x.withUnsafeBufferPointer { net.resetState(); net.loadSample($0.baseAddress!, coordinate: 0) }
        net.step(0); net.step(1); net.step(2)
        // After each spike v = 0, so step 2 sees h = 0 + 2.
        #expect(net.pre[0][0] == 2 && net.mem[0][0] == 0)
    }

    @Test func flopCountsEqualHandCount() {
        let net = handNetwork()
        let x: [Float] = [1, 0]
        _ = x.withUnsafeBufferPointer { net.predict($0.baseAddress!, coordinate: 0) }
        // encode: 1 Bernoulli compare per step for the one nonzero channel: 3.
        #expect(net.counts.flops(.encode) == 3)
        #expect(net.counts.prngDraws == 3)
        // synapse: step 1: input 0 turns on: its row, 3 adds; step 2: input 0 still on
        // (delta-coded input drive: nothing to add) + 1 hidden event x 2 adds = 5.
        #expect(net.counts.flops(.synapse) == 5)
        #expect(net.counts.bytes(.synapse) == 5 * 4)
        // neuron: hidden 5 per neuron per step (3 x 3 x 5 = 45) + 1 per spike (2) = 47;
        // readout 5 per neuron per step = 2 x 3 x 5 = 30.
        #expect(net.counts.flops(.neuron) == 77)
        #expect(net.counts.totalFlops == 85)
    }

    @Test func otttCountsAndUpdateEqualHandComputation() {
        // handNetwork with a wide surrogate (a = 1.5: psi = 1/3 for |h - 1| < 1.5), label 0.
        var c = TwinConfig(sizes: [2, 3, 2], steps: 3, seed: 7)
        c.surrogate = Surrogate(shape: .rectangular, halfWidth: 1.5)
        let net = TwinNetwork(config: c)
        net.setWeights(0, [2, 0, 0,  0, 0, 0])
        net.setWeights(1, [0.5, -0.25,  0, 0,  0, 0])
        let learner = OnlineLearner(rule: .ottt, params: RuleParams(), net: net)
        let grad = net.weights.map { FloatBuffer(count: $0.count) }
        let x: [Float] = [1, 0]
        _ = x.withUnsafeBufferPointer { learner.accumulate($0.baseAddress!, label: 0, coordinate: 0, into: grad) }
        // Hand count (TWIN.md conventions):
        //  trace: input trace 2 decays x 3 steps + 2 delivered spikes; hidden trace 3 decays
        //         x 3 steps + 1 delivered spike = 18.
        //  psi: 3 per hidden neuron per step = 27; readout outer product at step 2 (one
        //       nonzero hidden trace x 2 outputs x 2) = 4; hidden outer product at step 2
        //       (one nonzero input trace x one nonzero delta x 2) = 2  -> plasticity 33.
        //  feedback W1^T delta at steps 1 and 2: 2 x (2 * 3 * 2 + 3) = 30.  loss: 3 x (16 * 2 + 2) = 102.
        #expect(net.counts.flops(.trace) == 18)
        #expect(net.counts.flops(.plasticity) == 33)
        #expect(net.counts.flops(.feedback) == 30)
        #expect(net.counts.flops(.loss) == 102)
        #expect(net.counts.flops(.encode) == 3 && net.counts.flops(.synapse) == 5 && net.counts.flops(.neuron) == 77)
        // Update values. Readout output o[2] = [0.5, -0.25]; e[t] = (0.95 (softmax - y) + 0.05 (o - y)) / 3.
        func err(_ o: [Double]) -> [Double] {
            let z = o.map { Foundation.exp($0) }.reduce(0, +)
            return (0..<2).map { k in
                let y: Double = k == 0 ? 1 : 0
                return (0.95 * (Foundation.exp(o[k]) / z - y) + 0.05 * (o[k] - y)) / 3
            }
        }
        let e2 = err([0.5, -0.25])
        // Readout: only hidden 0 has a nonzero trace (1, delivered at step 2): G1[0][k] = e2[k].
        #expect(abs(Double(grad[1][0]) - e2[0]) < 1e-6 && abs(Double(grad[1][1]) - e2[1]) < 1e-6)
        // Hidden 0 at step 1 (paired with e[2]): delta = psi (1/3) * (0.5 e2[0] - 0.25 e2[1]),
        // times input trace 1 (input 0 delivered at step 1). Step 0's trace is zero.
        let d = (0.5 * e2[0] - 0.25 * e2[1]) / 3
        #expect(abs(Double(grad[0][0]) - d) < 1e-6)
        #expect(grad[0][1] == 0 && grad[0][2] == 0 && grad[0][3] == 0)
    }

    @Test func inputEncoderIsTheChipStream() {
        // The twin's input spikes are RandomKey(seed, .inputEncoder).with(sample).with(step)
        // Bernoulli draws with p = round(x * 65536) / 65536, exactly like PatternSource.
        let c = TwinConfig(sizes: [64, 4, 2], steps: 4, seed: 11)
        let net = TwinNetwork(config: c)
        let x = [Float](repeating: 0.25, count: 64)
        let src = PatternSource(pattern: "uniform", rate: 0.25, channels: 64, samples: 10, seed: 11)
        x.withUnsafeBufferPointer { net.resetState(); net.loadSample($0.baseAddress!, coordinate: 3) }
        for t in 0..<4 {
            net.step(t)
            var expected = ContiguousArray<Int32>()
            src.spikes(sample: 3, step: t, into: &expected)
            #expect(net.inputPrev.array == Array(expected))
        }
    }
}

@Suite struct TwinGradientTests {
    /// BPTT on the relaxed network (hidden output = relaxed(h - theta), the antiderivative of
    /// the triangular surrogate; reset not detached) equals central finite differences of
    /// the loss.
    @Test func bpttMatchesFiniteDifferences() {
        var c = TwinConfig(sizes: [6, 5, 3], steps: 6, seed: 3)
        c.surrogate = Surrogate(shape: .triangular, halfWidth: 1.0)
        c.hiddenInitScale = 2.5
        c.hiddenDu = 2047   // nonzero current decay: exercises both state variables
        var p = RuleParams(); p.detachReset = false
        let x: [Float] = [0.9, 0.7, 0.5, 0.8, 0.6, 0.4]
        let net = TwinNetwork(config: c)
        net.relaxed = true
        let b = BPTTLearner(params: p, net: net)
        let grad = net.weights.map { FloatBuffer(count: $0.count) }
        let scratch = net.weights.map { FloatBuffer(count: $0.count) }
        func loss() -> Double {
            x.withUnsafeBufferPointer { Double(b.accumulate($0.baseAddress!, label: 1, coordinate: 5, into: scratch).loss) }
        }
        _ = x.withUnsafeBufferPointer { b.accumulate($0.baseAddress!, label: 1, coordinate: 5, into: grad) }
        var analytic: [Double] = [], numeric: [Double] = []
        let eps: Float = 1e-2
        for l in 0..<2 {
            for k in 0..<net.weights[l].count {
                let w = net.weights[l][k]
                net.weights[l][k] = w + eps; let lp = loss()
                net.weights[l][k] = w - eps; let lm = loss()
                net.weights[l][k] = w
                numeric.append((lp - lm) / Double(2 * eps))
                analytic.append(Double(grad[l][k]))
            }
        }
        let scale = numeric.map(abs).max()!
        #expect(scale > 1e-3)
        for i in 0..<numeric.count {
            #expect(abs(numeric[i] - analytic[i]) <= 2e-3 * scale + 1e-3 * abs(numeric[i]),
                    "weight \(i): numeric \(numeric[i]) analytic \(analytic[i])")
        }
    }

    @Test func opzoCosineBeatsZeroOrderAndIsPositive() {
        let c = TwinConfig(sizes: [16, 48, 4], steps: 8, seed: 1)
        let data = FloatDataset.gaussianBlobs(features: 16, classes: 4, count: 24, spread: 0.15, seed: 1)
        let rows = GradCheck.run(rules: [.opzo, .zo_sp], network: c, params: RuleParams(), data: data,
                                 draws: 3, warmupSamples: 300)
        let opzo = rows.first { $0.rule == .opzo && $0.layer == 0 }!
        let zo = rows.first { $0.rule == .zo_sp && $0.layer == 0 }!
        #expect(opzo.cosine > 0.3)
        #expect(opzo.cosine > zo.cosine + 0.2)
        #expect(opzo.relativeVariance < zo.relativeVariance)
    }

    @Test func otttEqualsBpttWhenThereIsNoTemporalCredit() {
        // T = 1 step per sample would give no output; with T = 3 and readout leak 1 (dv = 4096,
        // o = this step's input only) and hidden leak 1 (dv = 4096), OTTT's instantaneous
        // spatial gradient is BPTT's exact gradient (reset detached).
        // Two hidden layers check the delay pairing (d = 2 and d = 1) of the online rules.
        for sizes in [[8, 6, 3], [8, 7, 6, 3]] {
            var c = TwinConfig(sizes: sizes, steps: 6, seed: 2)
            c.hiddenDv = 4096; c.readoutDv = 4096
            let data = FloatDataset.gaussianBlobs(features: 8, classes: 3, count: 6, seed: 2)
            let a = GradCheck.gradient(rule: .ottt, network: c, params: RuleParams(), data: data)
            let b = GradCheck.gradient(rule: .bptt, network: c, params: RuleParams(), data: data)
            for l in 0..<c.layerCount {
                #expect(b[l].contains { $0 != 0 }, "layer \(l) of \(sizes) has no gradient")
                for i in 0..<a[l].count { #expect(abs(a[l][i] - b[l][i]) <= 1e-6 + 1e-4 * abs(b[l][i])) }
            }
        }
    }
}

@Suite struct TwinTrainingTests {
    func train(_ rule: TwinRule, epochs: Int = 3) -> (TwinTrainer, [TwinEpochRecord]) {
        let c = TwinConfig(sizes: [16, 32, 4], steps: 8, seed: 4)
        let all = FloatDataset.gaussianBlobs(features: 16, classes: 4, count: 160, spread: 0.1, seed: 4)
        var tc = TwinTrainerConfig(rule: rule)
        tc.epochs = epochs; tc.batchSize = 8; tc.optimiser = .adam(lr: 1e-2)
        let t = TwinTrainer(network: c, trainer: tc)
        return (t, t.train(all.slice(0..<120), test: all.slice(120..<160)))
    }

    @Test func otttLearnsBlobs() {
        let (_, curve) = train(.ottt, epochs: 5)
        #expect(curve.count == 5)
        #expect(curve.last!.testAccuracy >= 0.8)
        #expect(curve.last!.trainLoss < curve.first!.trainLoss)
    }

    @Test func trainingIsDeterministic() {
        let (a, ca) = train(.opzo, epochs: 1)
        let (b, cb) = train(.opzo, epochs: 1)
        #expect(ca.map(\.testAccuracy) == cb.map(\.testAccuracy))
        for l in 0..<2 { #expect(a.net.weights[l].array == b.net.weights[l].array) }
        #expect(a.trainCounts == b.trainCounts)
    }

    @Test func shardedTrainingDoesNotDependOnThreads() {
        let c = TwinConfig(sizes: [16, 32, 4], steps: 8, seed: 4)
        let all = FloatDataset.gaussianBlobs(features: 16, classes: 4, count: 80, spread: 0.1, seed: 4)
        func run(_ rule: TwinRule, shards: Int, threads: Int) -> TwinTrainer {
            var tc = TwinTrainerConfig(rule: rule)
            tc.epochs = 1; tc.batchSize = 8; tc.shards = shards; tc.threads = threads
            let t = TwinTrainer(network: c, trainer: tc)
            _ = t.train(all.slice(0..<60), test: all.slice(60..<80))
            return t
        }
        for rule in [TwinRule.bptt, .ottt] {
            let one = run(rule, shards: 1, threads: 1)
            let a = run(rule, shards: 2, threads: 1), b = run(rule, shards: 2, threads: 2)
            for l in 0..<2 {
                #expect(a.net.weights[l].array == b.net.weights[l].array)
                // Two shards only re-associate the batch sum: close to the unsharded run.
                let x = a.net.weights[l].array, y = one.net.weights[l].array
                for i in 0..<x.count { #expect(abs(x[i] - y[i]) <= 1e-3) }
            }
            #expect(a.trainCounts.flops(.synapse) == b.trainCounts.flops(.synapse))
            #expect(a.trainCounts.flops(.synapse) == one.trainCounts.flops(.synapse))
        }
    }

    @Test func readoutOnlyKeepsHiddenFrozen() {
        let (t, _) = train(.readout, epochs: 1)
        let fresh = TwinNetwork(config: t.net.config)
        #expect(t.net.weights[0].array == fresh.weights[0].array)
        #expect(t.net.weights[1].array != fresh.weights[1].array)
    }

    @Test func everyRuleRunsAndCounts() {
        for rule in TwinRule.allCases {
            let (t, curve) = train(rule, epochs: 1)
            #expect(curve.count == 1)
            #expect(t.trainCounts.flops(.optimiser) > 0, "\(rule)")
        }
    }
}

@Suite struct TwinDatasetTests {
    func write(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("twin-\(UInt32.random(in: 0...UInt32.max)).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }
    func row(_ label: Int, pixel: Int) -> String {
        (Array(repeating: String(pixel), count: 784) + [String(label)]).joined(separator: ",")
    }

    @Test func classBalancedSplitInFileOrder() throws {
        // Class 3: rows with pixel 10, 20, 30; class 5: 40, 50. One train + one test per class.
        let text = [row(3, pixel: 10), row(5, pixel: 40), row(3, pixel: 20), row(3, pixel: 30), row(5, pixel: 50)]
            .joined(separator: "\n") + "\n"
        let path = try write(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let (train, test) = try FloatDataset.loadMNISTCSV(path: path, trainPerClass: 1, testPerClass: 1)
        #expect(train.y == [3, 5] && test.y == [3, 5])
        #expect(train.x[0] == Float(10) / 255 && train.x[784] == Float(40) / 255)
        #expect(test.x[0] == Float(20) / 255 && test.x[784] == Float(50) / 255)
    }

    @Test func badRowNamesFileAndLine() throws {
        let path = try write(row(1, pixel: 0) + "\n1,2,3\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try FloatDataset.loadMNISTCSV(path: path)
            Issue.record("expected an error")
        } catch let ChipError.syntax(file, line, _, message) {
            #expect(file == path && line == 2)
            #expect(message.contains("785"))
        }
    }
}
