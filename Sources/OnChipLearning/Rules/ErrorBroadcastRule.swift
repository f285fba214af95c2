import ChipModel

// OPZO and the rules that share its machinery (docs/LEARNING.md): DFA (fixed random feedback),
// readout-only (hidden frozen, the floor that shows whether hidden layers learn), ZO_sp
// (single-point zeroth order) and MGD-NP (ZO_sp without the surrogate gate). Each is a spec,
// configs/rules/<name>.json, run by the schedule interpreter (Rules/Engine/ScheduledRule.swift);
// the schedule of one training step is in the spec and in docs/LEARNING.md ("One training
// step"). What stays here is the typed form of the family's parameters, which the learning
// section decodes into (Training/LearningConfig.swift) and which code and tests may set.

public struct ErrorBroadcastParameters: Equatable, Sendable {
    public enum Kind: String, CaseIterable, Sendable {
        case opzo, dfa, readout
        case zoSP = "zo_sp"
        case mgdNP = "mgd_np"
        var usesNoise: Bool { self == .opzo || self == .zoSP || self == .mgdNP }
        var scalarLoss: Bool { self == .zoSP || self == .mgdNP }
    }
    public enum Noise: String, CaseIterable, Sendable { case gaussian, rademacher }
    public var kind: Kind = .opzo
    public var noise: Noise = .rademacher
    /// Noise amplitude in weight units (added to a_in before << 6).
    public var alpha: Int = 8
    public var lambdaShift: Int = 17
    public var productShift: Int = 4
    public var gShift: Int = 20
    /// > 0: normalise g per core so that max |g| has this many bits (block floating point).
    public var gNormalise: Int = 0
    /// ZO_sp / mgd_np: g_i = ((L - b) z_i) >> zoShift.
    public var zoShift: Int = 6
    public var etaHidden: Int = 14
    public var etaReadout: Int = 12
    /// psi window on the pre-reset voltage: |v - vth << 6| < psiWidth.
    public var psiWidth: Int = 12800
    /// Learning epoch in steps: 1 = update the forward weights every step; > 1 = accumulate
    /// each neuron's (psi-gated) modulator in r3 and update once per epoch (and at the
    /// sample's last step) from x1 at that step.
    public var tEpoch: Int = 1
    /// Burn-in: steps of each sample before this one learn nothing (no error packets, no
    /// momentum, no forward update); only psi is tracked. Their error reflects a network that
    /// has not yet responded to the input, and with tEpoch > 1 it would be paired with the
    /// trace at the epoch's end.
    public var learnFrom: Int = 0
    /// OPZO: false = a new noise draw every step and the momentum updated every step from
    /// o[t] z[t-1]; true = one noise draw per learning epoch, held for its steps, and the
    /// momentum updated once per epoch from z and the epoch's summed output (sum_t o[t]).
    public var holdNoise: Bool = false
    /// Where the noise enters: false = pre-neuron (a_in += z, the default: spikes stay binary);
    /// true = post-neuron: each hidden neuron's output becomes graded, s_i + z_i / 256 (z in
    /// 1/256 of a spike), sent as a graded packet every step; the next layer integrates
    /// sum_i w_ki (s_i + z_i / 256): the spike part as usual, the noise part as
    /// shift((sum_i w_ki z_i) >> 8, weightExponent) added to a_in one step later.
    public var postNeuronNoise: Bool = false
    public var auxBits: Int = 32
    /// DFA: feedback weights uniform in [-dfaScale, dfaScale] (aux units).
    public var dfaScale: Int = 1 << 20
    /// OPZO: initial M: 0 (default) or, with mInitScale > 0, uniform in [-mInitScale, mInitScale]
    /// (aux units, the same keyed draw as DFA's fixed feedback).
    public var mInitScale: Int = 0
    public var loss = LossUnitParameters()
    public var trace = TraceParameters(bits: 8, decay: 410, impulse: 24, rounding: .stochastic)
    public init() {}
}

/// The error-broadcast rules are scheduled rules built from their shipped specs.
public typealias ErrorBroadcastRule = ScheduledRule

extension ScheduledRule {
    /// The shipped spec of `p.kind` with `p`'s values (every parameter, by name).
    public convenience init(_ p: ErrorBroadcastParameters) {
        var entries: [(String, JSONValue)] = []
        if case let .object(kv) = LearningConfig.json(p) { entries = kv.filter { $0.0 != "rule" } }
        do {
            self.init(spec: try BuiltinRuleSpecs.spec(named: p.kind.rawValue), values: RuleParameterValues(entries: entries))
        } catch {
            self.init(spec: RuleSpec.empty(p.kind.rawValue), values: RuleParameterValues(entries: entries), deferredError: error)
        }
    }
}

/// One forward-weight update as the plasticity unit ran it: w -= sround(x1[i] * factor[j], eta)
/// for every synapse (i, j) with x1[i] != 0 and factor[j] != 0 (then saturated to weightBits).
/// factor is the modulator gated by psi[t-d] in r2 (every step; d = 1 but for hidden layers
/// further from the readout, docs/LEARNING.md "Depth") or the epoch accumulator r3.
public struct ForwardUpdateObservation: Sendable {
    public var layer: Int
    public var block: Int
    public var globalStep: Int
    public var etaShift: Int
    public var x1: ContiguousArray<Int32>
    public var factor: ContiguousArray<Int32>
    public var weightsBefore: ContiguousArray<Int16>
    public var weightsAfter: ContiguousArray<Int16>
    public var weightBits: Int
}
