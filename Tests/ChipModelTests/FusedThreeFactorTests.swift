import Testing
@testable import ChipModel

// The plasticity unit runs programs of the three-factor form fused (no tiles). It must agree
// with the scalar reference interpreter bit for bit, counts and cycles included, and the
// form must be recognised only where the arithmetic is exactly the template's.
/// Runs `program` on a copy of `block` with the plasticity unit (tiles of 7, so fused and
/// tiled paths meet partial tiles) and with the scalar reference interpreter: weights, aux
/// registers, counts and the run's figures must agree.
func expectUnitAgreesWithScalar(_ program: MicrocodeProgram, block: SynapseBlock, pre: PreSynapticTraces,
                                post: PostSynapticState, trial: Int) {
    let random = MicrocodeRandom(seed: UInt64(trial), core: 1, step: trial, block: 2, scope: .synapse)
    var a = block, b = block
    var ca = ActionCounts(), cb = ActionCounts()
    let ra = PlasticityUnit(tileSize: 7).runSynapseScope(program, block: &a, pre: pre, post: post, random: random, counts: &ca)
    let rb = ScalarInterpreter.runSynapseScope(program, block: &b, pre: pre, post: post, random: random, counts: &cb)
    #expect(a.weights == b.weights && a.aux == b.aux, "trial \(trial)")
    #expect(ca == cb && ra == rb, "trial \(trial)")
}

@Suite struct FusedThreeFactorTests {
    static let variants = [
        // the OPZO programs' text, and the same arithmetic with other registers and factors
        """
        .scope synapse
        .require x1, r3
        ld a0, x1
        ld a1, r3
        mul a0, a0, a1, 0
        sround a0, a0, 5
        ld a1, w
        sub a1, a1, a0
        st w, a1
        """,
        """
        .scope synapse
        .require x1, mod, r2
        ld a4, x1
        ld a7, mod
        mul a2, a7, a4, 0
        sround a3, a2, 11
        ld a0, w
        sub a5, a0, a3
        st w, a5
        """,
        """
        .scope synapse
        .require v
        ld a0, x1
        ld a1, v
        mul a0, a1, a0, 0
        sround a0, a0, 1
        ld a2, w
        sub a2, a2, a0
        st w, a2
        """,
    ]

    @Test(arguments: variants)
    func fusedMatchesTheScalarReference(_ text: String) throws {
        let program = try MicrocodeAssembler.assemble(text)
        #expect(ThreeFactorForm(program) != nil)
        var rng = TestRNG(77)
        for trial in 0..<40 {
            let nPre = rng.int(1...40), nPost = rng.int(1...50), bits = rng.int(2...9)
            var block = SynapseBlock(nPre: nPre, nPost: nPost, weightBits: bits, auxBits: 0)
            for s in 0..<block.weights.count { block.weights[s] = Int16(rng.value(bits: bits, signed: true)) }
            var pre = PreSynapticTraces(count: nPre, x1: .unused)
            for i in 0..<nPre { pre.x1[i] = rng.chance(0.3) ? 0 : rng.value(bits: 16, signed: false) }
            var post = PostSynapticState(count: nPost, y1: .unused)
            for j in 0..<nPost {
                // Factors up to 32 bits so that the product saturates in some trials.
                post.r3[j] = rng.value(bits: trial % 3 == 0 ? 32 : 20, signed: true)
                post.modulator[j] = rng.value(bits: 16, signed: true)
                post.r2[j] = rng.chance(0.5) ? 1 : 0
                post.v[j] = rng.value(bits: 24, signed: true)
            }
            expectUnitAgreesWithScalar(program, block: block, pre: pre, post: post, trial: trial)
        }
    }

    @Test func onlyTheExactFormIsFused() throws {
        func form(_ body: String) throws -> ThreeFactorForm? {
            ThreeFactorForm(try MicrocodeAssembler.assemble(".scope synapse\n" + body))
        }
        let base = ["ld a0, x1", "ld a1, r3", "mul a0, a0, a1, 0", "sround a0, a0, 5", "ld a1, w", "sub a1, a1, a0", "st w, a1"]
        #expect(try form(base.joined(separator: "\n")) != nil)
        // A product shift, a subtraction the other way, a second load into the same register,
        // a store to aux, a presynaptic factor: each changes the arithmetic, none is fused.
        for (k, line) in [(2, "mul a0, a0, a1, 1"), (5, "sub a1, a0, a1"), (1, "ld a0, r3"), (1, "ld a1, x2")] {
            var v = base; v[k] = line
            #expect(try form(v.joined(separator: "\n")) == nil, "\(line)")
        }
        var aux = base; aux[6] = "st aux, a1"
        #expect(try form(aux.joined(separator: "\n")) == nil)
    }
}
