import Foundation
import Testing
@testable import OnChipLearning

/// The fixture directory (read by path; see Fixtures/nir/README.md).
func nirFixture(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/nir/\(name)").path
}

struct Expected: Decodable {
    struct Entry: Decodable {
        var shape: [Int]; var dtype: String; var storage: String
        var values: [String]?
        var count: Int?; var sum: Double?; var sumOfSquares: Double?
        var first: [Double]?; var last: [Double]?; var at: [String: Double]?
    }
    var datasets: [String: Entry]
}

@Suite("HDF5 reader against h5py")
struct HDF5ReaderTests {
    static let files = ["lif_norse", "two_lif_neurons", "lif_rockpool", "cnn_sinabs", "braille_noDelay_bias_zero",
                        "braille_noDelay_noBias_subtract", "snntorch_cnn_mnist"]

    /// Every dataset h5py lists is read with the same shape, dtype, storage, strings and
    /// numeric summaries (sums to 1e-12 relative: numpy sums pairwise, this test left to right).
    @Test(arguments: files) func matchesExpected(_ name: String) throws {
        let file = try HDF5File(path: nirFixture(name + ".nir"))
        // JSONDecoder parses doubles exactly (JSONSerialization rounds the last digit here).
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: nirFixture(name + ".expected.json")))).datasets
        #expect(Set(file.datasets.keys) == Set(expected.keys))
        for (path, e) in expected {
            guard let d = file.dataset(path) else { Issue.record("\(name): missing \(path)"); continue }
            #expect(d.shape == e.shape, "\(name) \(path)")
            #expect(d.dtype == e.dtype, "\(name) \(path)")
            #expect(d.storage == e.storage, "\(name) \(path)")
            if let strings = e.values {
                #expect(d.strings == strings, "\(name) \(path)")
                continue
            }
            let v = d.doubles
            #expect(v.count == e.count, "\(name) \(path)")
            func close(_ a: Double, _ b: Double) -> Bool { abs(a - b) <= 1e-12 * max(1, abs(b)) * Double(max(1, v.count)) }
            #expect(close(v.reduce(0, +), e.sum ?? .nan), "\(name) \(path) sum")
            #expect(close(v.reduce(0) { $0 + $1 * $1 }, e.sumOfSquares ?? .nan), "\(name) \(path) sumsq")
            #expect(Array(v.prefix(8)) == e.first, "\(name) \(path) first")
            #expect(Array(v.suffix(8)) == e.last, "\(name) \(path) last")
            for (k, x) in e.at ?? [:] { #expect(v[Int(k)!] == x, "\(name) \(path) at \(k)") }
        }
    }
}
