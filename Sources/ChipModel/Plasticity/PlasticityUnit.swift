import Foundation

// A core's plasticity unit: the fast microcode interpreter.
//
// Same semantics as ScalarInterpreter (bit for bit, counts included), different order of
// work: active elements are collected into tiles of `tileSize` (default 1024), and each
// instruction runs across the whole tile as one loop over unsafe buffers. The ALU register
// file is struct-of-arrays (one Int32 row of `tileSize` per register, 8 x 4 KiB = 32 KiB),
// so it stays in cache. Reordering is sound because an element's program reads only
// read-only shared state (traces, neuron registers in synapse scope) and its own
// registers, and writes only its own registers.
//
// Usage by the engine's learning phase (per core, per learning step):
//     pre.updateTraces(...); post.updateTraces(...)         // after spikes are known
//     unit.runNeuronScope(neuronProgram, neurons: &post, random: ..., counts: &c)
//     unit.runSynapseScope(synapseProgram, block: &block, pre: pre, post: post, random: ..., counts: &c)

/// Not thread-safe (it owns the tile buffers): use one unit per core or per worker thread.
public final class PlasticityUnit {
    /// Parallel lanes of the unit (cycle model only: cycles = ceil(executed/lanes) * cycles/element).
    public let lanes: Int
    /// Elements per tile of the vector interpreter.
    public let tileSize: Int

    @usableFromInline let regs: UnsafeMutablePointer<Int32>
    @usableFromInline let elementIndex: UnsafeMutablePointer<Int32>
    @usableFromInline let preIndex: UnsafeMutablePointer<Int32>
    @usableFromInline let postIndex: UnsafeMutablePointer<Int32>
    /// Row segments of the tile being built (synapse scope): 4 Int32 each = first lane,
    /// length, pre index, first post index. Lets pre loads be fills and post loads copies.
    @usableFromInline let segments: UnsafeMutablePointer<Int32>
    /// Source pointers of the run in progress, indexed by MicrocodeSource.rawValue (no
    /// per-run array allocation), and a zero cell standing in for empty sources.
    let sourceTable: UnsafeMutablePointer<UnsafeMutablePointer<Int32>>
    let zeroCell: UnsafeMutablePointer<Int32>
    /// Stands in for the weight memory in neuron scope (never read: neuron programs cannot
    /// address w or aux), so a neuron-scope run allocates nothing.
    let zeroWeight: UnsafeMutablePointer<Int16>
    /// The fused three-factor form's draws for one row chunk, and the keyed draws of one
    /// tile (tileSize of them).
    let drawBuffer: UnsafeMutablePointer<UInt64>

    /// Whether `prepare` recognises the fused forms (ThreeFactorForm, MomentumForm): a cache
    /// keyed by program, bit-exact with the tile interpreter (counts included). Off, every
    /// program runs on the interpreter. The default is on unless the environment has
    /// CHIPSIM_NO_FUSED=1 (docs/LEARNING.md, "Fused kernels").
    public let usesFusedForms: Bool
    public static let fusedFormsByDefault = ProcessInfo.processInfo.environment["CHIPSIM_NO_FUSED"] != "1"

    public init(lanes: Int = 1, tileSize: Int = 1024, fusedForms: Bool = PlasticityUnit.fusedFormsByDefault) {
        precondition(lanes >= 1 && tileSize >= 1)
        self.lanes = lanes
        self.tileSize = tileSize
        usesFusedForms = fusedForms
        regs = .allocate(capacity: MicrocodeMachine.aluRegisters * tileSize)
        elementIndex = .allocate(capacity: tileSize)
        preIndex = .allocate(capacity: tileSize)
        postIndex = .allocate(capacity: tileSize)
        segments = .allocate(capacity: 4 * tileSize)
        drawBuffer = .allocate(capacity: tileSize)
        zeroCell = .allocate(capacity: 1)
        zeroCell.initialize(to: 0)
        zeroWeight = .allocate(capacity: 1)
        zeroWeight.initialize(to: 0)
        sourceTable = .allocate(capacity: 16)
        sourceTable.initialize(repeating: zeroCell, count: 16)
    }

    deinit {
        regs.deallocate(); elementIndex.deallocate(); preIndex.deallocate(); postIndex.deallocate()
        segments.deallocate(); sourceTable.deallocate(); zeroCell.deallocate(); drawBuffer.deallocate()
        zeroWeight.deallocate()
    }

    /// Programs this unit has validated, with the registers each reads before writing: a rule
    /// runs the same few programs every step, and validating one costs more than running it
    /// over a small population.
    private var prepared: [(program: MicrocodeProgram, zeroRegisters: [Int], reads: UInt32,
                            threeFactor: ThreeFactorForm?, momentum: MomentumForm?)] = []

    /// Validates `program` for `scope` (a precondition: programs come from the assembler) once,
    /// and returns the ALU registers to clear before each tile and the sources it reads (bit
    /// MicrocodeSource.rawValue: ld operands, gates, requires): only those get pointers.
    func prepare(_ program: MicrocodeProgram, scope: MicrocodeScope)
        -> (zeroRegisters: [Int], reads: UInt32, threeFactor: ThreeFactorForm?, momentum: MomentumForm?) {
        for entry in prepared where entry.program == program {
            return (entry.zeroRegisters, entry.reads, entry.threeFactor, entry.momentum)
        }
        precondition(program.scope == scope && program.validationError() == nil, "invalid \(scope) program")
        let zero = program.registersReadBeforeWritten
        var reads: UInt32 = 0
        for ins in program.instructions where ins.op == .ld { reads |= 1 << UInt32(ins.a) }
        for src in program.gates + program.requires { reads |= 1 << UInt32(src.rawValue) }
        let form = usesFusedForms ? ThreeFactorForm(program) : nil, momentum = usesFusedForms ? MomentumForm(program) : nil
        if prepared.count >= 32 { prepared.removeFirst() }
        prepared.append((program, zero, reads, form, momentum))
        return (zero, reads, form, momentum)
    }

    /// Points sourceTable at the sources a program reads (others at the zero cell, never read)
    /// for the duration of `body`. `source(k)` returns the array of MicrocodeSource raw value k
    /// (called only for the sources in `reads`): no array of arrays is built per run.
    func withSources(count: Int, reads: UInt32, _ source: (Int) -> ContiguousArray<Int32>, _ body: () -> Void) {
        sourceTable.update(repeating: zeroCell, count: 16)
        bindSources(from: 0, count: count, reads: reads, source, table: sourceTable, zero: zeroCell, body)
    }

    // MARK: - Synapse scope

    /// Runs a synapse-scope program over the non-skipped synapses of `block` (skip rule on
    /// MicrocodeProgram). Counts per executed synapse: 1 `.plastSynapse`, one `.plastInstr`
    /// per instruction, `.prngDraw` per rand/sround, `.sramReadBits` / `.sramWriteBits` of
    /// weightBits or auxBits per ld/st of w or aux.
    public func runSynapseScope(_ program: MicrocodeProgram, block: inout SynapseBlock,
                                pre: PreSynapticTraces, post: PostSynapticState,
                                random: MicrocodeRandom, counts: inout ActionCounts) -> PlasticityRun {
        let (zeroRegisters, reads, threeFactor, momentum) = prepare(program, scope: .synapse)
        precondition(pre.count == block.nPre && post.count == block.nPost, "state does not match block")
        let nPre = block.nPre, nPost = block.nPost
        if nPre == 0 || nPost == 0 { return PlasticityRun() }
        var weights = block.weights, aux = block.aux
        block.weights = []; block.aux = []           // move out: unique buffers, no copy on write
        let hasAux = block.auxBits > 0
        defer { block.weights = weights; block.aux = hasAux ? aux : [] }
        if !hasAux { aux = ContiguousArray(repeating: 0, count: 1) }   // reads as 0, stores dropped
        // The sources by MicrocodeSource raw value: x0 x1 x2 y0 y1 y2 y3 u v mod r0 r1 r2 r3.
        func source(_ k: Int) -> ContiguousArray<Int32> {
            switch k {
            case 0: return pre.spikes
            case 1: return pre.x1
            case 2: return pre.x2
            case 3: return post.spikes
            case 4: return post.y1
            case 5: return post.y2
            case 6: return post.y3
            case 7: return post.u
            case 8: return post.v
            case 9: return post.modulator
            case 10: return post.r0
            case 11: return post.r1
            case 12: return post.r2
            default: return post.r3
            }
        }
        var executed = 0, skipped = 0
        withSources(count: 14, reads: reads, source) {
            let ptrs = sourceTable
            weights.withUnsafeMutableBufferPointer { wBuf in
                aux.withUnsafeMutableBufferPointer { aBuf in
                    let ctx = TileContext(unit: self, sources: ptrs, weights: wBuf.baseAddress!,
                                          aux: aBuf.baseAddress!, hasAux: hasAux,
                                          weightBits: block.weightBits, auxBits: block.auxBits)
                    // Skip-rule classification: which factors are read per axon, per neuron, per synapse.
                    func isPre(_ s: MicrocodeSource) -> Bool { s == .x0 || s == .x1 || s == .x2 }
                    func isPost(_ s: MicrocodeSource) -> Bool { !isPre(s) && !s.isSynapseMemory }
                    let gates = program.gates, requires = program.requires
                    let preGates = gates.filter(isPre), postGates = gates.filter(isPost)
                    let synGates = gates.filter { $0.isSynapseMemory }
                    let preReq = requires.filter(isPre), postReq = requires.filter(isPost)
                    let synReq = requires.filter { $0.isSynapseMemory }
                    func synValue(_ g: MicrocodeSource, _ s: Int) -> Int32 {
                        g == .w ? Int32(wBuf[s]) : (hasAux ? aBuf[s] : 0)
                    }
                    // Per neuron: 0 = required factor zero (skip), 1 = allowed, gate not yet open,
                    // 2 = allowed and a post gate is nonzero (or there are no gates).
                    var postState = [UInt8](repeating: 0, count: nPost)
                    for j in 0..<nPost where !postReq.contains(where: { ctx.source($0)[j] == 0 }) {
                        postState[j] = gates.isEmpty || postGates.contains(where: { ctx.source($0)[j] != 0 }) ? 2 : 1
                    }
                    var n = 0
                    var contiguous = true
                    var segCount = 0
                    let seg = segments
                    var segmentsUsable = true
                    var fusedCount = 0
                    func flush() {
                        if n > 0 {
                            ctx.executeTile(program, count: n, contiguous: contiguous, segmentCount: segmentsUsable ? segCount : 0,
                                            scope: .synapse, random: random, zeroRegisters: zeroRegisters, counts: &counts)
                        }
                        executed += n; n = 0; contiguous = true; segCount = 0
                    }
                    func addSegment(lane: Int, length: Int, pre: Int, post: Int) {
                        let g = seg + 4 * segCount
                        g[0] = Int32(truncatingIfNeeded: lane); g[1] = Int32(truncatingIfNeeded: length)
                        g[2] = Int32(truncatingIfNeeded: pre); g[3] = Int32(truncatingIfNeeded: post)
                        segCount += 1
                    }
                    // Product-form skip rules (requires only, no gates, no synapse factors): the
                    // active synapses are exactly active rows x active columns, so only the
                    // active columns of each active row are visited (same order, same result).
                    let productForm = gates.isEmpty && synReq.isEmpty && !postReq.isEmpty
                    var activeColumns: [Int32] = []
                    if productForm {
                        for j in 0..<nPost where postState[j] == 2 { activeColumns.append(Int32(j)) }
                    }
                    let fusedKey = threeFactor?.roundKey(random) ?? RandomKey(rawValue: 0)
                    let momentumKey = momentum?.roundKey(random) ?? RandomKey(rawValue: 0)
                    var fusedMomentumCount = 0
                    // The fused form's factor of each active column, in column order.
                    let activeFactors: [Int32] = threeFactor.map { f in activeColumns.map { ctx.source(f.post)[Int($0)] } } ?? []
                    let activeOffsets: [UInt64] = threeFactor != nil ? ThreeFactorForm.columnOffsets(activeColumns) : []
                    for i in 0..<nPre {
                        let rowBase = i * nPost
                        if preReq.contains(where: { ctx.source($0)[i] == 0 }) { skipped += nPost; continue }
                        if productForm, let f = threeFactor {
                            // The three-factor form, fused: the same arithmetic as the tile
                            // kernel's seven instructions, element by element (ThreeFactorForm).
                            skipped += nPost - activeColumns.count
                            activeColumns.withUnsafeBufferPointer { cols in activeFactors.withUnsafeBufferPointer { facs in
                            activeOffsets.withUnsafeBufferPointer { offs in
                                f.updateRow(x1: ctx.source(.x1)[i], factors: facs.baseAddress!, columns: cols.baseAddress!,
                                            columnOffsets: offs.baseAddress!, count: cols.count, rowBase: rowBase, weights: wBuf.baseAddress!,
                                            key: fusedKey, weightBits: block.weightBits,
                                            scratch: drawBuffer, scratchCapacity: tileSize)
                            } } }
                            fusedCount += activeColumns.count
                            continue
                        }
                        if productForm {
                            // Active columns of this row, in chunks that fill the tile. No row
                            // segments (short runs: the tile gathers by index instead).
                            skipped += nPost - activeColumns.count
                            let i32 = Int32(truncatingIfNeeded: i), base32 = Int32(truncatingIfNeeded: rowBase)
                            let nCols = activeColumns.count
                            var c0 = 0
                            while c0 < nCols {
                                let len = Swift.min(nCols - c0, tileSize - n)
                                activeColumns.withUnsafeBufferPointer { cols in
                                    let e = elementIndex + n, p = preIndex + n, q = postIndex + n
                                    if contiguous {
                                        // Still one run of consecutive synapses (dense rows only)?
                                        let first = base32 &+ cols[c0]
                                        if n > 0 && elementIndex[n - 1] != first &- 1 { contiguous = false }
                                        if cols[c0 + len - 1] &- cols[c0] != Int32(len - 1) { contiguous = false }
                                    }
                                    for k in 0..<len {
                                        let j = cols[c0 + k]
                                        e[k] = base32 &+ j; p[k] = i32; q[k] = j
                                    }
                                }
                                segmentsUsable = false
                                n += len; c0 += len
                                if n == tileSize { flush() }
                            }
                            continue
                        }
                        if let m = momentum {
                            // The momentum form, fused (MomentumForm): no skip rules, every synapse.
                            if hasAux {
                                m.updateRow(x: ctx.source(m.pre)[i], factors: UnsafePointer(ctx.source(m.post)), count: nPost,
                                            rowBase: rowBase, aux: aBuf.baseAddress!, auxBits: block.auxBits, key: momentumKey)
                            }
                            fusedMomentumCount += nPost
                            continue
                        }
                        let rowOpen = preGates.contains(where: { ctx.source($0)[i] != 0 })
                        if (gates.isEmpty || rowOpen) && postReq.isEmpty && synReq.isEmpty {
                            // Whole row active: append it as index ranges (the dense fast path).
                            var j0 = 0
                            while j0 < nPost {
                                let len = Swift.min(nPost - j0, tileSize - n)
                                if n > 0 && Int(elementIndex[n - 1]) != rowBase + j0 - 1 { contiguous = false }
                                let e = elementIndex + n, p = preIndex + n, q = postIndex + n
                                let s0 = Int32(truncatingIfNeeded: rowBase + j0), i32 = Int32(truncatingIfNeeded: i)
                                let jj = Int32(truncatingIfNeeded: j0)
                                for k in 0..<len {
                                    let k32 = Int32(truncatingIfNeeded: k)
                                    e[k] = s0 &+ k32; p[k] = i32; q[k] = jj &+ k32
                                }
                                addSegment(lane: n, length: len, pre: i, post: j0)
                                n += len; j0 += len
                                if n == tileSize { flush() }
                            }
                            continue
                        }
                        for j in 0..<nPost {
                            let s = rowBase + j
                            let ps = postState[j]
                            var active = ps != 0 && (rowOpen || ps == 2)
                            if ps != 0 && !active {
                                for g in synGates where synValue(g, s) != 0 { active = true }
                            }
                            if active {
                                for g in synReq where synValue(g, s) == 0 { active = false }
                            }
                            if !active { skipped += 1; continue }
                            if n > 0 && Int(elementIndex[n - 1]) != s - 1 { contiguous = false }
                            if segCount > 0, case let g = seg + 4 * (segCount - 1),
                               Int(g[2]) == i, Int(g[0] + g[1]) == n, Int(g[3] + g[1]) == j {
                                g[1] += 1                      // extends the previous segment
                            } else {
                                addSegment(lane: n, length: 1, pre: i, post: j)
                            }
                            elementIndex[n] = Int32(truncatingIfNeeded: s)
                            preIndex[n] = Int32(truncatingIfNeeded: i)
                            postIndex[n] = Int32(truncatingIfNeeded: j)
                            n += 1
                            if n == tileSize { flush() }
                        }
                    }
                    flush()
                    // The fused forms' counts: per synapse one execution, each instruction, one
                    // draw (the sround) and one read and one write of the memory they update:
                    // the momentum form (8 instructions) aux, the three-factor form (7) w.
                    func countFused(_ n: Int, memoryBits: Int) {
                        guard n > 0 else { return }
                        let nn = UInt64(n)
                        counts.add(.plastSynapse, nn)
                        counts.add(.plastInstr, nn * UInt64(program.instructions.count))
                        counts.add(.prngDraw, nn)
                        counts.add(.sramReadBits, nn * UInt64(memoryBits))
                        counts.add(.sramWriteBits, nn * UInt64(memoryBits))
                        executed += n
                    }
                    countFused(fusedMomentumCount, memoryBits: block.auxBits)
                    countFused(fusedCount, memoryBits: block.weightBits)
                }
            }
        }
        return .finish(executed: executed, skipped: skipped, lanes: lanes, program: program)
    }

    // MARK: - Neuron scope

    /// Runs a neuron-scope program over the non-skipped neurons. Counts one `.plastInstr`
    /// per instruction and one `.prngDraw` per rand/sround, per executed neuron.
    public func runNeuronScope(_ program: MicrocodeProgram, neurons: inout PostSynapticState,
                               random: MicrocodeRandom, counts: inout ActionCounts) -> PlasticityRun {
        let (zeroRegisters, reads, _, _) = prepare(program, scope: .neuron)
        let count = neurons.count
        if count == 0 { return PlasticityRun() }
        // Move the writable registers out so each has a unique buffer.
        var mod = neurons.modulator, r0 = neurons.r0, r1 = neurons.r1, r2 = neurons.r2, r3 = neurons.r3
        neurons.modulator = []; neurons.r0 = []; neurons.r1 = []; neurons.r2 = []; neurons.r3 = []
        defer { neurons.modulator = mod; neurons.r0 = r0; neurons.r1 = r1; neurons.r2 = r2; neurons.r3 = r3 }
        // The read-only sources by MicrocodeSource raw value (x0...x2 do not exist in neuron
        // scope; the writable mod and r0...r3 are bound below).
        let state = neurons
        func source(_ k: Int) -> ContiguousArray<Int32> {
            switch k {
            case 4: return state.y1
            case 5: return state.y2
            case 6: return state.y3
            case 7: return state.u
            case 8: return state.v
            default: return state.spikes
            }
        }
        var executed = 0, skipped = 0
        withSources(count: 9, reads: reads, source) {
            mod.withUnsafeMutableBufferPointer { m in r0.withUnsafeMutableBufferPointer { p0 in
            r1.withUnsafeMutableBufferPointer { p1 in r2.withUnsafeMutableBufferPointer { p2 in
            r3.withUnsafeMutableBufferPointer { p3 in
                let sources = sourceTable
                sources[9] = m.baseAddress!; sources[10] = p0.baseAddress!; sources[11] = p1.baseAddress!
                sources[12] = p2.baseAddress!; sources[13] = p3.baseAddress!
                let ctx = TileContext(unit: self, sources: sources, weights: zeroWeight, aux: zeroCell,
                                      hasAux: false, weightBits: 1, auxBits: 0)
                var n = 0
                var contiguous = true
                let hasSkipRule = !program.gates.isEmpty || !program.requires.isEmpty
                if !hasSkipRule {
                    // Every neuron runs: tiles of consecutive neurons, indices filled in one pass.
                    var j0 = 0
                    while j0 < count {
                        let len = Swift.min(tileSize, count - j0)
                        let e = elementIndex, q = postIndex, p = preIndex
                        for k in 0..<len {
                            let j = Int32(truncatingIfNeeded: j0 &+ k)
                            e[k] = j; q[k] = j; p[k] = 0
                        }
                        ctx.executeTile(program, count: len, contiguous: true, segmentCount: 0, scope: .neuron, random: random, zeroRegisters: zeroRegisters, counts: &counts)
                        executed += len
                        j0 += len
                    }
                    return
                }
                for j in 0..<count {
                    if hasSkipRule && program.skips({ Int64(ctx.source($0)[j]) }) {
                        skipped += 1; continue
                    }
                    if n > 0 && Int(elementIndex[n - 1]) != j - 1 { contiguous = false }
                    elementIndex[n] = Int32(truncatingIfNeeded: j)
                    postIndex[n] = Int32(truncatingIfNeeded: j)
                    preIndex[n] = 0
                    n += 1
                    if n == tileSize {
                        ctx.executeTile(program, count: n, contiguous: contiguous, segmentCount: 0, scope: .neuron, random: random, zeroRegisters: zeroRegisters, counts: &counts)
                        executed += n; n = 0; contiguous = true
                    }
                }
                if n > 0 {
                    ctx.executeTile(program, count: n, contiguous: contiguous, segmentCount: 0, scope: .neuron, random: random, zeroRegisters: zeroRegisters, counts: &counts)
                    executed += n
                }
            } } } } }
        }
        return .finish(executed: executed, skipped: skipped, lanes: lanes, program: program)
    }
}

/// Nests withUnsafeBufferPointer over the sources k in [k, count) that `reads` selects, writing
/// their base addresses into table[k] (valid inside `body` only). An empty array gets `zero`.
func bindSources(from k: Int, count: Int, reads: UInt32, _ source: (Int) -> ContiguousArray<Int32>,
                 table: UnsafeMutablePointer<UnsafeMutablePointer<Int32>>,
                 zero: UnsafeMutablePointer<Int32>, _ body: () -> Void) {
    var k = k
    while k < count && reads & (1 << UInt32(k)) == 0 { k += 1 }
    if k == count { return body() }
    let array = source(k)
    if array.isEmpty {
        table[k] = zero
        return bindSources(from: k + 1, count: count, reads: reads, source, table: table, zero: zero, body)
    }
    array.withUnsafeBufferPointer { p in
        table[k] = UnsafeMutablePointer(mutating: p.baseAddress!)
        bindSources(from: k + 1, count: count, reads: reads, source, table: table, zero: zero, body)
    }
}

/// Pointers of one run plus the tile kernel. Source pointers are indexed by
/// MicrocodeSource.rawValue for x0...r3 (pre sources by axon, post sources by neuron).
struct TileContext {
    let regs: UnsafeMutablePointer<Int32>
    let elementIndex: UnsafeMutablePointer<Int32>
    let preIndex: UnsafeMutablePointer<Int32>
    let postIndex: UnsafeMutablePointer<Int32>
    let segments: UnsafeMutablePointer<Int32>
    let draws: UnsafeMutablePointer<UInt64>
    let stride: Int
    let sources: UnsafeMutablePointer<UnsafeMutablePointer<Int32>>
    let weights: UnsafeMutablePointer<Int16>
    let aux: UnsafeMutablePointer<Int32>
    let hasAux: Bool
    let weightBits: Int
    let auxBits: Int

    init(unit: PlasticityUnit, sources: UnsafeMutablePointer<UnsafeMutablePointer<Int32>>, weights: UnsafeMutablePointer<Int16>,
         aux: UnsafeMutablePointer<Int32>, hasAux: Bool, weightBits: Int, auxBits: Int) {
        regs = unit.regs; elementIndex = unit.elementIndex; preIndex = unit.preIndex
        postIndex = unit.postIndex; segments = unit.segments; stride = unit.tileSize
        draws = unit.drawBuffer
        self.sources = sources; self.weights = weights; self.aux = aux
        self.hasAux = hasAux; self.weightBits = weightBits; self.auxBits = auxBits
    }

    @inline(__always) func source(_ s: MicrocodeSource) -> UnsafeMutablePointer<Int32> { sources[Int(s.rawValue)] }

    /// Executes `program` for the `n` elements listed in the index buffers.
    func executeTile(_ program: MicrocodeProgram, count n: Int, contiguous: Bool, segmentCount: Int, scope: MicrocodeScope,
                     random: MicrocodeRandom, zeroRegisters: [Int], counts: inout ActionCounts) {
        let nn = UInt64(n)
        // Registers start at 0: clear only those the program may read before writing them.
        for r in zeroRegisters { (regs + r * stride).update(repeating: 0, count: n) }
        if scope == .synapse { counts.add(.plastSynapse, nn) }
        counts.add(.plastInstr, nn * UInt64(program.instructions.count))
        let base = Int(elementIndex[0])
        let ei = elementIndex, pi = preIndex, qi = postIndex
        // Row segments pay off when they are long (dense rows); short ones fall back to gathers.
        let useSegments = segmentCount > 0 && segmentCount * 8 <= n
        for (pc, ins) in program.instructions.enumerated() {
            let d = regs + Int(ins.d) * stride
            let a = regs + Int(ins.a) * stride
            let b = regs + Int(ins.b) * stride
            let c = regs + Int(ins.c) * stride
            let imm = ins.imm
            switch ins.op {
            case .ld:
                let src = MicrocodeSource(rawValue: ins.a)!
                switch src {
                case .w:
                    counts.add(.sramReadBits, nn * UInt64(weightBits))
                    let w = weights
                    if contiguous { let wb = w + base; for k in 0..<n { d[k] = Int32(wb[k]) } }
                    else { for k in 0..<n { d[k] = Int32(w[Int(ei[k])]) } }
                case .aux:
                    counts.add(.sramReadBits, nn * UInt64(auxBits))
                    if !hasAux { for k in 0..<n { d[k] = 0 } }
                    else if contiguous { let ab = aux + base; for k in 0..<n { d[k] = ab[k] } }
                    else { let ax = aux; for k in 0..<n { d[k] = ax[Int(ei[k])] } }
                case .x0, .x1, .x2:
                    let p = source(src)
                    if useSegments {
                        for g in 0..<segmentCount {
                            let sg = segments + 4 * g
                            (d + Int(sg[0])).update(repeating: p[Int(sg[2])], count: Int(sg[1]))
                        }
                    } else { for k in 0..<n { d[k] = p[Int(pi[k])] } }
                default:
                    let p = source(src)
                    if contiguous && scope == .neuron { let pb = p + base; for k in 0..<n { d[k] = pb[k] } }
                    else if useSegments {
                        for g in 0..<segmentCount {
                            let sg = segments + 4 * g
                            (d + Int(sg[0])).update(from: p + Int(sg[3]), count: Int(sg[1]))
                        }
                    } else { for k in 0..<n { d[k] = p[Int(qi[k])] } }
                }
            case .ldi:
                for k in 0..<n { d[k] = imm }
            case .rand:
                counts.add(.prngDraw, nn)
                let key = random.key(for: .rand, pc: pc)
                let sh = UInt64(64 - Int(imm))
                for k in 0..<n { d[k] = Int32(truncatingIfNeeded: key.draw(Int(ei[k])) >> sh) }
            case .mov:
                if d != a { d.update(from: a, count: n) }
            case .add:
                lanes2(d, a, b, n) { clamp32(Int64($0) &+ Int64($1)) }
            case .sub:
                lanes2(d, a, b, n) { clamp32(Int64($0) &- Int64($1)) }
            case .mul:
                let s = Int64(imm)
                lanes2(d, a, b, n) { clamp32((Int64($0) &* Int64($1)) &>> s) }
            case .sh:
                if imm >= 0 {
                    let s = Int64(imm)
                    lanes1(d, a, n) { clamp32(Int64($0) &<< s) }
                } else {
                    let s = Int32(-imm)
                    lanes1(d, a, n) { $0 &>> s }
                }
            case .sat:
                let hi = Int32(FixedPoint.signedMax(bits: Int(imm))), lo = Int32(FixedPoint.signedMin(bits: Int(imm)))
                lanes1(d, a, n) { $0 > hi ? hi : ($0 < lo ? lo : $0) }
            case .sign:
                lanes1(d, a, n) { ($0 > 0 ? 1 : 0) - ($0 < 0 ? 1 : 0) }
            case .abs:
                lanes1(d, a, n) { let x = Int64($0); return clamp32(x < 0 ? -x : x) }
            case .neg:
                lanes1(d, a, n) { clamp32(0 &- Int64($0)) }
            case .min:
                lanes2(d, a, b, n) { Swift.min($0, $1) }
            case .max:
                lanes2(d, a, b, n) { Swift.max($0, $1) }
            case .sel:
                for k in 0..<n { d[k] = a[k] != 0 ? b[k] : c[k] }
            case .sround:
                counts.add(.prngDraw, nn)
                let key = random.key(for: .sround, pc: pc)
                let mask = (UInt64(1) << UInt64(imm)) - 1
                let s = Int64(imm)
                // Draws four lanes at a time (RandomKey.draw(SIMD4): the same values), then the
                // rounding as below for the tail.
                let maskV = SIMD4<UInt64>(repeating: mask)
                var k = 0
                while k + 4 <= n {
                    let idx = SIMD4<UInt64>(UInt64(bitPattern: Int64(ei[k])), UInt64(bitPattern: Int64(ei[k + 1])),
                                            UInt64(bitPattern: Int64(ei[k + 2])), UInt64(bitPattern: Int64(ei[k + 3])))
                    let low = SIMD4<Int64>(truncatingIfNeeded: key.draw(idx) & maskV)
                    let x = SIMD4<Int64>(Int64(a[k]), Int64(a[k + 1]), Int64(a[k + 2]), Int64(a[k + 3]))
                    let r = SIMD4<Int32>(truncatingIfNeeded: (x &+ low) &>> s)
                    d[k] = r[0]; d[k + 1] = r[1]; d[k + 2] = r[2]; d[k + 3] = r[3]
                    k += 4
                }
                while k < n {
                    let low = Int64(key.draw(Int(ei[k])) & mask)
                    d[k] = Int32(truncatingIfNeeded: (Int64(a[k]) &+ low) &>> s)
                    k += 1
                }
            case .rad:
                counts.add(.prngDraw, nn)
                fillKeyedDraws(random.elementKey(for: .rad, pc: pc), random: random, count: n, contiguous: contiguous,
                               useSegments: useSegments, segmentCount: segmentCount)
                let dr = draws, pos = imm, neg = -imm
                for k in 0..<n { d[k] = dr[k] >> 63 == 0 ? pos : neg }
            case .gau:
                counts.add(.prngDraw, nn)
                fillKeyedDraws(random.elementKey(for: .gau, pc: pc), random: random, count: n, contiguous: contiguous,
                               useSegments: useSegments, segmentCount: segmentCount)
                let dr = draws, delta = Int64(imm), m = Int64(imm) * Int64(ins.b)
                for k in 0..<n { d[k] = Int32(truncatingIfNeeded: gaussianCode(dr[k], delta: delta, limit: m)) }
            case .srk:
                counts.add(.prngDraw, nn)
                fillKeyedDraws(random.elementKey(for: .srk, pc: pc), random: random, count: n, contiguous: contiguous,
                               useSegments: useSegments, segmentCount: segmentCount)
                let dr = draws, mask = (UInt64(1) << UInt64(imm)) &- 1, s = Int64(imm)
                for k in 0..<n { d[k] = Int32(truncatingIfNeeded: (Int64(a[k]) &+ Int64(bitPattern: dr[k] & mask)) &>> s) }
            case .st:
                let dst = MicrocodeDestination(rawValue: ins.d)!
                switch dst {
                case .w:
                    counts.add(.sramWriteBits, nn * UInt64(weightBits))
                    let hi = Int32(FixedPoint.signedMax(bits: weightBits)), lo = Int32(FixedPoint.signedMin(bits: weightBits))
                    let w = weights
                    if contiguous {
                        let wb = w + base
                        for k in 0..<n { let x = a[k]; wb[k] = Int16(truncatingIfNeeded: x > hi ? hi : (x < lo ? lo : x)) }
                    } else {
                        for k in 0..<n { let x = a[k]; w[Int(ei[k])] = Int16(truncatingIfNeeded: x > hi ? hi : (x < lo ? lo : x)) }
                    }
                case .aux:
                    counts.add(.sramWriteBits, nn * UInt64(auxBits))
                    guard hasAux else { break }
                    let hi = Int32(FixedPoint.signedMax(bits: auxBits)), lo = Int32(FixedPoint.signedMin(bits: auxBits))
                    let ax = aux
                    if contiguous {
                        let ab = ax + base
                        for k in 0..<n { let x = a[k]; ab[k] = x > hi ? hi : (x < lo ? lo : x) }
                    } else {
                        for k in 0..<n { let x = a[k]; ax[Int(ei[k])] = x > hi ? hi : (x < lo ? lo : x) }
                    }
                case .mod, .r0, .r1, .r2, .r3:
                    let bits = dst == .mod ? LearningWidths.modulator : 32
                    let hi = Int32(FixedPoint.signedMax(bits: bits)), lo = Int32(FixedPoint.signedMin(bits: bits))
                    let srcID: MicrocodeSource = dst == .mod ? .mod : MicrocodeSource(name: dst.name)!
                    let p = source(srcID)
                    if contiguous && scope == .neuron {
                        // Neuron scope, one run of neurons: lane k is neuron base + k (vectorises).
                        let pb = p + base
                        for k in 0..<n { let x = a[k]; pb[k] = x > hi ? hi : (x < lo ? lo : x) }
                    } else {
                        for k in 0..<n { let x = a[k]; p[Int(qi[k])] = x > hi ? hi : (x < lo ? lo : x) }
                    }
                }
            }
        }
    }
}

extension TileContext {
    /// draws[k] = key.draw(index of lane k) for the n lanes of the tile, the index being
    /// MicrocodeRandom.elementIndex (local index, or the keyed global index). Runs of
    /// consecutive indices (a contiguous tile, or row segments when keyed) draw four lanes at a
    /// time from an offset key (RandomKey.offset: the same values).
    func fillKeyedDraws(_ key: RandomKey, random: MicrocodeRandom, count n: Int, contiguous: Bool,
                        useSegments: Bool, segmentCount: Int) {
        let dr = draws
        func run(_ first: Int, _ lane: Int, _ length: Int) {
            let k0 = key.offset(by: first), out = dr + lane
            var t = 0
            while t + 4 <= length {
                let u = UInt64(t)
                let z = k0.draw(SIMD4<UInt64>(u, u + 1, u + 2, u + 3))
                out[t] = z[0]; out[t + 1] = z[1]; out[t + 2] = z[2]; out[t + 3] = z[3]
                t += 4
            }
            while t < length { out[t] = k0.draw(t); t += 1 }
        }
        if let kd = random.keyed {
            let rs = kd.rowStride, off = kd.columnOffset
            if useSegments {
                for g in 0..<segmentCount {
                    let sg = segments + 4 * g
                    run(Int(sg[2]) * rs + off + Int(sg[3]), Int(sg[0]), Int(sg[1]))
                }
            } else {
                let pi = preIndex, qi = postIndex
                for k in 0..<n { dr[k] = key.draw(Int(pi[k]) * rs + off + Int(qi[k])) }
            }
        } else if contiguous {
            run(Int(elementIndex[0]), 0, n)
        } else {
            let ei = elementIndex
            for k in 0..<n { dr[k] = key.draw(Int(ei[k])) }
        }
    }
}

/// The `gau` code of one draw: clamp(round-half-away(delta z), -limit, limit) with z the
/// PRNG unit's Gaussian (RandomKey.gaussianQ24's arithmetic, on the draw's bits).
@inline(__always) func gaussianCode(_ draw: UInt64, delta: Int64, limit: Int64) -> Int64 {
    let r = draw >> 4
    var s = Int64(r & 1023) + Int64((r >> 10) & 1023) + Int64((r >> 20) & 1023)
    s += Int64((r >> 30) & 1023) + Int64((r >> 40) & 1023) + Int64((r >> 50) & 1023)
    let x = delta * (s - RandomKey.gaussianCentre) * RandomKey.gaussianScale
    let a = x < 0 ? -x : x
    let rounded = (a + (1 << 23)) >> 24
    let c = x < 0 ? -rounded : rounded
    return Swift.min(Swift.max(c, -limit), limit)
}

/// d[k] = f(a[k]) for k < n. ALU register rows are either the same row or disjoint, and the
/// loop vectorises only when the compiler can rule out a partial overlap: when d == a the
/// loop reads and writes one pointer, so no overlap check is needed.
@inline(__always) func lanes1(_ d: UnsafeMutablePointer<Int32>, _ a: UnsafeMutablePointer<Int32>, _ n: Int,
                              _ f: (Int32) -> Int32) {
    if d == a { for k in 0..<n { d[k] = f(d[k]) } } else { for k in 0..<n { d[k] = f(a[k]) } }
}

/// d[k] = f(a[k], b[k]) for k < n, with the same-row cases spelled out (see lanes1).
@inline(__always) func lanes2(_ d: UnsafeMutablePointer<Int32>, _ a: UnsafeMutablePointer<Int32>,
                              _ b: UnsafeMutablePointer<Int32>, _ n: Int, _ f: (Int32, Int32) -> Int32) {
    if d == a && d == b { for k in 0..<n { let x = d[k]; d[k] = f(x, x) } }
    else if d == a { for k in 0..<n { d[k] = f(d[k], b[k]) } }
    else if d == b { for k in 0..<n { d[k] = f(a[k], d[k]) } }
    else { for k in 0..<n { d[k] = f(a[k], b[k]) } }
}

/// Saturates an exact 64-bit result to signed 32 bits (branch-free, vectorises).
@inline(__always) func clamp32(_ x: Int64) -> Int32 {
    Int32(truncatingIfNeeded: Swift.min(Swift.max(x, Int64(Int32.min)), Int64(Int32.max)))
}

/// A synapse program of exactly the three-factor form
///     ld A, x1;  ld B, P;  mul C, A, B, 0;  sround D, C, ETA;  ld E, w;  sub F, E, D;  st w, F
/// (P a neuron-side source, registers in any consistent assignment). The plasticity unit runs
/// it fused (one pass per synapse, no tiles) with exactly the tile kernel's arithmetic:
/// product = clamp32(x1 * P); rounded = (product + (draw(synapse) & (2^ETA - 1))) >> ETA with the
/// sround key of pc 3; w = sat_weightBits(clamp32(w - rounded)). Tests hold it equal to the
/// scalar interpreter.
struct ThreeFactorForm {
    let post: MicrocodeSource
    let roundShift: Int
    var roundMask: UInt64 { (UInt64(1) << UInt64(roundShift)) - 1 }
    func roundKey(_ random: MicrocodeRandom) -> RandomKey { random.key(for: .sround, pc: 3) }

    /// The columns' counter terms (RandomKey.counterTerm), computed once per block run: the
    /// draw for synapse rowBase + j is key.offset(by: rowBase).draw(counterTerm: term(j)), so
    /// each row offsets its key once instead of multiplying again per synapse.
    static func columnOffsets(_ columns: [Int32]) -> [UInt64] {
        columns.map { RandomKey.counterTerm(Int($0)) }
    }

    /// The form over one row: synapses rowBase + columns[k] for k in [0, count), pre trace x1.
    /// The same arithmetic with the intermediate clamps folded: the rounded value
    /// (clamp32(x1 * P) + low bits) >> ETA already lies in Int32 (so its truncation is the
    /// identity), and clamping w - rounded to Int32 and then to the weight width equals
    /// clamping it to the weight width at once (a sub-range of Int32).
    @inline(__always)
    func updateRow(x1: Int32, factors: UnsafePointer<Int32>, columns: UnsafePointer<Int32>,
                   columnOffsets: UnsafePointer<UInt64>, count: Int,
                   rowBase: Int, weights w: UnsafeMutablePointer<Int16>, key: RandomKey, weightBits: Int,
                   scratch: UnsafeMutablePointer<UInt64>, scratchCapacity: Int) {
        let xi = Int64(x1), mask = roundMask, shift = Int64(roundShift)
        let hi = Int64(FixedPoint.signedMax(bits: weightBits)), lo = Int64(FixedPoint.signedMin(bits: weightBits))
        let i32min = Int64(Int32.min), i32max = Int64(Int32.max)
        // The draws first, four lanes at a time (SplitMix64 in 64-bit vector lanes), into
        // `scratch`; then the rounded updates; then the weights, gathered by column.
        let rowKey = key.offset(by: rowBase)
        let maskV = SIMD4<UInt64>(repeating: mask)
        var k0 = 0
        while k0 < count {
            let len = Swift.min(count - k0, scratchCapacity)
            let offsets = columnOffsets + k0
            var k = 0
            while k + 4 <= len {
                let o = SIMD4<UInt64>(offsets[k], offsets[k + 1], offsets[k + 2], offsets[k + 3])
                let z = rowKey.draw(counterTerms: o) & maskV
                scratch[k] = z[0]; scratch[k + 1] = z[1]; scratch[k + 2] = z[2]; scratch[k + 3] = z[3]
                k += 4
            }
            while k < len {
                scratch[k] = rowKey.draw(counterTerm: offsets[k]) & mask
                k += 1
            }
            // The rounded updates from the factors compacted in column order (a contiguous,
            // vectorising pass, written over the draws), then the weights by column.
            let cols = columns + k0, fac = factors + k0, row = w + rowBase
            for k in 0..<len {
                let product = Swift.min(Swift.max(xi &* Int64(fac[k]), i32min), i32max)
                scratch[k] = UInt64(bitPattern: (product &+ Int64(bitPattern: scratch[k])) &>> shift)
            }
            for k in 0..<len {
                let j = Int(truncatingIfNeeded: cols[k])
                row[j] = Int16(truncatingIfNeeded: Swift.min(Swift.max(Int64(row[j]) &- Int64(bitPattern: scratch[k]), lo), hi))
            }
            k0 += len
        }
    }

    init?(_ program: MicrocodeProgram) {
        let c = program.instructions
        guard program.scope == .synapse, c.count == 7 else { return nil }
        guard c[0].op == .ld, c[0].a == MicrocodeSource.x1.rawValue,
              c[1].op == .ld, let p = MicrocodeSource(rawValue: c[1].a), !p.isSynapseMemory,
              p != .x0, p != .x1, p != .x2, c[1].d != c[0].d,
              c[2].op == .mul, c[2].imm == 0, Set([c[2].a, c[2].b]) == Set([c[0].d, c[1].d]),
              c[3].op == .sround, c[3].a == c[2].d, (0...31).contains(c[3].imm),
              c[4].op == .ld, c[4].a == MicrocodeSource.w.rawValue, c[4].d != c[3].d,
              c[5].op == .sub, c[5].a == c[4].d, c[5].b == c[3].d,
              c[6].op == .st, c[6].d == MicrocodeDestination.w.rawValue, c[6].a == c[5].d
        else { return nil }
        post = p
        roundShift = Int(c[3].imm)
    }
}
