import Foundation
import ChipModel

/// `chipsim gradcheck CONFIG`: the gradient check (GradCheck) on an experiment's own twin.
///
/// The twin is CompareRunner.twinConfig of the experiment (its sizes, T, du / dv, reset and
/// seed; compare's default theta 1, hidden init scale 2, surrogate half-width 0.5; the same
/// topology restrictions as `chipsim compare`). The data are the first N training samples as
/// the twin encodes them: the twin draws channel c with probability round(x_c 65536) / 65536
/// per step, so
///   rate encoder:       x_c = pixel_c / 255                (the chip: pixel / 255)
///   population encoder: x_{f n + j} = numerator(p_f, j) / 65536, the chip's exact
///                       receptive-field probability of channel j of feature f
/// Other encoders (latency, DVS) and spike traces are refused: the twin cannot reproduce them.
/// Rules: the experiment's on-chip rule first, then its float-twin siblings.
public struct ConfigGradCheck {
    public var network: TwinConfig
    public var data: FloatDataset
    public var chipRule: ErrorBroadcastParameters.Kind
    /// The experiment's rule first, then the other online / perturbative twins of the family.
    public var rules: [TwinRule]

    public static let family: [TwinRule] = [.opzo, .dfa, .readout, .zo_sp, .mgd_np, .mgd_wp, .fwd_grad, .bptt]

    /// `rule` overrides the experiment's learning rule (the chip's and the first twin row).
    public init(experiment: ExperimentConfig, samples: Int, rule: ErrorBroadcastParameters.Kind? = nil) throws {
        let runner = try CompareRunner(config: try CompareConfig(experiment: experiment))
        network = runner.twinConfig
        chipRule = rule ?? runner.config.onChipRules[0]
        let first = TwinRule(rawValue: chipRule.rawValue)!
        rules = [first] + Self.family.filter { $0 != first }
        var train = try runner.floatData().train
        if samples < train.count { train = train.slice(0..<max(1, samples)) }
        guard case let .dataset(_, e, _, _) = experiment.input else { preconditionFailure("floatData checked the input") }
        let enc = try e.map { try EncoderSpec(json: JSONReader($0, file: experiment.file, path: "$.input.encoder")) }
            ?? .rate(steps: experiment.run.steps, seed: 0)
        switch enc {
        case .rate: break
        case let .population(steps, neurons, maxRate, seed):
            let p = PopulationEncoder(steps: steps, neurons: neurons, maxRate: maxRate, seed: seed)
            let n = p.neurons
            var x = [Float](repeating: 0, count: train.count * train.features * n)
            for s in 0..<train.count {
                for f in 0..<train.features {
                    let pixel = Int((train.x[s * train.features + f] * 255).rounded())
                    for j in 0..<n { x[(s * train.features + f) * n + j] = Float(p.numerators[pixel * n + j]) / 65536 }
                }
            }
            train = FloatDataset(features: train.features * n, classes: train.classes, x: x, y: train.y)
        default:
            throw ChipError.config(file: experiment.file, path: "$.input.encoder.kind",
                                   message: "gradcheck needs a rate or population encoder (the twin encodes features as per-step spike probabilities)")
        }
        guard train.features == network.sizes[0] else {
            throw ChipError.config(file: experiment.file, path: "$.input",
                                   message: "the encoded dataset has \(train.features) channels but the input layer has \(network.sizes[0])")
        }
        data = train
    }
}
