// The reference interpreter: one element at a time, every value in Int64, every rule of
// MicrocodeISA.swift written out once, plainly. It is the oracle the fast interpreter is
// tested against; it is not used on hot paths.

/// Outcome of running one program over a block or population.
public struct PlasticityRun: Equatable, Sendable {
    /// Elements executed (not skipped).
    public var executed: Int
    /// Elements skipped by the gate rule.
    public var skipped: Int
    /// Core cycles: ceil(executed / lanes) * program.cyclesPerElement.
    public var cycles: Int

    public init(executed: Int = 0, skipped: Int = 0, cycles: Int = 0) {
        self.executed = executed; self.skipped = skipped; self.cycles = cycles
    }

    static func finish(executed: Int, skipped: Int, lanes: Int, program: MicrocodeProgram) -> PlasticityRun {
        PlasticityRun(executed: executed, skipped: skipped,
                      cycles: (executed + lanes - 1) / lanes * program.cyclesPerElement)
    }
}

public enum ScalarInterpreter {
    static func sat32(_ x: Int64) -> Int32 { Int32(FixedPoint.saturate(x, bits: 32)) }

    /// Runs a synapse-scope program over every synapse of `block`, row-major (pre i, post j).
    public static func runSynapseScope(_ program: MicrocodeProgram, block: inout SynapseBlock,
                                       pre: PreSynapticTraces, post: PostSynapticState,
                                       random: MicrocodeRandom, lanes: Int = 1,
                                       counts: inout ActionCounts) -> PlasticityRun {
        precondition(program.scope == .synapse && program.validationError() == nil, "invalid synapse program")
        precondition(pre.count == block.nPre && post.count == block.nPost, "state does not match block")
        var executed = 0, skipped = 0
        for i in 0..<block.nPre {
            for j in 0..<block.nPost {
                let s = i * block.nPost + j
                func read(_ src: MicrocodeSource) -> Int64 {
                    switch src {
                    case .x0: return Int64(pre.spikes[i])
                    case .x1: return Int64(pre.x1[i])
                    case .x2: return Int64(pre.x2[i])
                    case .w: return Int64(block.weights[s])
                    case .aux: return block.auxBits == 0 ? 0 : Int64(block.aux[s])
                    default: return readPost(post, src, j)
                    }
                }
                if program.skips(read) {
                    skipped += 1
                    continue
                }
                executed += 1
                counts.add(.plastSynapse, 1)
                execute(program, index: s, keyedIndex: random.elementIndex(local: s, pre: i, post: j),
                        random: random, counts: &counts, read: read) { dst, value in
                    switch dst {
                    case .w:
                        block.weights[s] = Int16(FixedPoint.saturate(value, bits: block.weightBits))
                        return block.weightBits
                    case .aux:
                        if block.auxBits > 0 {
                            block.aux[s] = Int32(FixedPoint.saturate(value, bits: block.auxBits))
                        }
                        return block.auxBits
                    default: preconditionFailure("validated program stores only w/aux in synapse scope")
                    }
                } readBits: { src in
                    src == .w ? block.weightBits : (src == .aux ? block.auxBits : 0)
                }
            }
        }
        return .finish(executed: executed, skipped: skipped, lanes: lanes, program: program)
    }

    /// Runs a neuron-scope program over every neuron of `neurons`, in index order.
    public static func runNeuronScope(_ program: MicrocodeProgram, neurons: inout PostSynapticState,
                                      random: MicrocodeRandom, lanes: Int = 1,
                                      counts: inout ActionCounts) -> PlasticityRun {
        precondition(program.scope == .neuron && program.validationError() == nil, "invalid neuron program")
        var executed = 0, skipped = 0
        for j in 0..<neurons.count {
            if program.skips({ readPost(neurons, $0, j) }) {
                skipped += 1
                continue
            }
            executed += 1
            execute(program, index: j, keyedIndex: random.elementIndex(local: j, pre: 0, post: j),
                    random: random, counts: &counts, read: { readPost(neurons, $0, j) }) { dst, value in
                switch dst {
                case .mod: neurons.modulator[j] = Int32(FixedPoint.saturate(value, bits: LearningWidths.modulator))
                case .r0: neurons.r0[j] = sat32(value)
                case .r1: neurons.r1[j] = sat32(value)
                case .r2: neurons.r2[j] = sat32(value)
                case .r3: neurons.r3[j] = sat32(value)
                default: preconditionFailure("validated program stores only neuron registers in neuron scope")
                }
                return 0
            } readBits: { _ in 0 }
        }
        return .finish(executed: executed, skipped: skipped, lanes: lanes, program: program)
    }

    static func readPost(_ post: PostSynapticState, _ src: MicrocodeSource, _ j: Int) -> Int64 {
        switch src {
        case .y0: return Int64(post.spikes[j])
        case .y1: return Int64(post.y1[j])
        case .y2: return Int64(post.y2[j])
        case .y3: return Int64(post.y3[j])
        case .u: return Int64(post.u[j])
        case .v: return Int64(post.v[j])
        case .mod: return Int64(post.modulator[j])
        case .r0: return Int64(post.r0[j])
        case .r1: return Int64(post.r1[j])
        case .r2: return Int64(post.r2[j])
        case .r3: return Int64(post.r3[j])
        case .x0, .x1, .x2, .w, .aux: preconditionFailure("not a post-synaptic source")
        }
    }

    /// Executes every instruction for one element. `read` yields a source's current value,
    /// `store` writes a destination (saturating) and returns the SRAM bits it wrote,
    /// `readBits` gives the SRAM bits of a load. `keyedIndex` is the element's index for the
    /// keyed draws (MicrocodeRandom.elementIndex).
    static func execute(_ program: MicrocodeProgram, index: Int, keyedIndex: Int, random: MicrocodeRandom,
                        counts: inout ActionCounts, read: (MicrocodeSource) -> Int64,
                        store: (MicrocodeDestination, Int64) -> Int,
                        readBits: (MicrocodeSource) -> Int) {
        var r = [Int64](repeating: 0, count: MicrocodeMachine.aluRegisters)
        for (pc, ins) in program.instructions.enumerated() {
            counts.add(.plastInstr, 1)
            let a = r[Int(ins.a) % r.count], b = r[Int(ins.b) % r.count], c = r[Int(ins.c) % r.count]
            let k = Int64(ins.imm)
            var result: Int64 = 0
            switch ins.op {
            case .ld:
                let src = MicrocodeSource(rawValue: ins.a)!
                result = read(src)
                counts.add(.sramReadBits, UInt64(readBits(src)))
            case .ldi: result = k
            case .rand:
                counts.add(.prngDraw, 1)
                result = Int64(random.key(for: .rand, pc: pc).draw(index) >> UInt64(64 - k))
            case .mov: result = a
            case .add: result = a + b
            case .sub: result = a - b
            case .mul: result = (a * b) >> k
            case .sh: result = k >= 0 ? a << k : a >> -k
            case .sat: result = FixedPoint.saturate(a, bits: Int(k))
            case .sign: result = a > 0 ? 1 : (a < 0 ? -1 : 0)
            case .abs: result = a < 0 ? -a : a
            case .neg: result = -a
            case .min: result = Swift.min(a, b)
            case .max: result = Swift.max(a, b)
            case .sel: result = a != 0 ? b : c
            case .sround:
                counts.add(.prngDraw, 1)
                let low = Int64(random.key(for: .sround, pc: pc).draw(index) & ((UInt64(1) << UInt64(k)) - 1))
                result = (a + low) >> k
            case .st:
                counts.add(.sramWriteBits, UInt64(store(MicrocodeDestination(rawValue: ins.d)!, a)))
                continue
            case .rad:
                counts.add(.prngDraw, 1)
                let top = random.elementKey(for: .rad, pc: pc).draw(keyedIndex) >> 63
                result = top == 0 ? k : -k
            case .gau:
                counts.add(.prngDraw, 1)
                let x = k * random.elementKey(for: .gau, pc: pc).gaussianQ24(keyedIndex)   // units of 2^-24
                let rounded = x >= 0 ? (x + (1 << 23)) >> 24 : -((-x + (1 << 23)) >> 24)   // half away from 0
                let m = k * Int64(ins.b)
                result = Swift.min(Swift.max(rounded, -m), m)
            case .srk:
                counts.add(.prngDraw, 1)
                let low = Int64(random.elementKey(for: .srk, pc: pc).draw(keyedIndex) & ((UInt64(1) << UInt64(k)) - 1))
                result = (a + low) >> k
            }
            r[Int(ins.d)] = Int64(sat32(result))
        }
    }
}
