import ChipModel

// The "learning" section of the weight-perturbation rules (mgd_wp, fwd_grad), decoded strictly.
// The rules are specs (configs/rules/mgd_wp.json, fwd_grad.json) whose declarations are tested
// equal to this decoder; semantics in docs/LEARNING.md ("Weight perturbation on chip").

public struct WeightPerturbationParameters: Equatable, Sendable {
    public enum Kind: String, CaseIterable, Sendable {
        /// MGD weight perturbation: Rademacher codes c = +-delta.
        case mgdWP = "mgd_wp"
        /// Randomized forward gradient: Gaussian codes c = clip(round(delta z)), one update per perturbation.
        case fwdGrad = "fwd_grad"
    }
    /// How the readout (output layer's incoming synapses) learns.
    public enum Readout: String, CaseIterable, Sendable {
        /// Perturbed and updated like every other plastic synapse (pure MGD).
        case perturb
        /// Not perturbed; learns every step from the loss unit's local error (as the OPZO siblings).
        case error
    }
    public var kind: Kind = .mgdWP
    /// Perturbation amplitude in weight LSBs (c = +-delta, or Gaussian with standard deviation delta).
    public var delta: Int = 1
    /// fwd_grad: codes are clipped to +-codeClip * delta.
    public var codeClip: Int = 3
    /// Perturbation period in steps (0 = one sample, T steps). Must divide T.
    public var tauP: Int = 0
    /// Steps between weight updates (0 = tauP). A multiple of tauP; fwd_grad: equal to tauP.
    public var tauTheta: Int = 0
    /// Scale the update by 1/Gamma, Gamma = sqrt(1/N + 1/n - 1/(N n)), n = tauTheta/tauP, as a
    /// per-layer shift round(log2 Gamma) added to eta.
    public var gamma: Bool = true
    /// G += (C~ c) >> productShift (rounded to nearest, ties toward +infinity).
    public var productShift: Int = 0
    /// W -= sround(G, eta_l), eta_l = eta (+ the Gamma shift).
    public var eta: Int = 24
    public var readout: Readout = .perturb
    /// readout = "error": w -= sround(x1 e_k, etaReadout).
    public var etaReadout: Int = 24
    /// Width of the gradient accumulators G (aux registers of the forward blocks).
    public var auxBits: Int = 16
    /// Running-mean baseline b <- b + (C~ >> baselineShift).
    public var baselineShift: Int = 4
    public var loss = LossUnitParameters(outputShift: 12, ceWeight: 64, mseWeight: 0)
    public var trace = TraceParameters(bits: 8, decay: 410, impulse: 24, rounding: .stochastic)
    public init() {}

    /// Largest |code| (the margin kept free at both ends of the weight range).
    public var codeMax: Int { kind == .mgdWP ? delta : codeClip * delta }
}

public enum PerturbationConfig {
    public static let rules = WeightPerturbationParameters.Kind.allCases.map(\.rawValue)

    public static let docs = SectionDoc("$.learning (rule \"mgd_wp\" | \"fwd_grad\")", "Weight perturbation on chip (docs/LEARNING.md, \"Weight perturbation on chip\"): every plastic synapse holds a PRNG code c for tauP steps (written into its weight, restored after), the output core broadcasts C~ = C - baseline, each synapse accumulates G += C~ c in its aux register and updates W -= sround(G, eta) every tauTheta steps. Loss-unit keys as in $.learning.loss (defaults outputShift 12, ceWeight 64, mseWeight 0); trace keys as in $.learning.trace (used only with readout \"error\").", [
        KeyDoc("rule", "\"mgd_wp\" | \"fwd_grad\"", "-", "mgd_wp: MGD weight perturbation, Rademacher codes c = +-delta; fwd_grad: randomized forward gradient, Gaussian codes c = clip(round(delta z), +-codeClip delta), tauTheta = tauP."),
        KeyDoc("delta", "integer 1...64", "1", "Perturbation amplitude in weight LSBs. Clean weights are kept in [wmin + cmax, wmax - cmax] (cmax = delta, or codeClip delta) so the perturbed weight never saturates and the restore is exact."),
        KeyDoc("codeClip", "integer 1...8", "3", "fwd_grad: Gaussian codes clipped to +-codeClip delta."),
        KeyDoc("tauP", "integer >= 0", "0", "Perturbation period in steps; 0 = one sample (T = run.steps). Must divide T."),
        KeyDoc("tauTheta", "integer >= 0", "0", "Steps between weight updates; 0 = tauP. A multiple of tauP (may span samples); fwd_grad requires tauTheta = tauP."),
        KeyDoc("gamma", "boolean", "true", "MGD normalisation: eta_l = eta + round(log2 Gamma_l), Gamma_l = sqrt(1/N_l + 1/n - 1/(N_l n)), N_l synapses of layer l, n = tauTheta / tauP."),
        KeyDoc("productShift", "integer 0...30", "0", "G += (C~ c) >> productShift, rounded to nearest (ties up), saturated to auxBits."),
        KeyDoc("eta", "integer 0...40", "24", "Learning rate 2^-eta_l: W -= sround(G, eta_l), then G = 0."),
        KeyDoc("readout", "\"perturb\" | \"error\"", "\"perturb\"", "perturb: the readout synapses are perturbed like the hidden ones (pure MGD); error: they are not, and learn every step from the loss unit's error, w -= sround(x1 e, etaReadout)."),
        KeyDoc("etaReadout", "integer 1...31", "24", "readout \"error\": learning rate 2^-etaReadout."),
        KeyDoc("auxBits", "integer 8...32", "16", "Width of the G accumulators (aux registers added to every perturbed forward block, counted in synapse memory)."),
        KeyDoc("baselineShift", "integer 0...16", "4", "Baseline b <- b + (C~ >> baselineShift) (running mean of the period cost; the first period only sets b = C)."),
        KeyDoc("loss", "object", "{\"outputShift\": 12, \"ceWeight\": 64, \"mseWeight\": 0}", "The output core's loss unit (keys of $.learning.loss). The cost of a step is -ln p_label in units of 2^-14."),
        KeyDoc("trace", "object", "see $.learning.trace", "Presynaptic traces x1 (readout \"error\" only)."),
    ])

    public static func decode(_ v: JSONValue, config: ExperimentConfig) throws -> WeightPerturbationParameters {
        let file = config.file
        let r = try JSONReader(v, file: file, path: "$.learning")
        var p = WeightPerturbationParameters()
        p.kind = WeightPerturbationParameters.Kind(rawValue: try r.string("rule", oneOf: rules))!
        p.delta = try r.int("delta", default: p.delta, range: 1...64)
        p.codeClip = try r.int("codeClip", default: p.codeClip, range: 1...8)
        p.tauP = try r.int("tauP", default: 0, range: 0...(1 << 20))
        p.tauTheta = try r.int("tauTheta", default: 0, range: 0...(1 << 30))
        p.gamma = try r.bool("gamma", default: p.gamma)
        p.productShift = try r.int("productShift", default: p.productShift, range: 0...30)
        p.eta = try r.int("eta", default: p.eta, range: 0...40)
        p.readout = WeightPerturbationParameters.Readout(rawValue: try r.string("readout", default: p.readout.rawValue, oneOf: WeightPerturbationParameters.Readout.allCases.map(\.rawValue)))!
        p.etaReadout = try r.int("etaReadout", default: p.etaReadout, range: 1...31)
        p.auxBits = try r.int("auxBits", default: p.auxBits, range: 8...32)
        p.baselineShift = try r.int("baselineShift", default: p.baselineShift, range: 0...16)
        p.loss = try PerturbationConfig.decodeLoss(r.optionalObject("loss"), default: p.loss)
        p.trace = try TraceConfig.decode(r.optionalObject("trace"), default: p.trace)
        // Time constants against the sample length T.
        let T = config.run.steps
        if p.tauP == 0 { p.tauP = T }
        if p.tauP < 1 || T % p.tauP != 0 { throw r.error("tauP", "must divide the sample length run.steps = \(T) (0 = one sample), found \(p.tauP)") }
        if p.tauTheta == 0 { p.tauTheta = p.tauP }
        if p.tauTheta % p.tauP != 0 { throw r.error("tauTheta", "must be a multiple of tauP = \(p.tauP), found \(p.tauTheta)") }
        if p.kind == .fwdGrad && p.tauTheta != p.tauP { throw r.error("tauTheta", "fwd_grad updates once per perturbation: tauTheta must equal tauP = \(p.tauP) (or be omitted), found \(p.tauTheta)") }
        try r.rejectUnknownKeys()
        return p
    }

    /// The "loss" object (keys of $.learning.loss) over the given defaults.
    /// (The same decoder as the error-broadcast rules' loss parameter.)
    static func decodeLoss(_ l: JSONReader?, default d: LossUnitParameters) throws -> LossUnitParameters {
        try RuleParameter.loss(from: l, default: d)
    }

    /// The resolved section (every default filled in, tauP / tauTheta in steps).
    public static func json(_ p: WeightPerturbationParameters) -> JSONValue {
        .object([("rule", .string(p.kind.rawValue)), ("delta", .int(p.delta)), ("codeClip", .int(p.codeClip)),
                 ("tauP", .int(p.tauP)), ("tauTheta", .int(p.tauTheta)), ("gamma", .bool(p.gamma)),
                 ("productShift", .int(p.productShift)), ("eta", .int(p.eta)), ("readout", .string(p.readout.rawValue)),
                 ("etaReadout", .int(p.etaReadout)), ("auxBits", .int(p.auxBits)), ("baselineShift", .int(p.baselineShift)),
                 ("loss", .object([("outputShift", .int(p.loss.outputShift)), ("ceWeight", .int(p.loss.ceWeight)), ("mseWeight", .int(p.loss.mseWeight))])),
                 ("trace", TraceConfig.json(p.trace))])
    }
}

/// LOCO on chip (interpretation, docs/LEARNING.md "LOCO on chip"): node perturbation of the
/// hidden neurons whose presynaptic factor is projected onto the prototype of the winning
/// cluster of presynaptic activity; the readout learns from the local error.
public struct LOCOParameters: Equatable, Sendable {
    /// Node perturbation amplitude in weight units: a_in += alpha theta (before the << 6 alignment).
    public var alpha: Int = 64
    /// Number of cluster prototypes k per hidden block.
    public var clusters: Int = 8
    /// Prototype learning rate: P += (r 2^F - P) >> protoShift.
    public var protoShift: Int = 3
    /// Fraction bits F of the prototypes and of the projected activity.
    public var protoFrac: Int = 4
    /// mod_i = sat16((C~ theta_i) >> zoShift).
    public var zoShift: Int = 4
    public var etaHidden: Int = 20
    public var etaReadout: Int = 24
    public var baselineShift: Int = 4
    public var loss = LossUnitParameters(outputShift: 12, ceWeight: 64, mseWeight: 0)
    public var trace = TraceParameters(bits: 8, decay: 410, impulse: 24, rounding: .stochastic)
    public init() {}
}

public enum LOCOConfig {
    public static let docs = SectionDoc("$.learning (rule \"loco\")", "LOCO on chip, as interpreted in docs/LEARNING.md (\"LOCO on chip\"): node perturbation (theta_i = +-1 per hidden neuron, held for the sample) whose presynaptic factor is the projection of the sample's presynaptic spike counts onto the prototype of their nearest cluster (k prototypes per hidden block, learned online; the clustering and projection are the declared host step loco.projection); the readout learns from the local error; any number of hidden layers. Loss keys as in $.learning.loss, trace keys as in $.learning.trace.", [
        KeyDoc("rule", "\"loco\"", "-", "LOCO (low-rank cluster-projected node perturbation)."),
        KeyDoc("alpha", "integer 1...4096", "64", "Node perturbation a_in += alpha theta_i (weight units, before the << 6 alignment), theta_i = +-1 held for the sample."),
        KeyDoc("clusters", "integer 1...64", "8", "Prototypes k per hidden block (the rank of the update subspace); host memory of the host step loco.projection (docs/LEARNING.md, \"Host steps\")."),
        KeyDoc("protoShift", "integer 0...16", "3", "Prototype learning rate: P_c += (r 2^protoFrac - P_c) >> protoShift for the winning cluster c."),
        KeyDoc("protoFrac", "integer 0...8", "4", "Fraction bits of the prototypes and of the projected activity x^."),
        KeyDoc("zoShift", "integer 0...40", "4", "mod_i = sat16((C~ theta_i) >> zoShift)."),
        KeyDoc("etaHidden", "integer 1...31", "20", "Hidden update w -= sround(x^_j mod_i, etaHidden) once per sample."),
        KeyDoc("etaReadout", "integer 1...31", "24", "Readout w -= sround(x1 e_k, etaReadout) every step."),
        KeyDoc("baselineShift", "integer 0...16", "4", "Baseline b <- b + (C~ >> baselineShift); the first sample only sets b = C."),
        KeyDoc("loss", "object", "{\"outputShift\": 12, \"ceWeight\": 64, \"mseWeight\": 0}", "The output core's loss unit (keys of $.learning.loss)."),
        KeyDoc("trace", "object", "see $.learning.trace", "Presynaptic traces x1 (the readout's)."),
    ])

    public static func decode(_ v: JSONValue, file: String) throws -> LOCOParameters {
        let r = try JSONReader(v, file: file, path: "$.learning")
        var p = LOCOParameters()
        _ = try r.string("rule", oneOf: ["loco"])
        p.alpha = try r.int("alpha", default: p.alpha, range: 1...4096)
        p.clusters = try r.int("clusters", default: p.clusters, range: 1...64)
        p.protoShift = try r.int("protoShift", default: p.protoShift, range: 0...16)
        p.protoFrac = try r.int("protoFrac", default: p.protoFrac, range: 0...8)
        p.zoShift = try r.int("zoShift", default: p.zoShift, range: 0...40)
        p.etaHidden = try r.int("etaHidden", default: p.etaHidden, range: 1...31)
        p.etaReadout = try r.int("etaReadout", default: p.etaReadout, range: 1...31)
        p.baselineShift = try r.int("baselineShift", default: p.baselineShift, range: 0...16)
        p.loss = try PerturbationConfig.decodeLoss(r.optionalObject("loss"), default: p.loss)
        p.trace = try TraceConfig.decode(r.optionalObject("trace"), default: p.trace)
        try r.rejectUnknownKeys()
        return p
    }

    public static func json(_ p: LOCOParameters) -> JSONValue {
        .object([("rule", .string("loco")), ("alpha", .int(p.alpha)), ("clusters", .int(p.clusters)), ("protoShift", .int(p.protoShift)),
                 ("protoFrac", .int(p.protoFrac)), ("zoShift", .int(p.zoShift)), ("etaHidden", .int(p.etaHidden)),
                 ("etaReadout", .int(p.etaReadout)), ("baselineShift", .int(p.baselineShift)),
                 ("loss", .object([("outputShift", .int(p.loss.outputShift)), ("ceWeight", .int(p.loss.ceWeight)), ("mseWeight", .int(p.loss.mseWeight))])),
                 ("trace", TraceConfig.json(p.trace))])
    }
}
