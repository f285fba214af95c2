// Export of a chip network as a NIR graph: the inverse of NIRImport's mapping at a chosen dt.
// Each lif layer becomes a neuron node (LIF; IF when dv = 0; CubaLIF when du < 4095; LI /
// CubaLI for loihi-cuba-readout layers) with r = tau_mem / dt and w_in = tau_syn / dt (so the
// gain g of docs/NIR.md is 1), and each connection an Affine (the first one into a layer,
// carrying the layer's bias) or Linear node. The voltage scale S of each layer is a power of
// two (the threshold becomes vth 2^6 / S, between 0.5 and 1), so weights w 2^(e+6) / S and
// thresholds are exact in float64. What NIR cannot say (the weight exponent and width, the
// reset mode, the refractory period, S) goes into each node's metadata as chipsim_* keys,
// which chipsim import reads back: import(export(network)) is the same network bit for bit.

import Foundation
import ChipModel

public enum NIRExport {
    /// The NIR version written: the graph layout of the nir 1.0 Python package (nir.write /
    /// nir.read of nir 1.0.8).
    public static let version = "1.0.8"

    /// weights[c]: connection c's weight mantissas, pre-major (w[i * nPost + j]).
    public static func graph(network net: NetworkConfig, weights: [[Int]], dt: Double, file: String) throws -> NIRGraph {
        func fail(_ path: String, _ m: String) -> ChipError { ChipError.config(file: file, path: path, message: m) }
        guard dt > 0, dt.isFinite else { throw ChipError.usage("--dt must be a positive number of seconds") }
        try refuseShaped(net, file: file)
        guard let input = net.layers.first(where: \.isInput) else { throw fail("$.network.layers", "no input layer") }
        var nodes: [NIRNode] = [NIRNode(name: input.name, type: "Input", parameters: ["shape": .int64([Int64(input.size)])])]
        var edges: [(from: String, to: String)] = []
        var scales: [String: Double] = [:]
        for (li, l) in net.layers.enumerated() where !l.isInput {
            let p = l.neuron.parameters
            let path = "$.network.layers[\(li)].neuron"
            let n = l.size
            func array(_ x: Double) -> HDF5Dataset { .float64([Double](repeating: x, count: n)) }
            // S: a power of two at or above the effective threshold (readout: 2^20).
            let scale = p.spiking ? Foundation.pow(2, Foundation.ceil(Foundation.log2(Double(max(p.vth, 1) * 64)))) : Double(1 << 20)
            scales[l.name] = scale
            let cuba = p.du < 4095
            var params: [String: HDF5Dataset] = [:]
            let type: String
            if p.dv == 0 {
                guard p.spiking && !cuba else {
                    throw fail(path, "dv = 0 \(p.spiking ? "with du < 4095" : "in a readout layer") has no NIR form (tau_mem would be infinite)")
                }
                type = "IF"
                params["r"] = array(1 / dt)
            } else {
                let tauMem = dt * 4096 / Double(p.dv)
                params[cuba ? "tau_mem" : "tau"] = array(tauMem)
                params["r"] = array(tauMem / dt)
                params["v_leak"] = array(0)
                if cuba {
                    let tauSyn = dt * 4096 / Double(p.du + 1)
                    params["tau_syn"] = array(tauSyn)
                    params["w_in"] = array(tauSyn / dt)
                }
                type = (cuba ? "Cuba" : "") + (p.spiking ? "LIF" : "LI")
            }
            if p.spiking {
                params["v_threshold"] = array(Double(p.vth) * 64 / scale)
                params["v_reset"] = array(0)
            }
            let meta: [String: HDF5Dataset] = [
                "chipsim_scale": .float64([scale]), "chipsim_bias_exponent": .int64([Int64(p.biasExp)]),
                "chipsim_reset": .string(p.reset.rawValue), "chipsim_refractory": .int64([Int64(p.refractory)]),
                "chipsim_vth": .int64([Int64(p.vth)]),
            ]
            nodes.append(NIRNode(name: l.name, type: type, parameters: params, metadata: meta))
        }
        var biasPlaced = Set<String>()
        var used = Set(net.layers.map(\.name))
        for (ci, c) in net.connections.enumerated() {
            let pre = net.layers[net.layerIndex(c.from)!], post = net.layers[net.layerIndex(c.to)!]
            let p = post.neuron.parameters
            let scale = scales[post.name]!
            guard weights[ci].count == pre.size * post.size else { throw fail("$.network.connections[\(ci)]", "expected \(pre.size * post.size) weights") }
            // W[post][pre] = w 2^(e+6) / S (g = 1).
            let unit = Foundation.pow(2, Double(c.weightExponent + 6)) / scale
            var w = [Double](repeating: 0, count: pre.size * post.size)
            for i in 0 ..< pre.size { for j in 0 ..< post.size { w[j * pre.size + i] = Double(weights[ci][i * post.size + j]) * unit } }
            var name = "\(c.from)->\(c.to)"
            while used.contains(name) { name += "'" }
            used.insert(name)
            var params: [String: HDF5Dataset] = ["weight": .float64(w, shape: [post.size, pre.size])]
            var type = "Linear"
            if !biasPlaced.contains(post.name) {
                biasPlaced.insert(post.name)
                // The bias as a current: b = mant 2^exp / S (for Cuba layers through the
                // synaptic current, whose steady state is b / a_syn: times a_syn).
                let aSyn = p.du < 4095 ? Double(p.du + 1) / 4096 : 1
                let b = Double(p.biasMant) * Foundation.pow(2, Double(p.biasExp)) / scale * aSyn
                type = "Affine"
                params["bias"] = .float64([Double](repeating: b, count: post.size))
            }
            nodes.append(NIRNode(name: name, type: type, parameters: params, metadata: [
                "chipsim_weight_exponent": .int64([Int64(c.weightExponent)]), "chipsim_weight_bits": .int64([Int64(c.weightBits)]),
            ]))
            edges.append((c.from, name)); edges.append((name, c.to))
        }
        for (li, l) in net.layers.enumerated() where !l.isInput && !biasPlaced.contains(l.name) && l.neuron.parameters.biasMant != 0 {
            throw fail("$.network.layers[\(li)]", "layer '\(l.name)' has a bias but no incoming connection to carry it in NIR")
        }
        let last = net.layers.last!
        var outName = "output"
        while used.contains(outName) { outName += "_" }
        nodes.append(NIRNode(name: outName, type: "Output", parameters: ["shape": .int64([Int64(last.size)])]))
        edges.append((last.name, outName))
        return NIRGraph(version: version, nodes: nodes, edges: edges, file: file)
    }

    /// The weights the chip starts from (explicit or drawn as the chip draws them).
    public static func initialWeights(_ config: ExperimentConfig) throws -> [[Int]] {
        try refuseShaped(config.network, file: config.file)
        return try (0 ..< config.network.connections.count).map { try Chip.initialWeights(connection: $0, of: config) }
    }

    /// The trained weights in a training checkpoint (chipsim run writes one after every
    /// epoch), mapped back from the chip's blocks to connections. The checkpoint must have
    /// been written for `resolvedConfig` (the run's config.resolved.json).
    public static func checkpointWeights(path: String, config: ExperimentConfig, resolvedConfig: String) throws -> [[Int]] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ChipError.io(path: path, message: "cannot read the checkpoint") }
        let root = try JSONValue.parse(data, file: path)
        guard case let .string(stored)? = root["config"], stored.trimmingCharacters(in: .whitespacesAndNewlines) == resolvedConfig.trimmingCharacters(in: .whitespacesAndNewlines) else {
            throw ChipError.config(file: path, path: "$.config", message: "the checkpoint was written for a different config than the run directory's config.resolved.json")
        }
        guard case let .array(cores)? = root["cores"] else { throw ChipError.config(file: path, path: "$.cores", message: "expected an array") }
        let chip = try Chip(config: config)
        guard cores.count == chip.cores.count else { throw ChipError.config(file: path, path: "$.cores", message: "expected \(chip.cores.count) cores, found \(cores.count)") }
        let net = config.network
        var out = net.connections.map { c in [Int](repeating: 0, count: net.layers[net.layerIndex(c.from)!].size * net.layers[net.layerIndex(c.to)!].size) }
        for (ci, core) in chip.cores.enumerated() {
            guard case let .array(pops)? = cores[ci]["populations"], pops.count == core.populations.count else {
                throw ChipError.config(file: path, path: "$.cores[\(ci)].populations", message: "does not match the chip built from the config")
            }
            for (pi, pop) in core.populations.enumerated() {
                guard case let .array(blocks)? = pops[pi]["blocks"], blocks.count == pop.blocks.count else {
                    throw ChipError.config(file: path, path: "$.cores[\(ci)].populations[\(pi)].blocks", message: "does not match the chip built from the config")
                }
                for (bi, var block) in pop.blocks.enumerated() {
                    let p = "$.cores[\(ci)].populations[\(pi)].blocks[\(bi)].w"
                    guard case let .array(ws)? = blocks[bi]["w"], ws.count == block.weights.count else {
                        throw ChipError.config(file: path, path: p, message: "expected \(block.weights.count) weights")
                    }
                    block.weights = ContiguousArray(try ws.map { v -> Int16 in
                        guard case let .number(d, _) = v, let x = Int16(exactly: d) else { throw ChipError.config(file: path, path: p, message: "expected integers") }
                        return x
                    })
                    let nPost = net.layers[net.layerIndex(net.connections[block.connection].to)!].size
                    for i in 0 ..< block.nPre { for j in 0 ..< block.nPost {
                        out[block.connection][i * nPost + pop.firstNeuron + j] = block.weight(pre: i, post: j)
                    } }
                }
            }
        }
        return out
    }

    /// Conv, pooling and one-to-one connections have no export yet (import maps them).
    static func refuseShaped(_ net: NetworkConfig, file: String) throws {
        if let (i, c) = net.connections.enumerated().first(where: { $0.element.kind.isShaped }) {
            throw ChipError.config(file: file, path: "$.network.connections[\(i)]",
                                   message: "connection '\(c.from)' -> '\(c.to)' is \(c.kind.rawValue): export of conv, pooling and one-to-one connections to NIR is not supported yet")
        }
    }
}
