import Foundation
import ChipModel

/// Chip-in-the-loop BP (docs/COMPARE.md): forward passes run on the simulated chip; after each
/// sample the host reads the hidden spikes, the hidden membrane potentials and the readout
/// potentials of every step over the host link, computes surrogate-gradient BPTT on the host
/// from those recordings, and after each batch writes all weights back (quantised) over the link.
///
/// Scope and approximations (stated, not hidden):
/// - one hidden layer (input -> hidden -> readout), current decay du = 4095 (u = this step's input);
/// - the number format is fixed at the start: exponent and threshold come from quantising twice
///   the initial weights (headroom x2), mantissas w_int = round(w * scale) saturate beyond that;
/// - the surrogate psi(h - theta) uses h = v_chip / (vth << 6) * theta for neurons that did not
///   spike; a spiking neuron's pre-reset potential is not read out and psi(0) is used for it;
/// - reset path detached (as the twin's BPTT); readout o[t] = v_chip / (scale_readout << 6).
/// Link traffic per sample: T * n_hidden bits of spikes + T * n_hidden 3-byte potentials +
/// T * n_out 3-byte readout potentials; per batch: the packed weight mantissas.
public final class ChipInTheLoopTrainer {
    public let method: OffChipMethod
    public let sim: Simulator
    let twin: TwinConfig
    let nIn: Int, nH: Int, nO: Int, T: Int
    public let weights: [FloatBuffer]
    let grad: [FloatBuffer]
    let optimiser: TwinOptimiser
    public let quantised: [QuantisedConnection]
    let hiddenVth: Int
    // Host-side counts (twin conventions) and link traffic.
    public private(set) var hostCounts = TwinOpCounts()
    public private(set) var linkBytes: UInt64 = 0
    public private(set) var sramWriteBits: UInt64 = 0
    public private(set) var weightUpdates: UInt64 = 0
    // Per-sample recordings (allocated once).
    var inputSpikes: [[Int32]]
    let spikes: UnsafeMutablePointer<Float>      // [t][j] 0/1
    let hv: UnsafeMutablePointer<Float>          // [t][j] h estimate in theta units
    let ov: UnsafeMutablePointer<Float>          // [t][k]
    let e: UnsafeMutablePointer<Float>, lam: UnsafeMutablePointer<Float>, delta: UnsafeMutablePointer<Float>, g: UnsafeMutablePointer<Float>

    public init(experiment: ExperimentConfig, chain: [Int], twin: TwinConfig, method: OffChipMethod) throws {
        let layers = experiment.network.layers
        guard layers.count == 3 else {
            throw ChipError.config(file: experiment.file, path: "$.network.layers", message: "chip-in-the-loop BP supports one hidden layer (input -> hidden -> readout)")
        }
        guard twin.hiddenDu == 4095 && twin.readoutDu == 4095 else {
            throw ChipError.config(file: experiment.file, path: "$.network.layers", message: "chip-in-the-loop BP needs du = 4095 (the current is this step's input)")
        }
        guard method.rule == .bptt else {
            throw ChipError.config(file: experiment.file, path: "$.chipInTheLoop.methods", message: "chip-in-the-loop supports rule bptt")
        }
        self.method = method; self.twin = twin
        nIn = layers[0].size; nH = layers[1].size; nO = layers[2].size; T = experiment.run.steps
        let net = TwinNetwork(config: twin)
        weights = net.weights
        grad = weights.map { FloatBuffer(count: $0.count) }
        optimiser = TwinOptimiser(kind: method.twinOptimiser, shapes: weights.map(\.count))
        // Number format from twice the initial weights (headroom for growth).
        let doubled = TwinNetwork(config: twin)
        for l in 0..<2 { for k in 0..<weights[l].count { doubled.weights[l].p[k] = 2 * weights[l].p[k] } }
        var exp = experiment
        exp.learning = nil; exp.training = nil
        quantised = CompareRunner.install(doubled, into: &exp, chain: chain, theta: twin.threshold)
        hiddenVth = exp.network.layers[1].neuron.parameters.vth
        sim = Simulator(chip: try Chip(config: exp))
        inputSpikes = Array(repeating: [], count: T)
        spikes = .allocate(capacity: T * nH); hv = .allocate(capacity: T * nH); ov = .allocate(capacity: T * nO)
        e = .allocate(capacity: T * nO); lam = .allocate(capacity: (T + 1) * nO)
        delta = .allocate(capacity: (T + 1) * nH); g = .allocate(capacity: nH)
        writeWeights()
    }

    deinit { for p in [spikes, hv, ov, e, lam, delta, g] { p.deallocate() } }

    /// Writes round(w * scale) (saturated) into the chip's synapse memory: every synapse of both
    /// connections; counted as packed mantissas over the link and weightBits SRAM write bits each.
    public func writeWeights() {
        for core in sim.chip.cores {
            for pi in core.populations.indices {
                let pop = core.populations[pi]
                guard pop.layer == 1 || pop.layer == 2 else { continue }
                let l = pop.layer - 1
                let q = quantised[l], W = weights[l].p, cols = l == 0 ? nH : nO
                let wMax = Double(q.wMax)
                for b in pop.blocks.indices where pop.blocks[b].preLayer == l {
                    let nPost = pop.blocks[b].nPost, nPre = pop.blocks[b].nPre
                    core.populations[pi].blocks[b].weights.withUnsafeMutableBufferPointer { dst in
                        for j in 0..<nPre {
                            for i in 0..<nPost {
                                let x = (Double(W[j * cols + pop.firstNeuron + i]) * q.scale).rounded(.toNearestOrAwayFromZero)
                                dst[j * nPost + i] = Int16(min(max(x, -wMax), wMax))
                            }
                        }
                    }
                }
            }
        }
        for (l, q) in quantised.enumerated() {
            let n = weights[l].count
            linkBytes += UInt64((n * q.weightBits + 7) / 8)
            sramWriteBits += UInt64(n * q.weightBits)
            hostCounts.add(.optimiser, flops: 2 * n, bytes: 4 * n)     // quantise: multiply + round, read w
        }
    }

    /// Runs one training sample on the chip, reads the recordings and adds its BPTT gradient.
    func accumulate(sample: Int, source: SpikeSource) -> (loss: Float, correct: Bool) {
        let chip = sim.chip
        let hiddenPops = chip.coresOfLayer[1].flatMap { c in chip.cores[c].populations.indices.filter { chip.cores[c].populations[$0].layer == 1 }.map { (c, $0) } }
        let outPops = chip.coresOfLayer[2].flatMap { c in chip.cores[c].populations.indices.filter { chip.cores[c].populations[$0].layer == 2 }.map { (c, $0) } }
        let hScale = Float(twin.threshold) / Float(hiddenVth << 6)
        let oScale = Float(1 / (quantised[1].scale * 64))
        spikes.update(repeating: 0, count: T * nH)
        sim.onStep = { [self] _, t in
            for s in sim.spikesEmitted(layer: 1) { spikes[t * nH + Int(s)] = 1 }
            for (c, p) in hiddenPops {
                let pop = chip.cores[c].populations[p]
                for j in 0..<pop.count { hv[t * nH + pop.firstNeuron + j] = Float(pop.state.v[j]) * hScale }
            }
            for (c, p) in outPops {
                let pop = chip.cores[c].populations[p]
                for j in 0..<pop.count { ov[t * nO + pop.firstNeuron + j] = Float(pop.state.v[j]) * oScale }
            }
        }
        sim.runSample(sample, source: source)
        sim.onStep = nil
        for t in 0..<T {
            var buf = ContiguousArray<Int32>()
            source.spikes(sample: sample, step: t, into: &buf)
            inputSpikes[t] = Array(buf)
        }
        linkBytes += UInt64(T * ((nH + 7) / 8) + T * nH * 3 + T * nO * 3)
        let label = source.label(sample: sample) ?? 0
        let result = sim.samples.last!
        // Loss and output error per step.
        var loss: Float = 0
        for t in 0..<T {
            loss += stepLoss(ov + t * nO, nO, label: label, ce: twin.ceWeight, mse: twin.mseWeight, grad: e + t * nO, scale: 1 / Float(T), counts: &hostCounts)
        }
        let cvO = twin.voltageFactor(1), cvH = twin.voltageFactor(0)
        let W1 = weights[1].p, G0 = grad[0].p, G1 = grad[1].p
        // Readout adjoint: lam[t] = e[t] + cvO lam[t+1]; dW1[j][k] += lam_k[t] s_j[t-1].
        lam.update(repeating: 0, count: (T + 1) * nO)
        delta.update(repeating: 0, count: (T + 1) * nH)
        var flops = 0, bytes = 0
        for t in stride(from: T - 1, through: 0, by: -1) {
            for k in 0..<nO { lam[t * nO + k] = e[t * nO + k] + cvO * lam[(t + 1) * nO + k] }
            flops += 2 * nO
        }
        for t in 1..<T {
            for j in 0..<nH where spikes[(t - 1) * nH + j] != 0 {
                for k in 0..<nO { G1[j * nO + k] += lam[t * nO + k] }
                flops += nO; bytes += 8 * nO
            }
        }
        // Hidden adjoint (reset detached): delta[t] = psi g[t] + cvH (1 - s[t] if hard) delta[t+1],
        // g_j[t] = sum_k W1[j][k] lam_k[t+1] (a spike at t moves the readout at t+1).
        let sur = twin.surrogate
        let hard = twin.reset == .hard
        for t in stride(from: T - 2, through: 0, by: -1) {
            for j in 0..<nH {
                var acc: Float = 0
                for k in 0..<nO { acc += W1[j * nO + k] * lam[(t + 1) * nO + k] }
                let s = spikes[t * nH + j]
                let psi = s != 0 ? sur.psi(0) : sur.psi(hv[t * nH + j] - twin.threshold)
                let carry = hard ? (1 - s) : 1
                delta[t * nH + j] = psi * acc + cvH * carry * delta[(t + 1) * nH + j]
            }
            flops += nH * (2 * nO + 5); bytes += 4 * nH * nO
        }
        // dW0[i][j] += delta_j[t] s_in_i[t-1].
        for t in 1..<T {
            let d = delta + t * nH
            for i in inputSpikes[t - 1] {
                let row = G0 + Int(i) * nH
                for j in 0..<nH { row[j] += d[j] }
                flops += nH; bytes += 8 * nH
            }
        }
        hostCounts.add(.backward, flops: flops, bytes: bytes)
        return (loss, result.prediction == label)
    }

    /// One epoch over `count` samples of `train` in the twin's shuffled order; weights written
    /// back after every batch. Returns (loss, training accuracy).
    public func trainEpoch(_ epoch: Int, train: SpikeSource, count: Int, batchSize: Int, seed: UInt64, shuffle: Bool) -> (Double, Double) {
        let order = Trainer.order(count: count, epoch: epoch, seed: seed, shuffle: shuffle)
        var loss = 0.0, correct = 0
        var start = 0
        while start < order.count {
            let batch = order[start..<min(order.count, start + batchSize)]
            start += batch.count
            for i in batch {
                let r = accumulate(sample: i, source: train)
                loss += Double(r.loss); if r.correct { correct += 1 }
            }
            optimiser.step(weights: weights, grad: grad, scale: 1 / Float(batch.count), layers: [0, 1], counts: &hostCounts)
            for gb in grad { gb.zero() }
            weightUpdates += UInt64(weights.reduce(0) { $0 + $1.count })
            writeWeights()
        }
        sim.discardSamples()
        return (loss / Double(max(1, count)), Double(correct) / Double(max(1, count)))
    }

    /// Test accuracy on the chip with the current weights.
    public func evaluate(_ test: SpikeSource, count: Int) -> Double {
        var correct = 0
        for s in 0..<count {
            sim.runSample(s, source: test)
            if let r = sim.samples.last, r.label == r.prediction { correct += 1 }
        }
        sim.discardSamples()
        return Double(correct) / Double(max(1, count))
    }
}
