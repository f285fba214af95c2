import ChipModel

/// Trains the shaped twin (conv, pooling, flatten, recurrent; TwinTopology) with BPTT
/// (ShapedBPTT) or an online rule (ShapedOnlineLearner: OTTT, OPZO, DFA, readout-only), as
/// TwinTrainer trains the dense twin: the same sample order (Fisher-Yates keyed by the epoch),
/// training coordinates (epoch << 32) | index and test coordinates = index, gradients summed
/// over a batch and averaged, then one optimiser step over every trainable tensor (the fixed
/// pools excluded; readout-only: the readout's tensor only). Single-threaded, deterministic.
public final class ShapedTwinTrainer {
    public let net: ShapedTwinNetwork
    public let rule: TwinRule
    public let grad: [FloatBuffer]
    public let optimiser: TwinOptimiser
    public let batchSize: Int
    public let shuffle: Bool
    let bptt: ShapedBPTT?
    let online: ShapedOnlineLearner?
    public private(set) var curve: [TwinEpochRecord] = []
    /// Counts of training only (evaluation runs are left out, as in TwinTrainer).
    public private(set) var trainCounts = TwinOpCounts()

    /// The rules the shaped twin trains with.
    public static let rules: [TwinRule] = [.bptt, .ottt, .opzo, .dfa, .readout]

    public init(topology: TwinTopology, rule: TwinRule, optimiser: TwinOptimiserKind, batchSize: Int, shuffle: Bool,
                params: RuleParams = RuleParams()) {
        precondition(Self.rules.contains(rule), "the shaped twin trains with bptt, ottt, opzo, dfa or readout")
        net = ShapedTwinNetwork(topology: topology)
        self.rule = rule
        self.batchSize = max(1, batchSize)
        self.shuffle = shuffle
        grad = net.params.map { FloatBuffer(count: $0.count) }
        self.optimiser = TwinOptimiser(kind: optimiser, shapes: net.params.map(\.count))
        if rule == .bptt { bptt = ShapedBPTT(params: params, net: net); online = nil }
        else { online = ShapedOnlineLearner(rule: rule, params: params, net: net); bptt = nil }
    }

    /// The tensors the optimiser changes.
    public var updatedParams: [Int] {
        let readout = net.topology.layerCount - 1
        return net.trainableParams.filter { rule != .readout || net.topology.parameters[$0].layer == readout }
    }

    /// Trains one epoch and evaluates on `test`; appends to and returns the record.
    @discardableResult
    public func trainEpoch(_ train: FloatDataset, test: FloatDataset) -> TwinEpochRecord {
        let inputs = net.topology.base.sizes[0]
        precondition(train.features == inputs && test.features == inputs,
                     "dataset width \(train.features) / \(test.features) differs from the twin's input layer \(inputs)")
        let epoch = curve.count
        let order = TwinTrainer.order(count: train.count, epoch: epoch, seed: net.topology.base.seed, shuffle: shuffle)
        let before = net.counts
        let params = updatedParams
        var lossSum = 0.0, correct = 0
        for g in grad { g.zero() }
        train.x.withUnsafeBufferPointer { xp in
            var start = 0
            while start < order.count {
                let batch = order[start..<min(order.count, start + batchSize)]
                start += batch.count
                for i in batch {
                    let x = xp.baseAddress! + i * train.features, y = Int(train.y[i])
                    let coordinate = (UInt64(epoch) << 32) | UInt64(i)
                    let r = bptt?.accumulate(x, label: y, coordinate: coordinate, into: grad)
                        ?? online!.accumulate(x, label: y, coordinate: coordinate, into: grad)
                    lossSum += Double(r.loss); if r.correct { correct += 1 }
                }
                optimiser.step(weights: net.params, grad: grad, scale: 1 / Float(batch.count), layers: params, counts: &net.counts)
                for q in params { grad[q].zero() }
            }
        }
        trainCounts = trainCounts + Self.delta(net.counts, before)
        let accuracy = net.evaluate(test)
        let rec = TwinEpochRecord(epoch: epoch + 1, trainLoss: lossSum / Double(max(1, train.count)),
                                  trainAccuracy: Double(correct) / Double(max(1, train.count)),
                                  testAccuracy: accuracy, trainSeconds: 0, samplesPerSecond: 0,
                                  flops: trainCounts.totalFlops, bytes: trainCounts.totalBytes)
        curve.append(rec)
        return rec
    }

    static func delta(_ a: TwinOpCounts, _ b: TwinOpCounts) -> TwinOpCounts {
        var r = a
        for i in 0..<r.flops.count { r.flops[i] &-= b.flops[i]; r.bytes[i] &-= b.bytes[i] }
        r.prngDraws &-= b.prngDraws
        return r
    }
}
