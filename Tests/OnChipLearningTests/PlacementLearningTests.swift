import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

// Placement and on-chip learning (docs/LEARNING.md, "Placement and learning"). Stochastic
// rounding (the trace unit's decay and the microcode's sround) draws from the core's PRNG,
// keyed by the core id, so OPZO's weights depend on which core ids the layers sit on. They must
// not depend on anything else about the placement: mesh shape, hop distance, packet timing.

/// The tiny OPZO network of OnChipRuleTests (16-24-2) on an explicit placement.
private func placedConfig(meshWidth: Int, meshHeight: Int, inputCore: Int, hiddenCore: Int, outputCore: Int) throws -> ExperimentConfig {
    try ExperimentConfig(json: JSONValue.parse("""
    {"seed": 2, "chip": {"meshWidth": \(meshWidth), "meshHeight": \(meshHeight)},
     "mapping": {"strategy": "explicit", "cores": {"in": [[\(inputCore), 16]], "h": [[\(hiddenCore), 24]], "out": [[\(outputCore), 2]]}},
     "network": {"layers": [
        {"name": "in", "kind": "input", "size": 16},
        {"name": "h", "size": 24, "neuron": {"du": 4095, "dv": 410, "vth": 40}},
        {"name": "out", "size": 2, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
      "connections": [{"from": "in", "to": "h", "init": {"kind": "uniform", "low": -30, "high": 60}},
                      {"from": "h", "to": "out", "init": {"kind": "uniform", "low": -8, "high": 8}}]},
     "run": {"steps": 8}, "learning": {"rule": "opzo"}}
    """, file: "placed.json"), file: "placed.json")
}

private struct PlacedRun {
    /// Every block's weights, by layer (each layer sits on one core here).
    var weights: [Int: [ContiguousArray<Int16>]] = [:]
    var counts = ActionCounts()
    /// Forward-weight updates in the order the rule ran them: (layer, global step, weights after).
    var updates: [(layer: Int, step: Int, after: ContiguousArray<Int16>)] = []
    var hiddenSpikes: [ContiguousArray<Int32>] = []
}

/// Trains (or only runs, training = false) `samples` samples; gNormalise = 0 (g = G >> gShift,
/// no per-core block-floating-point shift).
private func runPlaced(_ config: ExperimentConfig, samples: Int, training: Bool = true) throws -> PlacedRun {
    var p = try LearningConfig.decode(config.learning!, file: "placed.json")
    p.etaReadout = 14; p.etaHidden = 16; p.gShift = 16; p.lambdaShift = 8; p.gNormalise = 0
    let sim = Simulator(chip: try Chip(config: config))
    let rule = ErrorBroadcastRule(p)
    try sim.attach(rule: rule)
    sim.training = training
    var run = PlacedRun()
    rule.observeForwardUpdate = { run.updates.append((layer: $0.layer, step: $0.globalStep, after: $0.weightsAfter)) }
    let source = TwoPatternSource(samples: samples)
    for s in 0..<samples {
        sim.runSample(s, source: source)
        run.hiddenSpikes.append(sim.spikesEmitted(layer: 1))
    }
    for core in sim.chip.cores {
        for pop in core.populations { run.weights[pop.layer, default: []] += pop.blocks.map(\.weights) }
    }
    run.counts = sim.totalCounts
    return run
}

@Suite struct PlacementLearningTests {
    @Test func trainingDoesNotDependOnHopDistanceOrMeshShapeWhenCoreIdsAreEqual() throws {
        // The output layer on core 3 of a 2x2 mesh (two hops from the hidden core 0) and of a
        // 4x1 mesh (three hops): every core id is the same, only routing and timing differ.
        let square = try runPlaced(placedConfig(meshWidth: 2, meshHeight: 2, inputCore: 1, hiddenCore: 0, outputCore: 3), samples: 6)
        let line = try runPlaced(placedConfig(meshWidth: 4, meshHeight: 1, inputCore: 1, hiddenCore: 0, outputCore: 3), samples: 6)
        // The placements really route differently (so the equalities below are not vacuous) ...
        #expect(square.counts[.hopEW] + square.counts[.hopNS] != line.counts[.hopEW] + line.counts[.hopNS])
        // ... and the rule did learn.
        let initial = try runPlaced(placedConfig(meshWidth: 2, meshHeight: 2, inputCore: 1, hiddenCore: 0, outputCore: 3), samples: 6, training: false)
        #expect(square.weights != initial.weights)
        // Same weights, same learning work, same update sequence.
        #expect(square.weights == line.weights)
        for action in [Action.plastSynapse, .plastInstr, .prngDraw, .traceUpdate, .synop] {
            #expect(square.counts[action] == line.counts[action], "\(action)")
        }
        #expect(square.updates.map(\.after) == line.updates.map(\.after))
    }

    @Test func movingOnlyTheOutputLayerToAnotherCoreIdKeepsInferenceButChangesTheRoundingDraws() throws {
        // Output on core 1 versus core 3, everything else in place. Inference is identical ...
        let near = try placedConfig(meshWidth: 2, meshHeight: 2, inputCore: 2, hiddenCore: 0, outputCore: 1)
        let far = try placedConfig(meshWidth: 2, meshHeight: 2, inputCore: 2, hiddenCore: 0, outputCore: 3)
        let inferNear = try runPlaced(near, samples: 4, training: false)
        let inferFar = try runPlaced(far, samples: 4, training: false)
        #expect(inferNear.hiddenSpikes == inferFar.hiddenSpikes)
        #expect(inferNear.counts[.synop] == inferFar.counts[.synop])
        // ... but training is not (by design: the output core's PRNG keys the readout's
        // stochastic rounding and its presynaptic traces' stochastic decay). The first update
        // that differs is a readout update; every hidden update before it is identical, so the
        // divergence enters at the output core, not through routing or the hidden cores.
        let trainNear = try runPlaced(near, samples: 4)
        let trainFar = try runPlaced(far, samples: 4)
        #expect(trainNear.weights != trainFar.weights)
        #expect(trainNear.updates.count == trainFar.updates.count)
        let first = trainNear.updates.indices.first { trainNear.updates[$0].after != trainFar.updates[$0].after }
        let i = try #require(first)
        #expect(trainNear.updates[i].layer == 2)
        #expect(zip(trainNear.updates[..<i], trainFar.updates[..<i]).allSatisfy { $0.layer == $1.layer && $0.step == $1.step })
    }
}
