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

    /// Deepest nesting of arrays and objects the parser accepts (docs/LIMITS.md): deeper
    /// documents are refused with a syntax error rather than risking the stack.
    public static let maxNestingDepth = 200

    /// Parses JSON text (RFC 8259, plus a leading UTF-8 byte-order mark, which is skipped).
    /// Refused with a clean error naming line, column and JSON path: numbers whose magnitude
    /// overflows a Double (`1e400`), unpaired UTF-16 surrogates in `\u` escapes, duplicate
    /// keys, nesting deeper than `maxNestingDepth`.
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
        /// Where the parser is, as JSON path components, for errors that concern a value
        /// (a number out of range): built into a string only when an error is thrown.
        var pathStack: [PathComponent] = []

        enum PathComponent { case key(String), index(Int) }

        init(bytes: [UInt8], file: String) { self.bytes = bytes; self.file = file }

        func fail(_ msg: String) -> ChipError {
            ChipError.syntax(file: file, line: line, column: i - lineStart + 1, message: msg)
        }

        var path: String {
            var s = "$"
            for c in pathStack {
                switch c {
                case let .key(k): s += "." + k
                case let .index(n): s += "[\(n)]"
                }
            }
            return s
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
            if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3; lineStart = 3 }
            skipSpace()
            let v = try parseValue(depth: 0)
            skipSpace()
            if i != bytes.count { throw fail("unexpected text after the JSON value") }
            return v
        }

        mutating func parseValue(depth: Int) throws -> JSONValue {
            if depth > JSONValue.maxNestingDepth { throw fail("nesting deeper than \(JSONValue.maxNestingDepth) levels") }
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
            guard d.isFinite else {
                i = start
                throw fail("\(path): number \(text) is out of range (its magnitude exceeds the largest Double, about 1.8e308)")
            }
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
                        if code >= 0xDC00 && code < 0xE000 {
                            i -= 6
                            throw fail("unpaired low surrogate \\u\(hex4Text(code)) (a low surrogate must follow a high one)")
                        }
                        if code >= 0xD800 && code < 0xDC00 {
                            guard i + 1 < bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else {
                                throw fail("unpaired high surrogate \\u\(hex4Text(code)); expected a \\uDC00...\\uDFFF escape after it")
                            }
                            i += 2
                            let lo = try hex4()
                            guard lo >= 0xDC00 && lo < 0xE000 else {
                                i -= 6
                                throw fail("high surrogate \\u\(hex4Text(code)) followed by \\u\(hex4Text(lo)), not by a low surrogate \\uDC00...\\uDFFF")
                            }
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

        func hex4Text(_ v: UInt32) -> String {
            let s = String(v, radix: 16, uppercase: true)
            return String(repeating: "0", count: max(0, 4 - s.count)) + s
        }

        mutating func hex4() throws -> UInt32 {
            guard i + 4 <= bytes.count else { throw fail("invalid \\u escape; expected 4 hex digits") }
            var v: UInt32 = 0
            for k in i..<(i + 4) {
                let c = bytes[k]
                let d: UInt8
                switch c {
                case 0x30...0x39: d = c - 0x30
                case 0x41...0x46: d = c - 0x41 + 10
                case 0x61...0x66: d = c - 0x61 + 10
                default: throw fail("invalid \\u escape; expected 4 hex digits")
                }
                v = v << 4 | UInt32(d)
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
                pathStack.append(.index(items.count))
                items.append(try parseValue(depth: depth + 1))
                pathStack.removeLast()
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
            // Keys seen so far: a hash set keeps the duplicate check linear in the key count.
            var seen = Set<String>()
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return .object(kv) }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { throw fail("expected a quoted key") }
                let (kl, kc) = (line, i - lineStart + 1)
                let key = try parseString()
                if !seen.insert(key).inserted {
                    throw ChipError.syntax(file: file, line: kl, column: kc, message: "duplicate key '\(key)'")
                }
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { throw fail("expected ':' after key '\(key)'") }
                i += 1
                skipSpace()
                pathStack.append(.key(key))
                kv.append((key, try parseValue(depth: depth + 1)))
                pathStack.removeLast()
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
        // Pads are built for containers only: built for every number of a large array (a
        // checkpoint's weights), they were most of the time spent writing it.
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
            let pad = String(repeating: " ", count: indent), pad2 = pad + "  "
            for (k, it) in items.enumerated() {
                s += pad2; it.write(into: &s, indent: indent + 2)
                s += k + 1 < items.count ? ",\n" : "\n"
            }
            s += pad + "]"
        case let .object(kv):
            if kv.isEmpty { s += "{}"; return }
            s += "{\n"
            let pad = String(repeating: " ", count: indent), pad2 = pad + "  "
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
