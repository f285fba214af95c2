import ChipModel

/// One named register file of a rule's state that outlives a sample (a loss baseline, a
/// feedback matrix, period counters, prototypes) and so must be saved by a checkpoint. The
/// rule declares each one with the range its hardware register can hold; the checkpoint saves
/// and validates every rule the same way (names, lengths, ranges) without per-rule code.
///
/// What a rule does not declare is reproduced from saved values: per-step random draws are
/// keyed by (seed, global step, ...) so the PRNG "position" is the saved global step, and the
/// per-sample schedule restarts at every sample (checkpoints are taken between samples, with
/// run.resetBetweenSamples true, so per-sample traces and registers are zero there).
public struct RuleStateRegister: Equatable, Sendable {
    public var name: String
    /// Values the register can hold (e.g. a signed 16-bit register: -32768...32767).
    public var range: ClosedRange<Int64>
    public var values: [Int64]

    public init(_ name: String, range: ClosedRange<Int64>, values: [Int64]) {
        self.name = name; self.range = range; self.values = values
    }

    /// A signed two's-complement register of `bits` bits (0 bits: only 0; 64 or more: Int64).
    public init(_ name: String, signedBits bits: Int, values: [Int64]) {
        self.init(name, range: RuleStateRegister.signedRange(bits: bits), values: values)
    }

    public init<T: BinaryInteger>(_ name: String, signedBits bits: Int, values: some Sequence<T>) {
        self.init(name, signedBits: bits, values: values.map { Int64($0) })
    }

    public static func signedRange(bits: Int) -> ClosedRange<Int64> {
        if bits <= 0 { return 0...0 }
        return bits >= 64 ? Int64.min...Int64.max : -(Int64(1) << (bits - 1))...((Int64(1) << (bits - 1)) - 1)
    }
}
