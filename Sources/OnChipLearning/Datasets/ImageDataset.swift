// A static-sample classification dataset: `count` samples of `width x height x channels`
// features, each an unsigned byte 0...255 (pixels for images; quantised coordinates for
// Yin-Yang), plus one label per sample. All encoders take features in 0...255.

public struct ImageDataset: Sendable, Equatable {
    public var name: String
    public var width: Int
    public var height: Int
    /// Feature planes per pixel (1 for grey images).
    public var channels: Int
    public var count: Int
    /// Row-major features, sample after sample: `count * featureCount` bytes.
    public var pixels: [UInt8]
    public var labels: [UInt8]
    /// Number of classes; every label is in 0..<classes.
    public var classes: Int
    /// Unquantised feature values, same layout as `pixels`, when the source has them
    /// (Yin-Yang: x, y, 1-x, 1-y in [0, 1]); nil for byte images.
    public var realFeatures: [Double]?
    /// Regression targets, `targetDimension` per sample, sample after sample (nil: classification).
    public var targets: [Double]? = nil
    public var targetDimension: Int = 0

    /// Features per sample: width * height * channels.
    @inlinable public var featureCount: Int { width * height * channels }

    /// Why a dataset's arrays are inconsistent.
    public struct Invalid: Error, CustomStringConvertible { public let description: String }

    public init(name: String, width: Int, height: Int, channels: Int = 1, pixels: [UInt8], labels: [UInt8],
                classes: Int, realFeatures: [Double]? = nil) throws {
        let n = width * height * channels
        guard width > 0, height > 0, channels > 0 else { throw Invalid(description: "\(name): empty sample shape \(width)x\(height)x\(channels)") }
        guard pixels.count == labels.count * n else {
            throw Invalid(description: "\(name): \(pixels.count) feature bytes for \(labels.count) labels of \(n) features each")
        }
        if let r = realFeatures, r.count != pixels.count {
            throw Invalid(description: "\(name): \(r.count) real features for \(pixels.count) byte features")
        }
        if let bad = labels.firstIndex(where: { Int($0) >= classes }) {
            throw Invalid(description: "\(name): label \(labels[bad]) of sample \(bad) is not below the class count \(classes)")
        }
        self.name = name; self.width = width; self.height = height; self.channels = channels
        self.count = labels.count; self.pixels = pixels; self.labels = labels; self.classes = classes
        self.realFeatures = realFeatures
    }

    /// Features of sample i.
    @inlinable
    public func features(_ i: Int) -> ArraySlice<UInt8> {
        pixels[i * featureCount ..< (i + 1) * featureCount]
    }

    /// Features of sample i as an unsafe buffer (for hot encoders).
    @inlinable
    public func withFeatures<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let n = featureCount
        return try pixels.withUnsafeBufferPointer { all in
            try body(UnsafeBufferPointer(rebasing: all[i * n ..< (i + 1) * n]))
        }
    }

    /// Unquantised features of sample i (the byte features / 255 when there are none).
    public func realFeatures(_ i: Int) -> [Double] {
        let n = featureCount
        if let r = realFeatures { return Array(r[i * n ..< (i + 1) * n]) }
        return features(i).map { Double($0) / 255 }
    }

    /// Samples per class.
    public func classCounts() -> [Int] {
        var c = [Int](repeating: 0, count: classes)
        for l in labels { c[Int(l)] += 1 }
        return c
    }

    /// The samples at `indices`, in that order.
    public func subset(_ indices: [Int], name: String) -> ImageDataset {
        let n = featureCount
        var px: [UInt8] = []; px.reserveCapacity(indices.count * n)
        var rf: [Double]? = realFeatures == nil ? nil : []
        for i in indices {
            px.append(contentsOf: pixels[i * n ..< (i + 1) * n])
            if let r = realFeatures { rf!.append(contentsOf: r[i * n ..< (i + 1) * n]) }
        }
        // The arrays are consistent by construction, so this cannot throw.
        var d = try! ImageDataset(name: name, width: width, height: height, channels: channels, pixels: px,
                                  labels: indices.map { labels[$0] }, classes: classes, realFeatures: rf)
        if let t = targets {
            let m = targetDimension
            d.targets = indices.flatMap { t[$0 * m ..< ($0 + 1) * m] }
            d.targetDimension = m
        }
        return d
    }
}
