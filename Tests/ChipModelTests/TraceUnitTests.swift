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
}
