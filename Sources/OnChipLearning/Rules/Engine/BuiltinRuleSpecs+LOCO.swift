// The built-in copy of configs/rules/loco.json (byte for byte; RuleSpecTests checks it).

extension BuiltinRuleSpecs {
    static let loco = #"""
{
  "rule": "loco",
  "doc": "LOCO, as interpreted here (the paper's exact projector is not public): node perturbation of the hidden neurons, held for the sample, whose presynaptic factor is the projection of the sample's presynaptic spike counts onto the nearest of k cluster prototypes; the clustering and projection are the declared host step loco.projection. The readout learns from the local error. See loco.md.",
  "parameters": {
    "alpha": {"default": 64, "range": [1, 4096], "doc": "Node perturbation a_in += alpha theta_i (weight units, before the << 6 alignment), theta_i = +-1 held for the sample."},
    "clusters": {"default": 8, "range": [1, 64], "doc": "Prototypes k per hidden connection (the rank of the update subspace); host memory of loco.projection."},
    "protoShift": {"default": 3, "range": [0, 16], "doc": "Prototype learning rate: P_c += (r 2^protoFrac - P_c) >> protoShift for the winning cluster c."},
    "protoFrac": {"default": 4, "range": [0, 8], "doc": "Fraction bits of the prototypes and of the projected activity x^."},
    "zoShift": {"default": 4, "range": [0, 40], "doc": "mod_i = sat16((C~ theta_i) >> zoShift)."},
    "etaHidden": {"default": 20, "range": [1, 31], "learningRate": true, "doc": "Hidden update w -= sround(x^_j mod_i, etaHidden) once per sample."},
    "etaReadout": {"default": 24, "range": [1, 31], "learningRate": true, "doc": "Readout update w -= sround(x1 e_k, etaReadout) every step."},
    "baselineShift": {"default": 4, "range": [0, 16], "doc": "Baseline b <- b + (C~ >> baselineShift); the first sample only sets b = C."},
    "loss": {"default": {"outputShift": 12, "ceWeight": 64, "mseWeight": 0}, "unit": "loss", "doc": "The output core's loss unit."},
    "trace": {"default": {"bits": 8, "decay": 410, "impulse": 24, "rounding": "stochastic"}, "unit": "trace", "doc": "Presynaptic traces x1 (the readout's)."}
  },
  "timing": {"learnFrom": 0, "epoch": 1},
  "lossUnit": "$loss",
  "traces": {"x1": "$trace"},
  "programs": {
    "readout": {"source": [
      "; three-factor update: dw = -(x1 * mod) / 2^ETA, stochastically rounded (mod = e, the local error)",
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
    ]},
    "hidden": {"source": [
      "; LOCO hidden update: dw = -(x^ * mod) / 2^ETA, stochastically rounded; x^ in x2 (written by the host)",
      ".scope synapse",
      ".const ETA $etaHidden",
      ".require x2, mod",
      "ld     a0, x2",
      "ld     a1, mod",
      "mul    a0, a0, a1, 0",
      "sround a0, a0, ETA",
      "ld     a1, w",
      "sub    a1, a1, a0",
      "st     w, a1               ; saturates to weightBits"
    ]}
  },
  "schedule": {
    "neuronInput": [
      {"unit": "neuron", "op": "injectRegister", "register": "r1", "scale": "$alpha", "into": "hidden.input"}
    ],
    "sampleStart": [
      {"unit": "host", "op": "sendLabel", "to": "output"},
      {"unit": "prng", "op": "drawSigns", "into": "hidden.r1"},
      {"unit": "controller", "op": "clear", "value": "counters"},
      {"unit": "controller", "op": "clear", "value": "costSum"}
    ],
    "learn": [
      {"unit": "loss", "op": "accumulateCost", "into": "costSum"},
      {"unit": "loss", "op": "error", "into": "output.modulator"},
      {"unit": "plasticity", "op": "run", "program": "readout", "on": "output.blocks", "factor": "mod"},
      {"unit": "controller", "op": "countSpikes", "on": "hidden.blocks", "bits": 8, "into": "counters"},
      {"unit": "loss", "op": "meanCost", "value": "costSum", "baselineShift": "$baselineShift", "into": "lossDelta", "when": "sampleEnd"},
      {"unit": "router", "op": "broadcast", "value": "lossDelta", "from": "output", "to": "hidden", "when": "sampleEnd"},
      {"unit": "router", "op": "drain", "when": "sampleEnd"},
      {"unit": "host", "op": "call", "routine": "loco.projection", "with": {"clusters": "$clusters", "protoFrac": "$protoFrac", "protoShift": "$protoShift"}, "when": "sampleEnd"},
      {"unit": "controller", "op": "scaleRegister", "scalar": "lossDelta", "register": "r1", "shift": "$zoShift", "into": "hidden.modulator", "when": "sampleEnd"},
      {"unit": "plasticity", "op": "run", "program": "hidden", "on": "hidden.blocks", "factor": "mod", "when": "sampleEnd"}
    ]
  }
}

"""#
}
