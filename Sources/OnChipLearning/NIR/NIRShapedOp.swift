// NIR's shaped linear nodes (Conv2d, SumPool2d, AvgPool2d, Flatten) as operators on NCHW
// activations, for the import: applied to a composed dense map when they cannot become one
// chip connection, and fused (pooling then convolution) into one convolution when they can.
// docs/NIR.md ("Convolution, pooling and Flatten") states the mapping.

import ChipModel

/// One shaped linear node: a convolution (pooling is a depthwise convolution with one fixed
/// weight) or a flatten (the identity on NCHW indices).
struct NIRShapedOp {
    enum Kind { case conv, sumPool, avgPool, flatten }
    var kind: Kind
    /// Convolution and pooling geometry (nil for flatten).
    var geometry: ConvGeometry?
    /// OIHW kernel (conv); pooling: empty (every tap weighs `poolWeight`).
    var kernel: [Double] = []
    /// Per output channel (conv; zeros for pooling).
    var bias: [Double] = []
    /// SumPool2d: 1; AvgPool2d: 1 / (kH kW) (PyTorch's count_include_pad: padded taps count).
    var poolWeight: Double = 1

    /// Weight of tap (o, i within group, ky, kx).
    func weight(o: Int, i: Int, ky: Int, kx: Int) -> Double {
        kind == .conv ? kernel[geometry!.weightIndex(o: o, i: i, ky: ky, kx: kx)] : poolWeight
    }

    /// The OIHW kernel with pooling taps spelled out (depthwise: I = 1).
    var fullKernel: [Double] {
        guard kind != .conv, let g = geometry else { return kernel }
        return [Double](repeating: poolWeight, count: g.weightCount)
    }

    /// y = op(x) + bias for rows of a composed map: row (o, oy, ox) of the result is the sum of
    /// the input rows it reads, weighted (the rows are vectors over the source neurons).
    func apply(_ m: LinearMap) -> LinearMap {
        guard let g = geometry, kind != .flatten else { return m }
        let outSize = g.output.size
        var bias = [Double](repeating: 0, count: outSize)
        var sources: [String: [[Double]]] = [:]
        for (k, rows) in m.sources {
            let cols = rows.first?.count ?? 0
            sources[k] = [[Double]](repeating: [Double](repeating: 0, count: cols), count: outSize)
        }
        forEachTap(g) { o, oy, ox, inIndex, w in
            let j = g.output.flatIndex(c: o, y: oy, x: ox)
            bias[j] += w * m.bias[inIndex]
            for (k, rows) in m.sources {
                let row = rows[inIndex]
                for c in 0 ..< row.count where row[c] != 0 { sources[k]![j][c] += w * row[c] }
            }
        }
        if kind == .conv {
            for j in 0 ..< outSize { bias[j] += self.bias[g.output.coordinates(of: j).c] }
        }
        return LinearMap(size: outSize, sources: sources, bias: bias)
    }

    /// Calls body(o, oy, ox, flat input index, weight) for every synapse of the geometry
    /// (padding holds none).
    func forEachTap(_ g: ConvGeometry, _ body: (Int, Int, Int, Int, Double) -> Void) {
        for o in 0 ..< g.output.channels {
            let group = o / g.outPerGroup
            for i in 0 ..< g.inPerGroup {
                let ic = group * g.inPerGroup + i
                for oy in 0 ..< g.output.height { for ky in 0 ..< g.kernelH {
                    let iy = oy * g.strideH - g.padH + ky * g.dilationH
                    guard iy >= 0 && iy < g.input.height else { continue }
                    for ox in 0 ..< g.output.width { for kx in 0 ..< g.kernelW {
                        let ix = ox * g.strideW - g.padW + kx * g.dilationW
                        guard ix >= 0 && ix < g.input.width else { continue }
                        body(o, oy, ox, g.input.flatIndex(c: ic, y: iy, x: ix), weight(o: o, i: i, ky: ky, kx: kx))
                    } }
                } }
            }
        }
    }

    /// A pooling of window k = stride s, no padding, over an input whose height and width
    /// divide by k, followed by this convolution (dilation 1) is one convolution of the
    /// unpooled input: kernel (kH k) x (kW k), stride (sH s), padding (pH s), tap
    /// (ky k + a, kx k + b) = W[ky][kx] x poolWeight. Exact: every pooled position, padded
    /// ones included, covers whole windows of the input. nil when the conditions fail.
    static func fuse(pool p: NIRShapedOp, conv c: NIRShapedOp) -> NIRShapedOp? {
        guard p.kind == .sumPool || p.kind == .avgPool, c.kind == .conv, let pg = p.geometry, let cg = c.geometry else { return nil }
        let kh = pg.kernelH, kw = pg.kernelW
        guard pg.strideH == kh, pg.strideW == kw, pg.padH == 0, pg.padW == 0, pg.dilationH == 1, pg.dilationW == 1,
              cg.dilationH == 1, cg.dilationW == 1, pg.input.height % kh == 0, pg.input.width % kw == 0,
              cg.input == pg.output else { return nil }
        let g = ConvGeometry(input: pg.input, output: cg.output, kernel: (cg.kernelH * kh, cg.kernelW * kw),
                             stride: (cg.strideH * kh, cg.strideW * kw), padding: (cg.padH * kh, cg.padW * kw), groups: cg.groups)
        var kernel = [Double](repeating: 0, count: g.weightCount)
        for o in 0 ..< g.output.channels { for i in 0 ..< g.inPerGroup {
            for ky in 0 ..< g.kernelH { for kx in 0 ..< g.kernelW {
                kernel[g.weightIndex(o: o, i: i, ky: ky, kx: kx)] = c.kernel[cg.weightIndex(o: o, i: i, ky: ky / kh, kx: kx / kw)] * p.poolWeight
            } }
        } }
        return NIRShapedOp(kind: .conv, geometry: g, kernel: kernel, bias: c.bias)
    }
}
