import Foundation
import ChipModel

// A learning rule as data (docs/LEARNING.md, "Rules as specs"): parameters, microcode programs,
// the state the rule keeps (feedback synapses), a noise source, and a schedule of hardware
// steps. The shipped rules are configs/rules/<name>.json (built in: BuiltinRuleSpecs); a
// learning section may name one ("rule": "opzo") or give its own ("spec": "file.json" or an
// inline object). Reading a spec checks everything a run would otherwise find later: unknown
// steps and units, programs that do not assemble or are missing, references to undeclared
// parameters; each error names the file, the JSON path and what was expected.

public struct RuleSpec: Sendable {
    /// The noise the PRNG unit draws for the hidden neurons, keyed by (seed, neuronNoise,
    /// layer, global step, neuron): regenerable, so no buffer holds it.
    public struct NoiseSource: Sendable {
        /// A choice parameter (rademacher | gaussian) or a literal.
        public var distribution: String
        public var amplitude: RuleNumber
        /// Held for the learning epoch (drawn at its first step) or drawn every step.
        public var hold: RuleNumber
    }
    /// Feedback synapses on every hidden core: rows (outputs) x the population's neurons, in
    /// `bits`-wide aux registers, initialised uniform in [-init, init] (0: zero).
    public struct Feedback: Sendable {
        public var rows: RuleNumber
        public var bits: RuleNumber
        public var initScale: RuleNumber
    }
    public struct Program: Sendable {
        /// The .mc text, or with `isRuleString` a Lava-style rule string (docs/MICROCODE.md);
        /// "$name" and "@name" are replaced by values when the rule is built.
        public var source: String
        public var scope: MicrocodeScope
        /// Where it came from, for assembler errors.
        public var origin: String
        /// The source is a rule string ("dw = 2^-4 * x1 * mod"), compiled by RuleStringCompiler
        /// (floor rounding, no fraction bits) into a synapse-scope program.
        public var isRuleString = false

        /// The program of `text` (the source with its references replaced).
        public func assemble(_ text: String) throws -> MicrocodeProgram {
            isRuleString ? try RuleStringCompiler.compile(text, file: origin) : try MicrocodeAssembler.assemble(text, file: origin)
        }
    }

    public var name: String
    public var file: String
    public var doc: String
    public var parameters: [RuleParameter]
    public var checks: [RuleCheck]
    public var learnFrom: RuleNumber
    public var epoch: RuleNumber
    /// The loss unit's settings (a "unit": "loss" parameter).
    public var lossParameter: String
    /// The presynaptic trace x1's settings (a "unit": "trace" parameter).
    public var traceParameter: String
    public var noiseSource: NoiseSource?
    public var feedback: Feedback?
    public var programs: [String: Program]
    /// Replacements for hidden layers whose error delay d (`@errorDelay`, outputLayer - layer)
    /// is 2 or more, by program name (each names a program of `programs`, same scope): e.g. a
    /// psi program that keeps the last d steps' psi instead of one. Layers with d = 1 and the
    /// output run `programs` unchanged.
    public var delayedPrograms: [String: Program] = [:]
    /// Weight perturbation (RuleSpec+Perturbation.swift): which forward blocks carry codes, and
    /// the perturbation and update periods. nil: the rule perturbs no weights.
    public var perturbation: Perturbation? = nil
    /// When the presynaptic trace x1 runs (nil: always); a failing condition leaves it unused.
    public var traceCondition: RuleCondition? = nil
    public var neuronInput: [RuleStep]
    public var sampleStart: [RuleStep]
    public var learn: [RuleStep]
    /// The postsynaptic trace y1's settings (traces.y1, optional: a "unit": "trace" parameter).
    public var postTraceParameter: String? = nil
    /// Aux registers (bits) on the forward blocks the spec's synapse programs run on (optional).
    public var auxBits: RuleNumber? = nil

    /// Reads the spec a learning section's "spec" names: a path (relative to `configFile`'s
    /// directory) or an inline object.
    public static func load(_ reference: JSONValue, configFile: String, path: String) throws -> RuleSpec {
        switch reference {
        case let .string(p):
            let full = RuleSpec.resolve(p, relativeTo: configFile)
            guard let data = FileManager.default.contents(atPath: full) else {
                throw ChipError.config(file: configFile, path: path, message: "cannot read the rule spec '\(full)'")
            }
            return try parse(try JSONValue.parse(data, file: full), file: full)
        case .object:
            return try parse(reference, file: configFile, path: path)
        default:
            throw ChipError.config(file: configFile, path: path, message: "expected a spec file path or an inline spec object, found \(reference.typeName)")
        }
    }

    public static func parse(_ v: JSONValue, file: String, path: String = "$") throws -> RuleSpec {
        let r = try JSONReader(v, file: file, path: path)
        let name = try r.string("rule")
        let doc = try r.string("doc", default: "")
        // Parameters first: everything else refers to them.
        let pr = try r.object("parameters")
        var parameters: [RuleParameter] = []
        for key in pr.keys {
            parameters.append(try RuleParameter.declaration(key, try pr.object(key)))
        }
        var context = RuleSpecContext(parameters: parameters, programScopes: [:], hasNoiseSource: false, hasFeedback: false)
        let checks = try (r.optionalArray("checks") == nil ? [] : r.objects("checks")).map { c -> RuleCheck in
            let check = RuleCheck(condition: try RuleCondition.parse(try c.string("if"), parameters: parameters, file: file, path: "\(c.path).if"),
                                  requirement: try RuleCondition.parse(try c.string("require"), parameters: parameters, file: file, path: "\(c.path).require"),
                                  message: try c.string("message"))
            try c.rejectUnknownKeys()
            return check
        }
        let timing = try r.object("timing")
        let learnFrom = try RuleStepReader.number(timing, "learnFrom", spec: context)
        let epoch = try RuleStepReader.number(timing, "epoch", spec: context)
        try timing.rejectUnknownKeys()
        func unitParameter(_ key: String, _ kind: RuleParameter.Kind, in reader: JSONReader) throws -> String {
            let s = try reader.string(key)
            guard s.hasPrefix("$"), let p = parameters.first(where: { $0.name == String(s.dropFirst()) }), p.kind == kind else {
                throw reader.error(key, "expected \"$name\" of a parameter with \"unit\": \"\(kind == .lossUnit ? "loss" : "trace")\", found '\(s)'")
            }
            return p.name
        }
        // A rule without a loss (STDP) leaves the loss unit out: its settings are the defaults.
        let lossParameter = r.has("lossUnit") ? try unitParameter("lossUnit", .lossUnit, in: r) : ""
        let traces = try r.object("traces")
        let traceParameter = try unitParameter("x1", .trace, in: traces)
        let traceCondition = try traces.optionalString("if").map { try RuleCondition.parse($0, parameters: parameters, file: file, path: "\(traces.path).if") }
        let postTraceParameter = traces.has("y1") ? try unitParameter("y1", .trace, in: traces) : nil
        try traces.rejectUnknownKeys()
        var auxBits: RuleNumber?
        if let a = try r.optionalObject("aux") {
            auxBits = try RuleStepReader.number(a, "bits", spec: context)
            try a.rejectUnknownKeys()
        }
        var noiseSource: NoiseSource?
        if let n = try r.optionalObject("noiseSource") {
            let d = try n.string("distribution")
            let distribution: String
            if d.hasPrefix("$") {
                guard let p = parameters.first(where: { $0.name == String(d.dropFirst()) }), case let .choice(c) = p.kind,
                      Set(c).isSubset(of: ["rademacher", "gaussian"]) else {
                    throw n.error("distribution", "'\(d)' must name a choice parameter of rademacher | gaussian")
                }
                distribution = d
            } else {
                guard ["rademacher", "gaussian"].contains(d) else { throw n.error("distribution", "'\(d)' is not allowed; expected rademacher, gaussian or \"$parameter\"") }
                distribution = d
            }
            noiseSource = NoiseSource(distribution: distribution, amplitude: try RuleStepReader.number(n, "amplitude", spec: context),
                                      hold: try RuleStepReader.number(n, "hold", spec: context))
            try n.rejectUnknownKeys()
        }
        var feedback: Feedback?
        if let f = try r.optionalObject("feedback") {
            feedback = Feedback(rows: try RuleStepReader.number(f, "rows", spec: context), bits: try RuleStepReader.number(f, "bits", spec: context),
                                initScale: try RuleStepReader.number(f, "init", spec: context))
            try f.rejectUnknownKeys()
        }
        context.hasNoiseSource = noiseSource != nil
        context.hasFeedback = feedback != nil
        let perturbation = try r.optionalObject("perturbation").map { try Perturbation.read($0, spec: context) }
        context.hasPerturbation = perturbation != nil
        // A program as lines ("source") or a .mc file ("file"), assembled once with the defaults
        // (network properties 1, @errorDelay `delay`) to check it and learn its scope.
        func readProgram(_ p: JSONReader, delay: Int) throws -> Program {
            let source: String, origin: String
            var isRuleString = false
            if let rule = try p.optionalString("ruleString") {
                guard !p.has("file") && !p.has("source") else { throw p.error("ruleString", "give one of ruleString, file and source") }
                source = rule; origin = "\(file) \(p.path).ruleString"; isRuleString = true
            } else if let f = try p.optionalString("file") {
                let full = RuleSpec.resolve(f, relativeTo: file)
                guard let data = FileManager.default.contents(atPath: full), let text = String(data: data, encoding: .utf8) else {
                    throw p.error("file", "cannot read microcode file '\(full)' (missing or not UTF-8)")
                }
                source = text; origin = full
            } else {
                guard let lines = p.optional("source") else { throw p.error("source", "missing; expected the program's lines (or \"file\")") }
                switch lines {
                case let .string(s): source = s
                case let .array(items):
                    source = try items.enumerated().map { i, v -> String in
                        guard case let .string(s) = v else { throw ChipError.config(file: file, path: "\(p.path).source[\(i)]", message: "expected a string, found \(v.typeName)") }
                        return s
                    }.joined(separator: "\n")
                default: throw p.error("source", "expected a string or an array of lines, found \(lines.typeName)")
                }
                origin = "\(file) \(p.path).source"
            }
            try p.rejectUnknownKeys()
            let text = try substitute(source, file: file, path: p.path, parameters: parameters) { ref in
                switch ref {
                case let .parameter(n): return RuleParameterValues.defaults(parameters).int(n)
                case let .network(n): return n == "errorDelay" ? delay : 1
                case let .literal(x): return x
                }
            }
            var result = Program(source: source, scope: .synapse, origin: origin, isRuleString: isRuleString)
            result.scope = try result.assemble(text).scope
            return result
        }
        var programs: [String: Program] = [:]
        let progs = try r.object("programs")
        for key in progs.keys { programs[key] = try readProgram(try progs.object(key), delay: 1) }
        var delayedPrograms: [String: Program] = [:]
        if let delayed = try r.optionalObject("delayedPrograms") {
            for key in delayed.keys {
                let p = try delayed.object(key)
                guard let base = programs[key] else {
                    throw delayed.error(key, "names no program of $.programs (defined: \(programs.keys.sorted().joined(separator: ", ")))")
                }
                let program = try readProgram(p, delay: 2)
                guard program.scope == base.scope else {
                    throw delayed.error(key, "has \(program.scope) scope; the program it replaces has \(base.scope) scope")
                }
                delayedPrograms[key] = program
            }
        }
        context.programScopes = programs.mapValues(\.scope)
        let schedule = try r.object("schedule")
        func steps(_ phase: String) throws -> [RuleStep] {
            guard schedule.has(phase) else { _ = schedule.optional(phase); return [] }
            return try schedule.objects(phase).map { try RuleStepReader.read($0, phase: phase, spec: context) }
        }
        var spec = RuleSpec(name: name, file: file, doc: doc, parameters: parameters, checks: checks, learnFrom: learnFrom, epoch: epoch,
                            lossParameter: lossParameter, traceParameter: traceParameter, noiseSource: noiseSource, feedback: feedback,
                            programs: programs, delayedPrograms: delayedPrograms,
                            neuronInput: try steps("neuronInput"), sampleStart: try steps("sampleStart"), learn: try steps("learn"))
        spec.perturbation = perturbation
        spec.traceCondition = traceCondition
        spec.postTraceParameter = postTraceParameter
        spec.auxBits = auxBits
        try schedule.rejectUnknownKeys()
        try r.rejectUnknownKeys()
        return spec
    }

    /// A path relative to the directory of `file` (absolute paths unchanged).
    static func resolve(_ path: String, relativeTo file: String) -> String {
        let dir = PathParts.directory(of: file)
        return path.hasPrefix("/") || dir.isEmpty ? path : dir + "/" + path
    }

    /// Replaces "$name" and "@name" in program text by `value`; an unknown name is an error
    /// at the program's path.
    static func substitute(_ source: String, file: String, path: String, parameters: [RuleParameter],
                           value: (RuleNumber) -> Int) throws -> String {
        var out = ""
        var chars = source[...]
        while let c = chars.first {
            chars = chars.dropFirst()
            guard c == "$" || c == "@" else { out.append(c); continue }
            let name = String(chars.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
            chars = chars.dropFirst(name.count)
            let ref: RuleNumber
            if c == "$" {
                guard let p = parameters.first(where: { $0.name == name }) else {
                    throw ChipError.config(file: file, path: "\(path).source", message: "'$\(name)' names no parameter of the spec (declared: \(parameters.map(\.name).joined(separator: ", ")))")
                }
                switch p.kind {
                case .integer, .boolean: ref = .parameter(name)
                default: throw ChipError.config(file: file, path: "\(path).source", message: "'$\(name)' is not an integer or boolean parameter")
                }
            } else {
                guard RuleNumber.networkNames.contains(name) else {
                    throw ChipError.config(file: file, path: "\(path).source", message: "'@\(name)' is not a network property; expected one of: @\(RuleNumber.networkNames.joined(separator: ", @"))")
                }
                ref = .network(name)
            }
            out += String(value(ref))
        }
        return out
    }
}

extension RuleParameterValues {
    static func defaults(_ parameters: [RuleParameter]) -> RuleParameterValues {
        RuleParameterValues(entries: parameters.map { ($0.name, $0.defaultValue) })
    }
}

extension RuleSpec {
    /// A spec with nothing in it (stands in for a built-in that could not be read; attach throws).
    static func empty(_ name: String) -> RuleSpec {
        RuleSpec(name: name, file: "<built-in rules>", doc: "", parameters: [], checks: [], learnFrom: .literal(0), epoch: .literal(1),
                 lossParameter: "", traceParameter: "", noiseSource: nil, feedback: nil, programs: [:],
                 neuronInput: [], sampleStart: [], learn: [])
    }
}
