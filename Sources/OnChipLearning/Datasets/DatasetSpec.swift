import Foundation

// The experiment config's "dataset" key, decoded strictly (unknown keys are errors naming
// their JSON path), and loading of what it names. Relative paths resolve against the
// directory of the config file (the caller passes it to `load(relativeTo:)`).

public enum DatasetSpec: Sendable, Equatable {
    /// The shipped MNIST subset; `dataDirectory` nil = found by `DatasetLocator`; `sha256`,
    /// if given, must be the SHA-256 of the images file followed by the labels file.
    case mnist5k(seed: UInt64, dataDirectory: String?, sha256: String? = nil)
    /// Any IDX image/label pair; a test pair, or a class-balanced split by `testFraction`.
    case idx(images: String, labels: String, testImages: String?, testLabels: String?, testFraction: Double, seed: UInt64)
    /// Generated Yin-Yang sets.
    case yinyang(train: Int, test: Int, seed: UInt64)
    /// Pre-encoded AER traces (binary or .csv), optionally a separate test trace.
    case trace(path: String, testPath: String?)
    /// Generated regression: y = sin(2 pi periods x).
    case sine(train: Int, test: Int, seed: UInt64, periods: Int)

    public static let kinds = ["mnist5k", "idx", "yinyang", "trace", "sine"]

    /// Documentation of the key, for `chipsim describe` and docs/DATA.md.
    public static let describe = """
    "dataset": an object with "kind" and kind-specific keys (unknown keys are errors).
      {"kind": "mnist5k", "seed": 0, "data": null, "sha256": null}
          The shipped 5000 MNIST digits (data/mnist5k-*.idx), split class-balanced into
          4000 train (400/class) and 1000 test (100/class). "seed" (default 0) picks the
          split; "data" is the directory holding the files (default: found automatically);
          "sha256", if given, must equal the SHA-256 of the images file followed by the
          labels file (`cat mnist5k-images.idx mnist5k-labels.idx | sha256sum`), else the run
          is refused. `resolved(relativeTo:)` fills in both, for the resolved config.
      {"kind": "idx", "images": "train-images.idx", "labels": "train-labels.idx",
       "testImages": null, "testLabels": null, "testFraction": 0.2, "seed": 0}
          Unsigned-byte IDX files. Without a test pair, round(testFraction * class size)
          samples of each class go to test (deterministic by "seed").
      {"kind": "yinyang", "train": 5000, "test": 1000, "seed": 42}   (train, test >= 1)
          Yin-Yang (Kriener et al. 2022) generated from its definition; 4 features
          (x, y, 1-x, 1-y), 3 classes exactly balanced.
      {"kind": "sine", "train": 2000, "test": 500, "seed": 7, "periods": 1}   (train, test >= 1)
          Regression: x uniform in [0, 1], features (x, 1-x), target sin(2 pi periods x);
          the readout layer has 1 neuron, the loss unit computes the MSE error and the
          trainer reports the test MSE (docs/LEARNING.md, "Regression").
      {"kind": "trace", "path": "traces/x.aer", "testPath": null}
          Spikes already encoded, in chipsim's AER format (binary, or CSV if the name
          ends in .csv); the input encoder is then not used.
    Relative paths are relative to the config file's directory. Empty splits (0 train or
    0 test samples, e.g. an IDX file of 0 images or testFraction 0) are refused.
    """

    public init(json r: JSONReader) throws {
        let kind = try r.string("kind", oneOf: DatasetSpec.kinds)
        func seed(_ d: Int) throws -> UInt64 { UInt64(try r.int("seed", default: d, range: 0 ... Int(Int64.max))) }
        switch kind {
        case "mnist5k":
            let sha = try r.optionalString("sha256")
            if let sha, sha.count != 64 || !sha.allSatisfy({ $0.isASCII && $0.isHexDigit && !$0.isUppercase }) {
                throw r.error("sha256", "expected 64 lowercase hex digits, found '\(sha)'")
            }
            self = .mnist5k(seed: try seed(0), dataDirectory: try r.optionalString("data"), sha256: sha)
        case "idx":
            let images = try r.string("images"), labels = try r.string("labels")
            let ti = try r.optionalString("testImages"), tl = try r.optionalString("testLabels")
            if (ti == nil) != (tl == nil) {
                throw r.error(ti == nil ? "testLabels" : "testImages", "give both testImages and testLabels, or neither")
            }
            let f = try r.double("testFraction", default: 0.2, min: 0, max: 1)
            self = .idx(images: images, labels: labels, testImages: ti, testLabels: tl, testFraction: f, seed: try seed(0))
        case "yinyang":
            self = .yinyang(train: try r.int("train", default: 5000, range: 1 ... 10_000_000),
                            test: try r.int("test", default: 1000, range: 1 ... 10_000_000), seed: try seed(42))
        case "sine":
            self = .sine(train: try r.int("train", default: 2000, range: 1 ... 10_000_000),
                         test: try r.int("test", default: 500, range: 1 ... 10_000_000), seed: try seed(7),
                         periods: try r.int("periods", default: 1, range: 1 ... 64))
        default:
            self = .trace(path: try r.string("path"), testPath: try r.optionalString("testPath"))
        }
        try r.rejectUnknownKeys()
    }

    /// The spec with every default filled in, for the resolved config.
    public var resolvedJSON: JSONValue {
        func str(_ s: String?) -> JSONValue { s.map { .string($0) } ?? .null }
        switch self {
        case let .mnist5k(seed, dir, sha):
            return .object([("kind", .string("mnist5k")), ("seed", .uint(seed)), ("data", str(dir))] + (sha.map { [("sha256", .string($0))] } ?? []))
        case let .idx(images, labels, ti, tl, f, seed):
            return .object([("kind", .string("idx")), ("images", .string(images)), ("labels", .string(labels)),
                            ("testImages", str(ti)), ("testLabels", str(tl)), ("testFraction", .double(f)), ("seed", .uint(seed))])
        case let .yinyang(train, test, seed):
            return .object([("kind", .string("yinyang")), ("train", .int(train)), ("test", .int(test)), ("seed", .uint(seed))])
        case let .sine(train, test, seed, periods):
            return .object([("kind", .string("sine")), ("train", .int(train)), ("test", .int(test)), ("seed", .uint(seed)), ("periods", .int(periods))])
        case let .trace(path, testPath):
            return .object([("kind", .string("trace")), ("path", .string(path)), ("testPath", str(testPath))])
        }
    }

    /// The spec with what it depends on pinned: for mnist5k, the absolute data directory
    /// found now and the SHA-256 of its two files (checked against `sha256` if one is given),
    /// so the resolved config names the exact files read. Other kinds name their files already.
    public func resolved(relativeTo base: String = ".") throws -> DatasetSpec {
        guard case let .mnist5k(seed, dir, sha) = self else { return self }
        let d = try DatasetLocator.dataDirectory(containing: MNIST5k.imagesFile, explicit: dir.map { DatasetSpec.resolve($0, base) })
        let absolute = URL(fileURLWithPath: d).standardizedFileURL.path
        let digest = try MNIST5k.sha256(dataDirectory: absolute)
        if let sha, sha != digest { throw MNIST5k.checksumError(directory: absolute, expected: sha, found: digest) }
        return .mnist5k(seed: seed, dataDirectory: absolute, sha256: digest)
    }

    static func resolve(_ p: String, _ base: String) -> String { p.hasPrefix("/") ? p : base + "/" + p }

    /// Loads the data; relative paths resolve against `base` (the config file's directory).
    /// Empty splits are refused with an error naming `configFile` and $.input.dataset.
    public func load(relativeTo base: String = ".", configFile: String = "<config>") throws -> LoadedDataset {
        let loaded = try loadUnchecked(relativeTo: base)
        try loaded.checkNotEmpty(file: configFile, path: "$.input.dataset")
        return loaded
    }

    func loadUnchecked(relativeTo base: String) throws -> LoadedDataset {
        func resolve(_ p: String) -> String { DatasetSpec.resolve(p, base) }
        switch self {
        case let .mnist5k(seed, dir, sha):
            let d = try DatasetLocator.dataDirectory(containing: MNIST5k.imagesFile, explicit: dir.map(resolve))
            if let sha {
                let digest = try MNIST5k.sha256(dataDirectory: d)
                if sha != digest { throw MNIST5k.checksumError(directory: d, expected: sha, found: digest) }
            }
            let (train, test) = try MNIST5k.load(dataDirectory: d, seed: seed)
            return .images(train: train, test: test)
        case let .idx(images, labels, ti, tl, f, seed):
            let all = try IDXDataset.load(images: resolve(images), labels: resolve(labels), name: "idx")
            if let ti, let tl {
                var test = try IDXDataset.load(images: resolve(ti), labels: resolve(tl), name: "idx/test")
                guard test.featureCount == all.featureCount else {
                    throw ChipError.binary(file: resolve(ti), offset: 8, message: "test images are \(test.width)x\(test.height)x\(test.channels), train images \(all.width)x\(all.height)x\(all.channels)")
                }
                let k = max(all.classes, test.classes)
                var train = all
                train.classes = k; test.classes = k
                return .images(train: train, test: test)
            }
            let (train, test) = BalancedSplit.split(all, testFraction: f, seed: seed)
            return .images(train: train, test: test)
        case let .yinyang(train, test, seed):
            let (a, b) = YinYang.load(train: train, test: test, seed: seed)
            return .images(train: a, test: b)
        case let .sine(train, test, seed, periods):
            let (a, b) = SineRegression.load(train: train, test: test, seed: seed, periods: periods)
            return .images(train: a, test: b)
        case let .trace(path, testPath):
            return .traces(train: try SpikeTrace.read(path: resolve(path)), test: try testPath.map { try SpikeTrace.read(path: resolve($0)) })
        }
    }
}

public enum LoadedDataset: Sendable {
    case images(train: ImageDataset, test: ImageDataset)
    case traces(train: SpikeTrace, test: SpikeTrace?)

    /// Refuses a split with no samples: a run over it would report 0 accuracy "successfully".
    public func checkNotEmpty(file: String, path: String) throws {
        func fail(_ split: String) -> ChipError {
            ChipError.config(file: file, path: path, message: "the \(split) split has no samples; a dataset needs at least one training and one test sample")
        }
        switch self {
        case let .images(train, test):
            if train.count == 0 { throw fail("train") }
            if test.count == 0 { throw fail("test") }
        case let .traces(train, test):
            if train.samples.isEmpty { throw fail("train (trace)") }
            if let test, test.samples.isEmpty { throw fail("test (trace)") }
        }
    }

    /// Refuses class labels the output layer cannot represent (label k is output neuron k):
    /// such samples could never be classified correctly. Regression datasets are not checked.
    public func checkLabels(outputNeurons: Int, file: String, path: String) throws {
        func fail(_ label: Int, _ split: String) -> ChipError {
            ChipError.config(file: file, path: path, message: "the \(split) split has label \(label), but the output layer has only \(outputNeurons) neurons (labels must be below \(outputNeurons))")
        }
        switch self {
        case let .images(train, test):
            for (d, split) in [(train, "train"), (test, "test")] where d.targets == nil {
                if let m = d.labels.max(), Int(m) >= outputNeurons { throw fail(Int(m), split) }
            }
        case let .traces(train, test):
            for (t, split) in [(train, "train"), (test ?? train, "test")] {
                if let m = t.samples.compactMap(\.label).max(), m >= outputNeurons { throw fail(m, split) }
            }
        }
    }
}
