import ChipModel

// A rule spec's parameters (docs/LEARNING.md, "Rules as specs"): each is declared once in the
// spec with its default and what values it takes; steps and programs refer to it by name
// ("$alpha"). A learning section's keys override the defaults and are checked against the
// declarations, so a spec's parameters need no Swift.
//
//   "alpha":     {"default": 8, "range": [0, 4096]}                     integer in a range
//   "holdNoise": {"default": false}                                     boolean
//   "noise":     {"default": "rademacher", "oneOf": ["rademacher", "gaussian"]}
//   "loss":      {"default": {...}, "unit": "loss"}                     the loss unit's settings
//   "trace":     {"default": {...}, "unit": "trace"}                    a trace unit's settings
//   "etaHidden": {"default": 14, "range": [1, 31], "learningRate": true}
// A learning-rate parameter is a right shift: training.halveRateEvery adds the halvings in
// force to it (capped at 31) wherever it is used.

public struct RuleParameter: Sendable {
    public enum Kind: Sendable, Equatable {
        case integer(ClosedRange<Int>)
        case boolean
        case choice([String])
        case lossUnit
        case trace
    }
    public var name: String
    public var kind: Kind
    /// The default in canonical form (what the report prints).
    public var defaultValue: JSONValue
    public var learningRate: Bool
    public var doc: String

    /// Reads `value` for this parameter (a learning-section key or the spec's default) and
    /// returns it in canonical form; `r.path` + name is the path errors name.
    func decode(from r: JSONReader, default d: JSONValue) throws -> JSONValue {
        switch kind {
        case let .integer(range):
            guard case let .number(x, _) = d else { return d }
            return .int(try r.int(name, default: Int(x), range: range))
        case .boolean:
            guard case let .bool(b) = d else { return d }
            return .bool(try r.bool(name, default: b))
        case let .choice(choices):
            guard case let .string(s) = d else { return d }
            return .string(try r.string(name, default: s, oneOf: choices))
        case .lossUnit:
            let base = try RuleParameter.loss(from: try JSONReader(d, file: r.file, path: "\(r.path).\(name)"), default: LossUnitParameters())
            return RuleParameter.json(try RuleParameter.loss(from: r.optionalObject(name), default: base))
        case .trace:
            let base = try TraceConfig.decode(try JSONReader(d, file: r.file, path: "\(r.path).\(name)"), default: TraceParameters.unused)
            return TraceConfig.json(try TraceConfig.decode(r.optionalObject(name), default: base))
        }
    }

    /// The loss unit's settings: {"outputShift", "ceWeight", "mseWeight"} (64ths summing to 64).
    static func loss(from l: JSONReader?, default d: LossUnitParameters) throws -> LossUnitParameters {
        guard let l else { return d }
        var p = d
        p.outputShift = try l.int("outputShift", default: p.outputShift, range: 0...24)
        p.ceWeight = try l.int("ceWeight", default: p.ceWeight, range: 0...64)
        p.mseWeight = try l.int("mseWeight", default: p.mseWeight, range: 0...64)
        if p.ceWeight + p.mseWeight != 64 { throw l.error("mseWeight", "ceWeight + mseWeight must be 64 (they are 64ths), found \(p.ceWeight + p.mseWeight)") }
        try l.rejectUnknownKeys()
        return p
    }

    static func json(_ p: LossUnitParameters) -> JSONValue {
        .object([("outputShift", .int(p.outputShift)), ("ceWeight", .int(p.ceWeight)), ("mseWeight", .int(p.mseWeight))])
    }

    /// One declaration `"name": {...}` at `r.path`.
    static func declaration(_ name: String, _ r: JSONReader) throws -> RuleParameter {
        let doc = try r.string("doc", default: "")
        let learningRate = try r.bool("learningRate", default: false)
        guard let d = r.optional("default") else { throw r.error("default", "missing; every parameter needs a default") }
        let kind: Kind
        if let unit = try r.optionalString("unit") {
            guard unit == "loss" || unit == "trace" else { throw r.error("unit", "'\(unit)' is not a configurable unit; expected loss or trace") }
            kind = unit == "loss" ? .lossUnit : .trace
        } else if let range = try r.optionalArray("range") {
            guard range.count == 2 else { throw r.error("range", "expected [lowest, highest]") }
            let lo = try JSONReader.integer(range[0], file: r.file, path: "\(r.path).range[0]")
            let hi = try JSONReader.integer(range[1], file: r.file, path: "\(r.path).range[1]")
            guard lo <= hi else { throw r.error("range", "lowest \(lo) is above highest \(hi)") }
            kind = .integer(lo...hi)
        } else if let choices = try r.optionalArray("oneOf") {
            let names = try choices.enumerated().map { i, v -> String in
                guard case let .string(s) = v else { throw ChipError.config(file: r.file, path: "\(r.path).oneOf[\(i)]", message: "expected a string, found \(v.typeName)") }
                return s
            }
            guard !names.isEmpty else { throw r.error("oneOf", "expected at least one choice") }
            kind = .choice(names)
        } else if case .bool = d {
            kind = .boolean
        } else {
            throw r.error("default", "an integer parameter needs \"range\", a string one \"oneOf\", an object one \"unit\"")
        }
        if learningRate, case .integer = kind {} else if learningRate {
            throw r.error("learningRate", "only an integer shift can be a learning rate")
        }
        try r.rejectUnknownKeys()
        // The default must itself be a valid value; it is kept in canonical form.
        let dPath = "\(r.path).default"
        let canonical: JSONValue
        switch kind {
        case let .integer(range): canonical = .int(try JSONReader.integer(d, file: r.file, path: dPath, range: range))
        case .boolean: canonical = d
        case let .choice(choices):
            guard case let .string(s) = d else { throw r.error("default", "expected a string, found \(d.typeName)") }
            guard choices.contains(s) else { throw r.error("default", "'\(s)' is not one of \(choices.joined(separator: ", "))") }
            canonical = d
        case .lossUnit: canonical = json(try loss(from: try JSONReader(d, file: r.file, path: dPath), default: LossUnitParameters()))
        case .trace:
            canonical = TraceConfig.json(try TraceConfig.decode(try JSONReader(d, file: r.file, path: dPath),
                                                                default: TraceParameters(bits: 8, decay: 0, impulse: 0, rounding: .stochastic)))
        }
        let p = RuleParameter(name: name, kind: kind, defaultValue: canonical, learningRate: learningRate, doc: doc)
        return p
    }
}

/// The resolved values of a spec's parameters, in declaration order (canonical JSON).
public struct RuleParameterValues: Sendable, Equatable {
    public private(set) var entries: [(String, JSONValue)]

    public init(entries: [(String, JSONValue)]) { self.entries = entries }

    public static func == (a: RuleParameterValues, b: RuleParameterValues) -> Bool {
        a.entries.count == b.entries.count && zip(a.entries, b.entries).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    }

    public subscript(name: String) -> JSONValue? { entries.first { $0.0 == name }?.1 }

    public func int(_ name: String) -> Int {
        switch self[name] {
        case let .number(x, _)?: return Int(x)
        case let .bool(b)?: return b ? 1 : 0
        default: return 0
        }
    }
    public func bool(_ name: String) -> Bool { self[name] == .bool(true) }
    public func string(_ name: String) -> String {
        if case let .string(s)? = self[name] { return s }
        return ""
    }

    /// Every default of `spec`.
    public static func defaults(of spec: RuleSpec) -> RuleParameterValues {
        RuleParameterValues(entries: spec.parameters.map { ($0.name, $0.defaultValue) })
    }

    /// A learning section's values for `spec`: its keys override the defaults (checked against
    /// the declarations), "spec" and a matching "rule" are allowed, other keys are errors.
    public static func decode(_ learning: JSONValue, spec: RuleSpec, file: String) throws -> RuleParameterValues {
        let r = try JSONReader(learning, file: file, path: "$.learning")
        r.allow("spec")
        if r.has("rule") {
            let name = try r.string("rule")
            guard name == spec.name else { throw r.error("rule", "the spec defines rule '\(spec.name)', not '\(name)' (leave \"rule\" out with \"spec\")") }
        }
        var entries: [(String, JSONValue)] = []
        for p in spec.parameters { entries.append((p.name, try p.decode(from: r, default: p.defaultValue))) }
        let values = RuleParameterValues(entries: entries)
        for check in spec.checks where check.condition.holds(values) && !check.requirement.holds(values) {
            throw r.error(check.condition.parameter, check.message)
        }
        try r.rejectUnknownKeys()
        return values
    }
}

/// A static condition on parameters: "holdNoise", "!holdNoise", "tEpoch > 1",
/// "noisePlacement == post" (==, !=, >, <, >=, <=). Steps whose condition fails are left out
/// of the schedule when the rule is built.
public struct RuleCondition: Sendable {
    enum Comparison: String, CaseIterable, Sendable { case eq = "==", ne = "!=", ge = ">=", le = "<=", gt = ">", lt = "<" }
    public let parameter: String
    let comparison: Comparison
    let operand: JSONValue

    static func parse(_ text: String, parameters: [RuleParameter], file: String, path: String) throws -> RuleCondition {
        func fail(_ m: String) -> ChipError { .config(file: file, path: path, message: m) }
        let t = text.trimmingCharacters(in: .whitespaces)
        func parameter(_ name: String) throws -> RuleParameter {
            guard let p = parameters.first(where: { $0.name == name }) else {
                throw fail("'\(name)' names no parameter of the spec (declared: \(parameters.map(\.name).joined(separator: ", ")))")
            }
            return p
        }
        for c in Comparison.allCases {
            guard let range = t.range(of: " \(c.rawValue) ") else { continue }
            let name = String(t[..<range.lowerBound]).trimmingCharacters(in: .whitespaces)
            let rhs = String(t[range.upperBound...]).trimmingCharacters(in: .whitespaces)
            let p = try parameter(name)
            switch p.kind {
            case .integer:
                guard let n = Int(rhs) else { throw fail("'\(text)': \(name) is an integer parameter; expected an integer after \(c.rawValue)") }
                return RuleCondition(parameter: name, comparison: c, operand: .int(n))
            case let .choice(choices):
                guard c == .eq || c == .ne else { throw fail("'\(text)': \(name) is a choice; compare it with == or !=") }
                guard choices.contains(rhs) else { throw fail("'\(text)': '\(rhs)' is not one of \(name)'s choices (\(choices.joined(separator: ", ")))") }
                return RuleCondition(parameter: name, comparison: c, operand: .string(rhs))
            case .boolean:
                throw fail("'\(text)': \(name) is a boolean; write \(name) or !\(name)")
            case .lossUnit, .trace:
                throw fail("'\(text)': \(name) is a unit's settings, not a value to compare")
            }
        }
        let negated = t.hasPrefix("!")
        let name = negated ? String(t.dropFirst()) : t
        let p = try parameter(name)
        guard p.kind == .boolean else {
            throw fail("'\(text)': a bare name must be a boolean parameter; compare \(name) with ==, !=, >, <, >= or <=")
        }
        return RuleCondition(parameter: name, comparison: negated ? .ne : .eq, operand: .bool(true))
    }

    public func holds(_ values: RuleParameterValues) -> Bool {
        let v = values[parameter] ?? .null
        switch comparison {
        case .eq: return v == operand
        case .ne: return v != operand
        default:
            guard case let .number(x, _) = v, case let .number(y, _) = operand else { return false }
            switch comparison {
            case .gt: return x > y
            case .lt: return x < y
            case .ge: return x >= y
            default: return x <= y
            }
        }
    }
}

/// A check across parameters: when `condition` holds, `requirement` must too.
public struct RuleCheck: Sendable {
    public let condition: RuleCondition
    public let requirement: RuleCondition
    public let message: String
}
