import Foundation
import Testing
import ChipModel
import OnChipLearning

/// chipsim import and export end to end: a NIR file from Norse imports, runs and validates;
/// a run exports and re-imports to the same network; unsupported graphs exit 1 naming the node.
@Suite(.serialized) struct NIRCLITests {
    let fixtures = repoRoot + "/Tests/OnChipLearningTests/Fixtures/nir/"

    @Test func importRunExportImport() throws {
        let dir = tempDir("nir")
        let imported = try chipsim(["import", fixtures + "two_lif_neurons.nir", "--out", dir + "/two.json", "--steps", "200"])
        #expect(imported.status == 0, "\(imported.err)")
        #expect(imported.out.contains("lif1 (LIF, 1, S = 2^22)") && imported.out.contains("W from in (e=3)"))
        let run = try chipsim(["run", dir + "/two.json", "--out", dir + "/run", "--quiet"])
        #expect(run.status == 0, "\(run.err)")
        let exported = try chipsim(["export", dir + "/run", "--nir", dir + "/two.nir"])
        #expect(exported.status == 0, "\(exported.err)")
        #expect(exported.out.contains("NIR 1.0.8") && exported.out.contains("initial weights"))
        let again = try chipsim(["import", dir + "/two.nir", "--out", dir + "/again.json", "--quiet", "--steps", "200"])
        #expect(again.status == 0, "\(again.err)")
        let a = try ExperimentConfig.load(path: dir + "/two.json"), b = try ExperimentConfig.load(path: dir + "/again.json")
        #expect(a.network == b.network)
    }

    @Test func unsupportedGraphsExitWithTheNodeNamed() throws {
        let dir = tempDir("nir-bad")
        let delayed = NIRGraph(version: "1.0.8", nodes: [
            NIRNode(name: "in", type: "Input", parameters: ["shape": .int64([2])]),
            NIRNode(name: "d", type: "Delay", parameters: ["delay": .float64([1e-3, 1e-3])]),
            NIRNode(name: "lif", type: "IF", parameters: ["r": .float64([1, 1]), "v_threshold": .float64([1, 1])]),
            NIRNode(name: "out", type: "Output", parameters: ["shape": .int64([2])]),
        ], edges: [("in", "d"), ("d", "lif"), ("lif", "out")], file: "delay.nir")
        try Data(HDF5Writer.write(delayed.hdf5Tree())).write(to: URL(fileURLWithPath: dir + "/delay.nir"))
        let conv = try chipsim(["import", dir + "/delay.nir", "--out", dir + "/x.json"])
        #expect(conv.status == 1 && conv.err.contains("node 'd' of type Delay") && conv.err.contains("not supported"))
        #expect(!FileManager.default.fileExists(atPath: dir + "/x.json"))
        let missing = try chipsim(["import", fixtures + "lif_norse.nir"])
        #expect(missing.status == 64 && missing.err.contains("--out"))
        let notHDF5 = try chipsim(["import", fixtures + "README.md", "--out", dir + "/y.json"])
        #expect(notHDF5.status == 1 && notHDF5.err.contains("not an HDF5 file"))
    }

    /// A convolutional graph from Sinabs imports (mesh chosen by import) and runs on the chip.
    @Test func sinabsCNNImportsAndRuns() throws {
        let dir = tempDir("nir-cnn")
        let imported = try chipsim(["import", fixtures + "cnn_sinabs.nir", "--out", dir + "/cnn.json", "--steps", "8", "--quiet",
                                    "--input", #"{"kind": "pattern", "pattern": "gradient", "rate": 0.2, "samples": 1}"#])
        #expect(imported.status == 0, "\(imported.err)")
        let run = try chipsim(["run", dir + "/cnn.json", "--out", dir + "/run"])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("1 samples x 8 steps"))
    }

    /// Import, then on-chip learning: a dense network exported to NIR is imported into the
    /// OPZO Yin-Yang config (--template keeps its input, learning and training sections) and
    /// fine-tuned on chip for a few samples; the trained weights differ from the imported ones.
    @Test func importThenTrainOnChip() throws {
        let dir = tempDir("nir-train")
        let base = try ExperimentConfig.load(path: repoRoot + "/configs/opzo-yinyang.json")
        let graph = try NIRExport.graph(network: base.network, weights: try NIRExport.initialWeights(base), dt: 1e-4, file: "yy.nir")
        try Data(HDF5Writer.write(graph.hdf5Tree())).write(to: URL(fileURLWithPath: dir + "/yy.nir"))
        let imported = try chipsim(["import", dir + "/yy.nir", "--out", dir + "/tune.json", "--quiet", "--template", repoRoot + "/configs/opzo-yinyang.json"])
        #expect(imported.status == 0, "\(imported.err)")
        var config = try ExperimentConfig.load(path: dir + "/tune.json")
        #expect(config.network.layers == base.network.layers)  // export -> import is exact (weights: explicit now)
        #expect(config.learning != nil)
        // A few samples: rewrite the training section.
        guard case var .object(kv) = try JSONValue.parse(try Data(contentsOf: URL(fileURLWithPath: dir + "/tune.json")), file: "tune.json") else { return }
        kv.removeAll { $0.0 == "training" }
        kv.append(("training", .object([("epochs", .int(1)), ("trainLimit", .int(20)), ("testLimit", .int(10))])))
        try Data((JSONValue.object(kv).serialized() + "\n").utf8).write(to: URL(fileURLWithPath: dir + "/tune.json"))
        config = try ExperimentConfig.load(path: dir + "/tune.json")
        let run = try chipsim(["run", dir + "/tune.json", "--out", dir + "/run", "--quiet"])
        #expect(run.status == 0, "\(run.err)")
        let exported = try chipsim(["export", dir + "/run", "--nir", dir + "/tuned.nir"])
        #expect(exported.status == 0, "\(exported.err)")
        #expect(exported.out.contains("checkpoint"), "trained weights come from the run's checkpoint: \(exported.out)")
        let tuned = try NIRGraph.read(path: dir + "/tuned.nir"), before = try NIRGraph.read(path: dir + "/yy.nir")
        let w0 = before.nodes.filter { $0.parameters["weight"] != nil }.flatMap { $0.parameters["weight"]!.doubles }
        let w1 = tuned.nodes.filter { $0.parameters["weight"] != nil }.flatMap { $0.parameters["weight"]!.doubles }
        #expect(w0.count == w1.count && w0 != w1, "on-chip training changed the imported weights")
    }
}
