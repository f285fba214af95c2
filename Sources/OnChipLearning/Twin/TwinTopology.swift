import Foundation
import ChipModel

/// A connection of the shaped twin: a dense matrix (from a flat or a shaped layer: flatten is
/// the NCHW index map, docs/CONV.md) or a shaped, weight-shared kind given by its geometry
/// (conv2d, sumPool / avgPool, oneToOne as a depthwise 1x1 convolution).
public enum TwinConnection: Equatable, Sendable {
    /// Stored [pre j][post i], as TwinNetwork's weights.
    case dense(pre: Int, post: Int)
    /// OIHW kernel of `geometry.weightCount` weights. `fixed` != nil: every weight is that
    /// value and is not trained (sumPool / avgPool in twin units); gradients still flow through.
    case shaped(ConvGeometry, fixed: Float?)

    public var pre: Int {
        switch self { case let .dense(p, _): return p; case let .shaped(g, _): return g.input.size }
    }
    public var post: Int {
        switch self { case let .dense(_, q): return q; case let .shaped(g, _): return g.output.size }
    }
    public var weightCount: Int {
        switch self { case let .dense(p, q): return p * q; case let .shaped(g, _): return g.weightCount }
    }
    /// Inputs feeding one output (the He-style init scale's fan-in).
    public var fanIn: Int {
        switch self { case let .dense(p, _): return p; case let .shaped(g, _): return g.kernelSize }
    }
    public var isTrainable: Bool {
        if case let .shaped(_, f) = self { return f == nil }
        return true
    }
}

/// The topology of the shaped twin: a chain input -> layer 1 -> ... -> readout whose weight
/// layer l (feeding post layer l + 1) is `forward[l]`, with an optional dense recurrent
/// matrix R_l (n x n, [pre j][post i]) on hidden post layers, and per-layer threshold and
/// decay factors (a pool layer on the chip is a LIF layer with vth 0 and du = dv = 4095,
/// docs/CONV.md). Dynamics, loss, encoder, surrogate and seed come from `base`; base.sizes
/// must equal [forward[0].pre, forward[l].post...].
public struct TwinTopology: Equatable, Sendable {
    public var base: TwinConfig
    public var forward: [TwinConnection]
    /// recurrent[l]: post layer l + 1 has R_l (hidden layers only).
    public var recurrent: [Bool]
    /// Per post layer: threshold, current factor cu, voltage factor cv.
    public var thresholds: [Float]
    public var currentFactors: [Float]
    public var voltageFactors: [Float]
    /// Initial recurrent weights N(0, (scale / sqrt(n))^2).
    public var recurrentInitScale: Float = 0.5

    public init(base: TwinConfig, forward: [TwinConnection], recurrent: [Bool]? = nil) {
        precondition(forward.count == base.layerCount, "one connection per weight layer")
        for l in 0..<forward.count {
            precondition(forward[l].pre == base.sizes[l] && forward[l].post == base.sizes[l + 1],
                         "connection \(l) is \(forward[l].pre) -> \(forward[l].post); sizes say \(base.sizes[l]) -> \(base.sizes[l + 1])")
        }
        self.base = base; self.forward = forward
        self.recurrent = recurrent ?? Array(repeating: false, count: forward.count)
        precondition(self.recurrent.count == forward.count && !self.recurrent.last!, "the readout has no recurrent matrix")
        thresholds = Array(repeating: base.threshold, count: forward.count)
        currentFactors = (0..<forward.count).map { base.currentFactor($0) }
        voltageFactors = (0..<forward.count).map { base.voltageFactor($0) }
    }

    /// A dense chain (the same network as TwinNetwork(config: base)).
    public init(dense base: TwinConfig) {
        self.init(base: base, forward: (0..<base.layerCount).map { .dense(pre: base.sizes[$0], post: base.sizes[$0 + 1]) })
    }

    public var layerCount: Int { forward.count }
    public func isReadout(_ l: Int) -> Bool { l == layerCount - 1 }

    /// The parameter tensors in order: for each layer l, forward[l]'s weights, then R_l if any.
    public var parameters: [(layer: Int, recurrent: Bool, count: Int)] {
        var out: [(Int, Bool, Int)] = []
        for l in 0..<layerCount {
            out.append((l, false, forward[l].weightCount))
            if recurrent[l] { out.append((l, true, base.sizes[l + 1] * base.sizes[l + 1])) }
        }
        return out
    }
}

extension TwinTopology {
    /// The shaped twin of an experiment's network: layers[0] the only input layer, then a chain
    /// in which layer l + 1 is fed by exactly one connection from layer l (dense, or a shaped
    /// kind: conv2d, sumPool, avgPool, oneToOne; a dense connection from a shaped layer reads it
    /// flattened), plus at most one self-connection (dense, recurrent) per hidden layer. The last
    /// layer is the readout. `base` gives the loss, surrogate, steps, seed and init scales.
    /// Per layer: cu = (4096 - (du + 1)) / 4096, cv = (4096 - dv) / 4096 from the layer's own
    /// du, dv; threshold theta when vth > 0 and 0 when vth = 0 (a chip pool layer with vth 0
    /// spikes when any input of its window spiked, docs/CONV.md). A pool's fixed weight in twin
    /// units is poolWeight 2^e theta / max(vth, 1) (the hidden-layer weight map of
    /// ConfigGradCheck, with vth 0 read as 1: any positive weight then gives the same spikes).
    /// Anything else (skip or backward connections other than self-loops, sparse layouts,
    /// recurrent shaped connections) is refused with the JSON path.
    public init(network: NetworkConfig, file: String, base: TwinConfig, theta: Float) throws {
        let layers = network.layers
        func fail(_ path: String, _ m: String) -> ChipError { ChipError.config(file: file, path: path, message: m + " (the float twin reproduces chains with optional self-recurrence)") }
        guard layers.count >= 2, layers[0].isInput, layers.dropFirst().allSatisfy({ !$0.isInput }) else {
            throw fail("$.network.layers", "the first layer must be the only input layer")
        }
        guard base.sizes == layers.map(\.size) else { throw fail("$.network.layers", "the twin's sizes \(base.sizes) differ from the layers' \(layers.map(\.size))") }
        var forward: [TwinConnection] = [], recurrent: [Bool] = [], used = Set<Int>()
        var thresholds: [Float] = [], cus: [Float] = [], cvs: [Float] = []
        for l in 0..<(layers.count - 1) {
            let post = layers[l + 1], p = post.neuron.parameters
            let feeds = network.connections.indices.filter { network.connections[$0].from == layers[l].name && network.connections[$0].to == post.name }
            guard feeds.count == 1 else { throw fail("$.network.connections", "expected exactly one connection \(layers[l].name) -> \(post.name), found \(feeds.count)") }
            let ci = feeds[0], cc = network.connections[ci]
            used.insert(ci)
            switch cc.kind {
            case .dense:
                if cc.layout != .dense { throw fail("$.network.connections[\(ci)].layout", "must be dense") }
                forward.append(.dense(pre: layers[l].size, post: post.size))
            case .sparse:
                throw fail("$.network.connections[\(ci)].kind", "sparse connections are not reproduced")
            case .conv2d, .oneToOne:
                forward.append(.shaped(cc.shaped!.geometry, fixed: nil))
            case .sumPool, .avgPool:
                let w = Float(Double(cc.shaped!.fixedWeight!) * pow(2, Double(cc.weightExponent)) * Double(theta) / Double(max(p.vth, 1)))
                forward.append(.shaped(cc.shaped!.geometry, fixed: w))
            }
            let selfLoops = network.connections.indices.filter { network.connections[$0].from == post.name && network.connections[$0].to == post.name }
            if selfLoops.count > 1 { throw fail("$.network.connections[\(selfLoops[1])]", "at most one self-connection per layer") }
            if let r = selfLoops.first {
                if l == layers.count - 2 { throw fail("$.network.connections[\(r)]", "the readout cannot be recurrent") }
                if network.connections[r].kind != .dense || network.connections[r].layout != .dense { throw fail("$.network.connections[\(r)].kind", "a recurrent connection must be dense") }
                used.insert(r)
            }
            recurrent.append(!selfLoops.isEmpty)
            thresholds.append(p.vth > 0 ? theta : 0)
            cus.append(Float(4096 - (p.du + 1)) / 4096); cvs.append(Float(4096 - p.dv) / 4096)
        }
        if let extra = network.connections.indices.first(where: { !used.contains($0) }) {
            let c = network.connections[extra]
            throw fail("$.network.connections[\(extra)]", "'\(c.from)' -> '\(c.to)' is neither a chain link nor a self-connection")
        }
        self.init(base: base, forward: forward, recurrent: recurrent)
        self.thresholds = thresholds; currentFactors = cus; voltageFactors = cvs
    }
}
