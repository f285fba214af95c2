// Loihi/Lava-style learning rules as sums of products, compiled to synapse-scope microcode.
//
// Grammar (whitespace free; statements separated by ';' or newlines):
//     rule    := target '=' sum              target: dw (weight), dt (tag = aux register);
//                                            dd (delay) is recognised and rejected
//     sum     := [+|-] product { (+|-) product }
//     product := factor { '*' factor }
//     factor  := INTEGER | '2^' [+|-] INTEGER | VAR | 'sgn(' VAR ')' | '(' VAR (+|-) INTEGER ')'
//     VAR     := x0 x1 x2 y0 y1 y2 y3 u v mod r0 r1 r2 r3 w t
// Unlike Lava, `u` and `v` are the post neuron's current and voltage; Lava's epoch
// dependencies u0..u9 are accepted and read as 1 (the engine's tEpoch schedules learning);
// no product needs a dependency factor (the skip rule is derived instead); constants are
// integers and powers of two (no decimals).
//
// Arithmetic (exact; F = options.fractionBits):
//     term  = s * floor(|m| * f1 * ... * fk * 2^(e + F))   s: the term's sign (of '-' and of the
//                                                      constants), |m|: product of the integer
//                                                      constants' magnitudes, e: sum of 2^
//                                                      exponents. Factors multiply left to
//                                                      right, each product saturated to 32 bits;
//                                                      a right shift (e + F < 0) is folded into
//                                                      the last multiply, which floors the exact
//                                                      64-bit product before saturating.
//     (The sign is applied after the floor, so for non-negative factors a term is truncated
//     toward zero and potentiation and depression of equal size round alike.)
//     delta = round_F(sum of terms)                    F = 0: no rounding; else floor or
//                                                      stochastic rounding of the last F bits
//     w' = sat_weightBits(w + delta_w),  t' = sat_auxBits(t + delta_t)
// All deltas are computed from the values before the update (w and t are stored last).
//
// Skip rule: a factor VAR or sgn(VAR) is zero when VAR is. `.require` gets every such VAR
// that occurs in every product (if one is zero, all products are). `.gate` gets, for every
// product, one such VAR (preferring sparse ones: x0, y0, then traces, mod, ...); if some
// product has none (a constant term, or only (VAR + C) factors) there are no gates. Both
// are exact: a skipped synapse's deltas would have been 0.

public struct RuleOptions: Sendable, Equatable {
    /// Fractional bits kept while summing terms, rounded off at the end (0...16).
    public var fractionBits: Int
    /// How the fractional bits are removed: floor, or stochastic rounding with the PRNG.
    public var rounding: TraceRounding

    public init(fractionBits: Int = 0, rounding: TraceRounding = .floor) {
        self.fractionBits = fractionBits; self.rounding = rounding
    }
}

public enum RuleStringCompiler {
    public static func compile(_ text: String, file: String = "<rule>",
                               options: RuleOptions = RuleOptions()) throws -> MicrocodeProgram {
        var parser = RuleParser(text: text, file: file)
        let rules = try parser.parseRules()
        return try generate(rules, options: options, file: file)
    }

    // MARK: - Code generation

    static let gatePreference: [MicrocodeSource] = [.x0, .y0, .x1, .x2, .y1, .y2, .y3, .mod,
                                                     .r0, .r1, .r2, .r3, .aux, .w, .u, .v]

    static func generate(_ rules: [RuleParser.Rule], options: RuleOptions, file: String) throws -> MicrocodeProgram {
        let F = options.fractionBits
        guard (0...16).contains(F) else {
            throw ChipError.syntax(file: file, line: 1, column: 1, message: "fractionBits \(F) outside 0...16")
        }
        var code: [MicrocodeInstruction] = []
        var gates: [MicrocodeSource] = []
        var ungated = false
        var common: Set<MicrocodeSource>? = nil   // gate-able factors present in every product
        // a0: delta w, a1: delta t, a2: term, a3/a4: factor temporaries, a5: final value.
        func load(_ f: RuleParser.Factor, into r: Int) {
            switch f.kind {
            case .variable(let s): code.append(.ld(r, s))
            case .sign(let s): code.append(.ld(r, s)); code.append(.unary(.sign, r, r))
            case .offset(let s, let c):
                code.append(.ld(r, s)); code.append(.ldi(4, c)); code.append(.binary(.add, r, r, 4))
            case .integer, .power: preconditionFailure("constants are folded")
            }
        }
        for rule in rules {
            let acc = rule.target == .w ? 0 : 1
            for term in rule.terms {
                var mantissa: Int64 = term.negative ? -1 : 1
                var exponent = 0
                var variables: [RuleParser.Factor] = []
                for f in term.factors {
                    switch f.kind {
                    case .integer(let v):
                        mantissa *= v
                        guard abs(mantissa) <= Int64(Int32.max) else {
                            throw ChipError.syntax(file: file, line: f.line, column: f.column,
                                                   message: "constant product of this term exceeds 32 bits")
                        }
                    case .power(let e): exponent += e
                    default: variables.append(f)
                    }
                }
                // Gate factor of this product.
                let candidates = variables.compactMap { f -> MicrocodeSource? in
                    switch f.kind { case .variable(let s), .sign(let s): return s; default: return nil }
                }
                if mantissa == 0 { continue }   // a zero term contributes nothing
                common = common.map { $0.intersection(candidates) } ?? Set(candidates)
                if let g = gatePreference.first(where: { candidates.contains($0) }) {
                    if !gates.contains(g) { gates.append(g) }
                } else { ungated = true }
                if let first = variables.first {
                    load(first, into: 2)
                    for f in variables.dropFirst() {
                        load(f, into: 3)
                        code.append(.mul(2, 2, 3, shift: 0))
                    }
                } else {
                    code.append(.ldi(2, 1))
                }
                let magnitude = abs(mantissa)
                if magnitude != 1 { code.append(.ldi(3, Int32(magnitude))); code.append(.mul(2, 2, 3, shift: 0)) }
                let shift = exponent + F
                guard (-31...31).contains(shift) else {
                    throw ChipError.syntax(file: file, line: term.line, column: term.column,
                                           message: "scale 2^\(exponent) with \(F) fraction bits is outside 2^-31...2^31")
                }
                if shift < 0, let last = code.last, last.op == .mul, last.d == 2, last.imm == 0 {
                    code[code.count - 1].imm = Int32(-shift)   // fold: floor((a*b) / 2^k) in the multiply
                } else if shift != 0 {
                    code.append(.sh(2, 2, shift))
                }
                if mantissa < 0 { code.append(.unary(.neg, 2, 2)) }
                code.append(.binary(.add, acc, acc, 2))
            }
            if F > 0 {
                code.append(options.rounding == .stochastic ? .sround(acc, acc, shift: F) : .sh(acc, acc, -F))
            }
        }
        for rule in rules {
            let acc = rule.target == .w ? 0 : 1
            let src: MicrocodeSource = rule.target == .w ? .w : .aux
            code.append(.ld(5, src))
            code.append(.binary(.add, 5, 5, acc))
            code.append(.st(rule.target == .w ? .w : .aux, 5))
        }
        let requires = gatePreference.filter { common?.contains($0) == true }
        guard code.count <= MicrocodeAssembler.storeCapacity else {
            throw ChipError.syntax(file: file, line: 1, column: 1, message: "the rule compiles to \(code.count) instructions, more than the microcode store's \(MicrocodeAssembler.storeCapacity)")
        }
        return MicrocodeProgram(scope: .synapse, gates: ungated ? [] : gates, requires: requires, instructions: code)
    }
}

/// Recursive-descent parser of rule strings; every error names line and column.
struct RuleParser {
    enum Target: Equatable { case w, t }
    struct Factor {
        enum Kind { case integer(Int64), power(Int), variable(MicrocodeSource), sign(MicrocodeSource), offset(MicrocodeSource, Int32) }
        let kind: Kind
        let line: Int
        let column: Int
    }
    struct Term { var negative: Bool; var factors: [Factor]; let line: Int; let column: Int }
    struct Rule { let target: Target; var terms: [Term] }

    struct Token { let text: String; let line: Int; let column: Int }

    let file: String
    var tokens: [Token] = []
    var pos = 0
    let endLine: Int
    let endColumn: Int

    init(text: String, file: String) {
        self.file = file
        var line = 1, col = 1
        let chars = Array(text)
        var k = 0
        var toks: [Token] = []
        while k < chars.count {
            let c = chars[k]
            // "\r\n" is one Character in Swift: treat it as a line end like "\n".
            let newline = c == "\n" || c == "\r\n"
            if newline || c == ";" { toks.append(Token(text: ";", line: line, column: col)) }
            if newline { line += 1; col = 1; k += 1; continue }
            if c == " " || c == "\t" || c == "\r" || c == ";" { k += 1; col += 1; continue }
            if c.isLetter || c.isNumber || c == "_" {
                let start = k, startCol = col
                while k < chars.count && (chars[k].isLetter || chars[k].isNumber || chars[k] == "_") { k += 1; col += 1 }
                toks.append(Token(text: String(chars[start..<k]), line: line, column: startCol))
                continue
            }
            toks.append(Token(text: String(c), line: line, column: col))
            k += 1; col += 1
        }
        tokens = toks
        endLine = line; endColumn = col
    }

    func error(_ message: String, at t: Token? = nil) -> ChipError {
        let t = t ?? peek() ?? Token(text: "", line: endLine, column: endColumn)
        return .syntax(file: file, line: t.line, column: t.column, message: message)
    }
    func peek() -> Token? { pos < tokens.count ? tokens[pos] : nil }
    mutating func next() -> Token? { defer { pos += 1 }; return peek() }
    mutating func expect(_ s: String, _ what: String) throws -> Token {
        guard let t = peek() else { throw error("expected \(what) at end of rule") }
        guard t.text == s else { throw error("expected \(what), got '\(t.text)'") }
        pos += 1
        return t
    }

    mutating func parseRules() throws -> [Rule] {
        var rules: [Rule] = []
        while true {
            while peek()?.text == ";" { pos += 1 }
            guard let t = peek() else { break }
            let target: Target
            switch t.text {
            case "dw": target = .w
            case "dt": target = .t
            case "dd": throw error("dd (synaptic delay) is not supported: this chip has no per-synapse delay register; use dw or dt")
            default: throw error("expected a target dw or dt, got '\(t.text)'")
            }
            if rules.contains(where: { $0.target == target }) { throw error("\(t.text) is defined twice") }
            pos += 1
            _ = try expect("=", "'=' after \(t.text)")
            rules.append(Rule(target: target, terms: try parseSum()))
            if let t = peek(), t.text != ";" { throw error("expected '+', '-', '*' or end of rule, got '\(t.text)'") }
        }
        if rules.isEmpty { throw error("empty rule string; expected e.g. 'dw = 2^-4 * x1 * y0'") }
        return rules
    }

    mutating func parseSum() throws -> [Term] {
        var terms: [Term] = []
        var negative = false
        if let t = peek(), t.text == "+" || t.text == "-" { negative = t.text == "-"; pos += 1 }
        while true {
            guard let start = peek(), start.text != ";" else { throw error("expected a product (e.g. x1 * y0)") }
            var term = Term(negative: negative, factors: [try parseFactor()], line: start.line, column: start.column)
            while peek()?.text == "*" { pos += 1; term.factors.append(try parseFactor()) }
            terms.append(term)
            guard let t = peek(), t.text == "+" || t.text == "-" else { break }
            negative = t.text == "-"; pos += 1
        }
        return terms
    }

    mutating func variable() throws -> MicrocodeSource {
        guard let t = peek() else { throw error("expected a variable (x0, x1, y1, w, t, ...)") }
        let name = t.text == "t" ? "aux" : t.text
        guard t.text != "aux", let s = MicrocodeSource(name: name) else {
            throw error("unknown variable '\(t.text)'; expected x0 x1 x2 y0 y1 y2 y3 u v mod r0 r1 r2 r3 w t")
        }
        pos += 1
        return s
    }

    mutating func integer(_ what: String) throws -> Int64 {
        guard let t = peek() else { throw error("expected \(what) at end of rule") }
        guard t.text.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int64(t.text), v <= Int64(Int32.max) else {
            throw error("expected \(what) (ASCII digits), got '\(t.text)'")
        }
        pos += 1
        return v
    }

    mutating func parseFactor() throws -> Factor {
        guard let t = peek(), t.text != ";" else { throw error("expected a factor (number, 2^-k, variable, sgn(v) or (v + c))") }
        if t.text == "(" {
            pos += 1
            let s = try variable()
            guard let op = peek(), op.text == "+" || op.text == "-" else { throw error("expected '+' or '-' inside ( )") }
            pos += 1
            let c = try integer("an integer constant")
            _ = try expect(")", "')'")
            return Factor(kind: .offset(s, Int32(op.text == "-" ? -c : c)), line: t.line, column: t.column)
        }
        if t.text == "sgn" {
            pos += 1
            _ = try expect("(", "'(' after sgn")
            let s = try variable()
            _ = try expect(")", "')'")
            return Factor(kind: .sign(s), line: t.line, column: t.column)
        }
        if t.text.count == 2, t.text.first == "u", let k = t.text.last, k.isASCII, k.isNumber {
            pos += 1   // Lava's epoch dependency uK: learning epochs are scheduled by the engine (tEpoch)
            return Factor(kind: .integer(1), line: t.line, column: t.column)
        }
        if let first = t.text.first, first.isNumber {
            if pos + 1 < tokens.count, tokens[pos + 1].text == ".", tokens[pos + 1].column == t.column + t.text.count {
                throw error("decimal constants are not supported; write an integer times 2^-k (e.g. 3 * 2^-5)", at: t)
            }
            let v = try integer("an integer")
            if peek()?.text == "^" {
                guard v == 2 else { throw error("only powers of 2 are allowed (2^k)", at: t) }
                pos += 1
                var sign: Int64 = 1
                if let s = peek(), s.text == "-" || s.text == "+" { sign = s.text == "-" ? -1 : 1; pos += 1 }
                let e = try integer("an exponent")
                guard e <= 31 else { throw error("exponent \(sign * e) outside -31...31", at: t) }
                return Factor(kind: .power(Int(sign * e)), line: t.line, column: t.column)
            }
            return Factor(kind: .integer(v), line: t.line, column: t.column)
        }
        return Factor(kind: .variable(try variable()), line: t.line, column: t.column)
    }
}
