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
}
