import Testing
@testable import OnChipLearning

// Fixtures made once with Python's gzip module (an independent encoder), mtime 0:
//   gzip.compress(payload, compresslevel=9 or 0, mtime=0)
@Suite("gzip / inflate")
struct GzipTests {
    // Fixed-Huffman block (BTYPE 1): "chipsim chipsim chipsim spikes".
    let fixed: [UInt8] = [31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 75, 206, 200, 44, 40, 206, 204, 85, 72, 70, 163, 139, 11, 50, 179, 83, 139, 1, 246, 153, 220, 239, 30, 0, 0, 0]
    // Dynamic-Huffman block (BTYPE 2): the English text below.
    let dynamic: [UInt8] = [31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 77, 144, 81, 106, 196, 48, 12, 68, 175, 50, 159, 91, 112, 247, 14, 249, 45, 180, 133, 238, 9, 20, 71, 141, 205, 58, 118, 144, 229, 221, 230, 246, 149, 147, 66, 250, 97, 48, 163, 209, 211, 72, 3, 252, 230, 19, 191, 38, 126, 112, 66, 141, 75, 75, 164, 69, 80, 190, 65, 200, 220, 164, 44, 69, 214, 16, 61, 124, 136, 43, 52, 144, 34, 49, 73, 174, 40, 121, 215, 174, 24, 208, 42, 11, 38, 174, 94, 226, 200, 213, 58, 119, 243, 101, 225, 26, 58, 201, 23, 225, 234, 14, 156, 53, 174, 102, 238, 146, 67, 221, 50, 173, 149, 113, 251, 26, 222, 29, 198, 168, 120, 198, 73, 131, 121, 165, 52, 101, 113, 224, 204, 50, 111, 80, 26, 19, 191, 128, 242, 100, 15, 252, 99, 136, 184, 112, 86, 92, 50, 235, 179, 200, 221, 97, 34, 165, 202, 234, 142, 120, 49, 207, 144, 214, 123, 98, 198, 219, 237, 243, 195, 144, 205, 102, 107, 224, 115, 75, 183, 3, 103, 86, 211, 169, 222, 65, 222, 55, 33, 191, 253, 99, 152, 240, 232, 217, 247, 43, 89, 234, 150, 245, 88, 96, 13, 54, 205, 161, 216, 159, 52, 246, 91, 156, 53, 242, 187, 210, 225, 127, 249, 79, 245, 250, 11, 16, 166, 98, 113, 114, 1, 0, 0]
    let dynamicText = "A cycle-level simulator of a neuromorphic chip that learns on chip. A user describes a chip (mesh of cores, neurons per core, synapse SRAM, bit widths, router, energy table) and an experiment (network, dataset, learning rule) in JSON, runs the simulator, and gets task accuracy, learning curves, cycle counts per phase, operation counts per action and energy per action."
    // Stored block (BTYPE 0, level 0): bytes (7 i + 3) mod 256 for i in 0..<100.
    let stored: [UInt8] = [31, 139, 8, 0, 0, 0, 0, 0, 4, 3, 1, 100, 0, 155, 255, 3, 10, 17, 24, 31, 38, 45, 52, 59, 66, 73, 80, 87, 94, 101, 108, 115, 122, 129, 136, 143, 150, 157, 164, 171, 178, 185, 192, 199, 206, 213, 220, 227, 234, 241, 248, 255, 6, 13, 20, 27, 34, 41, 48, 55, 62, 69, 76, 83, 90, 97, 104, 111, 118, 125, 132, 139, 146, 153, 160, 167, 174, 181, 188, 195, 202, 209, 216, 223, 230, 237, 244, 251, 2, 9, 16, 23, 30, 37, 44, 51, 58, 65, 72, 79, 86, 93, 100, 107, 114, 121, 128, 135, 142, 149, 156, 163, 170, 177, 184, 9, 107, 49, 170, 100, 0, 0, 0]
    // The tiny IDX file of IDXTests, gzipped.
    let tinyIDX: [UInt8] = [31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 99, 96, 224, 96, 102, 96, 96, 96, 130, 98, 102, 70, 38, 102, 22, 86, 54, 118, 14, 78, 46, 110, 30, 0, 72, 17, 12, 132, 28, 0, 0, 0]

    @Test func decodesAllBlockTypes() throws {
        #expect(try Gzip.decompress(fixed, file: "f.gz") == Array("chipsim chipsim chipsim spikes".utf8))
        #expect(try Gzip.decompress(dynamic, file: "d.gz") == Array(dynamicText.utf8))
        #expect(try Gzip.decompress(stored, file: "s.gz") == (0 ..< 100).map { UInt8((7 * $0 + 3) % 256) })
        // Concatenated members decode to the concatenation.
        #expect(try Gzip.decompress(fixed + stored, file: "c.gz").count == 130)
    }

    @Test func crc32KnownValue() {
        // The standard check value of CRC-32/ISO-HDLC.
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
    }

    @Test func idxReaderAcceptsGzip() throws {
        let path = temporaryFile("tiny.idx.gz", tinyIDX)
        let a = try IDXReader.read(path: path)
        #expect(a.dims == [2, 2, 3] && a.data == Array(1 ... 12))
    }

    @Test func corruptGzipNamesTheOffset() {
        var bad = dynamic; bad[bad.count - 8] ^= 1
        expectBinaryError(offset: dynamic.count - 8, "CRC-32") { _ = try Gzip.decompress(bad, file: "x") }
        bad = dynamic; bad[bad.count - 4] ^= 1
        expectBinaryError(offset: dynamic.count - 4, "length") { _ = try Gzip.decompress(bad, file: "x") }
        bad = fixed; bad[2] = 7
        expectBinaryError(offset: 2, "method") { _ = try Gzip.decompress(bad, file: "x") }
        expectBinaryError(offset: 0, "truncated") { _ = try Gzip.decompress(Array(fixed[0 ..< 12]), file: "x") }
        // Cut inside the compressed data: decoding runs off the end of the file.
        expectBinaryError(offset: 100, "truncated") { _ = try Gzip.decompress(Array(dynamic[0 ..< 100]) + [UInt8](repeating: 0, count: 0), file: "x") }
        // Stored block whose length check fails (NLEN at 13...14).
        bad = stored; bad[13] ^= 0xFF
        expectBinaryError(offset: 11, "length check") { _ = try Gzip.decompress(bad, file: "x") }
    }
}
