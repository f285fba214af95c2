import Foundation

// The experiment config's "dataset" key, decoded strictly (unknown keys are errors naming
// their JSON path), and loading of what it names. Relative paths resolve against the
// directory of the config file (the caller passes it to `load(relativeTo:)`).

public enum DatasetSpec: Sendable, Equatable {
    /// The shipped MNIST subset; `dataDirectory` nil = found by `DatasetLocator`.
    case mnist5k(seed: UInt64, dataDirectory: String?)
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
      {"kind": "mnist5k", "seed": 0, "data": null}
          The shipped 5000 MNIST digits (data/mnist5k-*.idx), split class-balanced into
          4000 train (400/class) and 1000 test (100/class). "seed" (default 0) picks the
          split; "data" is the directory holding the files (default: found automatically).
      {"kind": "idx", "images": "train-images.idx", "labels": "train-labels.idx",
       "testImages": null, "testLabels": null, "testFraction": 0.2, "seed": 0}
          Unsigned-byte IDX files. Without a test pair, round(testFraction * class size)
          samples of each class go to test (deterministic by "seed").
      {"kind": "yinyang", "train": 5000, "test": 1000, "seed": 42}
          Yin-Yang (Kriener et al. 2022) generated from its definition; 4 features
          (x, y, 1-x, 1-y), 3 classes exactly balanced.
      {"kind": "sine", "train": 2000, "test": 500, "seed": 7, "periods": 1}
          Regression: x uniform in [0, 1], features (x, 1-x), target sin(2 pi periods x);
          the readout layer has 1 neuron, the loss unit computes the MSE error and the
          trainer reports the test MSE (docs/LEARNING.md, "Regression").
      {"kind": "trace", "path": "traces/x.aer", "testPath": null}
          Spikes already encoded, in chipsim's AER format (binary, or CSV if the name
          ends in .csv); the input encoder is then not used.
    Relative paths are relative to the config file's directory.
    """

    public init(json r: JSONReader) throws {
        let kind = try r.string("kind", oneOf: DatasetSpec.kinds)
        func seed(_ d: Int) throws -> UInt64 { UInt64(try r.int("seed", default: d, range: 0 ... Int(Int64.max))) }
        switch kind {
        case "mnist5k":
            self = .mnist5k(seed: try seed(0), dataDirectory: try r.optionalString("data"))
        case "idx":
            let images = try r.string("images"), labels = try r.string("labels")
            let ti = try r.optionalString("testImages"), tl = try r.optionalString("testLabels")
            if (ti == nil) != (tl == nil) {
                throw r.error(ti == nil ? "testLabels" : "testImages", "give both testImages and testLabels, or neither")
            }
            let f = try r.double("testFraction", default: 0.2, min: 0, max: 1)
            self = .idx(images: images, labels: labels, testImages: ti, testLabels: tl, testFraction: f, seed: try seed(0))
        case "yinyang":
            self = .yinyang(train: try r.int("train", default: 5000, range: 0 ... 10_000_000),
                            test: try r.int("test", default: 1000, range: 0 ... 10_000_000), seed: try seed(42))
        case "sine":
            self = .sine(train: try r.int("train", default: 2000, range: 0 ... 10_000_000),
                         test: try r.int("test", default: 500, range: 0 ... 10_000_000), seed: try seed(7),
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
        case let .mnist5k(seed, dir):
            return .object([("kind", .string("mnist5k")), ("seed", .uint(seed)), ("data", str(dir))])
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

    /// Loads the data; relative paths resolve against `base` (the config file's directory).
    public func load(relativeTo base: String = ".") throws -> LoadedDataset {
        func resolve(_ p: String) -> String { p.hasPrefix("/") ? p : base + "/" + p }
        switch self {
        case let .mnist5k(seed, dir):
            let d = try DatasetLocator.dataDirectory(containing: MNIST5k.imagesFile, explicit: dir.map(resolve))
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
}
