import Foundation
import ChipModel

// The shipped rule specs, built in so that "rule": "opzo" needs no file at run time. Each text
// must equal its file configs/rules/<name>.json byte for byte (BuiltinRuleSpecTests checks it;
// regenerate this file from those when one changes).

public enum BuiltinRuleSpecs {
    public static let names = ["opzo", "dfa", "readout", "zo_sp", "mgd_np", "loco", "stdp", "rstdp"]
    /// Shipped rules built from their spec alone (no typed parameter struct decodes them).
    public static let specOnly: Set<String> = ["loco", "stdp", "rstdp"]

    /// The parsed spec of a shipped rule (read once).
    public static func spec(named name: String) throws -> RuleSpec {
        try cache.spec(named: name)
    }

    /// The JSON text of a shipped rule's spec.
    public static func text(named name: String) -> String? {
        switch name {
        case "opzo": return opzo
        case "dfa": return dfa
        case "readout": return readout
        case "zo_sp": return zosp
        case "mgd_np": return mgdnp
        case "loco": return loco
        case "stdp": return stdp
        case "rstdp": return rstdp
        default: return weightPerturbationText(named: name)
        }
    }

    private final class Cache: @unchecked Sendable {
        private var specs: [String: RuleSpec] = [:]
        private let lock = NSLock()
        func spec(named name: String) throws -> RuleSpec {
            lock.lock(); defer { lock.unlock() }
            if let s = specs[name] { return s }
            guard let text = BuiltinRuleSpecs.text(named: name) else {
                throw ChipError.config(file: "<built-in rules>", path: "$.learning.rule", message: "no built-in rule '\(name)'; expected one of: \((BuiltinRuleSpecs.names + BuiltinRuleSpecs.weightPerturbationNames).joined(separator: ", "))")
            }
            let s = try RuleSpec.parse(try JSONValue.parse(text, file: "configs/rules/\(name).json"), file: "configs/rules/\(name).json")
            specs[name] = s
            return s
        }
    }
    private static let cache = Cache()

    static let opzo = #"""
{
  "rule": "opzo",
  "doc": "OPZO: online pseudo-zeroth-order training. Hidden neurons get noise; each hidden core learns feedback synapses M by momentum from the output's response to that noise and receives g = M e. See opzo.md.",
  "parameters": {
    "noise": {"default": "rademacher", "oneOf": ["rademacher", "gaussian"], "doc": "Noise distribution: Rademacher +-1 or the PRNG unit's fixed-point Gaussian (rounded alpha z)."},
    "noisePlacement": {"default": "pre", "oneOf": ["pre", "post"], "doc": "pre: a_in += alpha z before the neuron update; post: the hidden output becomes graded, s + alpha z / 256."},
    "alpha": {"default": 8, "range": [0, 4096], "doc": "Noise amplitude in weight units."},
    "lambdaShift": {"default": 17, "range": [1, 30], "doc": "Momentum lambda = 1 - 2^-lambdaShift."},
    "productShift": {"default": 4, "range": [0, 40], "doc": "The momentum's new term is (o_k z_i) >> productShift."},
    "gShift": {"default": 20, "range": [0, 62], "doc": "g_i = sat16((sum_k M_ik e_k) >> gShift) when gNormalise is 0."},
    "gNormalise": {"default": 0, "range": [0, 15], "doc": "> 0: per-core shift making the core's largest |g| this many bits wide."},
    "zoShift": {"default": 6, "range": [0, 40], "doc": "zo_sp / mgd_np: g_i = ((L - b) z_i) >> zoShift."},
    "etaHidden": {"default": 14, "range": [1, 31], "learningRate": true, "doc": "Hidden learning rate 2^-etaHidden."},
    "etaReadout": {"default": 12, "range": [1, 31], "learningRate": true, "doc": "Readout learning rate 2^-etaReadout."},
    "psiWidth": {"default": 12800, "range": [0, 16777216], "doc": "psi = 1 when |v_pre-reset - vth << 6| < psiWidth."},
    "tEpoch": {"default": 1, "range": [1, 1024], "doc": "Learning epoch in steps (1: forward weights updated every step)."},
    "learnFrom": {"default": 0, "range": [0, 100000], "doc": "Burn-in: steps of each sample before this one learn nothing."},
    "holdNoise": {"default": false, "doc": "One noise draw per learning epoch, held for its steps."},
    "auxBits": {"default": 32, "range": [8, 32], "doc": "Width of the feedback synapses' M registers."},
    "dfaScale": {"default": 1048576, "range": [1, 1073741824], "doc": "DFA: fixed feedback uniform in [-dfaScale, dfaScale]."},
    "mInitScale": {"default": 0, "range": [0, 1073741824], "doc": "OPZO: initial M uniform in [-mInitScale, mInitScale] (0: zero)."},
    "loss": {"default": {"outputShift": 10, "ceWeight": 61, "mseWeight": 3}, "unit": "loss", "doc": "The output core's loss unit."},
    "trace": {"default": {"bits": 8, "decay": 410, "impulse": 24, "rounding": "stochastic"}, "unit": "trace", "doc": "Presynaptic traces x1."}
  },
  "checks": [
    {"if": "holdNoise", "require": "tEpoch > 1", "message": "holds the noise over a learning epoch; set tEpoch to 2 or more (e.g. the sample's steps)"}
  ],
  "timing": {"learnFrom": "$learnFrom", "epoch": "$tEpoch"},
  "lossUnit": "$loss",
  "traces": {"x1": "$trace"},
  "noiseSource": {"distribution": "$noise", "amplitude": "$alpha", "hold": "$holdNoise"},
  "feedback": {"rows": "@outputs", "bits": "$auxBits", "init": "$mInitScale"},
  "programs": {
    "psi": {"source": [
      "; psi: rectangular window around the threshold, on the pre-reset voltage; keep last step's in r2",
      ".scope neuron",
      ".const THETA @hiddenThreshold",
      ".const WIDTH $psiWidth",
      "ld   a0, r0",
      "st   r2, a0",
      "ld   a0, v",
      "ldi  a1, THETA",
      "sub  a0, a0, a1",
      "abs  a0, a0              ; |v - theta|",
      "ldi  a1, WIDTH",
      "sub  a0, a1, a0          ; > 0 inside the window",
      "sign a0, a0",
      "ldi  a1, 0",
      "max  a0, a0, a1          ; 1 inside, 0 outside",
      "st   r0, a0"
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
    ]},
    "hidden": {"source": [
      "; three-factor update: dw = -(x1 * mod) / 2^ETA, stochastically rounded (psi of step t-d in r2, d the error delay)",
      ".scope synapse",
      ".const ETA $etaHidden",
      ".require x1, mod, r2",
      "ld     a0, x1",
      "ld     a1, mod",
      "mul    a0, a0, a1, 0",
      "sround a0, a0, ETA",
      "ld     a1, w",
      "sub    a1, a1, a0",
      "st     w, a1               ; saturates to weightBits"
    ]},
    "momentum": {"source": [
      "; OPZO feedback momentum: M = lambda M + (1 - lambda) o z, lambda = 1 - 2^-K (M scaled by 2^K); o_k in x2, z_i in r1",
      ".scope synapse",
      ".const K $lambdaShift",
      ".const S $productShift",
      "ld     a0, aux",
      "sround a1, a0, K           ; unbiased decay (a floor shift would freeze small |M|)",
      "sub    a0, a0, a1",
      "ld     a2, x2",
      "ld     a3, r1",
      "mul    a2, a2, a3, S",
      "add    a0, a0, a2",
      "st     aux, a0             ; saturates to auxBits"
    ]},
    "accumulateReadout": {"source": [
      "; accumulate this step's modulator over the learning epoch in r3",
      ".scope neuron",
      "ld   a0, mod",
      "ld   a1, r3",
      "add  a0, a0, a1",
      "st   r3, a0"
    ]},
    "accumulateHidden": {"source": [
      "; accumulate this step's modulator over the learning epoch in r3 (gated by psi[t-d] in r2)",
      ".scope neuron",
      "ld   a0, mod",
      "ld   a1, r2",
      "mul  a0, a0, a1, 0",
      "ld   a1, r3",
      "add  a0, a0, a1",
      "st   r3, a0"
    ]},
    "epochReadout": {"source": [
      "; learning-epoch update: dw = -(x1 * sum_t mod) / 2^ETA, stochastically rounded",
      ".scope synapse",
      ".const ETA $etaReadout",
      ".require x1, r3",
      "ld     a0, x1",
      "ld     a1, r3",
      "mul    a0, a0, a1, 0",
      "sround a0, a0, ETA",
      "ld     a1, w",
      "sub    a1, a1, a0",
      "st     w, a1               ; saturates to weightBits"
    ]},
    "epochHidden": {"source": [
      "; learning-epoch update: dw = -(x1 * sum_t mod) / 2^ETA, stochastically rounded",
      ".scope synapse",
      ".const ETA $etaHidden",
      ".require x1, r3",
      "ld     a0, x1",
      "ld     a1, r3",
      "mul    a0, a0, a1, 0",
      "sround a0, a0, ETA",
      "ld     a1, w",
      "sub    a1, a1, a0",
      "st     w, a1               ; saturates to weightBits"
    ]},
    "clear": {"source": [
      "; start a new learning epoch",
      ".scope neuron",
      "ldi  a0, 0",
      "st   r3, a0"
    ]}
  },
  "delayedPrograms": {
    "psi": {"source": [
      "; psi with a history, for a hidden layer d = @errorDelay steps from the readout (its error reflects step t - d):",
      "; r0 holds psi[t-1] ... psi[t-d] as bits 0 ... d-1; r2 = psi[t-d], then r0 = psi[t] ... psi[t-d+1]",
      ".scope neuron",
      ".const THETA @hiddenThreshold",
      ".const WIDTH $psiWidth",
      ".const D @errorDelay",
      "ld   a0, v",
      "ldi  a1, THETA",
      "sub  a0, a0, a1",
      "abs  a0, a0              ; |v - theta|",
      "ldi  a1, WIDTH",
      "sub  a0, a1, a0          ; > 0 inside the window",
      "sign a0, a0",
      "ldi  a1, 0",
      "max  a0, a0, a1          ; psi[t]: 1 inside, 0 outside",
      "ld   a1, r0",
      "sh   a1, a1, 1",
      "add  a0, a0, a1          ; psi[t-k] at bit k, k = 0 ... d",
      "sh   a1, a0, -D          ; bit d: psi[t-d]",
      "st   r2, a1",
      "sh   a1, a1, D",
      "sub  a0, a0, a1          ; bits 0 ... d-1 kept",
      "st   r0, a0"
    ]}
  },
  "schedule": {
    "neuronInput": [
      {"unit": "prng", "op": "injectNoise", "into": "hidden.input", "if": "noisePlacement == pre"},
      {"unit": "synapse", "op": "deliverGradedNoise", "from": "hidden", "if": "noisePlacement == post"}
    ],
    "sampleStart": [
      {"unit": "host", "op": "sendLabel", "to": "output"}
    ],
    "learn": [
      {"unit": "router", "op": "send", "kind": "graded", "from": "hidden", "to": "output", "values": ["hiddenOutputs"], "when": "always", "if": "noisePlacement == post"},
      {"unit": "router", "op": "drain", "when": "always", "if": "noisePlacement == post"},
      {"unit": "plasticity", "op": "run", "program": "psi", "on": "hidden.neurons", "key": 0, "when": "errorDelayBurnIn"},
      {"unit": "loss", "op": "error", "into": "output.modulator"},
      {"unit": "plasticity", "op": "run", "program": "readout", "on": "output.blocks", "factor": "mod", "if": "tEpoch == 1"},
      {"unit": "plasticity", "op": "run", "program": "accumulateReadout", "on": "output.neurons", "key": 1, "if": "tEpoch > 1"},
      {"unit": "plasticity", "op": "run", "program": "epochReadout", "on": "output.blocks", "factor": "r3", "when": "epochEnd", "if": "tEpoch > 1"},
      {"unit": "plasticity", "op": "run", "program": "clear", "on": "output.neurons", "key": 2, "when": "epochEnd", "if": "tEpoch > 1"},
      {"unit": "controller", "op": "accumulate", "value": "o", "into": "oSum", "if": "holdNoise"},
      {"unit": "router", "op": "send", "kind": "graded", "from": "output", "to": "hidden", "values": ["e", {"value": "o", "if": "!holdNoise"}, {"value": "oSum", "when": "epochEnd", "if": "holdNoise"}]},
      {"unit": "router", "op": "drain"},
      {"unit": "synapse", "op": "receive", "value": "o", "into": "feedback.x2", "if": "!holdNoise"},
      {"unit": "prng", "op": "regenerateNoise", "noise": "errorStep", "into": "hidden.r1", "if": "!holdNoise"},
      {"unit": "plasticity", "op": "run", "program": "momentum", "on": "hidden.feedback", "if": "!holdNoise"},
      {"unit": "synapse", "op": "receive", "value": "oSum", "into": "feedback.x2", "when": "epochEnd", "if": "holdNoise"},
      {"unit": "prng", "op": "regenerateNoise", "noise": "epoch", "into": "hidden.r1", "when": "epochEnd", "if": "holdNoise"},
      {"unit": "plasticity", "op": "run", "program": "momentum", "on": "hidden.feedback", "when": "epochEnd", "if": "holdNoise"},
      {"unit": "synapse", "op": "deliverTransposed", "block": "feedback", "value": "e", "into": "hidden.modulator", "shift": "$gShift", "normalise": "$gNormalise"},
      {"unit": "plasticity", "op": "run", "program": "psi", "on": "hidden.neurons", "key": 0},
      {"unit": "plasticity", "op": "run", "program": "hidden", "on": "hidden.blocks", "factor": "gatedMod", "if": "tEpoch == 1"},
      {"unit": "plasticity", "op": "run", "program": "accumulateHidden", "on": "hidden.neurons", "key": 1, "if": "tEpoch > 1"},
      {"unit": "plasticity", "op": "run", "program": "epochHidden", "on": "hidden.blocks", "factor": "r3", "when": "epochEnd", "if": "tEpoch > 1"},
      {"unit": "plasticity", "op": "run", "program": "clear", "on": "hidden.neurons", "key": 2, "when": "epochEnd", "if": "tEpoch > 1"},
      {"unit": "controller", "op": "clear", "value": "oSum", "when": "epochEnd", "if": "holdNoise"}
    ]
  }
}

"""#

    static let dfa = #"""
{
  "rule": "dfa",
  "doc": "DFA: direct feedback alignment. Fixed random feedback synapses M; hidden cores receive g = M e. See dfa.md.",
  "parameters": {
    "noise": {"default": "rademacher", "oneOf": ["rademacher", "gaussian"], "doc": "Noise distribution: Rademacher +-1 or the PRNG unit's fixed-point Gaussian (rounded alpha z)."},
    "noisePlacement": {"default": "pre", "oneOf": ["pre", "post"], "doc": "pre: a_in += alpha z before the neuron update; post: the hidden output becomes graded, s + alpha z / 256."},
    "alpha": {"default": 8, "range": [0, 4096], "doc": "Noise amplitude in weight units."},
    "lambdaShift": {"default": 17, "range": [1, 30], "doc": "Momentum lambda = 1 - 2^-lambdaShift."},
    "productShift": {"default": 4, "range": [0, 40], "doc": "The momentum's new term is (o_k z_i) >> productShift."},
    "gShift": {"default": 20, "range": [0, 62], "doc": "g_i = sat16((sum_k M_ik e_k) >> gShift) when gNormalise is 0."},
    "gNormalise": {"default": 0, "range": [0, 15], "doc": "> 0: per-core shift making the core's largest |g| this many bits wide."},
    "zoShift": {"default": 6, "range": [0, 40], "doc": "zo_sp / mgd_np: g_i = ((L - b) z_i) >> zoShift."},
    "etaHidden": {"default": 14, "range": [1, 31], "learningRate": true, "doc": "Hidden learning rate 2^-etaHidden."},
    "etaReadout": {"default": 12, "range": [1, 31], "learningRate": true, "doc": "Readout learning rate 2^-etaReadout."},
    "psiWidth": {"default": 12800, "range": [0, 16777216], "doc": "psi = 1 when |v_pre-reset - vth << 6| < psiWidth."},
    "tEpoch": {"default": 1, "range": [1, 1024], "doc": "Learning epoch in steps (1: forward weights updated every step)."},
    "learnFrom": {"default": 0, "range": [0, 100000], "doc": "Burn-in: steps of each sample before this one learn nothing."},
    "holdNoise": {"default": false, "doc": "One noise draw per learning epoch, held for its steps."},
    "auxBits": {"default": 32, "range": [8, 32], "doc": "Width of the feedback synapses' M registers."},
    "dfaScale": {"default": 1048576, "range": [1, 1073741824], "doc": "DFA: fixed feedback uniform in [-dfaScale, dfaScale]."},
    "mInitScale": {"default": 0, "range": [0, 1073741824], "doc": "OPZO: initial M uniform in [-mInitScale, mInitScale] (0: zero)."},
    "loss": {"default": {"outputShift": 10, "ceWeight": 61, "mseWeight": 3}, "unit": "loss", "doc": "The output core's loss unit."},
    "trace": {"default": {"bits": 8, "decay": 410, "impulse": 24, "rounding": "stochastic"}, "unit": "trace", "doc": "Presynaptic traces x1."}
  },
  "checks": [
    {"if": "holdNoise", "require": "tEpoch > 1", "message": "holds the noise over a learning epoch; set tEpoch to 2 or more (e.g. the sample's steps)"}
  ],
  "timing": {"learnFrom": "$learnFrom", "epoch": "$tEpoch"},
  "lossUnit": "$loss",
  "traces": {"x1": "$trace"},
  "feedback": {"rows": "@outputs", "bits": "$auxBits", "init": "$dfaScale"},
  "programs": {
    "psi": {"source": [
      "; psi: rectangular window around the threshold, on the pre-reset voltage; keep last step's in r2",
      ".scope neuron",
      ".const THETA @hiddenThreshold",
      ".const WIDTH $psiWidth",
      "ld   a0, r0",
      "st   r2, a0",
      "ld   a0, v",
      "ldi  a1, THETA",
      "sub  a0, a0, a1",
      "abs  a0, a0              ; |v - theta|",
      "ldi  a1, WIDTH",
      "sub  a0, a1, a0          ; > 0 inside the window",
      "sign a0, a0",
      "ldi  a1, 0",
      "max  a0, a0, a1          ; 1 inside, 0 outside",
      "st   r0, a0"
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
    ]},
    "hidden": {"source": [
      "; three-factor update: dw = -(x1 * mod) / 2^ETA, stochastically rounded (psi of step t-d in r2, d the error delay)",
      ".scope synapse",
      ".const ETA $etaHidden",
      ".require x1, mod, r2",
      "ld     a0, x1",
      "ld     a1, mod",
      "mul    a0, a0, a1, 0",
      "sround a0, a0, ETA",
      "ld     a1, w",
      "sub    a1, a1, a0",
      "st     w, a1               ; saturates to weightBits"
    ]},
    "accumulateReadout": {"source": [
      "; accumulate this step's modulator over the learning epoch in r3",
      ".scope neuron",
      "ld   a0, mod",
      "ld   a1, r3",
      "add  a0, a0, a1",
      "st   r3, a0"
    ]},
    "accumulateHidden": {"source": [
      "; accumulate this step's modulator over the learning epoch in r3 (gated by psi[t-d] in r2)",
      ".scope neuron",
      "ld   a0, mod",
      "ld   a1, r2",
      "mul  a0, a0, a1, 0",
      "ld   a1, r3",
      "add  a0, a0, a1",
      "st   r3, a0"
    ]},
    "epochReadout": {"source": [
      "; learning-epoch update: dw = -(x1 * sum_t mod) / 2^ETA, stochastically rounded",
      ".scope synapse",
      ".const ETA $etaReadout",
      ".require x1, r3",
      "ld     a0, x1",
      "ld     a1, r3",
      "mul    a0, a0, a1, 0",
      "sround a0, a0, ETA",
      "ld     a1, w",
      "sub    a1, a1, a0",
      "st     w, a1               ; saturates to weightBits"
    ]},
    "epochHidden": {"source": [
      "; learning-epoch update: dw = -(x1 * sum_t mod) / 2^ETA, stochastically rounded",
      ".scope synapse",
      ".const ETA $etaHidden",
      ".require x1, r3",
      "ld     a0, x1",
      "ld     a1, r3",
      "mul    a0, a0, a1, 0",
      "sround a0, a0, ETA",
      "ld     a1, w",
      "sub    a1, a1, a0",
      "st     w, a1               ; saturates to weightBits"
    ]},
    "clear": {"source": [
      "; start a new learning epoch",
      ".scope neuron",
      "ldi  a0, 0",
      "st   r3, a0"
    ]}
  },
  "delayedPrograms": {
    "psi": {"source": [
      "; psi with a history, for a hidden layer d = @errorDelay steps from the readout (its error reflects step t - d):",
      "; r0 holds psi[t-1] ... psi[t-d] as bits 0 ... d-1; r2 = psi[t-d], then r0 = psi[t] ... psi[t-d+1]",
      ".scope neuron",
      ".const THETA @hiddenThreshold",
      ".const WIDTH $psiWidth",
      ".const D @errorDelay",
      "ld   a0, v",
      "ldi  a1, THETA",
      "sub  a0, a0, a1",
      "abs  a0, a0              ; |v - theta|",
      "ldi  a1, WIDTH",
      "sub  a0, a1, a0          ; > 0 inside the window",
      "sign a0, a0",
      "ldi  a1, 0",
      "max  a0, a0, a1          ; psi[t]: 1 inside, 0 outside",
      "ld   a1, r0",
      "sh   a1, a1, 1",
      "add  a0, a0, a1          ; psi[t-k] at bit k, k = 0 ... d",
      "sh   a1, a0, -D          ; bit d: psi[t-d]",
      "st   r2, a1",
      "sh   a1, a1, D",
      "sub  a0, a0, a1          ; bits 0 ... d-1 kept",
      "st   r0, a0"
    ]}
  },
  "schedule": {
    "neuronInput": [],
    "sampleStart": [
      {"unit": "host", "op": "sendLabel", "to": "output"}
    ],
    "learn": [
      {"unit": "plasticity", "op": "run", "program": "psi", "on": "hidden.neurons", "key": 0, "when": "errorDelayBurnIn"},
      {"unit": "loss", "op": "error", "into": "output.modulator"},
      {"unit": "plasticity", "op": "run", "program": "readout", "on": "output.blocks", "factor": "mod", "if": "tEpoch == 1"},
      {"unit": "plasticity", "op": "run", "program": "accumulateReadout", "on": "output.neurons", "key": 1, "if": "tEpoch > 1"},
      {"unit": "plasticity", "op": "run", "program": "epochReadout", "on": "output.blocks", "factor": "r3", "when": "epochEnd", "if": "tEpoch > 1"},
      {"unit": "plasticity", "op": "run", "program": "clear", "on": "output.neurons", "key": 2, "when": "epochEnd", "if": "tEpoch > 1"},
      {"unit": "router", "op": "send", "kind": "graded", "from": "output", "to": "hidden", "values": ["e"]},
      {"unit": "router", "op": "drain"},
      {"unit": "synapse", "op": "deliverTransposed", "block": "feedback", "value": "e", "into": "hidden.modulator", "shift": "$gShift", "normalise": "$gNormalise"},
      {"unit": "plasticity", "op": "run", "program": "psi", "on": "hidden.neurons", "key": 0},
      {"unit": "plasticity", "op": "run", "program": "hidden", "on": "hidden.blocks", "factor": "gatedMod", "if": "tEpoch == 1"},
      {"unit": "plasticity", "op": "run", "program": "accumulateHidden", "on": "hidden.neurons", "key": 1, "if": "tEpoch > 1"},
      {"unit": "plasticity", "op": "run", "program": "epochHidden", "on": "hidden.blocks", "factor": "r3", "when": "epochEnd", "if": "tEpoch > 1"},
      {"unit": "plasticity", "op": "run", "program": "clear", "on": "hidden.neurons", "key": 2, "when": "epochEnd", "if": "tEpoch > 1"}
    ]
  }
}

"""#

    static let readout = #"""
{
  "rule": "readout",
  "doc": "Readout only: the readout learns from the loss unit's error; hidden layers are frozen (the floor that shows whether hidden layers learn). See readout.md.",
  "parameters": {
    "noise": {"default": "rademacher", "oneOf": ["rademacher", "gaussian"], "doc": "Noise distribution: Rademacher +-1 or the PRNG unit's fixed-point Gaussian (rounded alpha z)."},
    "noisePlacement": {"default": "pre", "oneOf": ["pre", "post"], "doc": "pre: a_in += alpha z before the neuron update; post: the hidden output becomes graded, s + alpha z / 256."},
    "alpha": {"default": 8, "range": [0, 4096], "doc": "Noise amplitude in weight units."},
    "lambdaShift": {"default": 17, "range": [1, 30], "doc": "Momentum lambda = 1 - 2^-lambdaShift."},
    "productShift": {"default": 4, "range": [0, 40], "doc": "The momentum's new term is (o_k z_i) >> productShift."},
    "gShift": {"default": 20, "range": [0, 62], "doc": "g_i = sat16((sum_k M_ik e_k) >> gShift) when gNormalise is 0."},
    "gNormalise": {"default": 0, "range": [0, 15], "doc": "> 0: per-core shift making the core's largest |g| this many bits wide."},
    "zoShift": {"default": 6, "range": [0, 40], "doc": "zo_sp / mgd_np: g_i = ((L - b) z_i) >> zoShift."},
    "etaHidden": {"default": 14, "range": [1, 31], "learningRate": true, "doc": "Hidden learning rate 2^-etaHidden."},
    "etaReadout": {"default": 12, "range": [1, 31], "learningRate": true, "doc": "Readout learning rate 2^-etaReadout."},
    "psiWidth": {"default": 12800, "range": [0, 16777216], "doc": "psi = 1 when |v_pre-reset - vth << 6| < psiWidth."},
    "tEpoch": {"default": 1, "range": [1, 1024], "doc": "Learning epoch in steps (1: forward weights updated every step)."},
    "learnFrom": {"default": 0, "range": [0, 100000], "doc": "Burn-in: steps of each sample before this one learn nothing."},
    "holdNoise": {"default": false, "doc": "One noise draw per learning epoch, held for its steps."},
    "auxBits": {"default": 32, "range": [8, 32], "doc": "Width of the feedback synapses' M registers."},
    "dfaScale": {"default": 1048576, "range": [1, 1073741824], "doc": "DFA: fixed feedback uniform in [-dfaScale, dfaScale]."},
    "mInitScale": {"default": 0, "range": [0, 1073741824], "doc": "OPZO: initial M uniform in [-mInitScale, mInitScale] (0: zero)."},
    "loss": {"default": {"outputShift": 10, "ceWeight": 61, "mseWeight": 3}, "unit": "loss", "doc": "The output core's loss unit."},
    "trace": {"default": {"bits": 8, "decay": 410, "impulse": 24, "rounding": "stochastic"}, "unit": "trace", "doc": "Presynaptic traces x1."}
  },
  "checks": [
    {"if": "holdNoise", "require": "tEpoch > 1", "message": "holds the noise over a learning epoch; set tEpoch to 2 or more (e.g. the sample's steps)"}
  ],
  "timing": {"learnFrom": "$learnFrom", "epoch": "$tEpoch"},
  "lossUnit": "$loss",
  "traces": {"x1": "$trace"},
  "programs": {
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
    ]},
    "accumulateReadout": {"source": [
      "; accumulate this step's modulator over the learning epoch in r3",
      ".scope neuron",
      "ld   a0, mod",
      "ld   a1, r3",
      "add  a0, a0, a1",
      "st   r3, a0"
    ]},
    "epochReadout": {"source": [
      "; learning-epoch update: dw = -(x1 * sum_t mod) / 2^ETA, stochastically rounded",
      ".scope synapse",
      ".const ETA $etaReadout",
      ".require x1, r3",
      "ld     a0, x1",
      "ld     a1, r3",
      "mul    a0, a0, a1, 0",
      "sround a0, a0, ETA",
      "ld     a1, w",
      "sub    a1, a1, a0",
      "st     w, a1               ; saturates to weightBits"
    ]},
    "clear": {"source": [
      "; start a new learning epoch",
      ".scope neuron",
      "ldi  a0, 0",
      "st   r3, a0"
    ]}
  },
  "schedule": {
    "neuronInput": [],
    "sampleStart": [
      {"unit": "host", "op": "sendLabel", "to": "output"}
    ],
    "learn": [
      {"unit": "loss", "op": "error", "into": "output.modulator"},
      {"unit": "plasticity", "op": "run", "program": "readout", "on": "output.blocks", "factor": "mod", "if": "tEpoch == 1"},
      {"unit": "plasticity", "op": "run", "program": "accumulateReadout", "on": "output.neurons", "key": 1, "if": "tEpoch > 1"},
      {"unit": "plasticity", "op": "run", "program": "epochReadout", "on": "output.blocks", "factor": "r3", "when": "epochEnd", "if": "tEpoch > 1"},
      {"unit": "plasticity", "op": "run", "program": "clear", "on": "output.neurons", "key": 2, "when": "epochEnd", "if": "tEpoch > 1"}
    ]
  }
}

"""#

    static let zosp = #"""
{
  "rule": "zo_sp",
  "doc": "ZO_sp: single-point zeroth order. The output core broadcasts the scalar loss minus a running baseline; each hidden neuron multiplies it with its own previous noise. See zo_sp.md.",
  "parameters": {
    "noise": {"default": "rademacher", "oneOf": ["rademacher", "gaussian"], "doc": "Noise distribution: Rademacher +-1 or the PRNG unit's fixed-point Gaussian (rounded alpha z)."},
    "noisePlacement": {"default": "pre", "oneOf": ["pre", "post"], "doc": "pre: a_in += alpha z before the neuron update; post: the hidden output becomes graded, s + alpha z / 256."},
    "alpha": {"default": 8, "range": [0, 4096], "doc": "Noise amplitude in weight units."},
    "lambdaShift": {"default": 17, "range": [1, 30], "doc": "Momentum lambda = 1 - 2^-lambdaShift."},
    "productShift": {"default": 4, "range": [0, 40], "doc": "The momentum's new term is (o_k z_i) >> productShift."},
    "gShift": {"default": 20, "range": [0, 62], "doc": "g_i = sat16((sum_k M_ik e_k) >> gShift) when gNormalise is 0."},
    "gNormalise": {"default": 0, "range": [0, 15], "doc": "> 0: per-core shift making the core's largest |g| this many bits wide."},
    "zoShift": {"default": 6, "range": [0, 40], "doc": "zo_sp / mgd_np: g_i = ((L - b) z_i) >> zoShift."},
    "etaHidden": {"default": 14, "range": [1, 31], "learningRate": true, "doc": "Hidden learning rate 2^-etaHidden."},
    "etaReadout": {"default": 12, "range": [1, 31], "learningRate": true, "doc": "Readout learning rate 2^-etaReadout."},
    "psiWidth": {"default": 12800, "range": [0, 16777216], "doc": "psi = 1 when |v_pre-reset - vth << 6| < psiWidth."},
    "tEpoch": {"default": 1, "range": [1, 1024], "doc": "Learning epoch in steps (1: forward weights updated every step)."},
    "learnFrom": {"default": 0, "range": [0, 100000], "doc": "Burn-in: steps of each sample before this one learn nothing."},
    "holdNoise": {"default": false, "doc": "One noise draw per learning epoch, held for its steps."},
    "auxBits": {"default": 32, "range": [8, 32], "doc": "Width of the feedback synapses' M registers."},
    "dfaScale": {"default": 1048576, "range": [1, 1073741824], "doc": "DFA: fixed feedback uniform in [-dfaScale, dfaScale]."},
    "mInitScale": {"default": 0, "range": [0, 1073741824], "doc": "OPZO: initial M uniform in [-mInitScale, mInitScale] (0: zero)."},
    "loss": {"default": {"outputShift": 10, "ceWeight": 61, "mseWeight": 3}, "unit": "loss", "doc": "The output core's loss unit."},
    "trace": {"default": {"bits": 8, "decay": 410, "impulse": 24, "rounding": "stochastic"}, "unit": "trace", "doc": "Presynaptic traces x1."}
  },
  "checks": [
    {"if": "holdNoise", "require": "tEpoch > 1", "message": "holds the noise over a learning epoch; set tEpoch to 2 or more (e.g. the sample's steps)"}
  ],
  "timing": {"learnFrom": "$learnFrom", "epoch": "$tEpoch"},
  "lossUnit": "$loss",
  "traces": {"x1": "$trace"},
  "noiseSource": {"distribution": "$noise", "amplitude": "$alpha", "hold": "$holdNoise"},
  "feedback": {"rows": 0, "bits": 0, "init": 0},
  "programs": {
    "psi": {"source": [
      "; psi: rectangular window around the threshold, on the pre-reset voltage; keep last step's in r2",
      ".scope neuron",
      ".const THETA @hiddenThreshold",
      ".const WIDTH $psiWidth",
      "ld   a0, r0",
      "st   r2, a0",
      "ld   a0, v",
      "ldi  a1, THETA",
      "sub  a0, a0, a1",
      "abs  a0, a0              ; |v - theta|",
      "ldi  a1, WIDTH",
      "sub  a0, a1, a0          ; > 0 inside the window",
      "sign a0, a0",
      "ldi  a1, 0",
      "max  a0, a0, a1          ; 1 inside, 0 outside",
      "st   r0, a0"
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
    ]},
    "hidden": {"source": [
      "; three-factor update: dw = -(x1 * mod) / 2^ETA, stochastically rounded (psi of step t-d in r2, d the error delay)",
      ".scope synapse",
      ".const ETA $etaHidden",
      ".require x1, mod, r2",
      "ld     a0, x1",
      "ld     a1, mod",
      "mul    a0, a0, a1, 0",
      "sround a0, a0, ETA",
      "ld     a1, w",
      "sub    a1, a1, a0",
      "st     w, a1               ; saturates to weightBits"
    ]},
    "accumulateReadout": {"source": [
      "; accumulate this step's modulator over the learning epoch in r3",
      ".scope neuron",
      "ld   a0, mod",
      "ld   a1, r3",
      "add  a0, a0, a1",
      "st   r3, a0"
    ]},
    "accumulateHidden": {"source": [
      "; accumulate this step's modulator over the learning epoch in r3 (gated by psi[t-d] in r2)",
      ".scope neuron",
      "ld   a0, mod",
      "ld   a1, r2",
      "mul  a0, a0, a1, 0",
      "ld   a1, r3",
      "add  a0, a0, a1",
      "st   r3, a0"
    ]},
    "epochReadout": {"source": [
      "; learning-epoch update: dw = -(x1 * sum_t mod) / 2^ETA, stochastically rounded",
      ".scope synapse",
      ".const ETA $etaReadout",
      ".require x1, r3",
      "ld     a0, x1",
      "ld     a1, r3",
      "mul    a0, a0, a1, 0",
      "sround a0, a0, ETA",
      "ld     a1, w",
      "sub    a1, a1, a0",
      "st     w, a1               ; saturates to weightBits"
    ]},
    "epochHidden": {"source": [
      "; learning-epoch update: dw = -(x1 * sum_t mod) / 2^ETA, stochastically rounded",
      ".scope synapse",
      ".const ETA $etaHidden",
      ".require x1, r3",
      "ld     a0, x1",
      "ld     a1, r3",
      "mul    a0, a0, a1, 0",
      "sround a0, a0, ETA",
      "ld     a1, w",
      "sub    a1, a1, a0",
      "st     w, a1               ; saturates to weightBits"
    ]},
    "clear": {"source": [
      "; start a new learning epoch",
      ".scope neuron",
      "ldi  a0, 0",
      "st   r3, a0"
    ]}
  },
  "delayedPrograms": {
    "psi": {"source": [
      "; psi with a history, for a hidden layer d = @errorDelay steps from the readout (its error reflects step t - d):",
      "; r0 holds psi[t-1] ... psi[t-d] as bits 0 ... d-1; r2 = psi[t-d], then r0 = psi[t] ... psi[t-d+1]",
      ".scope neuron",
      ".const THETA @hiddenThreshold",
      ".const WIDTH $psiWidth",
      ".const D @errorDelay",
      "ld   a0, v",
      "ldi  a1, THETA",
      "sub  a0, a0, a1",
      "abs  a0, a0              ; |v - theta|",
      "ldi  a1, WIDTH",
      "sub  a0, a1, a0          ; > 0 inside the window",
      "sign a0, a0",
      "ldi  a1, 0",
      "max  a0, a0, a1          ; psi[t]: 1 inside, 0 outside",
      "ld   a1, r0",
      "sh   a1, a1, 1",
      "add  a0, a0, a1          ; psi[t-k] at bit k, k = 0 ... d",
      "sh   a1, a0, -D          ; bit d: psi[t-d]",
      "st   r2, a1",
      "sh   a1, a1, D",
      "sub  a0, a0, a1          ; bits 0 ... d-1 kept",
      "st   r0, a0"
    ]}
  },
  "schedule": {
    "neuronInput": [
      {"unit": "prng", "op": "injectNoise", "into": "hidden.input", "if": "noisePlacement == pre"},
      {"unit": "synapse", "op": "deliverGradedNoise", "from": "hidden", "if": "noisePlacement == post"}
    ],
    "sampleStart": [
      {"unit": "host", "op": "sendLabel", "to": "output"}
    ],
    "learn": [
      {"unit": "router", "op": "send", "kind": "graded", "from": "hidden", "to": "output", "values": ["hiddenOutputs"], "when": "always", "if": "noisePlacement == post"},
      {"unit": "router", "op": "drain", "when": "always", "if": "noisePlacement == post"},
      {"unit": "plasticity", "op": "run", "program": "psi", "on": "hidden.neurons", "key": 0, "when": "errorDelayBurnIn"},
      {"unit": "loss", "op": "error", "into": "output.modulator"},
      {"unit": "plasticity", "op": "run", "program": "readout", "on": "output.blocks", "factor": "mod", "if": "tEpoch == 1"},
      {"unit": "plasticity", "op": "run", "program": "accumulateReadout", "on": "output.neurons", "key": 1, "if": "tEpoch > 1"},
      {"unit": "plasticity", "op": "run", "program": "epochReadout", "on": "output.blocks", "factor": "r3", "when": "epochEnd", "if": "tEpoch > 1"},
      {"unit": "plasticity", "op": "run", "program": "clear", "on": "output.neurons", "key": 2, "when": "epochEnd", "if": "tEpoch > 1"},
      {"unit": "loss", "op": "cost", "baselineShift": 4, "into": "lossDelta"},
      {"unit": "router", "op": "broadcast", "value": "lossDelta", "from": "output", "to": "hidden"},
      {"unit": "router", "op": "drain"},
      {"unit": "controller", "op": "scaleNoise", "scalar": "lossDelta", "noise": "errorStep", "shift": "$zoShift", "into": "hidden.modulator"},
      {"unit": "plasticity", "op": "run", "program": "psi", "on": "hidden.neurons", "key": 0},
      {"unit": "plasticity", "op": "run", "program": "hidden", "on": "hidden.blocks", "factor": "gatedMod", "if": "tEpoch == 1"},
      {"unit": "plasticity", "op": "run", "program": "accumulateHidden", "on": "hidden.neurons", "key": 1, "if": "tEpoch > 1"},
      {"unit": "plasticity", "op": "run", "program": "epochHidden", "on": "hidden.blocks", "factor": "r3", "when": "epochEnd", "if": "tEpoch > 1"},
      {"unit": "plasticity", "op": "run", "program": "clear", "on": "hidden.neurons", "key": 2, "when": "epochEnd", "if": "tEpoch > 1"}
    ]
  }
}

"""#

    static let mgdnp = #"""
{
  "rule": "mgd_np",
  "doc": "MGD-NP: ZO_sp without the surrogate gate (node perturbation, tau_p = tau_theta = one step). See mgd_np.md.",
  "parameters": {
    "noise": {"default": "rademacher", "oneOf": ["rademacher", "gaussian"], "doc": "Noise distribution: Rademacher +-1 or the PRNG unit's fixed-point Gaussian (rounded alpha z)."},
    "noisePlacement": {"default": "pre", "oneOf": ["pre", "post"], "doc": "pre: a_in += alpha z before the neuron update; post: the hidden output becomes graded, s + alpha z / 256."},
    "alpha": {"default": 8, "range": [0, 4096], "doc": "Noise amplitude in weight units."},
    "lambdaShift": {"default": 17, "range": [1, 30], "doc": "Momentum lambda = 1 - 2^-lambdaShift."},
    "productShift": {"default": 4, "range": [0, 40], "doc": "The momentum's new term is (o_k z_i) >> productShift."},
    "gShift": {"default": 20, "range": [0, 62], "doc": "g_i = sat16((sum_k M_ik e_k) >> gShift) when gNormalise is 0."},
    "gNormalise": {"default": 0, "range": [0, 15], "doc": "> 0: per-core shift making the core's largest |g| this many bits wide."},
    "zoShift": {"default": 6, "range": [0, 40], "doc": "zo_sp / mgd_np: g_i = ((L - b) z_i) >> zoShift."},
    "etaHidden": {"default": 14, "range": [1, 31], "learningRate": true, "doc": "Hidden learning rate 2^-etaHidden."},
    "etaReadout": {"default": 12, "range": [1, 31], "learningRate": true, "doc": "Readout learning rate 2^-etaReadout."},
    "psiWidth": {"default": 12800, "range": [0, 16777216], "doc": "psi = 1 when |v_pre-reset - vth << 6| < psiWidth."},
    "tEpoch": {"default": 1, "range": [1, 1024], "doc": "Learning epoch in steps (1: forward weights updated every step)."},
    "learnFrom": {"default": 0, "range": [0, 100000], "doc": "Burn-in: steps of each sample before this one learn nothing."},
    "holdNoise": {"default": false, "doc": "One noise draw per learning epoch, held for its steps."},
    "auxBits": {"default": 32, "range": [8, 32], "doc": "Width of the feedback synapses' M registers."},
    "dfaScale": {"default": 1048576, "range": [1, 1073741824], "doc": "DFA: fixed feedback uniform in [-dfaScale, dfaScale]."},
    "mInitScale": {"default": 0, "range": [0, 1073741824], "doc": "OPZO: initial M uniform in [-mInitScale, mInitScale] (0: zero)."},
    "loss": {"default": {"outputShift": 10, "ceWeight": 61, "mseWeight": 3}, "unit": "loss", "doc": "The output core's loss unit."},
    "trace": {"default": {"bits": 8, "decay": 410, "impulse": 24, "rounding": "stochastic"}, "unit": "trace", "doc": "Presynaptic traces x1."}
  },
  "checks": [
    {"if": "holdNoise", "require": "tEpoch > 1", "message": "holds the noise over a learning epoch; set tEpoch to 2 or more (e.g. the sample's steps)"}
  ],
  "timing": {"learnFrom": "$learnFrom", "epoch": "$tEpoch"},
  "lossUnit": "$loss",
  "traces": {"x1": "$trace"},
  "noiseSource": {"distribution": "$noise", "amplitude": "$alpha", "hold": "$holdNoise"},
  "feedback": {"rows": 0, "bits": 0, "init": 0},
  "programs": {
    "psi": {"source": [
      "; psi: rectangular window around the threshold, on the pre-reset voltage; keep last step's in r2",
      ".scope neuron",
      ".const THETA @hiddenThreshold",
      ".const WIDTH $psiWidth",
      "ld   a0, r0",
      "st   r2, a0",
      "ld   a0, v",
      "ldi  a1, THETA",
      "sub  a0, a0, a1",
      "abs  a0, a0              ; |v - theta|",
      "ldi  a1, WIDTH",
      "sub  a0, a1, a0          ; > 0 inside the window",
      "sign a0, a0",
      "ldi  a1, 0",
      "max  a0, a0, a1          ; 1 inside, 0 outside",
      "st   r0, a0"
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
    ]},
    "hidden": {"source": [
      "; three-factor update: dw = -(x1 * mod) / 2^ETA, stochastically rounded",
      ".scope synapse",
      ".const ETA $etaHidden",
      ".require x1, mod",
      "ld     a0, x1",
      "ld     a1, mod",
      "mul    a0, a0, a1, 0",
      "sround a0, a0, ETA",
      "ld     a1, w",
      "sub    a1, a1, a0",
      "st     w, a1               ; saturates to weightBits"
    ]},
    "accumulateReadout": {"source": [
      "; accumulate this step's modulator over the learning epoch in r3",
      ".scope neuron",
      "ld   a0, mod",
      "ld   a1, r3",
      "add  a0, a0, a1",
      "st   r3, a0"
    ]},
    "accumulateHidden": {"source": [
      "; accumulate this step's modulator over the learning epoch in r3",
      ".scope neuron",
      "ld   a0, mod",
      "ld   a1, r3",
      "add  a0, a0, a1",
      "st   r3, a0"
    ]},
    "epochReadout": {"source": [
      "; learning-epoch update: dw = -(x1 * sum_t mod) / 2^ETA, stochastically rounded",
      ".scope synapse",
      ".const ETA $etaReadout",
      ".require x1, r3",
      "ld     a0, x1",
      "ld     a1, r3",
      "mul    a0, a0, a1, 0",
      "sround a0, a0, ETA",
      "ld     a1, w",
      "sub    a1, a1, a0",
      "st     w, a1               ; saturates to weightBits"
    ]},
    "epochHidden": {"source": [
      "; learning-epoch update: dw = -(x1 * sum_t mod) / 2^ETA, stochastically rounded",
      ".scope synapse",
      ".const ETA $etaHidden",
      ".require x1, r3",
      "ld     a0, x1",
      "ld     a1, r3",
      "mul    a0, a0, a1, 0",
      "sround a0, a0, ETA",
      "ld     a1, w",
      "sub    a1, a1, a0",
      "st     w, a1               ; saturates to weightBits"
    ]},
    "clear": {"source": [
      "; start a new learning epoch",
      ".scope neuron",
      "ldi  a0, 0",
      "st   r3, a0"
    ]}
  },
  "delayedPrograms": {
    "psi": {"source": [
      "; psi with a history, for a hidden layer d = @errorDelay steps from the readout (its error reflects step t - d):",
      "; r0 holds psi[t-1] ... psi[t-d] as bits 0 ... d-1; r2 = psi[t-d], then r0 = psi[t] ... psi[t-d+1]",
      ".scope neuron",
      ".const THETA @hiddenThreshold",
      ".const WIDTH $psiWidth",
      ".const D @errorDelay",
      "ld   a0, v",
      "ldi  a1, THETA",
      "sub  a0, a0, a1",
      "abs  a0, a0              ; |v - theta|",
      "ldi  a1, WIDTH",
      "sub  a0, a1, a0          ; > 0 inside the window",
      "sign a0, a0",
      "ldi  a1, 0",
      "max  a0, a0, a1          ; psi[t]: 1 inside, 0 outside",
      "ld   a1, r0",
      "sh   a1, a1, 1",
      "add  a0, a0, a1          ; psi[t-k] at bit k, k = 0 ... d",
      "sh   a1, a0, -D          ; bit d: psi[t-d]",
      "st   r2, a1",
      "sh   a1, a1, D",
      "sub  a0, a0, a1          ; bits 0 ... d-1 kept",
      "st   r0, a0"
    ]}
  },
  "schedule": {
    "neuronInput": [
      {"unit": "prng", "op": "injectNoise", "into": "hidden.input", "if": "noisePlacement == pre"},
      {"unit": "synapse", "op": "deliverGradedNoise", "from": "hidden", "if": "noisePlacement == post"}
    ],
    "sampleStart": [
      {"unit": "host", "op": "sendLabel", "to": "output"}
    ],
    "learn": [
      {"unit": "router", "op": "send", "kind": "graded", "from": "hidden", "to": "output", "values": ["hiddenOutputs"], "when": "always", "if": "noisePlacement == post"},
      {"unit": "router", "op": "drain", "when": "always", "if": "noisePlacement == post"},
      {"unit": "plasticity", "op": "run", "program": "psi", "on": "hidden.neurons", "key": 0, "when": "errorDelayBurnIn"},
      {"unit": "loss", "op": "error", "into": "output.modulator"},
      {"unit": "plasticity", "op": "run", "program": "readout", "on": "output.blocks", "factor": "mod", "if": "tEpoch == 1"},
      {"unit": "plasticity", "op": "run", "program": "accumulateReadout", "on": "output.neurons", "key": 1, "if": "tEpoch > 1"},
      {"unit": "plasticity", "op": "run", "program": "epochReadout", "on": "output.blocks", "factor": "r3", "when": "epochEnd", "if": "tEpoch > 1"},
      {"unit": "plasticity", "op": "run", "program": "clear", "on": "output.neurons", "key": 2, "when": "epochEnd", "if": "tEpoch > 1"},
      {"unit": "loss", "op": "cost", "baselineShift": 4, "into": "lossDelta"},
      {"unit": "router", "op": "broadcast", "value": "lossDelta", "from": "output", "to": "hidden"},
      {"unit": "router", "op": "drain"},
      {"unit": "controller", "op": "scaleNoise", "scalar": "lossDelta", "noise": "errorStep", "shift": "$zoShift", "into": "hidden.modulator"},
      {"unit": "plasticity", "op": "run", "program": "psi", "on": "hidden.neurons", "key": 0},
      {"unit": "plasticity", "op": "run", "program": "hidden", "on": "hidden.blocks", "factor": "mod", "if": "tEpoch == 1"},
      {"unit": "plasticity", "op": "run", "program": "accumulateHidden", "on": "hidden.neurons", "key": 1, "if": "tEpoch > 1"},
      {"unit": "plasticity", "op": "run", "program": "epochHidden", "on": "hidden.blocks", "factor": "r3", "when": "epochEnd", "if": "tEpoch > 1"},
      {"unit": "plasticity", "op": "run", "program": "clear", "on": "hidden.neurons", "key": 2, "when": "epochEnd", "if": "tEpoch > 1"}
    ]
  }
}

"""#

}
