// Synapse SRAM contents of one shaped connection (conv2d, sumPool, avgPool, oneToOne) on one
// core: the post slice [postFirst, postFirst + nPost) of the target layer (NCHW order) and the
// kernels of the output channels that slice touches, stored once per core (Loihi 2's
// convolutional synapse encoding: weights are shared, the fan-out is computed from the
// geometry instead of being stored per synapse). See docs/CONV.md.
//
// Memory (the figure checked against chip.core.synapseMemoryBytes):
//   bytes = ceil(channels * (inChannels / groups) * kernelH * kernelW * (weightBits + auxBits) / 8)
//   where channels = the output channels with at least one neuron on this core, and auxBits = 0
//   (inference) or 32 when a rule learns the kernel: one signed 32-bit accumulator per stored
//   kernel weight, same layout (PlasticityUnit+Conv.swift, docs/CONV.md "Learning").
// Bits read per synaptic operation: weightBits (one kernel weight; the target index is
// computed by the core's address generator, not read).
// Input axons: the presynaptic neurons with at least one synapse into the slice (the halo
// included): only their spikes are routed to this core.

public struct ConvSynapseBlock: Sendable {
    public let connection: Int
    public let preLayer: Int
    /// conv2d, sumPool, avgPool or oneToOne: only conv2d kernels learn (pools and one-to-one
    /// maps keep their fixed weights).
    public let kind: ConnectionKind
    public let geometry: ConvGeometry
    public let weightBits: Int
    public let weightExponent: Int
    public let postFirst: Int
    public let nPost: Int
    /// Output channels [channelLo, channelHi) hold at least one neuron of the slice.
    public let channelLo: Int
    public let channelHi: Int
    /// Kernels of the covered channels, tap-major: weight (o, i, ky, kx) at
    /// ((i * kernelH + ky) * kernelW + kx) * (channelHi - channelLo) + (o - channelLo),
    /// i the input channel within o's group. Channel-minor, so one input tap's fan-out over
    /// channels reads consecutive weights.
    /// Written only by the plasticity unit (PlasticityUnit+Conv.swift) and checkpoint restores.
    public internal(set) var kernels: ContiguousArray<Int16>
    /// The kernel accumulators (aux registers): 0 (none, inference) or 32 bits.
    public internal(set) var auxBits = 0
    /// One accumulator per stored kernel weight, same index as `kernels` (empty when auxBits == 0).
    public internal(set) var aux: ContiguousArray<Int32> = []
    /// Input row iy reaches output rows rowTapOut[k] through kernel rows rowTapKernel[k], for k in
    /// rowTapStart[iy]..<rowTapStart[iy+1] (same for columns): only taps inside the output.
    let rowTapStart: ContiguousArray<Int32>, rowTapKernel: ContiguousArray<Int32>, rowTapOut: ContiguousArray<Int32>
    let colTapStart: ContiguousArray<Int32>, colTapKernel: ContiguousArray<Int32>, colTapOut: ContiguousArray<Int32>
    /// The delivery accumulator is channel-minor over the covered channels: neuron (o, oy, ox)
    /// sums at ((oy * outW + ox) * (channelHi - channelLo) + (o - channelLo)), so one input
    /// tap's fan-out over channels is a contiguous run of weights added to a contiguous run of
    /// sums (vectorisable). `accumulatorIndex[j]` is where slice neuron j's sum lives; entries
    /// of neurons outside the slice are never written.
    public let accumulatorIndex: ContiguousArray<Int32>
    public var accumulatorCount: Int { geometry.output.height * geometry.output.width * (channelHi - channelLo) }
    /// 1 for presynaptic neurons with a synapse into the slice (this core's input axons).
    public private(set) var isAxon: ContiguousArray<UInt8> = []
    public private(set) var inputAxons = 0
    /// Per presynaptic neuron s: (input row, input column, group, channel within group) at
    /// 4s...4s+3, group -1 when s is not an input axon of this core (no division per spike).
    public private(set) var preCoordinates: ContiguousArray<Int32> = []
    /// Real synapses (pre, post) of the slice: what a dense matrix would hold as nonzeros.
    public private(set) var synapseCount = 0

    /// `weightsOIHW`: the connection's whole kernel (geometry.weightCount weights, OIHW).
    public init(connection: Int, preLayer: Int, kind: ConnectionKind = .conv2d, geometry g: ConvGeometry, weightBits: Int, weightExponent: Int,
                weightsOIHW: [Int16], postFirst: Int, nPost: Int) {
        precondition(weightsOIHW.count == g.weightCount && nPost >= 1 && postFirst + nPost <= g.output.size)
        precondition(SynapseWidths.weightExponentRange.contains(weightExponent), "weightExponent must be in -8...7")
        precondition(kind.isShaped, "a ConvSynapseBlock holds a shaped connection")
        self.connection = connection; self.preLayer = preLayer; self.kind = kind; self.geometry = g
        self.weightBits = weightBits; self.weightExponent = weightExponent
        self.postFirst = postFirst; self.nPost = nPost
        let ohw = g.output.height * g.output.width
        channelLo = postFirst / ohw
        channelHi = (postFirst + nPost - 1) / ohw + 1
        let nCo = channelHi - channelLo
        var k = ContiguousArray<Int16>(repeating: 0, count: nCo * g.kernelSize)
        for o in channelLo..<channelHi {
            for i in 0..<g.inPerGroup { for ky in 0..<g.kernelH { for kx in 0..<g.kernelW {
                k[((i * g.kernelH + ky) * g.kernelW + kx) * nCo + (o - channelLo)] = weightsOIHW[g.weightIndex(o: o, i: i, ky: ky, kx: kx)]
            } } }
        }
        kernels = k
        accumulatorIndex = ContiguousArray((postFirst..<(postFirst + nPost)).map { gj in
            Int32((gj % ohw) * nCo + (gj / ohw - postFirst / ohw))
        })
        func taps(_ n: Int, _ outN: Int, _ kN: Int, _ s: Int, _ p: Int, _ d: Int) -> (ContiguousArray<Int32>, ContiguousArray<Int32>, ContiguousArray<Int32>) {
            var start = ContiguousArray<Int32>([0]), kk = ContiguousArray<Int32>(), oo = ContiguousArray<Int32>()
            for x in 0..<n {
                for kx in 0..<kN {
                    let t = x + p - kx * d
                    if t >= 0 && t % s == 0 && t / s < outN { kk.append(Int32(kx)); oo.append(Int32(t / s)) }
                }
                start.append(Int32(kk.count))
            }
            return (start, kk, oo)
        }
        (rowTapStart, rowTapKernel, rowTapOut) = taps(g.input.height, g.output.height, g.kernelH, g.strideH, g.padH, g.dilationH)
        (colTapStart, colTapKernel, colTapOut) = taps(g.input.width, g.output.width, g.kernelW, g.strideW, g.padW, g.dilationW)
        var mask = ContiguousArray<UInt8>(repeating: 0, count: g.input.size)
        var axons = 0, synapses = 0
        for s in 0..<g.input.size {
            let f = fanOut(pre: s)
            if f > 0 { mask[s] = 1; axons += 1; synapses += f }
        }
        isAxon = mask; inputAxons = axons; synapseCount = synapses
        var pc = ContiguousArray<Int32>(repeating: 0, count: 4 * g.input.size)
        for s in 0..<g.input.size {
            let (c, y, x) = g.input.coordinates(of: s)
            pc[4 * s] = Int32(y); pc[4 * s + 1] = Int32(x)
            pc[4 * s + 2] = mask[s] == 0 ? -1 : Int32(c / g.inPerGroup); pc[4 * s + 3] = Int32(c % g.inPerGroup)
        }
        preCoordinates = pc
    }

    /// Input axons a slice [postFirst, postFirst + nPost) of a shaped connection's target needs.
    public static func inputAxons(geometry g: ConvGeometry, postFirst: Int, nPost: Int) -> Int {
        ConvSynapseBlock(connection: -1, preLayer: -1, geometry: g, weightBits: 8, weightExponent: 0,
                         weightsOIHW: [Int16](repeating: 0, count: g.weightCount), postFirst: postFirst, nPost: nPost).inputAxons
    }

    /// SRAM bytes (formula above).
    public var bytes: Int { ConvSynapseBlock.bytes(channels: channelHi - channelLo, geometry: geometry, weightBits: weightBits + auxBits) }

    public static func bytes(channels: Int, geometry g: ConvGeometry, weightBits: Int) -> Int {
        (channels * g.kernelSize * weightBits + 7) / 8
    }

    /// Whether a rule may learn this block's kernel: a conv2d whose slice holds whole output
    /// channels. A channel cut by the slice boundary has a kernel copy on two cores, and the two
    /// copies would diverge (each core sums only its own positions).
    public var holdsWholeChannels: Bool {
        let ohw = geometry.output.height * geometry.output.width
        return postFirst % ohw == 0 && (postFirst + nPost) % ohw == 0
    }

    /// The storage index of kernel weight (o, i, ky, kx) of a covered channel o (kernels, aux).
    @inline(__always)
    public func kernelIndex(o: Int, i: Int, ky: Int, kx: Int) -> Int {
        ((i * geometry.kernelH + ky) * geometry.kernelW + kx) * (channelHi - channelLo) + (o - channelLo)
    }

    /// The covered channels' kernels in OIHW order (channels channelLo..<channelHi).
    public var kernelsOIHW: [Int] {
        let g = geometry
        var out: [Int] = []
        out.reserveCapacity((channelHi - channelLo) * g.kernelSize)
        for o in channelLo..<channelHi {
            for i in 0..<g.inPerGroup { for ky in 0..<g.kernelH { for kx in 0..<g.kernelW { out.append(weight(o: o, i: i, ky: ky, kx: kx)) } } }
        }
        return out
    }

    /// Adds zeroed 32-bit kernel accumulators (a learning rule's aux registers; counted in `bytes`).
    mutating func enableKernelAccumulators() {
        auxBits = ConvSynapseBlock.accumulatorBits
        aux = ContiguousArray(repeating: 0, count: kernels.count)
    }

    /// Width of a kernel accumulator: the plasticity unit's 32-bit ALU word.
    public static let accumulatorBits = 32

    /// Sets the covered channels' kernels from OIHW values (checkpoint restore); each must lie
    /// within weightBits.
    mutating func setKernels(oihw: [Int]) {
        let g = geometry
        precondition(oihw.count == (channelHi - channelLo) * g.kernelSize)
        var n = 0
        for o in channelLo..<channelHi {
            for i in 0..<g.inPerGroup { for ky in 0..<g.kernelH { for kx in 0..<g.kernelW {
                kernels[kernelIndex(o: o, i: i, ky: ky, kx: kx)] = Int16(oihw[n]); n += 1
            } } }
        }
    }

    public var bitsPerSynop: Int { weightBits }

    /// The channel range [a, b] of group `grp` whose neuron at spatial offset `off` lies in the slice.
    @inline(__always)
    func channelRange(group grp: Int, offset off: Int, ohw: Int) -> (Int, Int) {
        var a = max(channelLo, grp * geometry.outPerGroup)
        var b = min(channelHi, (grp + 1) * geometry.outPerGroup) - 1
        if a <= b && a * ohw + off < postFirst { a += 1 }
        if a <= b && b * ohw + off >= postFirst + nPost { b -= 1 }
        return (a, b)
    }

    /// Synapses from presynaptic neuron `s` into the slice.
    public func fanOut(pre s: Int) -> Int {
        let g = geometry, hw = g.input.height * g.input.width, ohw = g.output.height * g.output.width
        let ci = s / hw, iy = (s % hw) / g.input.width, ix = s % g.input.width
        let grp = ci / g.inPerGroup
        var n = 0
        for r in Int(rowTapStart[iy])..<Int(rowTapStart[iy + 1]) {
            for c in Int(colTapStart[ix])..<Int(colTapStart[ix + 1]) {
                let (a, b) = channelRange(group: grp, offset: Int(rowTapOut[r]) * g.output.width + Int(colTapOut[c]), ohw: ohw)
                if a <= b { n += b - a + 1 }
            }
        }
        return n
    }

    /// Accumulates the spikes' fan-outs into `acc` (accumulatorCount Int32s, channel-minor
    /// order above; read slice neuron j at accumulatorIndex[j]); returns
    /// (synaptic operations, spikes that are input axons of this core). Sums cannot overflow
    /// Int32: the chip builder rejects kernelSize * 2^(weightBits-1) >= 2^31. No allocation.
    public func deliver(spikes: UnsafeBufferPointer<Int32>, into acc: UnsafeMutablePointer<Int32>) -> (synops: Int, spikesIn: Int) {
        let g = geometry
        let outW = g.output.width, ohw = g.output.height &* outW
        let outPerGroup = g.outPerGroup
        let kH = g.kernelH, kW = g.kernelW, nCo = channelHi &- channelLo
        let lo = channelLo, hi = channelHi, pFirst = postFirst, pEnd = postFirst &+ nPost
        // Only the first and last channel of a slice can be partial; a slice of whole
        // channels needs no trimming per tap.
        let whole = pFirst % ohw == 0 && pEnd % ohw == 0
        var synops = 0, spikesIn = 0
        // Index arithmetic below stays far inside Int (sizes < 2^24 each): wrapping operators
        // only drop the overflow checks.
        kernels.withUnsafeBufferPointer { w in
        preCoordinates.withUnsafeBufferPointer { pc in
        rowTapStart.withUnsafeBufferPointer { rs in rowTapKernel.withUnsafeBufferPointer { rk in rowTapOut.withUnsafeBufferPointer { ro in
        colTapStart.withUnsafeBufferPointer { cs in colTapKernel.withUnsafeBufferPointer { ck in colTapOut.withUnsafeBufferPointer { co in
            let wBase = w.baseAddress!
            for sp in spikes {
                let q = Int(sp) &* 4
                let grp = Int(pc[q &+ 2])
                if grp < 0 { continue }   // not an input axon of this core
                spikesIn &+= 1
                let iy = Int(pc[q]), ix = Int(pc[q &+ 1]), i = Int(pc[q &+ 3])
                let gA = max(lo, grp &* outPerGroup), gB = min(hi, grp &* outPerGroup &+ outPerGroup) &- 1
                let c0 = Int(cs[ix]), c1 = Int(cs[ix &+ 1])
                var r = Int(rs[iy])
                let r1 = Int(rs[iy &+ 1])
                while r < r1 {
                    let rowOff = Int(ro[r]) &* outW
                    let wRow = (i &* kH &+ Int(rk[r])) &* kW
                    var c = c0
                    while c < c1 {
                        let off = rowOff &+ Int(co[c])
                        var a = gA, b = gB
                        if !whole {
                            if a &* ohw &+ off < pFirst { a &+= 1 }
                            if b &* ohw &+ off >= pEnd { b &-= 1 }
                        }
                        let n = b &- a &+ 1
                        if n > 0 {
                            // Channels a...b: contiguous weights into contiguous sums, eight
                            // lanes at a time. Wrapping adds never wrap (fan-in bound above).
                            let wp = wBase + ((wRow &+ Int(ck[c])) &* nCo &+ a &- lo)
                            let ap = acc + (off &* nCo &+ a &- lo)
                            var o = 0
                            while o &+ 8 <= n {
                                let wv = SIMD8<Int32>(truncatingIfNeeded: UnsafeRawPointer(wp + o).loadUnaligned(as: SIMD8<Int16>.self))
                                let ar = UnsafeMutableRawPointer(ap + o)
                                ar.storeBytes(of: ar.loadUnaligned(as: SIMD8<Int32>.self) &+ wv, as: SIMD8<Int32>.self)
                                o &+= 8
                            }
                            while o < n { ap[o] &+= Int32(wp[o]); o &+= 1 }
                            synops &+= n
                        }
                        c &+= 1
                    }
                    r &+= 1
                }
            }
        }}}}}}}}
        return (synops, spikesIn)
    }

    /// The plain reference: for every neuron j of the slice and every kernel tap, reads the input
    /// position the tap sees and adds the weight to acc[j] if that neuron spiked. Same sums as
    /// `deliver` read through accumulatorIndex (held equal by a test); allocates, for tests only.
    public func deliverReference(spikes: [Int32], into acc: inout [Int32]) -> (synops: Int, spikesIn: Int) {
        let g = geometry
        var spiking = [Bool](repeating: false, count: g.input.size)
        var spikesIn = 0
        for s in spikes { spiking[Int(s)] = true; if isAxon[Int(s)] != 0 { spikesIn += 1 } }
        var synops = 0
        for j in 0..<nPost {
            let (o, oy, ox) = g.output.coordinates(of: postFirst + j)
            let grp = o / g.outPerGroup
            for i in 0..<g.inPerGroup {
                for ky in 0..<g.kernelH {
                    let iy = oy * g.strideH - g.padH + ky * g.dilationH
                    if iy < 0 || iy >= g.input.height { continue }
                    for kx in 0..<g.kernelW {
                        let ix = ox * g.strideW - g.padW + kx * g.dilationW
                        if ix < 0 || ix >= g.input.width { continue }
                        if spiking[g.input.flatIndex(c: grp * g.inPerGroup + i, y: iy, x: ix)] {
                            acc[j] &+= Int32(weight(o: o, i: i, ky: ky, kx: kx))
                            synops += 1
                        }
                    }
                }
            }
        }
        return (synops, spikesIn)
    }

    /// Stored weight (o, i, ky, kx) for a covered channel o.
    public func weight(o: Int, i: Int, ky: Int, kx: Int) -> Int {
        Int(kernels[kernelIndex(o: o, i: i, ky: ky, kx: kx)])
    }
}
