// Reward-modulated STDP: the STDP term accumulates into an eligibility trace kept in the
// synapse's auxiliary register, and the weight follows eligibility x reward, where the
// reward is the post neuron's modulator (a broadcast third factor):
//
//     stdp = floor(x1 * y0 / 2^LTP_SHIFT) - floor(y1 * x0 / 2^LTD_SHIFT)
//     e'   = sat_auxBits(e - sround(e / 2^E_DECAY) + stdp)     unbiased stochastic decay
//     w'   = sat_weightBits(w + floor(mod * e' / 2^MOD_SHIFT))
//
// sround (not floor) in the decay so that small positive and negative eligibilities both
// decay to 0 (a floor shift would leave +1 stuck and bias depression). Gated on x0, y0 and
// aux: with no spike and e = 0 both e' and w' equal the old values.

public enum RSTDPRule {
    public struct Parameters: Sendable, Equatable {
        public var ltpShift: Int
        public var ltdShift: Int
        /// Eligibility decays by 2^-eligibilityDecayShift per learning step (1...31).
        public var eligibilityDecayShift: Int
        /// Weight change = modulator x eligibility / 2^modulatorShift (0...62).
        public var modulatorShift: Int
        public init(ltpShift: Int = 0, ltdShift: Int = 0, eligibilityDecayShift: Int = 3, modulatorShift: Int = 8) {
            self.ltpShift = ltpShift; self.ltdShift = ltdShift
            self.eligibilityDecayShift = eligibilityDecayShift; self.modulatorShift = modulatorShift
        }
    }

    /// The `.mc` text of the program (18 instructions, one PRNG draw).
    public static func source(_ p: Parameters = Parameters()) -> String {
        """
        ; reward-modulated STDP: eligibility in aux, reward in the post neuron's modulator
        .scope synapse
        .const LTP_SHIFT \(p.ltpShift)
        .const LTD_SHIFT \(p.ltdShift)
        .const E_DECAY \(p.eligibilityDecayShift)
        .const MOD_SHIFT \(p.modulatorShift)
        .gate x0, y0, aux
        ld     a0, x1
        ld     a1, y0
        mul    a0, a0, a1, LTP_SHIFT
        ld     a2, y1
        ld     a3, x0
        mul    a2, a2, a3, LTD_SHIFT
        sub    a0, a0, a2            ; STDP term
        ld     a4, aux
        sround a5, a4, E_DECAY       ; e / 2^E_DECAY, stochastically rounded
        sub    a4, a4, a5
        add    a4, a4, a0
        st     aux, a4               ; saturates to auxBits
        ld     a4, aux               ; e' as stored (saturated)
        ld     a6, mod
        mul    a6, a6, a4, MOD_SHIFT ; reward x eligibility
        ld     a7, w
        add    a7, a7, a6
        st     w, a7
        """
    }

    public static func program(_ p: Parameters = Parameters()) -> MicrocodeProgram {
        // The source is generated here and covered by tests; a failure is a programming error.
        try! MicrocodeAssembler.assemble(source(p), file: "RSTDPRule.mc")
    }
}
