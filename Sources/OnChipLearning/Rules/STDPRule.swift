// Pair-based STDP as a synapse-scope microcode program (Loihi-style, nearest-trace form):
//
//     dw = floor(x1 * y0 / 2^LTP_SHIFT) - floor(y1 * x0 / 2^LTD_SHIFT)
//     w' = saturate_weightBits(w + dw)
//
// A post spike (y0 = 1) potentiates by the pre trace x1 (pre-before-post), a pre spike
// (x0 = 1) depresses by the post trace y1 (post-before-pre). Gated on x0, y0: a synapse
// runs only at a step where its pre axon or its post neuron spiked, which is exact because
// dw = 0 whenever x0 = y0 = 0. Expected step order: set spike flags, update traces
// (PreSynapticTraces/PostSynapticState.updateTraces), then run this program.
// The same rule as a string: "dw = 2^-4 * x1 * y0 - 2^-5 * y1 * x0".

public enum STDPRule {
    public struct Parameters: Sendable, Equatable {
        /// Potentiation scale 2^-ltpShift (0...31).
        public var ltpShift: Int
        /// Depression scale 2^-ltdShift (0...31).
        public var ltdShift: Int
        public init(ltpShift: Int = 4, ltdShift: Int = 5) { self.ltpShift = ltpShift; self.ltdShift = ltdShift }
    }

    /// The `.mc` text of the program (10 instructions).
    public static func source(_ p: Parameters = Parameters()) -> String {
        """
        ; pair-based STDP: dw = (x1*y0 >> LTP_SHIFT) - (y1*x0 >> LTD_SHIFT), floor shifts
        .scope synapse
        .const LTP_SHIFT \(p.ltpShift)
        .const LTD_SHIFT \(p.ltdShift)
        .gate x0, y0                 ; no spike at either end: dw = 0, skip
        ld   a0, x1
        ld   a1, y0
        mul  a0, a0, a1, LTP_SHIFT   ; potentiation: pre trace at a post spike
        ld   a2, y1
        ld   a3, x0
        mul  a2, a2, a3, LTD_SHIFT   ; depression: post trace at a pre spike
        sub  a0, a0, a2
        ld   a1, w
        add  a1, a1, a0
        st   w, a1                   ; saturates to weightBits
        """
    }

    public static func program(_ p: Parameters = Parameters()) -> MicrocodeProgram {
        // The source is generated here and covered by tests; a failure is a programming error.
        try! MicrocodeAssembler.assemble(source(p), file: "STDPRule.mc")
    }

    /// The equivalent rule string.
    public static func ruleString(_ p: Parameters = Parameters()) -> String {
        "dw = 2^-\(p.ltpShift) * x1 * y0 - 2^-\(p.ltdShift) * y1 * x0"
    }
}
