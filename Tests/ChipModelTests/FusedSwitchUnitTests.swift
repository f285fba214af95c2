import Testing
@testable import ChipModel

/// The switch that turns the fused forms off (`PlasticityUnit(fusedForms: false)`, or
/// CHIPSIM_NO_FUSED=1 for the process): off, the unit recognises neither form and runs both
/// programs on its tile interpreter; on and off, weights, aux registers, counts and the run's
/// figures are the same. (Tests/chipsimTests/FusedSwitchTests.swift trains every shipped rule
/// both ways through the CLI.)
@Suite struct FusedSwitchUnitTests {
    static let threeFactor = """
        .scope synapse
        .require x1, r3
        ld a0, x1
        ld a1, r3
        mul a0, a0, a1, 0
        sround a0, a0, 5
        ld a1, w
        sub a1, a1, a0
        st w, a1
        """
    static let momentum = """
        .scope synapse
        ld a0, aux
        sround a1, a0, 13
        sub a0, a0, a1
        ld a2, x2
        ld a3, r1
        mul a2, a2, a3, 7
        add a0, a0, a2
        st aux, a0
        """

    @Test func offRecognisesNoFormAndOnRecognisesBoth() throws {
        let tf = try MicrocodeAssembler.assemble(FusedSwitchUnitTests.threeFactor)
        let mo = try MicrocodeAssembler.assemble(FusedSwitchUnitTests.momentum)
        let on = PlasticityUnit(fusedForms: true), off = PlasticityUnit(fusedForms: false)
        #expect(on.usesFusedForms && !off.usesFusedForms)
        #expect(on.prepare(tf, scope: .synapse).threeFactor != nil)
        #expect(on.prepare(mo, scope: .synapse).momentum != nil)
        #expect(off.prepare(tf, scope: .synapse).threeFactor == nil)
        #expect(off.prepare(mo, scope: .synapse).momentum == nil)
    }

    @Test(arguments: [threeFactor, momentum])
    func onAndOffAgreeBitForBit(source: String) throws {
        let program = try MicrocodeAssembler.assemble(source)
        var rng = TestRNG(7)
        var executed: UInt64 = 0
        for trial in 0..<20 {
            let nPre = 1 + trial % 9, nPost = 1 + (trial * 5) % 13
            var block = SynapseBlock(nPre: nPre, nPost: nPost, weightBits: 8, auxBits: 16)
            for k in 0..<block.weights.count {
                block.weights[k] = Int16(rng.value(bits: 8, signed: true))
                block.aux[k] = rng.value(bits: 16, signed: true)
            }
            var pre = PreSynapticTraces(count: nPre, x1: .unused)
            for i in 0..<nPre {
                pre.spikes[i] = rng.chance(0.5) ? 1 : 0
                pre.x1[i] = rng.value(bits: 8, signed: false)
                pre.x2[i] = rng.value(bits: 16, signed: true)
            }
            var post = PostSynapticState(count: nPost, y1: .unused)
            for j in 0..<nPost {
                post.r1[j] = rng.value(bits: 16, signed: true)
                post.r3[j] = rng.value(bits: 12, signed: true)
            }
            let random = MicrocodeRandom(seed: UInt64(trial), core: 0, step: trial, block: 1, scope: .synapse)
            var a = block, b = block
            var ca = ActionCounts(), cb = ActionCounts()
            let ra = PlasticityUnit(tileSize: 7, fusedForms: true)
                .runSynapseScope(program, block: &a, pre: pre, post: post, random: random, counts: &ca)
            let rb = PlasticityUnit(tileSize: 7, fusedForms: false)
                .runSynapseScope(program, block: &b, pre: pre, post: post, random: random, counts: &cb)
            #expect(a.weights == b.weights && a.aux == b.aux, "trial \(trial)")
            #expect(ca == cb && ra == rb, "trial \(trial)")
            executed += ca.values[Action.plastSynapse.rawValue]
        }
        #expect(executed > 0, "the program ran")
    }
}
