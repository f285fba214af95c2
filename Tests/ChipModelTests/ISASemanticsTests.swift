import Testing
@testable import ChipModel

// Each op against hand-computed values, including the saturation edges. The program loads
// constants, applies one op and stores to r0 (32-bit, so the store itself never clips);
// both interpreters are checked.

@Suite struct ISASemanticsTests {
    static let maxI = Int32.max, minI = Int32.min

    /// Runs `ldi a1, x; ldi a2, y; ldi a3, z; <op>; st r0, a0` on one neuron, both interpreters.
    func eval(_ op: MicrocodeInstruction, _ x: Int32, _ y: Int32 = 0, _ z: Int32 = 0) -> Int32 {
        let p = MicrocodeProgram(scope: .neuron, instructions: [.ldi(1, x), .ldi(2, y), .ldi(3, z), op, .st(.r0, 0)])
        var n1 = PostSynapticState(count: 1, y1: .unused), n2 = n1
        var c1 = ActionCounts(), c2 = ActionCounts()
        let rnd = MicrocodeRandom(seed: 5, core: 0, step: 0, block: 0, scope: .neuron)
        _ = ScalarInterpreter.runNeuronScope(p, neurons: &n1, random: rnd, counts: &c1)
        _ = PlasticityUnit().runNeuronScope(p, neurons: &n2, random: rnd, counts: &c2)
        #expect(n1.r0 == n2.r0)
        return n1.r0[0]
    }

    @Test func addSubSaturate() {
        #expect(eval(.binary(.add, 0, 1, 2), 5, -7) == -2)
        #expect(eval(.binary(.add, 0, 1, 2), Self.maxI, 1) == Self.maxI)
        #expect(eval(.binary(.add, 0, 1, 2), Self.minI, -1) == Self.minI)
        #expect(eval(.binary(.sub, 0, 1, 2), 5, 7) == -2)
        #expect(eval(.binary(.sub, 0, 1, 2), Self.minI, 1) == Self.minI)
        #expect(eval(.binary(.sub, 0, 1, 2), 0, Self.minI) == Self.maxI)
    }

    @Test func mulShiftFloorsAndSaturates() {
        #expect(eval(.mul(0, 1, 2, shift: 4), 100, 3) == 18)      // 300/16 = 18.75 -> 18
        #expect(eval(.mul(0, 1, 2, shift: 4), -100, 3) == -19)    // -18.75 -> floor -19
        #expect(eval(.mul(0, 1, 2, shift: 0), 65536, 65536) == Self.maxI)   // 2^32 clips
        #expect(eval(.mul(0, 1, 2, shift: 1), 65536, 65536) == Self.maxI)   // 2^31 clips
        #expect(eval(.mul(0, 1, 2, shift: 2), 65536, 65536) == 1 << 30)
        #expect(eval(.mul(0, 1, 2, shift: 62), Self.minI, Self.minI) == 1)  // 2^62 >> 62
    }

    @Test func shiftsBothDirections() {
        #expect(eval(.sh(0, 1, 3), 5) == 40)
        #expect(eval(.sh(0, 1, 3), 1 << 29) == Self.maxI)        // 2^32 clips
        #expect(eval(.sh(0, 1, 3), -(1 << 29)) == Self.minI)     // -2^32 clips
        #expect(eval(.sh(0, 1, -2), 7) == 1)
        #expect(eval(.sh(0, 1, -2), -7) == -2)                   // floor(-1.75)
        #expect(eval(.sh(0, 1, -31), Self.minI) == -1)
        #expect(eval(.sh(0, 1, 0), -9) == -9)
    }

    @Test func saturateSignAbsNegMinMaxSelect() {
        #expect(eval(.sat(0, 1, bits: 8), 200) == 127)
        #expect(eval(.sat(0, 1, bits: 8), -200) == -128)
        #expect(eval(.sat(0, 1, bits: 1), 5) == 0)
        #expect(eval(.sat(0, 1, bits: 1), -5) == -1)
        #expect(eval(.sat(0, 1, bits: 32), Self.minI) == Self.minI)
        #expect(eval(.unary(.sign, 0, 1), -9) == -1)
        #expect(eval(.unary(.sign, 0, 1), 0) == 0)
        #expect(eval(.unary(.sign, 0, 1), 9) == 1)
        #expect(eval(.unary(.abs, 0, 1), -9) == 9)
        #expect(eval(.unary(.abs, 0, 1), Self.minI) == Self.maxI)
        #expect(eval(.unary(.neg, 0, 1), Self.minI) == Self.maxI)
        #expect(eval(.unary(.neg, 0, 1), 4) == -4)
        #expect(eval(.binary(.min, 0, 1, 2), -3, 2) == -3)
        #expect(eval(.binary(.max, 0, 1, 2), -3, 2) == 2)
        #expect(eval(.sel(0, 1, 2, 3), 1, 10, 20) == 10)
        #expect(eval(.sel(0, 1, 2, 3), 0, 10, 20) == 20)
        #expect(eval(.sel(0, 1, 2, 3), -5, 10, 20) == 10)
        #expect(eval(.unary(.mov, 0, 2), 0, 42) == 42)
    }

    @Test func stochasticRoundUsesTheDocumentedDraw() {
        // sround a0, a1, 4 at pc 3 for element 0: floor((x + (draw & 15)) / 16).
        let rnd = MicrocodeRandom(seed: 5, core: 0, step: 0, block: 0, scope: .neuron)
        let r = Int32(rnd.roundBase.with(3).draw(0) & 15)
        #expect(eval(.sround(0, 1, shift: 4), 40) == (40 + r) >> 4)
        #expect(eval(.sround(0, 1, shift: 4), 32) == 2)            // exact multiples never move
        #expect(eval(.sround(0, 1, shift: 4), Self.maxI) == (Self.maxI >> 4) + (r > 0 ? 1 : 0))
        let bits = Int32(truncatingIfNeeded: rnd.randBase.with(3).draw(0) >> 54)
        #expect(eval(.rand(0, bits: 10), 0) == bits)
    }

    @Test func stochasticRoundIsUnbiased() {
        // Mean of sround(x, 4) over many elements approaches x / 16.
        let n = 4000
        let p = MicrocodeProgram(scope: .neuron, instructions: [.ldi(1, 40), .sround(0, 1, shift: 4), .st(.r0, 0)])
        var st = PostSynapticState(count: n, y1: .unused)
        var c = ActionCounts()
        _ = PlasticityUnit().runNeuronScope(p, neurons: &st, random: MicrocodeRandom(seed: 1, core: 0, step: 0, block: 0, scope: .neuron), counts: &c)
        let mean = Double(st.r0.reduce(0, +)) / Double(n)
        #expect(abs(mean - 2.5) < 0.05)
        #expect(Set(st.r0) == [2, 3])
        #expect(c[.prngDraw] == UInt64(n))
    }

    @Test func storesSaturateToDestinationWidth() {
        let p = MicrocodeProgram(scope: .neuron, instructions: [.ldi(0, 40000), .st(.mod, 0), .ldi(1, -40000), .st(.r1, 1)])
        var st = PostSynapticState(count: 2, y1: .unused)
        var c = ActionCounts()
        _ = ScalarInterpreter.runNeuronScope(p, neurons: &st, random: MicrocodeRandom(seed: 1, core: 0, step: 0, block: 0, scope: .neuron), counts: &c)
        #expect(Array(st.modulator) == [32767, 32767])
        #expect(Array(st.r1) == [-40000, -40000])
        #expect(c[.plastInstr] == 8)
        // Synapse stores: weight to weightBits, aux to auxBits.
        let q = MicrocodeProgram(scope: .synapse, instructions: [.ldi(0, -1000), .st(.w, 0), .st(.aux, 0)])
        var b = SynapseBlock(nPre: 1, nPost: 1, weightBits: 6, auxBits: 9)
        _ = PlasticityUnit().runSynapseScope(q, block: &b, pre: PreSynapticTraces(count: 1, x1: .unused),
                                             post: PostSynapticState(count: 1, y1: .unused),
                                             random: MicrocodeRandom(seed: 1, core: 0, step: 0, block: 0, scope: .synapse), counts: &c)
        #expect(b.weights[0] == -32 && b.aux[0] == -256)
    }

    @Test func validationRejectsScopeViolations() {
        #expect(MicrocodeProgram(scope: .neuron, instructions: [.ld(0, .x1)]).validationError() != nil)
        #expect(MicrocodeProgram(scope: .synapse, instructions: [.st(.mod, 0)]).validationError() != nil)
        #expect(MicrocodeProgram(scope: .neuron, instructions: [.st(.w, 0)]).validationError() != nil)
        #expect(MicrocodeProgram(scope: .synapse, instructions: [.sh(0, 0, 40)]).validationError() != nil)
        #expect(MicrocodeProgram(scope: .synapse, instructions: [.init(.add, d: 9)]).validationError() != nil)
        #expect(MicrocodeProgram(scope: .neuron, gates: [.w], instructions: []).validationError() != nil)
    }

    @Test func memoryFunctions() {
        let b = SynapseBlock(nPre: 784, nPost: 500, weightBits: 8, auxBits: 16)
        #expect(b.memoryBytes == 784 * 500 * 3)
        let pre = PreSynapticTraces(count: 10, x1: TraceParameters(decay: 1, impulse: 1))
        #expect(pre.memoryBytes == (10 * 9 + 7) / 8)
        let post = PostSynapticState(count: 4, y1: TraceParameters(decay: 1, impulse: 1),
                                     y2: TraceParameters(bits: 7, decay: 1, impulse: 1))
        #expect(post.memoryBytes == 4 * (1 + 8 + 7 + 16 + 128) / 8)
        #expect(MicrocodeProgram(scope: .synapse, instructions: [.ldi(0, 1), .st(.w, 0)]).memoryBytes == 16)
    }
}
