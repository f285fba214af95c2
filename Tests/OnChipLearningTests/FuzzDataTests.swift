import Foundation
import Testing
@testable import OnChipLearning

// Fuzzing of the data readers: IDX (plain and gzip), AER traces (binary and CSV), spike
// lists, N-MNIST recordings, dataset / encoder specs, host profiles, and whole dataset
// experiments. Every mutated input must give a value or a ChipError; a trap kills the test
// process, so finishing is the check. Fixed seeds. (FuzzRandom and the mutators are a copy
// of ChipModelTests/FuzzConfigTests.swift's: the two test targets share no code.)

struct DataFuzzRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(max(n, 1))) }
    mutating func pick<T>(_ a: [T]) -> T { a[below(a.count)] }
}

/// Binary mutations: truncation, bit flips, random bytes, extreme 32-bit little- and
/// big-endian words (the readers' counts and dimensions), span deletion and duplication.
func mutateData(_ input: [UInt8], _ rng: inout DataFuzzRandom, text: Bool = false) -> [UInt8] {
    var b = input
    let words: [UInt32] = [0, 1, 0xFFFF_FFFF, 0x7FFF_FFFF, 0x8000_0000, 1 << 20, (1 << 20) + 1, 1 << 24, 65536, 255, 256]
    let tricky = ["\r\n", "\u{FEFF}", "-1", "+1", "99999999999999999999", "4294967296", "1048577", "\u{0665}", ",", "\n", "#", "sample,,1048576\n"]
    for _ in 0 ..< 1 + rng.below(3) {
        switch rng.below(text ? 7 : 6) {
        case 0: if !b.isEmpty { b = Array(b[0 ..< rng.below(b.count)]) }
        case 1: if !b.isEmpty { let i = rng.below(b.count); b[i] ^= UInt8(1 << rng.below(8)) }
        case 2: if !b.isEmpty { b[rng.below(b.count)] = UInt8(truncatingIfNeeded: rng.next()) }
        case 3:
            if b.count >= 4 {
                let i = rng.below(b.count - 3), w = rng.pick(words), bigEndian = rng.below(2) == 0
                for k in 0 ..< 4 { b[i + k] = UInt8(truncatingIfNeeded: w >> UInt32(8 * (bigEndian ? 3 - k : k))) }
            }
        case 4: if b.count > 1 { let i = rng.below(b.count), n = 1 + rng.below(min(16, b.count - i)); b.removeSubrange(i ..< i + n) }
        case 5: if b.count > 1 { let i = rng.below(b.count), n = 1 + rng.below(min(64, b.count - i)); b.insert(contentsOf: b[i ..< i + n], at: rng.below(b.count + 1)) }
        default: b.insert(contentsOf: Array(rng.pick(tricky).utf8), at: rng.below(b.count + 1))
        }
    }
    return b
}

func mutateTree(_ v: JSONValue, _ rng: inout DataFuzzRandom, depth: Int = 0) -> JSONValue {
    let extremes: [JSONValue] = [.number(0, text: "0"), .number(-1, text: "-1"), .number(1e300, text: "1e300"),
                                 .number(4294967296, text: "4294967296"), .number(0.5, text: "0.5"), .number(10_000_000, text: "10000000"),
                                 .string(""), .string("/nonexistent"), .bool(false), .null, .array([]), .object([]), .number(.infinity, text: "1e400")]
    if depth > 0 && rng.below(5) == 0 { return rng.pick(extremes) }
    switch v {
    case let .object(kv) where !kv.isEmpty:
        var kv = kv
        let i = rng.below(kv.count)
        switch rng.below(3) {
        case 0: kv.remove(at: i)
        case 1: kv[i].1 = rng.pick(extremes)
        default: kv[i].1 = mutateTree(kv[i].1, &rng, depth: depth + 1)
        }
        return .object(kv)
    case let .array(items) where !items.isEmpty:
        var items = items
        items[rng.below(items.count)] = mutateTree(items[rng.below(items.count)], &rng, depth: depth + 1)
        return .array(items)
    default: return rng.pick(extremes)
    }
}

@Suite("Fuzz: datasets, traces, spike lists")
struct FuzzDataTests {
    func attempt(_ what: String, _ body: () throws -> Void) -> Bool {
        do { try body(); return true }
        catch is ChipError { return false }
        catch { Issue.record("\(what): non-ChipError \(error)"); return false }
    }

    @Test func idxPlainAndGzip() {
        var rng = DataFuzzRandom(seed: 0xDA7A_0001)
        let seeds = [IDXTests().tiny, GzipTests().tinyIDX,
                     FixedHuffmanWriter.gzip(literals: [0, 0, 8, 1, 0, 0, 0, 20, 7], copies: 1)]
        var accepted = 0
        for k in 0 ..< 3000 {
            let bytes = mutateData(seeds[k % seeds.count], &rng)
            let path = "fuzz.idx"
            accepted += attempt("idx #\(k)") {
                let a = try IDXReader.read(fileBytes: bytes, path: path)
                if a.dims.count == 1, a.type == .uint8 {
                    // As labels of a tiny image set: the dataset layer's checks must hold too.
                    let images = IDXArray(uint8: [UInt8](repeating: 1, count: a.count * 4), dims: [a.count, 2, 2])
                    _ = try IDXDataset.make(images: images, imagesFile: "i", labels: a, labelsFile: path, name: "f")
                }
            } ? 1 : 0
        }
        #expect(accepted > 0)
    }

    @Test func aerBinaryAndCSV() {
        var rng = DataFuzzRandom(seed: 0xDA7A_0002)
        let t = TraceTests()
        let csv = Array(AERCSV.encode(t.handTrace).utf8)
        var accepted = 0
        for k in 0 ..< 4000 {
            if k % 2 == 0 {
                let bytes = mutateData(t.handBytes, &rng)
                accepted += attempt("aer #\(k)") {
                    let trace = try AERFile.decode(bytes, file: "f.aer", maxTotalSteps: 4096)
                    if trace.shape.channels <= 4096 { _ = TraceStatistics(trace) }
                } ? 1 : 0
            } else {
                let bytes = mutateData(csv, &rng, text: true)
                accepted += attempt("aer csv #\(k)") {
                    let trace = try AERCSV.decode(String(decoding: bytes, as: UTF8.self), file: "f.csv", maxTotalSteps: 4096)
                    if trace.shape.channels <= 4096 { _ = TraceStatistics(trace) }
                } ? 1 : 0
            }
        }
        #expect(accepted > 0)
    }

    @Test func spikeListsAndNMNIST() {
        var rng = DataFuzzRandom(seed: 0xDA7A_0003)
        let list = Array("sample,step,channel\n0,0,1\n0,3,2\n1,2,0\n# c\n2,1,3\n".utf8)
        let nm = NMNISTTests().bytes
        for k in 0 ..< 1000 {
            if k % 2 == 0 {
                let text = String(decoding: mutateData(list, &rng, text: true), as: UTF8.self)
                _ = attempt("spike list #\(k)") {
                    let s = try SpikeListSource(text: text, file: "f.csv", channels: 4, steps: 8)
                    var out = ContiguousArray<Int32>()
                    for i in 0 ..< min(s.samples, 4) { for t in 0 ..< 9 { s.spikes(sample: i, step: t, into: &out) } }
                }
            } else {
                let bytes = mutateData(nm, &rng)
                _ = attempt("nmnist #\(k)") {
                    let events = try NMNIST.read(bytes: bytes, file: "f.bin")
                    _ = EventBinning.raster(events, width: NMNIST.width, height: NMNIST.height, steps: 1 + rng.below(40), binMicroseconds: UInt64(1 + rng.below(5000)))
                }
            }
        }
    }

    @Test func datasetAndEncoderSpecs() throws {
        var rng = DataFuzzRandom(seed: 0xDA7A_0004)
        let specs = try [
            #"{"kind": "yinyang", "train": 6, "test": 3, "seed": 1}"#, #"{"kind": "sine", "train": 4, "test": 2, "periods": 2}"#,
            #"{"kind": "idx", "images": "i.idx", "labels": "l.idx", "testFraction": 0.5}"#, #"{"kind": "mnist5k", "seed": 3}"#,
            #"{"kind": "trace", "path": "t.aer"}"#,
        ].map { try JSONValue.parse($0, file: "s") }
        let encoders = try [#"{"kind": "rate", "steps": 4}"#, #"{"kind": "latency", "steps": 5, "minimumFeature": 3}"#,
                            #"{"kind": "dvs", "steps": 3, "margin": 3, "amplitude": 2}"#, #"{"kind": "population", "steps": 4, "neurons": 3}"#]
            .map { try JSONValue.parse($0, file: "e") }
        let images = ImageDataset.tinyForFuzz
        for k in 0 ..< 600 {
            let v = mutateTree(specs[k % specs.count], &rng)
            _ = attempt("dataset spec #\(k)") {
                let s = try DatasetSpec(json: JSONReader(v, file: "c.json", path: "$.input.dataset"))
                _ = s.resolvedJSON.serialized()
                // Generated sets are loaded (small sizes only); file kinds would need files.
                switch s {
                case let .yinyang(a, b, _) where a + b <= 64: _ = try s.load()
                case let .sine(a, b, _, _) where a + b <= 64: _ = try s.load()
                default: break
                }
            }
            let e = mutateTree(encoders[k % encoders.count], &rng)
            _ = attempt("encoder spec #\(k)") {
                let spec = try EncoderSpec(json: JSONReader(e, file: "c.json", path: "$.input.encoder"))
                if spec.steps <= 64 {
                    let enc = spec.makeEncoder()
                    _ = enc.encode(images, sample: k % images.count)
                }
            }
        }
    }

    @Test func hostProfiles() throws {
        let seed = try #require(FileManager.default.contents(atPath: repositoryRootForFuzz + "/configs/host/cpu-server.json"))
        let tree = try JSONValue.parse(seed, file: "h")
        var rng = DataFuzzRandom(seed: 0xDA7A_0005)
        for k in 0 ..< 300 {
            let v = k % 2 == 0 ? mutateTree(tree, &rng) : ((try? JSONValue.parse(Data(mutateData([UInt8](seed), &rng, text: true)), file: "h")) ?? .null)
            _ = attempt("host profile #\(k)") { _ = try HostProfile(json: v, file: "h.json") }
        }
    }

    /// Whole experiments over a tiny IDX set, through `Experiment.sources`: the checks that
    /// tie the dataset to the network (channels, labels, empty splits, limits).
    @Test func datasetExperiments() throws {
        let (i, l) = try InputLimitsTests().idxPair([0, 1, 2, 0, 1, 2, 0, 1])
        let base = """
        {"network": {"layers": [{"name": "in", "kind": "input", "size": 4}, {"name": "out", "size": 3}],
                     "connections": [{"from": "in", "to": "out"}]},
         "input": {"kind": "dataset", "dataset": {"kind": "idx", "images": "\(i)", "labels": "\(l)", "testFraction": 0.5},
                   "encoder": {"kind": "rate", "steps": 4}, "limit": 3},
         "run": {"steps": 4}}
        """
        let tree = try JSONValue.parse(base, file: "c.json")
        var rng = DataFuzzRandom(seed: 0xDA7A_0006)
        var accepted = 0
        for k in 0 ..< 300 {
            let v = k == 0 ? tree : mutateTree(tree, &rng)
            if attempt("experiment #\(k)", {
                let c = try ExperimentConfig(json: v, file: "c.json")
                let s = try Experiment.sources(for: c)
                var out = ContiguousArray<Int32>()
                for t in 0 ..< c.run.steps { s.test.spikes(sample: 0, step: t, into: &out) }
            }) { accepted += 1 }
        }
        #expect(accepted > 10)
    }
}

let repositoryRootForFuzz: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0 ..< 3 { url.deleteLastPathComponent() }
    return url.path
}()

extension ImageDataset {
    /// Three 2x2 images for encoder fuzzing.
    static let tinyForFuzz = try! ImageDataset(name: "fuzz", width: 2, height: 2, pixels: [0, 255, 128, 7, 1, 2, 3, 4, 200, 100, 50, 25],
                                               labels: [0, 1, 2], classes: 3)
}
