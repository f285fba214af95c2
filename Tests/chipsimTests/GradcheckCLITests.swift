import Foundation
import Testing
import ChipModel

@Suite struct GradcheckCLITests {
    @Test func gradcheckOnAConfigPrintsBothTables() throws {
        let r = try chipsim(["gradcheck", "configs/opzo-yinyang.json", "--samples", "20"])
        #expect(r.status == 0, "\(r.err)\n\(r.out)")
        #expect(r.out.contains("40-120-3, T = 16"))
        #expect(r.out.contains("rule      layer   cosine  cos(mean)  rel.variance"))
        for rule in ["opzo", "dfa", "readout", "zo_sp", "mgd_np", "bptt"] {
            #expect(r.out.split(separator: "\n").contains { $0.hasPrefix(rule + " ") }, "no row for \(rule)")
        }
        #expect(r.out.contains("chip vs twin formula: on-chip opzo, 20 training samples"))
        #expect(r.out.contains("max|err|"))
        #expect(r.out.contains("chip check passed"))
    }

    @Test func gradcheckJSONAndErrors() throws {
        let r = try chipsim(["gradcheck", "configs/opzo-yinyang.json", "--samples", "4", "--draws", "2", "--warmup", "4", "--json"])
        #expect(r.status == 0, "\(r.err)")
        let v = try JSONValue.parse(r.out, file: "<stdout>")
        let top = try JSONReader(v, file: "<stdout>", path: "$")
        #expect(try top.string("reference") == "ottt")
        let chip = try top.object("chipUpdate")
        #expect(try chip.bool("passed"))
        #expect(try chip.objects("layers").count == 2)
        // A config without a learning section: an error naming the file, exit status != 0.
        let bad = try chipsim(["gradcheck", "configs/quickstart.json"])
        #expect(bad.status != 0)
        #expect(bad.err.contains("quickstart.json"), "\(bad.err)")
    }

    /// A conv network: the shaped twin's BPTT gradients against central differences.
    @Test func gradcheckOnAConvConfigChecksEveryTensor() throws {
        let dir = NSTemporaryDirectory() + "chipsim-gradcheck-conv-\(getpid())"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = """
        {"name": "tiny-conv", "seed": 1,
         "network": {"layers": [
            {"name": "input", "kind": "input", "shape": [1, 28, 28]},
            {"name": "conv", "shape": [2, 7, 7], "neuron": {"du": 4095, "dv": 410, "vth": 40}},
            {"name": "output", "size": 10, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
          "connections": [
            {"from": "input", "to": "conv", "kind": "conv2d", "kernel": 5, "stride": 4, "padding": 1, "init": {"kind": "uniform", "low": -16, "high": 48}},
            {"from": "conv", "to": "output", "init": {"kind": "uniform", "low": -32, "high": 32}}]},
         "input": {"kind": "dataset", "dataset": {"kind": "mnist5k", "data": "\(repoRoot)/data"}, "encoder": {"kind": "rate", "steps": 8}},
         "run": {"steps": 8}}
        """
        try config.write(toFile: dir + "/c.json", atomically: true, encoding: .utf8)
        let r = try chipsim(["gradcheck", dir + "/c.json", "--draws", "8"])
        #expect(r.status == 0, "\(r.err)\n\(r.out)")
        #expect(r.out.contains("BPTT gradient vs central differences"), "\(r.out)")
        #expect(r.out.contains("passed: every trainable tensor's cosine >= 0.999"), "\(r.out)")
    }
}
