import Foundation
import Testing
@testable import OnChipLearning

// Resource limits checked before allocating, and inputs that used to be accepted but wrong
// (issue 14; docs/LIMITS.md). Each case expects a clean ChipError naming the place.

/// A DEFLATE writer of fixed-Huffman blocks (RFC 1951 3.2.6), for building gzip bombs the
/// reader must refuse: literals and (length 258, distance 1) copies only.
struct FixedHuffmanWriter {
    var bytes: [UInt8] = []
    var bitBuffer: UInt32 = 0
    var bitCount = 0

    /// Ordinary fields are packed least-significant bit first.
    mutating func bits(_ value: Int, _ n: Int) {
        for k in 0 ..< n {
            bitBuffer |= UInt32((value >> k) & 1) << UInt32(bitCount); bitCount += 1
            if bitCount == 8 { bytes.append(UInt8(bitBuffer)); bitBuffer = 0; bitCount = 0 }
        }
    }
    /// Huffman codes are packed most-significant bit first.
    mutating func code(_ value: Int, _ n: Int) { for k in (0 ..< n).reversed() { bits((value >> k) & 1, 1) } }
    mutating func literal(_ v: UInt8) { v < 144 ? code(0x30 + Int(v), 8) : code(0x190 + Int(v) - 144, 9) }
    /// Copy 258 bytes from distance 1: length symbol 285 (code 0xC5, 8 bits), distance code 0 (5 bits).
    mutating func copy258() { code(0xC5, 8); code(0, 5) }
    mutating func finish() -> [UInt8] { code(0, 7); if bitCount > 0 { bytes.append(UInt8(bitBuffer)) }; return bytes }

    /// A gzip member: `literals`, then `copies` copies of 258 bytes (trailer CRC left 0: a
    /// bomb is refused before the trailer is read).
    static func gzip(literals: [UInt8], copies: Int) -> [UInt8] {
        var w = FixedHuffmanWriter()
        w.bits(1, 1); w.bits(1, 2)            // BFINAL, BTYPE = 01 (fixed)
        for b in literals { w.literal(b) }
        for _ in 0 ..< copies { w.copy258() }
        return [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3] + w.finish() + [UInt8](repeating: 0, count: 8)
    }
}

@Suite("Input limits and degenerate inputs")
struct InputLimitsTests {
    func text(_ body: () throws -> Void) -> String { do { try body(); return "<no error>" } catch { return "\(error)" } }

    // MARK: gzip / IDX

    @Test func gzipBombIsRefusedAfterTheDeclaredSize() {
        // IDX header: unsigned bytes, 1 dimension of 1000 -> 1008 bytes in all; the stream
        // would expand to 8 + 1 + 258 * 40,000 = 10.3 MB.
        let header: [UInt8] = [0, 0, 8, 1, 0, 0, 0x03, 0xE8]
        let bomb = FixedHuffmanWriter.gzip(literals: header + [0], copies: 40_000)
        #expect(bomb.count < 70_000)
        let path = temporaryFile("bomb.idx.gz", bomb)
        let e = text { _ = try IDXReader.read(path: path) }
        #expect(e.contains("exceeds the 1008 bytes the IDX header declares"), "\(e)")
        // It stopped within one copy (258 bytes) of the declared size.
        let stopped = e.components(separatedBy: "stopped after ").last.flatMap { Int($0.prefix { $0.isNumber }) } ?? -1
        #expect(stopped > 1008 && stopped <= 1008 + 258, "\(e)")
        // Without a declared size, the absolute limit applies.
        #expect(text { _ = try Gzip.decompress(bomb, file: "b.gz", maxBytes: 100_000) }.contains("exceeds the limit of 100000 bytes"))
        // A header declaring more than the IDX limit is refused from the header alone.
        let huge = FixedHuffmanWriter.gzip(literals: [0, 0, 0x0E, 2, 0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 1], copies: 10)
        #expect(text { _ = try IDXReader.read(path: temporaryFile("huge.idx.gz", huge)) }.contains("more than the limit of \(IDXReader.maxDataBytes)"))
        // An invalid header is reported as such while decompressing.
        let bad = FixedHuffmanWriter.gzip(literals: [1, 2, 3, 4, 5], copies: 10)
        #expect(text { _ = try IDXReader.read(path: temporaryFile("bad.idx.gz", bad)) }.contains("bad IDX magic number"))
    }

    @Test func idxWithNoSamplesIsRefused() {
        let images = IDXArray(uint8: [], dims: [0, 2, 2]), labels = IDXArray(uint8: [], dims: [0])
        #expect(text { _ = try IDXDataset.make(images: images, imagesFile: "i.idx", labels: labels, labelsFile: "l.idx", name: "x") }
            .contains("i.idx: byte 4: the IDX file holds 0 images"))
    }

    // MARK: datasets

    func idxPair(_ labels: [UInt8]) throws -> (String, String) {
        let n = labels.count
        let images = IDXArray(uint8: (0 ..< n * 4).map { UInt8($0 % 256) }, dims: [n, 2, 2])
        let i = temporaryFile("limits-\(n)-i.idx", []), l = temporaryFile("limits-\(n)-l.idx", [])
        try IDXWriter.write(images, to: i)
        try IDXWriter.write(IDXArray(uint8: labels, dims: [n]), to: l)
        return (i, l)
    }

    @Test func emptySplitsAreRefused() throws {
        let (i, l) = try idxPair([0, 1, 0, 1])
        let zeroTest = DatasetSpec.idx(images: i, labels: l, testImages: nil, testLabels: nil, testFraction: 0, seed: 0)
        #expect(text { _ = try zeroTest.load(configFile: "c.json") } == "c.json: $.input.dataset: the test split has no samples; a dataset needs at least one training and one test sample")
        let zeroTrain = DatasetSpec.idx(images: i, labels: l, testImages: nil, testLabels: nil, testFraction: 1, seed: 0)
        #expect(text { _ = try zeroTrain.load() }.contains("the train split has no samples"))
        func spec(_ json: String) -> String {
            text { _ = try DatasetSpec(json: JSONReader(JSONValue.parse(json, file: "c.json"), file: "c.json", path: "$.input.dataset")) }
        }
        #expect(spec(#"{"kind": "yinyang", "train": 0}"#).contains("$.input.dataset.train: 0 is out of range; expected 1..."))
        #expect(spec(#"{"kind": "sine", "test": 0}"#).contains("$.input.dataset.test: 0 is out of range"))
        let emptyTrace = SpikeTrace(shape: TraceShape(width: 2, height: 1, polarities: 1), timestepNanoseconds: 1)
        let t = temporaryFile("limits-empty.aer", AERFile.encode(emptyTrace))
        #expect(text { _ = try DatasetSpec.trace(path: t, testPath: nil).load() }.contains("train (trace) split has no samples"))
    }

    @Test func labelsBeyondTheOutputLayerAreRefused() throws {
        let (i, l) = try idxPair([0, 1, 2, 0, 1, 2])
        let loaded = try DatasetSpec.idx(images: i, labels: l, testImages: nil, testLabels: nil, testFraction: 0.5, seed: 0).load()
        #expect(text { try loaded.checkLabels(outputNeurons: 2, file: "c.json", path: "$.input.dataset") }
            .contains("c.json: $.input.dataset: the train split has label 2, but the output layer has only 2 neurons"))
        try loaded.checkLabels(outputNeurons: 3, file: "c.json", path: "$")
        // Through a whole config: the experiment refuses before building anything.
        let json = """
        {"network": {"layers": [{"name": "in", "kind": "input", "size": 4}, {"name": "out", "size": 2}],
                     "connections": [{"from": "in", "to": "out"}]},
         "input": {"kind": "dataset", "dataset": {"kind": "idx", "images": "\(i)", "labels": "\(l)", "testFraction": 0.5},
                   "encoder": {"kind": "rate", "steps": 4}},
         "run": {"steps": 4}}
        """
        let config = try ExperimentConfig(json: JSONValue.parse(json, file: "c.json"), file: "c.json")
        #expect(text { _ = try Experiment.sources(for: config) }.contains("has label 2, but the output layer has only 2 neurons"))
    }

    // MARK: SHA-256 and the mnist5k checksum

    @Test func sha256KnownAnswers() {
        // FIPS 180-4 / NIST examples.
        #expect(SHA256.hash([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hash(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hash(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
            == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        // Fed in uneven pieces: same digest as at once.
        let data = (0 ..< 1000).map { UInt8(($0 * 31) % 251) }
        var h = SHA256()
        var k = 0
        for n in [1, 63, 64, 65, 7, 800] { h.update(data[k ..< k + n]); k += n }
        #expect(SHA256.hex(h.finish()) == SHA256.hash(data))
    }

    @Test func mnist5kIsPinnedToItsFilesAndChecksum() throws {
        // Small stand-in files (resolution hashes the files; it does not parse them), so the
        // test does not hash 4 MB in a debug build.
        let fake = (temporaryFile("fake-data-marker", []) as NSString).deletingLastPathComponent + "/fake-data"
        try FileManager.default.createDirectory(atPath: fake, withIntermediateDirectories: true)
        let images = temporaryFile("fake-data/" + MNIST5k.imagesFile, Array("images".utf8))
        _ = temporaryFile("fake-data/" + MNIST5k.labelsFile, Array("labels".utf8))
        let spec = DatasetSpec.mnist5k(seed: 0, dataDirectory: (images as NSString).deletingLastPathComponent, sha256: nil)
        let r = try spec.resolved()
        guard case let .mnist5k(_, dir, sha) = r, let dir, let sha else { Issue.record("not resolved: \(r)"); return }
        #expect(dir.hasPrefix("/"))
        #expect(sha == SHA256.hash(Array("imageslabels".utf8)))
        // Independent oracle: the system's sha256sum over the two files.
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["sh", "-c", "cat '\(dir)/\(MNIST5k.imagesFile)' '\(dir)/\(MNIST5k.labelsFile)' | sha256sum"]
        let pipe = Pipe(); p.standardOutput = pipe
        if (try? p.run()) != nil {
            p.waitUntilExit()
            let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            if p.terminationStatus == 0 { #expect(out.hasPrefix(sha)) }
        }
        #expect(r.resolvedJSON["sha256"] == .string(sha))
        let wrong = DatasetSpec.mnist5k(seed: 0, dataDirectory: dir, sha256: String(repeating: "0", count: 64))
        #expect(text { _ = try wrong.load() }.contains("SHA-256 of the mnist5k files is \(sha)"))
        #expect(text { _ = try wrong.resolved() }.contains("but the config's sha256 is 000"))
        let bad = text { _ = try DatasetSpec(json: JSONReader(JSONValue.parse(#"{"kind": "mnist5k", "sha256": "XYZ"}"#, file: "c"), file: "c", path: "$")) }
        #expect(bad.contains("$.sha256: expected 64 lowercase hex digits"))
    }

    // MARK: traces

    @Test func traceHeadersAndLengthsAreBoundedBeforeAllocating() {
        func header(w: UInt32, h: UInt32, p: UInt32, samples: UInt32, events: UInt64 = 0) -> [UInt8] {
            [0x43, 0x41, 0x45, 0x52, 1, 0, 40, 0] + le32(w) + le32(h) + le32(p) + le32(1) + le32(samples) + le32(0) + le64(events)
        }
        expectBinaryError(offset: 8, "more than \(TraceShape.maxChannels) channels") {
            _ = try AERFile.decode(header(w: 65536, h: 32768, p: 1, samples: 0), file: "t.aer")
        }
        // Empty samples of 1000 steps: 16 bytes each on disk, 4 KB each in memory. The default
        // limit (2^25 steps, 32 samples of 2^20) is lowered to 10,000 so the test stays fast.
        #expect(TraceShape.maxTotalSteps == 1 << 25)
        var bytes = header(w: 1, h: 1, p: 1, samples: 40)
        for _ in 0 ..< 40 { bytes += le32(0xFFFF_FFFF) + le32(1000) + le64(0) }
        expectBinaryError(offset: 40 + 16 * 10 + 4, "sample 10: the samples so far hold 11000 steps, more than the limit of 10000 per trace") {
            _ = try AERFile.decode(bytes, file: "t.aer", maxTotalSteps: 10_000)
        }
        var csv = "chipsim-aer,1,1,1,1,1\n"
        for _ in 0 ..< 40 { csv += "sample,,1000\n" }
        #expect(text { _ = try AERCSV.decode(csv, file: "t.csv", maxTotalSteps: 10_000) }.contains("t.csv:12:"))
        #expect(text { _ = try AERCSV.decode("chipsim-aer,1,1,1,1,1\nsample,,\(TraceShape.maxSteps + 1)\n", file: "t.csv") }.contains("out of range"))
        #expect(text { _ = try AERCSV.decode("chipsim-aer,1,65536,32768,1,1\n", file: "t.csv") }.contains("more than \(TraceShape.maxChannels) channels"))
        #expect(text { _ = try AERCSV.decode("chipsim-aer,1,1,1,1,1\nsample,4294967296,1\n", file: "t.csv") }.contains("label 4294967296 is out of range"))
        #expect(text { _ = try AERCSV.decode("chipsim-aer,1,1,1,1,1\nsample,+1,1\n", file: "t.csv") }.contains("expected a non-negative integer"))
    }

    @Test func csvTracesAcceptCRLFAndBOM() throws {
        let lf = "chipsim-aer,1,3,1,1,500\nsample,2,3\nevent,0,1,0,0\nevent,2,0,0,0\nevent,2,2,0,0\nsample,,1\n"
        let expected = try AERCSV.decode(lf, file: "lf.csv")
        #expect(try AERCSV.decode(lf.replacingOccurrences(of: "\n", with: "\r\n"), file: "crlf.csv") == expected)
        #expect(try AERCSV.decode("\u{FEFF}" + lf, file: "bom.csv") == expected)
        #expect(expected.samples.count == 2 && expected.eventCount == 3)
    }

    @Test func unwritableTracesAreErrorsNotTraps() {
        var r = SpikeRaster(channels: 1); r.appendStep([0])
        let trace = SpikeTrace(shape: TraceShape(width: 1, height: 1, polarities: 1), timestepNanoseconds: 1,
                               samples: [TraceSample(label: 99_999_999_999, raster: r)])
        #expect(text { try AERFile.write(trace, to: temporaryFile("big-label.aer", [])) }.contains("label 99999999999 is outside 0...2147483647"))
        #expect(text { try AERCSV.write(trace, to: temporaryFile("big-label.csv", [])) }.contains("label 99999999999"))
    }

    // MARK: spike lists, N-MNIST, encoders

    @Test func spikeListsAcceptCRLFAndRefuseHugeSamples() throws {
        let p = temporaryFile("crlf-spikes.csv", Array("\u{FEFF}sample,step,channel\r\n0,1,2\r\n1,0,3\r\n0,1,0\r\n".utf8))
        let s = try SpikeListSource(path: p, channels: 4, steps: 3)
        #expect(s.samples == 2)
        var out = ContiguousArray<Int32>()
        s.spikes(sample: 0, step: 1, into: &out)
        #expect(Array(out) == [0, 2])
        out.removeAll(); s.spikes(sample: 1, step: 0, into: &out)
        #expect(Array(out) == [3])
        out.removeAll(); s.spikes(sample: 1, step: 2, into: &out); s.spikes(sample: 1, step: 99, into: &out)
        #expect(out.isEmpty)
        // One line naming sample 10,000,000 used to allocate 10^7 x steps arrays (3 GB).
        let big = temporaryFile("big-spikes.csv", Array("sample,step,channel\n10000000,0,0\n".utf8))
        let e = text { _ = try SpikeListSource(path: big, channels: 4, steps: 10) }
        #expect(e.contains("big-spikes.csv:2:1: sample 10000000 is out of range: at most 3355443 samples of 10 steps"), "\(e)")
        let arabic = temporaryFile("arabic-spikes.csv", Array("sample,step,channel\n0,\u{0661},0\n".utf8))
        #expect(text { _ = try SpikeListSource(path: arabic, channels: 4, steps: 10) }.contains("is not a non-negative integer"))
    }

    @Test func nmnistAndEncoderStepsAreBounded() {
        let f = temporaryFile("one-event.bin", NMNIST.bytes([AddressEvent(x: 1, y: 2, polarity: 1, timestamp: 5)]))
        #expect(text { _ = try NMNIST.raster(path: f, steps: 1_000_000_000) }.contains("--steps 1000000000 is out of range; expected 1...\(EncoderSpec.maxSteps)"))
        #expect(text { _ = try NMNIST.raster(path: f, steps: 0) }.contains("out of range"))
        #expect(text { _ = try NMNIST.raster(path: f, steps: 3, binMicroseconds: 0) }.contains("--bin-us must be at least 1"))
        #expect((try? NMNIST.raster(path: f, steps: 3, binMicroseconds: 10))?.count == 1)
        let e = text { _ = try EncoderSpec(json: JSONReader(JSONValue.parse(#"{"kind": "rate", "steps": 1000000}"#, file: "c"), file: "c", path: "$.input.encoder")) }
        #expect(e.contains("$.input.encoder.steps: 1000000 is out of range; expected 1...100000"))
    }
}
