// Synapse SRAM contents for one connection on one core: the synapses from every neuron of
// the presynaptic layer to the slice of the postsynaptic layer that lives on this core.
//
// Layouts and their byte cost (the figure checked against chip.core.synapseMemoryBytes):
//   dense:  a matrix row-major by presynaptic axon; weight (i, j) at weights[i * nPost + j].
//           bytes = ceil(nPre * nPost * weightBits / 8)          (zeros are stored)
//   sparse: per axon a fan-out list of (post index, weight); CSR by axon.
//           bytes = ceil((nnz * (weightBits + indexBits) + nPre * 32) / 8)
//           indexBits = max(1, ceil(log2(nPost))); each axon has a 32-bit list pointer
//           (16-bit offset + 16-bit length).
// Weights are signed `weightBits`-wide mantissas held in Int16. A block that learns may carry a
// per-synapse auxiliary register (signed `auxBits`, 1...32, saturating; eligibility, gradient
// accumulator or feedback weight) at the same index, counted in `bytes`:
//           + ceil(nPre * nPost * auxBits / 8)  (dense blocks only: the plasticity unit needs dense)

public struct SynapseBlock: Sendable {
    public let connection: Int
    public let preLayer: Int
    public let nPre: Int
    public let nPost: Int
    public let layout: SynapseLayout
    public let weightBits: Int
    public let weightExponent: Int
    /// Dense: nPre * nPost weights. Sparse: nnz weights in CSR order.
    public var weights: ContiguousArray<Int16>
    /// Sparse only: axon i's synapses are [rowStart[i], rowStart[i+1]).
    public var rowStart: ContiguousArray<Int32>
    /// Sparse only: local post index of each synapse.
    public var postIndex: ContiguousArray<Int32>
    /// Auxiliary register width: 0 (none) or 1...32.
    public var auxBits: Int
    /// Auxiliary registers, same indexing as `weights` (empty when auxBits == 0).
    public var aux: ContiguousArray<Int32>

    public var synapseCount: Int { weights.count }

    public static func indexBits(nPost: Int) -> Int {
        var b = 1
        while (1 << b) < nPost { b += 1 }
        return b
    }

    /// SRAM bytes this block occupies (formulas above).
    public var bytes: Int {
        switch layout {
        case .dense: return (nPre * nPost * (weightBits + auxBits) + 7) / 8
        case .sparse: return (synapseCount * (weightBits + SynapseBlock.indexBits(nPost: nPost)) + nPre * 32 + 7) / 8
        }
    }

    /// Bits read from SRAM per synaptic operation.
    public var bitsPerSynop: Int {
        layout == .dense ? weightBits : weightBits + SynapseBlock.indexBits(nPost: nPost)
    }

    public init(connection: Int, preLayer: Int, nPre: Int, nPost: Int, layout: SynapseLayout,
                weightBits: Int, weightExponent: Int, weights: ContiguousArray<Int16>,
                rowStart: ContiguousArray<Int32> = [], postIndex: ContiguousArray<Int32> = []) {
        // The dendritic sum's exactness argument (Simulator.step) relies on this range.
        precondition(SynapseWidths.weightExponentRange.contains(weightExponent), "weightExponent must be in -8...7")
        self.connection = connection; self.preLayer = preLayer; self.nPre = nPre; self.nPost = nPost
        self.layout = layout; self.weightBits = weightBits; self.weightExponent = weightExponent
        self.weights = weights; self.rowStart = rowStart; self.postIndex = postIndex
        self.auxBits = 0; self.aux = []
    }

    /// A dense block of zero weights with auxiliary registers (for the plasticity unit's tests
    /// and for feedback blocks that hold only aux values).
    public init(nPre: Int, nPost: Int, weightBits: Int = SynapseWidths.defaultWeightBits,
                auxBits: Int = LearningWidths.defaultAuxBits) {
        precondition(SynapseWidths.weightBitsRange.contains(weightBits), "weightBits must be in 1...9")
        precondition((0...32).contains(auxBits), "auxBits must be in 0...32")
        self.init(connection: -1, preLayer: -1, nPre: nPre, nPost: nPost, layout: .dense, weightBits: weightBits,
                  weightExponent: 0, weights: ContiguousArray(repeating: 0, count: nPre * nPost))
        enableAux(bits: auxBits)
    }

    /// Adds zeroed auxiliary registers of `bits` (0 removes them).
    public mutating func enableAux(bits: Int) {
        auxBits = bits
        aux = ContiguousArray(repeating: 0, count: bits == 0 ? 0 : weights.count)
    }

    /// Weights plus auxiliary registers (same as `bytes`; the plasticity unit's name for it).
    public var memoryBytes: Int { bytes }

    /// Weight of (pre i, local post j), 0 if no synapse (sparse); for reports and tests.
    public func weight(pre i: Int, post j: Int) -> Int {
        switch layout {
        case .dense: return Int(weights[i * nPost + j])
        case .sparse:
            for k in Int(rowStart[i])..<Int(rowStart[i + 1]) where Int(postIndex[k]) == j { return Int(weights[k]) }
            return 0
        }
    }

    /// Accumulates the rows of the spiking axons into `acc` (nPost Int32s) and returns the
    /// number of synaptic operations. Sums cannot overflow Int32: the chip builder rejects
    /// blocks with nPre * 2^(weightBits-1) >= 2^31.
    @inlinable
    public func deliver(spikes: UnsafeBufferPointer<Int32>, into acc: UnsafeMutablePointer<Int32>) -> Int {
        var synops = 0
        let n = nPost
        weights.withUnsafeBufferPointer { w in
            switch layout {
            case .dense:
                // Rows eight (then four) at a time, so acc is loaded and stored once per group. Wrapping
                // adds: overflow is impossible by construction (see above), the sum is exact in
                // any grouping, and they let the loops vectorise.
                let base = w.baseAddress!
                var k = 0
                let count = spikes.count
                if weightBits <= 12 {
                    // Eight rows are first summed in 16-bit lanes (twice the lanes per vector),
                    // then widened once: weights lie within weightBits (the plasticity unit and
                    // every writer saturate to it; a checkpoint's are checked on load), so for
                    // weightBits <= 12 each |w| <= 2^11 and a sum of eight stays below 2^14,
                    // exact in Int16: the wrapping adds never wrap.
                    while k + 8 <= count {
                        let r0 = base + Int(spikes[k]) * n, r1 = base + Int(spikes[k + 1]) * n
                        let r2 = base + Int(spikes[k + 2]) * n, r3 = base + Int(spikes[k + 3]) * n
                        let r4 = base + Int(spikes[k + 4]) * n, r5 = base + Int(spikes[k + 5]) * n
                        let r6 = base + Int(spikes[k + 6]) * n, r7 = base + Int(spikes[k + 7]) * n
                        // Sixteen columns per iteration in explicit 16-bit lanes (the loop
                        // vectoriser picks eight, the width of the 32-bit accumulator), the
                        // remaining columns one by one.
                        typealias H = SIMD16<Int16>
                        @inline(__always) func row(_ r: UnsafePointer<Int16>, _ j: Int) -> H {
                            UnsafeRawPointer(r + j).loadUnaligned(as: H.self)
                        }
                        var j = 0
                        while j + 16 <= n {
                            let sum = ((row(r0, j) &+ row(r1, j)) &+ (row(r2, j) &+ row(r3, j)))
                                &+ ((row(r4, j) &+ row(r5, j)) &+ (row(r6, j) &+ row(r7, j)))
                            let a = UnsafeMutableRawPointer(acc + j)
                            let wide = SIMD16<Int32>(truncatingIfNeeded: sum)
                            a.storeBytes(of: a.loadUnaligned(as: SIMD16<Int32>.self) &+ wide, as: SIMD16<Int32>.self)
                            j += 16
                        }
                        while j < n {
                            let lowHalf = (r0[j] &+ r1[j]) &+ (r2[j] &+ r3[j])
                            let highHalf = (r4[j] &+ r5[j]) &+ (r6[j] &+ r7[j])
                            acc[j] &+= Int32(lowHalf &+ highHalf)
                            j += 1
                        }
                        k += 8
                    }
                }
                while k + 8 <= count {
                    let r0 = base + Int(spikes[k]) * n, r1 = base + Int(spikes[k + 1]) * n
                    let r2 = base + Int(spikes[k + 2]) * n, r3 = base + Int(spikes[k + 3]) * n
                    let r4 = base + Int(spikes[k + 4]) * n, r5 = base + Int(spikes[k + 5]) * n
                    let r6 = base + Int(spikes[k + 6]) * n, r7 = base + Int(spikes[k + 7]) * n
                    for j in 0..<n {
                        let lowHalf = (Int32(r0[j]) &+ Int32(r1[j])) &+ (Int32(r2[j]) &+ Int32(r3[j]))
                        let highHalf = (Int32(r4[j]) &+ Int32(r5[j])) &+ (Int32(r6[j]) &+ Int32(r7[j]))
                        acc[j] &+= lowHalf &+ highHalf
                    }
                    k += 8
                }
                while k + 4 <= count {
                    let r0 = base + Int(spikes[k]) * n, r1 = base + Int(spikes[k + 1]) * n
                    let r2 = base + Int(spikes[k + 2]) * n, r3 = base + Int(spikes[k + 3]) * n
                    for j in 0..<n {
                        acc[j] &+= (Int32(r0[j]) &+ Int32(r1[j])) &+ (Int32(r2[j]) &+ Int32(r3[j]))
                    }
                    k += 4
                }
                while k < count {
                    let row = base + Int(spikes[k]) * n
                    for j in 0..<n { acc[j] &+= Int32(row[j]) }
                    k += 1
                }
                synops = count * n
            case .sparse:
                rowStart.withUnsafeBufferPointer { rs in
                postIndex.withUnsafeBufferPointer { pi in
                    for s in spikes {
                        let a = Int(rs[Int(s)]), b = Int(rs[Int(s) + 1])
                        for k in a..<b { acc[Int(pi[k])] &+= Int32(w[k]) }
                        synops += b - a
                    }
                }}
            }
        }
        return synops
    }
}
