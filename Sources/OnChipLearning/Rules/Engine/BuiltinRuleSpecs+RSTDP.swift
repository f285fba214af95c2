// The built-in copy of configs/rules/rstdp.json (byte for byte; RuleSpecTests checks it).

extension BuiltinRuleSpecs {
    static let rstdp = #"""
{
  "rule": "rstdp",
  "doc": "Reward-modulated STDP: the STDP term accumulates into an eligibility trace in each synapse's aux register and the weight follows eligibility x reward; the reward is computed from the output spikes and the label and broadcast into the modulators. See rstdp.md.",
  "parameters": {
    "ltpShift": {"default": 0, "range": [0, 31], "doc": "Potentiation 2^-ltpShift x the pre trace x1 at a post spike."},
    "ltdShift": {"default": 0, "range": [0, 31], "doc": "Depression 2^-ltdShift x the post trace y1 at a pre spike."},
    "eligibilityDecayShift": {"default": 3, "range": [1, 31], "doc": "The eligibility decays by 2^-eligibilityDecayShift per step (stochastically rounded)."},
    "modulatorShift": {"default": 8, "range": [0, 62], "doc": "dw = (mod x eligibility) >> modulatorShift."},
    "auxBits": {"default": 16, "range": [0, 32], "doc": "Width of the eligibility (aux) registers."},
    "correct": {"default": 32, "range": [-32768, 32767], "doc": "Reward of a spike of the label's output neuron."},
    "wrong": {"default": -32, "range": [-32768, 32767], "doc": "Reward of a spike of another output neuron."},
    "rewardTarget": {"default": "neuron", "oneOf": ["neuron", "layer"], "doc": "neuron: each output neuron that spiked gets its own reward; layer: the sum over the step's output spikes is broadcast to every neuron."},
    "x1": {"default": {"bits": 8, "decay": 410, "impulse": 64, "rounding": "stochastic"}, "unit": "trace", "doc": "Presynaptic trace x1."},
    "y1": {"default": {"bits": 8, "decay": 410, "impulse": 64, "rounding": "stochastic"}, "unit": "trace", "doc": "Postsynaptic trace y1."}
  },
  "timing": {"learnFrom": 0, "epoch": 1},
  "traces": {"x1": "$x1", "y1": "$y1"},
  "aux": {"bits": "$auxBits"},
  "programs": {
    "rstdp": {"source": [
      "; reward-modulated STDP: eligibility in aux, reward in the post neuron's modulator",
      ".scope synapse",
      ".const LTP_SHIFT $ltpShift",
      ".const LTD_SHIFT $ltdShift",
      ".const E_DECAY $eligibilityDecayShift",
      ".const MOD_SHIFT $modulatorShift",
      ".gate x0, y0, aux",
      "ld     a0, x1",
      "ld     a1, y0",
      "mul    a0, a0, a1, LTP_SHIFT",
      "ld     a2, y1",
      "ld     a3, x0",
      "mul    a2, a2, a3, LTD_SHIFT",
      "sub    a0, a0, a2            ; STDP term",
      "ld     a4, aux",
      "sround a5, a4, E_DECAY       ; e / 2^E_DECAY, stochastically rounded",
      "sub    a4, a4, a5",
      "add    a4, a4, a0",
      "st     aux, a4               ; saturates to auxBits",
      "ld     a4, aux               ; e' as stored (saturated)",
      "ld     a6, mod",
      "mul    a6, a6, a4, MOD_SHIFT ; reward x eligibility",
      "ld     a7, w",
      "add    a7, a7, a6",
      "st     w, a7"
    ]}
  },
  "schedule": {
    "learn": [
      {"unit": "router", "op": "reward", "layer": "output", "correct": "$correct", "wrong": "$wrong", "target": "$rewardTarget", "into": "all.modulator", "when": "always"},
      {"unit": "plasticity", "op": "run", "program": "rstdp", "on": "hidden.blocks", "when": "always"},
      {"unit": "plasticity", "op": "run", "program": "rstdp", "on": "output.blocks", "when": "always"}
    ]
  }
}

"""#
}
