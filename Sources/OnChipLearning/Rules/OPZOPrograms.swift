// Microcode of the online error-broadcast rules (OPZO, DFA, readout-only): the programs the
// plasticity units run each learning step. Parameters are substituted as .const values.

public enum OPZOPrograms {
    /// Neuron scope, hidden layers: r2 = r0 (psi of the previous step, which the error of
    /// this step belongs to: one synaptic delay to the readout), then r0 = psi(v) = 1 if
    /// |v - THETA| < WIDTH else 0, where v is the voltage before the reset (a rectangular
    /// surrogate derivative around threshold).
    public static func surrogate(theta: Int, width: Int) -> String {
        """
        ; psi: rectangular window around the threshold, on the pre-reset voltage; keep last step's in r2
        .scope neuron
        .const THETA \(theta)
        .const WIDTH \(width)
        ld   a0, r0
        st   r2, a0
        ld   a0, v
        ldi  a1, THETA
        sub  a0, a0, a1
        abs  a0, a0              ; |v - theta|
        ldi  a1, WIDTH
        sub  a0, a1, a0          ; > 0 inside the window
        sign a0, a0
        ldi  a1, 0
        max  a0, a0, a1          ; 1 inside, 0 outside
        st   r0, a0
        """
    }

    /// Synapse scope, forward blocks (three-factor): w <- w - sround(x1 * mod, ETA).
    /// For hidden layers mod = g (top-down error) and r0 = psi gates the synapse; for the
    /// readout mod = e_k (the local error). Skipped when x1, mod or psi is 0 (all products).
    public static func threeFactor(etaShift: Int, gatePsi: Bool) -> String {
        """
        ; three-factor update: dw = -(x1 * mod) / 2^ETA, stochastically rounded (psi of step t-1 in r2)
        .scope synapse
        .const ETA \(etaShift)
        .require x1, mod\(gatePsi ? ", r2" : "")
        ld     a0, x1
        ld     a1, mod
        mul    a0, a0, a1, 0
        sround a0, a0, ETA
        ld     a1, w
        sub    a1, a1, a0
        st     w, a1               ; saturates to weightBits
        """
    }

    /// Synapse scope, feedback blocks (pre = output k, post = hidden i): the momentum
    /// M <- M - sround(M / 2^K) + (o_k * z_i) / 2^S with M in aux, o_k in x2 (graded payload),
    /// z_i (the noise that o_k reflects) in r1. lambda = 1 - 2^-K.
    public static func momentum(lambdaShift: Int, productShift: Int) -> String {
        """
        ; OPZO feedback momentum: M = lambda M + (1 - lambda) o z, lambda = 1 - 2^-K (M scaled by 2^K)
        .scope synapse
        .const K \(lambdaShift)
        .const S \(productShift)
        ld     a0, aux
        sround a1, a0, K           ; unbiased decay (a floor shift would freeze small |M|)
        sub    a0, a0, a1
        ld     a2, x2
        ld     a3, r1
        mul    a2, a2, a3, S
        add    a0, a0, a2
        st     aux, a0             ; saturates to auxBits
        """
    }

    /// Neuron scope, tEpoch > 1: r3 += mod (readout, gated = false) or r3 += r2 * mod (hidden:
    /// the top-down error of this step, gated by psi[t-d] in r2, d = 1 for the last hidden layer).
    /// r3 is a 32-bit scratch register; the add saturates to 32 bits like every ALU result.
    public static func accumulate(gated: Bool) -> String {
        """
        ; accumulate this step's modulator over the learning epoch in r3
        .scope neuron
        ld   a0, mod
        \(gated ? "ld   a1, r2\n        mul  a0, a0, a1, 0" : "")
        ld   a1, r3
        add  a0, a0, a1
        st   r3, a0
        """
    }

    /// Synapse scope, tEpoch > 1, once per learning epoch: w <- w - sround(x1 * r3, ETA) with
    /// r3 the modulator accumulated over the epoch (psi already folded in) and x1 the
    /// presynaptic trace at the epoch's last step. Skipped when x1 or r3 is 0.
    public static func epochUpdate(etaShift: Int) -> String {
        """
        ; learning-epoch update: dw = -(x1 * sum_t mod) / 2^ETA, stochastically rounded
        .scope synapse
        .const ETA \(etaShift)
        .require x1, r3
        ld     a0, x1
        ld     a1, r3
        mul    a0, a0, a1, 0
        sround a0, a0, ETA
        ld     a1, w
        sub    a1, a1, a0
        st     w, a1               ; saturates to weightBits
        """
    }

    /// Neuron scope: clears the epoch accumulator r3 after the epoch's update.
    public static let clearAccumulator = """
        ; start a new learning epoch
        .scope neuron
        ldi  a0, 0
        st   r3, a0
        """
}
