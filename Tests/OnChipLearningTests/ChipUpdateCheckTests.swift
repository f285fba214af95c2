import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

/// A tiny on-chip learning experiment with a dataset input: Yin-Yang (40 train / 10 test),
/// 4 features x 4 population channels = 16 inputs -> 24 LIF -> 3 readout, T = 8, with learning
/// rates high enough that float updates are O(1) LSB (rounding does not swamp them).
func updateCheckConfig(rule: String = "opzo", extra: String = "") throws -> ExperimentConfig {
    try ExperimentConfig(json: JSONValue.parse("""
    {"seed": 2, "network": {"layers": [
        {"name": "in", "kind": "input", "size": 16},
        {"name": "h", "size": 24, "neuron": {"du": 4095, "dv": 410, "vth": 40}},
        {"name": "out", "size": 3, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
      "connections": [{"from": "in", "to": "h", "init": {"kind": "uniform", "low": -30, "high": 60}},
                      {"from": "h", "to": "out", "init": {"kind": "uniform", "low": -8, "high": 8}}]},
     "input": {"kind": "dataset", "dataset": {"kind": "yinyang", "train": 40, "test": 10},
               "encoder": {"kind": "population", "steps": 8, "neurons": 4}},
     "run": {"steps": 8},
     "learning": {"rule": "\(rule)", "alpha": 16, "etaHidden": 14, "etaReadout": 12\(extra)}}
    """, file: "update-check.json"), file: "update-check.json")
}

/// The first sample's 4 features, population-coded by 4 channels (centres 0, 1/3, 2/3, 1,
/// sigma 1/3, maxRate 0.9), against the twin's features: each channel's probability is the
/// chip encoder's, round(65536 * 0.9 * exp(-(x - c)^2 / (2 sigma^2))) / 65536.
func expectPopulationCode(_ features: [Float], of pixels: [UInt8]) {
    for f in 0..<4 {
        let x = Double(pixels[f]) / 255
        for j in 0..<4 {
            let c = Double(j) / 3
            let expected = (65536 * 0.9 * exp(-(x - c) * (x - c) / (2.0 / 9))).rounded() / 65536
            #expect(abs(Double(features[f * 4 + j]) - expected) < 1e-7, "feature \(f) channel \(j)")
        }
    }
}

/// The observations of a short chip run (12 training samples).
func updateObservations(_ config: ExperimentConfig) throws -> [ForwardUpdateObservation] {
    var out: [ForwardUpdateObservation] = []
    try ChipUpdateCheck.observe(experiment: config, samples: 12) { out.append($0) }
    return out
}

@Suite struct ChipUpdateCheckTests {
    @Test func chipUpdatesMatchTheFormulaEveryStepAndPerLearningEpoch() throws {
        for (rule, extra) in [("opzo", ""), ("opzo", ", \"tEpoch\": 4, \"learnFrom\": 2, \"holdNoise\": true"), ("dfa", "")] {
            let check = try ChipUpdateCheck.run(experiment: try updateCheckConfig(rule: rule, extra: extra), samples: 12)
            #expect(check.passed, "\(rule)\(extra): \(check.failures)")
            #expect(check.layers.map(\.layer) == [0, 1], "\(rule)\(extra)")
            for l in check.layers {
                #expect(l.updated > 0, "\(rule)\(extra) layer \(l.layer) saw no update")
                #expect(l.maxAbsError < 1 && l.unexpectedChanges == 0 && l.malformed == 0)
                // Many updates: the measured cosine is close to the one unbiased rounding predicts.
                if l.updated > 1000 { #expect(abs(l.cosine - l.expectedCosine) < 0.05, "\(rule)\(extra) layer \(l.layer): \(l.cosine) vs \(l.expectedCosine)") }
            }
        }
    }

    /// Replays observations through `corrupt` (applied to every compared synapse: x1, factor != 0).
    func corrupted(_ obs: [ForwardUpdateObservation], _ corrupt: (Int64, Int64, Double) -> Int64) -> ChipUpdateCheck {
        var check = ChipUpdateCheck()
        for var o in obs {
            let nPost = o.factor.count
            let hi = Int64(FixedPoint.signedMax(bits: o.weightBits)), lo = Int64(FixedPoint.signedMin(bits: o.weightBits))
            for i in 0..<o.x1.count where o.x1[i] != 0 {
                for j in 0..<nPost where o.factor[j] != 0 {
                    let k = i * nPost + j
                    let before = Int64(o.weightsBefore[k])
                    let d = Double(Int64(o.x1[i]) * Int64(o.factor[j])) / Double(UInt64(1) << UInt64(o.etaShift))
                    o.weightsAfter[k] = Int16(min(hi, max(lo, corrupt(before, Int64(o.weightsAfter[k]), d))))
                }
            }
            check.add(o)
        }
        return check
    }

    @Test func corruptedUpdatesAreDetected() throws {
        let obs = try updateObservations(try updateCheckConfig())
        #expect(corrupted(obs, { _, after, _ in after }).passed)                 // identity replay passes
        // Weights after shifted by 2 LSB: an error of at least one LSB.
        let shifted = corrupted(obs, { _, after, _ in after - 2 })
        #expect(!shifted.passed)
        #expect(shifted.layers.contains { $0.maxAbsError >= 1 })
        // Floor instead of stochastic rounding: every error <= 0, a bias of many standard errors.
        let floored = corrupted(obs, { before, _, d in before - Int64(d.rounded(.down)) })
        #expect(!floored.passed)
        #expect(floored.layers.allSatisfy { $0.maxAbsError < 1 })
        #expect(floored.layers.contains { $0.meanError < 0 && $0.biasSigmas > 4 }, "\(floored.failures)")
        // A synapse with x1 = 0 that changes.
        var check = ChipUpdateCheck()
        for var o in obs {
            if let i = o.x1.firstIndex(of: 0) { o.weightsAfter[i * o.factor.count] &+= 1 }
            check.add(o)
        }
        #expect(check.layers.contains { $0.unexpectedChanges > 0 })
        #expect(!check.passed)
    }

    @Test func handComputedObservation() {
        // x1 = [2, 0, 3], factor = [5, -4], eta = 2: d = x1 f / 4 = [[2.5, -2], [0, 0], [3.75, -3]].
        // Chip updates r = before - after: 3 (2.5 rounded up), -2, row 1 untouched, 3 (3.75
        // rounded down), and (2, 1) saturates at 127 (125 + 3 clipped), so it is not compared.
        let o = ForwardUpdateObservation(layer: 2, block: 0, globalStep: 0, etaShift: 2, x1: [2, 0, 3], factor: [5, -4],
                                         weightsBefore: [10, 10, 7, 7, -5, 125], weightsAfter: [7, 12, 7, 7, -8, 127], weightBits: 8)
        var check = ChipUpdateCheck()
        check.add(o)
        #expect(check.layers.count == 1)
        let l = check.layers[0]
        #expect(l.layer == 1 && l.observations == 1 && l.updated == 3 && l.saturated == 1 && l.unexpectedChanges == 0)
        // Errors e = r - d: 0.5, 0, -0.75.
        #expect(abs(l.maxAbsError - 0.75) < 1e-12)
        #expect(abs(l.meanError - (-0.25 / 3)) < 1e-12)
        // Var e = p (1 - p) with p = frac(d): 0.25, 0, 0.1875.
        #expect(abs(l.standardError - (0.4375).squareRoot() / 3) < 1e-12)
        // cos(r, d) with r = (3, -2, 3), d = (2.5, -2, 3.75).
        #expect(abs(l.cosine - 22.75 / (22.0 * 24.3125).squareRoot()) < 1e-12)
        #expect(abs(l.expectedCosine - (24.3125 / 24.75).squareRoot()) < 1e-12)
        #expect(abs(l.meanAbsFloat - 8.25 / 3) < 1e-12)
        #expect(check.passed)
        // One LSB more on (0, 0): e = 1.5 there, the check fails.
        var bad = o
        bad.weightsAfter[0] = 6
        var c2 = ChipUpdateCheck()
        c2.add(bad)
        #expect(!c2.passed && abs(c2.layers[0].maxAbsError - 1.5) < 1e-12)
        // Sizes that do not fit: malformed.
        var m = o
        m.weightsAfter.removeLast()
        var c3 = ChipUpdateCheck()
        c3.add(m)
        #expect(c3.layers[0].malformed == 1 && !c3.passed)
    }

    /// The mapping end to end: with the chip's initial weights in twin units and the same input
    /// spikes (seed 0 = the rate encoder's default key, as the twin's), the twin's readout
    /// potential after T steps is the chip's readout v / 2^(outputShift + lutFracBits) up to the
    /// chip's integer decays and rare threshold crossings: per sample the two 10-vectors'
    /// norms agree within 5 % and their cosine is above 0.99 (measured: 0.99-1.03, >= 0.9986).
    @Test func twinFromChipWeightsReproducesTheChipsReadoutPotential() throws {
        let exp = try ExperimentConfig(json: JSONValue.parse("""
        {"seed": 0, "network": {"layers": [
            {"name": "in", "kind": "input", "size": 784},
            {"name": "h", "size": 100, "neuron": {"du": 4095, "dv": 410, "vth": 250}},
            {"name": "out", "size": 10, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
          "connections": [{"from": "in", "to": "h", "init": {"kind": "uniform", "low": -40, "high": 40}},
                          {"from": "h", "to": "out", "weightExponent": -2, "init": {"kind": "uniform", "low": -32, "high": 32}}]},
         "input": {"kind": "dataset", "dataset": {"kind": "mnist5k"}, "encoder": {"kind": "rate", "steps": 16}},
         "run": {"steps": 16},
         "learning": {"rule": "opzo", "loss": {"outputShift": 12}}}
        """, file: "mapping.json"), file: "mapping.json")
        let samples = 8
        let setup = try ConfigGradCheck(experiment: exp, samples: samples)
        let twin = TwinNetwork(config: setup.network)
        for l in setup.initialWeights.indices { twin.setWeights(l, setup.initialWeights[l]) }
        let (train, _) = try Experiment.sources(for: exp)
        let sim = Simulator(chip: try Chip(config: exp))
        let readout = sim.chip.cores.flatMap(\.populations).first { $0.layer == 2 }!
        for s in 0..<samples {
            sim.runSample(s, source: train!)
            let chip = (0..<10).map { Double(readout.state.v[$0]) / 65536 }      // 2^(12 + 4)
            twin.resetState()
            setup.data.x.withUnsafeBufferPointer { twin.loadSample($0.baseAddress! + s * 784, coordinate: UInt64(s)) }
            for t in 0..<16 { twin.step(t) }
            let float = (0..<10).map { Double(twin.mem[1].p[$0]) }
            let dot = zip(chip, float).map(*).reduce(0, +)
            let nc = chip.map { $0 * $0 }.reduce(0, +).squareRoot(), nf = float.map { $0 * $0 }.reduce(0, +).squareRoot()
            #expect(nc > 0 && abs(nf / nc - 1) < 0.05 && dot / (nc * nf) > 0.99, "sample \(s): norms \(nf) / \(nc), cosine \(dot / (nc * nf))")
        }
    }

    /// compare trains the twin on what the chip's encoder sends: both splits population-coded
    /// (a narrower dataset would be read past each sample: compare's twin once trained on the
    /// raw features, then ran at chance when deployed); encoders the twin cannot reproduce and
    /// a width that differs from the input layer are refused with a config error.
    @Test func compareTwinDataArePopulationCodedOrRefused() throws {
        let runner = try CompareRunner(config: try CompareConfig(experiment: try updateCheckConfig(rule: "opzo")))
        let (train, test) = try runner.floatData()
        #expect(train.features == 16 && test.features == 16 && train.count == 40 && test.count == 10)
        let (_, raw) = YinYang.load(train: 40, test: 10, seed: 42)
        expectPopulationCode(test.x, of: raw.pixels)
        // The refusals: a latency code, and a population code narrower than the input layer.
        func message(inputs: Int, encoder: String) throws -> String {
            let exp = try ExperimentConfig(json: JSONValue.parse("""
            {"seed": 2, "network": {"layers": [
                {"name": "in", "kind": "input", "size": \(inputs)},
                {"name": "h", "size": 24, "neuron": {"du": 4095, "dv": 410, "vth": 40}},
                {"name": "out", "size": 3, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
              "connections": [{"from": "in", "to": "h"}, {"from": "h", "to": "out"}]},
             "input": {"kind": "dataset", "dataset": {"kind": "yinyang", "train": 40, "test": 10}, "encoder": \(encoder)},
             "run": {"steps": 8},
             "learning": {"rule": "opzo"}}
            """, file: "x.json"), file: "x.json")
            do { _ = try CompareRunner(config: try CompareConfig(experiment: exp)).floatData(); return "" }
            catch let e as ChipError { return "\(e)" }
        }
        let latency = try message(inputs: 4, encoder: #"{"kind": "latency", "steps": 8}"#)
        #expect(latency.contains("$.input.encoder.kind") && latency.contains("rate or population"), "\(latency)")
        let narrow = try message(inputs: 20, encoder: #"{"kind": "population", "steps": 8, "neurons": 4}"#)
        #expect(narrow.contains("16 channels") && narrow.contains("20"), "\(narrow)")
    }

    @Test func configGradCheckUsesTheExperimentsTwinAndPopulationCode() throws {
        let setup = try ConfigGradCheck(experiment: try updateCheckConfig(rule: "dfa"), samples: 5)
        #expect(setup.network.sizes == [16, 24, 3] && setup.network.steps == 8)
        #expect(setup.network.hiddenDv == 410 && setup.network.readoutDv == 410)
        #expect(setup.rules.first == .dfa && setup.rules.count == ConfigGradCheck.family.count)
        #expect(setup.data.count == 5 && setup.data.features == 16)
        let overridden = try ConfigGradCheck(experiment: try updateCheckConfig(rule: "dfa"), samples: 5, rule: .zoSP)
        #expect(overridden.chipRule == .zoSP && overridden.rules.first == .zo_sp && Set(overridden.rules) == Set(ConfigGradCheck.family))
        // Population code, 4 channels (centres 0, 1/3, 2/3, 1, sigma 1/3, maxRate 0.9): the
        // twin's probability of channel j of feature f is the chip encoder's.
        let (train, _) = YinYang.load(train: 40, test: 10, seed: 42)
        expectPopulationCode(setup.data.x, of: train.pixels)
        // The twin starts from the chip's initial weights, read here from the built chip's
        // blocks: hidden w / vth (theta 1, vth 40, exponent 0), readout w 2^(0 + 6) / 2^(10 + 4)
        // (the loss unit's default outputShift 10 and lutFracBits 4).
        let chip = try Chip(config: try updateCheckConfig(rule: "dfa"))
        let pops = chip.cores.flatMap(\.populations)
        for (l, divisor) in [(0, 40.0), (1, 256.0)] {
            let b = pops.first { $0.layer == l + 1 }!.blocks[0]
            #expect(setup.initialWeights[l].count == b.nPre * b.nPost)
            for i in 0..<b.nPre { for j in 0..<b.nPost {
                let expected = Double(b.weight(pre: i, post: j)) / divisor
                #expect(abs(Double(setup.initialWeights[l][i * b.nPost + j]) - expected) <= 1e-6 * max(1, abs(expected)))
            } }
        }
    }
}
