import Testing
@testable import OnChipLearning

// Pair-based STDP on hand-built spike pairs. Traces: 8 bits, decay 1024 (retain 3/4 per
// step, floor), impulse 200, so a trace reads 200, 150, 112, 84 at 0..3 steps after its
// spike (150 * 3/4 = 112.5 -> 112; 112 * 3/4 = 84). Program: LTP 2^-4, LTD 2^-5.

struct OnePairWorld {
    var pre = PreSynapticTraces(count: 1, x1: TraceParameters(bits: 8, decay: 1024, impulse: 200, rounding: .floor))
    var post = PostSynapticState(count: 1, y1: TraceParameters(bits: 8, decay: 1024, impulse: 200, rounding: .floor))
    var block = SynapseBlock(nPre: 1, nPost: 1, weightBits: 8, auxBits: 16)
    var counts = ActionCounts()
    var executed = 0
    let unit = PlasticityUnit()

    init(w: Int16) { block.weights[0] = w }

    /// One step: spike flags, trace update, then the synapse program (the engine's order).
    mutating func step(_ t: Int, preSpike: Bool, postSpike: Bool, program: MicrocodeProgram) {
        pre.spikes[0] = preSpike ? 1 : 0
        post.spikes[0] = postSpike ? 1 : 0
        pre.updateTraces(seed: 1, core: 0, step: t, population: 0, counts: &counts)
        post.updateTraces(seed: 1, core: 0, step: t, population: 1, counts: &counts)
        let run = unit.runSynapseScope(program, block: &block, pre: pre, post: post,
                                       random: MicrocodeRandom(seed: 1, core: 0, step: t, block: 0, scope: .synapse),
                                       counts: &counts)
        executed += run.executed
    }
}

@Suite struct STDPTests {
    let program = STDPRule.program()

    @Test func programIsTenInstructionsGatedOnSpikes() {
        #expect(program.instructions.count == 10)
        #expect(program.gates == [.x0, .y0])
        #expect(program.scope == .synapse)
    }

    @Test func preBeforePostPotentiates() {
        var world = OnePairWorld(w: 10)
        for t in 0...5 { world.step(t, preSpike: t == 0, postSpike: t == 3, program: program) }
        // t=0: x0=1, y1=0 -> dw = 0 - 0 = 0. t=3: y0=1, x1=84 -> dw = floor(84/16) = 5.
        #expect(world.block.weights[0] == 15)
        #expect(world.executed == 2)              // only the two spike steps run
        #expect(world.counts[.plastSynapse] == 2)
        #expect(world.counts[.plastInstr] == 20)
    }

    @Test func postBeforePreDepresses() {
        var world = OnePairWorld(w: 10)
        for t in 0...5 { world.step(t, preSpike: t == 3, postSpike: t == 0, program: program) }
        // t=0: y0=1, x1=0 -> 0. t=3: x0=1, y1=84, y0=0 -> dw = 0 - floor(84/32) = -2.
        #expect(world.block.weights[0] == 8)
    }

    @Test func simultaneousSpikesAndLongerLags() {
        var same = OnePairWorld(w: 0)
        same.step(0, preSpike: true, postSpike: true, program: program)
        // x1 = y1 = 200: dw = floor(200/16) - floor(200/32) = 12 - 6 = 6.
        #expect(same.block.weights[0] == 6)
        var far = OnePairWorld(w: 0)
        for t in 0...6 { far.step(t, preSpike: t == 0, postSpike: t == 6, program: program) }
        // x1: 200,150,112,84,63,47,35 -> dw = floor(35/16) = 2.
        #expect(far.block.weights[0] == 2)
    }

    @Test func weightSaturatesAtWeightBits() {
        var world = OnePairWorld(w: 125)
        world.step(0, preSpike: true, postSpike: true, program: program)   // +6 -> 131 clips to 127
        #expect(world.block.weights[0] == 127)
    }

    @Test func ruleStringCompilesToTheSameUpdate() throws {
        let compiled = try RuleStringCompiler.compile(STDPRule.ruleString())
        let pre = { () -> PreSynapticTraces in
            var p = PreSynapticTraces(count: 8, x1: .unused)
            for i in 0..<8 { p.spikes[i] = Int32(i % 2); p.x1[i] = Int32(i * 31 % 256) }
            return p
        }()
        var post = PostSynapticState(count: 8, y1: .unused)
        for j in 0..<8 { post.spikes[j] = Int32(j / 4); post.y1[j] = Int32(j * 53 % 256) }
        var b1 = SynapseBlock(nPre: 8, nPost: 8)
        for s in 0..<64 { b1.weights[s] = Int16(s * 7 % 256 - 128) }
        var b2 = b1
        var c = ActionCounts()
        let rnd = MicrocodeRandom(seed: 0, core: 0, step: 0, block: 0, scope: .synapse)
        let r1 = PlasticityUnit().runSynapseScope(program, block: &b1, pre: pre, post: post, random: rnd, counts: &c)
        let r2 = PlasticityUnit().runSynapseScope(compiled, block: &b2, pre: pre, post: post, random: rnd, counts: &c)
        #expect(b1.weights == b2.weights)
        #expect(r1.executed == r2.executed)
    }
}
