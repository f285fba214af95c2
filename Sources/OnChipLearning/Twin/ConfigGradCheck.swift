import Foundation
import ChipModel

/// `chipsim gradcheck CONFIG`: the gradient check (GradCheck) on an experiment's own twin.
///
/// The twin is CompareRunner.twinConfig of the experiment (its sizes, T, du / dv, reset and
/// seed; compare's default theta 1, hidden init scale 2, surrogate half-width 0.5; the same
/// topology restrictions as `chipsim compare`). The data are the first N training samples as
/// the twin encodes them (CompareRunner.floatData: rate or population encoders only).
/// Rules: the experiment's on-chip rule first, then its float-twin siblings.
public struct ConfigGradCheck {
    public var network: TwinConfig
    public var data: FloatDataset
    public var chipRule: ErrorBroadcastParameters.Kind
    /// The chip's initial weights in twin units, per weight layer (pre-major): the twin's
    /// table starts where the chip starts. A hidden layer's w_int maps to
    /// w = w_int 2^e theta / vth (the twin's threshold theta stands for the chip's vth, as at
    /// deployment); the readout's to w = w_int 2^(e + 6) / 2^(outputShift + lutFracBits), so the
    /// twin's readout potential equals the chip loss unit's logit x_k = (o_k >> outputShift) /
    /// 2^lutFracBits before its shift rounds (the chip adds a_in << 6 to the readout current).
    public var initialWeights: [[Float]]
    /// The experiment's rule first, then the other online / perturbative twins of the family.
    public var rules: [TwinRule]

    public static let family: [TwinRule] = [.opzo, .dfa, .readout, .zo_sp, .mgd_np, .mgd_wp, .fwd_grad, .bptt]

    /// `rule` overrides the experiment's learning rule (the chip's and the first twin row).
    public init(experiment: ExperimentConfig, samples: Int, rule: ErrorBroadcastParameters.Kind? = nil) throws {
        let runner = try CompareRunner(config: try CompareConfig(experiment: experiment))
        // The rule comparison runs the dense twin: a conv or recurrent network would lose its
        // shaped and recurrent connections here (`chipsim gradcheck` checks those networks with
        // ShapedConfigGradCheck instead).
        if runner.shapedTopology != nil {
            throw ChipError.config(file: experiment.file, path: "$.network.connections",
                                   message: "the rule comparison of gradcheck needs a dense feedforward chain; this network has conv, pooling or recurrent connections (ShapedConfigGradCheck checks it)")
        }
        network = runner.twinConfig
        guard let base = rule ?? runner.config.onChipRules.first else {
            throw ChipError.config(file: experiment.file, path: "$.learning.rule", message: "gradcheck needs a rule of the OPZO family (opzo, dfa, readout, zo_sp, mgd_np)")
        }
        chipRule = base
        let first = TwinRule(rawValue: chipRule.rawValue)!
        rules = [first] + Self.family.filter { $0 != first }
        var train = try runner.floatData().train
        if samples < train.count { train = train.slice(0..<max(1, samples)) }
        data = train
        let loss = try LearningConfig.decode(experiment.learning!, file: experiment.file).loss
        let layers = experiment.network.layers
        initialWeights = try runner.chainConnections.enumerated().map { l, ci in
            let c = experiment.network.connections[ci], post = l + 1
            let scale: Double
            if post == layers.count - 1 {
                scale = pow(2, Double(c.weightExponent + 6 - loss.outputShift - loss.lutFracBits))
            } else {
                scale = pow(2, Double(c.weightExponent)) * Double(runner.config.theta) / Double(layers[post].neuron.parameters.vth)
            }
            return try Chip.initialWeights(connection: ci, of: experiment).map { Float(Double($0) * scale) }
        }
    }
}
