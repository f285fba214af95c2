import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

// Recurrent weights learn on chip (docs/LEARNING.md, "Recurrent"): a hidden layer's dense
// self-connection is one more synapse block of the layer; its presynaptic trace follows the
// layer's own spikes of the previous step (what the block delivers now) and the rule's hidden
// program runs over it like over the forward block: the post neuron's modulator times the pre
// trace, no BPTT.
//
// The network: 4 inputs -> h (3 LIF, 3x3 self-connection) -> out (2 readout), 8 steps.

/// Four input channels; channel c spikes with probability 3/4 when c / 2 is the class.
private struct FourChannelSource: SpikeSource {
    let channels = 4
    let samples: Int
    func label(sample: Int) -> Int? { sample % 2 }
    func spikes(sample: Int, step: Int, into out: inout ContiguousArray<Int32>) {
        let key = RandomKey(seed: 7, stream: .inputEncoder).with(sample).with(step)
        for ch in 0..<4 where key.bernoulli(ch, numerator: ch / 2 == sample % 2 ? 3 : 1, denominator: 4) { out.append(Int32(ch)) }
    }
}

private func recurrentConfig(rule: String) throws -> ExperimentConfig {
    try ExperimentConfig(json: JSONValue.parse("""
    {"seed": 4, "network": {"layers": [
        {"name": "in", "kind": "input", "size": 4},
        {"name": "h", "size": 3, "neuron": {"du": 4095, "dv": 410, "vth": 40}},
        {"name": "out", "size": 2, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
      "connections": [{"from": "in", "to": "h", "weights": [[50, 10, 30], [20, 45, 5], [40, 15, 35], [5, 50, 25]]},
                      {"from": "h", "to": "h", "weights": [[-10, 20, 15], [25, -5, 10], [12, 18, -8]]},
                      {"from": "h", "to": "out", "weights": [[6, -4], [-3, 5], [2, 2]]}]},
     "run": {"steps": 8}, "learning": {"rule": "\(rule)"}}
    """, file: "rec.json"), file: "rec.json")
}

/// What one training run hands the checks: the simulator, the rule, and the recurrent block's
/// weights before and after.
private struct RecurrentRun {
    var sim: Simulator
    var rule: ErrorBroadcastRule
    var recurrentBefore: [Int16]
    var recurrentAfter: [Int16]
}

private func train(rule name: String, samples: Int, tweak: (inout ErrorBroadcastParameters) -> Void = { _ in },
                   observe: ((ErrorBroadcastRule, Simulator, ForwardUpdateObservation) -> Void)? = nil,
                   onStep: ((Simulator, _ sample: Int, _ step: Int) -> Void)? = nil) throws -> RecurrentRun {
    let config = try recurrentConfig(rule: name)
    var p = try LearningConfig.decode(config.learning!, file: config.file)
    p.etaReadout = 8; p.etaHidden = 6; p.gShift = 6; p.gNormalise = 0; p.lambdaShift = 4; p.alpha = 24
    p.dfaScale = 1 << 12; p.zoShift = 2
    p.psiWidth = 100 << 6
    // Floor rounding: the trace oracle below needs no PRNG.
    p.trace = TraceParameters(bits: 8, decay: 410, impulse: 24, rounding: .floor)
    tweak(&p)
    let sim = Simulator(chip: try Chip(config: config))
    let rule = ErrorBroadcastRule(p)
    try sim.attach(rule: rule)
    if let observe { rule.observeForwardUpdate = { [unowned rule, unowned sim] o in observe(rule, sim, o) } }
    if let onStep { sim.onStep = { [unowned sim] s, t in onStep(sim, s, t) } }
    let pop = sim.chip.cores.flatMap(\.populations).first { $0.layer == 1 }!
    let k = pop.blocks.firstIndex { $0.preLayer == 1 }!
    let before = Array(pop.blocks[k].weights)
    sim.training = true
    let source = FourChannelSource(samples: samples)
    for s in 0..<samples { sim.runSample(s, source: source) }
    return RecurrentRun(sim: sim, rule: rule, recurrentBefore: before, recurrentAfter: Array(pop.blocks[k].weights))
}

/// x' = min(floor(x (4096 - 410) / 4096) + 24 s, 255): the floor-rounded trace, in Int64.
private func traceStep(_ x: Int64, spike: Bool) -> Int64 { min(255, (x * (4096 - 410)) >> 12 + (spike ? 24 : 0)) }

@Suite struct RecurrentLearningTests {
    /// DFA's update of the recurrent weights R (pre = h's own neuron j, post = h's neuron i),
    /// step by step, against an oracle computed here in wide integers from the rule's inputs:
    ///   r_j[t]  = floor(r_j[t-1] (4096 - 410) / 4096) + 24 s_j[t-1]   (h's own spikes of t - 1,
    ///             what R delivers at t; 0 at the sample's start), saturated to 8 bits
    ///   G_i     = sum_k B_ki e_k[t];  g_i = sat16(floor(G_i / 2^gShift))
    ///   psi_i   = 1 if |v_i[t-1] - vth << 6| < psiWidth (h is d = 1 step from the readout)
    ///   R_ji   -= sround(r_j g_i, etaHidden) where r_j, g_i and psi_i are nonzero (8-bit saturation)
    /// sround(p, s) is floor(p / 2^s) or that + 1 (only floor when 2^s divides p).
    @Test func dfaRecurrentUpdateEqualsTheWideIntegerOracle() throws {
        let gShift = 14, eta = 8, width = Int64(100 << 6), vth = Int64(40)
        var spikes: [[Bool]] = []           // h's spikes of this sample, one row per finished step
        var voltages: [[Int64]] = []        // h's pre-reset voltages, one row per learning step
        var trace = [Int64](repeating: 0, count: 3)
        var sample = -1
        var checked = 0, changed = 0, traceNonzero = 0, inside = 0
        var mismatches: [String] = []
        let run = try train(rule: "dfa", samples: 6, tweak: { $0.gShift = gShift; $0.etaHidden = eta }, observe: { rule, sim, o in
            guard o.layer == 1 else { return }
            let pop = sim.chip.cores.flatMap(\.populations).first { $0.layer == 1 }!
            guard pop.blocks[o.block].preLayer == 1 else {
                // The forward block (connection 0) comes first in each step: a new sample
                // starts both histories, then this step's voltages are recorded.
                if sim.samplesRun != sample { sample = sim.samplesRun; voltages = []; spikes = [] }
                voltages.append(pop.learning!.preResetV.map(Int64.init))
                return
            }
            let t = voltages.count - 1
            // The trace of h's own spikes up to t - 1 (the spikes are recorded after each step).
            trace = [0, 0, 0]
            for row in spikes { for j in 0..<3 { trace[j] = traceStep(trace[j], spike: row[j]) } }
            for j in 0..<3 where Int64(o.x1[j]) != trace[j] { mismatches.append("step \(o.globalStep): x1[\(j)] = \(o.x1[j]), oracle \(trace[j])") }
            traceNonzero += trace.filter { $0 != 0 }.count
            let fb = rule.feedback.first { $0.population.layer == 1 }!
            checked += 1
            for i in 0..<3 {
                var G: Int64 = 0
                for k in 0..<2 { G += Int64(fb.block.aux[k * 3 + i]) * Int64(rule.e[k]) }
                let g = min(32767, max(-32768, G >> Int64(gShift)))
                let psi = t >= 1 && abs(voltages[t - 1][i] - vth << 6) < width
                for j in 0..<3 {
                    let before = Int64(o.weightsBefore[j * 3 + i]), after = Int64(o.weightsAfter[j * 3 + i])
                    guard trace[j] != 0 && g != 0 && psi else {
                        if after != before { mismatches.append("step \(o.globalStep) R[\(j),\(i)]: \(before) -> \(after), expected unchanged") }
                        continue
                    }
                    let product = trace[j] * g
                    let floor = product >> Int64(eta)
                    let exact = product & ((1 << Int64(eta)) - 1) == 0
                    let allowed = (exact ? [floor] : [floor, floor + 1]).map { min(127, max(-128, before - $0)) }
                    if after != before { changed += 1 }
                    if allowed.allSatisfy({ $0 > -128 && $0 < 127 }) { inside += 1 }
                    if !allowed.contains(after) { mismatches.append("step \(o.globalStep) R[\(j),\(i)]: \(before) -> \(after), expected one of \(allowed)") }
                }
            }
        }, onStep: { sim, _, _ in
            let emitted = sim.spikesEmitted(layer: 1)
            spikes.append((0..<3).map { emitted.contains(Int32($0)) })
        })
        #expect(checked == 6 * 8, "one recurrent-block update per learning step")
        #expect(traceNonzero > 20, "h must spike so that R's traces are nonzero: \(traceNonzero)")
        #expect(changed >= 10, "the oracle must see real updates: \(changed)")
        #expect(inside >= 10, "most updates must not saturate: \(inside) of \(changed)")
        #expect(mismatches.isEmpty, "\(mismatches.prefix(5))")
        #expect(run.recurrentAfter != run.recurrentBefore)
    }

    /// Every rule of the family that trains hidden layers changes R (a rule that left the
    /// recurrent block out would fail here); readout-only keeps it fixed.
    @Test(arguments: ["opzo", "dfa", "zo_sp", "mgd_np", "readout"])
    func recurrentWeightsLearnExceptUnderReadoutOnly(rule: String) throws {
        let run = try train(rule: rule, samples: 8)
        if rule == "readout" {
            #expect(run.recurrentAfter == run.recurrentBefore)
        } else {
            let moved = zip(run.recurrentAfter, run.recurrentBefore).filter { $0 != $1 }.count
            #expect(moved >= 3, "\(rule): \(moved) of 9 recurrent weights changed")
        }
    }

    /// The trace unit keeps R's presynaptic traces (one 8-bit x1 per neuron of h, in the
    /// population's learning state and its memory) and counts their updates: over the run, the
    /// learning phase's trace updates are those of the input block's traces (input spikes of
    /// t - 1), plus twice those of h's own spikes (R and the readout's block see the same
    /// spikes with the same parameters); a trace is updated when it or its spike is nonzero.
    @Test func recurrentTracesAreKeptAndCounted() throws {
        var inputs: [[Bool]] = [], hidden: [[Bool]] = []
        let run = try train(rule: "dfa", samples: 4, onStep: { sim, _, _ in
            let a = sim.spikesEmitted(layer: 0), b = sim.spikesEmitted(layer: 1)
            inputs.append((0..<4).map { a.contains(Int32($0)) })
            hidden.append((0..<3).map { b.contains(Int32($0)) })
        })
        let pop = run.sim.chip.cores.flatMap(\.populations).first { $0.layer == 1 }!
        #expect(pop.learning!.pre.count == 2 && pop.learning!.pre.map(\.count) == [4, 3])
        func updates(_ rows: [[Bool]], width: Int) -> UInt64 {
            var n: UInt64 = 0
            for s in 0..<4 {
                var x = [Int64](repeating: 0, count: width)
                for t in 0..<8 {
                    // At step t the block receives the spikes of t - 1 (none at t = 0).
                    let spike = t == 0 ? [Bool](repeating: false, count: width) : rows[s * 8 + t - 1]
                    for j in 0..<width where x[j] != 0 || spike[j] {
                        n += 1
                        x[j] = traceStep(x[j], spike: spike[j])
                    }
                }
            }
            return n
        }
        let expected = updates(inputs, width: 4) + 2 * updates(hidden, width: 3)
        #expect(run.sim.totalPhaseCounts[.learning][.traceUpdate] == expected)
        #expect(hidden.joined().contains(true))
    }

    /// The shipped recurrent config at scale (784 -> 200 with 200 x 200 R -> 10, OPZO): every
    /// forward update, R's included, is the float formula x1 * factor / 2^eta within one LSB and
    /// without bias (ChipUpdateCheck, docs/TWIN.md), and R's block is among the updates checked.
    @Test func shippedRecurrentConfigPassesTheChipUpdateCheck() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        let exp = try ConfigLoader.experiment(path: root + "/configs/opzo-rec-mnist.json")
        var check = ChipUpdateCheck()
        var recurrentUpdates = 0
        try ChipUpdateCheck.observe(experiment: exp, samples: 3) { o in
            // R is the hidden population's block with 200 presynaptic axons (its input block has 784).
            if o.layer == 1 && o.x1.count == 200 && o.weightsAfter != o.weightsBefore { recurrentUpdates += 1 }
            check.add(o)
        }
        #expect(recurrentUpdates > 0, "R's block was never updated")
        #expect(check.passed, "\(check.failures)")
    }

    /// Rules that have not been examined on recurrent blocks refuse the network cleanly.
    @Test(arguments: ["mgd_wp", "loco"])
    func otherRulesRefuseARecurrentNetwork(rule: String) throws {
        let config = try recurrentConfig(rule: rule)
        let text: String
        do { _ = try RuleFactory.make(config.learning!, config: config); text = "<no error>" } catch { text = "\(error)" }
        #expect(text.contains("$.learning.rule") && text.contains("not available on a recurrent network"), "\(text)")
    }
}
