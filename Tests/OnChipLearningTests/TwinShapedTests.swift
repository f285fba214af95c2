import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

/// Independent oracle of a convolution, written in the scatter direction: for every input
/// position (c, iy, ix) and kernel tap (ky, kx), the output row it reaches is
/// oy = (iy + pH - ky dH) / sH when that division is exact and in range (likewise ox), for
/// every output channel of c's group. TwinConnection.run gathers instead.
private func scatterConv(_ g: ConvGeometry, w: [Float], x: [Float]) -> [Float] {
    var y = [Float](repeating: 0, count: g.output.size)
    for c in 0..<g.input.channels {
        let group = c / g.inPerGroup, i = c % g.inPerGroup
        for iy in 0..<g.input.height { for ix in 0..<g.input.width {
            for ky in 0..<g.kernelH { for kx in 0..<g.kernelW {
                let ny = iy + g.padH - ky * g.dilationH, nx = ix + g.padW - kx * g.dilationW
                guard ny >= 0, nx >= 0, ny % g.strideH == 0, nx % g.strideW == 0 else { continue }
                let oy = ny / g.strideH, ox = nx / g.strideW
                guard oy < g.output.height, ox < g.output.width else { continue }
                for oo in 0..<g.outPerGroup {
                    let o = group * g.outPerGroup + oo
                    y[(o * g.output.height + oy) * g.output.width + ox] += w[((o * g.inPerGroup + i) * g.kernelH + ky) * g.kernelW + kx] * x[(c * g.input.height + iy) * g.input.width + ix]
                }
            }}
        }}
    }
    return y
}

private func values(_ n: Int, seed: Int) -> [Float] {
    (0..<n).map { Float(((($0 + 1) * 7919 + seed * 104729) % 1999)) / 1999 - 0.5 }
}

@Suite struct TwinShapedConnectionTests {
    /// 1x3x3 input, one 2x2 kernel, stride 1: each output is the dot product of the kernel
    /// with its window, computed by hand.
    @Test func convApplyByHand() {
        let g = ConvGeometry(input: LayerShape(channels: 1, height: 3, width: 3),
                             output: LayerShape(channels: 1, height: 2, width: 2), kernel: (2, 2))
        var w: [Float] = [1, 2, 3, 4], x: [Float] = [1, 0, 2, 0, 1, 0, 3, 0, 1], y: [Float] = [0, 0, 0, 0]
        w.withUnsafeMutableBufferPointer { wp in x.withUnsafeMutableBufferPointer { xp in y.withUnsafeMutableBufferPointer { yp in
            TwinConnection.shaped(g, fixed: nil).run(.apply, w: wp.baseAddress!, pre: xp.baseAddress!, post: yp.baseAddress!)
        }}}
        // (0,0): 1*1 + 2*0 + 3*0 + 4*1 = 5; (0,1): 1*0 + 2*2 + 3*1 + 4*0 = 7;
        // (1,0): 1*0 + 2*1 + 3*3 + 4*0 = 11; (1,1): 1*1 + 2*0 + 3*0 + 4*1 = 5.
        #expect(y == [5, 7, 11, 5])
    }

    /// apply equals the scatter oracle; transpose is its adjoint (<A x, y> = <x, A^T y>);
    /// accumulate is the weight derivative (<gw, w'> = <gy, A(w') x>, A linear in w), over
    /// strides, padding wider than the kernel, dilation, groups and non-square kernels.
    @Test func convMapsMatchOracleAndAreAdjoint() {
        let cases: [ConvGeometry] = [
            ConvGeometry(input: LayerShape(channels: 2, height: 5, width: 6), output: LayerShape(channels: 4, height: 3, width: 5),
                         kernel: (3, 2), stride: (2, 1), padding: (1, 0), groups: 2),
            ConvGeometry(input: LayerShape(channels: 3, height: 4, width: 4), output: LayerShape(channels: 3, height: 4, width: 3),
                         kernel: (2, 3), stride: (2, 2), padding: (3, 2), dilation: (2, 1), groups: 1),
            ConvGeometry(input: LayerShape(channels: 2, height: 4, width: 4), output: LayerShape(channels: 2, height: 2, width: 2),
                         kernel: (2, 2), stride: (2, 2), groups: 2),   // a pool
            .oneToOne(5),
        ]
        for g in cases {
            #expect(ConvGeometry.outputExtent(g.input.height, kernel: g.kernelH, stride: g.strideH, padding: g.padH, dilation: g.dilationH) == g.output.height)
            #expect(ConvGeometry.outputExtent(g.input.width, kernel: g.kernelW, stride: g.strideW, padding: g.padW, dilation: g.dilationW) == g.output.width)
            let conn = TwinConnection.shaped(g, fixed: nil)
            let w = FloatBuffer(values(g.weightCount, seed: 1)), w2 = FloatBuffer(values(g.weightCount, seed: 2))
            let x = FloatBuffer(values(g.input.size, seed: 3)), gy = FloatBuffer(values(g.output.size, seed: 4))
            let y = FloatBuffer(count: g.output.size)
            conn.run(.apply, w: w.p, pre: x.p, post: y.p)
            let oracle = scatterConv(g, w: w.array, x: x.array)
            for i in 0..<y.count { #expect(abs(y[i] - oracle[i]) <= 1e-5, "\(g) output \(i)") }
            let gx = FloatBuffer(count: g.input.size)
            conn.run(.transpose, w: w.p, pre: gx.p, post: gy.p)
            let lhs = (0..<y.count).reduce(0.0) { $0 + Double(y[$1]) * Double(gy[$1]) }
            let rhs = (0..<x.count).reduce(0.0) { $0 + Double(x[$1]) * Double(gx[$1]) }
            #expect(abs(lhs - rhs) <= 1e-5 * max(1, abs(lhs)))
            let gw = FloatBuffer(count: g.weightCount)
            conn.run(.accumulate, w: gw.p, pre: x.p, post: gy.p)
            let y2 = scatterConv(g, w: w2.array, x: x.array)
            let a = (0..<gw.count).reduce(0.0) { $0 + Double(gw[$1]) * Double(w2[$1]) }
            let b = (0..<y2.count).reduce(0.0) { $0 + Double(y2[$1]) * Double(gy[$1]) }
            #expect(abs(a - b) <= 1e-5 * max(1, abs(b)))
        }
    }
}

@Suite struct TwinShapedNetworkTests {
    /// A dense chain in the shaped twin is TwinNetwork: same initial weights, input spikes and
    /// dynamics, so the summed readout equals it up to float association (TwinNetwork's
    /// delta-coded input drive).
    @Test func denseChainEqualsTwinNetwork() {
        var c = TwinConfig(sizes: [6, 5, 4, 3], steps: 8, seed: 3)
        c.hiddenDu = 2047
        let x: [Float] = [0.9, 0.7, 0.5, 0.8, 0.6, 0.0]
        let a = TwinNetwork(config: c), b = ShapedTwinNetwork(topology: TwinTopology(dense: c))
        for l in 0..<c.layerCount { #expect(a.weights[l].array == b.params[b.forwardParam[l]].array) }
        let pa = x.withUnsafeBufferPointer { a.predict($0.baseAddress!, coordinate: 11) }
        let pb = x.withUnsafeBufferPointer { b.predict($0.baseAddress!, coordinate: 11) }
        #expect(pa == pb)
        let scale = (0..<3).map { abs(a.outSum[$0]) }.max()!
        #expect(scale > 0.1)
        for k in 0..<3 { #expect(abs(a.outSum[k] - b.outSum[k]) <= 1e-5 * scale, "class \(k)") }
    }

    /// A recurrent spike at t arrives at t + 1 (docs/CONV.md): input 0 always spikes (x = 1),
    /// hidden 0 gets weight 2 from it (delivered from t = 1, so h0 = 2 and it spikes at t = 1),
    /// hidden 1 only has R[0 -> 1] = 3: it sees nothing until t = 2, then h1 = 3 and spikes.
    @Test func recurrentSpikeArrivesOneStepLater() {
        var c = TwinConfig(sizes: [1, 2, 1], steps: 4, seed: 1)
        c.hiddenDu = 4095; c.hiddenDv = 2048
        let net = ShapedTwinNetwork(topology: TwinTopology(base: c, forward: [.dense(pre: 1, post: 2), .dense(pre: 2, post: 1)], recurrent: [true, false]))
        let w0 = net.params[net.forwardParam[0]], r = net.params[net.recurrentParam[0]]
        w0.p[0] = 2; w0.p[1] = 0
        for k in 0..<4 { r.p[k] = 0 }
        r.p[0 * 2 + 1] = 3   // [pre 0][post 1]
        net.resetState()
        let x: [Float] = [1]
        x.withUnsafeBufferPointer { net.loadSample($0.baseAddress!, coordinate: 0) }
        net.recording = true
        for t in 0..<4 { net.step(t) }
        let s = net.sRec[0].array, h = net.hRec[0].array   // [t][neuron]
        // t=0: nothing delivered. t=1: h0 = 2 spikes (v0 = 1); h1 = 0. t=2: h0 = 0.5 + 2 spikes; h1 = 3 spikes.
        #expect(h == [0, 0,  2, 0,  2.5, 3,  2.75, 0.5 * 2 + 3])
        #expect(s == [0, 0,  1, 0,  1, 1,  1, 1])
    }
}

@Suite struct TwinShapedGradientTests {
    /// Central differences of the loss of the relaxed network (hidden output relaxed(h - theta),
    /// the antiderivative of the triangular surrogate, so psi is its exact derivative; reset not
    /// detached) against ShapedBPTT, for every parameter tensor.
    /// Tolerance: the relaxed loss is C^1 and piecewise smooth (the triangular relaxation is
    /// piecewise quadratic), so the central difference is exact to O(eps^2) except where a
    /// membrane crosses a kink of psi inside [w - eps, w + eps], which adds O(eps) x the local
    /// jump of the second derivative; float32 rounding of a loss of order 1 adds about
    /// 1e-7 / eps = 1e-5. Hence |numeric - analytic| <= 2e-3 max|numeric| + 2e-3 |numeric|,
    /// as TwinGradientTests.bpttMatchesFiniteDifferences (a wrong transpose, tap or delay gives
    /// errors of the order of the gradient itself).
    func check(_ topo: TwinTopology, x: [Float], label: Int) {
        let net = ShapedTwinNetwork(topology: topo)
        net.relaxed = true
        var p = RuleParams(); p.detachReset = false
        let b = ShapedBPTT(params: p, net: net)
        let grad = net.params.map { FloatBuffer(count: $0.count) }
        let scratch = net.params.map { FloatBuffer(count: $0.count) }
        func loss() -> Double {
            x.withUnsafeBufferPointer { Double(b.accumulate($0.baseAddress!, label: label, coordinate: 5, into: scratch).loss) }
        }
        _ = x.withUnsafeBufferPointer { b.accumulate($0.baseAddress!, label: label, coordinate: 5, into: grad) }
        let eps: Float = 1e-2
        for (q, w) in net.params.enumerated() {
            var numeric: [Double] = [], analytic: [Double] = []
            for k in 0..<w.count {
                let v = w[k]
                w[k] = v + eps; let lp = loss()
                w[k] = v - eps; let lm = loss()
                w[k] = v
                numeric.append((lp - lm) / Double(2 * eps))
                analytic.append(Double(grad[q][k]))
            }
            let scale = numeric.map(abs).max()!
            #expect(scale > 1e-3, "parameter tensor \(q) has no gradient to check")
            for i in 0..<numeric.count {
                #expect(abs(numeric[i] - analytic[i]) <= 2e-3 * scale + 2e-3 * abs(numeric[i]),
                        "tensor \(q) weight \(i): numeric \(numeric[i]) analytic \(analytic[i])")
            }
        }
    }

    /// 1x6x6 input -> conv 2@3x3 (padding 1, 2x6x6) -> avgPool 2 (fixed 0.5, 2x3x3) ->
    /// flatten -> dense -> 3 readout.
    @Test func convPoolFlattenDenseMatchesFiniteDifferences() {
        var c = TwinConfig(sizes: [36, 72, 18, 3], steps: 6, seed: 4)
        c.surrogate = Surrogate(shape: .triangular, halfWidth: 1.0)
        c.hiddenInitScale = 2.5
        c.hiddenDu = 2047
        let inp = LayerShape(channels: 1, height: 6, width: 6), conv = LayerShape(channels: 2, height: 6, width: 6)
        let pool = LayerShape(channels: 2, height: 3, width: 3)
        let topo = TwinTopology(base: c, forward: [
            .shaped(ConvGeometry(input: inp, output: conv, kernel: (3, 3), padding: (1, 1)), fixed: nil),
            .shaped(ConvGeometry(input: conv, output: pool, kernel: (2, 2), stride: (2, 2), groups: 2), fixed: 0.5),
            .dense(pre: 18, post: 3),
        ])
        let x = (0..<36).map { Float(($0 * 37) % 11) / 10 }
        check(topo, x: x, label: 2)
    }

    /// 4 inputs -> 3 LIF with a 3x3 recurrent matrix -> 2 readout.
    @Test func recurrentLayerMatchesFiniteDifferences() {
        var c = TwinConfig(sizes: [4, 3, 2], steps: 8, seed: 6)
        c.surrogate = Surrogate(shape: .triangular, halfWidth: 1.0)
        c.hiddenInitScale = 2.5
        c.hiddenDu = 2047
        var topo = TwinTopology(base: c, forward: [.dense(pre: 4, post: 3), .dense(pre: 3, post: 2)], recurrent: [true, false])
        topo.recurrentInitScale = 1.5
        check(topo, x: [0.9, 0.6, 0.3, 0.8], label: 0)
    }
}

@Suite struct TwinTopologyFromConfigTests {
    func topology(_ name: String) throws -> TwinTopology {
        let e = try ExperimentConfig.load(path: repoRoot + "/configs/\(name).json")
        let base = TwinConfig(sizes: e.network.layers.map(\.size), steps: e.run.steps, seed: e.seed)
        return try TwinTopology(network: e.network, file: e.file, base: base, theta: 1)
    }

    /// conv-mnist: conv 16@5x5 p2, sumPool 2, conv 32@5x5 p2, sumPool 2, flatten -> 10.
    @Test func convMnistBuildsItsChain() throws {
        let t = try topology("conv-mnist")
        #expect(t.layerCount == 5 && t.recurrent == [false, false, false, false, false])
        guard case let .shaped(g0, nil) = t.forward[0], case let .shaped(g1, fixed?) = t.forward[1],
              case let .shaped(g2, nil) = t.forward[2], case .dense(1568, 10) = t.forward[4] else {
            Issue.record("unexpected kinds \(t.forward)"); return
        }
        #expect(g0.kernelH == 5 && g0.padH == 2 && g0.output == LayerShape(channels: 16, height: 28, width: 28))
        #expect(g1.groups == 16 && g1.strideH == 2 && fixed == 1)   // poolWeight 1, e 0, vth 1: 1 * 1 * theta / 1
        #expect(g2.weightCount == 32 * 16 * 25)
        // conv1 du 4095, dv 410: cu = 0, cv = 3686 / 4096.
        #expect(t.currentFactors[0] == 0 && t.voltageFactors[0] == Float(3686) / 4096)
        #expect(t.thresholds[0] == 1)
        let net = ShapedTwinNetwork(topology: t)
        #expect(net.params.count == 5 && net.params[0].count == 16 * 25)
    }

    /// rec-braille: 12 -> 40 with a 40x40 self-connection -> 7.
    @Test func recBrailleHasOneRecurrentMatrix() throws {
        let t = try topology("rec-braille")
        #expect(t.recurrent == [true, false])
        let net = ShapedTwinNetwork(topology: t)
        #expect(net.params.map(\.count) == [12 * 40, 40 * 40, 40 * 7])
        // du 3000: cu = (4096 - 3001) / 4096; dv 400: cv = 3696 / 4096.
        #expect(t.currentFactors[0] == Float(1095) / 4096 && t.voltageFactors[1] == Float(3696) / 4096)
    }

    @Test func skipConnectionIsRefusedWithItsPath() throws {
        var e = try ExperimentConfig.load(path: repoRoot + "/configs/rec-braille.json")
        var skip = e.network.connections[0]
        skip.to = "output"
        e.network.connections.append(skip)
        let base = TwinConfig(sizes: e.network.layers.map(\.size), steps: 4, seed: 1)
        #expect(throws: ChipError.self) { try TwinTopology(network: e.network, file: e.file, base: base, theta: 1) }
        do { _ = try TwinTopology(network: e.network, file: e.file, base: base, theta: 1) } catch {
            #expect("\(error)".contains("$.network.connections[3]"))
        }
    }
}

/// 1x6x6 images of one vertical (class 0) or horizontal (class 1) bar at positions 1..4,
/// pixel 0.9 on the bar, 0.05 elsewhere.
func barImages() -> FloatDataset {
    var x: [Float] = [], y: [UInt8] = []
    for cls in 0..<2 { for pos in 1..<5 { for rep in 0..<2 {
        for r in 0..<6 { for c in 0..<6 { x.append((cls == 0 ? c : r) == pos ? 0.9 : 0.05 * Float(rep)) } }
        y.append(UInt8(cls))
    }}}
    return FloatDataset(features: 36, classes: 2, x: x, y: y)
}

func smallCNN(seed: UInt64 = 4) -> TwinTopology {
    var c = TwinConfig(sizes: [36, 72, 18, 2], steps: 6, seed: seed)
    c.surrogate = Surrogate(shape: .triangular, halfWidth: 1.0)
    c.hiddenInitScale = 2.5
    let inp = LayerShape(channels: 1, height: 6, width: 6), conv = LayerShape(channels: 2, height: 6, width: 6)
    let pool = LayerShape(channels: 2, height: 3, width: 3)
    return TwinTopology(base: c, forward: [
        .shaped(ConvGeometry(input: inp, output: conv, kernel: (3, 3), padding: (1, 1)), fixed: nil),
        .shaped(ConvGeometry(input: conv, output: pool, kernel: (2, 2), stride: (2, 2), groups: 2), fixed: 0.5),
        .dense(pre: 18, post: 2),
    ])
}

@Suite struct TwinShapedLearningTests {
    /// ShapedGradCheck (the conv part of gradcheck) on a batch of 3 bar images: every tensor,
    /// the fixed pool included, agrees with central differences (tolerance argued in
    /// TwinShapedGradientTests.check).
    @Test func gradCheckRowsAgree() {
        let rows = ShapedGradCheck.run(topology: smallCNN(), data: barImages().slice(0..<3), perTensor: 12)
        #expect(rows.count == 3)
        #expect(rows.map(\.trainable) == [true, false, true])
        for r in rows {
            #expect(r.gradientScale > 1e-4, "tensor \(r.tensor) has no gradient")
            #expect(r.maxError < 4e-3 && r.cosine > 0.9999, "\(r)")
        }
    }

    /// BPTT with Adam trains the conv kernel and readout (pools fixed) from chance to the bars.
    @Test func bpttLearnsBarsThroughConvAndPool() {
        let data = barImages()
        let net = ShapedTwinNetwork(topology: smallCNN(seed: 2))
        let before = net.evaluate(data)
        let b = ShapedBPTT(params: RuleParams(), net: net)
        let opt = TwinOptimiser(kind: .adam(lr: 0.05), shapes: net.params.map(\.count))
        let grad = net.params.map { FloatBuffer(count: $0.count) }
        let fixedPool = net.params[net.forwardParam[1]].array
        for epoch in 0..<40 {
            for g in grad { g.zero() }
            data.x.withUnsafeBufferPointer { xp in
                for i in 0..<data.count {
                    b.accumulate(xp.baseAddress! + i * 36, label: Int(data.y[i]), coordinate: UInt64(i) | UInt64(epoch + 1) << 32, into: grad)
                }
            }
            opt.step(weights: net.params, grad: grad, scale: 1 / Float(data.count), layers: net.trainableParams, counts: &net.counts)
        }
        let after = net.evaluate(data)
        #expect(net.params[net.forwardParam[1]].array == fixedPool)
        #expect(after >= 0.9, "accuracy \(before) -> \(after)")
        #expect(before <= 0.75, "accuracy \(before) -> \(after)")
    }
}

@Suite struct TwinShapedOnlineTests {
    func run(_ make: (ShapedTwinNetwork) -> (UnsafePointer<Float>, [FloatBuffer]) -> Void, _ net: ShapedTwinNetwork) -> [[Float]] {
        let grad = net.params.map { FloatBuffer(count: $0.count) }
        let data = barImages()
        let f = make(net)
        data.x.withUnsafeBufferPointer { xp in for i in [0, 9, 13] { f(xp.baseAddress! + i * 36, grad) } }
        return grad.map(\.array)
    }

    /// With every decay 0 (cu = cv = 0) there is no temporal credit: BPTT's g_I^l[t] is
    /// psi_l[t] (.) A_{l+1}^T g_I^{l+1}[t+1], which is OTTT's delta paired d steps later, and
    /// the traces are the delivered values. With R = 0 the recurrent error path of BPTT
    /// vanishes too, so OTTT equals BPTT on every tensor: conv kernel, its recurrent matrix,
    /// the fixed pool and the readout.
    @Test func otttEqualsBpttWithoutTemporalCredit() {
        var t = smallCNN()
        t.recurrent = [true, false, false]
        t.currentFactors = [0, 0, 0]; t.voltageFactors = [0, 0, 0]
        t.thresholds = [1, 0.4, 1]
        func fresh() -> ShapedTwinNetwork {
            let n = ShapedTwinNetwork(topology: t)
            n.params[n.recurrentParam[0]].zero()
            return n
        }
        let bp = run({ n in let b = ShapedBPTT(params: RuleParams(), net: n); return { _ = b.accumulate($0, label: 1, coordinate: 3, into: $1) } }, fresh())
        let ot = run({ n in let o = ShapedOnlineLearner(rule: .ottt, params: RuleParams(), net: n); return { _ = o.accumulate($0, label: 1, coordinate: 3, into: $1) } }, fresh())
        #expect(bp.count == 4)
        for q in 0..<bp.count {
            let scale = bp[q].map(abs).max()!
            #expect(scale > 1e-4, "tensor \(q) has no gradient")
            for k in 0..<bp[q].count { #expect(abs(bp[q][k] - ot[q][k]) <= 1e-5 * scale, "tensor \(q) weight \(k)") }
        }
    }

    /// DFA with B_0 set to the readout weights (B [hidden i][output k] has the readout's
    /// [pre][post] layout) is OTTT on a conv -> readout network.
    @Test func dfaWithReadoutWeightsAsFeedbackIsOttt() {
        var c = TwinConfig(sizes: [36, 72, 2], steps: 6, seed: 5)
        c.hiddenInitScale = 2.5
        let inp = LayerShape(channels: 1, height: 6, width: 6), conv = LayerShape(channels: 2, height: 6, width: 6)
        let t = TwinTopology(base: c, forward: [.shaped(ConvGeometry(input: inp, output: conv, kernel: (3, 3), padding: (1, 1)), fixed: nil),
                                                .dense(pre: 72, post: 2)])
        let ot = run({ n in let o = ShapedOnlineLearner(rule: .ottt, params: RuleParams(), net: n); return { _ = o.accumulate($0, label: 0, coordinate: 3, into: $1) } },
                     ShapedTwinNetwork(topology: t))
        let df = run({ n in
            let o = ShapedOnlineLearner(rule: .dfa, params: RuleParams(), net: n)
            o.feedback[0].copy(from: n.params[n.forwardParam[1]])
            return { _ = o.accumulate($0, label: 0, coordinate: 3, into: $1) }
        }, ShapedTwinNetwork(topology: t))
        for q in 0..<2 {
            let scale = ot[q].map(abs).max()!
            #expect(scale > 1e-4)
            for k in 0..<ot[q].count { #expect(abs(ot[q][k] - df[q][k]) <= 1e-5 * scale, "tensor \(q) weight \(k)") }
        }
    }

    /// OPZO (noise injected into the conv and pool layers, M learned online) and DFA train the
    /// small CNN's kernel and readout on the bars.
    @Test(arguments: [TwinRule.opzo, .dfa]) func onlineRulesLearnBarsThroughConv(rule: TwinRule) {
        let data = barImages()
        let net = ShapedTwinNetwork(topology: smallCNN(seed: 2))
        let before = net.evaluate(data)
        var p = RuleParams(); p.lambda = 0.99
        let o = ShapedOnlineLearner(rule: rule, params: p, net: net)
        let opt = TwinOptimiser(kind: .adam(lr: 0.05), shapes: net.params.map(\.count))
        let grad = net.params.map { FloatBuffer(count: $0.count) }
        for epoch in 0..<40 {
            for g in grad { g.zero() }
            data.x.withUnsafeBufferPointer { xp in
                for i in 0..<data.count {
                    o.accumulate(xp.baseAddress! + i * 36, label: Int(data.y[i]), coordinate: UInt64(i) | UInt64(epoch + 1) << 32, into: grad)
                }
            }
            opt.step(weights: net.params, grad: grad, scale: 1 / Float(data.count), layers: net.trainableParams, counts: &net.counts)
        }
        let after = net.evaluate(data)
        #expect(before <= 0.75 && after >= 0.85, "\(rule): accuracy \(before) -> \(after)")
    }
}

@Suite struct TwinShapedConfigGradCheckTests {
    /// A small CNN on rate-coded MNIST-5k: 1x28x28 -> conv 2@5x5 stride 4 (2x6x6) -> sumPool 2
    /// (vth 0: the chip's OR-pool, 2x3x3) -> flatten -> 10 readout; first 2 training samples.
    @Test func convExperimentGradientsMatchFiniteDifferences() throws {
        let exp = try ExperimentConfig(json: JSONValue.parse("""
        {"seed": 3, "network": {"layers": [
            {"name": "in", "kind": "input", "shape": [1, 28, 28]},
            {"name": "c1", "shape": [2, 6, 6], "neuron": {"du": 2047, "dv": 410, "vth": 40}},
            {"name": "p1", "shape": [2, 3, 3], "neuron": {"du": 4095, "dv": 4095, "vth": 0}},
            {"name": "out", "size": 10, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
          "connections": [{"from": "in", "to": "c1", "kind": "conv2d", "kernel": 5, "stride": 4, "init": {"kind": "uniform", "low": -16, "high": 48}},
                          {"from": "c1", "to": "p1", "kind": "sumPool", "kernel": 2},
                          {"from": "p1", "to": "out", "init": {"kind": "uniform", "low": -8, "high": 8}}]},
         "input": {"kind": "dataset", "dataset": {"kind": "mnist5k"}, "encoder": {"kind": "rate", "steps": 8}},
         "run": {"steps": 8}}
        """, file: "conv-gc.json"), file: "conv-gc.json")
        let check = try ShapedConfigGradCheck(experiment: exp, samples: 2)
        #expect(check.data.count == 2 && check.topology.thresholds == [1, 0, 1])
        let rows = check.run(perTensor: 10)
        #expect(rows.map(\.trainable) == [true, false, true])
        for r in rows {
            #expect(r.gradientScale > 1e-5, "tensor \(r.tensor) has no gradient")
            #expect(r.maxError < 4e-3 && r.cosine > 0.9999, "\(r)")
        }
    }
}
