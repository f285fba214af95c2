import Foundation
import ChipModel

// Tools that compare a chip rule with its float twin (gradcheck) know the error-broadcast
// family by its typed parameters. A learning section that names a spec is accepted there when
// the spec is a shipped family rule with other defaults (the same parameters, programs and
// schedule): it becomes that rule's section with every value resolved. A spec with other
// programs or steps has no float twin and is refused, naming the spec.

extension RuleSpec {
    /// `learning` rewritten as {"rule": <family rule>, <every parameter>} when it names a spec
    /// (nil when it has no "spec"); throws when the spec is not a family rule with other defaults.
    public static func familySection(_ learning: JSONValue, configFile: String, tool: String) throws -> JSONValue? {
        guard let reference = learning["spec"] else { return nil }
        let spec = try RuleSpec.load(reference, configFile: configFile, path: "$.learning.spec")
        let raw: JSONValue
        if case let .string(p) = reference {
            let full = RuleSpec.resolve(p, relativeTo: configFile)
            raw = try JSONValue.parse(FileManager.default.contents(atPath: full) ?? Data(), file: full)
        } else {
            raw = reference
        }
        func behaviour(_ v: JSONValue) -> JSONValue {
            guard case let .object(kv) = v else { return v }
            return .object(kv.filter { $0.0 != "doc" }.map { k, x in
                guard k == "parameters", case let .object(ps) = x else { return (k, x) }
                return (k, .object(ps.map { name, d in
                    guard case let .object(fields) = d else { return (name, d) }
                    return (name, .object(fields.filter { $0.0 != "default" && $0.0 != "doc" }))
                }))
            })
        }
        guard ErrorBroadcastParameters.Kind(rawValue: spec.name) != nil, let text = BuiltinRuleSpecs.text(named: spec.name),
              behaviour(try JSONValue.parse(text, file: "configs/rules/\(spec.name).json")) == behaviour(raw) else {
            throw ChipError.config(file: configFile, path: "$.learning.spec",
                                   message: "\(tool) compares a rule with its float twin; spec '\(spec.name)' is not a shipped error-broadcast rule (\(ErrorBroadcastParameters.Kind.allCases.map(\.rawValue).joined(separator: ", "))) with only its defaults changed")
        }
        let rule = ScheduledRule(spec: spec, values: try RuleParameterValues.decode(learning, spec: spec, file: configFile))
        return rule.parametersJSON
    }
}
