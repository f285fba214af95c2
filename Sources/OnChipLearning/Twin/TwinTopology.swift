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
