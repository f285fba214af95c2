// The PRNG unit's sign draw: one 64-bit draw per neuron, +1 where bit 63 is clear, -1 where it
// is set (a Rademacher sign), written into a register. Counts one `prng.draw` per neuron.

extension PRNGUnit {
    /// r[j] = +1 or -1 from key.draw(firstNeuron + j), for every j.
    public static func drawSigns(_ key: RandomKey, firstNeuron: Int, into r: UnsafeMutableBufferPointer<Int32>, counts c: inout ActionCounts) {
        for j in 0..<r.count { r[j] = (key.draw(firstNeuron + j) >> 63) == 0 ? 1 : -1 }
        countDraws(r.count, into: &c)
    }
}
