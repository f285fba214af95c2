import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

// Conv hidden layers learning on chip with the error-broadcast rules (docs/CONV.md "Learning",
// docs/LEARNING.md "Conv"). The network: 1x6x6 input -> conv 2@3x3 pad 1 (72 LIF neurons,
// one channel per core) -> dense readout 3; 8 steps per sample, learning every step.

/// Sample s has class s % 3: a vertical band of the image (columns 0-1, 2-3 or 4-5) whose
/// rows alternate with the step.
private struct BandSource: SpikeSource {
    let channels = 36
    let samples: Int
    func label(sample: Int) -> Int? { sample % 3 }
    func spikes(sample: Int, step: Int, into out: inout ContiguousArray<Int32>) {
        let c = sample % 3
        for y in 0..<6 where (y + step + sample) % 2 == 0 {
            for x in (2 * c)..<(2 * c + 2) { out.append(Int32(y * 6 + x)) }
        }
    }
}

private func convNet(rule: String, pool: Bool = false, mapping: String = "") throws -> ExperimentConfig {
    let layers = pool
        ? #"{"name": "c", "shape": [2, 6, 6], "neuron": {"du": 4095, "dv": 410, "vth": 40}}, {"name": "p", "shape": [2, 3, 3], "neuron": {"du": 4095, "dv": 4095, "vth": 1}}"#
        : #"{"name": "c", "shape": [2, 6, 6], "neuron": {"du": 4095, "dv": 410, "vth": 40}}"#
    let connections = pool
        ? #"{"from": "c", "to": "p", "kind": "sumPool", "kernel": 2}, {"from": "p", "to": "out", "init": {"kind": "uniform", "low": -8, "high": 8}}"#
        : #"{"from": "c", "to": "out", "init": {"kind": "uniform", "low": -8, "high": 8}}"#
    let text = """
    {"seed": 7, "chip": {"meshWidth": 2, "meshHeight": 2, "core": {"neurons": 40}}\(mapping),
     "network": {"layers": [{"name": "in", "kind": "input", "shape": [1, 6, 6]}, \(layers),
                            {"name": "out", "size": 3, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
                 "connections": [{"from": "in", "to": "c", "kind": "conv2d", "kernel": 3, "padding": 1,
                                  "init": {"kind": "uniform", "low": -10, "high": 40}}, \(connections)]},
     "run": {"steps": 8}, "learning": {"rule": "\(rule)"}}
    """
    return try ExperimentConfig(json: JSONValue.parse(text, file: "conv.json"), file: "conv.json")
}

private func parameters(_ config: ExperimentConfig) throws -> ErrorBroadcastParameters {
    var p = try LearningConfig.decode(config.learning!, file: config.file)
    p.etaReadout = 12; p.etaHidden = 12; p.gShift = 14; p.gNormalise = 0; p.lambdaShift = 8; p.alpha = 24
    p.dfaScale = 1 << 12
    p.psiWidth = 20 << 6
    return p
}

private func train(_ config: ExperimentConfig, samples: Int,
                   onStep: ((ErrorBroadcastRule, Simulator) -> Void)? = nil) throws -> (Simulator, ErrorBroadcastRule) {
    let sim = Simulator(chip: try Chip(config: config))
    let rule = ErrorBroadcastRule(try parameters(config))
    try sim.attach(rule: rule)
    if let onStep { sim.onStep = { [unowned rule, unowned sim] _, _ in onStep(rule, sim) } }
    sim.training = true
    let source = BandSource(samples: samples)
    for s in 0..<samples { sim.runSample(s, source: source) }
    return (sim, rule)
}

private func convKernels(_ sim: Simulator) -> [[Int16]] {
    sim.chip.cores.flatMap { $0.populations.flatMap { $0.convBlocks.map { Array($0.kernels) } } }
}

@Suite struct ConvLearningTests {
    @Test func readoutOnlyLeavesTheConvLayerFixedAndLearnsTheReadout() throws {
        let initial = try train(convNet(rule: "readout"), samples: 0).0
        let (sim, rule) = try train(convNet(rule: "readout"), samples: 9)
        #expect(rule.sharedKernels.isEmpty)
        #expect(convKernels(sim) == convKernels(initial))
        for core in sim.chip.cores { for p in core.populations {
            for b in p.convBlocks { #expect(b.auxBits == 0) }          // no accumulators: nothing learns
            #expect(p.learning!.convPre.allSatisfy { $0.count == 0 })  // no traces either
        } }
        let readout = { (s: Simulator) in s.chip.cores.flatMap { $0.populations.filter { $0.layer == 2 }.flatMap { Array($0.blocks[0].weights) } } }
        #expect(readout(sim) != readout(initial))
        #expect(sim.samples.reduce(0) { $0 + $1.spikesPerLayer[1] } > 0)
    }

    /// After every step the kernels equal an Int64 oracle: the previous step's kernels minus the
    /// stochastically rounded sum over output positions of x1 * mod over the pairs whose x1, mod
    /// and psi (r2) are nonzero (the hidden program's .require; MGD-NP has no psi gate),
    /// saturated to 8 bits.
    @Test(arguments: ["dfa", "opzo", "zo_sp", "mgd_np"])
    func kernelsFollowTheSumOverPositionsOracleEveryStep(rule name: String) throws {
        let gated = name != "mgd_np"
        let config = try convNet(rule: name)
        let eta = try parameters(config).etaHidden
        let sim = Simulator(chip: try Chip(config: config))
        let rule = ErrorBroadcastRule(try parameters(config))
        try sim.attach(rule: rule)
        // One learned block per conv core, each holding one whole channel.
        #expect(rule.sharedKernels.map { [$0.core.id, $0.population.convBlocks[$0.block].channelLo] } == [[0, 0], [1, 1]])
        // The conv neurons are hidden neurons: each conv core has its feedback block, one row per
        // output and one column per conv neuron of the core (M for OPZO, B for DFA).
        // (ZO_sp and MGD-NP broadcast a scalar: their feedback blocks have no rows.)
        #expect(rule.feedback.map { [$0.core.id, $0.block.nPre, $0.block.nPost, $0.block.auxBits] }
                == (["dfa", "opzo"].contains(name) ? [[0, 3, 36, 32], [1, 3, 36, 32]] : [[0, 0, 36, 0], [1, 0, 36, 0]]))
        var previous = rule.sharedKernels.map { Array($0.population.convBlocks[$0.block].kernels) }
        var steps = 0, changes = 0
        sim.onStep = { [unowned rule, unowned sim] _, _ in
            let step = sim.globalStep - 1
            for (k, s) in rule.sharedKernels.enumerated() {
                let b = s.population.convBlocks[s.block], l = s.population.learning!
                var sum = [Int64](repeating: 0, count: b.geometry.weightCount)   // OIHW, C_in = 1
                for j in 0..<s.population.count where l.post.modulator[j] != 0 && (!gated || l.post.r2[j] != 0) {
                    let n = s.population.firstNeuron + j
                    let o = n / 36, oy = (n % 36) / 6, ox = n % 6
                    for ky in 0..<3 { for kx in 0..<3 {
                        let iy = oy - 1 + ky, ix = ox - 1 + kx
                        guard iy >= 0 && iy < 6 && ix >= 0 && ix < 6 else { continue }
                        sum[(o * 3 + ky) * 3 + kx] += Int64(l.convPre[s.block].x1[iy * 6 + ix]) * Int64(l.post.modulator[j])
                    } }
                }
                let key = MicrocodeRandom(seed: 7, core: s.core.id, step: step, block: 500 + s.block, scope: .synapse).key(for: .sround, pc: 1)
                for o in b.channelLo..<b.channelHi { for ky in 0..<3 { for kx in 0..<3 {
                    let gi = (o * 3 + ky) * 3 + kx
                    let old = Int64(previous[k][b.kernelIndex(o: o, i: 0, ky: ky, kx: kx)])
                    let low = Int64(key.draw(gi) & ((UInt64(1) << UInt64(eta)) - 1))
                    let want = sum[gi] == 0 ? old : min(max(old - ((sum[gi] + low) >> Int64(eta)), -128), 127)
                    #expect(Int64(b.weight(o: o, i: 0, ky: ky, kx: kx)) == want, "step \(step) core \(s.core.id) o \(o) ky \(ky) kx \(kx)")
                } } }
                if Array(b.kernels) != previous[k] { changes += 1 }
                previous[k] = Array(b.kernels)
            }
            steps += 1
        }
        sim.training = true
        let source = BandSource(samples: 6)
        for s in 0..<6 { sim.runSample(s, source: source) }
        #expect(steps == 48)
        #expect(changes >= 10, "the kernels changed on only \(changes) (core, step) pairs")
        // The unit's work is counted: pairs and applied weights on the conv cores' plasticity units.
        let learning = sim.chip.cores[0].counts.byPhase[Phase.learning.rawValue]
        #expect(learning[.plastSynapse] > 0 && learning[.sramWriteBits] > 0)
    }

    @Test func poolsStayFixedWhileTheConvLayerBehindThemLearns() throws {
        let initial = try train(convNet(rule: "dfa", pool: true), samples: 0).0
        let (sim, rule) = try train(convNet(rule: "dfa", pool: true), samples: 6)
        #expect(rule.sharedKernels.count == 2)
        var poolBlocks = 0
        for (a, b) in zip(initial.chip.cores, sim.chip.cores) {
            for (p, q) in zip(a.populations, b.populations) {
                for (x, y) in zip(p.convBlocks, q.convBlocks) where x.kind == .sumPool {
                    poolBlocks += 1
                    #expect(x.kernels == y.kernels && y.auxBits == 0)
                }
            }
        }
        #expect(poolBlocks > 0)
        #expect(convKernels(sim) != convKernels(initial))
    }

    @Test func aSliceThatCutsALearnedChannelIsRefusedNamingTheConnection() throws {
        let cut = #", "mapping": {"strategy": "explicit", "cores": {"in": [[0, 36]], "c": [[1, 32], [2, 40]], "out": [[3, 3]]}}"#
        let sim = Simulator(chip: try Chip(config: convNet(rule: "dfa", mapping: cut)))
        var text = ""
        do { try sim.attach(rule: ErrorBroadcastRule(try parameters(convNet(rule: "dfa", mapping: cut)))) } catch { text = "\(error)" }
        #expect(text.contains("$.network.connections[0]"), "\(text)")
        #expect(text.contains("dfa learns the conv2d connection 0 ('in' -> 'c'), but core 1 holds neurons 0..<32 of 'c', which cut an output channel (36 neurons each)"), "\(text)")
        // Readout-only learns no kernel: the same placement is accepted.
        let fine = Simulator(chip: try Chip(config: convNet(rule: "readout", mapping: cut)))
        try fine.attach(rule: ErrorBroadcastRule(try parameters(convNet(rule: "readout", mapping: cut))))
    }

    @Test func learnedKernelsAreRuleStateForCheckpointsAndMemory() throws {
        let (sim, rule) = try train(convNet(rule: "dfa"), samples: 3)
        let regs = rule.stateRegisters.filter { $0.name.hasPrefix("kernel[") }
        #expect(regs.map(\.name) == ["kernel[core 0, layer 1, block 0]", "kernel[core 1, layer 1, block 0]"])
        #expect(regs.allSatisfy { $0.values.count == 9 && $0.range == -128...127 })
        // A fresh rule on a fresh chip restores them.
        let sim2 = Simulator(chip: try Chip(config: convNet(rule: "dfa")))
        let rule2 = ErrorBroadcastRule(try parameters(convNet(rule: "dfa")))
        try sim2.attach(rule: rule2)
        #expect(convKernels(sim2) != convKernels(sim))
        rule2.restoreState(rule.stateRegisters)
        #expect(convKernels(sim2) == convKernels(sim))
        // Memory: each conv core stores 9 weights of 8 bits plus 9 accumulators of 32 bits.
        let core0 = sim.chip.cores[0].populations[0]
        #expect(core0.convBlocks[0].bytes == 9 * 40 / 8)
        // Its traces: one per input axon (all 36 pixels reach channel 0), 1 + 8 bits each.
        let l = core0.learning!
        #expect(l.convAxons == [36])
        #expect(l.memoryBytes == l.post.memoryBytes + (36 * 9 + 7) / 8)
    }
}
