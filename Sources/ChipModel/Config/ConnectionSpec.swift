// Shapes of layers and the shaped connection kinds (conv2d, sumPool, avgPool, oneToOne):
// their config keys, their checks and the geometry the synapse blocks are built from.
// Activations are NCHW and conv weights OIHW, as in NIR. See docs/CONV.md.

/// A layer's shape (channels, height, width). Neuron (c, y, x) is the layer's neuron
/// c * height * width + y * width + x: the flatten index map. A dense or sparse connection
/// from a shaped layer reads its presynaptic neurons through this map (flatten needs no
/// synapses and no neurons).
public struct LayerShape: Equatable, Sendable {
    public var channels: Int
    public var height: Int
    public var width: Int
    public init(channels: Int, height: Int, width: Int) { self.channels = channels; self.height = height; self.width = width }
    public var size: Int { channels * height * width }
    public func flatIndex(c: Int, y: Int, x: Int) -> Int { (c * height + y) * width + x }
    public func coordinates(of i: Int) -> (c: Int, y: Int, x: Int) {
        let hw = height * width
        return (i / hw, (i % hw) / width, i % width)
    }
    var json: JSONValue { .array([.int(channels), .int(height), .int(width)]) }
}

/// What a connection is: a synapse matrix (dense, sparse) or a shaped, weight-shared kind.
public enum ConnectionKind: String, Sendable, CaseIterable {
    case dense, sparse, conv2d, sumPool, avgPool, oneToOne
    /// Kinds whose synapses are generated from a geometry and a shared kernel (ConvSynapseBlock).
    public var isShaped: Bool { self != .dense && self != .sparse }
}

/// The geometry of a shaped connection: a 2D convolution (pooling and one-to-one are
/// special cases). Output (o, oy, ox) receives from input (i, oy*stride - padding + ky*dilation,
/// ox*stride - padding + kx*dilation) for i in o's group and (ky, kx) in the kernel, when that
/// position lies inside the input (padding adds no synapse).
public struct ConvGeometry: Equatable, Sendable {
    public var input: LayerShape
    public var output: LayerShape
    public var kernelH: Int, kernelW: Int
    public var strideH: Int, strideW: Int
    public var padH: Int, padW: Int
    public var dilationH: Int, dilationW: Int
    public var groups: Int

    public init(input: LayerShape, output: LayerShape, kernel: (Int, Int), stride: (Int, Int) = (1, 1),
                padding: (Int, Int) = (0, 0), dilation: (Int, Int) = (1, 1), groups: Int = 1) {
        self.input = input; self.output = output
        kernelH = kernel.0; kernelW = kernel.1; strideH = stride.0; strideW = stride.1
        padH = padding.0; padW = padding.1; dilationH = dilation.0; dilationW = dilation.1; self.groups = groups
    }

    public var inPerGroup: Int { input.channels / groups }
    public var outPerGroup: Int { output.channels / groups }
    /// Kernel weights per output channel (OIHW: I = input channels per group).
    public var kernelSize: Int { inPerGroup * kernelH * kernelW }
    /// Total kernel weights, O * I/groups * kH * kW.
    public var weightCount: Int { output.channels * kernelSize }

    /// Output extent of one dimension: floor((n + 2p - d(k-1) - 1) / s) + 1 (PyTorch / NIR).
    public static func outputExtent(_ n: Int, kernel k: Int, stride s: Int, padding p: Int, dilation d: Int) -> Int {
        let span = n + 2 * p - d * (k - 1) - 1
        return span < 0 ? 0 : span / s + 1
    }

    /// OIHW index of weight (o, i within group, ky, kx).
    public func weightIndex(o: Int, i: Int, ky: Int, kx: Int) -> Int { ((o * inPerGroup + i) * kernelH + ky) * kernelW + kx }

    /// A one-to-one connection of n neurons: a depthwise 1x1 convolution of n channels, so each
    /// neuron has its own weight.
    public static func oneToOne(_ n: Int) -> ConvGeometry {
        let s = LayerShape(channels: n, height: 1, width: 1)
        return ConvGeometry(input: s, output: s, kernel: (1, 1), groups: n)
    }
}

/// The decoded shaped part of a connection config.
public struct ShapedConnectionSpec: Equatable, Sendable {
    public var geometry: ConvGeometry
    /// sumPool: the weight of every synapse; avgPool: the quantised 1/k^2 (see docs/CONV.md).
    public var fixedWeight: Int?

    static let docs: [KeyDoc] = [
        KeyDoc("kind", "\"dense\" | \"sparse\" | \"conv2d\" | \"sumPool\" | \"avgPool\" | \"oneToOne\"", "the layout", "Connection kind. dense/sparse: a synapse matrix (same as layout). conv2d: a 2D convolution between shaped layers, kernel stored once per core (docs/CONV.md). sumPool/avgPool: depthwise pooling with fixed weights. oneToOne: neuron i to neuron i, one weight each. The error-broadcast rules learn conv2d kernels (pools and oneToOne stay fixed; docs/CONV.md, Learning); other rules refuse shaped networks."),
        KeyDoc("kernel", "integer or [h, w]", "(required for conv2d and pools)", "Kernel size."),
        KeyDoc("stride", "integer or [h, w]", "1 (pools: the kernel)", "Stride."),
        KeyDoc("padding", "integer or [h, w]", "0", "Zero padding on each side; padded positions hold no synapse."),
        KeyDoc("dilation", "integer or [h, w]", "1", "Kernel dilation."),
        KeyDoc("groups", "integer >= 1", "1 (pools: the channel count)", "conv2d: channel groups; input and output channels must both divide by it."),
        KeyDoc("poolWeight", "integer", "sumPool: 1; avgPool: min(2^(b-1)-1, round-half-away(2^(b-1) / (kh*kw)))", "The fixed weight of every pooling synapse (b = weightBits)."),
    ]

    /// Decodes the shaped keys of connection `r` of kind `kind` from `pre` to `post`.
    static func decode(_ r: JSONReader, kind: ConnectionKind, pre: LayerConfig, post: LayerConfig, weightBits: Int) throws -> ShapedConnectionSpec {
        func pair(_ key: String, default d: (Int, Int)?, min lo: Int) throws -> (Int, Int) {
            guard let v = r.optional(key) else {
                guard let d else { throw r.error(key, "required for kind \(kind.rawValue): an integer or [h, w]") }
                return d
            }
            let path = "\(r.path).\(key)"
            switch v {
            case .array(let items):
                guard items.count == 2 else { throw ChipError.config(file: r.file, path: path, message: "expected an integer or [h, w]") }
                return (try JSONReader.integer(items[0], file: r.file, path: path + "[0]", range: lo...4096),
                        try JSONReader.integer(items[1], file: r.file, path: path + "[1]", range: lo...4096))
            default:
                let x = try JSONReader.integer(v, file: r.file, path: path, range: lo...4096)
                return (x, x)
            }
        }
        if kind == .oneToOne {
            for k in ["kernel", "stride", "padding", "dilation", "groups", "poolWeight"] where r.has(k) {
                throw r.error(k, "oneToOne connections have no \(k)")
            }
            if pre.size != post.size { throw r.error("to", "oneToOne needs layers of equal size; '\(pre.name)' has \(pre.size), '\(post.name)' has \(post.size)") }
            return ShapedConnectionSpec(geometry: .oneToOne(pre.size), fixedWeight: nil)
        }
        guard let ins = pre.shape else { throw r.error("from", "kind \(kind.rawValue) needs a shaped presynaptic layer; give '\(pre.name)' a shape [channels, height, width]") }
        guard let outs = post.shape else { throw r.error("to", "kind \(kind.rawValue) needs a shaped postsynaptic layer; give '\(post.name)' a shape [channels, height, width]") }
        let isPool = kind == .sumPool || kind == .avgPool
        let kernel = try pair("kernel", default: nil, min: 1)
        let stride = try pair("stride", default: isPool ? kernel : (1, 1), min: 1)
        let padding = try pair("padding", default: (0, 0), min: 0)
        let dilation = try pair("dilation", default: (1, 1), min: 1)
        let groups: Int
        if isPool {
            if r.has("groups") { throw r.error("groups", "pooling is per channel; groups is fixed to the channel count") }
            if ins.channels != outs.channels { throw r.error("to", "pooling keeps the channel count: '\(pre.name)' has \(ins.channels) channels, '\(post.name)' has \(outs.channels)") }
            groups = ins.channels
        } else {
            groups = try r.int("groups", default: 1, range: 1...(1 << 24))
            if ins.channels % groups != 0 || outs.channels % groups != 0 {
                throw r.error("groups", "groups (\(groups)) must divide the input channels (\(ins.channels)) and the output channels (\(outs.channels))")
            }
        }
        let g = ConvGeometry(input: ins, output: outs, kernel: kernel, stride: stride, padding: padding, dilation: dilation, groups: groups)
        let oh = ConvGeometry.outputExtent(ins.height, kernel: kernel.0, stride: stride.0, padding: padding.0, dilation: dilation.0)
        let ow = ConvGeometry.outputExtent(ins.width, kernel: kernel.1, stride: stride.1, padding: padding.1, dilation: dilation.1)
        if oh != outs.height || ow != outs.width {
            throw r.error("to", "a \(kind.rawValue) of \(ins.channels)x\(ins.height)x\(ins.width) with kernel \(kernel), stride \(stride), padding \(padding), dilation \(dilation) gives \(outs.channels)x\(oh)x\(ow); '\(post.name)' has shape \(outs.channels)x\(outs.height)x\(outs.width)")
        }
        var fixed: Int? = nil
        if isPool {
            let wMax = Int(FixedPoint.signedMax(bits: weightBits)), wMin = Int(FixedPoint.signedMin(bits: weightBits))
            if kind == .sumPool {
                fixed = try r.int("poolWeight", default: min(1, wMax), range: wMin...wMax)
            } else {
                fixed = try r.int("poolWeight", default: ShapedConnectionSpec.averageWeight(kernelArea: kernel.0 * kernel.1, weightBits: weightBits), range: wMin...wMax)
            }
            for k in ["init", "weights"] where r.has(k) { throw r.error(k, "\(kind.rawValue) has fixed weights (poolWeight); remove \(k)") }
        } else if r.has("poolWeight") {
            throw r.error("poolWeight", "poolWeight applies to sumPool and avgPool only")
        }
        return ShapedConnectionSpec(geometry: g, fixedWeight: fixed)
    }

    /// avgPool's weight: the quantised 1/area in units of 2^(b-1), i.e.
    /// min(2^(b-1) - 1, round-half-away(2^(b-1) / area)), at least 1. The dendritic sum of a
    /// window then approximates 2^(b-1) x (fraction of the window that spiked), with an error
    /// of at most |w x area - 2^(b-1)| for a full window.
    public static func averageWeight(kernelArea a: Int, weightBits b: Int) -> Int {
        let scale = 1 << (b - 1)
        let w = (2 * scale + a) / (2 * a)   // round half up (both positive): round-half-away
        return max(1, min(scale - 1, w))
    }

    func json(kind: ConnectionKind) -> [(String, JSONValue)] {
        guard kind != .oneToOne else { return [] }
        let g = geometry
        var kv: [(String, JSONValue)] = [("kernel", .array([.int(g.kernelH), .int(g.kernelW)])),
                                         ("stride", .array([.int(g.strideH), .int(g.strideW)])),
                                         ("padding", .array([.int(g.padH), .int(g.padW)])),
                                         ("dilation", .array([.int(g.dilationH), .int(g.dilationW)]))]
        if kind == .conv2d { kv.append(("groups", .int(g.groups))) }
        if let fixedWeight { kv.append(("poolWeight", .int(fixedWeight))) }
        return kv
    }
}

/// Per-layer initial u or v: none (0), one value for every neuron, or one per neuron.
public enum InitialValues: Equatable, Sendable {
    case zero
    case scalar(Int32)
    case perNeuron([Int32])

    public func value(_ j: Int) -> Int32 {
        switch self {
        case .zero: return 0
        case let .scalar(x): return x
        case let .perNeuron(xs): return xs[j]
        }
    }

    /// u: the 24-bit wrapping register's range; v: the saturating register's symmetric range.
    static func decode(_ r: JSONReader, _ key: String, size: Int, range: ClosedRange<Int>) throws -> InitialValues {
        guard let v = r.optional(key) else { return .zero }
        let path = "\(r.path).\(key)"
        if case let .array(items) = v {
            guard items.count == size else { throw r.error(key, "expected \(size) values (one per neuron), found \(items.count)") }
            return .perNeuron(try items.enumerated().map { k, x in Int32(try JSONReader.integer(x, file: r.file, path: "\(path)[\(k)]", range: range)) })
        }
        return .scalar(Int32(try JSONReader.integer(v, file: r.file, path: path, range: range)))
    }

    var json: JSONValue? {
        switch self {
        case .zero: return nil
        case let .scalar(x): return .int(Int(x))
        case let .perNeuron(xs): return .array(xs.map { .int(Int($0)) })
        }
    }
}

extension WeightInit {
    /// A shaped connection's explicit kernel (one row, OIHW order), else nil.
    public var explicitFlat: [Int]? {
        if case let .explicit(m) = self, m.count == 1 { return m[0] }
        return nil
    }
}
