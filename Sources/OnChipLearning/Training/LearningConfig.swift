import ChipModel

// The "learning" and "training" sections of an experiment config, decoded strictly.

public enum LearningConfig {
    public static let docs = SectionDoc("$.learning", "On-chip learning rule (docs/LEARNING.md). OPZO and its siblings are rule specs (configs/rules/<rule>.json) run by one schedule interpreter: noise, an output error unit, graded packets, feedback synapses and three-factor microcode; the keys below are their parameters.", [
        KeyDoc("rule", "\"opzo\" | \"dfa\" | \"readout\" | \"zo_sp\" | \"mgd_np\"", "\"opzo\"", "opzo: learned momentum feedback from one noisy forward pass; dfa: fixed random feedback; readout: only the readout learns (hidden frozen); zo_sp: broadcast scalar loss x own noise; mgd_np: zo_sp without the surrogate gate (node perturbation, tau_p = tau_theta = 1 step)."),
        KeyDoc("spec", "path or object", "(none: the shipped spec of \"rule\")", "A rule spec of your own (docs/LEARNING.md, \"Rules as specs\"): a JSON file path, relative to the config, or the spec inline. The section's other keys override its parameters' defaults; \"rule\" may be left out. The shipped specs are configs/rules/<rule>.json."),
        KeyDoc("zoShift", "integer 0...40", "6", "zo_sp / mgd_np: g_i = ((L - b) z_i) >> zoShift."),
        KeyDoc("noise", "\"rademacher\" | \"gaussian\"", "\"rademacher\"", "OPZO: noise z injected into the hidden neurons' input (pre-neuron) or output (post-neuron, see noisePlacement)."),
        KeyDoc("noisePlacement", "\"pre\" | \"post\"", "\"pre\"", "pre: a_in += alpha z before the neuron update (spikes stay binary); post: each hidden output becomes graded, s + alpha z / 256 (alpha in 1/256 of a spike), sent as a graded packet every step and integrated by the next layer one step later."),
        KeyDoc("alpha", "integer 0...4096", "8", "OPZO: noise amplitude in weight units (a_in += alpha z before the << 6 alignment)."),
        KeyDoc("lambdaShift", "integer 1...30", "17", "OPZO: momentum lambda = 1 - 2^-lambdaShift per step."),
        KeyDoc("productShift", "integer 0...40", "4", "OPZO: the momentum's new term is (o_k z_i) >> productShift."),
        KeyDoc("gShift", "integer 0...62", "20", "Top-down error g_i = sat16((sum_k M_ik e_k) >> gShift) (when gNormalise is 0)."),
        KeyDoc("gNormalise", "integer 0...15", "0", "> 0: per-core block floating point: shift so that the core's largest |g| has gNormalise bits (scale-free, like an adaptive optimiser's normalisation)."),
        KeyDoc("etaHidden", "integer 1...31", "14", "Hidden learning rate 2^-etaHidden: w -= sround(x1 g, etaHidden) where psi = 1."),
        KeyDoc("etaReadout", "integer 1...31", "12", "Readout learning rate 2^-etaReadout: w -= sround(x1 e, etaReadout)."),
        KeyDoc("psiWidth", "integer >= 0", "12800", "Surrogate psi = 1 when |v_pre-reset - vth << 6| < psiWidth, else 0."),
        KeyDoc("tEpoch", "integer 1...1024", "1", "Learning epoch in steps: 1 = forward weights updated every step; > 1 = each neuron accumulates its psi-gated modulator in r3 and the weights are updated once per epoch (and at the sample's last step) with w -= sround(x1 r3, eta), x1 taken at that step (fewer synapse programs: faster, and one rounding per epoch)."),
        KeyDoc("learnFrom", "integer >= 0", "0", "Burn-in: steps of each sample before this step learn nothing (no error packets, momentum or forward update; psi is computed at the last burn-in step). The first steps' error reflects a network that has not yet responded to the input; with tEpoch > 1 it would be paired with the trace at the epoch's end."),
        KeyDoc("holdNoise", "boolean", "false", "OPZO: false = new noise every step, momentum updated every step from o[t] z[t-1]; true = one noise draw per learning epoch (tEpoch), held for its steps, and the momentum updated once per epoch from z and the epoch's summed output (fewer feedback-synapse programs; scale lambdaShift and productShift accordingly)."),
        KeyDoc("auxBits", "integer 8...32", "32", "Width of the feedback synapses' M registers."),
        KeyDoc("dfaScale", "integer >= 1", "1048576", "DFA: fixed feedback weights uniform in [-dfaScale, dfaScale]."),
        KeyDoc("mInitScale", "integer >= 0", "0", "OPZO: initial momentum feedback M: 0 everywhere (0), or uniform in [-mInitScale, mInitScale] (aux units; drawn like DFA's fixed feedback). The MNIST-5k figures in docs/LEARNING.md for 6e6 and 6e7 were measured while this draw was defective (every entry -mInitScale) and are withdrawn; M starts at 0 by default."),
        KeyDoc("loss", "object", "see $.learning.loss", "The output core's loss-gradient unit."),
        KeyDoc("trace", "object", "see $.learning.trace", "Presynaptic traces x1."),
    ])
    public static let lossDocs = SectionDoc("$.learning.loss", "Loss-gradient unit: e = (ceWeight (softmax(o >> outputShift) - y) + mseWeight (o' - y)) / 64 (Learning/LossUnit.swift).", [
        KeyDoc("outputShift", "integer 0...24", "10", "Readout v >> outputShift gives logits in 1/2^lutFracBits units."),
        KeyDoc("ceWeight", "integer 0...64", "61", "Cross-entropy share in 64ths."),
        KeyDoc("mseWeight", "integer 0...64", "3", "MSE share in 64ths (ceWeight + mseWeight = 64)."),
    ])
    public static let traceDocs = SectionDoc("$.learning.trace", "Presynaptic trace x1 (Plasticity/TraceUnit.swift): x = round(x (4096 - decay) / 4096) + impulse s, saturated.", [
        KeyDoc("bits", "integer 1...16", "8", "Trace width."),
        KeyDoc("decay", "integer 0...4096", "410", "Decay per step (410 ~ 10%: the neuron leak gamma = 0.9)."),
        KeyDoc("impulse", "integer >= 0", "24", "Added per presynaptic spike."),
        KeyDoc("rounding", "\"stochastic\" | \"floor\"", "\"stochastic\"", "Rounding of the decay."),
    ])

    public static func decode(_ v: JSONValue, file: String) throws -> ErrorBroadcastParameters {
        let r = try JSONReader(v, file: file, path: "$.learning")
        var p = ErrorBroadcastParameters()
        p.kind = ErrorBroadcastParameters.Kind(rawValue: try r.string("rule", default: "opzo", oneOf: ErrorBroadcastParameters.Kind.allCases.map(\.rawValue)))!
        p.postNeuronNoise = try r.string("noisePlacement", default: "pre", oneOf: ["pre", "post"]) == "post"
        p.noise = ErrorBroadcastParameters.Noise(rawValue: try r.string("noise", default: "rademacher", oneOf: ErrorBroadcastParameters.Noise.allCases.map(\.rawValue)))!
        p.alpha = try r.int("alpha", default: p.alpha, range: 0...4096)
        p.lambdaShift = try r.int("lambdaShift", default: p.lambdaShift, range: 1...30)
        p.productShift = try r.int("productShift", default: p.productShift, range: 0...40)
        p.gShift = try r.int("gShift", default: p.gShift, range: 0...62)
        p.gNormalise = try r.int("gNormalise", default: p.gNormalise, range: 0...15)
        p.zoShift = try r.int("zoShift", default: p.zoShift, range: 0...40)
        p.etaHidden = try r.int("etaHidden", default: p.etaHidden, range: 1...31)
        p.etaReadout = try r.int("etaReadout", default: p.etaReadout, range: 1...31)
        p.psiWidth = try r.int("psiWidth", default: p.psiWidth, range: 0...(1 << 24))
        p.tEpoch = try r.int("tEpoch", default: p.tEpoch, range: 1...1024)
        p.learnFrom = try r.int("learnFrom", default: p.learnFrom, range: 0...100_000)
        p.holdNoise = try r.bool("holdNoise", default: p.holdNoise)
        if p.holdNoise && p.tEpoch < 2 {
            // o[t] reflects the noise of step t-1: a one-step epoch would pair it with the wrong draw.
            throw r.error("holdNoise", "holds the noise over a learning epoch; set tEpoch to 2 or more (e.g. the sample's steps)")
        }
        p.auxBits = try r.int("auxBits", default: p.auxBits, range: 8...32)
        p.dfaScale = try r.int("dfaScale", default: p.dfaScale, range: 1...(1 << 30))
        p.mInitScale = try r.int("mInitScale", default: p.mInitScale, range: 0...(1 << 30))
        p.loss = try RuleParameter.loss(from: r.optionalObject("loss"), default: p.loss)
        p.trace = try TraceConfig.decode(r.optionalObject("trace"), default: p.trace)
        try r.rejectUnknownKeys()
        return p
    }

    public static func json(_ p: ErrorBroadcastParameters) -> JSONValue {
        .object([("rule", .string(p.kind.rawValue)), ("noise", .string(p.noise.rawValue)), ("noisePlacement", .string(p.postNeuronNoise ? "post" : "pre")), ("alpha", .int(p.alpha)),
                 ("lambdaShift", .int(p.lambdaShift)), ("productShift", .int(p.productShift)), ("gShift", .int(p.gShift)), ("gNormalise", .int(p.gNormalise)), ("zoShift", .int(p.zoShift)),
                 ("etaHidden", .int(p.etaHidden)), ("etaReadout", .int(p.etaReadout)), ("psiWidth", .int(p.psiWidth)), ("tEpoch", .int(p.tEpoch)), ("learnFrom", .int(p.learnFrom)), ("holdNoise", .bool(p.holdNoise)),
                 ("auxBits", .int(p.auxBits)), ("dfaScale", .int(p.dfaScale)), ("mInitScale", .int(p.mInitScale)),
                 ("loss", .object([("outputShift", .int(p.loss.outputShift)), ("ceWeight", .int(p.loss.ceWeight)), ("mseWeight", .int(p.loss.mseWeight))])),
                 ("trace", TraceConfig.json(p.trace))])
    }
}

public struct TrainingConfig: Equatable, Sendable {
    public var epochs: Int = 1
    public var trainLimit: Int = 0
    public var testLimit: Int = 0
    public var shuffle: Bool = true
    public var halveRateEvery: Int = 0
    /// Mid-epoch checkpoints: one after every N training samples of an epoch (0 = at epoch ends only).
    public var checkpointEvery: Int = 0

    public static let docs = SectionDoc("$.training", "On-chip training: epochs over the dataset's train split, test-split evaluation (inference, no learning) after each epoch.", [
        KeyDoc("epochs", "integer 1...1000", "1", "Passes over the training split."),
        KeyDoc("trainLimit", "integer >= 0", "0", "Use only the first N training samples (0 = all)."),
        KeyDoc("testLimit", "integer >= 0", "0", "Evaluate only the first N test samples (0 = all)."),
        KeyDoc("shuffle", "boolean", "true", "Visit training samples in a new order each epoch (PRNG stream shuffle, keyed by epoch)."),
        KeyDoc("halveRateEvery", "integer >= 0", "0", "Halve the learning rates (eta shifts + 1) every N epochs (0 = never)."),
        KeyDoc("checkpointEvery", "integer >= 0", "0", "Also write the checkpoint after every N training samples within an epoch (0 = only after each epoch); `--resume` continues at the next sample with the same report (docs/LEARNING.md, \"Checkpoints\"). Resume with the same value: it is part of the config the checkpoint was written for."),
    ])

    public init() {}

    public static func decode(_ v: JSONValue?, file: String) throws -> TrainingConfig {
        var c = TrainingConfig()
        guard let v else { return c }
        let r = try JSONReader(v, file: file, path: "$.training")
        c.epochs = try r.int("epochs", default: 1, range: 1...1000)
        c.trainLimit = try r.int("trainLimit", default: 0, range: 0...100_000_000)
        c.testLimit = try r.int("testLimit", default: 0, range: 0...100_000_000)
        c.shuffle = try r.bool("shuffle", default: true)
        c.halveRateEvery = try r.int("halveRateEvery", default: 0, range: 0...1000)
        c.checkpointEvery = try r.int("checkpointEvery", default: 0, range: 0...100_000_000)
        try r.rejectUnknownKeys()
        return c
    }

    /// `checkpointEvery` only when set: resolved configs (and so checkpoints' config identity)
    /// of runs without it stay as they were.
    public var json: JSONValue {
        .object([("epochs", .int(epochs)), ("trainLimit", .int(trainLimit)), ("testLimit", .int(testLimit)), ("shuffle", .bool(shuffle)), ("halveRateEvery", .int(halveRateEvery))]
                + (checkpointEvery > 0 ? [("checkpointEvery", .int(checkpointEvery))] : []))
    }
}
