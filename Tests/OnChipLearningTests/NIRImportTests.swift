import Foundation
import Testing
import ChipModel
@testable import OnChipLearning

/// Explicit input spikes: spikes[step] = channels (one sample).
struct NIRTestSource: SpikeSource {
    let channels: Int
    let spikes: [[Int32]]
    var samples: Int { 1 }
    func label(sample: Int) -> Int? { nil }
    func spikes(sample: Int, step: Int, into out: inout ContiguousArray<Int32>) {
        if step < spikes.count { out.append(contentsOf: spikes[step]) }
    }
    func target(sample: Int) -> [Int32]? { nil }
}

/// Runs an imported network on the chip: spikes[layer][step] (neuron indices) and v[layer][step][neuron].
func runOnChip(_ imported: NIRImport, input: [[Int32]]) throws -> (spikes: [String: [[Int32]]], v: [String: [[Int32]]]) {
    var json = imported.config
    if case var .object(kv) = json, let i = kv.firstIndex(where: { $0.0 == "run" }) {
        kv[i].1 = .object([("steps", .int(input.count))]); json = .object(kv)
    }
    let config = try ExperimentConfig(json: json, file: "imported.json")
    let sim = Simulator(chip: try Chip(config: config))
    var spikes: [String: [[Int32]]] = [:], v: [String: [[Int32]]] = [:]
    sim.onStep = { _, _ in
        for (li, layer) in sim.chip.layers.enumerated() where !layer.isInput {
            spikes[layer.name, default: []].append(Array(sim.spikesEmitted(layer: li)))
            var row = [Int32](repeating: 0, count: layer.size)
            for core in sim.chip.cores { for p in core.populations where p.layer == li {
                for k in 0 ..< p.count { row[p.firstNeuron + k] = p.state.v[k] }
            } }
            v[layer.name, default: []].append(row)
        }
    }
    sim.run(source: NIRTestSource(channels: imported.inputSize, spikes: input))
    return (spikes, v)
}

/// A float reference of a chain graph Input -> (Linear | Affine) -> LIF -> ... -> Output,
/// read from the NIR parameters directly: forward Euler at dt, spikes delayed one step per
/// layer as on the chip, hard reset to v_reset. Returns spikes[node][step] and v[node][step].
func floatReference(_ g: NIRGraph, dt: Double, input: [[Int32]]) -> (spikes: [String: [[Int32]]], v: [String: [[Double]]]) {
    var chain: [NIRNode] = []
    var current = g.nodes.first { $0.type == "Input" }!.name
    while let next = g.edges.first(where: { $0.from == current })?.to, let n = g.node(next), n.type != "Output" {
        chain.append(n); current = next
    }
    var spikesOut: [String: [[Int32]]] = [:], vOut: [String: [[Double]]] = [:]
    var previous = input.map { $0.map { Int($0) } }  // spikes of the layer before, per step
    var pending: [[Double]] = []  // the linear nodes' output per step
    for n in chain {
        let p = { (k: String) in n.parameters[k]!.doubles }
        switch n.type {
        case "Linear", "Affine":
            let w = p("weight"), out = n.parameters["weight"]!.shape[0], inn = n.parameters["weight"]!.shape[1]
            let b = n.type == "Affine" ? p("bias") : [Double](repeating: 0, count: out)
            pending = previous.map { s in (0 ..< out).map { j in b[j] + s.reduce(0.0) { $0 + w[j * inn + $1] } } }
        default:  // LIF
            let tau = p("tau"), r = p("r"), vLeak = p("v_leak"), th = p("v_threshold")
            let size = tau.count
            var v = [Double](repeating: 0, count: size)
            var spikes: [[Int32]] = [], vs: [[Double]] = []
            for t in 0 ..< input.count {
                var fired: [Int32] = []
                for j in 0 ..< size {
                    let current = t == 0 ? 0 : pending[t - 1][j]  // one-step delay
                    let a = dt / tau[j]
                    v[j] = (1 - a) * v[j] + a * vLeak[j] + a * r[j] * current
                    if v[j] > th[j] { fired.append(Int32(j)); v[j] = 0 }
                }
                spikes.append(fired); vs.append(v)
            }
            spikesOut[n.name] = spikes; vOut[n.name] = vs
            previous = spikes.map { $0.map { Int($0) } }
        }
    }
    return (spikesOut, vOut)
}

/// A reproducible Bernoulli spike train for `channels` inputs.
func bernoulli(channels: Int, steps: Int, rate: Double, seed: UInt64) -> [[Int32]] {
    var s = seed
    return (0 ..< steps).map { _ in
        (0 ..< channels).compactMap { c -> Int32? in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return Double(s >> 11) / Double(1 << 53) < rate ? Int32(c) : nil
        }
    }
}

@Suite("NIR import")
struct NIRImportTests {
    func graph(_ name: String) throws -> NIRGraph { try NIRGraph.read(path: nirFixture(name + ".nir")) }

    func error(_ name: String) -> String {
        do { _ = try NIRImport.run(try graph(name)); return "<no error>" } catch { return "\(error)" }
    }

    @Test func graphStructure() throws {
        let g = try graph("two_lif_neurons")
        #expect(g.version == "0.2.0")
        #expect(g.nodes.map(\.name) == ["in", "lif1", "lif2", "linear1", "linear2", "out"])
        #expect(g.edges.map { "\($0.from)>\($0.to)" } == ["in>linear1", "linear1>lif1", "lif1>linear2", "linear2>lif2", "lif2>out"])
        #expect(g.node("lif1")?.type == "LIF")
        #expect(g.node("lif1")?.parameters["v_leak"]?.doubles == [1.2])
    }

    /// lif_norse.nir: Affine w = 1, LIF tau = 2.5 ms, r = 1, v_threshold = 0.1 at dt = 1e-4 s.
    /// By hand: a_mem = 0.04, dv = round(4096 * 0.04) = round(163.84) = 164, du = 4095, g = 0.04.
    /// Scale limits: weights 64 * 127 * 128 / 0.04 = 2.6e7, v (2^23 - 1) / 0.14 = 6.0e7,
    /// vth 131071 * 64 / 0.1 = 8.4e7, u (2^23 - 1) / 0.04 = 2.1e8 -> S = 2^24 (1.68e7).
    /// vth = round(2^24 * 0.1 / 64) = round(26214.4) = 26214 (float32 0.1 is 0.10000000149:
    /// 26214.4004, same); w 2^e = 2^24 * 0.04 / 64 = 10485.76 -> e = 7 (10485.76 / 128 =
    /// 81.92 <= 127; e = 6 gives 164 > 127) -> w = 82.
    @Test func lifNorseMappingByHand() throws {
        let m = try NIRImport.run(try graph("lif_norse"))
        #expect(m.layers.count == 1 && m.connections.count == 1)
        let l = m.layers[0]
        #expect(l.parameters == LIFParameters(du: 4095, dv: 164, vth: 26214, biasMant: 0, biasExp: 0, refractory: 0, reset: .hard, spiking: true))
        #expect(l.scale == 16_777_216)
        #expect(m.connections[0].weightExponent == 7 && m.connections[0].weights == [[82]])
        #expect(m.inputName == "input" && m.inputSize == 1)
        // The config loads and builds.
        _ = try Chip(config: try ExperimentConfig(json: m.config, file: "x.json"))
    }

    /// two_lif_neurons.nir lif1: v_leak = 1.2, tau = 10 ms: bias per step = a v_leak = 0.012;
    /// scale: v limit (2^23 - 1) / (1 + 0.01 + 0.012) = 8.2e6 -> S = 2^22; bias = 2^22 * 0.012
    /// = 50331.6 -> exponent 4 (50331.6 / 16 = 3145.7 <= 4095) -> mantissa 3146.
    @Test func biasFromVLeakByHand() throws {
        let m = try NIRImport.run(try graph("two_lif_neurons"))
        let l = m.layers[0]
        #expect(l.name == "lif1" && l.scale == 4_194_304)
        #expect(l.parameters.dv == 41 && l.parameters.biasMant == 3146 && l.parameters.biasExp == 4)
        #expect(l.parameters.vth == 65536)
    }

    @Test func unsupportedAndInconsistentGraphs() {
        let rock = error("lif_rockpool")
        #expect(rock.contains("inconsistent graph") && rock.contains("'output' (Output)") && rock.contains("[1, 1, 1]") && rock.contains("'1_LIFNeuronTorch' (LIF) produces [1]"))
        let cnn = error("cnn_sinabs")
        #expect(cnn.contains("node '0' of type Conv2d") && cnn.contains("not supported yet"))
        #expect(error("snntorch_cnn_mnist").contains("node 'c1' of type Conv2d"))
        let rec = error("braille_noDelay_bias_zero")
        #expect(rec.contains("recurrent") && rec.contains("'lif1.w_rec' (Affine)") && rec.contains("'lif1.lif' (CubaLIF)"))
    }

    /// Chip vs the float reference on the same input spikes. lif_norse: one LIF driven by a
    /// Bernoulli(0.3) train for 2000 steps; two_lif_neurons: lif1 spikes on its own (v_leak
    /// 1.2 > threshold 1) and from its input, lif2 integrates lif1. The chip's rounding
    /// (weight 82 for 81.92: +0.1 %; decay 3932/4096 for 0.96) may move a spike whose
    /// voltage is within ~0.1 % of the threshold, so the test allows 1 % of spike times to
    /// differ, and requires v / S to track the float v within 1 % of the threshold.
    @Test(arguments: ["lif_norse", "two_lif_neurons"]) func chipMatchesFloatReference(_ name: String) throws {
        let g = try graph(name)
        let m = try NIRImport.run(g)
        let input = bernoulli(channels: m.inputSize, steps: 2000, rate: 0.3, seed: 17)
        let chip = try runOnChip(m, input: input)
        let reference = floatReference(g, dt: 1e-4, input: input)
        for l in m.layers {
            let a = chip.spikes[l.name]!, b = reference.spikes[l.node]!
            let chipCount = a.joined().count, floatCount = b.joined().count
            let differing = zip(a, b).filter { $0 != $1 }.count
            print("\(name) \(l.name): chip \(chipCount) spikes, float \(floatCount), steps differing \(differing) of \(a.count)")
            #expect(differing <= max(1, floatCount / 100), "\(name) \(l.name)")
            var worst = 0.0
            for (t, row) in chip.v[l.name]!.enumerated() { for (j, v) in row.enumerated() {
                worst = max(worst, abs(Double(v) / l.scale - reference.v[l.node]![t][j]))
            } }
            print("\(name) \(l.name): max |v_chip / S - v_float| = \(worst) (threshold \(l.vThreshold))")
            #expect(worst <= 0.01 * l.vThreshold || differing > 0, "\(name) \(l.name)")
        }
    }
}
