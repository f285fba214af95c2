// The built-in copy of configs/rules/stdp.json (byte for byte; RuleSpecTests checks it).

extension BuiltinRuleSpecs {
    static let stdp = #"""
{
  "rule": "stdp",
  "doc": "Pair-based STDP (nearest-trace form): every step each plastic synapse runs dw = (x1 y0 >> ltpShift) - (y1 x0 >> ltdShift). See stdp.md.",
  "parameters": {
    "ltpShift": {"default": 4, "range": [0, 31], "doc": "Potentiation 2^-ltpShift x the pre trace x1 at a post spike."},
    "ltdShift": {"default": 5, "range": [0, 31], "doc": "Depression 2^-ltdShift x the post trace y1 at a pre spike."},
    "auxBits": {"default": 16, "range": [0, 32], "doc": "Aux registers per synapse of the plastic blocks (synapse memory; STDP does not read them)."},
    "x1": {"default": {"bits": 8, "decay": 410, "impulse": 64, "rounding": "stochastic"}, "unit": "trace", "doc": "Presynaptic trace x1."},
    "y1": {"default": {"bits": 8, "decay": 410, "impulse": 64, "rounding": "stochastic"}, "unit": "trace", "doc": "Postsynaptic trace y1."}
  },
  "timing": {"learnFrom": 0, "epoch": 1},
  "traces": {"x1": "$x1", "y1": "$y1"},
  "aux": {"bits": "$auxBits"},
  "programs": {
    "stdp": {"source": [
      "; pair-based STDP: dw = (x1*y0 >> LTP_SHIFT) - (y1*x0 >> LTD_SHIFT), floor shifts",
      ".scope synapse",
      ".const LTP_SHIFT $ltpShift",
      ".const LTD_SHIFT $ltdShift",
      ".gate x0, y0                 ; no spike at either end: dw = 0, skip",
      "ld   a0, x1",
      "ld   a1, y0",
      "mul  a0, a0, a1, LTP_SHIFT   ; potentiation: pre trace at a post spike",
      "ld   a2, y1",
      "ld   a3, x0",
      "mul  a2, a2, a3, LTD_SHIFT   ; depression: post trace at a pre spike",
      "sub  a0, a0, a2",
      "ld   a1, w",
      "add  a1, a1, a0",
      "st   w, a1                   ; saturates to weightBits"
    ]}
  },
  "schedule": {
    "learn": [
      {"unit": "plasticity", "op": "run", "program": "stdp", "on": "hidden.blocks", "when": "always"},
      {"unit": "plasticity", "op": "run", "program": "stdp", "on": "output.blocks", "when": "always"}
    ]
  }
}

"""#
}
