import Testing
@testable import ChipModel

@Suite struct EngineTests {
    /// input(2) -> a(1) -> b(1); explicit weights; instantaneous current, no leak.
    func chain(exponent: Int = 0, weights: String = "[[3], [2]]", vth: Int = 1) throws -> ExperimentConfig {
        try config("""
        {"chip": {"meshWidth": 2, "core": {"neurons": 1}},
         "network": {"layers": [{"name": "in", "kind": "input", "size": 2},
                                {"name": "a", "size": 1, "neuron": {"du": 4095, "dv": 4095, "vth": \(vth)}},
                                {"name": "b", "size": 1, "neuron": {"du": 4095, "dv": 4095, "vth": 1}}],
                     "connections": [{"from": "in", "to": "a", "weightExponent": \(exponent), "weights": \(weights)},
                                     {"from": "a", "to": "b", "weights": [[2]]}]},
         "run": {"steps": 4}}
        """)
    }

    @Test func oneStepSynapticDelayPerLayer() throws {
        let sim = Simulator(chip: try Chip(config: chain()))
        var trace: [(Int, [Int32], [Int32])] = []
        sim.onStep = { _, t in trace.append((t, Array(sim.spikesEmitted(layer: 1)), Array(sim.spikesEmitted(layer: 2)))) }
        sim.run(source: ListSource(channels: 2, spikes: [[[0, 1]]]))
        // Input spikes at step 0 -> a integrates at step 1: u = 5 << 6 = 320; dv = 4095:
        // v = 0 * 1/4096 + 320 = 320 > 64 -> a spikes at step 1; b spikes at step 2.
        #expect(trace.map { $0.1 } == [[], [0], [], []])
        #expect(trace.map { $0.2 } == [[], [], [0], []])
        #expect(sim.samples[0].prediction == 0)
        // Synops: step 1: 2 input spikes x 1 = 2; step 2: 1 spike of a x 1.
        #expect(sim.totalCounts[.synop] == 3)
    }

    @Test func weightExponentShiftsTheSumWithFloor() throws {
        // Sum 3 + 2 = 5; exponent -1 -> floor(5 / 2) = 2 -> u = 2 << 6 = 128.
        let pos = Simulator(chip: try Chip(config: chain(exponent: -1, vth: 1000)))
        pos.run(source: ListSource(channels: 2, spikes: [[[0, 1]]]))
        #expect(pos.chip.cores[0].populations[0].state.u[0] == 0)  // step 3: no more input
        var uSeen: [Int32] = []
        let s2 = Simulator(chip: try Chip(config: chain(exponent: -1, vth: 1000)))
        s2.onStep = { _, _ in uSeen.append(s2.chip.cores[0].populations[0].state.u[0]) }
        s2.run(source: ListSource(channels: 2, spikes: [[[0, 1]]]))
        #expect(uSeen == [0, 128, 0, 0])
        // Sum -3 + -2 = -5; exponent -1 -> floor(-2.5) = -3 -> u = -192.
        var uNeg: [Int32] = []
        let s3 = Simulator(chip: try Chip(config: chain(exponent: -1, weights: "[[-3], [-2]]", vth: 1000)))
        s3.onStep = { _, _ in uNeg.append(s3.chip.cores[0].populations[0].state.u[0]) }
        s3.run(source: ListSource(channels: 2, spikes: [[[0, 1]]]))
        #expect(uNeg == [0, -192, 0, 0])
        // Exponent +2: 5 << 2 = 20 -> u = 1280.
        var uUp: [Int32] = []
        let s4 = Simulator(chip: try Chip(config: chain(exponent: 2, vth: 1000)))
        s4.onStep = { _, _ in uUp.append(s4.chip.cores[0].populations[0].state.u[0]) }
        s4.run(source: ListSource(channels: 2, spikes: [[[0, 1]]]))
        #expect(uUp == [0, 1280, 0, 0])
    }

    @Test func routingPlaceholderCountsClosedFormHopsAndCycles() throws {
        // a is on core 0 (tile 0,0), b on core 1 (tile 1,0): a's spike crosses one east-west hop.
        let sim = Simulator(chip: try Chip(config: chain()))
        sim.run(source: ListSource(channels: 2, spikes: [[[0, 1]]]))
        let c = sim.totalCounts
        #expect(c[.hopEW] == 1 && c[.hopNS] == 0 && c[.spikeLocal] == 0)
        // Cycles by hand (defaults: synop 4, spikeIn 2, active 8, idle 5, hopEW 4, barrier 113 + 35 * 1):
        // step 0: both cores idle: 5 each -> max 5; + barrier 148 = 153
        // step 1: core 0: delivery 2 spikes * 2 + 2 synops * 4 = 12, active 8 -> 20; core 1: idle 5.
        //         routing: a spiked -> 1 hop * 4 = 4. 20 + 4 + 148 = 172
        // (idle is judged on the state before the update: u, v, refractory and input all zero)
        // step 2: core 0: a's u is 320 from step 1 -> active 8;
        //         core 1: delivery 1 * 2 + 1 * 4 = 6, active 8 -> 14. max 14; b spikes: no targets. 14 + 148 = 162
        // step 3: core 0: a's u = 0, v = 0 -> idle 5; core 1: b's u is 128 from step 2 -> active 8.
        //         8 + 148 = 156
        #expect(sim.totals.cycles == 153 + 172 + 162 + 156)
        #expect(sim.totals.cyclesByPhase[Phase.routing.rawValue] == 4)
        #expect(sim.totals.cyclesByPhase[Phase.barrier.rawValue] == 4 * 148)
        #expect(c[.barrier] == 4 * 2)
    }

    @Test func sameSeedSameResultsAndSplitDoesNotChangeWeights() throws {
        let text = { (neurons: Int) in """
        {"seed": 5, "chip": {"meshWidth": 4, "core": {"neurons": \(neurons)}},
         "network": {"layers": [{"name": "in", "kind": "input", "size": 20}, {"name": "h", "size": 30}],
                     "connections": [{"from": "in", "to": "h", "init": {"kind": "uniform", "low": -50, "high": 70}}]}}
        """ }
        let one = try Chip(config: config(text(30))), split = try Chip(config: config(text(8)))
        #expect(split.cores.count == 4)
        for i in 0..<20 {
            for j in 0..<30 {
                let a = one.cores[0].populations[0].blocks[0].weight(pre: i, post: j)
                let core = split.cores[j / 8], p = core.populations[0]
                #expect(p.blocks[0].weight(pre: i, post: j - p.firstNeuron) == a)
                #expect(a >= -50 && a <= 70)
            }
        }
    }

    @Test func sparseLayoutBytesAndDelivery() throws {
        let c = try config("""
        {"network": {"layers": [{"name": "in", "kind": "input", "size": 3}, {"name": "h", "size": 5}],
                     "connections": [{"from": "in", "to": "h", "layout": "sparse", "weightBits": 6,
                                      "weights": [[1, 0, 0, 2, 0], [0, 0, 0, 0, 0], [0, -3, 0, 0, 4]]}]}}
        """)
        let chip = try Chip(config: c)
        let b = chip.cores[0].populations[0].blocks[0]
        #expect(b.synapseCount == 4)
        // indexBits for 5 posts = 3; (4 * (6 + 3) + 3 * 32 + 7) / 8 = (36 + 96 + 7) / 8 = 17
        #expect(b.bytes == 17)
        var acc = [Int32](repeating: 0, count: 5)
        let synops = acc.withUnsafeMutableBufferPointer { a in
            [Int32(0), 2].withUnsafeBufferPointer { b.deliver(spikes: $0, into: a.baseAddress!) }
        }
        #expect(synops == 4)
        #expect(acc == [1, -3, 0, 2, 4])
    }

    /// Dense delivery (rows taken eight, then four, at a time; eight summed in 16-bit lanes up to
    /// 12-bit weights) against a plain double loop, for 0...9 spikes (every remainder of the
    /// grouping), a repeated axon and extreme weights: 9 bits, 12 bits (the widest summed in 16
    /// bits, every weight at -2048 so eight rows reach -16384) and 13 bits (summed in 32).
    @Test(arguments: [9, 12, 13])
    func denseDeliveryEqualsRowByRowSum(weightBits: Int) {
        let nPre = 12, nPost = 37
        let key = RandomKey(seed: 3, stream: .weightInit)
        let wMax = Int(FixedPoint.signedMax(bits: weightBits))
        var w = ContiguousArray<Int16>(repeating: 0, count: nPre * nPost)
        for s in 0..<w.count { w[s] = Int16(Int(key.draw(s) % UInt64(2 * wMax + 1)) - wMax) }
        w[0] = Int16(-wMax - 1); w[1] = Int16(wMax)
        if weightBits == 12 { for s in 0..<w.count { w[s] = -2048 } }
        let block = SynapseBlock(connection: 0, preLayer: 0, nPre: nPre, nPost: nPost, layout: .dense,
                                 weightBits: weightBits, weightExponent: 0, weights: w)
        let order: [Int32] = [0, 11, 3, 3, 7, 1, 10, 5, 2]
        for count in 0...order.count {
            let spikes = Array(order.prefix(count))
            var expected = [Int32](repeating: 5, count: nPost)
            for s in spikes { for j in 0..<nPost { expected[j] += Int32(w[Int(s) * nPost + j]) } }
            var acc = [Int32](repeating: 5, count: nPost)
            let synops = acc.withUnsafeMutableBufferPointer { a in
                spikes.withUnsafeBufferPointer { block.deliver(spikes: $0, into: a.baseAddress!) }
            }
            #expect(acc == expected)
            #expect(synops == count * nPost)
        }
    }
}
