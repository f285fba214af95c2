// The experiment config's "encoder" key (offered for `chipsim run`; strict like all config).

public enum EncoderSpec: Sendable, Equatable {
    case rate(steps: Int, seed: UInt64)
    case latency(steps: Int, minimumFeature: Int)
    case dvs(steps: Int, margin: Int, amplitude: Double, threshold: Double, epsilon: Double)
    case population(steps: Int, neurons: Int, maxRate: Double, seed: UInt64)

    public static let kinds = ["rate", "latency", "dvs", "population"]

    /// Most steps an encoder makes per sample: run.steps' limit (docs/LIMITS.md).
    public static let maxSteps = RunConfig.maxSteps

    /// Throws a usage error unless `steps` is in 1...maxSteps (for command-line options,
    /// checked before an encoder allocates a raster).
    public static func checkSteps(_ steps: Int, option: String = "--steps") throws {
        guard (1 ... maxSteps).contains(steps) else {
            throw ChipError.usage("\(option) \(steps) is out of range; expected 1...\(maxSteps) (docs/LIMITS.md)")
        }
    }

    public static let describe = """
    "encoder": how static samples become input spikes.
      {"kind": "rate", "steps": 16, "seed": 0}       Bernoulli, P(spike) = feature/255 per step
      {"kind": "latency", "steps": 16, "minimumFeature": 1}
                                                     one spike at floor((255-p)*steps/255); p < minimumFeature silent
      {"kind": "dvs", "steps": 30, "margin": 3, "amplitude": 2, "threshold": 0.2, "epsilon": 0.1}
                                                     log-intensity change events over three saccades, ON/OFF channels
      {"kind": "population", "steps": 16, "neurons": 10, "maxRate": 0.9, "seed": 0}
                                                     Gaussian receptive fields: each feature -> neurons channels (for Yin-Yang)
    """

    public init(json r: JSONReader) throws {
        let kind = try r.string("kind", oneOf: EncoderSpec.kinds)
        let steps = try r.int("steps", default: 16, range: 1 ... EncoderSpec.maxSteps)
        switch kind {
        case "rate": self = .rate(steps: steps, seed: UInt64(try r.int("seed", default: 0, range: 0 ... Int(Int64.max))))
        case "latency": self = .latency(steps: steps, minimumFeature: try r.int("minimumFeature", default: 1, range: 1 ... 255))
        case "population":
            self = .population(steps: steps, neurons: try r.int("neurons", default: 10, range: 2 ... 256),
                               maxRate: try r.double("maxRate", default: 0.9, min: 0, max: 1),
                               seed: UInt64(try r.int("seed", default: 0, range: 0 ... Int(Int64.max))))
        default:
            self = .dvs(steps: steps, margin: try r.int("margin", default: 3, range: 0 ... 64),
                        amplitude: try r.double("amplitude", default: 2, min: 0, max: 64),
                        threshold: try r.double("threshold", default: 0.2, min: 1e-6, max: 100),
                        epsilon: try r.double("epsilon", default: 0.1, min: 1e-6, max: 100))
            if case let .dvs(_, m, a, _, _) = self, a > Double(m) {
                throw r.error("amplitude", "amplitude \(a) exceeds the margin \(m): the image would leave the canvas")
            }
        }
        try r.rejectUnknownKeys()
    }

    public var steps: Int {
        switch self {
        case let .rate(s, _), let .latency(s, _), let .dvs(s, _, _, _, _), let .population(s, _, _, _): return s
        }
    }

    public func makeEncoder() -> any SpikeEncoder {
        switch self {
        case let .rate(steps, seed): return RateEncoder(steps: steps, seed: seed)
        case let .latency(steps, m): return LatencyEncoder(steps: steps, minimumFeature: m)
        case let .dvs(steps, m, a, t, e): return SaccadeDVSEncoder(steps: steps, margin: m, amplitude: a, threshold: t, epsilon: e)
        case let .population(steps, n, rate, seed): return PopulationEncoder(steps: steps, neurons: n, maxRate: rate, seed: seed)
        }
    }
}
