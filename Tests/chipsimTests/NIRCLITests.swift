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
}
