import Foundation
import Testing
@testable import ChipModel

private let base = """
{"name": "t", "seed": 1,
 "chip": {"meshWidth": 1, "meshHeight": 1, "core": {"neurons": 64}},
 "network": {"layers": [{"name": "in", "kind": "input", "size": 4},
                        {"name": "h", "size": 3, "neuron": {"du": 4095, "dv": 0, "vth": 10}}],
             "connections": [{"from": "in", "to": "h", "weightBits": 4, "init": {"kind": "uniform", "low": -8, "high": 7}}]},
 "run": {"steps": 8}}
"""

/// `--set PATH=VALUE`: path and value parsing, application to the JSON, errors, recording.
@Suite struct ConfigOverrideTests {
    @Test func pathsParseWithOrWithoutTheDollarPrefix() throws {
        let expected: [ConfigOverride.Step] = [.key("network"), .key("layers"), .index(1), .key("size")]
        #expect(try ConfigOverride.parsePath("network.layers[1].size") == expected)
        #expect(try ConfigOverride.parsePath("$.network.layers[1].size") == expected)
        #expect(try ConfigOverride.parsePath("a[0][2]") == [.key("a"), .index(0), .index(2)])
        #expect(try ConfigOverride.parsePath("seed") == [.key("seed")])
        #expect(ConfigOverride(steps: expected, value: .null).path == "$.network.layers[1].size")
    }

    @Test(arguments: ["", "$", "a..b", ".a", "a.", "a[x]", "a[-1]", "a[1", "[0]", "a[1]b", "a[]"])
    func badPathsAreUsageErrorsNamingThePath(_ p: String) {
        let e = errorText { _ = try ConfigOverride.parsePath(p) }
        #expect(e.contains("--set path '\(p)'"), "\(e)")
    }

    @Test func valuesAreJSON() throws {
        #expect(try ConfigOverride(parsing: "seed=3").value == .int(3))
        #expect(try ConfigOverride(parsing: "learning.rule=\"dfa\"").value == .string("dfa"))
        #expect(try ConfigOverride(parsing: "run.resetBetweenSamples=false").value == .bool(false))
        let o = try ConfigOverride(parsing: "input.encoder={\"kind\": \"rate\", \"steps\": 16}")
        #expect(o.value == .object([("kind", .string("rate")), ("steps", .int(16))]))
        // The first '=' separates: the value may hold more.
        #expect(try ConfigOverride(parsing: "name=\"a=b\"").value == .string("a=b"))
        #expect(errorText { _ = try ConfigOverride(parsing: "learning.rule=dfa") }.contains("strings need quotes"))
        #expect(errorText { _ = try ConfigOverride(parsing: "seed") }.contains("expected PATH=VALUE"))
    }

    @Test func applyReplacesInPlaceAppendsNewKeysAndCreatesObjects() throws {
        let doc = try JSONValue.parse("{\"a\": 1, \"b\": {\"c\": [10, 20]}, \"d\": 4}", file: "t")
        let r1 = try ConfigOverride(parsing: "b.c[1]=21").apply(to: doc, file: "t")
        #expect(r1.serialized() == (try JSONValue.parse("{\"a\": 1, \"b\": {\"c\": [10, 21]}, \"d\": 4}", file: "t")).serialized())
        let r2 = try ConfigOverride(parsing: "a=2").apply(to: doc, file: "t")
        if case let .object(kv) = r2 { #expect(kv.map(\.0) == ["a", "b", "d"]) }   // position kept
        let r3 = try ConfigOverride(parsing: "x.y.z=true").apply(to: doc, file: "t")
        #expect(r3["x"]?["y"]?["z"] == .bool(true))
        if case let .object(kv) = r3 { #expect(kv.map(\.0) == ["a", "b", "d", "x"]) }
    }

    @Test func applyErrorsNameTheFileAndPath() throws {
        let doc = try JSONValue.parse("{\"a\": 1, \"b\": {\"c\": [10, 20]}}", file: "t")
        let outOfRange = errorText { _ = try ConfigOverride(parsing: "b.c[2]=0").apply(to: doc, file: "f.json") }
        #expect(outOfRange.contains("f.json: $.b.c[2]") && outOfRange.contains("2 element(s)"), "\(outOfRange)")
        let intoNumber = errorText { _ = try ConfigOverride(parsing: "a.x=0").apply(to: doc, file: "f.json") }
        #expect(intoNumber.contains("$.a is a number, not an object"), "\(intoNumber)")
        let indexObject = errorText { _ = try ConfigOverride(parsing: "b[0]=0").apply(to: doc, file: "f.json") }
        #expect(indexObject.contains("$.b is an object, not an array"), "\(indexObject)")
    }

    /// Overrides go in before the config is checked: a bad value fails like a bad file, naming
    /// its JSON path; good ones are recorded, the resolved config parses back to the same
    /// config, and running it again adds its own overrides to the list.
    @Test func overriddenConfigsAreCheckedAndRecorded() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("override-\(getpid()).json").path
        try Data(base.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let bad = errorText { _ = try ExperimentConfig.load(path: path, overrides: [try ConfigOverride(parsing: "run.steps=\"8\"")]) }
        #expect(bad.contains("$.run.steps") && bad.contains("expected an integer"), "\(bad)")
        let range = errorText { _ = try ExperimentConfig.load(path: path, overrides: [try ConfigOverride(parsing: "network.layers[1].neuron.du=4096")]) }
        #expect(range.contains("$.network.layers[1].neuron.du"), "\(range)")
        let unknown = errorText { _ = try ExperimentConfig.load(path: path, overrides: [try ConfigOverride(parsing: "run.stepz=3")]) }
        #expect(unknown.contains("$.run.stepz") && unknown.contains("unknown key"), "\(unknown)")

        let c = try ExperimentConfig.load(path: path, overrides: try ConfigOverride.parse(["seed=5", "run.steps=12", "run.steps=16"]))
        #expect(c.seed == 5 && c.run.steps == 16)   // later wins
        let recorded = c.resolvedJSON["overrides"]
        #expect(recorded == .array([
            .object([("path", .string("$.seed")), ("value", .int(5))]),
            .object([("path", .string("$.run.steps")), ("value", .int(12))]),
            .object([("path", .string("$.run.steps")), ("value", .int(16))]),
        ]))
        let again = try ExperimentConfig(json: c.resolvedJSON, file: path)
        #expect(again == c)
        let more = try ConfigOverride.apply([try ConfigOverride(parsing: "seed=6")], to: c.resolvedJSON, file: path)
        if case let .array(list)? = more["overrides"] { #expect(list.count == 4) } else { Issue.record("no overrides list") }
        // Without overrides the resolved config has no such key (reports stay as they were).
        #expect(try ExperimentConfig.load(path: path).resolvedJSON["overrides"] == nil)
        let badList = errorText { _ = try config(base.replacingOccurrences(of: "\"seed\": 1", with: "\"seed\": 1, \"overrides\": [{\"path\": 3}]")) }
        #expect(badList.contains("$.overrides[0].path"), "\(badList)")
    }
}
