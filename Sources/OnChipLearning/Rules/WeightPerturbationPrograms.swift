// Microcode of the weight-perturbation rules (mgd_wp, fwd_grad; docs/LEARNING.md "Weight
// perturbation on chip"): the three synapse-scope passes the plasticity unit runs over every
// perturbed forward block, with parameters substituted as .const values. The rules run the
// copies in their specs (configs/rules/mgd_wp.json, fwd_grad.json: `perturb`, `restore`,
// `update` and the `...Rounded` variants for productShift > 0); this text is the reference
// they are tested equal to (WeightPerturbationSpecTests) and the one docs/LEARNING.md shows.
//
// The code c comes from a keyed draw: `rad` (mgd_wp, +-DELTA) or `gau` (fwd_grad,
// clamp(round-half-away(DELTA z), +-CLIP DELTA)). The rule runs each pass with KeyedDraws whose
// code key is RandomKey(seed, .perturbation).with(layer).with(connection).with(periodStart) and
// whose global index is i * N_layer + firstNeuron + j, so the restore regenerates exactly the
// code the perturbation wrote, on any mapping. The round key of `srk` is
// RandomKey(seed, .stochasticRounding).with(-3).with(layer).with(globalStep).
//
// Exactness (why these programs give the 64-bit arithmetic of the specification): clean
// weights lie in [WLO, WHI] = [wmin + cmax, wmax - cmax], so W + c and W' - c stay inside the
// weight width and no store saturates; C~ c (|c| <= 2^9) clips only for |C~| >= 2^22, far above
// the loss unit's costs (classification: below 2^18 units of 2^-14); the sum G + round(C~ c / 2^P) is
// saturated to 32 bits and then to auxBits, which equals saturating the exact sum to auxBits.

public enum WeightPerturbationPrograms {
    /// The code of a synapse into a0: one keyed draw.
    static func code(_ p: WeightPerturbationParameters) -> String {
        switch p.kind {
        case .mgdWP: return "rad    a0, DELTA            ; c = +-DELTA (top bit of the draw)"
        case .fwdGrad: return "gau    a0, DELTA, CLIP      ; c = clamp(round-half-away(DELTA z), +-CLIP DELTA)"
        }
    }

    static func constants(_ p: WeightPerturbationParameters) -> String {
        ".const DELTA \(p.delta)" + (p.kind == .fwdGrad ? "\n.const CLIP \(p.codeClip)" : "")
    }

    /// Start of a period: W' = W + c.
    public static func perturb(_ p: WeightPerturbationParameters) -> String {
        """
        ; weight perturbation, start of a period: W' = W + c
        .scope synapse
        \(constants(p))
        \(code(p))
        ld     a1, w
        add    a1, a1, a0
        st     w, a1                 ; exact: W lies in [wmin + cmax, wmax - cmax]
        """
    }

    /// End of a period: W = W' - c; G = sat_auxBits(G + round((C~ c) / 2^P)) (nearest, ties
    /// up), C~ in r0 of every neuron (the broadcast). With `update` (every tauTheta / tauP
    /// periods) also W = clamp(W - srk(G, ETA), WLO, WHI) and G = 0.
    public static func endPeriod(_ p: WeightPerturbationParameters, update: Bool, eta: Int,
                                 weightRange: ClosedRange<Int>) -> String {
        let round = p.productShift == 0 ? "" : """

            ldi    a3, HALF
            add    a2, a2, a3
            sh     a2, a2, -P            ; round((C~ c) / 2^P), ties up
            """
        let tail = update ? """
            sat    a3, a3, AUXBITS       ; G as the register holds it
            srk    a4, a3, ETA           ; sround(G, eta_l), the rule's round key
            sub    a1, a1, a4
            ldi    a5, WLO
            max    a1, a1, a5
            ldi    a5, WHI
            min    a1, a1, a5            ; clean weights stay in [wmin + cmax, wmax - cmax]
            st     w, a1
            st     aux, a7               ; G = 0 (a7 is never written: it reads 0)
            """ : """
            st     w, a1
            st     aux, a3               ; saturates to auxBits
            """
        let consts = update ? """

            .const AUXBITS \(p.auxBits)
            .const ETA \(min(eta, 62))
            .const WLO \(weightRange.lowerBound)
            .const WHI \(weightRange.upperBound)
            """ : ""
        return """
            ; weight perturbation, end of a period: restore W, accumulate G += C~ c\(update ? ", update W from G" : "")
            .scope synapse
            \(constants(p))
            .const P \(p.productShift)
            .const HALF \(p.productShift == 0 ? 0 : 1 << (p.productShift - 1))\(consts)
            \(code(p))
            ld     a1, w
            sub    a1, a1, a0            ; W = W' - c (exact)
            ld     a2, r0                ; C~, broadcast to every neuron of the core
            mul    a2, a2, a0, 0         ; C~ c\(round)
            ld     a3, aux
            add    a3, a3, a2
            \(tail)
            """
    }
}
