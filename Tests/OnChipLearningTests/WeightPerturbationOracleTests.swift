import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

// The weight-perturbation rules run as microcode programs on the plasticity unit; their weights
// must be those of the specification (docs/LEARNING.md "Weight perturbation on chip"), which an
// independent plain-Swift oracle here computes in 64-bit integers from the readout values the
// engine produced: the cost per step, C and C~ per period, the codes from their documented key,
// G, the stochastically rounded update and the clamp. Checked after EVERY step (the weights the
// engine delivers with are W + c of the running period, clean W at a sample's end), over several
// samples and updates, for mgd_wp and fwd_grad, on one core and with every neuron on its own core.

private func config(_ learning: String, chip: String) throws -> ExperimentConfig {
    try ExperimentConfig(json: JSONValue.parse("""
    {"seed": 11, "chip": \(chip), "network": {"layers": [
        {"name": "in", "kind": "input", "size": 3},
        {"name": "h", "size": 3, "neuron": {"du": 4095, "dv": 410, "vth": 30}},
        {"name": "out", "size": 2, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
      "connections": [{"from": "in", "to": "h", "init": {"kind": "uniform", "low": -126, "high": 126}},
                      {"from": "h", "to": "out", "init": {"kind": "uniform", "low": -40, "high": 40}}]},
     "run": {"steps": 4}, "learning": \(learning)}
    """, file: "wp-oracle.json"), file: "wp-oracle.json")
}

/// The oracle's state of one perturbed layer l (one incoming connection): W and G as
/// nPre x N_l matrices over the layer-global postsynaptic index.
private struct LayerState { var layer: Int; var connection: Int; var nPre: Int; var size: Int; var w: [Int64]; var g: [Int64] }

private struct Oracle {
    let seed: UInt64, delta: Int64, clip: Int64?, tauP: Int, n: Int, P: Int64, auxBits: Int, eta: [Int: Int64], baselineShift: Int64
    var layers: [LayerState]
    var S: Int64 = 0, b: Int64 = 0, periodsSeen = 0, sinceUpdate = 0, periodStart = 0

    func code(_ l: LayerState, period: Int, index: Int) -> Int64 {
        let d = RandomKey(seed: seed, stream: .perturbation).with(l.layer).with(l.connection).with(period).draw(index)
        guard let clip else { return d >> 63 == 0 ? delta : -delta }
        let S = (0..<6).reduce(Int64(0)) { $0 + Int64((d >> UInt64(4 + 10 * $1)) & 1023) }
        let x = delta * (S - 3069) * 23170                              // delta z in units of 2^-24
        let r = x >= 0 ? (x + (1 << 23)) / (1 << 24) : -((-x + (1 << 23)) / (1 << 24))
        return Swift.max(-clip * delta, Swift.min(clip * delta, r))
    }

    /// The weights the engine should hold: clean W, or W + c of the period starting at `period`.
    func held(_ l: LayerState, period: Int?) -> [Int64] {
        guard let period else { return l.w }
        return (0..<l.w.count).map { l.w[$0] + code(l, period: period, index: $0) }
    }

    /// One training step at global step `g` (step t of the sample) with step cost L; returns
    /// the period whose perturbation the engine holds afterwards (nil: clean weights).
    mutating func step(g: Int, t: Int, T: Int, cost L: Int64) -> Int? {
        if t == 0 { S = 0; periodStart = g }
        S += L
        guard (t + 1) % tauP == 0 else { return periodStart }
        let C = (S + Int64(tauP / 2)) / Int64(tauP)
        S = 0
        var ct: Int64 = 0
        if periodsSeen == 0 { b = C } else { ct = C - b; b += ct >> baselineShift }
        periodsSeen += 1
        sinceUpdate += 1
        let update = sinceUpdate == n
        if update { sinceUpdate = 0 }
        let gHi = (Int64(1) << Int64(auxBits - 1)) - 1, gLo = -(Int64(1) << Int64(auxBits - 1))
        let cmax = clip.map { $0 * delta } ?? delta
        for k in 0..<layers.count {
            var l = layers[k]
            let e = eta[l.layer]!
            let roundKey = RandomKey(seed: seed, stream: .stochasticRounding).with(-3).with(l.layer).with(g)
            for s in 0..<l.w.count {
                let c = code(l, period: periodStart, index: s)
                let half: Int64 = P > 0 ? 1 << (P - 1) : 0
                l.g[s] = Swift.min(Swift.max(l.g[s] + (ct * c + half) >> P, gLo), gHi)
                if update {
                    let r = e == 0 ? 0 : Int64(roundKey.draw(s) & ((UInt64(1) << UInt64(e)) - 1))
                    l.w[s] = Swift.min(Swift.max(l.w[s] - (l.g[s] + r) >> e, -128 + cmax), 127 - cmax)
                    l.g[s] = 0
                }
            }
            layers[k] = l
        }
        if t + 1 == T { return nil }
        periodStart = g + 1
        return periodStart
    }
}

@Suite struct WeightPerturbationOracleTests {
    @Test(arguments: [("mgd_wp", "{}"), ("fwd_grad", "{}"), ("mgd_wp", "{\"meshWidth\": 3, \"meshHeight\": 2, \"core\": {\"neurons\": 1}}"),
                      ("fwd_grad", "{\"meshWidth\": 3, \"meshHeight\": 2, \"core\": {\"neurons\": 1}}")])
    func weightsAfterEveryStepAreTheSpecificationsOnAnyMapping(rule: String, chip: String) throws {
        let fwd = rule == "fwd_grad"
        let learning = fwd
            ? "{\"rule\": \"fwd_grad\", \"delta\": 3, \"codeClip\": 2, \"tauP\": 2, \"productShift\": 5, \"eta\": 3, \"auxBits\": 12, \"baselineShift\": 1}"
            : "{\"rule\": \"mgd_wp\", \"delta\": 4, \"tauP\": 2, \"tauTheta\": 6, \"productShift\": 3, \"eta\": 6, \"auxBits\": 12, \"baselineShift\": 2}"
        let c = try config(learning, chip: chip)
        let rule = try RuleFactory.make(c.learning!, config: c) as! WeightPerturbationRule
        let sim = Simulator(chip: try Chip(config: c))
        try sim.attach(rule: rule)
        // The oracle's initial W: the blocks after attach (which clips them into the margin).
        func engineWeights(_ layer: Int) -> [Int64] {
            let size = sim.chip.layers[layer].size
            var w = [Int64](repeating: .min, count: 3 * size)
            for core in sim.chip.cores {
                for p in core.populations where p.layer == layer {
                    let blk = p.blocks[0]
                    for i in 0..<blk.nPre { for j in 0..<blk.nPost { w[i * size + p.firstNeuron + j] = Int64(blk.weights[i * blk.nPost + j]) } }
                }
            }
            return w
        }
        if chip != "{}" { #expect(sim.chip.coresOfLayer[1].count == 3) }   // the hidden layer is split over 3 cores
        let nPre = [1: 3, 2: 3]
        let layers = [1, 2].map { l in
            LayerState(layer: l, connection: l - 1, nPre: nPre[l]!, size: sim.chip.layers[l].size, w: engineWeights(l),
                       g: [Int64](repeating: 0, count: nPre[l]! * sim.chip.layers[l].size))
        }
        // eta_l = eta + round(log2 Gamma_l), Gamma_l = sqrt(1/N + 1/n - 1/(N n)), N_l = 9 and 6 synapses.
        let n = fwd ? 1 : 3
        func gammaEta(_ N: Double, _ eta: Int64) -> Int64 {
            let g = (1 / N + 1 / Double(n) - 1 / (N * Double(n))).squareRoot()
            return Swift.max(0, eta + Int64(log2(g).rounded()))
        }
        let eta0: Int64 = fwd ? 3 : 6
        var oracle = Oracle(seed: c.seed, delta: fwd ? 3 : 4, clip: fwd ? 2 : nil, tauP: 2, n: n, P: fwd ? 5 : 3, auxBits: 12,
                            eta: [1: gammaEta(9, eta0), 2: gammaEta(6, eta0)], baselineShift: fwd ? 1 : 2, layers: layers)
        let unit = LossUnit(LossUnitParameters(outputShift: 12, ceWeight: 64, mseWeight: 0))
        let src = ThreeChannelSource(samples: 9)
        var label = 0, mismatches = 0, updatesSeen = 0, steps = 0
        sim.onStep = { _, t in
            var o = [Int32](repeating: 0, count: 2)
            for core in sim.chip.cores { for p in core.populations where p.layer == 2 { for j in 0..<p.count { o[p.firstNeuron + j] = p.learning!.post.v[j] } } }
            let p = unit.probabilities(o)[label]
            let L = Int64((-log(Double(Swift.max(1, p)) / 16384) * 16384).rounded())   // -ln(p / 2^14) 2^14, correctly rounded
            let before = oracle.layers.map(\.w)
            let period = oracle.step(g: sim.globalStep - 1, t: t, T: 4, cost: L)
            if oracle.layers.map(\.w) != before { updatesSeen += 1 }
            for l in oracle.layers where engineWeights(l.layer) != oracle.held(l, period: period) { mismatches += 1 }
            steps += 1
        }
        sim.training = true
        for s in 0..<9 { label = s % 2; sim.runSample(s, source: src) }
        #expect(steps == 36)
        #expect(mismatches == 0)
        #expect(updatesSeen >= 4)   // the updates moved the weights (C~ != 0)
        // And the gradient accumulators the engine holds are the oracle's G.
        for l in oracle.layers {
            for core in sim.chip.cores {
                for p in core.populations where p.layer == l.layer {
                    let blk = p.blocks[0]
                    for i in 0..<blk.nPre { for j in 0..<blk.nPost { #expect(Int64(blk.aux[i * blk.nPost + j]) == l.g[i * l.size + p.firstNeuron + j]) } }
                }
            }
        }
    }
}
