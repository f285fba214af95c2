import Testing
@testable import ChipModel

// The plasticity unit runs programs of the momentum form fused (no tiles). It must agree with
// the scalar reference interpreter bit for bit, counts and cycles included, and the form must
// be recognised only where the arithmetic is exactly the template's.
@Suite struct FusedMomentumTests {
    static let variants = [
        // OPZO's momentum program (OPZOPrograms.momentum) and the same arithmetic with other
        // registers, operand orders and factors
        """
        .scope synapse
        ld     a0, aux
        sround a1, a0, 13
        sub    a0, a0, a1
        ld     a2, x2
        ld     a3, r1
        mul    a2, a2, a3, 7
        add    a0, a0, a2
        st     aux, a0
        """,
        """
        .scope synapse
        ld     a5, aux
        sround a6, a5, 1
        sub    a7, a5, a6
        ld     a1, x1
        ld     a2, mod
        mul    a3, a2, a1, 0
        add    a4, a3, a7
        st     aux, a4
        """,
        """
        .scope synapse
        ld     a0, aux
        sround a1, a0, 31
        sub    a2, a0, a1
        ld     a0, x0
        ld     a1, v
        mul    a0, a0, a1, 40
        add    a0, a2, a0
        st     aux, a0
        """,
    ]

    @Test(arguments: variants)
    func fusedMatchesTheScalarReference(_ text: String) throws {
        let program = try MicrocodeAssembler.assemble(text)
        #expect(MomentumForm(program) != nil)
        var rng = TestRNG(91)
        for trial in 0..<40 {
            let nPre = rng.int(1...12), nPost = rng.int(1...50)
            // Aux widths from none (loads read 0, stores dropped) to 32 bits, so that the sums
            // saturate to 32 bits and to narrower aux registers in some trials.
            let auxBits = [0, 8, 20, 32][trial % 4]
            var block = SynapseBlock(nPre: nPre, nPost: nPost, weightBits: 8, auxBits: auxBits)
            for s in 0..<block.aux.count { block.aux[s] = rng.value(bits: auxBits, signed: true) }
            var pre = PreSynapticTraces(count: nPre, x1: .unused)
            for i in 0..<nPre {
                pre.spikes[i] = rng.chance(0.5) ? 1 : 0
                pre.x1[i] = rng.value(bits: 16, signed: false)
                pre.x2[i] = rng.value(bits: trial % 3 == 0 ? 32 : 20, signed: true)
            }
            var post = PostSynapticState(count: nPost, y1: .unused)
            for j in 0..<nPost {
                post.r1[j] = rng.value(bits: trial % 3 == 0 ? 32 : 16, signed: true)
                post.modulator[j] = rng.value(bits: 16, signed: true)
                post.v[j] = rng.value(bits: 24, signed: true)
            }
            expectUnitAgreesWithScalar(program, block: block, pre: pre, post: post, trial: trial)
        }
    }

    @Test func onlyTheExactFormIsFused() throws {
        func form(_ lines: [String]) throws -> MomentumForm? {
            MomentumForm(try MicrocodeAssembler.assemble(".scope synapse\n" + lines.joined(separator: "\n")))
        }
        let base = ["ld a0, aux", "sround a1, a0, 13", "sub a0, a0, a1", "ld a2, x2", "ld a3, r1",
                    "mul a2, a2, a3, 7", "add a0, a0, a2", "st aux, a0"]
        #expect(try form(base) != nil)
        // A subtraction the other way, a load over the decayed value, a neuron-side factor
        // where the presynaptic one belongs, a store to w, a gate: each changes the arithmetic
        // or the skip rule, none is fused.
        for (k, line) in [(2, "sub a0, a1, a0"), (3, "ld a0, x2"), (3, "ld a2, r2"), (7, "st w, a0")] {
            var v = base; v[k] = line
            #expect(try form(v) == nil, "\(line)")
        }
        #expect(try form([".gate x2"] + base) == nil)
    }
}
