import Foundation
import ChipModel

/// Minimal dataset interface the float twin trains on (the lead adapts the real dataset type
/// to it). `x` holds `count * features` values in 0...1, row-major; `y` the class labels.
public struct FloatDataset: Sendable {
    public var features: Int
    public var classes: Int
    public var x: [Float]
    public var y: [UInt8]
    public var count: Int

    public init(features: Int, classes: Int, x: [Float], y: [UInt8]) {
        precondition(x.count == y.count * features, "x must hold count * features values")
        self.features = features; self.classes = classes; self.x = x; self.y = y; self.count = y.count
    }

    /// Rows [from, from + n) as a new dataset.
    public func slice(_ range: Range<Int>) -> FloatDataset {
        FloatDataset(features: features, classes: classes,
                     x: Array(x[(range.lowerBound * features)..<(range.upperBound * features)]),
                     y: Array(y[range]))
    }

    /// Synthetic Gaussian blobs (for tests and gradcheck): class k has a random centre in
    /// [0.2, 0.8]^features (stream weightInit, coordinate 0xB10B), samples are centre +
    /// spread * N(0, 1) clipped to [0, 1]; classes interleave (sample i has class i % classes).
    public static func gaussianBlobs(features: Int, classes: Int, count: Int, spread: Float = 0.1,
                                     seed: UInt64) -> FloatDataset {
        let ck = RandomKey(seed: seed, stream: .weightInit).with(0xB10B)
        let sk = RandomKey(seed: seed, stream: .datasetSplit)
        var x = [Float](repeating: 0, count: count * features)
        var y = [UInt8](repeating: 0, count: count)
        for i in 0..<count {
            let k = i % classes
            y[i] = UInt8(k)
            let key = sk.with(i)
            for f in 0..<features {
                let c = 0.2 + 0.6 * Float(ck.uniform(k * features + f))
                x[i * features + f] = min(1, max(0, c + spread * Float(key.gaussian(f))))
            }
        }
        return FloatDataset(features: features, classes: classes, x: x, y: y)
    }

    /// Development loader for the MNIST-5k CSV (784 pixel values 0..255 then the label per
    /// line; decompress the .gz once with `gunzip -c` first). Class-balanced split in file
    /// order: per class the first `trainPerClass` rows go to train, the next `testPerClass`
    /// to test. Samples keep file order within each split.
    public static func loadMNISTCSV(path: String, trainPerClass: Int = 400, testPerClass: Int = 100)
        throws -> (train: FloatDataset, test: FloatDataset) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ChipError.io(path: path, message: "cannot read (decompress mnist_5k.csv.gz with gunzip -c first)")
        }
        var trX: [Float] = [], trY: [UInt8] = [], teX: [Float] = [], teY: [UInt8] = []
        var seen = [Int](repeating: 0, count: 10)
        var row: [Float] = []; row.reserveCapacity(785)
        var value = 0, inNumber = false, line = 1
        func endRow() throws {
            guard !row.isEmpty else { return }
            guard row.count == 785 else {
                throw ChipError.syntax(file: path, line: line, column: 1, message: "expected 785 values (784 pixels + label), got \(row.count)")
            }
            let label = Int(row[784])
            guard (0..<10).contains(label) else { throw ChipError.syntax(file: path, line: line, column: 1, message: "label \(label) not in 0...9") }
            let pixels = row[0..<784].map { $0 / 255 }
            if seen[label] < trainPerClass { trX += pixels; trY.append(UInt8(label)) }
            else if seen[label] < trainPerClass + testPerClass { teX += pixels; teY.append(UInt8(label)) }
            seen[label] += 1
            row.removeAll(keepingCapacity: true)
        }
        for b in data {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = value * 10 + Int(b - 48); inNumber = true
            case UInt8(ascii: ","): row.append(Float(value)); value = 0; inNumber = false
            case UInt8(ascii: "\n"):
                if inNumber { row.append(Float(value)) }
                value = 0; inNumber = false
                try endRow(); line += 1
            case UInt8(ascii: "\r"), UInt8(ascii: " "): break
            default: throw ChipError.syntax(file: path, line: line, column: 1, message: "unexpected byte \(b)")
            }
        }
        if inNumber { row.append(Float(value)) }
        try endRow()
        return (FloatDataset(features: 784, classes: 10, x: trX, y: trY),
                FloatDataset(features: 784, classes: 10, x: teX, y: teY))
    }
}

extension FloatDataset {
    /// Features scaled to 0...1 (pixel / 255) from an image dataset.
    public init(_ d: ImageDataset) {
        self.init(features: d.featureCount, classes: d.classes, x: d.pixels.map { Float($0) / 255 }, y: d.labels)
    }
}
