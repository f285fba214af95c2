import Testing
@testable import OnChipLearning

// R-STDP association demo on a toy 4x2 problem: pattern A = inputs {0, 1} should drive
// output 0, pattern B = inputs {2, 3} output 1. Each trial: step 0 the pattern's inputs
// spike; step 1 the output with the larger drive (sum of active weights + exploration
// noise) spikes (pre-before-post: eligibility grows on the active-input -> winner
// synapses); step 2 the reward (+64 right, -64 wrong) is broadcast to the modulators;
// steps 3..5 quiet (eligibility decays, mod = 0). Weights start at 0.

@Suite struct STDPRewardModulatedTests {
    @Test func programShape() {
        let p = RSTDPRule.program()
        #expect(p.instructions.count == 18)
        #expect(p.gates == [.x0, .y0, .aux])
    }

    @Test func eligibilityThenRewardByHand() {
        // One synapse, floor traces impulse 100 retain 3/4; eligibility decay 2^-3 (stochastic
        // on e = 75: 75/8 = 9.375 -> 9 or 10), reward 64, MOD_SHIFT 8.
        let p = RSTDPRule.program()
        var pre = PreSynapticTraces(count: 1, x1: TraceParameters(decay: 1024, impulse: 100, rounding: .floor))
        var post = PostSynapticState(count: 1, y1: TraceParameters(decay: 1024, impulse: 100, rounding: .floor))
        var b = SynapseBlock(nPre: 1, nPost: 1, weightBits: 8, auxBits: 16)
        var c = ActionCounts()
        let unit = PlasticityUnit()
        func step(_ t: Int, x0: Int32, y0: Int32, mod: Int32) {
            pre.spikes[0] = x0; post.spikes[0] = y0; post.modulator[0] = mod
            pre.updateTraces(seed: 1, core: 0, step: t, population: 0, counts: &c)
            post.updateTraces(seed: 1, core: 0, step: t, population: 1, counts: &c)
            _ = unit.runSynapseScope(p, block: &b, pre: pre, post: post,
                                     random: MicrocodeRandom(seed: 1, core: 0, step: t, block: 0, scope: .synapse), counts: &c)
        }
        step(0, x0: 1, y0: 0, mod: 0)     // stdp = 0 - y1*x0 = 0 (y1 = 0): e = 0
        #expect(b.aux[0] == 0 && b.weights[0] == 0)
        step(1, x0: 0, y0: 1, mod: 0)     // stdp = x1 * y0 = 75: e = 75, w += 0 * 75
        #expect(b.aux[0] == 75 && b.weights[0] == 0)
        step(2, x0: 0, y0: 0, mod: 64)    // e = 75 - (9 or 10) = 66 or 65; dw = floor(64 e / 256) = 16
        #expect(b.aux[0] == 65 || b.aux[0] == 66)
        #expect(b.weights[0] == 16)
    }

    @Test func weightsMoveTowardTheRewardedAssociation() {
        let nIn = 4, nOut = 2
        let program = RSTDPRule.program()
        var pre = PreSynapticTraces(count: nIn, x1: TraceParameters(decay: 1024, impulse: 100, rounding: .stochastic))
        var post = PostSynapticState(count: nOut, y1: TraceParameters(decay: 1024, impulse: 100, rounding: .stochastic))
        var block = SynapseBlock(nPre: nIn, nPost: nOut, weightBits: 8, auxBits: 16)
        var counts = ActionCounts()
        let unit = PlasticityUnit()
        let noise = RandomKey(seed: 11, stream: .neuronNoise)
        var t = 0
        var correctLate = 0
        func runStep(spikesIn: [Int32], spikesOut: [Int32], reward: Int64) {
            pre.spikes = ContiguousArray(spikesIn); post.spikes = ContiguousArray(spikesOut)
            post.broadcastModulator(reward)
            pre.updateTraces(seed: 5, core: 0, step: t, population: 0, counts: &counts)
            post.updateTraces(seed: 5, core: 0, step: t, population: 1, counts: &counts)
            _ = unit.runSynapseScope(program, block: &block, pre: pre, post: post,
                                     random: MicrocodeRandom(seed: 5, core: 0, step: t, block: 0, scope: .synapse),
                                     counts: &counts)
            t += 1
        }
        let trials = 120
        for trial in 0..<trials {
            let pattern = trial % 2                      // 0: A, 1: B
            let active = pattern == 0 ? [0, 1] : [2, 3]
            var drive = [Int](repeating: 0, count: nOut)
            for j in 0..<nOut {
                for i in active { drive[j] += Int(block.weights[i * nOut + j]) }
                drive[j] += Int(noise.draw(trial * nOut + j) % 41) - 20   // exploration noise in -20...20
            }
            let winner = drive[0] >= drive[1] ? 0 : 1
            if trial >= trials - 20 && winner == pattern { correctLate += 1 }
            let inputs = (0..<nIn).map { active.contains($0) ? Int32(1) : 0 }
            runStep(spikesIn: inputs, spikesOut: [0, 0], reward: 0)
            runStep(spikesIn: [0, 0, 0, 0], spikesOut: (0..<nOut).map { $0 == winner ? 1 : 0 }, reward: 0)
            runStep(spikesIn: [0, 0, 0, 0], spikesOut: [0, 0], reward: winner == pattern ? 64 : -64)
            for _ in 0..<3 { runStep(spikesIn: [0, 0, 0, 0], spikesOut: [0, 0], reward: 0) }
        }
        let w = { (i: Int, j: Int) in Int(block.weights[i * nOut + j]) }
        for i in 0..<2 { #expect(w(i, 0) > w(i, 1) + 40, "input \(i): \(w(i, 0)) vs \(w(i, 1))") }
        for i in 2..<4 { #expect(w(i, 1) > w(i, 0) + 40, "input \(i): \(w(i, 1)) vs \(w(i, 0))") }
        #expect(correctLate == 20)
        #expect(counts[.plastSynapse] > 0 && counts[.prngDraw] > 0)
    }
}
