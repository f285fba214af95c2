import Testing
@testable import ChipModel

@Suite struct RuleStringTests {
    /// Runs a compiled rule on a single synapse with the given state; returns (w, aux).
    func run(_ rule: String, options: RuleOptions = RuleOptions(), x0: Int32 = 0, x1: Int32 = 0, y0: Int32 = 0,
             y1: Int32 = 0, mod: Int32 = 0, w: Int16 = 0, aux: Int32 = 0) throws -> (Int16, Int32) {
        let p = try RuleStringCompiler.compile(rule, options: options)
        var pre = PreSynapticTraces(count: 1, x1: .unused)
        pre.spikes[0] = x0; pre.x1[0] = x1
        var post = PostSynapticState(count: 1, y1: .unused)
        post.spikes[0] = y0; post.y1[0] = y1; post.modulator[0] = mod
        var b = SynapseBlock(nPre: 1, nPost: 1, weightBits: 9, auxBits: 16)
        b.weights[0] = w; b.aux[0] = aux
        var c = ActionCounts()
        _ = ScalarInterpreter.runSynapseScope(p, block: &b, pre: pre, post: post,
                                              random: MicrocodeRandom(seed: 1, core: 0, step: 0, block: 0, scope: .synapse), counts: &c)
        return (b.weights[0], b.aux[0])
    }

    @Test func pairSTDPStringByHand() throws {
        let rule = "dw = 2^-4 * x1 * y0 - 2^-5 * y1 * x0"
        // floor(100/16) = 6; -floor(70/32) = -floor(2.1875) = -2; 10 + 6 - 2 = 14.
        #expect(try run(rule, x0: 1, x1: 100, y0: 1, y1: 70, w: 10).0 == 14)
        #expect(try run(rule, x0: 0, x1: 100, y0: 1, y1: 70, w: 10).0 == 16)
        #expect(try run(rule, x0: 1, x1: 100, y0: 0, y1: 70, w: 10).0 == 8)
        let p = try RuleStringCompiler.compile(rule)
        #expect(p.gates == [.y0, .x0])
        #expect(p.requires == [])
        #expect(p.scope == .synapse)
        let three = try RuleStringCompiler.compile("dw = -2^-8 * x1 * r0 * mod")
        #expect(three.requires == [.x1, .mod, .r0] && three.gates == [.x1])
    }

    @Test func weightAndTagUseValuesBeforeTheUpdate() throws {
        let rule = "dw = 3 * t * mod * 2^-6\ndt = x1 * y0 - 2^-2 * t"
        // dw = floor(3 * -42 * 5 / 64) = floor(-9.84) = -10 -> w = 20 - 10 = 10
        // dt = 10 - floor(-42 / 4) = 10 - floor(-10.5) = 10 + 11 = 21 -> t = -42 + 21 = -21
        let (w, t) = try run(rule, x1: 10, y0: 1, mod: 5, w: 20, aux: -42)
        #expect(w == 10 && t == -21)
    }

    @Test func offsetsSignsAndConstants() throws {
        #expect(try run("dw = (x1 - 10) * sgn(w)", x1: 4, w: -3).0 == 3)       // (4-10) * -1 = 6
        #expect(try RuleStringCompiler.compile("dw = (x1 - 10) * sgn(w)").gates == [.w])
        #expect(try run("dw = 1", w: 5).0 == 6)
        #expect(try RuleStringCompiler.compile("dw = 1 + x1").gates == [])          // constant term: no gate
        #expect(try run("dw = -2 * 2^1 * y1", y1: 3, w: 0).0 == -12)
        #expect(try run("dw = 2^3 * y1", y1: 100, w: 0).0 == 255)                  // 800 saturates to 9 bits
        #expect(try run("dw=+x1;dt=-x1", x1: 7).0 == 7)
        #expect(try run("dw = 2 ^ -1 * u0 * x1 * y1", x1: 6, y1: 3).0 == 9)    // Lava spacing, u0 reads 1
    }

    @Test func fractionBitsWithFloorAndStochasticRounding() throws {
        // 2^-1 * x1 with x1 = 3: exact 1.5. Floor with 4 fraction bits: 24 >> 4 = 1.
        #expect(try run("dw = 2^-1 * x1 + 2^-1 * x1", options: RuleOptions(fractionBits: 4), x1: 3).0 == 3)
        #expect(try run("dw = 2^-2 * x1 + 2^-2 * x1", options: RuleOptions(fractionBits: 0), x1: 3).0 == 0)  // floor per term
        #expect(try run("dw = 2^-2 * x1 + 2^-2 * x1", options: RuleOptions(fractionBits: 4), x1: 3).0 == 1)  // 1.5 -> 1
        let p = try RuleStringCompiler.compile("dw = 2^-1 * x1", options: RuleOptions(fractionBits: 4, rounding: .stochastic))
        let n = 2000
        var b = SynapseBlock(nPre: n, nPost: 1, weightBits: 8, auxBits: 0)
        var pre = PreSynapticTraces(count: n, x1: .unused)
        for i in 0..<n { pre.x1[i] = 3 }
        var c = ActionCounts()
        _ = PlasticityUnit().runSynapseScope(p, block: &b, pre: pre, post: PostSynapticState(count: 1, y1: .unused),
                                             random: MicrocodeRandom(seed: 2, core: 0, step: 0, block: 0, scope: .synapse), counts: &c)
        #expect(Set(b.weights) == [1, 2])
        #expect(abs(Double(b.weights.reduce(0) { $0 + Int($1) }) / Double(n) - 1.5) < 0.05)
    }

    @Test func derivedGatesNeverChangeResults() throws {
        // Skipping is sound: the gated program equals the same program run on every synapse.
        let rules = ["dw = 2^-4 * x1 * y0 - 2^-5 * y1 * x0", "dw = mod * x1 * 2^-7; dt = -2^-3 * t + x0 * y1",
                     "dw = -2^-6 * x1 * r0 * mod", "dw = x1 * mod - 2^-2 * x1 * y1 * mod",
                     "dw = sgn(mod) * (y1 + 3) * x0", "dt = r0 * x1 * 2^-2 - y0 * w"]
        var rng = TestRNG(99)
        for rule in rules {
            for opts in [RuleOptions(), RuleOptions(fractionBits: 6, rounding: .stochastic)] {
                let gated = try RuleStringCompiler.compile(rule, options: opts)
                #expect(!gated.gates.isEmpty, "\(rule)")
                var ungated = gated; ungated.gates = []; ungated.requires = []
                let pre = RandomPrograms.randomPre(6, bits: 8, rng: &rng)
                let post = RandomPrograms.randomPost(5, bits: 8, rng: &rng)
                var b1 = RandomPrograms.randomBlock(nPre: 6, nPost: 5, weightBits: 8, auxBits: 16, rng: &rng)
                var b2 = b1
                var c1 = ActionCounts(), c2 = ActionCounts()
                let rnd = MicrocodeRandom(seed: 3, core: 0, step: 0, block: 0, scope: .synapse)
                _ = PlasticityUnit().runSynapseScope(gated, block: &b1, pre: pre, post: post, random: rnd, counts: &c1)
                _ = ScalarInterpreter.runSynapseScope(ungated, block: &b2, pre: pre, post: post, random: rnd, counts: &c2)
                #expect(b1.weights == b2.weights && b1.aux == b2.aux, "\(rule)")
                #expect(c1[.plastSynapse] <= c2[.plastSynapse])
            }
        }
    }

    func column(_ rule: String) -> (Int, Int, String)? {
        do { _ = try RuleStringCompiler.compile(rule, file: "rule"); return nil }
        catch let ChipError.syntax(_, line, column, message) { return (line, column, message) }
        catch { return nil }
    }

    @Test func errorsGiveTheColumnOfTheBadToken() {
        #expect(column("dw = 2^-4 * x1 * z9")?.1 == 18)
        #expect(column("dd = x1")?.1 == 1)
        #expect(column("dd = x1")?.2.contains("delay") == true)
        #expect(column("dw = 3^2 * x1")?.1 == 6)
        #expect(column("dw = x1 y1")?.1 == 9)
        #expect(column("dx = 1")?.1 == 1)
        #expect(column("dw = x1 *")?.1 == 10)
        #expect(column("dw x1")?.1 == 4)
        #expect(column("dw = (x1 * 2)")?.1 == 10)
        let e = column("dw = x1\ndt = y1 + + 2")
        #expect(e?.0 == 2 && e?.1 == 11)
        #expect(column("dw = x1; dw = y1")?.1 == 10)
        #expect(column("")?.2.contains("empty") == true)
        #expect(column("dw = 2^-40 * x1")?.1 == 6)
        #expect(column("dw = 0.1 * x1")?.1 == 6)
        #expect(column("dw = 0.1 * x1")?.2.contains("decimal") == true)
    }
}
