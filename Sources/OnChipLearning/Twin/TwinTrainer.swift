import ChipModel
import Dispatch

/// One epoch of a learning curve.
public struct TwinEpochRecord: Sendable, Equatable {
    public var epoch: Int
    public var trainLoss: Double
    public var trainAccuracy: Double
    public var testAccuracy: Double
    public var trainSeconds: Double
    public var samplesPerSecond: Double
    public var flops: UInt64          // cumulative training FLOPs (counted)
    public var bytes: UInt64          // cumulative training bytes moved (counted)
}

public struct TwinTrainerConfig: Sendable, Equatable {
    public var rule: TwinRule
    public var params = RuleParams()
    public var optimiser: TwinOptimiserKind = .adam(lr: 1e-3)
    public var epochs = 20
    /// Samples whose gradients are averaged before one optimiser step (tau_theta for MGD).
    public var batchSize = 16
    public var shuffle = true
    /// Gradient shards per batch (data parallel; bptt, ottt, dfa, readout): batch position p
    /// goes to shard p % shards, each with its own network state and gradient buffer, and
    /// the shard gradients are summed in shard order. Results depend on `shards` (float
    /// association) but never on `threads`.
    public var shards = 1
    /// Threads that run the shards (1 = serial).
    public var threads = 1
    public init(rule: TwinRule) { self.rule = rule }
}

/// Trains a twin with one rule. Deterministic by (config.seed): the sample order per epoch
/// comes from stream .shuffle keyed by the epoch (Fisher-Yates); training input spikes of
/// sample i in epoch k are keyed by coordinate (k << 32) | i (fresh spikes every epoch);
/// test inputs by coordinate i.
public final class TwinTrainer {
    public let net: TwinNetwork
    public let config: TwinTrainerConfig
    public let grad: [FloatBuffer]
    public let optimiser: TwinOptimiser
    var online: OnlineLearner?
    var bptt: BPTTLearner?
    var perturbative: PerturbativeLearner?
    public private(set) var curve: [TwinEpochRecord] = []
    /// Shard workers 1..<shards (shard 0 is this trainer's own network and gradient).
    var workers: [TwinShardWorker] = []
    /// Counts of training only (evaluation runs are counted separately in `evalCounts`).
    public private(set) var trainCounts = TwinOpCounts()
    public private(set) var evalCounts = TwinOpCounts()

    public init(network: TwinConfig, trainer: TwinTrainerConfig) {
        net = TwinNetwork(config: network)
        config = trainer
        grad = net.weights.map { FloatBuffer(count: $0.count) }
        optimiser = TwinOptimiser(kind: trainer.optimiser, shapes: net.weights.map { $0.count })
        if trainer.rule.isOnline { online = OnlineLearner(rule: trainer.rule, params: trainer.params, net: net) }
        else if trainer.rule == .bptt { bptt = BPTTLearner(params: trainer.params, net: net) }
        else {
            precondition(trainer.shards == 1, "shards > 1 only for bptt, ottt, dfa and readout")
            var p = trainer.params
            p.tauTheta = trainer.batchSize
            perturbative = PerturbativeLearner(rule: trainer.rule, params: p, net: net)
        }
    }

    func makeWorkers() {
        guard config.shards > 1, workers.isEmpty else { return }
        precondition([.bptt, .ottt, .dfa, .readout].contains(config.rule),
                     "shards > 1 only for bptt, ottt, dfa and readout (OPZO and ZO_sp keep shared running state)")
        for _ in 1..<config.shards { workers.append(TwinShardWorker(shareWith: net, rule: config.rule, params: config.params)) }
    }

    public var updatedLayers: [Int] {
        config.rule == .readout ? [net.layerCount - 1] : Array(0..<net.layerCount)
    }

    /// Adds one sample's gradient estimate to `grad` with whatever rule this trainer uses.
    @discardableResult
    public func accumulate(_ x: UnsafePointer<Float>, label: Int, coordinate: UInt64) -> (loss: Float, correct: Bool) {
        if let o = online { return o.accumulate(x, label: label, coordinate: coordinate, into: grad) }
        if let b = bptt { return b.accumulate(x, label: label, coordinate: coordinate, into: grad) }
        return perturbative!.accumulate(x, label: label, coordinate: coordinate, into: grad)
    }

    public static func order(count: Int, epoch: Int, seed: UInt64, shuffle: Bool) -> [Int] {
        var idx = Array(0..<count)
        guard shuffle, count > 1 else { return idx }
        let key = RandomKey(seed: seed, stream: .shuffle).with(epoch)
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(key.draw(i) % UInt64(i + 1))
            idx.swapAt(i, j)
        }
        return idx
    }

    /// Trains one epoch and evaluates on `test`; appends to and returns the record.
    @discardableResult
    public func trainEpoch(_ train: FloatDataset, test: FloatDataset, clock: () -> Double = { 0 }) -> TwinEpochRecord {
        // Samples are read through pointers, one input width at a time: a narrower dataset
        // would read past each sample (CompareRunner.floatData checks this with a config error).
        precondition(train.features == net.config.sizes[0] && test.features == net.config.sizes[0],
                     "dataset width \(train.features) / \(test.features) differs from the twin's input layer \(net.config.sizes[0])")
        let epoch = curve.count
        let order = Self.order(count: train.count, epoch: epoch, seed: net.config.seed, shuffle: config.shuffle)
        let before = net.counts
        let t0 = clock()
        var lossSum = 0.0, correct = 0
        let layers = updatedLayers
        for g in grad { g.zero() }
        makeWorkers()
        let shards = max(1, config.shards)
        train.x.withUnsafeBufferPointer { xp in
            let base = xp.baseAddress!
            var start = 0
            while start < order.count {
                let batch = Array(order[start..<min(order.count, start + config.batchSize)])
                start += batch.count
                if shards == 1 {
                    for i in batch {
                        let r = accumulate(base + i * train.features, label: Int(train.y[i]),
                                           coordinate: (UInt64(epoch) << 32) | UInt64(i))
                        lossSum += Double(r.loss); if r.correct { correct += 1 }
                    }
                } else {
                    var results = [(Double, Int)](repeating: (0, 0), count: shards)
                    let run = { (k: Int) in
                        var loss = 0.0, ok = 0
                        for p in stride(from: k, to: batch.count, by: shards) {
                            let i = batch[p]
                            let coord = (UInt64(epoch) << 32) | UInt64(i)
                            let r = k == 0
                                ? self.accumulate(base + i * train.features, label: Int(train.y[i]), coordinate: coord)
                                : self.workers[k - 1].accumulate(base + i * train.features, label: Int(train.y[i]), coordinate: coord)
                            loss += Double(r.loss); if r.correct { ok += 1 }
                        }
                        return (loss, ok)
                    }
                    if config.threads > 1 {
                        results.withUnsafeMutableBufferPointer { rp in
                            let out = rp.baseAddress!
                            DispatchQueue.concurrentPerform(iterations: shards) { k in out[k] = run(k) }
                        }
                    } else {
                        for k in 0..<shards { results[k] = run(k) }
                    }
                    for (l, c) in results { lossSum += l; correct += c }
                    for w in workers {
                        for l in layers { grad[l].absorb(w.grad[l], counts: &net.counts) }
                    }
                }
                optimiser.step(weights: net.weights, grad: grad, scale: 1 / Float(batch.count), layers: layers, counts: &net.counts)
                for l in layers { grad[l].zero() }
            }
        }
        for w in workers { net.counts = net.counts + w.net.counts; w.net.counts = TwinOpCounts() }
        let t1 = clock()
        trainCounts = trainCounts + delta(net.counts, before)
        let beforeEval = net.counts
        let acc = net.evaluate(test)
        evalCounts = evalCounts + delta(net.counts, beforeEval)
        let secs = t1 - t0
        let rec = TwinEpochRecord(epoch: epoch + 1, trainLoss: lossSum / Double(max(1, train.count)),
                                  trainAccuracy: Double(correct) / Double(max(1, train.count)),
                                  testAccuracy: acc, trainSeconds: secs,
                                  samplesPerSecond: secs > 0 ? Double(train.count) / secs : 0,
                                  flops: trainCounts.totalFlops, bytes: trainCounts.totalBytes)
        curve.append(rec)
        return rec
    }

    /// Trains `config.epochs` epochs; `progress` sees each record.
    public func train(_ train: FloatDataset, test: FloatDataset, clock: () -> Double = { 0 },
                      progress: (TwinEpochRecord) -> Void = { _ in }) -> [TwinEpochRecord] {
        for _ in 0..<config.epochs { progress(trainEpoch(train, test: test, clock: clock)) }
        return curve
    }

    func delta(_ a: TwinOpCounts, _ b: TwinOpCounts) -> TwinOpCounts {
        var r = a
        for i in 0..<r.flops.count { r.flops[i] &-= b.flops[i]; r.bytes[i] &-= b.bytes[i] }
        r.prngDraws &-= b.prngDraws
        return r
    }
}

/// One data-parallel shard: its own network state (sharing the weights), learner and
/// gradient buffer.
final class TwinShardWorker {
    let net: TwinNetwork
    let grad: [FloatBuffer]
    var online: OnlineLearner?
    var bptt: BPTTLearner?

    init(shareWith main: TwinNetwork, rule: TwinRule, params: RuleParams) {
        net = TwinNetwork(config: main.config)
        net.shareWeights(with: main)
        grad = net.weights.map { FloatBuffer(count: $0.count) }
        if rule == .bptt { bptt = BPTTLearner(params: params, net: net) }
        else { online = OnlineLearner(rule: rule, params: params, net: net) }
    }

    func accumulate(_ x: UnsafePointer<Float>, label: Int, coordinate: UInt64) -> (loss: Float, correct: Bool) {
        if let b = bptt { return b.accumulate(x, label: label, coordinate: coordinate, into: grad) }
        return online!.accumulate(x, label: label, coordinate: coordinate, into: grad)
    }
}
