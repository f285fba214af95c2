import Foundation

// `--set PATH=VALUE`: one edit of a config's parsed JSON, applied before the config is
// decoded, so an overridden value is checked exactly like one written in the file (errors
// name its JSON path). PATH is a JSON path: `$.learning.etaHidden`, `learning.etaHidden`,
// `network.layers[1].size`; VALUE is JSON (`12`, `true`, `"dfa"`, `{"kind": "rate"}`).
//
// Semantics of applying one override:
//   - object keys along the path that do not exist are created (an empty object for an
//     intermediate key, the value for the last), appended after the existing keys;
//   - an existing key keeps its position and gets the new value;
//   - an array index must exist (0-based; no appending), else an error naming the path;
//   - stepping into a value that is neither object nor array is an error naming the path.
// Overrides apply in order, so a later one wins over an earlier one on the same path.

public struct ConfigOverride: Equatable, Sendable {
    public enum Step: Equatable, Sendable {
        case key(String)
        case index(Int)
    }

    public let steps: [Step]
    public let value: JSONValue

    public init(steps: [Step], value: JSONValue) {
        self.steps = steps; self.value = value
    }

    /// Parses `PATH=VALUE` (the first `=` separates them; VALUE may contain more).
    public init(parsing spec: String) throws {
        guard let eq = spec.firstIndex(of: "=") else {
            throw ChipError.usage("--set '\(spec)': expected PATH=VALUE, e.g. --set learning.etaHidden=12")
        }
        let pathText = String(spec[..<eq]), valueText = String(spec[spec.index(after: eq)...])
        let steps = try ConfigOverride.parsePath(pathText)
        let value: JSONValue
        do {
            value = try JSONValue.parse(valueText, file: "--set \(pathText)")
        } catch {
            throw ChipError.usage("--set '\(spec)': the value '\(valueText)' is not JSON (\(error)); strings need quotes, e.g. --set \(pathText)='\"text\"'")
        }
        self.init(steps: steps, value: value)
    }

    /// `key.key[3].key`, optionally starting with `$.` (or just `$` for no step, which is refused).
    public static func parsePath(_ text: String) throws -> [Step] {
        var s = Substring(text)
        if s.hasPrefix("$") { s = s.dropFirst(); if s.hasPrefix(".") { s = s.dropFirst() } }
        func bad(_ why: String) -> ChipError {
            ChipError.usage("--set path '\(text)': \(why); expected a JSON path such as learning.etaHidden or $.network.layers[1].size")
        }
        if s.isEmpty { throw bad("empty path") }
        var steps: [Step] = []
        var key = ""
        var expectKey = true   // at the start, and after a '.'
        var i = s.startIndex
        while i < s.endIndex {
            let c = s[i]
            if c == "." {
                if expectKey && key.isEmpty { throw bad("empty key") }
                if !key.isEmpty { steps.append(.key(key)); key = "" }
                expectKey = true
                i = s.index(after: i)
            } else if c == "[" {
                if !key.isEmpty { steps.append(.key(key)); key = "" } else if expectKey { throw bad("'[' must follow a key") }
                guard let close = s[i...].firstIndex(of: "]") else { throw bad("unclosed '['") }
                let digits = s[s.index(after: i)..<close]
                guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let n = Int(digits) else {
                    throw bad("'[\(digits)]' is not an array index (a non-negative integer)")
                }
                steps.append(.index(n))
                expectKey = false
                i = s.index(after: close)
                if i < s.endIndex && s[i] != "." && s[i] != "[" { throw bad("expected '.' or '[' after ']'") }
            } else {
                if !expectKey { throw bad("expected '.' or '[' after ']'") }
                key.append(c)
                i = s.index(after: i)
            }
        }
        if !key.isEmpty { steps.append(.key(key)) } else if expectKey { throw bad("empty key at the end") }
        return steps
    }

    /// The canonical text of the path: `$.a.b[2].c`.
    public var path: String { ConfigOverride.pathText(steps[...]) }

    static func pathText(_ steps: ArraySlice<Step>) -> String {
        "$" + steps.map { if case let .key(k) = $0 { return "." + k } else if case let .index(n) = $0 { return "[\(n)]" }; return "" }.joined()
    }

    /// `{"path": "$.a.b", "value": ...}`, as recorded in a resolved config's "overrides" list.
    public var json: JSONValue { .object([("path", .string(path)), ("value", value)]) }

    /// `PATH=VALUE` in the form `--set` takes (compact JSON value on one line).
    public var argument: String { path + "=" + ConfigOverride.compact(value) }

    /// One-line JSON (no spaces), for command lines and CSV cells.
    public static func compact(_ v: JSONValue) -> String {
        switch v {
        case .array(let items): return "[" + items.map(compact).joined(separator: ",") + "]"
        case .object(let kv):
            return "{" + kv.map { k, x in var s = ""; JSONValue.writeString(k, into: &s); return s + ":" + compact(x) }.joined(separator: ",") + "}"
        default: return v.serialized()
        }
    }

    /// The document with this override applied; `file` names the config in errors.
    public func apply(to doc: JSONValue, file: String) throws -> JSONValue {
        try set(doc, at: steps[...], file: file)
    }

    private func set(_ node: JSONValue, at rest: ArraySlice<Step>, file: String) throws -> JSONValue {
        guard let step = rest.first else { return value }
        let here = ConfigOverride.pathText(steps[..<rest.startIndex])
        let tail = rest.dropFirst()
        switch (step, node) {
        case let (.key(k), .object(kv)):
            var kv = kv
            if let i = kv.firstIndex(where: { $0.0 == k }) {
                kv[i].1 = try set(kv[i].1, at: tail, file: file)
            } else {
                kv.append((k, try set(.object([]), at: tail, file: file)))
            }
            return .object(kv)
        case let (.index(n), .array(items)):
            guard n < items.count else {
                throw ChipError.config(file: file, path: here + "[\(n)]", message: "--set \(path): index \(n) is out of range; \(here) has \(items.count) element(s)")
            }
            var items = items
            items[n] = try set(items[n], at: tail, file: file)
            return .array(items)
        case (.key, _):
            throw ChipError.config(file: file, path: here, message: "--set \(path): \(here) is \(node.typeName), not an object")
        case (.index, _):
            throw ChipError.config(file: file, path: here, message: "--set \(path): \(here) is \(node.typeName), not an array")
        }
    }

    /// Applies the overrides in order and records them in the document's top-level
    /// "overrides" list (appended to a list already there, e.g. in a resolved config that is
    /// run again), so the resolved config says how it was made.
    public static func apply(_ overrides: [ConfigOverride], to doc: JSONValue, file: String, record: Bool = true) throws -> JSONValue {
        var doc = doc
        for o in overrides { doc = try o.apply(to: doc, file: file) }
        guard record, !overrides.isEmpty, case var .object(kv) = doc else { return doc }
        let new = overrides.map(\.json)
        if let i = kv.firstIndex(where: { $0.0 == "overrides" }) {
            guard case let .array(old) = kv[i].1 else {
                throw ChipError.config(file: file, path: "$.overrides", message: "expected an array of {\"path\", \"value\"} (written by --set), found \(kv[i].1.typeName)")
            }
            kv[i].1 = .array(old + new)
        } else {
            kv.append(("overrides", .array(new)))
        }
        return .object(kv)
    }

    /// Parses every `--set` argument.
    public static func parse(_ specs: [String]) throws -> [ConfigOverride] { try specs.map { try ConfigOverride(parsing: $0) } }

    /// Reads a JSON file and applies overrides (recording them).
    public static func loadJSON(path: String, overrides: [ConfigOverride], record: Bool = true) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ChipError.io(path: path, message: "cannot read the config file (does it exist?)")
        }
        return try apply(overrides, to: try JSONValue.parse(data, file: path), file: path, record: record)
    }

    /// The "overrides" key of a config: a list of {"path": string, "value": any}; checked here
    /// so a hand-edited list fails with its path.
    public static func checkRecorded(_ v: JSONValue, file: String) throws {
        guard case let .array(items) = v else {
            throw ChipError.config(file: file, path: "$.overrides", message: "expected an array of {\"path\", \"value\"} (written by --set), found \(v.typeName)")
        }
        for (i, item) in items.enumerated() {
            let r = try JSONReader(item, file: file, path: "$.overrides[\(i)]")
            _ = try r.string("path")
            guard r.optional("value") != nil || item["value"] == .null else { throw r.error("value", "missing") }
            r.allow("value")
            try r.rejectUnknownKeys()
        }
    }
}
