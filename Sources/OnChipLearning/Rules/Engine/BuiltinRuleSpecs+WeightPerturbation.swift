import ChipModel

// The shipped weight-perturbation specs (configs/rules/mgd_wp.json, fwd_grad.json), built in
// like the others (BuiltinRuleSpecs.swift). Each text must equal its file byte for byte
// (WeightPerturbationSpecTests checks it; regenerate this file from those when one changes).

extension BuiltinRuleSpecs {
    /// The weight-perturbation rules (mgd_wp, fwd_grad): specs with a "perturbation" section.
    public static let weightPerturbationNames = ["mgd_wp", "fwd_grad"]

    /// The JSON text of a shipped weight-perturbation spec.
    static func weightPerturbationText(named name: String) -> String? {
        switch name {
        case "mgd_wp": return mgdwp
        case "fwd_grad": return fwdgrad
        default: return nil
        }
    }

    static let mgdwp = #"""
{
  "rule": "mgd_wp",
  "doc": "MGD weight perturbation: every perturbed synapse holds a Rademacher code c = +-delta for tauP steps (written into its weight, restored after); the output core broadcasts C~ = C - b; each synapse accumulates G += C~ c and updates W -= sround(G, eta_l) every tauTheta steps. See mgd_wp.md.",
  "parameters": {
    "delta": {"default": 1, "range": [1, 64], "doc": "Perturbation amplitude in weight LSBs. Clean weights are kept in [wmin + cmax, wmax - cmax] (cmax = delta, or codeClip delta) so the perturbed weight never saturates and the restore is exact."},
    "codeClip": {"default": 3, "range": [1, 8], "doc": "fwd_grad: Gaussian codes clipped to +-codeClip delta (unused by mgd_wp)."},
    "tauP": {"default": 0, "range": [0, 1048576], "doc": "Perturbation period in steps; 0 = one sample (T = run.steps). Must divide T."},
    "tauTheta": {"default": 0, "range": [0, 1073741824], "doc": "Steps between weight updates; 0 = tauP. A multiple of tauP (may span samples)."},
    "gamma": {"default": true, "doc": "MGD normalisation: eta_l = eta + round(log2 Gamma_l), Gamma_l = sqrt(1/N_l + 1/n - 1/(N_l n)), N_l synapses of layer l, n = tauTheta / tauP."},
    "productShift": {"default": 0, "range": [0, 30], "doc": "G += (C~ c) >> productShift, rounded to nearest (ties up), saturated to auxBits."},
    "eta": {"default": 24, "range": [0, 40], "learningRate": true, "doc": "Learning rate 2^-eta_l: W -= sround(G, eta_l), then G = 0 (eta_l = @layerRate: eta + halvings + the Gamma shift, 0...62)."},
    "readout": {"default": "perturb", "oneOf": ["perturb", "error"], "doc": "perturb: the readout synapses are perturbed like the hidden ones (pure MGD); error: they are not, and learn every step from the loss unit's error, w -= sround(x1 e, etaReadout)."},
    "etaReadout": {"default": 24, "range": [1, 31], "learningRate": true, "doc": "readout \"error\": learning rate 2^-etaReadout."},
    "auxBits": {"default": 16, "range": [8, 32], "doc": "Width of the G accumulators (aux registers added to every perturbed forward block, counted in synapse memory)."},
    "baselineShift": {"default": 4, "range": [0, 16], "doc": "Baseline b <- b + (C~ >> baselineShift) (running mean of the period cost; the first period only sets b = C)."},
    "loss": {"default": {"outputShift": 12, "ceWeight": 64, "mseWeight": 0}, "unit": "loss", "doc": "The output core's loss unit. The cost of a step is -ln p_label in units of 2^-14."},
    "trace": {"default": {"bits": 8, "decay": 410, "impulse": 24, "rounding": "stochastic"}, "unit": "trace", "doc": "Presynaptic traces x1 (readout \"error\" only)."}
  },
  "timing": {"learnFrom": 0, "epoch": 1},
  "lossUnit": "$loss",
  "traces": {"x1": "$trace", "if": "readout == error"},
  "perturbation": {"outputIf": "readout == perturb", "auxBits": "$auxBits", "margin": ["$delta"], "period": "$tauP", "update": "$tauTheta",
                   "rate": "$eta", "gamma": "$gamma", "productShift": "$productShift"},
  "programs": {
    "perturb": {"source": [
      "; weight perturbation, start of a period: W' = W + c",
      ".scope synapse",
      ".const DELTA $delta",
      "rad    a0, DELTA            ; c = +-DELTA (top bit of the draw)",
      "ld     a1, w",
      "add    a1, a1, a0",
      "st     w, a1                 ; exact: W lies in [wmin + cmax, wmax - cmax]"
    ]},
    "restore": {"source": [
      "; weight perturbation, end of a period: restore W, accumulate G += C~ c",
      ".scope synapse",
      ".const DELTA $delta",
      ".const P $productShift",
      ".const HALF @roundingHalf",
      "rad    a0, DELTA            ; c = +-DELTA (top bit of the draw)",
      "ld     a1, w",
      "sub    a1, a1, a0            ; W = W' - c (exact)",
      "ld     a2, r0                ; C~, broadcast to every neuron of the core",
      "mul    a2, a2, a0, 0         ; C~ c",
      "ld     a3, aux",
      "add    a3, a3, a2",
      "st     w, a1",
      "st     aux, a3               ; saturates to auxBits"
    ]},
    "restoreRounded": {"source": [
      "; weight perturbation, end of a period: restore W, accumulate G += C~ c",
      ".scope synapse",
      ".const DELTA $delta",
      ".const P $productShift",
      ".const HALF @roundingHalf",
      "rad    a0, DELTA            ; c = +-DELTA (top bit of the draw)",
      "ld     a1, w",
      "sub    a1, a1, a0            ; W = W' - c (exact)",
      "ld     a2, r0                ; C~, broadcast to every neuron of the core",
      "mul    a2, a2, a0, 0         ; C~ c",
      "ldi    a3, HALF",
      "add    a2, a2, a3",
      "sh     a2, a2, -P            ; round((C~ c) / 2^P), ties up",
      "ld     a3, aux",
      "add    a3, a3, a2",
      "st     w, a1",
      "st     aux, a3               ; saturates to auxBits"
    ]},
    "update": {"source": [
      "; weight perturbation, end of a period: restore W, accumulate G += C~ c, update W from G",
      ".scope synapse",
      ".const DELTA $delta",
      ".const P $productShift",
      ".const HALF @roundingHalf",
      ".const AUXBITS $auxBits",
      ".const ETA @layerRate",
      ".const WLO @cleanMin",
      ".const WHI @cleanMax",
      "rad    a0, DELTA            ; c = +-DELTA (top bit of the draw)",
      "ld     a1, w",
      "sub    a1, a1, a0            ; W = W' - c (exact)",
      "ld     a2, r0                ; C~, broadcast to every neuron of the core",
      "mul    a2, a2, a0, 0         ; C~ c",
      "ld     a3, aux",
      "add    a3, a3, a2",
      "sat    a3, a3, AUXBITS       ; G as the register holds it",
      "srk    a4, a3, ETA           ; sround(G, eta_l), the rule's round key",
      "sub    a1, a1, a4",
      "ldi    a5, WLO",
      "max    a1, a1, a5",
      "ldi    a5, WHI",
      "min    a1, a1, a5            ; clean weights stay in [wmin + cmax, wmax - cmax]",
      "st     w, a1",
      "st     aux, a7               ; G = 0 (a7 is never written: it reads 0)"
    ]},
    "updateRounded": {"source": [
      "; weight perturbation, end of a period: restore W, accumulate G += C~ c, update W from G",
      ".scope synapse",
      ".const DELTA $delta",
      ".const P $productShift",
      ".const HALF @roundingHalf",
      ".const AUXBITS $auxBits",
      ".const ETA @layerRate",
      ".const WLO @cleanMin",
      ".const WHI @cleanMax",
      "rad    a0, DELTA            ; c = +-DELTA (top bit of the draw)",
      "ld     a1, w",
      "sub    a1, a1, a0            ; W = W' - c (exact)",
      "ld     a2, r0                ; C~, broadcast to every neuron of the core",
      "mul    a2, a2, a0, 0         ; C~ c",
      "ldi    a3, HALF",
      "add    a2, a2, a3",
      "sh     a2, a2, -P            ; round((C~ c) / 2^P), ties up",
      "ld     a3, aux",
      "add    a3, a3, a2",
      "sat    a3, a3, AUXBITS       ; G as the register holds it",
      "srk    a4, a3, ETA           ; sround(G, eta_l), the rule's round key",
      "sub    a1, a1, a4",
      "ldi    a5, WLO",
      "max    a1, a1, a5",
      "ldi    a5, WHI",
      "min    a1, a1, a5            ; clean weights stay in [wmin + cmax, wmax - cmax]",
      "st     w, a1",
      "st     aux, a7               ; G = 0 (a7 is never written: it reads 0)"
    ]},
    "readout": {"source": [
      "; three-factor update: dw = -(x1 * mod) / 2^ETA, stochastically rounded",
      ".scope synapse",
      ".const ETA $etaReadout",
      ".require x1, mod",
      "ld     a0, x1",
      "ld     a1, mod",
      "mul    a0, a0, a1, 0",
      "sround a0, a0, ETA",
      "ld     a1, w",
      "sub    a1, a1, a0",
      "st     w, a1               ; saturates to weightBits"
    ]}
  },
  "schedule": {
    "sampleStart": [
      {"unit": "host", "op": "sendLabel", "to": "output"},
      {"unit": "plasticity", "op": "run", "program": "perturb", "on": "perturbed.blocks", "period": "current"}
    ],
    "learn": [
      {"unit": "loss", "op": "accumulateCost", "into": "costSum"},
      {"unit": "loss", "op": "error", "into": "output.modulator", "if": "readout == error"},
      {"unit": "plasticity", "op": "run", "program": "readout", "on": "output.blocks", "factor": "mod", "if": "readout == error"},
      {"unit": "controller", "op": "sync"},
      {"unit": "controller", "op": "periodCost", "baselineShift": "$baselineShift", "into": "lossDelta", "when": "periodEnd"},
      {"unit": "controller", "op": "sync", "when": "periodEnd"},
      {"unit": "router", "op": "broadcast", "value": "lossDelta", "from": "output", "to": "perturbed", "into": "r0", "when": "periodEnd"},
      {"unit": "router", "op": "drain", "when": "periodEnd"},
      {"unit": "plasticity", "op": "run", "program": "restore", "on": "perturbed.blocks", "period": "current", "when": "periodEndNoUpdate", "if": "productShift == 0"},
      {"unit": "plasticity", "op": "run", "program": "restoreRounded", "on": "perturbed.blocks", "period": "current", "when": "periodEndNoUpdate", "if": "productShift > 0"},
      {"unit": "plasticity", "op": "run", "program": "update", "on": "perturbed.blocks", "period": "current", "when": "updateEnd", "if": "productShift == 0"},
      {"unit": "plasticity", "op": "run", "program": "updateRounded", "on": "perturbed.blocks", "period": "current", "when": "updateEnd", "if": "productShift > 0"},
      {"unit": "controller", "op": "sync", "when": "periodEnd"},
      {"unit": "plasticity", "op": "run", "program": "perturb", "on": "perturbed.blocks", "period": "next", "when": "nextPeriod"}
    ]
  }
}

"""#

    static let fwdgrad = #"""
{
  "rule": "fwd_grad",
  "doc": "Randomized forward gradient: mgd_wp with Gaussian codes c = clip(round(delta z), +-codeClip delta) and one update per perturbation (tauTheta = tauP). See fwd_grad.md.",
  "parameters": {
    "delta": {"default": 1, "range": [1, 64], "doc": "Perturbation amplitude in weight LSBs. Clean weights are kept in [wmin + cmax, wmax - cmax] (cmax = delta, or codeClip delta) so the perturbed weight never saturates and the restore is exact."},
    "codeClip": {"default": 3, "range": [1, 8], "doc": "fwd_grad: Gaussian codes clipped to +-codeClip delta."},
    "tauP": {"default": 0, "range": [0, 1048576], "doc": "Perturbation period in steps; 0 = one sample (T = run.steps). Must divide T."},
    "tauTheta": {"default": 0, "range": [0, 1073741824], "doc": "Steps between weight updates; 0 = tauP. A multiple of tauP (may span samples); fwd_grad requires tauTheta = tauP."},
    "gamma": {"default": true, "doc": "MGD normalisation: eta_l = eta + round(log2 Gamma_l), Gamma_l = sqrt(1/N_l + 1/n - 1/(N_l n)), N_l synapses of layer l, n = tauTheta / tauP."},
    "productShift": {"default": 0, "range": [0, 30], "doc": "G += (C~ c) >> productShift, rounded to nearest (ties up), saturated to auxBits."},
    "eta": {"default": 24, "range": [0, 40], "learningRate": true, "doc": "Learning rate 2^-eta_l: W -= sround(G, eta_l), then G = 0 (eta_l = @layerRate: eta + halvings + the Gamma shift, 0...62)."},
    "readout": {"default": "perturb", "oneOf": ["perturb", "error"], "doc": "perturb: the readout synapses are perturbed like the hidden ones (pure MGD); error: they are not, and learn every step from the loss unit's error, w -= sround(x1 e, etaReadout)."},
    "etaReadout": {"default": 24, "range": [1, 31], "learningRate": true, "doc": "readout \"error\": learning rate 2^-etaReadout."},
    "auxBits": {"default": 16, "range": [8, 32], "doc": "Width of the G accumulators (aux registers added to every perturbed forward block, counted in synapse memory)."},
    "baselineShift": {"default": 4, "range": [0, 16], "doc": "Baseline b <- b + (C~ >> baselineShift) (running mean of the period cost; the first period only sets b = C)."},
    "loss": {"default": {"outputShift": 12, "ceWeight": 64, "mseWeight": 0}, "unit": "loss", "doc": "The output core's loss unit. The cost of a step is -ln p_label in units of 2^-14."},
    "trace": {"default": {"bits": 8, "decay": 410, "impulse": 24, "rounding": "stochastic"}, "unit": "trace", "doc": "Presynaptic traces x1 (readout \"error\" only)."}
  },
  "timing": {"learnFrom": 0, "epoch": 1},
  "lossUnit": "$loss",
  "traces": {"x1": "$trace", "if": "readout == error"},
  "perturbation": {"outputIf": "readout == perturb", "auxBits": "$auxBits", "margin": ["$delta", "$codeClip"], "period": "$tauP", "update": "$tauTheta", "updateEveryPeriod": true,
                   "rate": "$eta", "gamma": "$gamma", "productShift": "$productShift"},
  "programs": {
    "perturb": {"source": [
      "; weight perturbation, start of a period: W' = W + c",
      ".scope synapse",
      ".const DELTA $delta",
      ".const CLIP $codeClip",
      "gau    a0, DELTA, CLIP      ; c = clamp(round-half-away(DELTA z), +-CLIP DELTA)",
      "ld     a1, w",
      "add    a1, a1, a0",
      "st     w, a1                 ; exact: W lies in [wmin + cmax, wmax - cmax]"
    ]},
    "restore": {"source": [
      "; weight perturbation, end of a period: restore W, accumulate G += C~ c",
      ".scope synapse",
      ".const DELTA $delta",
      ".const CLIP $codeClip",
      ".const P $productShift",
      ".const HALF @roundingHalf",
      "gau    a0, DELTA, CLIP      ; c = clamp(round-half-away(DELTA z), +-CLIP DELTA)",
      "ld     a1, w",
      "sub    a1, a1, a0            ; W = W' - c (exact)",
      "ld     a2, r0                ; C~, broadcast to every neuron of the core",
      "mul    a2, a2, a0, 0         ; C~ c",
      "ld     a3, aux",
      "add    a3, a3, a2",
      "st     w, a1",
      "st     aux, a3               ; saturates to auxBits"
    ]},
    "restoreRounded": {"source": [
      "; weight perturbation, end of a period: restore W, accumulate G += C~ c",
      ".scope synapse",
      ".const DELTA $delta",
      ".const CLIP $codeClip",
      ".const P $productShift",
      ".const HALF @roundingHalf",
      "gau    a0, DELTA, CLIP      ; c = clamp(round-half-away(DELTA z), +-CLIP DELTA)",
      "ld     a1, w",
      "sub    a1, a1, a0            ; W = W' - c (exact)",
      "ld     a2, r0                ; C~, broadcast to every neuron of the core",
      "mul    a2, a2, a0, 0         ; C~ c",
      "ldi    a3, HALF",
      "add    a2, a2, a3",
      "sh     a2, a2, -P            ; round((C~ c) / 2^P), ties up",
      "ld     a3, aux",
      "add    a3, a3, a2",
      "st     w, a1",
      "st     aux, a3               ; saturates to auxBits"
    ]},
    "update": {"source": [
      "; weight perturbation, end of a period: restore W, accumulate G += C~ c, update W from G",
      ".scope synapse",
      ".const DELTA $delta",
      ".const CLIP $codeClip",
      ".const P $productShift",
      ".const HALF @roundingHalf",
      ".const AUXBITS $auxBits",
      ".const ETA @layerRate",
      ".const WLO @cleanMin",
      ".const WHI @cleanMax",
      "gau    a0, DELTA, CLIP      ; c = clamp(round-half-away(DELTA z), +-CLIP DELTA)",
      "ld     a1, w",
      "sub    a1, a1, a0            ; W = W' - c (exact)",
      "ld     a2, r0                ; C~, broadcast to every neuron of the core",
      "mul    a2, a2, a0, 0         ; C~ c",
      "ld     a3, aux",
      "add    a3, a3, a2",
      "sat    a3, a3, AUXBITS       ; G as the register holds it",
      "srk    a4, a3, ETA           ; sround(G, eta_l), the rule's round key",
      "sub    a1, a1, a4",
      "ldi    a5, WLO",
      "max    a1, a1, a5",
      "ldi    a5, WHI",
      "min    a1, a1, a5            ; clean weights stay in [wmin + cmax, wmax - cmax]",
      "st     w, a1",
      "st     aux, a7               ; G = 0 (a7 is never written: it reads 0)"
    ]},
    "updateRounded": {"source": [
      "; weight perturbation, end of a period: restore W, accumulate G += C~ c, update W from G",
      ".scope synapse",
      ".const DELTA $delta",
      ".const CLIP $codeClip",
      ".const P $productShift",
      ".const HALF @roundingHalf",
      ".const AUXBITS $auxBits",
      ".const ETA @layerRate",
      ".const WLO @cleanMin",
      ".const WHI @cleanMax",
      "gau    a0, DELTA, CLIP      ; c = clamp(round-half-away(DELTA z), +-CLIP DELTA)",
      "ld     a1, w",
      "sub    a1, a1, a0            ; W = W' - c (exact)",
      "ld     a2, r0                ; C~, broadcast to every neuron of the core",
      "mul    a2, a2, a0, 0         ; C~ c",
      "ldi    a3, HALF",
      "add    a2, a2, a3",
      "sh     a2, a2, -P            ; round((C~ c) / 2^P), ties up",
      "ld     a3, aux",
      "add    a3, a3, a2",
      "sat    a3, a3, AUXBITS       ; G as the register holds it",
      "srk    a4, a3, ETA           ; sround(G, eta_l), the rule's round key",
      "sub    a1, a1, a4",
      "ldi    a5, WLO",
      "max    a1, a1, a5",
      "ldi    a5, WHI",
      "min    a1, a1, a5            ; clean weights stay in [wmin + cmax, wmax - cmax]",
      "st     w, a1",
      "st     aux, a7               ; G = 0 (a7 is never written: it reads 0)"
    ]},
    "readout": {"source": [
      "; three-factor update: dw = -(x1 * mod) / 2^ETA, stochastically rounded",
      ".scope synapse",
      ".const ETA $etaReadout",
      ".require x1, mod",
      "ld     a0, x1",
      "ld     a1, mod",
      "mul    a0, a0, a1, 0",
      "sround a0, a0, ETA",
      "ld     a1, w",
      "sub    a1, a1, a0",
      "st     w, a1               ; saturates to weightBits"
    ]}
  },
  "schedule": {
    "sampleStart": [
      {"unit": "host", "op": "sendLabel", "to": "output"},
      {"unit": "plasticity", "op": "run", "program": "perturb", "on": "perturbed.blocks", "period": "current"}
    ],
    "learn": [
      {"unit": "loss", "op": "accumulateCost", "into": "costSum"},
      {"unit": "loss", "op": "error", "into": "output.modulator", "if": "readout == error"},
      {"unit": "plasticity", "op": "run", "program": "readout", "on": "output.blocks", "factor": "mod", "if": "readout == error"},
      {"unit": "controller", "op": "sync"},
      {"unit": "controller", "op": "periodCost", "baselineShift": "$baselineShift", "into": "lossDelta", "when": "periodEnd"},
      {"unit": "controller", "op": "sync", "when": "periodEnd"},
      {"unit": "router", "op": "broadcast", "value": "lossDelta", "from": "output", "to": "perturbed", "into": "r0", "when": "periodEnd"},
      {"unit": "router", "op": "drain", "when": "periodEnd"},
      {"unit": "plasticity", "op": "run", "program": "restore", "on": "perturbed.blocks", "period": "current", "when": "periodEndNoUpdate", "if": "productShift == 0"},
      {"unit": "plasticity", "op": "run", "program": "restoreRounded", "on": "perturbed.blocks", "period": "current", "when": "periodEndNoUpdate", "if": "productShift > 0"},
      {"unit": "plasticity", "op": "run", "program": "update", "on": "perturbed.blocks", "period": "current", "when": "updateEnd", "if": "productShift == 0"},
      {"unit": "plasticity", "op": "run", "program": "updateRounded", "on": "perturbed.blocks", "period": "current", "when": "updateEnd", "if": "productShift > 0"},
      {"unit": "controller", "op": "sync", "when": "periodEnd"},
      {"unit": "plasticity", "op": "run", "program": "perturb", "on": "perturbed.blocks", "period": "next", "when": "nextPeriod"}
    ]
  }
}

"""#
}
