import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

@Suite struct RegressionTests {
    @Test func lossUnitRegressionErrorAndCostByHand() {
        // outputShift 4, lutFracBits 4: r = ((o >> 4) * 2^14) >> 4 = (o >> 4) * 1024, clamped to +-2^15.
        let unit = LossUnit(LossUnitParameters(outputShift: 4))
        let o: [Int32] = [160, -33, 100_000]              // o >> 4 = 10, -3, 6250
        #expect(unit.regressionOutputs(o) == [10_240, -3_072, 32_768])
        let y: [Int32] = [8_192, 0, -16_384]
        // e = r - y: 2048, -3072, 49152 -> saturated to 16 bits: 32767.
        #expect(unit.regressionError(o, target: y) == [2_048, -3_072, 32_767])
        // cost = sum (r - y)^2 >> 14: 2048^2 >> 14 = 256, 3072^2 >> 14 = 576, 49152^2 >> 14 = 147456.
        #expect(unit.regressionCost(o, target: y) == 256 + 576 + 147_456)
        let ctx = StepContext(sample: 0, step: 0, stepsPerSample: 1, globalStep: 0, label: 0, target: y, training: true)
        #expect(unit.error(o, for: ctx) == unit.regressionError(o, target: y))
        var counts = ActionCounts()
        #expect(unit.cost(o, for: ctx, counts: &counts) == unit.regressionCost(o, target: y))
        #expect(counts[.plastInstr] == 7 * 3)   // r_k (shift, scale, clamp) and (r - y)^2 >> 14 summed, per output
    }

    @Test func sineDatasetIsDeterministicAndCarriesTargetsThroughSubsets() throws {
        let (a, b) = SineRegression.load(train: 50, test: 20, seed: 3, periods: 2)
        let (a2, _) = SineRegression.load(train: 50, test: 20, seed: 3, periods: 2)
        #expect(a == a2 && a.count == 50 && b.count == 20 && a.targetDimension == 1)
        for i in 0..<a.count {
            let x = a.realFeatures![2 * i]
            #expect(abs(a.realFeatures![2 * i + 1] - (1 - x)) < 1e-12)
            #expect(abs(a.targets![i] - sin(4 * Double.pi * x)) < 1e-12)
        }
        let s = a.subset([7, 3], name: "s")
        #expect(s.targets! == [a.targets![7], a.targets![3]])
        let source = EncodedDatasetSource(dataset: s, encoder: PopulationEncoder(steps: 4, neurons: 5, maxRate: 0.5, seed: 1))
        #expect(source.target(sample: 1) == [Int32((a.targets![3] * 16384).rounded(.toNearestOrAwayFromZero))])
    }

    static func config(outputs: Int) throws -> ExperimentConfig {
        try ExperimentConfig(json: JSONValue.parse("""
        {"seed": 1, "network": {"layers": [
            {"name": "in", "kind": "input", "size": 16},
            {"name": "h", "size": 32, "neuron": {"du": 4095, "dv": 410, "vth": 100}},
            {"name": "out", "size": \(outputs), "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
          "connections": [{"from": "in", "to": "h", "init": {"kind": "uniform", "low": -60, "high": 60}},
                          {"from": "h", "to": "out", "init": {"kind": "constant", "value": 0}}]},
         "input": {"kind": "dataset", "dataset": {"kind": "sine", "train": 300, "test": 100},
                   "encoder": {"kind": "population", "steps": 8, "neurons": 8}},
         "run": {"steps": 8}, "learning": {"rule": "readout", "etaReadout": 20, "loss": {"outputShift": 12}}}
        """, file: "sine.json"), file: "sine.json")
    }

    @Test func readoutLearnsTheRegressionAndTheTrainerReportsMSE() throws {
        let config = try RegressionTests.config(outputs: 1)
        let (train, test) = try Experiment.sources(for: config)
        let sim = Simulator(chip: try Chip(config: config))
        try sim.attach(rule: ErrorBroadcastRule(try LearningConfig.decode(config.learning!, file: "sine.json")))
        var t = TrainingConfig(); t.epochs = 2
        let trainer = Trainer(simulator: sim, train: train!, test: test, config: t)
        try trainer.run()
        // Predicting 0 (the untrained, zero readout) costs mean sin^2 = 0.5; learning must do far better.
        let mse = try #require(trainer.epochs.last?.testMSE)
        #expect(mse < 0.2, "\(trainer.epochs.map(\.testMSE))")
    }

    @Test func aRegressionDatasetNeedsAReadoutOfItsDimension() throws {
        let config = try RegressionTests.config(outputs: 3)
        #expect(throws: ChipError.self) { _ = try Experiment.sources(for: config) }
        do { _ = try Experiment.sources(for: config) } catch { #expect("\(error)".contains("$.input.dataset")) }
    }
}
