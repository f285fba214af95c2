// Strict, path-aware reading of a JSON object: every accessor names the JSON path in its
// error, states what was expected, and records the key as known, so that
// `rejectUnknownKeys()` can report typos ("$.chip.meshWidht: unknown key; known keys: ...").

public final class JSONReader {
    public let value: JSONValue
    public let file: String
    public let path: String
    private var known: [String] = []

    public init(_ value: JSONValue, file: String, path: String) throws {
        guard case .object = value else {
            throw ChipError.config(file: file, path: path, message: "expected an object, found \(value.typeName)")
        }
        self.value = value; self.file = file; self.path = path
    }

    public var keys: [String] {
        if case let .object(kv) = value { return kv.map(\.0) }
        return []
    }

    public func has(_ key: String) -> Bool { value[key] != nil }

    public func error(_ key: String, _ message: String) -> ChipError {
        ChipError.config(file: file, path: "\(path).\(key)", message: message)
    }

    private func get(_ key: String) -> JSONValue? {
        if !known.contains(key) { known.append(key) }
        if let v = value[key], v != .null { return v }
        return nil
    }

    /// Marks keys as accepted without reading them (e.g. "comment").
    public func allow(_ keys: String...) { for k in keys where !known.contains(k) { known.append(k) } }

    public func rejectUnknownKeys() throws {
        allow("comment", "//")
        for k in keys where !known.contains(k) {
            throw error(k, "unknown key '\(k)'; known keys here: \(known.filter { $0 != "//" }.joined(separator: ", "))")
        }
    }

    public func optional(_ key: String) -> JSONValue? { get(key) }

    public func object(_ key: String) throws -> JSONReader {
        guard let v = get(key) else { throw error(key, "missing; expected an object") }
        return try JSONReader(v, file: file, path: "\(path).\(key)")
    }

    public func optionalObject(_ key: String) throws -> JSONReader? {
        guard let v = get(key) else { return nil }
        return try JSONReader(v, file: file, path: "\(path).\(key)")
    }

    public func array(_ key: String) throws -> [JSONValue] {
        guard let v = get(key) else { throw error(key, "missing; expected an array") }
        guard case let .array(items) = v else { throw error(key, "expected an array, found \(v.typeName)") }
        return items
    }

    public func optionalArray(_ key: String) throws -> [JSONValue]? {
        guard get(key) != nil else { return nil }
        return try array(key)
    }

    /// Readers for each element of an array of objects, with paths like $.layers[2].
    public func objects(_ key: String) throws -> [JSONReader] {
        try array(key).enumerated().map { try JSONReader($1, file: file, path: "\(path).\(key)[\($0)]") }
    }

    public func string(_ key: String, default d: String? = nil, oneOf choices: [String]? = nil) throws -> String {
        guard let v = get(key) else {
            if let d { return d }
            throw error(key, "missing; expected a string" + (choices.map { " (one of: \($0.joined(separator: ", ")))" } ?? ""))
        }
        guard case let .string(s) = v else { throw error(key, "expected a string, found \(v.typeName)") }
        if let choices, !choices.contains(s) {
            throw error(key, "'\(s)' is not allowed; expected one of: \(choices.joined(separator: ", "))")
        }
        return s
    }

    public func optionalString(_ key: String) throws -> String? {
        guard get(key) != nil else { return nil }
        return try string(key)
    }

    public func bool(_ key: String, default d: Bool? = nil) throws -> Bool {
        guard let v = get(key) else {
            if let d { return d }
            throw error(key, "missing; expected true or false")
        }
        guard case let .bool(b) = v else { throw error(key, "expected true or false, found \(v.typeName)") }
        return b
    }

    public func double(_ key: String, default d: Double? = nil, min: Double? = nil, max: Double? = nil) throws -> Double {
        guard let v = get(key) else {
            if let d { return d }
            throw error(key, "missing; expected a number")
        }
        guard case let .number(x, text) = v else { throw error(key, "expected a number, found \(v.typeName)") }
        // The parser refuses numbers that overflow; values built in code can still be non-finite.
        guard x.isFinite else { throw error(key, "expected a finite number, found \(text)") }
        if let min, x < min { throw error(key, "\(x) is below the minimum \(min)") }
        if let max, x > max { throw error(key, "\(x) is above the maximum \(max)") }
        return x
    }

    /// A number if the key is present, nil if it is absent.
    public func optionalDouble(_ key: String) throws -> Double? {
        get(key) == nil ? nil : try double(key)
    }

    public func int(_ key: String, default d: Int? = nil, range: ClosedRange<Int>? = nil) throws -> Int {
        guard let v = get(key) else {
            if let d { return d }
            throw error(key, "missing; expected an integer" + (range.map { " in \($0.lowerBound)...\($0.upperBound)" } ?? ""))
        }
        return try JSONReader.integer(v, file: file, path: "\(path).\(key)", range: range)
    }

    public static func integer(_ v: JSONValue, file: String, path: String, range: ClosedRange<Int>? = nil) throws -> Int {
        guard case let .number(x, text) = v else {
            throw ChipError.config(file: file, path: path, message: "expected an integer, found \(v.typeName)")
        }
        guard x == x.rounded(), abs(x) < 9.0e15, let i = Int(exactly: x) else {
            throw ChipError.config(file: file, path: path, message: "expected an integer, found \(text)")
        }
        if let range, !range.contains(i) {
            throw ChipError.config(file: file, path: path, message: "\(i) is out of range; expected \(range.lowerBound)...\(range.upperBound)")
        }
        return i
    }

    public func optionalInt(_ key: String, range: ClosedRange<Int>? = nil) throws -> Int? {
        guard get(key) != nil else { return nil }
        return try int(key, range: range)
    }
}
