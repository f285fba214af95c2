// Random bits for microcode: `rand` draws from stream .plasticity, `sround` from stream
// .stochasticRounding. The draw of instruction `pc` for element `index` (synapse index
// i * nPost + j in synapse scope, neuron index in neuron scope) is
//
//     RandomKey(seed, stream).with(core).with(step).with(block).with(scope).with(0x4D43)
//         .with(pc).draw(index)
//
// so it depends on neither visiting order, skipping of other elements, nor thread count.
// `block` distinguishes the connection blocks (or neuron populations) of one core.

public struct MicrocodeRandom: Sendable, Equatable {
    public let randBase: RandomKey
    public let roundBase: RandomKey

    public init(seed: UInt64, core: Int, step: Int, block: Int, scope: MicrocodeScope) {
        func base(_ s: RandomStream) -> RandomKey {
            RandomKey(seed: seed, stream: s).with(core).with(step).with(block)
                .with(Int(scope.rawValue)).with(0x4D43)
        }
        randBase = base(.plasticity)
        roundBase = base(.stochasticRounding)
    }

    /// Key for instruction `pc` (a `rand` or `sround`); draw(index) gives the element's bits.
    @inlinable
    public func key(for op: Opcode, pc: Int) -> RandomKey {
        (op == .rand ? randBase : roundBase).with(pc)
    }
}
