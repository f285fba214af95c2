import Foundation
import ChipModel

/// Chip-vs-formula check: do the chip's integer forward-weight updates match the float twin's
/// update formula within quantisation error? (docs/TWIN.md, "On-chip updates against the
/// twin's formula".)
///
/// For every observed block update (ErrorBroadcastRule.observeForwardUpdate) and every synapse
/// (i, j), index i * nPost + j, with x1[i] != 0 and factor[j] != 0:
///   float update  d = x1[i] * factor[j] / 2^eta            (Double, exact for |x1 f| < 2^53)
///   chip update   r = w_before - w_after                    (integer, LSBs)
///   error         e = r - d
/// The chip computes r = sround(x1 * factor / 2^eta) = floor(v / 2^eta + u), v the exact
/// integer product and u uniform on {0, 1/2^eta, ..., 1 - 1/2^eta}, then saturates w to
/// weightBits. So without saturation r is floor(d) or ceil(d): |e| < 1 always, and
/// P(r = ceil d) = frac(d) exactly, hence E[e] = 0 and Var[e] = p (1 - p), p = frac(d).
/// Synapses whose w_after sits at a bound of the weightBits range (possibly clipped) are
/// counted as saturated and not compared. Synapses with x1 == 0 or factor == 0 must keep
/// their weight (any change is counted as unexpected).
///
/// Per weight layer (post layer - 1) the check reports: compared synapse updates n, max |e|,
/// mean e, its standard error SE = sqrt(sum p (1 - p)) / n (exact for independent rounding
/// draws, not estimated from e), mean |d|, and cos(r, d) over all compared updates beside the
/// cosine unbiased rounding predicts, sqrt(sum d^2 / (sum d^2 + sum p (1 - p))). A layer passes iff
/// max |e| < 1, |mean e| <= biasSigmas * SE (+ 1e-12), no unexpected change and no malformed
/// observation; the whole check also needs at least one compared update.
public struct ChipUpdateLayerStats: Sendable, Equatable {
    /// Weight layer index (0 = input -> first hidden), as in the gradcheck table.
    public var layer: Int
    public var observations = 0
    public var updated = 0
    public var saturated = 0
    public var unexpectedChanges = 0
    public var malformed = 0
    public var maxAbsError = 0.0
    public var sumError = 0.0
    /// Sum over compared updates of p (1 - p), p = frac(d): the variance of sum e.
    public var sumVariance = 0.0
    public var sumChipFloat = 0.0
    public var sumChipSquared = 0.0
    public var sumFloatSquared = 0.0
    public var sumAbsFloat = 0.0

    public init(layer: Int) { self.layer = layer }

    public var meanError: Double { updated > 0 ? sumError / Double(updated) : 0 }
    public var standardError: Double { updated > 0 ? sumVariance.squareRoot() / Double(updated) : 0 }
    public var cosine: Double {
        sumChipSquared > 0 && sumFloatSquared > 0 ? sumChipFloat / (sumChipSquared.squareRoot() * sumFloatSquared.squareRoot()) : 0
    }
    /// Mean |d|: the float update's size in LSBs (small |d| = updates mostly rounding).
    public var meanAbsFloat: Double { updated > 0 ? sumAbsFloat / Double(updated) : 0 }
    /// The cosine unbiased rounding leads to expect: E[r d] = sum d^2, E[r^2] = sum d^2 +
    /// sum p (1 - p), so cos(r, d) ~ sqrt(sum d^2 / (sum d^2 + sum p (1 - p))) for many updates.
    public var expectedCosine: Double {
        sumFloatSquared > 0 ? (sumFloatSquared / (sumFloatSquared + sumVariance)).squareRoot() : 0
    }
    /// |mean e| in standard errors (0 when both are 0; infinite when SE = 0 but mean != 0).
    public var biasSigmas: Double {
        let m = abs(meanError)
        if m <= 1e-12 { return 0 }
        return standardError > 0 ? m / standardError : .infinity
    }

    /// Failed conditions (empty = passed).
    public func failures(biasSigmas limit: Double) -> [String] {
        var f: [String] = []
        if maxAbsError >= 1 { f.append(String(format: "layer %d: max |chip - float| = %.4g LSB >= 1", layer, maxAbsError)) }
        if abs(meanError) > limit * standardError + 1e-12 {
            f.append(String(format: "layer %d: mean error %.4g LSB is %.1f standard errors (%.3g) from 0 (limit %.1f)", layer, meanError, biasSigmas, standardError, limit))
        }
        if unexpectedChanges > 0 { f.append("layer \(layer): \(unexpectedChanges) synapses changed with x1 = 0 or factor = 0") }
        if malformed > 0 { f.append("layer \(layer): \(malformed) observations with inconsistent sizes") }
        return f
    }
}

public struct ChipUpdateCheck: Sendable {
    /// Allowed |mean error| in standard errors (4: a false alarm rate of about 6e-5 per layer).
    public var biasSigmas: Double
    public private(set) var layers: [ChipUpdateLayerStats] = []

    public init(biasSigmas: Double = 4) { self.biasSigmas = biasSigmas }

    /// Adds one observed block update (layer = the post population's layer; weight layer = layer - 1).
    public mutating func add(_ o: ForwardUpdateObservation) {
        let weightLayer = o.layer - 1
        var s: ChipUpdateLayerStats
        if let k = layers.firstIndex(where: { $0.layer == weightLayer }) { s = layers.remove(at: k) } else { s = ChipUpdateLayerStats(layer: weightLayer) }
        defer { layers.append(s); layers.sort { $0.layer < $1.layer } }
        s.observations += 1
        let nPre = o.x1.count, nPost = o.factor.count
        guard nPre * nPost == o.weightsBefore.count, o.weightsBefore.count == o.weightsAfter.count, o.weightBits >= 2, o.weightBits <= 16,
              o.etaShift >= 0, o.etaShift < 63 else {
            s.malformed += 1
            return
        }
        let hi = Int64(FixedPoint.signedMax(bits: o.weightBits)), lo = Int64(FixedPoint.signedMin(bits: o.weightBits))
        let scale = 1.0 / Double(UInt64(1) << UInt64(o.etaShift))
        for i in 0..<nPre {
            let x = Int64(o.x1[i])
            for j in 0..<nPost {
                let k = i * nPost + j
                let before = Int64(o.weightsBefore[k]), after = Int64(o.weightsAfter[k])
                let f = Int64(o.factor[j])
                if x == 0 || f == 0 {
                    if before != after { s.unexpectedChanges += 1 }
                    continue
                }
                if after == hi || after == lo { s.saturated += 1; continue }
                let d = Double(x * f) * scale
                let r = Double(before - after)
                let e = r - d
                let p = d - d.rounded(.down)
                s.updated += 1
                s.maxAbsError = max(s.maxAbsError, abs(e))
                s.sumError += e
                s.sumVariance += p * (1 - p)
                s.sumChipFloat += r * d
                s.sumChipSquared += r * r
                s.sumFloatSquared += d * d
                s.sumAbsFloat += abs(d)
            }
        }
    }

    public var totalUpdated: Int { layers.reduce(0) { $0 + $1.updated } }

    /// Failed conditions over all layers (empty = passed).
    public var failures: [String] {
        var f = layers.flatMap { $0.failures(biasSigmas: biasSigmas) }
        if totalUpdated == 0 { f.append("no forward-weight update was observed (nothing compared)") }
        return f
    }

    public var passed: Bool { failures.isEmpty }

    /// Runs the experiment's on-chip rule (its learning section) in training mode over the
    /// first `samples` training samples with the observation hook set, and checks every
    /// forward update. `rule` overrides the learning section's rule.
    public static func run(experiment: ExperimentConfig, samples: Int, rule: ErrorBroadcastParameters.Kind? = nil,
                           biasSigmas: Double = 4) throws -> ChipUpdateCheck {
        var check = ChipUpdateCheck(biasSigmas: biasSigmas)
        try observe(experiment: experiment, samples: samples, rule: rule) { check.add($0) }
        return check
    }

    /// Trains the chip on the first `samples` training samples with the experiment's learning
    /// section (rule overridden by `rule`) and hands every forward update to `body`.
    public static func observe(experiment: ExperimentConfig, samples: Int, rule: ErrorBroadcastParameters.Kind? = nil,
                               _ body: @escaping (ForwardUpdateObservation) -> Void) throws {
        guard var learning = experiment.learning else {
            throw ChipError.config(file: experiment.file, path: "$.learning", message: "the chip update check needs an on-chip learning section")
        }
        if let rule, case var .object(kv) = learning {
            if let i = kv.firstIndex(where: { $0.0 == "rule" }) { kv[i].1 = .string(rule.rawValue) } else { kv.append(("rule", .string(rule.rawValue))) }
            learning = .object(kv)
        }
        let parameters = try LearningConfig.decode(learning, file: experiment.file)
        let (trainSource, _) = try Experiment.sources(for: experiment)
        guard let train = trainSource else {
            throw ChipError.config(file: experiment.file, path: "$.input", message: "the chip update check needs a dataset input with a training split")
        }
        let sim = Simulator(chip: try Chip(config: experiment))
        let ebr = ErrorBroadcastRule(parameters)
        try sim.attach(rule: ebr)
        ebr.observeForwardUpdate = body
        sim.training = true
        for s in 0..<min(samples, train.samples) { sim.runSample(s, source: train) }
        ebr.observeForwardUpdate = nil
    }
}
