import Testing
@testable import ChipModel

// LIF sequences against values computed by hand from the formulas in LIFModel.swift /
// docs/SEMANTICS.md. Each expected number is worked out in the comment beside it.

private func run(_ p: LIFParameters, inputs: [Int64], u0: Int32 = 0, v0: Int32 = 0)
    -> (u: [Int32], v: [Int32], spikes: [Bool]) {
    var u = u0, v = v0, r: Int32 = 0
    let d = LIFDerived(p)
    var us: [Int32] = [], vs: [Int32] = [], ss: [Bool] = []
    for a in inputs {
        let s = LIFModel.update(u: &u, v: &v, refractoryLeft: &r, aIn: a, d)
        us.append(u); vs.append(v); ss.append(s)
    }
    return (us, vs, ss)
}

@Suite struct LIFModelTests {
    @Test func instantaneousCurrentIntegratesIntoVoltageUntilThreshold() {
        // du = 4095: u' = u * 0 / 4096 + (3 << 6) = 192 every step. dv = 0: v accumulates.
        // v: 192, 384, 576, 768 > 640 (= 10 << 6) -> spike at the 4th step, v = 0; then 192.
        let r = run(LIFParameters(du: 4095, dv: 0, vth: 10), inputs: [3, 3, 3, 3, 3])
        #expect(r.u == [192, 192, 192, 192, 192])
        #expect(r.v == [192, 384, 576, 0, 192])
        #expect(r.spikes == [false, false, false, true, false])
    }

    @Test func thresholdEqualityDoesNotSpike() {
        // vth = 1 -> threshold 64; input 1 -> u = 64. Step 1: v = 64 == 64: no spike.
        // Step 2: v = 128 > 64: spike, v = 0.
        let r = run(LIFParameters(du: 4095, dv: 0, vth: 1), inputs: [1, 1])
        #expect(r.v == [64, 0])
        #expect(r.spikes == [false, true])
    }

    @Test func currentDecayTruncatesTowardZero() {
        // du = 0 -> factor 4096 - 1 = 4095. u = 1000: 1000 * 4095 / 4096 = 999.76 -> 999.
        // u = -1000 -> -999 (toward zero, not floor -1000). u = 1: 4095/4096 -> 0.
        for (u0, expected) in [(Int32(1000), Int32(999)), (-1000, -999), (1, 0), (-1, 0), (4096, 4095)] {
            let r = run(LIFParameters(du: 0, dv: 4095, vth: 131_071), inputs: [0], u0: u0)
            #expect(r.u[0] == expected, "u0 \(u0)")
        }
    }

    @Test func voltageDecay() {
        // dv = 1024: v = 10000 * 3072 / 4096 = 7500; v = -10001 * 3072 / 4096 = -7500.75 -> -7500.
        let a = run(LIFParameters(du: 4095, dv: 1024, vth: 131_071), inputs: [0], v0: 10000)
        #expect(a.v[0] == 7500)
        let b = run(LIFParameters(du: 4095, dv: 1024, vth: 131_071), inputs: [0], v0: -10001)
        #expect(b.v[0] == -7500)
    }

    @Test func currentWrapsAt24Bits() {
        // du = 0: 8388000 * 4095 / 4096 = 8385952.15 -> 8385952; + (100 << 6) = 8392352,
        // above 2^23 - 1 = 8388607, wraps: 8392352 - 2^24 = -8384864.
        let r = run(LIFParameters(du: 0, dv: 0, vth: 131_071), inputs: [100], u0: 8_388_000)
        #expect(r.u[0] == -8_384_864)
        // and the negative side: -8388000 -> -8385952; - 6400 = -8392352 -> + 2^24 = 8384864.
        let n = run(LIFParameters(du: 0, dv: 4095, vth: 131_071), inputs: [-100], u0: -8_388_000)
        #expect(n.u[0] == 8_384_864)
    }

    @Test func voltageSaturatesSymmetrically() {
        // dv = 0, du = 4095: u = -200000 << 6 ... use a_in = -100000: u = -6400000.
        // v0 = -8000000: v = -8000000 - 6400000 = -14400000 -> clipped to -(2^23 - 1) = -8388607.
        let r = run(LIFParameters(du: 4095, dv: 0, vth: 131_071), inputs: [-100_000], v0: -8_000_000)
        #expect(r.u[0] == -6_400_000)
        #expect(r.v[0] == -8_388_607)
    }

    @Test func softResetSubtractsThreshold() {
        // vth = 10 (640), input 15 -> u = 960. Step 1: v = 960 > 640 -> spike, v = 960 - 640 = 320.
        // Step 2: v = 320 + 960 = 1280 > 640 -> spike, v = 640. Step 3: 1600 -> spike, 960.
        let r = run(LIFParameters(du: 4095, dv: 0, vth: 10, reset: .soft), inputs: [15, 15, 15])
        #expect(r.v == [320, 640, 960])
        #expect(r.spikes == [true, true, true])
    }

    @Test func refractoryHoldsVoltageAndCurrentStillIntegrates() {
        // refractory 2, vth 1 (64), du = 0 so u is visible: input 2 then zeros.
        // step1: u = 128, v = 128 > 64 -> spike, v = 0, counter 2.
        // step2: u = 128*4095/4096 = 127.97 -> 127 (+0), refractory: v stays 0, counter 1.
        // step3: u = 127*4095/4096 = 126.97 -> 126, refractory: v 0, counter 0.
        // step4: u = 125, v = 0 + 125 = 125 > 64 -> spike.
        let r = run(LIFParameters(du: 0, dv: 0, vth: 1, refractory: 2), inputs: [2, 0, 0, 0])
        #expect(r.u == [128, 127, 126, 125])
        #expect(r.v == [0, 0, 0, 0])
        #expect(r.spikes == [true, false, false, true])
    }

    @Test func biasMantissaAndExponent() {
        // bias = 3 << 2 = 12 per step with no input: v = 12, 24, 36.
        let a = run(LIFParameters(du: 4095, dv: 0, vth: 131_071, biasMant: 3, biasExp: 2), inputs: [0, 0, 0])
        #expect(a.v == [12, 24, 36])
        // bias = -3 >> 1 = floor(-1.5) = -2.
        let b = run(LIFParameters(du: 4095, dv: 0, vth: 131_071, biasMant: -3, biasExp: -1), inputs: [0, 0])
        #expect(b.v == [-2, -4])
    }

    @Test func vectorStepCountsIdleAndActiveAndReportsSpikes() {
        var state = LIFState(count: 4)
        state.v[2] = 700   // above the 640 threshold with no input: spikes
        let aIn: [Int64] = [0, 5, 0, 0]
        var spikes = ContiguousArray<Int32>()
        let tally = aIn.withUnsafeBufferPointer { a in
            LIFModel.step(state: &state, aIn: a.baseAddress!, derived: LIFDerived(LIFParameters(du: 4095, dv: 0, vth: 10)),
                          spikes: &spikes, indexOffset: 100)
        }
        // Neurons 0 and 3: all zero -> idle. Neuron 1: u = 320, v = 320. Neuron 2: v = 700 > 640.
        #expect(tally.idle == 2 && tally.active == 2)
        #expect(Array(spikes) == [102])
        #expect(state.v[1] == 320 && state.v[2] == 0)
    }

    /// The branch-free population step against the scalar `update`, neuron by neuron, over
    /// random states that reach every case: idle, refractory, spike with hard and soft reset,
    /// the non-spiking readout, a nonzero bias, u wrapping at 24 bits and v saturating.
    @Test func populationStepEqualsScalarUpdateNeuronByNeuron() {
        let key = RandomKey(seed: 42, stream: .weightInit)
        var draw = 0
        func next(_ range: ClosedRange<Int64>) -> Int64 {
            defer { draw += 1 }
            let span = UInt64(range.upperBound - range.lowerBound) + 1
            return range.lowerBound + Int64(key.draw(draw) % span)
        }
        let parameterSets = [
            LIFParameters(du: 4095, dv: 410, vth: 250),
            LIFParameters(du: 100, dv: 3000, vth: 7, refractory: 2, reset: .soft),
            LIFParameters(du: 0, dv: 0, vth: 0, biasMant: -3, biasExp: 2, refractory: 1),
            LIFParameters(du: 4095, dv: 410, vth: 131_071, spiking: false),
        ]
        for p in parameterSets {
            let d = LIFDerived(p)
            let n = 257
            var state = LIFState(count: n)
            var aIn = [Int64](repeating: 0, count: n)
            for i in 0..<n {
                let kind = next(0...4)
                if kind == 0 { continue }                                        // idle unless bias
                state.u[i] = Int32(next(-(1 << 23)...((1 << 23) - 1)))
                state.v[i] = Int32(kind == 1 ? next(-(1 << 23) + 1...(1 << 23) - 1) : next(-2000...2000))
                state.refractoryLeft[i] = Int32(next(0...2))
                aIn[i] = kind == 2 ? next(-(1 << 18)...(1 << 18)) : next(-40...40)
            }
            var expected = state
            var expectedSpikes: [Int32] = [], expectedPre = [Int32](repeating: 0, count: n)
            var expectedIdle = 0
            for i in 0..<n {
                if state.u[i] == 0 && state.v[i] == 0 && aIn[i] == 0 && state.refractoryLeft[i] == 0 && d.bias == 0 { expectedIdle += 1 }
                if LIFModel.update(u: &expected.u[i], v: &expected.v[i], refractoryLeft: &expected.refractoryLeft[i],
                                   aIn: aIn[i], d, preResetV: &expectedPre[i]) {
                    expectedSpikes.append(Int32(i) + 7)
                }
            }
            var spikes: ContiguousArray<Int32> = [3]                           // appended to, not replaced
            var pre = [Int32](repeating: -1, count: n)
            let tally = aIn.withUnsafeBufferPointer { a in
                pre.withUnsafeMutableBufferPointer { pv in
                    LIFModel.step(state: &state, aIn: a.baseAddress!, derived: d, spikes: &spikes,
                                  indexOffset: 7, preResetV: pv.baseAddress!)
                }
            }
            #expect(state == expected)
            #expect(pre == expectedPre)
            #expect(Array(spikes) == [3] + expectedSpikes)
            #expect(tally.spikes == expectedSpikes.count && tally.idle == expectedIdle && tally.active == n - expectedIdle)
            if p.spiking { #expect(!expectedSpikes.isEmpty) }
        }
    }
}
