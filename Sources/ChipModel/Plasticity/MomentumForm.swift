/// A synapse program of exactly the momentum form (OPZO's feedback update, OPZOPrograms.momentum)
///     ld A, aux;  sround B, A, K;  sub A', A, B;  ld C, X;  ld D, P;  mul E, C, D, S;
///     add F, A', E;  st aux, F
/// (X a presynaptic source x0 / x1 / x2, P a neuron-side source, registers in any assignment
/// where each value is still live when read). Without gates or requires every synapse runs it,
/// so the plasticity unit runs it fused, row by row in four-lane groups, with exactly the tile
/// kernel's arithmetic, for synapse s = i * nPost + j:
///     a  = aux[s]                                        (0 without aux registers)
///     b  = trunc32((a + (draw_pc1(s) & (2^K - 1))) >> K)  the sround of pc 1
///     a' = clamp32(a - b)
///     e  = clamp32((X[i] * P[j]) >> S)                    arithmetic shift
///     f  = clamp32(a' + e)
///     aux[s] = sat_auxBits(f)                             (dropped without aux registers)
/// and the same counts (8 instructions, one draw, auxBits read and written per synapse).
/// `FusedMomentumTests` hold it equal to the scalar interpreter.
struct MomentumForm {
    let pre: MicrocodeSource
    let post: MicrocodeSource
    let decayShift: Int
    let productShift: Int

    func roundKey(_ random: MicrocodeRandom) -> RandomKey { random.key(for: .sround, pc: 1) }

    init?(_ program: MicrocodeProgram) {
        let c = program.instructions
        guard program.scope == .synapse, program.gates.isEmpty, program.requires.isEmpty, c.count == 8 else { return nil }
        let A = c[0].d, B = c[1].d, A2 = c[2].d, C = c[3].d, D = c[4].d, E = c[5].d, F = c[6].d
        guard c[0].op == .ld, c[0].a == MicrocodeSource.aux.rawValue,
              c[1].op == .sround, c[1].a == A, B != A, (0...31).contains(c[1].imm),
              c[2].op == .sub, c[2].a == A, c[2].b == B,
              c[3].op == .ld, let x = MicrocodeSource(rawValue: c[3].a), x == .x0 || x == .x1 || x == .x2, C != A2,
              c[4].op == .ld, let p = MicrocodeSource(rawValue: c[4].a), !p.isSynapseMemory,
              p != .x0, p != .x1, p != .x2, D != A2, D != C,
              c[5].op == .mul, Set([c[5].a, c[5].b]) == Set([C, D]), E != A2, (0...63).contains(c[5].imm),
              c[6].op == .add, Set([c[6].a, c[6].b]) == Set([A2, E]),
              c[7].op == .st, c[7].d == MicrocodeDestination.aux.rawValue, c[7].a == F
        else { return nil }
        pre = x
        post = p
        decayShift = Int(c[1].imm)
        productShift = Int(c[5].imm)
    }

    /// The form over row i: synapses rowBase + j for j in [0, n), presynaptic factor x.
    @inline(__always)
    func updateRow(x: Int32, factors q: UnsafePointer<Int32>, count n: Int, rowBase: Int,
                   aux: UnsafeMutablePointer<Int32>, auxBits: Int, key: RandomKey) {
        typealias V = SIMD4<Int64>
        let mask = (UInt64(1) << UInt64(decayShift)) - 1, k = Int64(decayShift), s = Int64(productShift)
        let xi = Int64(x)
        let lo32 = V(repeating: Int64(Int32.min)), hi32 = V(repeating: Int64(Int32.max))
        let loAux = V(repeating: FixedPoint.signedMin(bits: auxBits)), hiAux = V(repeating: FixedPoint.signedMax(bits: auxBits))
        let row = aux + rowBase
        let maskV = SIMD4<UInt64>(repeating: mask), lane = SIMD4<UInt64>(0, 1, 2, 3)
        let base = UInt64(bitPattern: Int64(rowBase))
        var j = 0
        while j + 4 <= n {
            let a = V(truncatingIfNeeded: UnsafeRawPointer(row + j).loadUnaligned(as: SIMD4<Int32>.self))
            let low = V(truncatingIfNeeded: key.draw(lane &+ (base &+ UInt64(j))) & maskV)
            let b = V(truncatingIfNeeded: SIMD4<Int32>(truncatingIfNeeded: (a &+ low) &>> k))
            let a1 = (a &- b).clampedLanes(lo32, hi32)
            let p = V(truncatingIfNeeded: UnsafeRawPointer(q + j).loadUnaligned(as: SIMD4<Int32>.self))
            let e = ((V(repeating: xi) &* p) &>> s).clampedLanes(lo32, hi32)
            let f = (a1 &+ e).clampedLanes(lo32, hi32).clampedLanes(loAux, hiAux)
            UnsafeMutableRawPointer(row + j).storeBytes(of: SIMD4<Int32>(truncatingIfNeeded: f), as: SIMD4<Int32>.self)
            j += 4
        }
        while j < n {
            let a = Int64(row[j])
            let low = Int64(key.draw(rowBase &+ j) & mask)
            let b = Int64(Int32(truncatingIfNeeded: (a &+ low) &>> k))
            let a1 = Int64(clamp32(a &- b))
            let e = Int64(clamp32((xi &* Int64(q[j])) &>> s))
            let f = FixedPoint.saturate(Int64(clamp32(a1 &+ e)), bits: auxBits)
            row[j] = Int32(truncatingIfNeeded: f)
            j += 1
        }
    }
}
