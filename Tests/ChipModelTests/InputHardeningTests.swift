import Foundation
import Testing
@testable import ChipModel

// Bad input gives a clean ChipError naming the place, never a trap (issue 14): JSON edge
// cases, huge values, microcode and rule-string corner cases, network size limits.

@Suite("Input hardening: JSON, configs, microcode")
struct InputHardeningTests {
    func parseError(_ text: String) -> String { errorText { _ = try JSONValue.parse(text, file: "x.json") } }

    let minimal = #"{"network": {"layers": [{"name": "in", "kind": "input", "size": 2}, {"name": "h", "size": 2}], "connections": [{"from": "in", "to": "h"CONN}]}}"#
    func network(_ connectionExtra: String) -> String { minimal.replacingOccurrences(of: "CONN", with: connectionExtra) }

    @Test func numbersThatOverflowAreRefusedWithLineColumnAndPath() {
        let e = parseError("{\n  \"chip\": {\"clockMHz\": 1e400}\n}")
        #expect(e.hasPrefix("x.json:2:24: $.chip.clockMHz: number 1e400 is out of range"), "\(e)")
        #expect(parseError("[1, -2e308]").contains("$[1]: number -2e308 is out of range"))
        // The largest finite doubles and underflow to zero are fine.
        #expect((try? JSONValue.parse("[1.7976931348623157e308, 1e-400]", file: "x")) == .array([.number(1.7976931348623157e308, text: ""), .number(0, text: "")]))
    }

    @Test func surrogatesAreCheckedNotTrappedOn() throws {
        #expect(parseError(#"["\uD800\u0041"]"#).contains("high surrogate \\uD800 followed by \\u0041, not by a low surrogate"))
        #expect(parseError(#"["\uD800\uD800"]"#).contains("not by a low surrogate"))
        #expect(parseError(#"["\uD800"]"#).contains("unpaired high surrogate"))
        #expect(parseError(#"["\uDC00"]"#).contains("unpaired low surrogate"))
        #expect(parseError(#"["\u+041"]"#).contains("4 hex digits"))
        // A proper pair decodes to one scalar: U+1F600 = D83D DE00.
        #expect(try JSONValue.parse(#""\uD83D\uDE00""#, file: "x") == .string("\u{1F600}"))
    }

    @Test func byteOrderMarkIsAccepted() throws {
        let text = "\u{FEFF}{\"a\": 1}"
        #expect(try JSONValue.parse(text, file: "x")["a"] == .number(1, text: "1"))
        // Only at the start: elsewhere it is an unexpected character.
        #expect(parseError("{\"a\": \u{FEFF}1}").contains("unexpected character"))
    }

    @Test func duplicateKeysAreFoundAmongManyKeys() throws {
        // The check is a hash set (linear); its speed on 200,000 keys is measured with
        // `chipsim validate` (docs/LIMITS.md), not timed here. This asserts the result.
        var s = "{"
        for k in 0 ..< 20_000 { s += (k > 0 ? "," : "") + "\"k\(k)\":\(k)" }
        let value = try JSONValue.parse(s + "}", file: "x")
        guard case let .object(kv) = value else { Issue.record("not an object"); return }
        #expect(kv.count == 20_000)
        #expect(parseError(s + ",\"k77\":1}").contains("duplicate key 'k77'"))
    }

    @Test func nestingLimitIsDocumentedAndEnforced() {
        let ok = String(repeating: "[", count: JSONValue.maxNestingDepth) + String(repeating: "]", count: JSONValue.maxNestingDepth)
        #expect((try? JSONValue.parse(ok, file: "x")) != nil)
        let deep = String(repeating: "[", count: JSONValue.maxNestingDepth + 2) + String(repeating: "]", count: JSONValue.maxNestingDepth + 2)
        #expect(parseError(deep).contains("nesting deeper than \(JSONValue.maxNestingDepth) levels"))
        let docs = (try? String(contentsOfFile: repoRoot + "/docs/LIMITS.md", encoding: .utf8)) ?? ""
        #expect(docs.contains("\(JSONValue.maxNestingDepth)"))
    }

    @Test func hugeNormalInitValuesAreRangeErrorsNotTraps() throws {
        let e = errorText { _ = try config(network(#", "init": {"kind": "normal", "mean": 1e300, "std": 1}"#)) }
        #expect(e.contains("$.network.connections[0].init.mean") && e.contains("above the maximum"), "\(e)")
        let s = errorText { _ = try config(network(#", "init": {"kind": "normal", "mean": 0, "std": 1e300}"#)) }
        #expect(s.contains("$.network.connections[0].init.std"), "\(s)")
        // At the bound the weights saturate to the weight width, and the chip builds.
        let c = try config(network(#", "weightBits": 8, "init": {"kind": "normal", "mean": -1e6, "std": 1e6}"#))
        let w = try Chip.initialWeights(connection: 0, of: c)
        #expect(w.allSatisfy { (-128 ... 127).contains($0) })
    }

    @Test func energyTablesWithOverflowingNumbersAreRefused() throws {
        let text = try String(contentsOfFile: repoRoot + "/configs/energy/loihi.json", encoding: .utf8)
        guard let r = text.range(of: #""picojoules": "#) else { Issue.record("no picojoules key"); return }
        var bad = text
        let end = bad[r.upperBound...].firstIndex { $0 == "," || $0 == "}" }!
        bad.replaceSubrange(r.upperBound ..< end, with: "1e999")
        let e = errorText { _ = try EnergyTable(json: JSONValue.parse(bad, file: "e.json"), file: "e.json") }
        #expect(e.contains("e.json:") && e.contains(".picojoules: number 1e999 is out of range"), "\(e)")
    }

    @Test func nonFiniteNumbersBuiltInCodeAreRefusedByTheReader() throws {
        let r = try JSONReader(.object([("x", .number(.infinity, text: "inf"))]), file: "f", path: "$")
        #expect(errorText { _ = try r.double("x") }.contains("$.x: expected a finite number"))
    }

    @Test func networkSizeIsCheckedBeforeAllocating() {
        let big = #"{"network": {"layers": [{"name": "in", "kind": "input", "size": 100000}, {"name": "h", "size": 100000}], "connections": [{"from": "in", "to": "h"}]}}"#
        #expect(errorText { _ = try config(big) }.contains("$.network.connections: 10000000000 synapses"))
        // Sparse: what is stored is pre x post x density (2^28 at most), what is drawn pre x post (2^32).
        let sparseOK = #"{"network": {"layers": [{"name": "in", "kind": "input", "size": 32768}, {"name": "h", "size": 32768}], "connections": [{"from": "in", "to": "h", "layout": "sparse", "density": 0.01}]}}"#
        #expect(errorText { _ = try config(sparseOK) } == "<no error>")
        let sparseDense = #"{"network": {"layers": [{"name": "in", "kind": "input", "size": 32768}, {"name": "h", "size": 32768}], "connections": [{"from": "in", "to": "h", "layout": "sparse", "density": 0.5}]}}"#
        #expect(errorText { _ = try config(sparseDense) }.contains("536870912 synapses"))
        let sparseWide = #"{"network": {"layers": [{"name": "in", "kind": "input", "size": 100000}, {"name": "h", "size": 100000}], "connections": [{"from": "in", "to": "h", "layout": "sparse", "density": 0.001}]}}"#
        #expect(errorText { _ = try config(sparseWide) }.contains("draw 10000000000 positions"))
        var layers = #"{"name": "in", "kind": "input", "size": 16777216}"#
        for k in 0 ..< 4 { layers += #", {"name": "l\#(k)", "size": 16777216, "neuron": {"biasMant": 1}}"# }
        #expect(errorText { _ = try config(#"{"network": {"layers": [\#(layers)], "connections": []}}"#) }.contains("neurons in all exceed the limit"))
    }

    // MARK: Microcode and rule strings

    @Test func doubleNegationAndNonASCIIDigitsAreRefused() {
        func asm(_ body: String) -> String { errorText { _ = try MicrocodeAssembler.assemble(".scope synapse\n" + body, file: "p.mc") } }
        #expect(asm("ldi a0, --5\n").contains("'-' appears twice"))
        #expect(asm(".const K -5\nldi a0, --K\n").contains("p.mc:3:"))
        #expect(asm("ldi a0, \u{0665}\n").contains("expected an integer"))          // Arabic-Indic five
        #expect(asm("ldi a0, \u{FF15}\n").contains("expected an integer"))          // full-width five
        #expect(asm("ldi a0, 0x\u{FF11}\n").contains("expected an integer"))
        #expect(asm("ldi a\u{0661}, 1\n").contains("expected an ALU register"))
        #expect((try? MicrocodeAssembler.assemble(".scope synapse\nldi a0, -5\n").instructions.first?.imm) == -5)
        #expect((try? MicrocodeAssembler.assemble(".scope synapse\nldi a0, -0x10\n").instructions.first?.imm) == -16)
        #expect(errorText { _ = try RuleStringCompiler.compile("dw = \u{0663} * x1 * y0") }.contains("expected"))
        #expect(errorText { _ = try RuleStringCompiler.compile("dw = x1 * y0 * u\u{0663}") }.contains("unknown variable"))
    }

    @Test func crlfLineEndsAssembleLikeLF() throws {
        let lf = ".scope synapse\n.gate x0\nld a0, x1\nst w, a0\n"
        let crlf = lf.replacingOccurrences(of: "\n", with: "\r\n")
        #expect(try MicrocodeAssembler.assemble(crlf) == MicrocodeAssembler.assemble(lf))
        // Errors still name the right line.
        #expect(errorText { _ = try MicrocodeAssembler.assemble(".scope synapse\r\nnop\r\n", file: "p.mc") }.contains("p.mc:2:1"))
        #expect(try RuleStringCompiler.compile("dw = x1 * y0\r\ndt = y0") == RuleStringCompiler.compile("dw = x1 * y0\ndt = y0"))
    }

    @Test func microcodeStoreCapacityIsChecked() throws {
        let ok = ".scope synapse\n" + String(repeating: "mov a0, a1\n", count: MicrocodeAssembler.storeCapacity)
        #expect(try MicrocodeAssembler.assemble(ok).instructions.count == MicrocodeAssembler.storeCapacity)
        let e = errorText { _ = try MicrocodeAssembler.assemble(ok + "mov a0, a1\n", file: "p.mc") }
        #expect(e.contains("p.mc:\(MicrocodeAssembler.storeCapacity + 2):1: program exceeds the microcode store of \(MicrocodeAssembler.storeCapacity) instructions"), "\(e)")
        // A rule string that compiles past the store is refused as well (each term costs instructions).
        let terms = (0 ..< 200).map { _ in "x1 * y0 * y1 * 3" }.joined(separator: " + ")
        #expect(errorText { _ = try RuleStringCompiler.compile("dw = " + terms) }.contains("more than the microcode store"))
    }
}
