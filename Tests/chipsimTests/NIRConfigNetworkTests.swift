import Foundation
import Testing
import ChipModel
import OnChipLearning

/// `"network": {"nir": "MODEL.nir", ...}` in a config (NIRConfigNetwork, docs/NIR.md): the
/// network it loads is the one `chipsim import --template` writes, bit for bit; a run trains
/// it on chip; bad files and options fail with the config file and the JSON path named.
@Suite(.serialized) struct NIRConfigNetworkTests {
    let fixtures = repoRoot + "/Tests/OnChipLearningTests/Fixtures/nir/"

    func write(_ json: String, _ path: String) throws {
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
    }

    func copyFixture(_ name: String, to dir: String) throws {
        try? FileManager.default.removeItem(atPath: dir + "/" + name)
        try FileManager.default.copyItem(atPath: fixtures + name, toPath: dir + "/" + name)
    }

    /// The same network and chip as import + the written config, with default and explicit
    /// options; the NIR path is relative to the config's directory; `--set` reaches the options.
    @Test func sameNetworkAsImportThenConfig() throws {
        let dir = tempDir("nir-key")
        try copyFixture("two_lif_neurons.nir", to: dir)
        try copyFixture("lif_norse.nir", to: dir)
        let cases: [(nir: String, options: String, flags: [String])] = [
            ("lif_norse.nir", "", []),
            ("two_lif_neurons.nir", #", "dt": 0.001, "reset": "soft", "weightBits": 5"#, ["--dt", "0.001", "--reset", "soft", "--weight-bits", "5"]),
        ]
        for (k, c) in cases.enumerated() {
            let cfg = dir + "/key\(k).json"
            try write(#"{"network": {"nir": "\#(c.nir)"\#(c.options)}, "run": {"steps": 50}}"#, cfg)
            let viaKey = try ConfigLoader.experiment(path: cfg, set: [])
            let out = try chipsim(["import", dir + "/" + c.nir, "--out", dir + "/imported\(k).json", "--quiet", "--template", cfg] + c.flags)
            #expect(out.status == 0, "\(out.err)")
            let viaImport = try ExperimentConfig.load(path: dir + "/imported\(k).json")
            #expect(viaKey.network == viaImport.network, "\(c.nir)")
            #expect(viaKey.chip == viaImport.chip)
            #expect(viaKey.resolvedJSON["network"]!.serialized() == viaImport.resolvedJSON["network"]!.serialized())
            #expect(viaKey.run.steps == 50)
            // The resolved config holds the network in full and loads to the same network.
            try write(viaKey.resolvedJSON.serialized(), dir + "/resolved\(k).json")
            #expect(try ExperimentConfig.load(path: dir + "/resolved\(k).json").network == viaKey.network)
        }
        // Options differ, networks differ (the options are read, not ignored).
        let a = try ConfigLoader.experiment(path: dir + "/key1.json", set: [])
        let b = try ConfigLoader.experiment(path: dir + "/key1.json", set: ["network.weightBits=8"])
        #expect(a.network != b.network)
        let out = try chipsim(["import", dir + "/two_lif_neurons.nir", "--out", dir + "/imported8.json", "--quiet", "--template", dir + "/key1.json",
                               "--dt", "0.001", "--reset", "soft"])
        #expect(out.status == 0, "\(out.err)")
        #expect(b.network == (try ExperimentConfig.load(path: dir + "/imported8.json")).network)
        let run = try chipsim(["run", dir + "/key0.json", "--out", dir + "/run0", "--quiet"])
        #expect(run.status == 0, "\(run.err)")
    }

    /// A short on-chip OPZO run from a config whose network is a NIR file: it trains (the
    /// resolved config's explicit weights are the imported ones, the checkpoint's differ).
    @Test func trainsFromANIRNetwork() throws {
        let dir = tempDir("nir-key-train")
        let base = try ExperimentConfig.load(path: repoRoot + "/configs/opzo-yinyang.json")
        let graph = try NIRExport.graph(network: base.network, weights: try NIRExport.initialWeights(base), dt: 1e-4, file: "yy.nir")
        try Data(HDF5Writer.write(graph.hdf5Tree())).write(to: URL(fileURLWithPath: dir + "/yy.nir"))
        guard case var .object(kv) = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: repoRoot + "/configs/opzo-yinyang.json")), file: "c") else {
            Issue.record("config is not an object"); return
        }
        kv = kv.map { $0.0 == "network" ? ("network", .object([("nir", .string("yy.nir"))])) : $0 }
        kv.removeAll { $0.0 == "training" }
        kv.append(("training", .object([("epochs", .int(1)), ("trainLimit", .int(20)), ("testLimit", .int(10))])))
        try write(JSONValue.object(kv).serialized(), dir + "/tune.json")
        let config = try ConfigLoader.experiment(path: dir + "/tune.json", set: [])
        #expect(config.network.layers == base.network.layers)  // export -> import is exact
        let validate = try chipsim(["validate", dir + "/tune.json"])
        #expect(validate.status == 0, "\(validate.err)")
        let run = try chipsim(["run", dir + "/tune.json", "--out", dir + "/run", "--quiet"])
        #expect(run.status == 0, "\(run.err)")
        let resolved = try ExperimentConfig.load(path: dir + "/run/config.resolved.json")
        #expect(resolved.network == config.network)
        let exported = try chipsim(["export", dir + "/run", "--nir", dir + "/tuned.nir"])
        #expect(exported.status == 0 && exported.out.contains("checkpoint"), "\(exported.err)")
        let w0 = graph.nodes.filter { $0.parameters["weight"] != nil }.flatMap { $0.parameters["weight"]!.doubles }
        let w1 = try NIRGraph.read(path: dir + "/tuned.nir").nodes.filter { $0.parameters["weight"] != nil }.flatMap { $0.parameters["weight"]!.doubles }
        #expect(w0.count == w1.count && w0 != w1, "on-chip training changed the imported weights")
    }

    /// compare reads the key in an experiment file and in an inline experiment (paths relative
    /// to the file that holds the key), also with `--set` (which inlines the experiment).
    @Test func compareImportsTheNetwork() throws {
        let dir = tempDir("nir-key-compare")
        try copyFixture("two_lif_neurons.nir", to: dir)
        let exp = #"{"network": {"nir": "two_lif_neurons.nir", "reset": "soft"}, "learning": {"rule": "opzo"}}"#
        try write(exp, dir + "/exp.json")
        let hosts = #""hosts": ["\#(repoRoot)/configs/host/cpu-server.json"]"#
        try write(#"{"experiment": "exp.json", \#(hosts)}"#, dir + "/file.json")
        try write(#"{"experiment": \#(exp), \#(hosts)}"#, dir + "/inline.json")
        let direct = try ConfigLoader.experiment(path: dir + "/exp.json", set: [])
        #expect(direct.network.layers.contains { $0.name == "lif1" })
        for (f, set) in [("file", [String]()), ("inline", []), ("file", ["experiment.seed=3"])] {
            let c = try ConfigLoader.compare(path: dir + "/\(f).json", set: set)
            #expect(c.experiment.network == direct.network, "\(f) \(set)")
        }
    }

    /// Bad files and options: a ChipError naming the config file and the JSON path.
    @Test func badPathsAndOptionsNameTheKey() throws {
        let dir = tempDir("nir-key-bad")
        try copyFixture("lif_norse.nir", to: dir)
        try copyFixture("README.md", to: dir)
        let cases: [(network: String, path: String, says: String)] = [
            (#"{"nir": "missing.nir"}"#, "$.network.nir", "missing.nir"),
            (#"{"nir": ""}"#, "$.network.nir", "empty"),
            (#"{"nir": 3}"#, "$.network.nir", "string"),
            (#"{"nir": "README.md"}"#, "$.network.nir", "not an HDF5 file"),
            (#"{"nir": "lif_norse.nir", "reset": "zero"}"#, "$.network.reset", "soft"),
            (#"{"nir": "lif_norse.nir", "dt": 0}"#, "$.network.dt", "positive"),
            (#"{"nir": "lif_norse.nir", "dt": "1e-4"}"#, "$.network.dt", "number"),
            (#"{"nir": "lif_norse.nir", "weightBits": 12}"#, "$.network.weightBits", "1"),
            (#"{"nir": "lif_norse.nir", "steps": 5}"#, "$.network.steps", "unknown key"),
            (#"{"nir": "lif_norse.nir", "layers": [], "connections": []}"#, "$.network.nir", "no layers"),
        ]
        for (k, c) in cases.enumerated() {
            let cfg = dir + "/bad\(k).json"
            try write(#"{"network": \#(c.network)}"#, cfg)
            do {
                _ = try ConfigLoader.experiment(path: cfg, set: [])
                Issue.record("\(c.network) was accepted")
            } catch let ChipError.config(file, path, message) {
                #expect(file == cfg && path == c.path && message.contains(c.says), "\(c.network): \(path): \(message)")
            }
        }
        let cli = try chipsim(["validate", dir + "/bad0.json"])
        #expect(cli.status == 1 && cli.err.contains("$.network.nir"), "\(cli.err)")
        // An experiment inline in a compare config: the path says where it is.
        try write(#"{"experiment": {"network": {"nir": "lif_norse.nir", "reset": "zero"}, "learning": {"rule": "opzo"}}}"#, dir + "/cmp.json")
        do {
            _ = try ConfigLoader.compare(path: dir + "/cmp.json", set: [])
            Issue.record("the compare config was accepted")
        } catch let ChipError.config(file, path, _) {
            #expect(file == dir + "/cmp.json" && path == "$.experiment.network.reset", "\(path)")
        }
    }
}
