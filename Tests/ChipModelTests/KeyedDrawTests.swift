import Testing
@testable import ChipModel

// The keyed draws `rad`, `gau`, `srk` (MicrocodeISA.swift, MicrocodeRandom.swift): each op
// against values computed here from the documented keys and formulas (the Gaussian code with
// floating-point rounding, exact for these magnitudes), both interpreters, default and rule
// keys; the tiled interpreter against the scalar one on random programs in keyed mode; and the
// mapping independence the rule keys exist for.

@Suite struct KeyedDrawTests {
    /// The documented Gaussian code, written independently: six 10-bit fields from bits 4...63,
    /// z = (S - 3069) 23170 / 2^24, delta z rounded half away from zero, clamped to +-clip delta.
    static func gaussianCode(_ draw: UInt64, delta: Int, clip: Int) -> Int64 {
        let S = (0..<6).reduce(0) { $0 + Int((draw >> UInt64(4 + 10 * $1)) & 1023) }
        let z = Double(delta) * Double((S - 3069) * 23170) / 16_777_216
        let r = Int64(z < 0 ? -(-z + 0.5).rounded(.down) : (z + 0.5).rounded(.down))
        return Swift.max(-Int64(clip * delta), Swift.min(Int64(clip * delta), r))
    }

    static let rule = MicrocodeRandom.KeyedDraws(codeKey: RandomKey(seed: 3, stream: .perturbation).with(7),
                                                 roundKey: RandomKey(seed: 3, stream: .stochasticRounding).with(-3),
                                                 rowStride: 11, columnOffset: 4)

    /// Runs `program` on a nPre x nPost block with both interpreters; returns the scalar result
    /// after checking the tiled one equals it (weights, aux, counts, run).
    func run(_ program: MicrocodeProgram, nPre: Int, nPost: Int, keyed: MicrocodeRandom.KeyedDraws?,
             tileSize: Int = 5, weights: [Int16]? = nil) -> (SynapseBlock, ActionCounts) {
        var b1 = SynapseBlock(nPre: nPre, nPost: nPost, weightBits: 9, auxBits: 32)
        if let weights { for k in 0..<weights.count { b1.weights[k] = weights[k] } }
        var b2 = b1
        let random = MicrocodeRandom(seed: 9, core: 2, step: 5, block: 1, scope: .synapse, keyed: keyed)
        var c1 = ActionCounts(), c2 = ActionCounts()
        let pre = PreSynapticTraces(count: nPre, x1: .unused), post = PostSynapticState(count: nPost, y1: .unused)
        let r1 = ScalarInterpreter.runSynapseScope(program, block: &b1, pre: pre, post: post, random: random, counts: &c1)
        let r2 = PlasticityUnit(tileSize: tileSize).runSynapseScope(program, block: &b2, pre: pre, post: post, random: random, counts: &c2)
        #expect(b1.weights == b2.weights && b1.aux == b2.aux && r1 == r2 && c1 == c2)
        return (b1, c1)
    }

    @Test func rademacherIsTheTopBitOfTheRuleKeysDrawAtTheGlobalIndex() {
        let p = MicrocodeProgram(scope: .synapse, instructions: [.rad(0, delta: 3), .st(.aux, 0)])
        let (b, c) = run(p, nPre: 3, nPost: 4, keyed: Self.rule)
        for i in 0..<3 {
            for j in 0..<4 {
                let d = Self.rule.codeKey.draw(i * 11 + 4 + j)
                #expect(Int64(b.aux[i * 4 + j]) == (d >= 1 << 63 ? -3 : 3))
            }
        }
        #expect(Set(b.aux) == [-3, 3])
        #expect(c[.prngDraw] == 12 && c[.plastInstr] == 24)
        // Without rule keys: the per-pc key (stream .plasticity) at the local index.
        let (b0, _) = run(p, nPre: 3, nPost: 4, keyed: nil)
        let base = MicrocodeRandom(seed: 9, core: 2, step: 5, block: 1, scope: .synapse).randBase.with(0)
        for s in 0..<12 { #expect(Int64(b0.aux[s]) == (base.draw(s) >= 1 << 63 ? -3 : 3)) }
    }

    @Test func gaussianCodeRoundsHalfAwayAndClips() {
        for (delta, clip) in [(6, 1), (6, 2), (1, 3), (64, 8), (32767, 255)] {
            let p = MicrocodeProgram(scope: .synapse, instructions: [.gau(5, delta: delta, clip: clip), .st(.aux, 5)])
            let (b, c) = run(p, nPre: 9, nPost: 7, keyed: Self.rule, tileSize: 16)
            var clipped = 0
            for i in 0..<9 {
                for j in 0..<7 {
                    let want = Self.gaussianCode(Self.rule.codeKey.draw(i * 11 + 4 + j), delta: delta, clip: clip)
                    #expect(Int64(b.aux[i * 7 + j]) == want, "delta \(delta) clip \(clip) synapse \(i),\(j)")
                    if abs(want) == Int64(clip * delta) { clipped += 1 }
                }
            }
            if clip == 1 { #expect(clipped > 0) }   // +-6 is about 1 sigma: many of 63 codes clip
            #expect(c[.prngDraw] == 63)
        }
        // The extremes of S: 6138 (every field 1023) and 0.
        let allOnes = UInt64.max
        #expect(ChipModel.gaussianCode(allOnes, delta: 1, limit: 100) == Self.gaussianCode(allOnes, delta: 1, clip: 100))
        #expect(ChipModel.gaussianCode(0, delta: 5, limit: 100) == Self.gaussianCode(0, delta: 5, clip: 100))
        #expect(ChipModel.gaussianCode(0, delta: 5, limit: 100) == -21)   // -3069 23170 5 / 2^24 = -21.19
    }

    @Test func keyedStochasticRoundingUsesTheRoundKey() {
        // srk a1, a0, S on a0 = w: floor((w + (draw mod 2^S)) / 2^S), S = 0 leaves w.
        let w: [Int16] = [-7, -1, 0, 1, 7, 255, -256, 100, 5, 6, 9, 3]
        for s in [0, 1, 3, 31, 40, 62] {
            let p = MicrocodeProgram(scope: .synapse, instructions: [.ld(0, .w), .srk(1, 0, shift: s), .st(.aux, 1)])
            let (b, c) = run(p, nPre: 3, nPost: 4, keyed: Self.rule, weights: w)
            for i in 0..<3 {
                for j in 0..<4 {
                    let d = Self.rule.roundKey.draw(i * 11 + 4 + j)
                    let low = s == 0 ? 0 : Int64(d & ((UInt64(1) << UInt64(s)) - 1))
                    let x = Int64(w[i * 4 + j])
                    // floor division by 2^s, written with Swift's truncating division
                    let sum = x + low, q = sum / (Int64(1) << Int64(s))
                    let want = (sum < 0 && sum % (Int64(1) << Int64(s)) != 0) ? q - 1 : q
                    #expect(Int64(b.aux[i * 4 + j]) == want, "shift \(s) synapse \(i),\(j)")
                }
            }
            #expect(c[.prngDraw] == 12)
        }
        // Without rule keys srk equals sround (same key, same draw) for S in 1...31.
        let a = MicrocodeProgram(scope: .synapse, instructions: [.ld(0, .w), .srk(1, 0, shift: 3), .st(.aux, 1)])
        let b = MicrocodeProgram(scope: .synapse, instructions: [.ld(0, .w), .sround(1, 0, shift: 3), .st(.aux, 1)])
        #expect(run(a, nPre: 3, nPost: 4, keyed: nil, weights: w).0.aux == run(b, nPre: 3, nPost: 4, keyed: nil, weights: w).0.aux)
    }

    @Test func cyclesCountsAndValidation() {
        #expect(Opcode.rad.cycles == 2 && Opcode.gau.cycles == 3 && Opcode.srk.cycles == 2)
        #expect(Opcode.rad.drawsRandom && Opcode.gau.drawsRandom && Opcode.srk.drawsRandom)
        #expect(MicrocodeProgram(scope: .synapse, instructions: [.rad(0, delta: 0)]).validationError() != nil)
        #expect(MicrocodeProgram(scope: .synapse, instructions: [.rad(0, delta: 32768)]).validationError() != nil)
        #expect(MicrocodeProgram(scope: .synapse, instructions: [.gau(0, delta: 4, clip: 0)]).validationError() != nil)
        #expect(MicrocodeProgram(scope: .synapse, instructions: [.srk(0, 1, shift: 63)]).validationError() != nil)
        #expect(MicrocodeProgram(scope: .synapse, instructions: [.srk(0, 1, shift: -1)]).validationError() != nil)
        #expect(MicrocodeProgram(scope: .neuron, instructions: [.gau(0, delta: 4, clip: 3), .srk(1, 0, shift: 62)]).validationError() == nil)
        let p = MicrocodeProgram(scope: .synapse, instructions: [.rad(0, delta: 2), .gau(1, delta: 2, clip: 3), .srk(2, 1, shift: 4), .st(.w, 2)])
        #expect(p.cyclesPerElement == 2 + 3 + 2 + 1)
        #expect(p.registersReadBeforeWritten == [])
    }

    @Test func assemblerSyntaxRoundTrips() throws {
        let p = try MicrocodeAssembler.assemble("""
            .scope synapse
            .const D 6
            rad a0, 4
            gau a1, D, 2
            srk a2, a1, 62
            srk a3, a1, 0
            st  w, a2
            """)
        #expect(p.instructions == [.rad(0, delta: 4), .gau(1, delta: 6, clip: 2), .srk(2, 1, shift: 62), .srk(3, 1, shift: 0), .st(.w, 2)])
        #expect(try MicrocodeAssembler.assemble(MicrocodeAssembler.disassemble(p)) == p)
        for bad in ["rad a0, 0", "gau a0, 4", "gau a0, 4, 256", "srk a0, a1, 63", "rad a0, a1"] {
            #expect(throws: ChipError.self) { try MicrocodeAssembler.assemble(".scope synapse\n" + bad) }
        }
    }

    @Test func ruleKeyedDrawsDoNotDependOnHowALayerIsSplit() {
        // One 5 x 9 block (a layer of 9 neurons, columnOffset 0) against the same layer split into
        // columns 0..<4 and 4..<9 (columnOffset 0 and 4), each with a perturbation program: equal codes.
        let p = MicrocodeProgram(scope: .synapse, instructions: [.gau(0, delta: 5, clip: 3), .ld(1, .w), .add(2, 1, 0), .st(.w, 2)])
        func codes(first: Int, count: Int) -> [Int16] {
            let k = MicrocodeRandom.KeyedDraws(codeKey: Self.rule.codeKey, roundKey: Self.rule.roundKey, rowStride: 9, columnOffset: first)
            return Array(run(p, nPre: 5, nPost: count, keyed: k, tileSize: 3).0.weights)
        }
        let whole = codes(first: 0, count: 9), left = codes(first: 0, count: 4), right = codes(first: 4, count: 5)
        for i in 0..<5 {
            #expect(Array(whole[(i * 9)..<(i * 9 + 4)]) == Array(left[(i * 4)..<(i * 4 + 4)]))
            #expect(Array(whole[(i * 9 + 4)..<(i * 9 + 9)]) == Array(right[(i * 5)..<(i * 5 + 5)]))
        }
    }
}

extension MicrocodeInstruction {
    static func add(_ d: Int, _ a: Int, _ b: Int) -> Self { .binary(.add, d, a, b) }
}
