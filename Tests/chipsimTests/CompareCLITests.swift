import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

@Suite(.serialized) struct CompareCLITests {
    /// A small compare config: 784-16-10 on 24 MNIST-5k training / 12 test samples, one epoch.
    static func tinyConfig(dir: String) throws -> String {
        let text = """
        {"name": "tiny", "experiment": {
           "seed": 3,
           "network": {"layers": [{"name": "input", "kind": "input", "size": 784},
                                  {"name": "hidden", "size": 16, "neuron": {"du": 4095, "dv": 410, "vth": 250}},
                                  {"name": "output", "size": 10, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
                       "connections": [{"from": "input", "to": "hidden", "init": {"kind": "uniform", "low": -40, "high": 40}},
                                       {"from": "hidden", "to": "output", "init": {"kind": "uniform", "low": -8, "high": 8}}]},
           "input": {"kind": "dataset", "dataset": {"kind": "mnist5k"}, "encoder": {"kind": "rate", "steps": 8}},
           "run": {"steps": 8},
           "learning": {"rule": "opzo"},
           "training": {"epochs": 1, "trainLimit": 24, "testLimit": 12}},
         "offChip": {"methods": [{"rule": "bptt", "optimiser": "sgd", "lr": 0.05}, {"rule": "ottt"}], "batchSize": 8},
         "chipInTheLoop": {"methods": [{"rule": "bptt"}]},
         "hosts": ["\(repoRoot)/configs/host/gpu-datacentre.json", "\(repoRoot)/configs/host/cpu-server.json"]}
        """
        let path = dir + "/tiny.json"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func compareWritesTableAndLocalReport() throws {
        let dir = tempDir("compare")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let config = try Self.tinyConfig(dir: dir)
        let r = try chipsim(["compare", config, "--out", dir + "/out"])
        #expect(r.status == 0, "\(r.err)")
        for row in ["on-chip opzo", "off-chip bptt-sgd @ gpu-datacentre", "off-chip ottt-adam @ cpu-server", "chip-in-the-loop bptt-adam @ cpu-server"] {
            #expect(r.out.contains(row), "table lacks \(row)")
        }
        for f in ["report.json", "summary.csv", "curves.csv", "index.html", "accuracy-vs-energy.svg",
                  "learning-curves.svg", "energy-breakdown.svg", "energy-per-sample.svg"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/out/" + f), "\(f) missing")
        }
        let summary = try String(contentsOfFile: dir + "/out/summary.csv", encoding: .utf8)
        #expect(summary.split(separator: "\n").count == 1 + 1 + 2 * 2 + 2)
        // Deployment writes packed 8-bit weights + 4 bytes per connection over the host link.
        let report = try String(contentsOfFile: dir + "/out/report.json", encoding: .utf8)
        let expectedBytes: Int = 784 * 16 + 4 + 16 * 10 + 4
        #expect(report.contains("\"hostIOBytes\": \(expectedBytes)"))
        // Chip in the loop, per sample: 8 steps x (2 bytes of hidden spikes + 16 x 3 bytes of hidden v
        // + 10 x 3 bytes of readout v) = 640; per batch of 8: the packed weights (12,704 bytes); plus
        // the initial write. 24 samples = 3 batches: 24 x 640 + 4 x 12,704 = 66,176 bytes.
        let loopLink: Int = 24 * 640 + 4 * (784 * 16 + 16 * 10)
        // Plus the chip's own host I/O: the input spikes the host streams in, 2 bytes per event
        // for 784 channels (Simulator.inputEventBytes), at least one spike per sample, and
        // possibly the 24 labels (2-byte events and 24 keep the excess even).
        // (The largest "host I/O bytes" figure is the chip-in-the-loop row's: the on-chip row has
        // no link traffic.)
        let loopIO = report.components(separatedBy: "\"host I/O bytes\": ").dropFirst()
            .compactMap { Int($0.prefix { $0.isNumber }) }.max() ?? 0
        #expect(loopIO >= loopLink + 2 * 24 && (loopIO - loopLink) % 2 == 0, "chip-in-the-loop link bytes \(loopIO)")
        // index.html parses as XML and references only files in the folder.
        let html = try Data(contentsOf: URL(fileURLWithPath: dir + "/out/index.html"))
        final class Links: NSObject, XMLParserDelegate {
            var refs: [String] = []
            func parser(_ p: XMLParser, didStartElement n: String, namespaceURI: String?, qualifiedName: String?, attributes a: [String: String] = [:]) {
                refs += a.filter { ["src", "href"].contains($0.key) }.map(\.value)
            }
        }
        let links = Links()
        let parser = XMLParser(data: html)
        parser.delegate = links
        #expect(parser.parse())
        #expect(!links.refs.isEmpty)
        for ref in links.refs { #expect(FileManager.default.fileExists(atPath: dir + "/out/" + ref), "\(ref) is not a local file") }
    }

    @Test func badConfigNamesFileAndPath() throws {
        let dir = tempDir("compare-bad")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/bad.json"
        try #"{"experiment": "missing.json", "offChip": {"methods": [{"rule": "opzo"}]}}"#.write(toFile: path, atomically: true, encoding: .utf8)
        let r = try chipsim(["compare", path])
        #expect(r.status != 0)
        #expect(r.err.contains("missing.json"))
    }
}
