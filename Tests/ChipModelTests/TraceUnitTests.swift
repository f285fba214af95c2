import Testing
@testable import ChipModel

@Suite struct TraceUnitTests {
    let key = TraceUnit.key(seed: 7, core: 1, step: 2, population: 0, slot: .x1)

    @Test func floorDecayAndImpulseByHand() {
        let p = TraceParameters(bits: 8, decay: 1024, impulse: 20, rounding: .floor)   // retain 3/4
        var x: ContiguousArray<Int32> = [100, 75, 56, 250, 0, 0, 1]
        let s: ContiguousArray<Int32> = [0, 0, 0, 1, 1, 0, 0]
        var c = ActionCounts()
        TraceUnit.update(&x, spikes: s, parameters: p, key: key, counts: &c)
        // 100*3072/4096 = 75; 75 -> 56.25 -> 56; 56 -> 42; 250 -> 187.5 -> 187, +20 = 207;
        // 0 + spike = 20; 0 stays 0 (not counted); 1 -> 0.75 -> 0.
        #expect(Array(x) == [75, 56, 42, 207, 20, 0, 0])
        #expect(c[.traceUpdate] == 6)
        #expect(c[.prngDraw] == 0)
    }

    @Test func impulseSaturatesAtTraceWidth() {
        let p = TraceParameters(bits: 8, decay: 0, impulse: 20, rounding: .floor)
        var x: ContiguousArray<Int32> = [250, 235]
        var c = ActionCounts()
        TraceUnit.update(&x, spikes: [1, 1], parameters: p, key: key, counts: &c)
        #expect(Array(x) == [255, 255])
        let p4 = TraceParameters(bits: 4, decay: 4096, impulse: 15, rounding: .floor)
        var y: ContiguousArray<Int32> = [15, 15]
        TraceUnit.update(&y, spikes: [1, 0], parameters: p4, key: key, counts: &c)
        #expect(Array(y) == [15, 0])   // decay 4096 clears, impulse refills
    }

    @Test func stochasticDecayUsesTopTwelveBitsOfTheDraw() {
        let p = TraceParameters(bits: 8, decay: 2048, impulse: 0, rounding: .stochastic)   // halve
        var x = ContiguousArray<Int32>(repeating: 1, count: 64)
        var c = ActionCounts()
        TraceUnit.update(&x, spikes: ContiguousArray(repeating: 0, count: 64), parameters: p, key: key, counts: &c)
        for i in 0..<64 {
            // p = 2048; result 1 iff r >= 2048, i.e. the draw's top bit is set.
            #expect(x[i] == Int32(key.draw(i) >> 63), "index \(i)")
        }
        #expect(c[.prngDraw] == 64 && c[.traceUpdate] == 64)
    }

    @Test func stochasticDecayIsUnbiased() {
        let p = TraceParameters(bits: 8, decay: 300, impulse: 0, rounding: .stochastic)
        let n = 20000
        var x = ContiguousArray<Int32>(repeating: 37, count: n)
        var c = ActionCounts()
        TraceUnit.update(&x, spikes: ContiguousArray(repeating: 0, count: n), parameters: p, key: key, counts: &c)
        let mean = Double(x.reduce(0, +)) / Double(n)
        let exact = 37.0 * (4096 - 300) / 4096    // 34.29
        #expect(abs(mean - exact) < 0.02)
        #expect(Set(x) == [34, 35])
    }

    @Test func populationsUpdateTheirSlots() {
        var pre = PreSynapticTraces(count: 2, x1: TraceParameters(decay: 0, impulse: 9, rounding: .floor),
                                    x2: TraceParameters(decay: 0, impulse: 4, rounding: .floor))
        pre.spikes = [1, 0]
        var c = ActionCounts()
        pre.updateTraces(seed: 1, core: 0, step: 0, population: 0, counts: &c)
        #expect(Array(pre.x1) == [9, 0] && Array(pre.x2) == [4, 0])
        var post = PostSynapticState(count: 3, y1: TraceParameters(decay: 0, impulse: 3, rounding: .floor))
        post.spikes = [0, 1, 1]
        post.updateTraces(seed: 1, core: 0, step: 0, population: 1, counts: &c)
        #expect(Array(post.y1) == [0, 3, 3] && Array(post.y2) == [0, 0, 0])
        #expect(c[.traceUpdate] == 4)
    }

    /// The chunked population update against `next` element by element, over 700 traces
    /// (three chunks, the last partial) with zero and nonzero traces, with and without spikes;
    /// and its counts against the documented rule (an update per trace with x != 0 or a spike,
    /// a draw per stochastic decay of a nonzero x).
    /// Two densities: about 75 % of traces changing (every chunk takes the contiguous path) and
    /// about 8 % (every chunk lists the changed ones), plus a chunk of each kind in one array.
    @Test(arguments: [0, 1, 2])
    func populationUpdateEqualsScalarFormAndCountsByTheRule(density: Int) {
        let n = 700
        let key = TraceUnit.key(seed: 9, core: 1, step: 3, population: 2, slot: .x1)
        let pattern = RandomKey(seed: 5, stream: .weightInit)
        var x = ContiguousArray<Int32>(repeating: 0, count: n), s = ContiguousArray<Int32>(repeating: 0, count: n)
        for i in 0..<n {
            let d = pattern.draw(i)
            let sparse = density == 1 || (density == 2 && i < 256)
            if sparse {
                x[i] = d % 16 == 0 ? Int32(d >> 56) : 0       // about 6 % nonzero
                s[i] = (d >> 8) % 50 == 0 ? 1 : 0
            } else {
                x[i] = d % 3 == 0 ? 0 : Int32(d >> 56)        // about a third zero
                s[i] = (d >> 8) % 5 == 0 ? 1 : 0
            }
        }
        for rounding in TraceRounding.allCases {
            let p = TraceParameters(decay: 700, impulse: 40, rounding: rounding)
            var expected = x, expectedUpdates: UInt64 = 0, expectedDraws: UInt64 = 0
            for i in 0..<n where x[i] != 0 || s[i] != 0 {
                expected[i] = TraceUnit.next(x[i], spike: s[i] != 0, parameters: p, key: key, index: i)
                expectedUpdates += 1
                if rounding == .stochastic && x[i] != 0 { expectedDraws += 1 }
            }
            var values = x, counts = ActionCounts()
            TraceUnit.update(&values, spikes: s, parameters: p, key: key, counts: &counts)
            #expect(values == expected)
            #expect(counts[.traceUpdate] == expectedUpdates && counts[.prngDraw] == expectedDraws)
            #expect(density == 1 ? expectedUpdates > 20 && expectedUpdates < 100 : expectedUpdates > 300 && expectedUpdates < 650)
        }
    }
}
