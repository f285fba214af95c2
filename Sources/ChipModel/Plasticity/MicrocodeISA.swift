// The plasticity unit's instruction set (docs/MICROCODE.md is the user-facing manual).
//
// Machine model: each element (a neuron in neuron scope, a synapse in synapse scope) owns
// eight ALU registers a0..a7, signed 32-bit, all zero when the element's program starts.
// Loads copy learning state into an ALU register, stores write an ALU register back with
// saturation to the destination's width. There are no branches: `sel` is the only
// data-dependent choice, so every executed element runs every instruction (which is what
// lets the fast interpreter run one instruction across a whole tile of synapses).
//
// Overflow: every arithmetic result is computed exactly in 64 bits and then SATURATED to
// signed 32 bits ([-2^31, 2^31 - 1]); nothing wraps. Per-op details are on `Opcode`.

/// Where a program runs: once per neuron, or once per (non-skipped) synapse.
public enum MicrocodeScope: UInt8, CaseIterable, Sendable {
    case neuron = 0
    case synapse = 1

    public var name: String { self == .neuron ? "neuron" : "synapse" }
}

/// Readable state (operand of `ld` and of `.gate`). Values are the stored integers.
public enum MicrocodeSource: UInt8, CaseIterable, Sendable {
    /// Pre-synaptic spike flag of this step (0/1). Synapse scope only.
    case x0 = 0
    /// Pre-synaptic traces (unsigned traceBits). Synapse scope only.
    case x1, x2
    /// Post-synaptic spike flag of this step (0/1).
    case y0
    /// Post-synaptic traces (unsigned traceBits).
    case y1, y2, y3
    /// Post neuron's current and voltage (read-only inputs, signed 24-bit values).
    case u, v
    /// Post neuron's modulator (signed 16-bit).
    case mod
    /// Post neuron's scratch registers (signed 32-bit).
    case r0, r1, r2, r3
    /// The synapse's weight mantissa (signed weightBits). Synapse scope only.
    case w
    /// The synapse's auxiliary register (signed auxBits). Synapse scope only.
    case aux

    public var name: String { MicrocodeSource.names[Int(rawValue)] }
    static let names = ["x0", "x1", "x2", "y0", "y1", "y2", "y3", "u", "v", "mod",
                        "r0", "r1", "r2", "r3", "w", "aux"]

    public init?(name: String) {
        guard let k = MicrocodeSource.names.firstIndex(of: name) else { return nil }
        self.init(rawValue: UInt8(k))
    }

    /// Whether a program of `scope` may read this source.
    public func readable(in scope: MicrocodeScope) -> Bool {
        switch self {
        case .x0, .x1, .x2, .w, .aux: return scope == .synapse
        default: return true
        }
    }

    /// Synapse SRAM sources: reading them counts `sramReadBits` (weightBits or auxBits).
    public var isSynapseMemory: Bool { self == .w || self == .aux }
}

/// Writable state (operand of `st`). Every store saturates to the destination's width.
public enum MicrocodeDestination: UInt8, CaseIterable, Sendable {
    /// Synapse scope only: weight (weightBits) and auxiliary register (auxBits).
    case w = 0, aux
    /// Neuron scope only: modulator (16 bits) and scratch registers r0..r3 (32 bits).
    /// (Synapse scope cannot write neuron state: many synapses share one neuron.)
    case mod, r0, r1, r2, r3

    public var name: String { MicrocodeDestination.names[Int(rawValue)] }
    static let names = ["w", "aux", "mod", "r0", "r1", "r2", "r3"]

    public init?(name: String) {
        guard let k = MicrocodeDestination.names.firstIndex(of: name) else { return nil }
        self.init(rawValue: UInt8(k))
    }

    public func writable(in scope: MicrocodeScope) -> Bool {
        (self == .w || self == .aux) == (scope == .synapse)
    }
}

/// Opcodes. `d` is the destination ALU register, `a`, `b`, `c` source ALU registers,
/// `imm` the immediate. sat32(z) clips z to [-2^31, 2^31 - 1].
public enum Opcode: UInt8, CaseIterable, Sendable {
    /// `ld aD, SRC`: aD = SRC (a = source id). Reading w/aux counts sramReadBits.
    case ld = 0
    /// `ldi aD, IMM`: aD = IMM (any Int32).
    case ldi
    /// `rand aD, K`: aD = top K bits of one PRNG draw (stream .plasticity), K in 1...31,
    /// so 0 <= aD < 2^K. Counts one prngDraw.
    case rand
    /// `mov aD, aA`.
    case mov
    /// `add aD, aA, aB`: sat32(aA + aB).
    case add
    /// `sub aD, aA, aB`: sat32(aA - aB).
    case sub
    /// `mul aD, aA, aB, S`: sat32(floor(aA * aB / 2^S)); the 64-bit product is exact and
    /// the shift is arithmetic (rounds toward -infinity). S in 0...62.
    case mul
    /// `sh aD, aA, K`: K > 0: sat32(aA * 2^K) (no bits lost silently: clips);
    /// K < 0: floor(aA / 2^-K) (arithmetic right shift). K in -31...31.
    case sh
    /// `sat aD, aA, N`: clip aA to signed N bits [-2^(N-1), 2^(N-1) - 1], N in 1...32.
    case sat
    /// `sign aD, aA`: -1, 0 or 1.
    case sign
    /// `abs aD, aA`: sat32(|aA|) (|-2^31| clips to 2^31 - 1).
    case abs
    /// `neg aD, aA`: sat32(-aA).
    case neg
    /// `min aD, aA, aB` / `max aD, aA, aB`.
    case min, max
    /// `sel aD, aC, aA, aB`: aD = aC != 0 ? aA : aB. Encoded a = condition, b, c = choices.
    case sel
    /// `sround aD, aA, S`: floor((aA + r) / 2^S) with r the low S bits of one PRNG draw
    /// (stream .stochasticRounding): rounds up with probability (aA mod 2^S) / 2^S,
    /// unbiased. S in 1...31; the sum is exact in 64 bits so the result fits 32 bits.
    /// Counts one prngDraw.
    case sround
    /// `st DST, aA`: DST = saturate(aA, width of DST) (d = destination id, a = register).
    /// Writing w/aux counts sramWriteBits.
    case st
    // Keyed draws (appended, so the encodings above keep their values). They draw from the
    // run's element keys (MicrocodeRandom.elementKey / elementIndex): by default the run's own
    // per-pc keys at the element's index, or, when the rule supplies `KeyedDraws`, one rule key
    // at the element's mapping-independent global index (a weight-perturbation code that a
    // later pass regenerates bit for bit). Each counts one prngDraw.
    /// `rad aD, DELTA`: Rademacher code, aD = +DELTA if the draw's top bit is 0, else -DELTA.
    /// DELTA in 1...32767.
    case rad
    /// `gau aD, DELTA, CLIP`: Gaussian code, aD = clamp(rha(DELTA z), -CLIP DELTA, CLIP DELTA)
    /// with z = RandomKey.gaussianQ24 of the draw (six 10-bit fields of bits 4...63 summed,
    /// centred, times 23170, units of 2^-24) and rha(x) = x rounded half away from zero:
    /// sign(x) floor((|DELTA z| + 2^23) / 2^24), exact in 64 bits. DELTA in 1...32767 (imm),
    /// CLIP in 1...255 (field b).
    case gau
    /// `srk aD, aA, S`: stochastic rounding with the keyed draw: floor((aA + (draw mod 2^S)) / 2^S),
    /// S in 0...62 (S = 0: aA; S >= 32 gives -1, 0 or 1); the sum is exact in 64 bits, so the
    /// result fits 32 bits.
    case srk

    public var mnemonic: String { Opcode.mnemonics[Int(rawValue)] }
    static let mnemonics = ["ld", "ldi", "rand", "mov", "add", "sub", "mul", "sh", "sat",
                            "sign", "abs", "neg", "min", "max", "sel", "sround", "st",
                            "rad", "gau", "srk"]

    public init?(mnemonic: String) {
        guard let k = Opcode.mnemonics.firstIndex(of: mnemonic) else { return nil }
        self.init(rawValue: UInt8(k))
    }

    /// Core cycles of one lane executing this instruction for one element. Assumption
    /// (no published figure): a single-cycle ALU, a 2-cycle multiplier, and a PRNG port
    /// that delivers one draw per 2 cycles; loads/stores hit a 1-cycle learning SRAM port.
    /// `gau` adds one cycle to its draw for the six-field adder tree, the scale and the
    /// rounding (a multiplier-free constant scale, as in the PRNG unit's Gaussian).
    public var cycles: Int {
        switch self {
        case .mul, .rand, .sround, .rad, .srk: return 2
        case .gau: return 3
        default: return 1
        }
    }

    /// Whether this op draws from the PRNG (one 64-bit draw per executed element).
    public var drawsRandom: Bool {
        switch self {
        case .rand, .sround, .rad, .gau, .srk: return true
        default: return false
        }
    }
}

/// Number of ALU registers per element.
public enum MicrocodeMachine {
    public static let aluRegisters = 8
    /// Bits one instruction occupies in the core's microcode store (opcode 5, four 3-bit
    /// or 5-bit register/operand fields rounded to 27, immediate 32): counted as 64.
    public static let instructionBits = 64
}

/// One instruction. Unused fields are zero (so that equal programs compare equal).
public struct MicrocodeInstruction: Equatable, Hashable, Sendable {
    public var op: Opcode
    public var d: UInt8
    public var a: UInt8
    public var b: UInt8
    public var c: UInt8
    public var imm: Int32

    @inlinable
    public init(_ op: Opcode, d: UInt8 = 0, a: UInt8 = 0, b: UInt8 = 0, c: UInt8 = 0, imm: Int32 = 0) {
        self.op = op; self.d = d; self.a = a; self.b = b; self.c = c; self.imm = imm
    }

    // Builders, one per form, so programs written in Swift read like the assembly.
    public static func ld(_ d: Int, _ s: MicrocodeSource) -> Self { .init(.ld, d: UInt8(d), a: s.rawValue) }
    public static func ldi(_ d: Int, _ v: Int32) -> Self { .init(.ldi, d: UInt8(d), imm: v) }
    public static func rand(_ d: Int, bits: Int) -> Self { .init(.rand, d: UInt8(d), imm: Int32(bits)) }
    public static func unary(_ op: Opcode, _ d: Int, _ a: Int) -> Self { .init(op, d: UInt8(d), a: UInt8(a)) }
    public static func binary(_ op: Opcode, _ d: Int, _ a: Int, _ b: Int) -> Self {
        .init(op, d: UInt8(d), a: UInt8(a), b: UInt8(b))
    }
    public static func mul(_ d: Int, _ a: Int, _ b: Int, shift: Int) -> Self {
        .init(.mul, d: UInt8(d), a: UInt8(a), b: UInt8(b), imm: Int32(shift))
    }
    public static func sh(_ d: Int, _ a: Int, _ k: Int) -> Self { .init(.sh, d: UInt8(d), a: UInt8(a), imm: Int32(k)) }
    public static func sat(_ d: Int, _ a: Int, bits: Int) -> Self { .init(.sat, d: UInt8(d), a: UInt8(a), imm: Int32(bits)) }
    public static func sel(_ d: Int, _ cond: Int, _ t: Int, _ f: Int) -> Self {
        .init(.sel, d: UInt8(d), a: UInt8(cond), b: UInt8(t), c: UInt8(f))
    }
    public static func sround(_ d: Int, _ a: Int, shift: Int) -> Self {
        .init(.sround, d: UInt8(d), a: UInt8(a), imm: Int32(shift))
    }
    public static func st(_ dst: MicrocodeDestination, _ a: Int) -> Self { .init(.st, d: dst.rawValue, a: UInt8(a)) }
    public static func rad(_ d: Int, delta: Int) -> Self { .init(.rad, d: UInt8(d), imm: Int32(delta)) }
    public static func gau(_ d: Int, delta: Int, clip: Int) -> Self { .init(.gau, d: UInt8(d), b: UInt8(clip), imm: Int32(delta)) }
    public static func srk(_ d: Int, _ a: Int, shift: Int) -> Self { .init(.srk, d: UInt8(d), a: UInt8(a), imm: Int32(shift)) }
}

/// A program: its scope, its skip factors and its instructions.
///
/// Skip rule (exact). An element is SKIPPED — not executed, not counted, no PRNG draw, its
/// state untouched — iff
///     (a) some source in `requires` reads zero for it, or
///     (b) `gates` is not empty and every source in `gates` reads zero for it.
/// Sources are read before the program runs (synapse scope: pre sources at its pre axon,
/// post sources at its post neuron, w/aux at the synapse). `requires` suits products
/// (a three-factor update x1 * psi * mod is zero if x1 or mod is), `gates` suits sums of
/// products (STDP: x1 * y0 - y1 * x0 is zero when x0 = y0 = 0). The program's author (or
/// the rule compiler) guarantees that a skipped element's program would have been a no-op;
/// the hardware does not check that, so a wrong `.gate`/`.require` changes results.
public struct MicrocodeProgram: Equatable, Hashable, Sendable {
    public var scope: MicrocodeScope
    public var gates: [MicrocodeSource]
    public var requires: [MicrocodeSource]
    public var instructions: [MicrocodeInstruction]

    public init(scope: MicrocodeScope, gates: [MicrocodeSource] = [], requires: [MicrocodeSource] = [],
                instructions: [MicrocodeInstruction]) {
        self.scope = scope; self.gates = gates; self.requires = requires; self.instructions = instructions
    }

    /// The skip rule for one element, given a reader of its sources (reference form).
    @inlinable
    public func skips(_ read: (MicrocodeSource) -> Int64) -> Bool {
        if requires.contains(where: { read($0) == 0 }) { return true }
        return !gates.isEmpty && gates.allSatisfy { read($0) == 0 }
    }

    /// ALU registers some instruction may read before any instruction writes them (they read
    /// as 0). Exact, since programs have no branches.
    public var registersReadBeforeWritten: [Int] {
        var written = Set<UInt8>(), early = Set<UInt8>()
        for ins in instructions {
            let reads: [UInt8]
            switch ins.op {
            case .ld, .ldi, .rand, .rad, .gau: reads = []
            case .mov, .sign, .abs, .neg, .sh, .sat, .sround, .st, .srk: reads = [ins.a]
            case .add, .sub, .min, .max, .mul: reads = [ins.a, ins.b]
            case .sel: reads = [ins.a, ins.b, ins.c]
            }
            for r in reads where !written.contains(r) { early.insert(r) }
            if ins.op != .st { written.insert(ins.d) }
        }
        return early.map(Int.init).sorted()
    }

    /// Cycles one lane spends on one executed element (sum of instruction cycles).
    public var cyclesPerElement: Int { instructions.reduce(0) { $0 + $1.op.cycles } }

    /// Bytes of microcode store the program occupies.
    public var memoryBytes: Int { (instructions.count * MicrocodeMachine.instructionBits + 7) / 8 }

    /// Checks every field against the ISA; assemblers and interpreters rely on it.
    /// Returns a message naming the first bad instruction, or nil when valid.
    public func validationError() -> String? {
        for g in gates where !g.readable(in: scope) {
            return ".gate \(g.name) is not readable in \(scope.name) scope"
        }
        for g in requires where !g.readable(in: scope) {
            return ".require \(g.name) is not readable in \(scope.name) scope"
        }
        let nReg = UInt8(MicrocodeMachine.aluRegisters)
        for (pc, ins) in instructions.enumerated() {
            let at = "instruction \(pc) (\(ins.op.mnemonic))"
            func reg(_ r: UInt8) -> Bool { r < nReg }
            switch ins.op {
            case .ld:
                guard reg(ins.d), let s = MicrocodeSource(rawValue: ins.a) else { return "\(at): bad operands" }
                if !s.readable(in: scope) { return "\(at): \(s.name) is not readable in \(scope.name) scope" }
                if ins.b != 0 || ins.c != 0 || ins.imm != 0 { return "\(at): unused fields must be 0" }
            case .ldi:
                if !reg(ins.d) || ins.a != 0 || ins.b != 0 || ins.c != 0 { return "\(at): bad operands" }
            case .rand:
                if !reg(ins.d) || ins.a != 0 || ins.b != 0 || ins.c != 0 { return "\(at): bad operands" }
                if !(1...31).contains(ins.imm) { return "\(at): bit count \(ins.imm) outside 1...31" }
            case .mov, .sign, .abs, .neg:
                if !reg(ins.d) || !reg(ins.a) || ins.b != 0 || ins.c != 0 || ins.imm != 0 { return "\(at): bad operands" }
            case .add, .sub, .min, .max:
                if !reg(ins.d) || !reg(ins.a) || !reg(ins.b) || ins.c != 0 || ins.imm != 0 { return "\(at): bad operands" }
            case .mul:
                if !reg(ins.d) || !reg(ins.a) || !reg(ins.b) || ins.c != 0 { return "\(at): bad operands" }
                if !(0...62).contains(ins.imm) { return "\(at): shift \(ins.imm) outside 0...62" }
            case .sh:
                if !reg(ins.d) || !reg(ins.a) || ins.b != 0 || ins.c != 0 { return "\(at): bad operands" }
                if !(-31...31).contains(ins.imm) { return "\(at): shift \(ins.imm) outside -31...31" }
            case .sat:
                if !reg(ins.d) || !reg(ins.a) || ins.b != 0 || ins.c != 0 { return "\(at): bad operands" }
                if !(1...32).contains(ins.imm) { return "\(at): width \(ins.imm) outside 1...32" }
            case .sround:
                if !reg(ins.d) || !reg(ins.a) || ins.b != 0 || ins.c != 0 { return "\(at): bad operands" }
                if !(1...31).contains(ins.imm) { return "\(at): shift \(ins.imm) outside 1...31" }
            case .sel:
                if !reg(ins.d) || !reg(ins.a) || !reg(ins.b) || !reg(ins.c) || ins.imm != 0 { return "\(at): bad operands" }
            case .st:
                guard let dst = MicrocodeDestination(rawValue: ins.d), reg(ins.a) else { return "\(at): bad operands" }
                if !dst.writable(in: scope) { return "\(at): \(dst.name) is not writable in \(scope.name) scope" }
                if ins.b != 0 || ins.c != 0 || ins.imm != 0 { return "\(at): unused fields must be 0" }
            case .rad:
                if !reg(ins.d) || ins.a != 0 || ins.b != 0 || ins.c != 0 { return "\(at): bad operands" }
                if !(1...32767).contains(ins.imm) { return "\(at): amplitude \(ins.imm) outside 1...32767" }
            case .gau:
                if !reg(ins.d) || ins.a != 0 || ins.c != 0 { return "\(at): bad operands" }
                if !(1...32767).contains(ins.imm) { return "\(at): amplitude \(ins.imm) outside 1...32767" }
                if ins.b == 0 { return "\(at): clip 0 outside 1...255" }
            case .srk:
                if !reg(ins.d) || !reg(ins.a) || ins.b != 0 || ins.c != 0 { return "\(at): bad operands" }
                if !(0...62).contains(ins.imm) { return "\(at): shift \(ins.imm) outside 0...62" }
            }
        }
        return nil
    }
}
