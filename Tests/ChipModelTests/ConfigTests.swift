import Testing
@testable import ChipModel

/// A valid base config; each bad-config test breaks one thing in it.
private let base = """
{"name": "t", "seed": 1,
 "chip": {"meshWidth": 1, "meshHeight": 1, "core": {"neurons": 64}},
 "network": {"layers": [{"name": "in", "kind": "input", "size": 4},
                        {"name": "h", "size": 3, "neuron": {"du": 4095, "dv": 0, "vth": 10}}],
             "connections": [{"from": "in", "to": "h", "weightBits": 4, "init": {"kind": "uniform", "low": -8, "high": 7}}]},
 "run": {"steps": 8}}
"""

private func mutate(_ from: String, _ to: String) -> String {
    precondition(base.contains(from), "test setup: \(from) not in base")
    return base.replacingOccurrences(of: from, with: to)
}

@Suite struct ConfigTests {
    @Test func baseConfigIsValidAndDefaultsAreFilled() throws {
        let c = try config(base)
        #expect(c.chip.timing.synopCycles == 4)
        #expect(c.chip.core.synapseMemoryBytes == 131_072)
        #expect(c.network.layers[1].neuron.parameters.reset == .hard)
        // The resolved config parses back to the same config.
        let again = try config(c.resolvedJSON.serialized())
        #expect(again == c)
    }

    /// Each case: a broken config and fragments its error must contain (path + what was expected).
    static let badConfigs: [(String, String, [String])] = [
        ("unknown top-level key", mutate("\"seed\": 1", "\"seed\": 1, \"sede\": 2"), ["$.sede", "unknown key"]),
        ("typo in chip key", mutate("\"meshWidth\": 1", "\"meshWidht\": 1"), ["$.chip.meshWidht", "known keys"]),
        ("wrong type", mutate("\"steps\": 8", "\"steps\": \"8\""), ["$.run.steps", "expected an integer"]),
        ("out of range decay", mutate("\"du\": 4095", "\"du\": 4096"), ["$.network.layers[1].neuron.du", "0...4095"]),
        ("non-integer", mutate("\"size\": 3", "\"size\": 3.5"), ["$.network.layers[1].size", "integer"]),
        ("unknown layer in connection", mutate("\"to\": \"h\"", "\"to\": \"hidden\""), ["$.network.connections[0].to", "no layer named 'hidden'"]),
        ("weight bits too wide", mutate("\"weightBits\": 4", "\"weightBits\": 10"), ["weightBits", "1...9"]),
        ("init out of weight range", mutate("\"high\": 7", "\"high\": 8"), ["$.network.connections[0].init.high", "-8...7"]),
        ("low above high", mutate("\"low\": -8", "\"low\": 7, \"x\": 0"), ["$.network.connections[0].init"]),
        ("duplicate layer", mutate("{\"name\": \"h\", \"size\": 3", "{\"name\": \"in\", \"size\": 3"), ["duplicate layer name 'in'"]),
        ("bad reset mode", mutate("\"vth\": 10", "\"vth\": 10, \"reset\": \"zero\""), ["$.network.layers[1].neuron.reset", "hard, soft"]),
        ("density on dense", mutate("\"weightBits\": 4", "\"weightBits\": 4, \"density\": 0.5"), ["density", "sparse"]),
        ("no network", "{\"seed\": 1}", ["$.network", "missing"]),
        ("negative seed", mutate("\"seed\": 1", "\"seed\": -1"), ["$.seed"]),
        ("input layer as target", mutate("\"to\": \"h\"", "\"to\": \"in\""), ["input layer", "cannot receive"]),
        ("two input layers", mutate("{\"name\": \"in\", \"kind\": \"input\", \"size\": 4},",
                                    "{\"name\": \"in\", \"kind\": \"input\", \"size\": 4}, {\"name\": \"in2\", \"kind\": \"input\", \"size\": 2},"), ["exactly one layer"]),
    ]

    @Test(arguments: 0..<badConfigs.count)
    func badConfigGivesPathAndExpectation(_ i: Int) {
        let (what, text, fragments) = ConfigTests.badConfigs[i]
        let message = errorText { _ = try config(text) }
        for f in fragments { #expect(message.contains(f), "\(what): '\(message)' lacks '\(f)'") }
        #expect(message.hasPrefix("test.json"), "\(what): \(message)")
    }

    @Test func syntaxErrorsGiveLineAndColumn() {
        let text = "{\n  \"seed\": 1,\n  \"network\": {\"layers\": [}\n}"
        let message = errorText { _ = try config(text) }
        // Line 3: `  "network": {"layers": [}` -> the '}' at column 26 is not a value.
        #expect(message.hasPrefix("test.json:3:26:"), "\(message)")
        let dup = errorText { _ = try config("{\"seed\": 1,\n \"seed\": 2}") }
        #expect(dup.contains("test.json:2:2: duplicate key 'seed'"), "\(dup)")
    }

    @Test func explicitWeightsShapeAndRangeAreChecked() {
        let rows = mutate("\"init\": {\"kind\": \"uniform\", \"low\": -8, \"high\": 7}", "\"weights\": [[1,2,3],[1,2,3],[1,2,3]]")
        #expect(errorText { _ = try config(rows) }.contains("expected 4 rows"))
        let range = mutate("\"init\": {\"kind\": \"uniform\", \"low\": -8, \"high\": 7}", "\"weights\": [[1,2,3],[1,2,3],[1,2,3],[1,2,9]]")
        #expect(errorText { _ = try config(range) }.contains("$.network.connections[0].weights[3][2]"))
    }

    @Test func capacityFitsExactlyAtTheLimitAndFailsOneOver() throws {
        // Neurons: 3 hidden neurons on a 1-core chip with 3 neurons per core fit; 2 per core do not.
        _ = try Chip(config: config(mutate("\"neurons\": 64", "\"neurons\": 3")))
        let n = errorText { _ = try Chip(config: config(mutate("\"neurons\": 64", "\"neurons\": 2"))) }
        #expect(n.contains("not enough cores") && n.contains("'h'"), "\(n)")
        // Bytes: 4 inputs x 3 neurons x 4 bits = 48 bits = 6 bytes.
        _ = try Chip(config: config(mutate("\"neurons\": 64", "\"neurons\": 64, \"synapseMemoryBytes\": 6")))
        let b = errorText { _ = try Chip(config: config(mutate("\"neurons\": 64", "\"neurons\": 64, \"synapseMemoryBytes\": 5"))) }
        #expect(b.contains("'h'") && b.contains("not enough cores"), "\(b)")
        // One neuron needs 4 x 4 bits = 2 bytes: with 1 byte nothing fits, and the message says why.
        let one = errorText { _ = try Chip(config: config(mutate("\"neurons\": 64", "\"neurons\": 64, \"synapseMemoryBytes\": 1"))) }
        #expect(one.contains("layer 'h' on core 0: one neuron needs 2 bytes") && one.contains("synapseMemoryBytes is 1"), "\(one)")
        // Axons: fan-in 4 with maxInputAxons 4 fits; 3 does not.
        _ = try Chip(config: config(mutate("\"neurons\": 64", "\"neurons\": 64, \"maxInputAxons\": 4")))
        let ax = errorText { _ = try Chip(config: config(mutate("\"neurons\": 64", "\"neurons\": 64, \"maxInputAxons\": 3"))) }
        #expect(ax.contains("layer 'h'") && ax.contains("maxInputAxons is 3"), "\(ax)")
    }

    @Test func everyDeclaredKeyIsAcceptedAndEveryAcceptedKeyIsDeclared() throws {
        // The resolved config writes every key a decoder reads; each must be declared in the docs.
        let c = try config(base)
        func walk(_ v: JSONValue, _ path: String) {
            guard case let .object(kv) = v else { return }
            let doc = ExperimentConfig.allDocs.first { $0.path == path }
            #expect(doc != nil, "no documentation section for \(path)")
            for (k, child) in kv {
                #expect(doc?.keyNames.contains(k) == true, "\(path).\(k) is not documented")
                let childPath = path == "$" ? "$.\(k)" : "\(path).\(k)"
                if case let .array(items) = child { for it in items { walk(it, childPath + "[]") } } else { walk(child, childPath) }
            }
        }
        walk(c.resolvedJSON, "$")
    }
}

/// Path splits on the string (Foundation's deletingLastPathComponent traps on "c" on Linux).
@Suite struct PathPartsTests {
    @Test func directoryOfEveryShapeOfPath() throws {
        #expect(PathParts.directory(of: "c") == "")
        #expect(PathParts.directory(of: "a.json") == "")
        #expect(PathParts.directory(of: "dir/a.json") == "dir")
        #expect(PathParts.directory(of: "/a.json") == "/")
        #expect(PathParts.directory(of: "/x/y/a.json") == "/x/y")
        // A config whose own path is one character resolves its relative paths (it trapped).
        var c = try config(#"{"network": {"layers": [{"name": "in", "kind": "input", "size": 2}, {"name": "h", "size": 2}], "connections": [{"from": "in", "to": "h"}]}}"#, file: "c")
        #expect(c.resolve("data") == "data")
        c.file = "d/c"
        #expect(c.resolve("data") == "d/data")
    }
}
