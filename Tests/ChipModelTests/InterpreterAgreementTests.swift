import Testing
@testable import ChipModel

// Property tests: the tiled vector interpreter (PlasticityUnit) must agree bit for bit with
// the scalar reference on random valid programs and random states, counts included.
// Fixed seeds; a tiny tile size forces many tiles, partial tiles and non-contiguous tiles.

struct TestRNG {
    var key: RandomKey
    var n = 0
    init(_ seed: UInt64) { key = RandomKey(seed: seed, stream: .shuffle) }
    mutating func next() -> UInt64 { n += 1; return key.draw(n) }
    mutating func int(_ r: ClosedRange<Int>) -> Int { r.lowerBound + Int(next() % UInt64(r.upperBound - r.lowerBound + 1)) }
    mutating func chance(_ p: Double) -> Bool { Double(next() >> 11) * 0x1.0p-53 < p }
    /// Values that exercise zero, small, and saturation edges.
    mutating func value(bits: Int, signed: Bool) -> Int32 {
        let hi = signed ? FixedPoint.signedMax(bits: bits) : FixedPoint.unsignedMax(bits: bits)
        let lo = signed ? FixedPoint.signedMin(bits: bits) : 0
        switch int(0...5) {
        case 0, 1: return 0
        case 2: return Int32(chance(0.5) ? hi : lo)
        case 3: return Int32(Swift.max(lo, Swift.min(hi, Int64(int(-4...4)))))
        default: return Int32(lo + Int64(next() % UInt64(hi - lo + 1)))
        }
    }
}

enum RandomPrograms {
    static func make(scope: MicrocodeScope, length: Int, rng: inout TestRNG) -> MicrocodeProgram {
        let sources = MicrocodeSource.allCases.filter { $0.readable(in: scope) }
        let dests = MicrocodeDestination.allCases.filter { $0.writable(in: scope) }
        var code: [MicrocodeInstruction] = []
        func r() -> Int { rng.int(0...7) }
        for _ in 0..<length {
            let op = Opcode.allCases[rng.int(0...(Opcode.allCases.count - 1))]
            switch op {
            case .ld: code.append(.ld(r(), sources[rng.int(0...(sources.count - 1))]))
            case .ldi: code.append(.ldi(r(), rng.chance(0.3) ? Int32(truncatingIfNeeded: rng.next()) : Int32(rng.int(-300...300))))
            case .rand: code.append(.rand(r(), bits: rng.int(1...31)))
            case .mov, .sign, .abs, .neg: code.append(.unary(op, r(), r()))
            case .add, .sub, .min, .max: code.append(.binary(op, r(), r(), r()))
            case .mul: code.append(.mul(r(), r(), r(), shift: rng.int(0...40)))
            case .sh: code.append(.sh(r(), r(), rng.int(-31...31)))
            case .sat: code.append(.sat(r(), r(), bits: rng.int(1...32)))
            case .sround: code.append(.sround(r(), r(), shift: rng.int(1...31)))
            case .sel: code.append(.sel(r(), r(), r(), r()))
            case .st: code.append(.st(dests[rng.int(0...(dests.count - 1))], r()))
            case .rad: code.append(.rad(r(), delta: rng.chance(0.2) ? 32767 : rng.int(1...64)))
            case .gau: code.append(.gau(r(), delta: rng.chance(0.2) ? 32767 : rng.int(1...64), clip: rng.chance(0.2) ? 255 : rng.int(1...8)))
            case .srk: code.append(.srk(r(), r(), shift: rng.int(0...62)))
            }
        }
        var gates: [MicrocodeSource] = []
        if rng.chance(0.7) {
            for _ in 0..<rng.int(1...3) {
                let g = sources[rng.int(0...(sources.count - 1))]
                if !gates.contains(g) { gates.append(g) }
            }
        }
        var requires: [MicrocodeSource] = []
        if rng.chance(0.3) {
            for _ in 0..<rng.int(1...2) {
                let g = sources[rng.int(0...(sources.count - 1))]
                if !requires.contains(g) { requires.append(g) }
            }
        }
        return MicrocodeProgram(scope: scope, gates: gates, requires: requires, instructions: code)
    }

    static func randomPre(_ n: Int, bits: Int, rng: inout TestRNG) -> PreSynapticTraces {
        let imp = Int32(FixedPoint.unsignedMax(bits: bits))
        var p = PreSynapticTraces(count: n, x1: TraceParameters(bits: bits, decay: 300, impulse: imp),
                                  x2: TraceParameters(bits: bits, decay: 100, impulse: imp))
        for i in 0..<n {
            p.spikes[i] = rng.chance(0.3) ? 1 : 0
            p.x1[i] = rng.value(bits: bits, signed: false)
            p.x2[i] = rng.value(bits: bits, signed: false)
        }
        return p
    }

    static func randomPost(_ n: Int, bits: Int, rng: inout TestRNG) -> PostSynapticState {
        var p = PostSynapticState(count: n, y1: TraceParameters(bits: bits, decay: 300, impulse: Int32(FixedPoint.unsignedMax(bits: bits))))
        for j in 0..<n {
            p.spikes[j] = rng.chance(0.3) ? 1 : 0
            p.y1[j] = rng.value(bits: bits, signed: false); p.y2[j] = rng.value(bits: bits, signed: false)
            p.y3[j] = rng.value(bits: bits, signed: false)
            p.u[j] = rng.value(bits: 24, signed: true); p.v[j] = rng.value(bits: 24, signed: true)
            p.modulator[j] = rng.value(bits: 16, signed: true)
            p.r0[j] = rng.value(bits: 32, signed: true); p.r1[j] = rng.value(bits: 32, signed: true)
            p.r2[j] = rng.value(bits: 32, signed: true); p.r3[j] = rng.value(bits: 32, signed: true)
        }
        return p
    }

    static func randomBlock(nPre: Int, nPost: Int, weightBits: Int, auxBits: Int, rng: inout TestRNG) -> SynapseBlock {
        var b = SynapseBlock(nPre: nPre, nPost: nPost, weightBits: weightBits, auxBits: auxBits)
        for s in 0..<b.synapseCount {
            b.weights[s] = Int16(rng.value(bits: weightBits, signed: true))
            if auxBits > 0 { b.aux[s] = rng.value(bits: auxBits, signed: true) }
        }
        return b
    }
}

@Suite struct InterpreterAgreementTests {
    @Test func synapseScopeRandomProgramsAgree() {
        var rng = TestRNG(20261123)
        for trial in 0..<300 {
            let nPre = rng.int(1...9), nPost = rng.int(1...9)
            let wBits = rng.int(1...9), auxBits = [0, 1, 8, 16, 24, 32][rng.int(0...5)]
            let traceBits = [1, 7, 8, 12][rng.int(0...3)]
            let program = RandomPrograms.make(scope: .synapse, length: rng.int(1...24), rng: &rng)
            #expect(program.validationError() == nil)
            let pre = RandomPrograms.randomPre(nPre, bits: traceBits, rng: &rng)
            let post = RandomPrograms.randomPost(nPost, bits: traceBits, rng: &rng)
            var b1 = RandomPrograms.randomBlock(nPre: nPre, nPost: nPost, weightBits: wBits, auxBits: auxBits, rng: &rng)
            var b2 = b1
            let random = MicrocodeRandom(seed: UInt64(trial), core: 3, step: trial, block: 1, scope: .synapse)
            var c1 = ActionCounts(), c2 = ActionCounts()
            let lanes = rng.int(1...4)
            let r1 = ScalarInterpreter.runSynapseScope(program, block: &b1, pre: pre, post: post, random: random,
                                                       lanes: lanes, counts: &c1)
            let unit = PlasticityUnit(lanes: lanes, tileSize: rng.int(1...7))
            let r2 = unit.runSynapseScope(program, block: &b2, pre: pre, post: post, random: random, counts: &c2)
            #expect(b1.weights == b2.weights, "trial \(trial)\n\(MicrocodeAssembler.disassemble(program))")
            #expect(b1.aux == b2.aux, "trial \(trial)")
            #expect(r1 == r2, "trial \(trial)")
            #expect(c1 == c2, "trial \(trial)")
            if b1.weights != b2.weights || c1 != c2 { break }
        }
    }

    @Test func largerBlocksExerciseRowSegmentsAndRanges() {
        // Tiles of 16...300 over 20..60 x 20..60 blocks: long row segments (fills/copies),
        // whole-row ranges, and sparse gathers, depending on the gates.
        var rng = TestRNG(555)
        for trial in 0..<40 {
            let nPre = rng.int(20...60), nPost = rng.int(20...60)
            var program = RandomPrograms.make(scope: .synapse, length: rng.int(4...16), rng: &rng)
            if trial < 12 {
                // Directed: every pre and post source flows into the stores.
                let srcs: [MicrocodeSource] = [.x0, .x1, .x2, .y0, .y1, .y2, .y3, .u, .v, .mod, .r0, .r1, .r2, .r3]
                var code: [MicrocodeInstruction] = [.ld(0, .w), .ld(1, .aux)]
                for (k, src) in srcs.enumerated() {
                    code.append(.ld(2, src))
                    code.append(.ldi(3, Int32(k * 7 + 3)))
                    code.append(.mul(2, 2, 3, shift: 0))
                    code.append(.binary(.add, k % 2 == 0 ? 0 : 1, k % 2 == 0 ? 0 : 1, 2))
                }
                code += [.st(.w, 0), .st(.aux, 1)]
                let gateChoices: [[MicrocodeSource]] = [[], [.x1], [.y1], [.x0, .y0], [.w]]
                program = MicrocodeProgram(scope: .synapse, gates: gateChoices[trial % 5],
                                           requires: trial % 3 == 0 ? [.r0] : [], instructions: code)
            }
            let pre = RandomPrograms.randomPre(nPre, bits: 8, rng: &rng)
            let post = RandomPrograms.randomPost(nPost, bits: 8, rng: &rng)
            var b1 = RandomPrograms.randomBlock(nPre: nPre, nPost: nPost, weightBits: 8, auxBits: 16, rng: &rng)
            var b2 = b1
            // Half the trials with rule keys (keyed draws at global indices, filled by row segments).
            let keyed = trial % 2 == 0 ? nil : MicrocodeRandom.KeyedDraws(codeKey: RandomKey(rawValue: UInt64(trial)), roundKey: RandomKey(rawValue: 99),
                                                                          rowStride: nPost + rng.int(0...50), columnOffset: rng.int(0...50))
            let random = MicrocodeRandom(seed: 8, core: 1, step: trial, block: 0, scope: .synapse, keyed: keyed)
            var c1 = ActionCounts(), c2 = ActionCounts()
            let r1 = ScalarInterpreter.runSynapseScope(program, block: &b1, pre: pre, post: post, random: random, counts: &c1)
            let r2 = PlasticityUnit(tileSize: rng.int(16...300)).runSynapseScope(program, block: &b2, pre: pre, post: post,
                                                                                 random: random, counts: &c2)
            #expect(b1.weights == b2.weights && b1.aux == b2.aux, "trial \(trial)\n\(MicrocodeAssembler.disassemble(program))")
            #expect(r1 == r2 && c1 == c2, "trial \(trial)")
            if c1 != c2 || b1.weights != b2.weights { break }
        }
    }

    @Test func keyedDrawsAgreeOnRandomPrograms() {
        // Random programs in which the keyed draws are common, with rule keys (global indices)
        // or without; tiny tiles (per-lane indices) and whole-row tiles (row segments).
        var rng = TestRNG(4242)
        for trial in 0..<200 {
            let nPre = rng.int(1...12), nPost = rng.int(1...40)
            var program = RandomPrograms.make(scope: .synapse, length: rng.int(1...12), rng: &rng)
            if rng.chance(0.5) { program.gates = []; program.requires = [] }
            var code = program.instructions
            for _ in 0..<rng.int(1...4) {
                let r = rng.int(0...7)
                let k: MicrocodeInstruction = [.rad(r, delta: rng.int(1...9)), .gau(r, delta: rng.int(1...64), clip: rng.int(1...8)),
                                               .srk(r, rng.int(0...7), shift: rng.int(0...62))][rng.int(0...2)]
                code.insert(k, at: rng.int(0...code.count))
            }
            code.append(.st(rng.chance(0.5) ? .w : .aux, rng.int(0...7)))
            program.instructions = code
            let keyed = rng.chance(0.25) ? nil : MicrocodeRandom.KeyedDraws(
                codeKey: RandomKey(rawValue: rng.next()), roundKey: RandomKey(rawValue: rng.next()),
                rowStride: nPost + rng.int(0...30), columnOffset: rng.int(0...30))
            let pre = RandomPrograms.randomPre(nPre, bits: 8, rng: &rng)
            let post = RandomPrograms.randomPost(nPost, bits: 8, rng: &rng)
            var b1 = RandomPrograms.randomBlock(nPre: nPre, nPost: nPost, weightBits: rng.int(1...9), auxBits: [0, 8, 16, 32][rng.int(0...3)], rng: &rng)
            var b2 = b1
            let random = MicrocodeRandom(seed: 3, core: 0, step: trial, block: 2, scope: .synapse, keyed: keyed)
            var c1 = ActionCounts(), c2 = ActionCounts()
            let r1 = ScalarInterpreter.runSynapseScope(program, block: &b1, pre: pre, post: post, random: random, counts: &c1)
            let tile = rng.chance(0.5) ? rng.int(1...7) : rng.int(64...1024)
            let r2 = PlasticityUnit(tileSize: tile).runSynapseScope(program, block: &b2, pre: pre, post: post, random: random, counts: &c2)
            #expect(b1.weights == b2.weights && b1.aux == b2.aux, "trial \(trial)\n\(MicrocodeAssembler.disassemble(program))")
            #expect(r1 == r2 && c1 == c2, "trial \(trial)")
            // Neuron scope, the same keyed ops.
            let nprog = MicrocodeProgram(scope: .neuron, instructions: code.dropLast() + [.st(.r1, rng.int(0...7))])
            if nprog.validationError() == nil {
                var p1 = post, p2 = post
                let nr = MicrocodeRandom(seed: 3, core: 0, step: trial, block: 2, scope: .neuron, keyed: keyed)
                var d1 = ActionCounts(), d2 = ActionCounts()
                _ = ScalarInterpreter.runNeuronScope(nprog, neurons: &p1, random: nr, counts: &d1)
                _ = PlasticityUnit(tileSize: rng.int(1...9)).runNeuronScope(nprog, neurons: &p2, random: nr, counts: &d2)
                #expect(p1.r0 == p2.r0 && p1.r1 == p2.r1 && p1.r2 == p2.r2 && p1.modulator == p2.modulator && d1 == d2, "trial \(trial) neuron")
            }
            if b1.weights != b2.weights || c1 != c2 { break }
        }
    }

    @Test func neuronScopeRandomProgramsAgree() {
        var rng = TestRNG(77)
        for trial in 0..<300 {
            let n = rng.int(1...20)
            let program = RandomPrograms.make(scope: .neuron, length: rng.int(1...24), rng: &rng)
            var p1 = RandomPrograms.randomPost(n, bits: 8, rng: &rng)
            var p2 = p1
            let random = MicrocodeRandom(seed: 9, core: 0, step: trial, block: 2, scope: .neuron)
            var c1 = ActionCounts(), c2 = ActionCounts()
            let r1 = ScalarInterpreter.runNeuronScope(program, neurons: &p1, random: random, counts: &c1)
            let r2 = PlasticityUnit(tileSize: rng.int(1...6)).runNeuronScope(program, neurons: &p2, random: random, counts: &c2)
            #expect(p1.modulator == p2.modulator && p1.r0 == p2.r0 && p1.r1 == p2.r1 && p1.r2 == p2.r2 && p1.r3 == p2.r3,
                    "trial \(trial)\n\(MicrocodeAssembler.disassemble(program))")
            #expect(r1 == r2 && c1 == c2, "trial \(trial)")
            if c1 != c2 { break }
        }
    }

    @Test func skippedSynapsesAreNotExecutedNorCounted() throws {
        // Gate x1, y1: synapse (i, j) runs iff x1[i] != 0 or y1[j] != 0.
        let program = try MicrocodeAssembler.assemble("""
            .scope synapse
            .gate x1, y1
            ldi a0, 1
            ld  a1, w
            add a1, a1, a0
            st  w, a1
            """)
        var pre = PreSynapticTraces(count: 3, x1: TraceParameters(decay: 0, impulse: 1))
        var post = PostSynapticState(count: 4, y1: TraceParameters(decay: 0, impulse: 1))
        pre.x1 = [0, 5, 0]
        post.y1 = [0, 0, 7, 0]
        for useFast in [false, true] {
            var block = SynapseBlock(nPre: 3, nPost: 4, weightBits: 8, auxBits: 0)
            var c = ActionCounts()
            let random = MicrocodeRandom(seed: 1, core: 0, step: 0, block: 0, scope: .synapse)
            let run = useFast
                ? PlasticityUnit(tileSize: 5).runSynapseScope(program, block: &block, pre: pre, post: post, random: random, counts: &c)
                : ScalarInterpreter.runSynapseScope(program, block: &block, pre: pre, post: post, random: random, counts: &c)
            // Row 1 fully active (4), rows 0 and 2 only column 2 (1 + 1): 6 executed, 6 skipped.
            let expected: [Int16] = [0, 0, 1, 0,
                                     1, 1, 1, 1,
                                     0, 0, 1, 0]
            #expect(Array(block.weights) == expected)
            #expect(run.executed == 6 && run.skipped == 6)
            #expect(c[.plastSynapse] == 6)
            #expect(c[.plastInstr] == 24)
            #expect(c[.sramReadBits] == 48 && c[.sramWriteBits] == 48)
            #expect(run.cycles == 6 * 4)
        }
    }

    @Test func requiredFactorsSkipWhenAnyIsZero() throws {
        // .require x1, mod: synapse (i, j) runs iff x1[i] != 0 and mod[j] != 0.
        let program = try MicrocodeAssembler.assemble(".scope synapse\n.require x1, mod\nldi a0, 1\nst w, a0")
        var pre = PreSynapticTraces(count: 3, x1: .unused)
        var post = PostSynapticState(count: 2, y1: .unused)
        pre.x1 = [4, 0, 9]
        post.modulator = [0, -3]
        for useFast in [false, true] {
            var block = SynapseBlock(nPre: 3, nPost: 2, weightBits: 8, auxBits: 0)
            var c = ActionCounts()
            let random = MicrocodeRandom(seed: 1, core: 0, step: 0, block: 0, scope: .synapse)
            let run = useFast
                ? PlasticityUnit().runSynapseScope(program, block: &block, pre: pre, post: post, random: random, counts: &c)
                : ScalarInterpreter.runSynapseScope(program, block: &block, pre: pre, post: post, random: random, counts: &c)
            #expect(Array(block.weights) == [0, 1, 0, 0, 0, 1])
            #expect(run.executed == 2 && run.skipped == 4 && c[.plastSynapse] == 2)
        }
    }

    @Test func emptyBlocksAndPopulationsRunNothing() {
        let p = MicrocodeProgram(scope: .synapse, instructions: [.ldi(0, 1), .st(.w, 0)])
        var b = SynapseBlock(nPre: 0, nPost: 3)
        var c = ActionCounts()
        let r = PlasticityUnit().runSynapseScope(p, block: &b, pre: PreSynapticTraces(count: 0, x1: .unused),
                                                 post: PostSynapticState(count: 3, y1: .unused),
                                                 random: MicrocodeRandom(seed: 0, core: 0, step: 0, block: 0, scope: .synapse), counts: &c)
        #expect(r == PlasticityRun() && c == ActionCounts())
        var n = PostSynapticState(count: 0, y1: .unused)
        let q = MicrocodeProgram(scope: .neuron, instructions: [.ldi(0, 1), .st(.mod, 0)])
        #expect(PlasticityUnit().runNeuronScope(q, neurons: &n, random: MicrocodeRandom(seed: 0, core: 0, step: 0, block: 0, scope: .neuron), counts: &c) == PlasticityRun())
    }

    @Test func noGatesRunsEverySynapse() {
        let program = MicrocodeProgram(scope: .synapse, instructions: [.ldi(0, 3), .st(.w, 0)])
        var block = SynapseBlock(nPre: 2, nPost: 3, weightBits: 2, auxBits: 0)
        var c = ActionCounts()
        let run = PlasticityUnit(lanes: 4).runSynapseScope(
            program, block: &block, pre: PreSynapticTraces(count: 2, x1: .unused),
            post: PostSynapticState(count: 3, y1: .unused),
            random: MicrocodeRandom(seed: 0, core: 0, step: 0, block: 0, scope: .synapse), counts: &c)
        #expect(Array(block.weights) == [1, 1, 1, 1, 1, 1])   // 3 saturates to 2-bit max 1
        #expect(run.executed == 6 && run.skipped == 0)
        #expect(run.cycles == 2 * 2)   // ceil(6 / 4) tiles of lanes x 2 cycles
    }
}
