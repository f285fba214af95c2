import Testing
@testable import OnChipLearning

/// A one-sample dataset of the given features.
func oneSample(_ features: [UInt8], width: Int? = nil, height: Int = 1) -> ImageDataset {
    try! ImageDataset(name: "t", width: width ?? features.count / height, height: height, pixels: features, labels: [0], classes: 1)
}

@Suite("SpikeRaster")
struct SpikeRasterTests {
    @Test func builderAndAccessors() throws {
        var r = SpikeRaster(channels: 5)
        r.appendStep([1, 3])
        r.appendStep([Int32]())
        r.push(0); r.push(4); r.endStep()
        #expect(r.steps == 3 && r.count == 4)
        #expect(r.offsets == [0, 2, 2, 4] && r.indices == [1, 3, 0, 4])
        #expect(Array(r.spikes(at: 0)) == [1, 3] && r.spikes(at: 1).isEmpty && Array(r.spikes(at: 2)) == [0, 4])
        #expect(r.countsPerChannel() == [1, 1, 0, 1, 1])
        #expect(try SpikeRaster(channels: 5, steps: 3, offsets: r.offsets, indices: r.indices) == r)
        #expect(SpikeRaster(channels: 2, silentSteps: 3).offsets == [0, 0, 0, 0])
    }

    @Test func validationRejectsBrokenInvariants() {
        #expect(throws: SpikeRaster.Invalid.self) { _ = try SpikeRaster(channels: 4, steps: 2, offsets: [0, 1], indices: [0]) }
        #expect(throws: SpikeRaster.Invalid.self) { _ = try SpikeRaster(channels: 4, steps: 1, offsets: [1, 1], indices: [0]) }
        #expect(throws: SpikeRaster.Invalid.self) { _ = try SpikeRaster(channels: 4, steps: 1, offsets: [0, 2], indices: [2, 1]) }
        #expect(throws: SpikeRaster.Invalid.self) { _ = try SpikeRaster(channels: 4, steps: 1, offsets: [0, 2], indices: [1, 1]) }
        #expect(throws: SpikeRaster.Invalid.self) { _ = try SpikeRaster(channels: 4, steps: 1, offsets: [0, 1], indices: [4]) }
        #expect(throws: SpikeRaster.Invalid.self) { _ = try SpikeRaster(channels: 4, steps: 2, offsets: [0, 2, 1], indices: [0]) }
    }
}

@Suite("Rate encoder")
struct RateEncoderTests {
    @Test func meanSpikeCountWithinFiveSigma() {
        // 784 channels at p = 77/255 over 64 steps: n = 50176 Bernoulli trials.
        let steps = 64, p = 77.0 / 255.0
        let features = [UInt8](repeating: 77, count: 784)
        for sample in 0 ..< 3 {
            let r = RateEncoder(steps: steps, seed: 11).encode(features, sample: sample)
            let n = Double(784 * steps)
            let sigma = (n * p * (1 - p)).squareRoot()
            #expect(abs(Double(r.count) - n * p) < 5 * sigma, "count \(r.count), expected \(n * p) +- \(5 * sigma)")
        }
        // Per-channel mean rate also near p (each channel: 64 trials; pooled over channels above).
    }

    @Test func extremesAndExactDecisionRule() throws {
        let features: [UInt8] = [0, 255, 1, 128, 254, 0, 200]
        let enc = RateEncoder(steps: 40, seed: 5)
        let r = enc.encode(features, sample: 9)
        // Validates every invariant.
        _ = try SpikeRaster(channels: r.channels, steps: r.steps, offsets: r.offsets, indices: r.indices)
        let dense = r.dense()
        for t in 0 ..< 40 {
            #expect(dense[t][0] == 0 && dense[t][5] == 0, "zero features never spike")
            #expect(dense[t][1] == 1, "255 always spikes")
            // Oracle: draw the 64 bits directly and compare r * 255 < p * 2^32 in wide arithmetic.
            let key = RandomKey(seed: 5, stream: .inputEncoder).with(9).with(t)
            for c in [2, 3, 4, 6] {
                let r32 = key.draw(c) >> 32
                let expected: UInt8 = r32 * 255 < UInt64(features[c]) << 32 ? 1 : 0
                #expect(dense[t][c] == expected)
            }
        }
    }

    @Test func everyDecisionMatchesTheScalarBernoulliOracle() {
        // 37 channels (several four-lane groups and a tail, zeros scattered between them):
        // every (step, channel) decision equals key.bernoulli(c, feature, 255) drawn one by one.
        let pick = RandomKey(seed: 77, stream: .inputEncoder).with(999)
        let features: [UInt8] = (0 ..< 37).map { c in c % 5 == 0 ? 0 : UInt8(truncatingIfNeeded: pick.draw(c)) }
        let dense = RateEncoder(steps: 12, seed: 8).encode(features, sample: 123).dense()
        for t in 0 ..< 12 {
            let key = RandomKey(seed: 8, stream: .inputEncoder).with(123).with(t)
            for c in 0 ..< 37 {
                let expected: UInt8 = key.bernoulli(c, numerator: UInt64(features[c]), denominator: 255) ? 1 : 0
                #expect(dense[t][c] == expected, "step \(t) channel \(c)")
            }
        }
    }

    @Test func orderIndependentAndSeeded() {
        let d = try! ImageDataset(name: "t", width: 3, height: 1, pixels: [100, 50, 200, 10, 20, 250], labels: [0, 1], classes: 2)
        let enc = RateEncoder(steps: 30, seed: 1)
        let forward = [enc.encode(d, sample: 0), enc.encode(d, sample: 1)]
        let backward = [enc.encode(d, sample: 1), enc.encode(d, sample: 0)]
        #expect(forward[0] == backward[1] && forward[1] == backward[0])
        #expect(RateEncoder(steps: 30, seed: 2).encode(d, sample: 0) != forward[0])
        // Reusing a raster gives the same result as a fresh one.
        var reused = forward[1]
        d.withFeatures(0) { enc.encode($0, sample: 0, into: &reused) }
        #expect(reused == forward[0])
    }
}

@Suite("Latency encoder")
struct LatencyEncoderTests {
    @Test func handComputedSpikeTimes() {
        // T = 16: t = floor((255 - p) * 16 / 255): p 255 -> 0, 254 -> floor(16/255) = 0,
        // 128 -> floor(2032/255) = 7 (255*7 = 1785, 255*8 = 2040 > 2032), 1 -> floor(4064/255) = 15, 0 -> never.
        let r = LatencyEncoder(steps: 16).encode(oneSample([0, 1, 128, 254, 255]), sample: 0)
        #expect(r.steps == 16 && r.count == 4)
        #expect(Array(r.spikes(at: 0)) == [3, 4])
        #expect(Array(r.spikes(at: 7)) == [2])
        #expect(Array(r.spikes(at: 15)) == [1])
        // T = 10: 128 -> floor(1270/255) = 4 (255*5 = 1275 > 1270); 1 -> floor(2540/255) = 9; 26 -> floor(2290/255) = 8.
        let s = LatencyEncoder(steps: 10).encode(oneSample([128, 1, 26]), sample: 0)
        #expect(Array(s.spikes(at: 4)) == [0] && Array(s.spikes(at: 9)) == [1] && Array(s.spikes(at: 8)) == [2])
        #expect(s.count == 3)
        // minimumFeature silences dim features.
        #expect(LatencyEncoder(steps: 10, minimumFeature: 27).encode(oneSample([128, 1, 26]), sample: 0).count == 1)
    }
}

@Suite("Saccade DVS encoder")
struct SaccadeDVSEncoderTests {
    @Test func geometryAndBlankImage() {
        let enc = SaccadeDVSEncoder(steps: 12)
        let blank = oneSample([UInt8](repeating: 0, count: 784), width: 28, height: 28)
        #expect(enc.channels(for: blank) == 2 * 34 * 34)
        #expect(enc.encode(blank, sample: 0).count == 0)
        // Vertices of the triangle at tau = 0, 1/3, 2/3 and 1.
        #expect(enc.displacement(0) == (-2, 2))
        #expect(enc.displacement(1.0 / 3.0) == (0, -2) || abs(enc.displacement(1.0 / 3.0).dy + 2) < 1e-12)
        #expect(enc.displacement(0.5) == (1, 0))
        #expect(enc.displacement(1) == (-2, 2))
    }

    @Test func singleBrightPixelPolarities() throws {
        // One white pixel at (10, 10) of a 28x28 image; during saccade 1 the image moves by
        // (+2, -4) over 4 steps (dx +0.5, dy -1 per step), so the pixel's new position brightens
        // (ON) and its old position darkens (OFF). No event can be far from its path.
        var px = [UInt8](repeating: 0, count: 784); px[10 * 28 + 10] = 255
        let d = oneSample(px, width: 28, height: 28)
        let enc = SaccadeDVSEncoder(steps: 12)
        let r = enc.encode(d, sample: 0)
        _ = try SpikeRaster(channels: r.channels, steps: r.steps, offsets: r.offsets, indices: r.indices)
        let plane = 34 * 34
        var on = 0, off = 0
        for t in 0 ..< 12 {
            for c in r.spikes(at: t) {
                let p = Int(c) / plane, y = (Int(c) % plane) / 34, x = Int(c) % 34
                if p == 1 { on += 1 } else { off += 1 }
                // Pixel path: canvas position 3 + 10 + d, d in [-2, 2]; bilinear support adds 1.
                #expect((11 ... 16).contains(x) && (11 ... 16).contains(y), "event at (\(x), \(y))")
            }
        }
        #expect(on > 0 && off > 0)
        #expect(enc.encode(d, sample: 0) == r)
    }
}

@Suite("Trace and raster adapters")
struct RasterAdapterTests {
    @Test func appendSpikesForEngineSources() {
        var r = SpikeRaster(channels: 4)
        r.appendStep([0, 3]); r.appendStep([2])
        var out: ContiguousArray<Int32> = [9]
        r.appendSpikes(at: 0, into: &out)
        r.appendSpikes(at: 1, into: &out)
        r.appendSpikes(at: 2, into: &out)   // past the end: silent
        #expect(Array(out) == [9, 0, 3, 2])
        #expect(LatencyEncoder(steps: 0).encode(oneSample([255, 3]), sample: 0).count == 0)
    }
}

@Suite("Engine input sources")
struct InputSourceTests {
    @Test func encodedDatasetAndTraceSourcesAgree() {
        let d = try! ImageDataset(name: "t", width: 2, height: 2, pixels: [0, 255, 100, 30, 255, 255, 0, 7], labels: [1, 0], classes: 2)
        let enc = RateEncoder(steps: 6, seed: 4)
        let src = EncodedDatasetSource(dataset: d, encoder: enc)
        #expect(src.channels == 4 && src.samples == 2 && src.label(sample: 0) == 1)
        var trace = SpikeTrace(shape: TraceShape(width: 2, height: 2, polarities: 1), timestepNanoseconds: 1)
        for i in 0 ..< 2 { trace.samples.append(TraceSample(label: Int(d.labels[i]), raster: enc.encode(d, sample: i))) }
        let ts = TraceSource(trace: trace)
        // Interleaved access (sample 1, then 0, then 1 again) gives the same spikes.
        for (sample, step) in [(1, 0), (0, 3), (1, 5), (0, 0), (1, 6)] {
            var a = ContiguousArray<Int32>(), b = ContiguousArray<Int32>()
            src.spikes(sample: sample, step: step, into: &a)
            ts.spikes(sample: sample, step: step, into: &b)
            #expect(a == b)
            #expect(Array(a) == (step < 6 ? Array(enc.encode(d, sample: sample).spikes(at: step)) : []))
        }
    }
}
