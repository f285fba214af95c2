import Foundation
import Testing
@testable import OnChipLearning

/// Writes bytes to a fresh temporary file and returns its path.
func temporaryFile(_ name: String, _ bytes: [UInt8]) -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chipsim-tests-\(getpid())")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let path = dir.appendingPathComponent(name).path
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return path
}

/// Expects a ChipError.binary at `offset` whose text mentions `fragment`.
func expectBinaryError(offset: Int, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("expected an error at byte \(offset)", sourceLocation: sourceLocation)
    } catch let ChipError.binary(_, at, message) {
        #expect(at == offset, "message: \(message)", sourceLocation: sourceLocation)
        #expect(message.contains(fragment), "message: \(message)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
    }
}

/// The package root (tests run with it as the current directory, or below .build).
let repositoryData: String = try! DatasetLocator.dataDirectory(containing: MNIST5k.imagesFile)

@Suite("IDX files")
struct IDXTests {
    // Hand-built: 2 images of 2x3 bytes 1...12.
    let tiny: [UInt8] = [0, 0, 0x08, 3, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 3] + Array(1 ... 12)

    @Test func readsHandBuiltFile() throws {
        let a = try IDXReader.read(bytes: tiny, file: "tiny.idx")
        #expect(a.type == .uint8)
        #expect(a.dims == [2, 2, 3])
        #expect(a.data == Array(1 ... 12))
        #expect(a.magic == 0x0000_0803)
        #expect(a.value(11) == 12)
    }

    @Test func writerRoundTrip() throws {
        let a = IDXArray(uint8: [9, 8, 7, 6, 5, 4], dims: [3, 2])
        let bytes = IDXWriter.bytes(a)
        #expect(Array(bytes[0 ..< 12]) == [0, 0, 8, 2, 0, 0, 0, 3, 0, 0, 0, 2])
        #expect(try IDXReader.read(bytes: bytes, file: "x") == a)
        #expect(IDXWriter.bytes(try IDXReader.read(bytes: tiny, file: "t")) == tiny)
        let path = temporaryFile("rt.idx", [])
        try IDXWriter.write(a, to: path)
        #expect(try IDXReader.read(path: path) == a)
    }

    @Test func otherElementTypesAreBigEndian() throws {
        // int16 -2 = 0xFFFE, 258 = 0x0102; float32 1.5 = 0x3FC00000.
        let i16 = try IDXReader.read(bytes: [0, 0, 0x0B, 1, 0, 0, 0, 2, 0xFF, 0xFE, 0x01, 0x02], file: "s")
        #expect(i16.value(0) == -2 && i16.value(1) == 258)
        let f32 = try IDXReader.read(bytes: [0, 0, 0x0D, 1, 0, 0, 0, 1, 0x3F, 0xC0, 0, 0], file: "f")
        #expect(f32.value(0) == 1.5)
    }

    @Test func corruptFilesNameTheOffset() {
        var bad = tiny; bad[1] = 7
        expectBinaryError(offset: 0, "magic") { _ = try IDXReader.read(bytes: bad, file: "x") }
        bad = tiny; bad[2] = 0x0A
        expectBinaryError(offset: 2, "element type") { _ = try IDXReader.read(bytes: bad, file: "x") }
        // The error names where the missing item (dimension 1) starts.
        expectBinaryError(offset: 8, "dimension 1") { _ = try IDXReader.read(bytes: Array(tiny[0 ..< 10]), file: "x") }
        expectBinaryError(offset: 27, "truncated") { _ = try IDXReader.read(bytes: Array(tiny.dropLast()), file: "x") }
        expectBinaryError(offset: 28, "trailing") { _ = try IDXReader.read(bytes: tiny + [0], file: "x") }
        expectBinaryError(offset: 0, "truncated") { _ = try IDXReader.read(bytes: [], file: "x") }
        // The error text names the file.
        #expect(throws: ChipError.binary(file: "named.idx", offset: 28, message: "1 unexpected trailing bytes after the IDX data (dims [2, 2, 3] of unsigned byte)")) {
            _ = try IDXReader.read(bytes: tiny + [0], file: "named.idx")
        }
    }

    @Test func labelImageCountMismatch() {
        let images = temporaryFile("mm-images.idx", tiny)
        let labels = temporaryFile("mm-labels.idx", [0, 0, 8, 1, 0, 0, 0, 3, 0, 1, 1])
        expectBinaryError(offset: 4, "does not match the image count 2") {
            _ = try IDXDataset.load(images: images, labels: labels, name: "mm")
        }
        let okLabels = temporaryFile("ok-labels.idx", [0, 0, 8, 1, 0, 0, 0, 2, 0, 5])
        expectBinaryError(offset: 9, "label 5") {
            _ = try IDXDataset.load(images: images, labels: okLabels, name: "mm", classes: 3)
        }
        let d = try! IDXDataset.load(images: images, labels: okLabels, name: "ok")
        #expect(d.count == 2 && d.width == 3 && d.height == 2 && d.classes == 6)
        #expect(Array(d.features(1)) == Array(7 ... 12))
    }
}

@Suite("MNIST-5k")
struct MNIST5kTests {
    @Test func shippedFileHas5000BalancedImages() throws {
        let all = try MNIST5k.loadAll(dataDirectory: repositoryData)
        #expect(all.count == 5000)
        #expect(all.width == 28 && all.height == 28)
        #expect(all.classCounts() == [Int](repeating: 500, count: 10))
        #expect(all.pixels.count == 5000 * 784)
        // Exact file sizes: 16-byte header + 5000 * 784, and 8 + 5000.
        let size = try FileManager.default.attributesOfItem(atPath: repositoryData + "/" + MNIST5k.imagesFile)[.size] as! Int
        #expect(size == 16 + 5000 * 784)
    }

    @Test func splitIsBalancedDisjointAndDeterministic() throws {
        let all = try MNIST5k.loadAll(dataDirectory: repositoryData)
        let (tr, te) = BalancedSplit.indices(labels: all.labels, classes: 10, seed: 0) { _, _ in 100 }
        #expect(tr.count == 4000 && te.count == 1000)
        #expect(Set(tr).isDisjoint(with: Set(te)))
        #expect(Set(tr).union(Set(te)) == Set(0 ..< 5000))
        let (train, test) = try MNIST5k.load(dataDirectory: repositoryData)
        #expect(train.classCounts() == [Int](repeating: 400, count: 10))
        #expect(test.classCounts() == [Int](repeating: 100, count: 10))
        // The split datasets hold exactly the images at those indices.
        #expect(Array(train.features(17)) == Array(all.features(tr[17])))
        #expect(test.labels[3] == all.labels[te[3]])
        // Round-robin order: the first 10 training samples are one of each class.
        #expect(Array(train.labels[0 ..< 10]) == Array(0 ... 9))
        let again = try MNIST5k.load(dataDirectory: repositoryData)
        #expect(again.train == train && again.test == test)
        let other = BalancedSplit.indices(labels: all.labels, classes: 10, seed: 1) { _, _ in 100 }
        #expect(other.test != te)
    }

    @Test func locatorErrorsClearly() {
        #expect(throws: ChipError.self) { _ = try DatasetLocator.dataDirectory(containing: "no-such-file.idx") }
        #expect(throws: ChipError.self) { _ = try DatasetLocator.dataDirectory(containing: MNIST5k.imagesFile, explicit: "/nonexistent") }
    }
}

@Suite("Dataset config")
struct DatasetSpecTests {
    func spec(_ text: String) throws -> DatasetSpec {
        try DatasetSpec(json: JSONReader(JSONValue.parse(text, file: "c.json"), file: "c.json", path: "$.dataset"))
    }

    @Test func decodesEveryKind() throws {
        #expect(try spec(#"{"kind": "mnist5k"}"#) == .mnist5k(seed: 0, dataDirectory: nil, sha256: nil))
        #expect(try spec(#"{"kind": "yinyang", "train": 30}"#) == .yinyang(train: 30, test: 1000, seed: 42))
        #expect(try spec(#"{"kind": "idx", "images": "a", "labels": "b"}"#)
                == .idx(images: "a", labels: "b", testImages: nil, testLabels: nil, testFraction: 0.2, seed: 0))
        #expect(try spec(#"{"kind": "trace", "path": "t.aer"}"#) == .trace(path: "t.aer", testPath: nil))
        let resolved = try spec(#"{"kind": "yinyang"}"#).resolvedJSON
        #expect(resolved["seed"] == .int(42))
    }

    @Test func rejectsUnknownKeysAndBadValues() {
        do {
            _ = try spec(#"{"kind": "yinyang", "sed": 1}"#)
            Issue.record("unknown key accepted")
        } catch let ChipError.config(file, path, message) {
            #expect(file == "c.json" && path == "$.dataset.sed" && message.contains("unknown key 'sed'") && message.contains("seed"))
        } catch { Issue.record("wrong error \(error)") }
        #expect(throws: ChipError.self) { _ = try spec(#"{"kind": "cifar"}"#) }
        #expect(throws: ChipError.self) { _ = try spec(#"{"kind": "idx", "images": "a", "labels": "b", "testImages": "c"}"#) }
    }

    @Test func loadsIDXWithBalancedFractionSplit() throws {
        // 10 samples of 1x2 pixels, classes 0 and 1 alternating.
        let images = temporaryFile("spec-images.idx", [0, 0, 8, 3, 0, 0, 0, 10, 0, 0, 0, 1, 0, 0, 0, 2] + Array(0 ..< 20))
        let labels = temporaryFile("spec-labels.idx", [0, 0, 8, 1, 0, 0, 0, 10] + (0 ..< 10).map { UInt8($0 % 2) })
        let dir = (images as NSString).deletingLastPathComponent
        let s = DatasetSpec.idx(images: (images as NSString).lastPathComponent, labels: (labels as NSString).lastPathComponent,
                                testImages: nil, testLabels: nil, testFraction: 0.4, seed: 3)
        guard case let .images(train, test) = try s.load(relativeTo: dir) else { Issue.record("expected images"); return }
        #expect(train.classCounts() == [3, 3] && test.classCounts() == [2, 2])
        // Every sample lands in exactly one part (first pixel = 2 * file index).
        let firsts = (0 ..< 6).map { train.features($0).first! } + (0 ..< 4).map { test.features($0).first! }
        #expect(Set(firsts) == Set((0 ..< 10).map { UInt8(2 * $0) }))
    }
}

@Suite("N-MNIST reader")
struct NMNISTTests {
    // Hand-built: (x 1, y 2, ON, ts 0x012345), overflow marker, (x 33, y 0, OFF, ts 5).
    let bytes: [UInt8] = [1, 2, 0x81, 0x23, 0x45,  0, 240, 0, 0, 0,  33, 0, 0x00, 0x00, 0x05]

    @Test func decodesEventsAndOverflow() throws {
        let e = try NMNIST.read(bytes: bytes, file: "n.bin")
        #expect(e == [AddressEvent(x: 1, y: 2, polarity: 1, timestamp: 0x012345),
                      AddressEvent(x: 33, y: 0, polarity: 0, timestamp: 5 + 8192)])
        let plain = [AddressEvent(x: 3, y: 4, polarity: 1, timestamp: 7_000_000), AddressEvent(x: 0, y: 33, polarity: 0, timestamp: 0)]
        #expect(try NMNIST.read(bytes: NMNIST.bytes(plain), file: "rt") == plain)
    }

    @Test func badFilesNameTheOffset() {
        expectBinaryError(offset: 15, "multiple of 5") { _ = try NMNIST.read(bytes: bytes + [1, 2], file: "n") }
        var bad = bytes; bad[10] = 34
        expectBinaryError(offset: 10, "outside the 34x34") { _ = try NMNIST.read(bytes: bad, file: "n") }
    }

    @Test func binsIntoSteps() {
        let events = [AddressEvent(x: 1, y: 0, polarity: 1, timestamp: 999),   // step 0, ch 34*34 + 1
                      AddressEvent(x: 0, y: 1, polarity: 0, timestamp: 500),   // step 0, ch 34
                      AddressEvent(x: 0, y: 1, polarity: 0, timestamp: 700),   // duplicate -> one spike
                      AddressEvent(x: 2, y: 0, polarity: 0, timestamp: 2500),  // step 2, ch 2
                      AddressEvent(x: 2, y: 0, polarity: 0, timestamp: 3000)]  // step 3: outside the window
        let r = EventBinning.raster(events, width: 34, height: 34, steps: 3, binMicroseconds: 1000)
        #expect(r.channels == 2312 && r.steps == 3)
        #expect(Array(r.spikes(at: 0)) == [34, 1157] && r.spikes(at: 1).isEmpty && Array(r.spikes(at: 2)) == [2])
    }
}
