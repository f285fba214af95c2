import Foundation

// A small JSON parser that keeps what Foundation's does not: object key order (so a
// resolved config reads like its input and reports are byte-stable) and the line and
// column of every value (so errors can point into the file).

public indirect enum JSONValue: Equatable, Sendable {
    case null
    case bool(Bool)
    case number(Double, text: String)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (a: JSONValue, b: JSONValue) -> Bool {
        switch (a, b) {
        case (.null, .null): return true
        case let (.bool(x), .bool(y)): return x == y
        case let (.number(x, _), .number(y, _)): return x == y
        case let (.string(x), .string(y)): return x == y
        case let (.array(x), .array(y)): return x == y
        case let (.object(x), .object(y)):
            return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: return false
        }
    }

    public static func int(_ v: Int) -> JSONValue { .number(Double(v), text: String(v)) }
    public static func uint(_ v: UInt64) -> JSONValue { .number(Double(v), text: String(v)) }
    public static func double(_ v: Double) -> JSONValue {
        if v.isFinite && v == v.rounded() && abs(v) < 1e15 { return .number(v, text: String(Int64(v))) }
        return .number(v, text: v.isFinite ? "\(v)" : "null")
    }

    public subscript(key: String) -> JSONValue? {
        if case let .object(kv) = self { return kv.first(where: { $0.0 == key })?.1 }
        return nil
    }

    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    // MARK: Parsing

    /// Parses JSON text. Positions of values are recorded in `positions` keyed by the
    /// JSON path, for error messages from later semantic checks.
    public static func parse(_ data: Data, file: String) throws -> JSONValue {
        var p = Parser(bytes: [UInt8](data), file: file)
        return try p.parseDocument()
    }

    public static func parse(_ text: String, file: String) throws -> JSONValue {
        try parse(Data(text.utf8), file: file)
    }

    struct Parser {
        let bytes: [UInt8]
        let file: String
        var i = 0
        var line = 1
        var lineStart = 0

        init(bytes: [UInt8], file: String) { self.bytes = bytes; self.file = file }

        func fail(_ msg: String) -> ChipError {
            ChipError.syntax(file: file, line: line, column: i - lineStart + 1, message: msg)
        }

        mutating func skipSpace() {
            while i < bytes.count {
                let c = bytes[i]
                if c == 0x0A { line += 1; i += 1; lineStart = i }
                else if c == 0x20 || c == 0x09 || c == 0x0D { i += 1 }
                else { break }
            }
        }

        mutating func parseDocument() throws -> JSONValue {
            skipSpace()
            let v = try parseValue(depth: 0)
            skipSpace()
            if i != bytes.count { throw fail("unexpected text after the JSON value") }
            return v
        }

        mutating func parseValue(depth: Int) throws -> JSONValue {
            if depth > 200 { throw fail("nesting deeper than 200 levels") }
            guard i < bytes.count else { throw fail("unexpected end of file; expected a value") }
            switch bytes[i] {
            case UInt8(ascii: "{"): return try parseObject(depth: depth)
            case UInt8(ascii: "["): return try parseArray(depth: depth)
            case UInt8(ascii: "\""): return .string(try parseString())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
            default: throw fail("unexpected character '\(Character(UnicodeScalar(bytes[i])))'; expected a value")
            }
        }

        mutating func literal(_ word: String) throws {
            let w = Array(word.utf8)
            guard i + w.count <= bytes.count, Array(bytes[i..<(i + w.count)]) == w else {
                throw fail("invalid literal; expected '\(word)'")
            }
            i += w.count
        }

        mutating func parseNumber() throws -> JSONValue {
            let start = i
            if bytes[i] == UInt8(ascii: "-") { i += 1 }
            func digits() -> Int {
                let s = i
                while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1 }
                return i - s
            }
            if digits() == 0 { throw fail("invalid number") }
            if i < bytes.count, bytes[i] == UInt8(ascii: ".") { i += 1; if digits() == 0 { throw fail("invalid number: digits expected after '.'") } }
            if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
                i += 1
                if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") { i += 1 }
                if digits() == 0 { throw fail("invalid number: digits expected in exponent") }
            }
            let text = String(decoding: bytes[start..<i], as: UTF8.self)
            guard let d = Double(text) else { throw fail("invalid number '\(text)'") }
            return .number(d, text: text)
        }

        mutating func parseString() throws -> String {
            i += 1
            var out = [UInt8]()
            while true {
                guard i < bytes.count else { throw fail("unterminated string") }
                let c = bytes[i]
                if c == UInt8(ascii: "\"") { i += 1; break }
                if c < 0x20 { throw fail("control character in string (use \\n)") }
                if c == UInt8(ascii: "\\") {
                    i += 1
                    guard i < bytes.count else { throw fail("unterminated escape") }
                    let e = bytes[i]; i += 1
                    switch e {
                    case UInt8(ascii: "\""): out.append(0x22)
                    case UInt8(ascii: "\\"): out.append(0x5C)
                    case UInt8(ascii: "/"): out.append(0x2F)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "u"):
                        var code = try hex4()
                        if code >= 0xD800 && code < 0xDC00 {
                            guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                                throw fail("unpaired surrogate in \\u escape")
                            }
                            i += 2
                            let lo = try hex4()
                            code = 0x10000 + ((code - 0xD800) << 10) + (lo - 0xDC00)
                        }
                        guard let s = UnicodeScalar(code) else { throw fail("invalid \\u escape") }
                        out.append(contentsOf: Array(String(Character(s)).utf8))
                    default: throw fail("invalid escape '\\\(Character(UnicodeScalar(e)))'")
                    }
                } else { out.append(c); i += 1 }
            }
            return String(decoding: out, as: UTF8.self)
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= bytes.count, let v = UInt32(String(decoding: bytes[i..<(i + 4)], as: UTF8.self), radix: 16) else {
                throw fail("invalid \\u escape; expected 4 hex digits")
            }
            i += 4
            return v
        }

        mutating func parseArray(depth: Int) throws -> JSONValue {
            i += 1
            var items = [JSONValue]()
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
            while true {
                skipSpace()
                items.append(try parseValue(depth: depth + 1))
                skipSpace()
                guard i < bytes.count else { throw fail("unterminated array; expected ',' or ']'") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; return .array(items) }
                throw fail("expected ',' or ']' in array")
            }
        }

        mutating func parseObject(depth: Int) throws -> JSONValue {
            i += 1
            var kv = [(String, JSONValue)]()
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(kv) }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a quoted key") }
                let (kl, kc) = (line, i - lineStart + 1)
                let key = try parseString()
                if kv.contains(where: { $0.0 == key }) {
                    throw ChipError.syntax(file: file, line: kl, column: kc, message: "duplicate key '\(key)'")
                }
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':' after key '\(key)'") }
                i += 1
                skipSpace()
                kv.append((key, try parseValue(depth: depth + 1)))
                skipSpace()
                guard i < bytes.count else { throw fail("unterminated object; expected ',' or '}'") }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; return .object(kv) }
                throw fail("expected ',' or '}' in object")
            }
        }
    }

    // MARK: Writing

    /// Deterministic pretty printing: keys in stored order, 2-space indent, trailing newline.
    public func serialized(indent: Int = 0) -> String {
        var s = ""
        write(into: &s, indent: indent)
        return s
    }

    public func write(into s: inout String, indent: Int) {
        let pad = String(repeating: " ", count: indent)
        let pad2 = String(repeating: " ", count: indent + 2)
        switch self {
        case .null: s += "null"
        case let .bool(b): s += b ? "true" : "false"
        case let .number(_, text): s += text
        case let .string(str): JSONValue.writeString(str, into: &s)
        case let .array(items):
            if items.isEmpty { s += "[]"; return }
            if items.allSatisfy({ if case .number = $0 { return true }; if case .string = $0 { return true }; return false }) && items.count <= 64 {
                s += "["
                for (k, it) in items.enumerated() { if k > 0 { s += ", " }; it.write(into: &s, indent: indent) }
                s += "]"
                return
            }
            s += "[\n"
            for (k, it) in items.enumerated() {
                s += pad2; it.write(into: &s, indent: indent + 2)
                s += k + 1 < items.count ? ",\n" : "\n"
            }
            s += pad + "]"
        case let .object(kv):
            if kv.isEmpty { s += "{}"; return }
            s += "{\n"
            for (k, (key, v)) in kv.enumerated() {
                s += pad2; JSONValue.writeString(key, into: &s); s += ": "
                v.write(into: &s, indent: indent + 2)
                s += k + 1 < kv.count ? ",\n" : "\n"
            }
            s += pad + "}"
        }
    }

    static func writeString(_ str: String, into s: inout String) {
        s += "\""
        for u in str.unicodeScalars {
            switch u {
            case "\"": s += "\\\""
            case "\\": s += "\\\\"
            case "\n": s += "\\n"
            case "\r": s += "\\r"
            case "\t": s += "\\t"
            default:
                if u.value < 0x20 { s += String(format: "\\u%04x", u.value) } else { s.unicodeScalars.append(u) }
            }
        }
        s += "\""
    }
}
