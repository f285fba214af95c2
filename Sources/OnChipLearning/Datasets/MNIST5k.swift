// The shipped MNIST subset: 5000 real 28x28 digits, 500 per class (see data/README.md),
// as data/mnist5k-images.idx + data/mnist5k-labels.idx. Split class-balanced and
// deterministically into 4000 train (400 per class) and 1000 test (100 per class).

public enum MNIST5k {
    public static let imagesFile = "mnist5k-images.idx"
    public static let labelsFile = "mnist5k-labels.idx"
    public static let total = 5000
    public static let perClass = 500
    public static let testPerClass = 100

    /// All 5000 images in file order (sorted by class), checked for shape and balance.
    public static func loadAll(dataDirectory dir: String) throws -> ImageDataset {
        let images = dir + "/" + imagesFile, labels = dir + "/" + labelsFile
        let d = try IDXDataset.load(images: images, labels: labels, name: "mnist5k", classes: 10)
        guard d.width == 28, d.height == 28, d.channels == 1 else {
            throw ChipError.binary(file: images, offset: 8, message: "expected 28x28 images, found \(d.width)x\(d.height)x\(d.channels)")
        }
        guard d.count == total else {
            throw ChipError.binary(file: images, offset: 4, message: "expected \(total) images, found \(d.count)")
        }
        let counts = d.classCounts()
        if let c = counts.firstIndex(where: { $0 != perClass }) {
            throw ChipError.binary(file: labels, offset: 8, message: "expected \(perClass) samples of each class, class \(c) has \(counts[c])")
        }
        return d
    }

    /// Train (4000, 400 per class) and test (1000, 100 per class), disjoint, by
    /// `BalancedSplit` with `seed` (default 0). Same seed, same split, on any machine.
    public static func load(dataDirectory dir: String, seed: UInt64 = 0) throws -> (train: ImageDataset, test: ImageDataset) {
        let all = try loadAll(dataDirectory: dir)
        let (train, test) = BalancedSplit.split(all, testPerClass: testPerClass, seed: seed)
        return (train, test)
    }

    /// SHA-256 (hex) of the images file followed by the labels file in `dir`, as
    /// `cat mnist5k-images.idx mnist5k-labels.idx | sha256sum` prints it.
    public static func sha256(dataDirectory dir: String) throws -> String {
        var h = SHA256()
        h.update(try ByteReader.contents(of: dir + "/" + imagesFile))
        h.update(try ByteReader.contents(of: dir + "/" + labelsFile))
        return SHA256.hex(h.finish())
    }

    static func checksumError(directory: String, expected: String, found: String) -> ChipError {
        ChipError.io(path: directory + "/" + imagesFile, message: "SHA-256 of the mnist5k files is \(found), but the config's sha256 is \(expected): a different data directory or changed files")
    }

    /// Same, locating `data/` with `DatasetLocator`.
    public static func load(seed: UInt64 = 0) throws -> (train: ImageDataset, test: ImageDataset) {
        try load(dataDirectory: DatasetLocator.dataDirectory(containing: imagesFile), seed: seed)
    }
}
