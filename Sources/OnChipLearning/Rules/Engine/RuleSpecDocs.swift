import Foundation
import ChipModel

// The config reference of a shipped rule that exists only as its spec (STDP, R-STDP): its keys
// are the spec's declared parameters, so the section is rendered from the spec itself (name,
// kind and range, default, the parameter's "doc") and cannot drift from it.

public enum RuleSpecDocs {
    /// The `$.learning (rule "<name>")` section of docs/CONFIG.md for a built-in spec.
    public static func section(_ name: String) -> SectionDoc {
        guard let spec = try? BuiltinRuleSpecs.spec(named: name) else {
            return SectionDoc("$.learning (rule \"\(name)\")", "(the built-in spec could not be read)", [])
        }
        var keys = [KeyDoc("rule", "\"\(name)\"", "-", "Selects configs/rules/\(name).json (docs/LEARNING.md, \"Rules as specs\").")]
        for p in spec.parameters {
            let type: String
            switch p.kind {
            case let .integer(r): type = "integer \(r.lowerBound)...\(r.upperBound)"
            case .boolean: type = "boolean"
            case let .choice(c): type = c.map { "\"\($0)\"" }.joined(separator: "|")
            case .lossUnit: type = "object (keys of $.learning.loss)"
            case .trace: type = "object (keys of $.learning.trace)"
            }
            keys.append(KeyDoc(p.name, type, compact(p.defaultValue), p.doc + (p.learningRate ? " A learning-rate shift (training.halveRateEvery adds to it)." : "")))
        }
        return SectionDoc("$.learning (rule \"\(name)\")", spec.doc, keys)
    }

    /// One-line JSON (a table cell).
    static func compact(_ v: JSONValue) -> String {
        if case let .object(kv) = v { return "{" + kv.map { "\"\($0.0)\": \(compact($0.1))" }.joined(separator: ", ") + "}" }
        return v.serialized().trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
