import Testing
@testable import ChipModel

/// Direct convolution oracle, independent of ConvSynapseBlock: NCHW input spikes, OIHW
/// weights, every output neuron's sum over its receptive field. Returns per output neuron the
/// sum and the number of (spiking) synapses, and per input neuron whether it has any synapse
/// into [postFirst, postFirst + nPost).
private func oracle(_ g: ConvGeometry, weights w: [Int16], spikes: Set<Int>, postFirst: Int, nPost: Int)
    -> (sums: [Int32], synops: Int, axon: [Bool]) {
    let ci = g.input.channels, h = g.input.height, wd = g.input.width
    let co = g.output.channels, oh = g.output.height, ow = g.output.width
    let inG = ci / g.groups, outG = co / g.groups
    var sums = [Int32](repeating: 0, count: nPost), synops = 0
    var axon = [Bool](repeating: false, count: ci * h * wd)
    for o in 0..<co { for y in 0..<oh { for x in 0..<ow {
        let j = (o * oh + y) * ow + x
        guard j >= postFirst && j < postFirst + nPost else { continue }
        for i in 0..<inG { for ky in 0..<g.kernelH { for kx in 0..<g.kernelW {
            let iy = y * g.strideH - g.padH + ky * g.dilationH, ix = x * g.strideW - g.padW + kx * g.dilationW
            guard iy >= 0 && iy < h && ix >= 0 && ix < wd else { continue }
            let c = (o / outG) * inG + i
            let s = (c * h + iy) * wd + ix
            axon[s] = true
            if spikes.contains(s) {
                sums[j - postFirst] += Int32(w[((o * inG + i) * g.kernelH + ky) * g.kernelW + kx])
                synops += 1
            }
        } } }
    } } }
    return (sums, synops, axon)
}

@Suite struct ConvTests {
    static let cases: [(Int, Int, Int, Int, (Int, Int), (Int, Int), (Int, Int), (Int, Int), Int)] = [
        // inC, H, W, outC, kernel, stride, padding, dilation, groups
        (1, 5, 5, 1, (3, 3), (1, 1), (0, 0), (1, 1), 1),
        (2, 7, 6, 4, (3, 3), (1, 1), (1, 1), (1, 1), 1),
        (2, 9, 9, 3, (5, 5), (2, 2), (2, 2), (1, 1), 1),
        (4, 8, 7, 6, (3, 2), (2, 1), (1, 0), (2, 1), 2),
        (4, 6, 6, 4, (3, 3), (1, 1), (2, 2), (2, 2), 4),   // depthwise, dilated, padding beyond the kernel
        (3, 5, 8, 6, (1, 1), (1, 2), (0, 0), (1, 1), 3),
        (2, 4, 4, 2, (4, 4), (3, 3), (3, 3), (1, 1), 1),   // padding of nearly a kernel: many empty taps
        (6, 10, 3, 4, (2, 3), (3, 1), (0, 1), (3, 1), 2),
    ]

    @Test func deliveryMatchesTheNestedLoopOracleOverGeometriesAndSlices() {
        var rng = SplitMix(seed: 7)
        for (n, c) in ConvTests.cases.enumerated() {
            let inS = LayerShape(channels: c.0, height: c.1, width: c.2)
            let oh = ConvGeometry.outputExtent(c.1, kernel: c.4.0, stride: c.5.0, padding: c.6.0, dilation: c.7.0)
            let ow = ConvGeometry.outputExtent(c.2, kernel: c.4.1, stride: c.5.1, padding: c.6.1, dilation: c.7.1)
            let outS = LayerShape(channels: c.3, height: oh, width: ow)
            let g = ConvGeometry(input: inS, output: outS, kernel: c.4, stride: c.5, padding: c.6, dilation: c.7, groups: c.8)
            let w = (0..<g.weightCount).map { _ in Int16(Int(rng.next() % 255) - 127) }
            // Whole layer, single channels, slices cutting rows and channels, single neurons at the edges.
            var slices = [(0, outS.size), (0, 1), (outS.size - 1, 1), (0, oh * ow)]
            if outS.channels > 1 { slices.append((oh * ow, oh * ow)) }
            for _ in 0..<6 {
                let a = Int(rng.next() % UInt64(outS.size)), len = 1 + Int(rng.next() % UInt64(outS.size - a))
                slices.append((a, len))
            }
            for (first, count) in slices {
                let b = ConvSynapseBlock(connection: 0, preLayer: 0, geometry: g, weightBits: 8, weightExponent: 0,
                                         weightsOIHW: w, postFirst: first, nPost: count)
                for density in [0.1, 0.5, 1.0] {
                    let spikes = (0..<inS.size).filter { _ in Double(rng.next() % 1000) < density * 1000 }.map(Int32.init)
                    let o = oracle(g, weights: w, spikes: Set(spikes.map(Int.init)), postFirst: first, nPost: count)
                    var hwc = [Int32](repeating: 0, count: b.accumulatorCount)
                    let r = spikes.withUnsafeBufferPointer { sp in hwc.withUnsafeMutableBufferPointer { b.deliver(spikes: sp, into: $0.baseAddress!) } }
                    let acc = b.accumulatorIndex.map { hwc[Int($0)] }
                    // Sums of neurons outside the slice are never written.
                    let used = Set(b.accumulatorIndex.map(Int.init))
                    #expect(hwc.indices.allSatisfy { used.contains($0) || hwc[$0] == 0 })
                    var ref = [Int32](repeating: 0, count: count)
                    let rr = b.deliverReference(spikes: spikes, into: &ref)
                    #expect(acc == o.sums, "case \(n) slice \(first)+\(count)")
                    #expect(ref == o.sums, "case \(n) slice \(first)+\(count) (reference)")
                    #expect(r.synops == o.synops && rr.synops == o.synops, "case \(n) slice \(first)+\(count)")
                    let expectedIn = spikes.filter { o.axon[Int($0)] }.count
                    #expect(r.spikesIn == expectedIn && rr.spikesIn == expectedIn)
                }
                let o = oracle(g, weights: w, spikes: [], postFirst: first, nPost: count)
                #expect(b.inputAxons == o.axon.filter { $0 }.count)
            }
        }
    }

    @Test func flattenAndPoolIndexMapsByHand() {
        // Flatten (NCHW): (c, y, x) of a 2x3x4 layer is c*12 + y*4 + x.
        let s = LayerShape(channels: 2, height: 3, width: 4)
        #expect(s.flatIndex(c: 1, y: 2, x: 3) == 23 && s.flatIndex(c: 0, y: 1, x: 0) == 4)
        #expect(s.coordinates(of: 23) == (1, 2, 3) && s.coordinates(of: 13) == (1, 0, 1))
        // 2x2 sum pool, stride 2, on 2x4x4 -> 2x2x2 (weight 1): input (c, y, x) feeds output
        // (c, y/2, x/2) only.
        let g = ConvGeometry(input: LayerShape(channels: 2, height: 4, width: 4), output: LayerShape(channels: 2, height: 2, width: 2),
                             kernel: (2, 2), stride: (2, 2), groups: 2)
        let b = ConvSynapseBlock(connection: 0, preLayer: 0, geometry: g, weightBits: 8, weightExponent: 0,
                                 weightsOIHW: [Int16](repeating: 1, count: g.weightCount), postFirst: 0, nPost: 8)
        // Input 6 = (0, 1, 2) -> output (0, 0, 1) = 1; input 16 + 15 = (1, 3, 3) -> (1, 1, 1) = 7;
        // input 5 = (0, 1, 1) -> (0, 0, 0) = 0; input 4 = (0, 1, 0) -> 0 as well.
        var hwc = [Int32](repeating: 0, count: b.accumulatorCount)
        let spikes: [Int32] = [4, 5, 6, 31]
        let r = spikes.withUnsafeBufferPointer { sp in hwc.withUnsafeMutableBufferPointer { b.deliver(spikes: sp, into: $0.baseAddress!) } }
        let acc = b.accumulatorIndex.map { hwc[Int($0)] }
        #expect(acc == [2, 1, 0, 0, 0, 0, 0, 1] && r.synops == 4)
        // avgPool weights: round-half-away(128 / area), 8-bit: 2x2 -> 32, 3x3 -> 14 (14.2), 5x5 -> 5 (5.12),
        // 1x1 -> 127 (128 does not fit), 3x3 with 4-bit weights -> round(8/9) = 1.
        #expect(ShapedConnectionSpec.averageWeight(kernelArea: 4, weightBits: 8) == 32)
        #expect(ShapedConnectionSpec.averageWeight(kernelArea: 9, weightBits: 8) == 14)
        #expect(ShapedConnectionSpec.averageWeight(kernelArea: 25, weightBits: 8) == 5)
        #expect(ShapedConnectionSpec.averageWeight(kernelArea: 1, weightBits: 8) == 127)
        #expect(ShapedConnectionSpec.averageWeight(kernelArea: 9, weightBits: 4) == 1)
        // 2^7 / 256 = 0.5: the half rounds away from zero -> 1.
        #expect(ShapedConnectionSpec.averageWeight(kernelArea: 256, weightBits: 8) == 1)
    }

    @Test func sharedKernelBytesByHand() {
        // conv 2 -> 4 channels, 3x3, output 4x5x5 (input 2x5x5, padding 1).
        let g = ConvGeometry(input: LayerShape(channels: 2, height: 5, width: 5), output: LayerShape(channels: 4, height: 5, width: 5),
                             kernel: (3, 3), padding: (1, 1))
        let w = [Int16](repeating: 1, count: g.weightCount)
        func block(_ first: Int, _ n: Int, bits: Int = 8) -> ConvSynapseBlock {
            ConvSynapseBlock(connection: 0, preLayer: 0, geometry: g, weightBits: bits, weightExponent: 0, weightsOIHW: w, postFirst: first, nPost: n)
        }
        // Whole layer: 4 kernels of 2 x 3 x 3 = 18 weights x 8 bits = 72 bytes.
        #expect(block(0, 100).bytes == 72)
        // Neurons 30..59 touch channels 1 (30..49) and 2 (50..59): 2 kernels = 36 bytes.
        #expect(block(30, 30).bytes == 36 && block(30, 30).channelLo == 1 && block(30, 30).channelHi == 3)
        // One neuron: one kernel, 18 bytes; 5-bit weights: 2 x 18 x 5 = 180 bits = 22.5 -> 23 bytes.
        #expect(block(99, 1).bytes == 18 && block(30, 30, bits: 5).bytes == 23)
        // Real synapses (a dense matrix would need 50 x 100 bytes): along a 5-wide line with
        // padding 1 a 3-tap kernel has 2+3+3+3+2 = 13 valid taps, so 13 x 13 = 169 per
        // (output, input) channel pair, x 8 pairs.
        #expect(block(0, 100).synapseCount == 169 * 8)
        // Neuron 0 = (0, 0, 0): 2 channels x 2 x 2 window = 8 input axons and 8 synapses.
        #expect(block(0, 1).inputAxons == 8 && block(0, 1).synapseCount == 8)
    }
}

/// A small deterministic generator for test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
