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
    /// The NIR files of other tools (superblock 0) and one file in the newest HDF5 format
    /// (superblock 3, v2 object headers, link messages, layout v4 compact / contiguous /
    /// single chunk with shuffle + deflate + fletcher32; Fixtures/nir/make_latest_format.py).
    static let files = ["lif_norse.nir", "two_lif_neurons.nir", "lif_rockpool.nir", "cnn_sinabs.nir", "braille_noDelay_bias_zero.nir",
                        "braille_noDelay_noBias_subtract.nir", "snntorch_cnn_mnist.nir", "latest_format.h5"]

    /// Every dataset h5py lists is read with the same shape, dtype, storage, strings and
    /// numeric summaries (sums to 1e-12 relative: numpy sums pairwise, this test left to right).
    @Test(arguments: files) func matchesExpected(_ name: String) throws {
        let file = try HDF5File(path: nirFixture(name))
        // JSONDecoder parses doubles exactly (JSONSerialization rounds the last digit here).
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: nirFixture((name as NSString).deletingPathExtension + ".expected.json")))).datasets
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

    @Test func newestFormatIsRecognised() throws {
        let f = try HDF5File(path: nirFixture("latest_format.h5"))
        #expect(f.superblockVersion == 3)
        #expect(f.dataset("node/nodes/lif/compact")?.values == .integers([7, -8, 9]))
        #expect(f.dataset("node/nodes/lif/shuffled")?.values == .integers((0 ..< 10).map { Int64($0 * -3) }))
    }

    /// A chunked dataset indexed by a fixed array (the newest format's default for several
    /// chunks) is refused with the offset and what would work.
    @Test func fixedArrayChunkIndexIsAClearError() {
        do { _ = try HDF5File(path: nirFixture("latest_fixed_array.h5")); Issue.record("no error") } catch {
            let text = "\(error)"
            #expect(text.contains("latest_fixed_array.h5: byte ") && text.contains("chunk index type 3 (fixed array) not supported"))
        }
    }

    /// Fletcher-32 as the HDF5 library computes it, by hand: [01 02 03] is the word 0x0102 and
    /// the odd byte as 0x0300: sum1 = 0x0102 then 0x0402, sum2 = 0x0102 then 0x0504. One word
    /// FFFF gives FFFF in both halves (end-around carry; a plain modulo 65535 would give 0).
    /// The fixture's `shuffled` dataset carries a real one (matchesExpected reads it).
    @Test func fletcher32ByHand() {
        #expect(HDF5Filters.fletcher32([1, 2, 3]) == 0x0504_0402)
        #expect(HDF5Filters.fletcher32([0xFF, 0xFF]) == 0xFFFF_FFFF)
        #expect(HDF5Filters.fletcher32([]) == 0)
    }
}
