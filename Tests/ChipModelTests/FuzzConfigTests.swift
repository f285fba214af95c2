import Foundation
import Testing
@testable import ChipModel

// Fuzzing of what ChipModel reads: configs (as bytes and as JSON trees), energy tables,
// microcode and rule strings. Each mutated input must give a value or a ChipError; a Swift
// trap kills the test process, so finishing is the check. Fixed seeds: the same inputs every
// run. Longer, CLI-driven runs: scripts/fuzz.sh.

/// splitmix64: a tiny deterministic generator for the fuzzers (not the chip's PRNG).
struct FuzzRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    mutating func pick<T>(_ a: [T]) -> T { a[below(a.count)] }
}

/// Byte-level mutations: truncation, bit flips, byte replacement, insertion of tricky text,
/// deletion and duplication of a span.
func mutateBytes(_ input: [UInt8], _ rng: inout FuzzRandom) -> [UInt8] {
    var b = input
    let tricky: [String] = ["1e400", "-1e400", "1e300", "9223372036854775807", "-9223372036854775808", "18446744073709551616",
                            "\\uD800", "\\uDC00\\uD800", "\u{FEFF}", "\r\n", "[[[[[[[[", "}}}}", "\"", "\\", "null", "-", "--5",
                            "0x", "\u{0665}", "\u{FF15}", "NaN", "Infinity", ",", ":", "\u{0}", "4294967296", "2147483648"]
    for _ in 0 ..< 1 + rng.below(3) {
        switch rng.below(6) {
        case 0: if !b.isEmpty { b = Array(b[0 ..< rng.below(b.count)]) }
        case 1: if !b.isEmpty { let i = rng.below(b.count); b[i] ^= UInt8(1 << rng.below(8)) }
        case 2: if !b.isEmpty { b[rng.below(b.count)] = UInt8(truncatingIfNeeded: rng.next()) }
        case 3: b.insert(contentsOf: Array(rng.pick(tricky).utf8), at: rng.below(b.count + 1))
        case 4: if b.count > 1 { let i = rng.below(b.count), n = 1 + rng.below(min(32, b.count - i)); b.removeSubrange(i ..< i + n) }
        default: if b.count > 1 { let i = rng.below(b.count), n = 1 + rng.below(min(64, b.count - i)); b.insert(contentsOf: b[i ..< i + n], at: rng.below(b.count + 1)) }
        }
    }
    return b
}

/// Tree-level mutations of JSON: drop a key, replace a value by another type or an extreme
/// number, duplicate an array element, empty a container.
func mutateJSON(_ v: JSONValue, _ rng: inout FuzzRandom, depth: Int = 0) -> JSONValue {
    let extremes: [JSONValue] = [
        .number(0, text: "0"), .number(-1, text: "-1"), .number(1e300, text: "1e300"), .number(-1e300, text: "-1e300"),
        .number(9e15, text: "9e15"), .number(4294967296, text: "4294967296"), .number(2147483648, text: "2147483648"),
        .number(0.5, text: "0.5"), .number(-0.0, text: "-0"), .number(16777217, text: "16777217"), .number(1e-300, text: "1e-300"),
        .string(""), .string("x"), .string("../../x"), .bool(true), .null, .array([]), .object([]),
        .array([.number(1, text: "1")]), .number(.infinity, text: "1e400"), .number(.nan, text: "nan"),
    ]
    if depth > 0 && rng.below(6) == 0 { return rng.pick(extremes) }
    switch v {
    case let .object(kv) where !kv.isEmpty:
        var kv = kv
        let i = rng.below(kv.count)
        switch rng.below(4) {
        case 0: kv.remove(at: i)
        case 1: kv[i].1 = rng.pick(extremes)
        default: kv[i].1 = mutateJSON(kv[i].1, &rng, depth: depth + 1)
        }
        return .object(kv)
    case let .array(items) where !items.isEmpty:
        var items = items
        let i = rng.below(items.count)
        switch rng.below(4) {
        case 0: items.remove(at: i)
        case 1: items.append(items[i])
        default: items[i] = mutateJSON(items[i], &rng, depth: depth + 1)
        }
        return .array(items)
    default:
        return rng.pick(extremes)
    }
}

/// Runs `body`, counting a ChipError as a clean rejection; any other error is a finding.
func fuzzAttempt(_ what: String, _ body: () throws -> Void) -> Bool {
    do { try body(); return true }
    catch is ChipError { return false }
    catch let e as SpikeRaster.Invalid { Issue.record("\(what): raw SpikeRaster.Invalid \(e)"); return false }
    catch { Issue.record("\(what): non-ChipError \(error)"); return false }
}

@Suite("Fuzz: configs, energy tables, microcode, rule strings")
struct FuzzConfigTests {
    static let seeds = ["quickstart.json", "mesh-4x4.json", "readout-yinyang.json", "rstdp-association.json", "opzo-sine.json"]

    func seedTexts() -> [[UInt8]] {
        Self.seeds.compactMap { FileManager.default.contents(atPath: repoRoot + "/configs/" + $0).map { [UInt8]($0) } }
    }

    /// Builds the chip only for small networks (so the fuzz stays fast); mapping and synapse
    /// allocation are where oversized or odd values used to trap.
    func buildIfSmall(_ c: ExperimentConfig) throws {
        let synapses = c.network.connections.reduce(0) { acc, k in
            acc + (c.network.layers.first { $0.name == k.from }?.size ?? 0) * (c.network.layers.first { $0.name == k.to }?.size ?? 0)
        }
        if synapses <= 200_000 && c.chip.cores <= 64 { _ = try Chip(config: c) }
    }

    @Test func configBytes() throws {
        let texts = seedTexts()
        #expect(texts.count == Self.seeds.count)
        var rng = FuzzRandom(seed: 0xC0FF_EE01)
        var accepted = 0
        for k in 0 ..< 600 {
            let bytes = mutateBytes(texts[k % texts.count], &rng)
            if fuzzAttempt("config bytes #\(k)", {
                let c = try ExperimentConfig(json: JSONValue.parse(Data(bytes), file: "f.json"), file: repoRoot + "/configs/f.json")
                _ = c.resolvedJSON.serialized()
            }) { accepted += 1 }
        }
        // Some mutations (in comments, in strings) leave a valid config: the fuzzer reaches past the parser.
        #expect(accepted > 0)
    }

    @Test func configTrees() throws {
        let trees = try seedTexts().map { try JSONValue.parse(Data($0), file: "seed") }
        var rng = FuzzRandom(seed: 0xC0FF_EE02)
        var accepted = 0
        for k in 0 ..< 1500 {
            var v = trees[k % trees.count]
            for _ in 0 ..< 1 + rng.below(3) { v = mutateJSON(v, &rng) }
            if fuzzAttempt("config tree #\(k)", {
                let c = try ExperimentConfig(json: v, file: repoRoot + "/configs/f.json")
                _ = c.resolvedJSON.serialized()
                try buildIfSmall(c)
            }) { accepted += 1 }
        }
        #expect(accepted > 50)
    }

    @Test func energyTables() throws {
        let seed = try #require(FileManager.default.contents(atPath: repoRoot + "/configs/energy/loihi.json"))
        let tree = try JSONValue.parse(seed, file: "loihi.json")
        var rng = FuzzRandom(seed: 0xC0FF_EE03)
        for k in 0 ..< 400 {
            let v = k % 2 == 0 ? mutateJSON(tree, &rng) : ((try? JSONValue.parse(Data(mutateBytes([UInt8](seed), &rng)), file: "e")) ?? .null)
            _ = fuzzAttempt("energy table #\(k)") {
                let t = try EnergyTable(json: v, file: "e.json")
                // Every figure a table yields must be finite (non-finite numbers are refused when read).
                #expect(t.staticWattsPerCore.isFinite)
            }
        }
    }

    static let programs = [
        ".scope synapse\n.gate x0, y0\n.const K 3\nld a0, x1\nld a1, y0\nmul a2, a0, a1, 4\nsh a2, a2, -K\nld a3, w\nadd a3, a3, a2\nst w, a3\n",
        ".scope neuron\n.require y0\nld a0, mod\nrand a1, 8\nsel a2, a0, a1, a0\nsat a2, a2, 16\nst r0, a2\n",
        "; comment\n.scope synapse\nldi a0, -0x10\nldi a1, 2147483647\nsround a0, a0, 3\nmin a2, a0, a1\nneg a3, a2\nabs a4, a3\nsign a5, a4\nst aux, a5\n",
    ]

    @Test func microcode() {
        var rng = FuzzRandom(seed: 0xC0FF_EE04)
        var accepted = 0
        for k in 0 ..< 1500 {
            let src = String(decoding: mutateBytes(Array(Self.programs[k % Self.programs.count].utf8), &rng), as: UTF8.self)
            if fuzzAttempt("microcode #\(k)", {
                let p = try MicrocodeAssembler.assemble(src, file: "p.mc")
                #expect(p.instructions.count <= MicrocodeAssembler.storeCapacity)
                // What assembles disassembles to text that assembles to the same program.
                #expect(try MicrocodeAssembler.assemble(MicrocodeAssembler.disassemble(p)) == p)
            }) { accepted += 1 }
        }
        #expect(accepted > 0)
    }

    static let rules = ["dw = 2^-4 * x1 * y0 - 2^-5 * y1 * x0", "dw = -2^-8 * x1 * r0 * mod; dt = y0", "dt = 3 * (v - 5) * sgn(w)\ndw = t * u1", "dw = x1 * y0 * u0"]

    @Test func ruleStrings() {
        var rng = FuzzRandom(seed: 0xC0FF_EE05)
        for k in 0 ..< 1500 {
            let src = String(decoding: mutateBytes(Array(Self.rules[k % Self.rules.count].utf8), &rng), as: UTF8.self)
            _ = fuzzAttempt("rule #\(k)") {
                let p = try RuleStringCompiler.compile(src)
                #expect(p.instructions.count <= MicrocodeAssembler.storeCapacity)
            }
        }
    }
}
