import Testing
@testable import OnChipLearning

/// Every single-byte corruption and every truncation of small valid files must either
/// decode or throw a ChipError; never crash, never hang.
@Suite("Corruption sweep")
struct CorruptionSweepTests {
    func sweep(_ valid: [UInt8], _ decode: ([UInt8]) throws -> Void) -> (decoded: Int, rejected: Int) {
        var decoded = 0, rejected = 0
        func attempt(_ bytes: [UInt8]) {
            do { try decode(bytes); decoded += 1 }
            catch is ChipError { rejected += 1 }
            catch { Issue.record("non-ChipError \(error)") }
        }
        for cut in 0 ..< valid.count { attempt(Array(valid[0 ..< cut])) }
        for i in 0 ..< valid.count {
            for v: UInt8 in [0x00, 0xFF, valid[i] ^ 0x01, valid[i] ^ 0x80] where v != valid[i] {
                var b = valid; b[i] = v
                attempt(b)
            }
        }
        return (decoded, rejected)
    }

    @Test func aerBinary() {
        let t = TraceTests()
        let r = sweep(t.handBytes) { _ = try AERFile.decode($0, file: "x") }
        #expect(r.rejected > 0)
        // Every truncation is rejected (the format has no optional tail).
        #expect(sweep(t.handBytes) { b in if b.count < t.handBytes.count { _ = try AERFile.decode(b, file: "x") } }.rejected >= t.handBytes.count)
    }

    @Test func idx() {
        let tiny = IDXTests().tiny
        let r = sweep(tiny) { _ = try IDXReader.read(bytes: $0, file: "x") }
        #expect(r.rejected > 0)
    }

    @Test func gzip() {
        let g = GzipTests()
        for fixture in [g.fixed, g.stored, g.tinyIDX] {
            let r = sweep(fixture) { _ = try Gzip.decompress($0, file: "x") }
            #expect(r.rejected > 0)
        }
    }

    @Test func nmnistAndCSV() {
        _ = sweep(NMNISTTests().bytes) { _ = try NMNIST.read(bytes: $0, file: "x") }
        let csv = Array(AERCSV.encode(TraceTests().handTrace).utf8)
        _ = sweep(csv) { _ = try AERCSV.decode(String(decoding: $0, as: UTF8.self), file: "x") }
    }
}
