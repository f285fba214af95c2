import ChipModel

// The "perturbation" section of a rule spec (docs/LEARNING.md, "Rules as specs" and "Weight
// perturbation on chip"): weight perturbation's perturbed synapses and its two periods.
//
//   "perturbation": {"outputIf": "readout == perturb", "auxBits": "$auxBits", "margin": ["$delta"],
//                    "period": "$tauP", "update": "$tauTheta", "updateEveryPeriod": false,
//                    "rate": "$eta", "gamma": "$gamma", "productShift": "$productShift"}
//
// - perturbed blocks: every incoming forward block of every hidden population, and of the
//   output populations when `outputIf` holds (absent: never). Each gets `auxBits`-wide aux
//   registers (the gradient accumulators G, counted in the core's synapse memory), and its
//   clean weights are kept in [wmin + margin, wmax - margin] (margin = the product of the
//   numbers, the largest |code|), so W + c never saturates and the restore is exact.
// - period (tauP) and update (tauTheta), in steps: 0 means one sample (run.steps); the period
//   must divide run.steps, the update must be a multiple of the period (equal to it with
//   `updateEveryPeriod`). The resolved values replace 0 in the rule's parameters (the report
//   shows steps).
// - programs may use, per perturbed layer: "@layerRate" = clamp(rate + halvings in force +
//   (gamma ? round(log2 Gamma_l) : 0), 0, 62), Gamma_l = sqrt(1/N_l + 1/n - 1/(N_l n)), N_l the
//   layer's perturbed synapses, n = update / period; "@cleanMin" / "@cleanMax" = wmin + margin /
//   wmax - margin of the block's weight width; and "@roundingHalf" = 2^(productShift - 1)
//   (0 when productShift is 0).

extension RuleSpec {
    public struct Perturbation: Sendable {
        public var output: RuleCondition?
        public var auxBits: RuleNumber
        public var margin: [RuleNumber]
        public var period: RuleNumber
        public var update: RuleNumber
        public var updateEveryPeriod: Bool
        public var rate: RuleNumber
        public var gamma: RuleNumber
        public var productShift: RuleNumber

        static func read(_ r: JSONReader, spec: RuleSpecContext) throws -> Perturbation {
            let output = try r.optionalString("outputIf").map { try RuleCondition.parse($0, parameters: spec.parameters, file: r.file, path: "\(r.path).outputIf") }
            let marginItems = try r.array("margin")
            guard !marginItems.isEmpty else { throw r.error("margin", "expected at least one factor (the largest |code| is their product)") }
            let margin = try marginItems.enumerated().map { i, v in try RuleStepReader.number(v, file: r.file, path: "\(r.path).margin[\(i)]", spec: spec) }
            let p = Perturbation(output: output, auxBits: try RuleStepReader.number(r, "auxBits", spec: spec), margin: margin,
                                 period: try RuleStepReader.number(r, "period", spec: spec), update: try RuleStepReader.number(r, "update", spec: spec),
                                 updateEveryPeriod: try r.bool("updateEveryPeriod", default: false),
                                 rate: try RuleStepReader.number(r, "rate", spec: spec), gamma: try RuleStepReader.number(r, "gamma", spec: spec),
                                 productShift: try RuleStepReader.number(r, "productShift", spec: spec))
            try r.rejectUnknownKeys()
            return p
        }
    }
}

extension RuleParameterValues {
    /// The values with the perturbation's period and update resolved against the sample length
    /// run.steps (0 = one sample) and checked; unchanged for a spec without "perturbation".
    /// Errors name the learning-section key ($.learning.tauP).
    public func resolvingPeriods(of spec: RuleSpec, sampleSteps T: Int, file: String) throws -> RuleParameterValues {
        guard let p = spec.perturbation else { return self }
        var out = self
        let (period, update) = try RuleParameterValues.periods(p, spec: spec, sampleSteps: T, file: file) { n in
            if case let .parameter(name) = n { return int(name) }
            if case let .literal(x) = n { return x }
            return 0
        }
        out.set(p.period, period)
        out.set(p.update, update)
        return out
    }

    mutating func set(_ n: RuleNumber, _ v: Int) {
        guard case let .parameter(name) = n, let i = entries.firstIndex(where: { $0.0 == name }) else { return }
        var e = entries
        e[i].1 = .int(v)
        self = RuleParameterValues(entries: e)
    }

    /// (period, update) in steps: 0 means T; the period divides T; the update is a multiple
    /// of the period (equal with updateEveryPeriod).
    static func periods(_ p: RuleSpec.Perturbation, spec: RuleSpec, sampleSteps T: Int, file: String,
                        value: (RuleNumber) -> Int) throws -> (Int, Int) {
        func path(_ n: RuleNumber, _ field: String) -> String {
            if case let .parameter(name) = n { return "$.learning.\(name)" }
            return "$.perturbation.\(field)"
        }
        func name(_ n: RuleNumber, _ field: String) -> String {
            if case let .parameter(name) = n { return name }
            return field
        }
        var period = value(p.period)
        if period == 0 { period = T }
        if period < 1 || T % period != 0 {
            throw ChipError.config(file: file, path: path(p.period, "period"), message: "must divide the sample length run.steps = \(T) (0 = one sample), found \(period)")
        }
        var update = value(p.update)
        if update == 0 { update = period }
        if update % period != 0 {
            throw ChipError.config(file: file, path: path(p.update, "update"), message: "must be a multiple of \(name(p.period, "period")) = \(period), found \(update)")
        }
        if p.updateEveryPeriod && update != period {
            throw ChipError.config(file: file, path: path(p.update, "update"),
                                   message: "\(spec.name) updates once per perturbation: \(name(p.update, "update")) must equal \(name(p.period, "period")) = \(period) (or be omitted), found \(update)")
        }
        return (period, update)
    }
}
