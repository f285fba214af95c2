// Random bits for microcode: `rand` draws from stream .plasticity, `sround` from stream
// .stochasticRounding. The draw of instruction `pc` for element `index` (synapse index
// i * nPost + j in synapse scope, neuron index in neuron scope) is
//
//     RandomKey(seed, stream).with(core).with(step).with(block).with(scope).with(0x4D43)
//         .with(pc).draw(index)
//
// so it depends on neither visiting order, skipping of other elements, nor thread count.
// `block` distinguishes the connection blocks (or neuron populations) of one core.
//
// The keyed draws (`rad`, `gau`, `srk`) draw from the run's element keys. Without `keyed`
// they are the per-pc keys above (`rad` / `gau` of stream .plasticity, `srk` of
// .stochasticRounding, so `srk` then equals `sround`) at the element's index. With `keyed`
// (a rule's KeyedDraws) every `rad` / `gau` draws `codeKey.draw(g)` and every `srk`
// `roundKey.draw(g)`, with the element's global index g = i * rowStride + columnOffset + j
// (synapse (i, j) of the block; neuron j in neuron scope, i = 0): the rule's keys name what the
// bits are for (layer, connection, period), not the core or block, so the draws do not depend
// on the mapping and a later pass regenerates the same code (weight perturbation: write
// W + c, then restore W = W' - c with the same c). Two keyed ops of one program draw the same
// bits; a program uses each key once.

public struct MicrocodeRandom: Sendable, Equatable {
    public let randBase: RandomKey
    public let roundBase: RandomKey
    /// The rule's keys for `rad` / `gau` / `srk` and the global index; nil = per-pc keys.
    public var keyed: KeyedDraws?

    /// A rule's keys for the keyed draws and how an element's global index is formed.
    public struct KeyedDraws: Sendable, Equatable {
        public var codeKey: RandomKey
        public var roundKey: RandomKey
        public var rowStride: Int
        public var columnOffset: Int

        public init(codeKey: RandomKey, roundKey: RandomKey, rowStride: Int, columnOffset: Int) {
            self.codeKey = codeKey; self.roundKey = roundKey
            self.rowStride = rowStride; self.columnOffset = columnOffset
        }
    }

    public init(seed: UInt64, core: Int, step: Int, block: Int, scope: MicrocodeScope, keyed: KeyedDraws? = nil) {
        func base(_ s: RandomStream) -> RandomKey {
            RandomKey(seed: seed, stream: s).with(core).with(step).with(block)
                .with(Int(scope.rawValue)).with(0x4D43)
        }
        randBase = base(.plasticity)
        roundBase = base(.stochasticRounding)
        self.keyed = keyed
    }

    /// Key for instruction `pc` (a `rand` or `sround`); draw(index) gives the element's bits.
    @inlinable
    public func key(for op: Opcode, pc: Int) -> RandomKey {
        (op == .rand ? randBase : roundBase).with(pc)
    }

    /// Key of a keyed draw (`rad`, `gau`, `srk`) at instruction `pc`.
    @inlinable
    public func elementKey(for op: Opcode, pc: Int) -> RandomKey {
        if let k = keyed { return op == .srk ? k.roundKey : k.codeKey }
        return key(for: op == .srk ? .sround : .rand, pc: pc)
    }

    /// Index of a keyed draw for the element at local index `local` (synapse i * nPost + j, or
    /// neuron j), presynaptic row `i` (0 in neuron scope) and postsynaptic column `j`.
    @inlinable
    public func elementIndex(local: Int, pre i: Int, post j: Int) -> Int {
        guard let k = keyed else { return local }
        return i * k.rowStride + k.columnOffset + j
    }
}
