import Foundation

// The `.mc` text format (docs/MICROCODE.md has the full manual):
//
//     ; comment (also '#')          .scope synapse | neuron   (required, before instructions)
//     .const NAME VALUE             .gate SRC[, SRC...]  .require SRC[, SRC...]  (skip rule)
//     MNEMONIC operand, operand ... (operands: a0..a7, source/destination names, immediates)
//
// Immediates are decimal or 0x-hex integers (ASCII digits only), or a `.const` name, each
// optionally negated with one leading '-'. Lines end in LF or CRLF. A program holds at most
// `storeCapacity` instructions (the plasticity unit's microcode store). Errors are
// ChipError.syntax with file, 1-based line and column.

public enum MicrocodeAssembler {
    /// Instructions the plasticity unit's microcode store holds per program:
    /// 512 x 64-bit words = 4 KiB (docs/MICROCODE.md, docs/LIMITS.md). Programs written by
    /// hand or compiled from rule strings are checked against it.
    public static let storeCapacity = 512

    /// Reads and assembles a `.mc` file.
    public static func assemble(path: String) throws -> MicrocodeProgram {
        guard let data = FileManager.default.contents(atPath: path),
              let text = String(data: data, encoding: .utf8) else {
            throw ChipError.io(path: path, message: "cannot read microcode file (missing or not UTF-8)")
        }
        return try assemble(text, file: path)
    }

    public static func assemble(_ source: String, file: String = "<microcode>") throws -> MicrocodeProgram {
        var scope: MicrocodeScope?
        var constants: [String: Int64] = [:]
        var gates: [MicrocodeSource] = []
        var requires: [MicrocodeSource] = []
        var instructions: [MicrocodeInstruction] = []

        // "\r\n" is one Character in Swift, so split on either line ending explicitly.
        for (lineIndex, rawLine) in source.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let line = lineIndex + 1
            var tokens = try tokenize(Array(rawLine), file: file, line: line)
            guard let head = tokens.first else { continue }
            func fail(_ t: Token, _ message: String) -> ChipError {
                .syntax(file: file, line: line, column: t.column, message: message)
            }
            func endOfLine() -> Token { Token(text: "", column: rawLine.count + 1) }
            tokens.removeFirst()
            // Operands: split by commas; each operand is one token, or '-' followed by a name.
            var operands: [[Token]] = [[]]
            for t in tokens {
                if t.text == "," {
                    if operands[operands.count - 1].isEmpty { throw fail(t, "expected an operand before ','") }
                    operands.append([])
                } else {
                    operands[operands.count - 1].append(t)
                }
            }
            if operands.count == 1 && operands[0].isEmpty { operands = [] }
            if let last = operands.last, last.isEmpty { throw fail(endOfLine(), "expected an operand after ','") }

            func immediate(_ op: [Token]) throws -> Int64 {
                var toks = op[...]
                var negative = false
                if toks.first?.text == "-" && toks.count > 1 { negative = true; toks = toks.dropFirst() }
                guard toks.count == 1, let t = toks.first else { throw fail(op[0], "expected one immediate value") }
                if negative && t.text.hasPrefix("-") { throw fail(op[0], "expected one immediate value; '-' appears twice") }
                var value: Int64
                if let v = parseInteger(t.text) { value = v }
                else if let v = constants[t.text] { value = v }
                else if t.text.first.map({ $0.isLetter || $0 == "_" }) == true {
                    throw fail(t, "unknown constant '\(t.text)' (define it with .const before use)")
                } else { throw fail(t, "expected an integer or a constant name, got '\(t.text)'") }
                if negative { value = -value }
                return value
            }
            func single(_ op: [Token], _ what: String) throws -> Token {
                guard op.count == 1 else { throw fail(op[0], "expected \(what)") }
                return op[0]
            }

            if head.text.hasPrefix(".") {
                switch head.text {
                case ".scope":
                    guard operands.count == 1 else { throw fail(head, ".scope takes one argument: neuron or synapse") }
                    let t = try single(operands[0], "neuron or synapse")
                    guard let s = MicrocodeScope.allCases.first(where: { $0.name == t.text }) else {
                        throw fail(t, "unknown scope '\(t.text)'; expected neuron or synapse")
                    }
                    if scope != nil { throw fail(head, ".scope given twice") }
                    if !instructions.isEmpty || !gates.isEmpty || !requires.isEmpty {
                        throw fail(head, ".scope must come before .gate, .require and instructions")
                    }
                    scope = s
                case ".const":
                    // `.const NAME VALUE` (no comma) or `.const NAME, VALUE`.
                    let flat = operands.flatMap { $0 }
                    guard let name = flat.first else { throw fail(endOfLine(), ".const needs a name and a value") }
                    guard name.text.first.map({ $0.isLetter || $0 == "_" }) == true else {
                        throw fail(name, "constant name must start with a letter or '_', got '\(name.text)'")
                    }
                    if isReserved(name.text) { throw fail(name, "'\(name.text)' is a register or state name; choose another constant name") }
                    if constants[name.text] != nil { throw fail(name, "constant '\(name.text)' defined twice") }
                    let rest = Array(flat.dropFirst())
                    guard !rest.isEmpty else { throw fail(endOfLine(), "expected a value after constant name '\(name.text)'") }
                    let v = try immediate(rest)
                    guard v >= Int64(Int32.min) && v <= Int64(Int32.max) else { throw fail(rest[0], "constant \(v) does not fit 32 bits") }
                    constants[name.text] = v
                case ".gate", ".require":
                    guard let sc = scope else { throw fail(head, "\(head.text) before .scope") }
                    guard !operands.isEmpty else { throw fail(endOfLine(), "\(head.text) needs at least one source (x0, y1, mod, ...)") }
                    for op in operands {
                        let t = try single(op, "a source name")
                        guard let src = MicrocodeSource(name: t.text) else { throw fail(t, "unknown source '\(t.text)'") }
                        guard src.readable(in: sc) else { throw fail(t, "\(src.name) is not readable in \(sc.name) scope") }
                        if head.text == ".gate" { if !gates.contains(src) { gates.append(src) } }
                        else if !requires.contains(src) { requires.append(src) }
                    }
                default:
                    throw fail(head, "unknown directive '\(head.text)'; expected .scope, .const, .gate or .require")
                }
                continue
            }

            guard let op = Opcode(mnemonic: head.text) else {
                throw fail(head, "unknown instruction '\(head.text)'; expected one of \(Opcode.mnemonics.joined(separator: ", "))")
            }
            guard let sc = scope else { throw fail(head, "instruction before .scope; start the program with '.scope synapse' or '.scope neuron'") }
            let form = operandForm(op)
            guard operands.count == form.count else {
                let at = operands.count > form.count ? operands[form.count][0] : endOfLine()
                throw fail(at, "'\(op.mnemonic)' takes \(form.count) operands (\(form.map(\.description).joined(separator: ", "))), got \(operands.count)")
            }
            var fields: [Int64] = []
            for (kind, opTokens) in zip(form, operands) {
                switch kind {
                case .register:
                    let t = try single(opTokens, "an ALU register a0..a7")
                    guard let r = aluRegister(t.text) else { throw fail(t, "expected an ALU register a0..a7, got '\(t.text)'") }
                    fields.append(Int64(r))
                case .source:
                    let t = try single(opTokens, "a source name")
                    guard let s = MicrocodeSource(name: t.text) else {
                        throw fail(t, "unknown source '\(t.text)'; expected one of \(MicrocodeSource.names.joined(separator: ", "))")
                    }
                    guard s.readable(in: sc) else { throw fail(t, "\(s.name) is not readable in \(sc.name) scope") }
                    fields.append(Int64(s.rawValue))
                case .destination:
                    let t = try single(opTokens, "a destination name")
                    guard let dst = MicrocodeDestination(name: t.text) else {
                        throw fail(t, "unknown destination '\(t.text)'; expected one of \(MicrocodeDestination.names.joined(separator: ", "))")
                    }
                    guard dst.writable(in: sc) else { throw fail(t, "\(dst.name) is not writable in \(sc.name) scope") }
                    fields.append(Int64(dst.rawValue))
                case .immediate(let range):
                    let v = try immediate(opTokens)
                    guard range.contains(v) else {
                        throw fail(opTokens[0], "'\(op.mnemonic)' immediate \(v) is outside \(range.lowerBound)...\(range.upperBound)")
                    }
                    fields.append(v)
                }
            }
            guard instructions.count < storeCapacity else {
                throw fail(head, "program exceeds the microcode store of \(storeCapacity) instructions")
            }
            instructions.append(encode(op, fields))
        }
        guard let sc = scope else {
            throw ChipError.syntax(file: file, line: 1, column: 1, message: "missing '.scope synapse' or '.scope neuron'")
        }
        let program = MicrocodeProgram(scope: sc, gates: gates, requires: requires, instructions: instructions)
        if let message = program.validationError() {   // unreachable if the checks above are complete
            throw ChipError.syntax(file: file, line: 1, column: 1, message: message)
        }
        return program
    }

    /// Text of a program that assembles back to the same program.
    public static func disassemble(_ p: MicrocodeProgram) -> String {
        var out = ".scope \(p.scope.name)\n"
        if !p.gates.isEmpty { out += ".gate " + p.gates.map(\.name).joined(separator: ", ") + "\n" }
        if !p.requires.isEmpty { out += ".require " + p.requires.map(\.name).joined(separator: ", ") + "\n" }
        for ins in p.instructions { out += text(of: ins) + "\n" }
        return out
    }

    /// One instruction as assembly text.
    public static func text(of ins: MicrocodeInstruction) -> String {
        func r(_ x: UInt8) -> String { "a\(x)" }
        let m = ins.op.mnemonic.padding(toLength: 6, withPad: " ", startingAt: 0)
        switch ins.op {
        case .ld: return "\(m) \(r(ins.d)), \(MicrocodeSource(rawValue: ins.a)?.name ?? "?")"
        case .ldi, .rand: return "\(m) \(r(ins.d)), \(ins.imm)"
        case .mov, .sign, .abs, .neg: return "\(m) \(r(ins.d)), \(r(ins.a))"
        case .add, .sub, .min, .max: return "\(m) \(r(ins.d)), \(r(ins.a)), \(r(ins.b))"
        case .mul: return "\(m) \(r(ins.d)), \(r(ins.a)), \(r(ins.b)), \(ins.imm)"
        case .sh, .sat, .sround: return "\(m) \(r(ins.d)), \(r(ins.a)), \(ins.imm)"
        case .sel: return "\(m) \(r(ins.d)), \(r(ins.a)), \(r(ins.b)), \(r(ins.c))"
        case .st: return "\(m) \(MicrocodeDestination(rawValue: ins.d)?.name ?? "?"), \(r(ins.a))"
        case .rad: return "\(m) \(r(ins.d)), \(ins.imm)"
        case .gau: return "\(m) \(r(ins.d)), \(ins.imm), \(ins.b)"
        case .srk: return "\(m) \(r(ins.d)), \(r(ins.a)), \(ins.imm)"
        }
    }

    // MARK: - Internals

    enum OperandKind: CustomStringConvertible {
        case register, source, destination, immediate(ClosedRange<Int64>)
        var description: String {
            switch self {
            case .register: return "register"
            case .source: return "source"
            case .destination: return "destination"
            case .immediate(let r): return "immediate \(r.lowerBound)...\(r.upperBound)"
            }
        }
    }

    static func operandForm(_ op: Opcode) -> [OperandKind] {
        let i32: ClosedRange<Int64> = Int64(Int32.min)...Int64(Int32.max)
        switch op {
        case .ld: return [.register, .source]
        case .ldi: return [.register, .immediate(i32)]
        case .rand: return [.register, .immediate(1...31)]
        case .mov, .sign, .abs, .neg: return [.register, .register]
        case .add, .sub, .min, .max: return [.register, .register, .register]
        case .mul: return [.register, .register, .register, .immediate(0...62)]
        case .sh: return [.register, .register, .immediate(-31...31)]
        case .sat: return [.register, .register, .immediate(1...32)]
        case .sround: return [.register, .register, .immediate(1...31)]
        case .sel: return [.register, .register, .register, .register]
        case .st: return [.destination, .register]
        case .rad: return [.register, .immediate(1...32767)]
        case .gau: return [.register, .immediate(1...32767), .immediate(1...255)]
        case .srk: return [.register, .register, .immediate(0...62)]
        }
    }

    static func encode(_ op: Opcode, _ f: [Int64]) -> MicrocodeInstruction {
        let u = { (k: Int) in UInt8(f[k]) }
        switch op {
        case .ld: return .init(op, d: u(0), a: u(1))
        case .ldi, .rand: return .init(op, d: u(0), imm: Int32(f[1]))
        case .mov, .sign, .abs, .neg: return .init(op, d: u(0), a: u(1))
        case .add, .sub, .min, .max: return .init(op, d: u(0), a: u(1), b: u(2))
        case .mul: return .init(op, d: u(0), a: u(1), b: u(2), imm: Int32(f[3]))
        case .sh, .sat, .sround: return .init(op, d: u(0), a: u(1), imm: Int32(f[2]))
        case .sel: return .init(op, d: u(0), a: u(1), b: u(2), c: u(3))
        case .st: return .init(op, d: u(0), a: u(1))
        case .rad: return .init(op, d: u(0), imm: Int32(f[1]))
        case .gau: return .init(op, d: u(0), b: u(2), imm: Int32(f[1]))
        case .srk: return .init(op, d: u(0), a: u(1), imm: Int32(f[2]))
        }
    }

    static func aluRegister(_ s: String) -> Int? {
        guard s.count == 2, s.first == "a", let d = s.last, d.isASCII, let k = d.wholeNumberValue, k < MicrocodeMachine.aluRegisters else { return nil }
        return k
    }

    static func isReserved(_ s: String) -> Bool {
        aluRegister(s) != nil || MicrocodeSource(name: s) != nil || MicrocodeDestination(name: s) != nil
            || Opcode(mnemonic: s) != nil
    }

    /// Decimal or 0x-hex with ASCII digits only and at most one leading '-'.
    static func parseInteger(_ s: String) -> Int64? {
        var body = Substring(s), negative = false
        if body.hasPrefix("-") { negative = true; body = body.dropFirst() }
        var radix = 10
        if body.hasPrefix("0x") || body.hasPrefix("0X") { radix = 16; body = body.dropFirst(2) }
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && ($0.isHexDigit && (radix == 16 || $0.isNumber)) }) else { return nil }
        guard let v = Int64(body, radix: radix) else { return nil }
        return negative ? -v : v
    }

    struct Token { let text: String; let column: Int }

    /// Splits a line into names/numbers/directives, ',' and '-'; stops at ';' or '#'.
    static func tokenize(_ chars: [Character], file: String, line: Int) throws -> [Token] {
        var out: [Token] = []
        var k = 0
        func isWord(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" || c == "." }
        while k < chars.count {
            let c = chars[k]
            if c == ";" || c == "#" { break }
            if c == " " || c == "\t" || c == "\r" || c == "\u{FEFF}" { k += 1; continue }
            if c == "," || c == "-" { out.append(Token(text: String(c), column: k + 1)); k += 1; continue }
            if isWord(c) {
                let start = k
                while k < chars.count && isWord(chars[k]) { k += 1 }
                out.append(Token(text: String(chars[start..<k]), column: start + 1))
                continue
            }
            throw ChipError.syntax(file: file, line: line, column: k + 1, message: "unexpected character '\(c)'")
        }
        // A '-' directly followed by a number is a negative literal.
        var merged: [Token] = []
        var i = 0
        while i < out.count {
            if out[i].text == "-", i + 1 < out.count, out[i + 1].column == out[i].column + 1,
               let f = out[i + 1].text.first, f.isNumber {
                merged.append(Token(text: "-" + out[i + 1].text, column: out[i].column)); i += 2
            } else { merged.append(out[i]); i += 1 }
        }
        return merged
    }
}
