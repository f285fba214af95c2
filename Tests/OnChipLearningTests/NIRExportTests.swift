import Foundation
import Testing
import ChipModel
@testable import OnChipLearning

@Suite("NIR export")
struct NIRExportTests {
    /// Every neuron form the exporter writes (LIF with bias, soft reset and refractory; CubaLIF
    /// with a negative bias exponent; IF; a CubaLI readout), weight widths 4...9, exponents of
    /// both signs, a skip connection, random initial weights.
    static let config = """
    {"name": "roundtrip", "seed": 5,
     "network": {"layers": [{"name": "in", "kind": "input", "size": 5},
        {"name": "h1", "size": 7, "neuron": {"du": 4095, "dv": 300, "vth": 100, "biasMant": 7, "biasExp": 2, "reset": "soft", "refractory": 2}},
        {"name": "h2", "size": 4, "neuron": {"du": 1000, "dv": 500, "vth": 4000, "biasMant": -5, "biasExp": -1}},
        {"name": "h3", "size": 3, "neuron": {"du": 4095, "dv": 0, "vth": 50}},
        {"name": "out", "size": 2, "neuron": {"model": "loihi-cuba-readout", "du": 2000, "dv": 200, "vth": 77}}],
      "connections": [{"from": "in", "to": "h1", "init": {"kind": "uniform", "low": -100, "high": 120}},
        {"from": "h1", "to": "h2", "weightBits": 6, "weightExponent": 3, "init": {"kind": "uniform", "low": -32, "high": 31}},
        {"from": "in", "to": "h2", "weightBits": 9, "weightExponent": -2, "init": {"kind": "normal", "std": 90}},
        {"from": "h2", "to": "h3", "weightBits": 4, "weightExponent": 7, "init": {"kind": "uniform", "low": -8, "high": 7}},
        {"from": "h3", "to": "out", "weightBits": 8, "weightExponent": -8, "weights": [[1, -128], [127, 0], [-3, 5]]}]}}
    """

    /// export -> HDF5 bytes -> read -> import gives the same chip network: every layer's
    /// parameters and every connection's width, exponent and weight matrix, at two dts.
    @Test(arguments: [1e-4, 1e-3]) func importOfExportIsIdentity(_ dt: Double) throws {
        let original = try ExperimentConfig(json: JSONValue.parse(Self.config, file: "rt.json"), file: "rt.json")
        let weights = try NIRExport.initialWeights(original)
        let graph = try NIRExport.graph(network: original.network, weights: weights, dt: dt, file: "rt.json")
        let bytes = try HDF5Writer.write(graph.hdf5Tree())
        let back = try NIRGraph(HDF5File(bytes: bytes, file: "rt.nir"), file: "rt.nir")
        #expect(back.version == NIRExport.version)
        var options = NIRImportOptions()
        options.dt = dt
        let imported = try NIRImport.run(back, options: options)
        let again = try ExperimentConfig(json: imported.config, file: "again.json")
        var expected = original.network
        for c in expected.connections.indices {
            let nPost = expected.layers[expected.layerIndex(expected.connections[c].to)!].size
            expected.connections[c].initialization = .explicit(stride(from: 0, to: weights[c].count, by: nPost).map { Array(weights[c][$0 ..< $0 + nPost]) })
        }
        #expect(again.network.layers == expected.layers)
        #expect(again.network.connections == expected.connections)
        // The NIR node types chosen for each neuron form.
        #expect(back.node("h1")?.type == "LIF" && back.node("h2")?.type == "CubaLIF" && back.node("h3")?.type == "IF" && back.node("out")?.type == "CubaLI")
    }

    /// The exported floats, by hand for h1 (dv 300, vth 100, bias 7 << 2 = 28):
    /// S = 2^ceil(log2(6400)) = 8192, v_threshold = 6400 / 8192 = 0.78125, tau = dt 4096 / 300,
    /// r = tau / dt = 13.6533..., Affine bias = 28 / 8192, weight = w 2^6 / 8192 = w / 128.
    @Test func exportedValuesByHand() throws {
        let original = try ExperimentConfig(json: JSONValue.parse(Self.config, file: "rt.json"), file: "rt.json")
        let weights = try NIRExport.initialWeights(original)
        let g = try NIRExport.graph(network: original.network, weights: weights, dt: 1e-4, file: "rt.json")
        let h1 = try #require(g.node("h1"))
        #expect(h1.parameters["v_threshold"]?.doubles == [Double](repeating: 0.78125, count: 7))
        #expect(h1.parameters["tau"]?.doubles.first == 1e-4 * 4096 / 300)
        #expect(h1.parameters["r"]?.doubles.first == (1e-4 * 4096 / 300) / 1e-4)
        let w = try #require(g.node("in->h1"))
        #expect(w.type == "Affine" && w.parameters["bias"]?.doubles.first == 28.0 / 8192)
        #expect(w.parameters["weight"]?.shape == [7, 5])
        #expect(w.parameters["weight"]?.doubles[1 * 5 + 2] == Double(weights[0][2 * 7 + 1]) / 128)
        #expect(g.node("in->h2")?.type == "Linear" && g.node("h1->h2")?.type == "Affine")
        #expect(g.edges.last! == ("out", "output"))
    }

    @Test func unrepresentableLayersAreNamed() throws {
        let text = Self.config.replacingOccurrences(of: "\"du\": 1000, \"dv\": 500", with: "\"du\": 1000, \"dv\": 0")
        let c = try ExperimentConfig(json: JSONValue.parse(text, file: "rt.json"), file: "rt.json")
        do {
            _ = try NIRExport.graph(network: c.network, weights: try NIRExport.initialWeights(c), dt: 1e-4, file: "rt.json")
            Issue.record("no error")
        } catch {
            #expect("\(error)".contains("$.network.layers[2].neuron") && "\(error)".contains("dv = 0 with du < 4095"))
        }
    }

    /// Trained weights are read from a checkpoint's blocks and mapped back to connections,
    /// with a layer split over cores (4 neurons per core): a checkpoint whose block weights
    /// are the initial ones negated gives the negated matrices.
    @Test func checkpointWeightsMapBlocksToConnections() throws {
        let text = Self.config.replacingOccurrences(of: "{\"name\": \"roundtrip\", \"seed\": 5,",
                                                    with: "{\"name\": \"roundtrip\", \"seed\": 5, \"chip\": {\"meshWidth\": 4, \"core\": {\"neurons\": 4}},")
        let config = try ExperimentConfig(json: JSONValue.parse(text, file: "rt.json"), file: "rt.json")
        let chip = try Chip(config: config)
        #expect(chip.cores.flatMap(\.populations).filter { $0.layer == 1 }.count == 2)  // h1 (7 neurons) split
        let cores: [JSONValue] = chip.cores.map { c in
            .object([("populations", .array(c.populations.map { p in
                .object([("blocks", .array(p.blocks.map { b in .object([("w", .array(b.weights.map { .int(-Int($0)) }))]) }))])
            }))])
        }
        let resolved = config.resolvedJSON.serialized()
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("nir-ckpt-\(getpid()).json").path
        try Data(JSONValue.object([("config", .string(resolved)), ("cores", .array(cores))]).serialized().utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let trained = try NIRExport.checkpointWeights(path: path, config: config, resolvedConfig: resolved + "\n")
        #expect(trained == (try NIRExport.initialWeights(config)).map { $0.map { -$0 } })
        #expect(throws: ChipError.self) { try NIRExport.checkpointWeights(path: path, config: config, resolvedConfig: "{}") }
    }
}
