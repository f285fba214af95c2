import Testing
@testable import ChipModel

@Suite struct AssemblerTests {
    @Test func assemblesEveryFormWithConstantsAndComments() throws {
        let src = """
            ; a program using every instruction form
            .scope synapse   # trailing comment
            .const LR 4
            .const NEG -0x10
            .gate x1, y1
            .gate mod
            ld a0, x1
            ldi a1, NEG
            ldi a2, -LR
            rand a3, 5
            mov a4, a0
            add a5, a0, a1
            mul a6, a0, a1, LR
            sh a7, a6, -3
            sat a0, a7, 9
            sel a1, a0, a2, a3
            sround a2, a1, 2
            sign a3, a2
            st w, a3
            st aux, a0
            """
        let p = try MicrocodeAssembler.assemble(src, file: "t.mc")
        #expect(p.scope == .synapse)
        #expect(p.gates == [.x1, .y1, .mod])
        #expect(p.instructions.count == 14)
        #expect(p.instructions[0] == .ld(0, .x1))
        #expect(p.instructions[1] == .ldi(1, -16))
        #expect(p.instructions[2] == .ldi(2, -4))
        #expect(p.instructions[6] == .mul(6, 0, 1, shift: 4))
        #expect(p.instructions[7] == .sh(7, 6, -3))
        #expect(p.instructions[9] == .sel(1, 0, 2, 3))
        #expect(p.instructions[12] == .st(.w, 3))
    }

    @Test func disassemblyRoundTripsRandomPrograms() throws {
        var rng = TestRNG(4242)
        for _ in 0..<200 {
            let scope: MicrocodeScope = rng.chance(0.5) ? .neuron : .synapse
            let p = RandomPrograms.make(scope: scope, length: rng.int(0...30), rng: &rng)
            let text = MicrocodeAssembler.disassemble(p)
            #expect(try MicrocodeAssembler.assemble(text) == p, "\(text)")
        }
    }

    func error(_ src: String) -> (Int, Int, String)? {
        do { _ = try MicrocodeAssembler.assemble(src, file: "bad.mc"); return nil }
        catch let ChipError.syntax(file, line, column, message) {
            #expect(file == "bad.mc")
            return (line, column, message)
        } catch { return nil }
    }

    @Test func errorsNameLineAndColumn() {
        var e = error(".scope synapse\nld a0, x9")
        #expect(e?.0 == 2 && e?.1 == 8 && e?.2.contains("unknown source") == true)
        e = error(".scope synapse\n  frob a0")
        #expect(e?.0 == 2 && e?.1 == 3 && e?.2.contains("unknown instruction") == true)
        e = error(".scope neuron\nld a0, x1")
        #expect(e?.0 == 2 && e?.1 == 8 && e?.2.contains("not readable") == true)
        e = error(".scope synapse\nst mod, a0")
        #expect(e?.0 == 2 && e?.1 == 4 && e?.2.contains("not writable") == true)
        e = error(".scope synapse\nsh a0, a1, 40")
        #expect(e?.0 == 2 && e?.1 == 12 && e?.2.contains("outside") == true)
        e = error(".scope synapse\nadd a0, a1")
        #expect(e?.0 == 2 && e?.1 == 11 && e?.2.contains("takes 3 operands") == true)
        e = error(".scope synapse\nadd a0, a9, a1")
        #expect(e?.0 == 2 && e?.1 == 9)
        e = error(".scope synapse\nldi a0, LR")
        #expect(e?.0 == 2 && e?.1 == 9 && e?.2.contains("unknown constant") == true)
        e = error("ld a0, x1")
        #expect(e?.0 == 1 && e?.1 == 1 && e?.2.contains(".scope") == true)
        e = error(".scope synapse\n.const a0 3")
        #expect(e?.0 == 2 && e?.1 == 8)
        e = error(".scope synapse\nldi a0, 3 $")
        #expect(e?.0 == 2 && e?.1 == 11 && e?.2.contains("unexpected character") == true)
        e = error(".scope synapse\nadd a0, a1,")
        #expect(e?.0 == 2 && e?.1 == 12)
        e = error(".scope sideways")
        #expect(e?.0 == 1 && e?.1 == 8)
        e = error("")
        #expect(e?.2.contains("missing") == true)
    }
}

@Suite struct DocumentedProgramTests {
    /// The OPZO sketches of docs/MICROCODE.md assemble, and the momentum update matches
    /// M' = M - sround(M / 2^K) + floor(o * z / 2^S) computed by hand.
    @Test func opzoFeedbackMomentumByHand() throws {
        let p = try MicrocodeAssembler.assemble("""
            .scope synapse
            .const K 17
            .const S 4
            .gate aux, x2
            ld a0, aux
            sround a1, a0, K
            sub a0, a0, a1
            ld a2, x2
            ld a3, r1
            mul a2, a2, a3, S
            add a0, a0, a2
            st aux, a0
            """)
        var pre = PreSynapticTraces(count: 2, x1: .unused)
        pre.x2 = [-7, 0]                       // graded payloads o (signed)
        var post = PostSynapticState(count: 1, y1: .unused)
        post.r1 = [100]                        // noise z
        var b = SynapseBlock(nPre: 2, nPost: 1, weightBits: 8, auxBits: 32)
        b.aux = [1 << 20, 0]
        var c = ActionCounts()
        let run = PlasticityUnit().runSynapseScope(p, block: &b, pre: pre, post: post,
            random: MicrocodeRandom(seed: 1, core: 0, step: 0, block: 0, scope: .synapse), counts: &c)
        // Synapse 0: 2^20 / 2^17 = 8 exactly (no rounding); floor(-700 / 16) = -44.
        #expect(b.aux[0] == (1 << 20) - 8 - 44)
        // Synapse 1: M = 0 and o = 0: skipped by the gate.
        #expect(b.aux[1] == 0 && run.executed == 1 && run.skipped == 1)
    }
}

@Suite struct NeuronScopeProgramTests {
    /// Triangular surrogate psi = max(0, W - |v - VTH|) into r0, Rademacher noise +-1 into r1.
    @Test func surrogateAndNoiseByHand() throws {
        let p = try MicrocodeAssembler.assemble("""
            .scope neuron
            .const VTH 6400          ; threshold 100 << 6
            .const W 1024
            ld   a0, v
            ldi  a1, VTH
            sub  a0, a0, a1
            abs  a0, a0
            ldi  a1, W
            sub  a0, a1, a0
            ldi  a2, 0
            max  a0, a0, a2
            st   r0, a0
            rand a3, 1
            sh   a3, a3, 1
            ldi  a4, 1
            sub  a3, a3, a4
            st   r1, a3
            """)
        var n = PostSynapticState(count: 5, y1: .unused)
        n.v = [6400, 6000, 7000, 0, -8_000_000]
        var c = ActionCounts()
        let rnd = MicrocodeRandom(seed: 4, core: 2, step: 9, block: 1, scope: .neuron)
        let run = PlasticityUnit().runNeuronScope(p, neurons: &n, random: rnd, counts: &c)
        // |v - 6400| = 0, 400, 600, 6400, 8006400 -> 1024, 624, 424, 0, 0
        #expect(Array(n.r0) == [1024, 624, 424, 0, 0])
        for j in 0..<5 {
            let bit = Int32(rnd.randBase.with(9).draw(j) >> 63)      // rand at pc 9
            #expect(n.r1[j] == 2 * bit - 1)
        }
        #expect(run.executed == 5 && c[.plastInstr] == 70 && c[.prngDraw] == 5 && c[.plastSynapse] == 0)
    }
}
