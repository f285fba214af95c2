import ChipModel

/// Gradient check of the twin's rules (as the OPZO paper's figure): for a small network and
/// a batch, each rule's accumulated update estimate is compared with a reference gradient
/// of the same batch per layer, over `draws` independent noise draws (noise salt 1...draws):
///   cosine      = mean over draws of cos(g_draw, g_ref)
///   cosineOfMean= cos(mean_draw g_draw, g_ref)
///   relVariance = mean_draw |g_draw - mean g|^2 / |mean g|^2
/// Reference: OTTT's online exact gradient (noise-free pass, default) or BPTT.
/// OPZO's M is first learned during `warmupSamples` noisy passes over the batch at fixed
/// weights (only M changes), with lambda = 1 - 4 / (warmupSamples * T) unless given.
public struct GradCheckRow: Sendable, Equatable {
    public var rule: TwinRule
    public var layer: Int
    public var cosine: Double
    public var cosineOfMean: Double
    public var relativeVariance: Double
    public var draws: Int
}

public enum GradCheck {
    public static func gradient(rule: TwinRule, network: TwinConfig, params: RuleParams,
                                data: FloatDataset, warmupSamples: Int = 0, initialWeights: [[Float]]? = nil) -> [[Float]] {
        let net = TwinNetwork(config: network)
        if let w = initialWeights { for l in w.indices { net.setWeights(l, w[l]) } }
        let grad = net.weights.map { FloatBuffer(count: $0.count) }
        data.x.withUnsafeBufferPointer { xp in
            let x = { (i: Int) in xp.baseAddress! + i * data.features }
            switch rule {
            case .bptt:
                let b = BPTTLearner(params: params, net: net)
                for i in 0..<data.count { b.accumulate(x(i), label: Int(data.y[i]), coordinate: UInt64(i), into: grad) }
            case _ where rule.isOnline:
                let o = OnlineLearner(rule: rule, params: params, net: net)
                if warmupSamples > 0 {
                    let scratch = net.weights.map { FloatBuffer(count: $0.count) }
                    for k in 0..<warmupSamples {
                        let i = k % data.count
                        o.accumulate(x(i), label: Int(data.y[i]), coordinate: UInt64(i) | (UInt64(k + 1) << 32), into: scratch)
                    }
                }
                for i in 0..<data.count { o.accumulate(x(i), label: Int(data.y[i]), coordinate: UInt64(i), into: grad) }
            default:
                let p = PerturbativeLearner(rule: rule, params: params, net: net)
                for i in 0..<data.count { p.accumulate(x(i), label: Int(data.y[i]), coordinate: UInt64(i), into: grad) }
            }
        }
        return grad.map { $0.array.map { $0 / Float(data.count) } }
    }

    public static func cosine(_ a: [Float], _ b: [Float]) -> Double {
        var ab = 0.0, aa = 0.0, bb = 0.0
        for i in 0..<a.count { ab += Double(a[i]) * Double(b[i]); aa += Double(a[i]) * Double(a[i]); bb += Double(b[i]) * Double(b[i]) }
        return aa > 0 && bb > 0 ? ab / (aa.squareRoot() * bb.squareRoot()) : 0
    }

    /// `initialWeights` (per layer, pre-major) replaces the twin's own random initial weights.
    public static func run(rules: [TwinRule], network: TwinConfig, params: RuleParams, data: FloatDataset,
                           draws: Int = 8, warmupSamples: Int = 400, reference: TwinRule = .ottt,
                           initialWeights: [[Float]]? = nil) -> [GradCheckRow] {
        let ref = gradient(rule: reference, network: network, params: params, data: data, initialWeights: initialWeights)
        var rows: [GradCheckRow] = []
        for rule in rules {
            var p = params
            if rule == .opzo && p.lambda == RuleParams().lambda && warmupSamples > 0 {
                p.lambda = 1 - 4 / Float(warmupSamples * network.steps)
            }
            let stochastic = rule.injectsNoise || rule.isPerturbative
            let n = stochastic ? draws : 1
            var est: [[[Float]]] = []
            for k in 0..<n {
                p.noiseSalt = UInt64(k + 1)
                est.append(gradient(rule: rule, network: network, params: p, data: data,
                                    warmupSamples: rule == .opzo ? warmupSamples : 0, initialWeights: initialWeights))
            }
            for l in 0..<network.layerCount {
                if rule == .readout && l < network.layerCount - 1 { continue }
                let count = ref[l].count
                var mean = [Float](repeating: 0, count: count)
                for g in est { for i in 0..<count { mean[i] += g[l][i] / Float(n) } }
                var varSum = 0.0, meanSq = 0.0
                for i in 0..<count { meanSq += Double(mean[i]) * Double(mean[i]) }
                for g in est { for i in 0..<count { let d = Double(g[l][i] - mean[i]); varSum += d * d } }
                let cos = est.map { cosine($0[l], ref[l]) }.reduce(0, +) / Double(n)
                rows.append(GradCheckRow(rule: rule, layer: l, cosine: cos, cosineOfMean: cosine(mean, ref[l]),
                                         relativeVariance: meanSq > 0 ? varSum / Double(n) / meanSq : 0, draws: n))
            }
        }
        return rows
    }
}
