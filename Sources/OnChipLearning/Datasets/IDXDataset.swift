// An image classification dataset from a pair of IDX files (images + labels), as MNIST ships.

public enum IDXDataset {
    /// Loads `images` (unsigned-byte IDX with dims (n, h, w), (n, h, w, c) or (n, features))
    /// and `labels` (unsigned-byte IDX with dims (n)). The counts must agree; `classes`
    /// defaults to max label + 1. Errors name the file and the byte offset of the bad field.
    public static func load(images: String, labels: String, name: String, classes: Int? = nil) throws -> ImageDataset {
        let img = try IDXReader.read(path: images)
        let lab = try IDXReader.read(path: labels)
        return try make(images: img, imagesFile: images, labels: lab, labelsFile: labels, name: name, classes: classes)
    }

    public static func make(images img: IDXArray, imagesFile: String, labels lab: IDXArray, labelsFile: String,
                            name: String, classes: Int? = nil) throws -> ImageDataset {
        guard img.type == .uint8 else {
            throw ChipError.binary(file: imagesFile, offset: 2, message: "images must be unsigned bytes (type 0x08), found \(img.type.name)")
        }
        guard lab.type == .uint8 else {
            throw ChipError.binary(file: labelsFile, offset: 2, message: "labels must be unsigned bytes (type 0x08), found \(lab.type.name)")
        }
        guard lab.dims.count == 1 else {
            throw ChipError.binary(file: labelsFile, offset: 3, message: "labels must have 1 dimension, found \(lab.dims.count) (dims \(lab.dims))")
        }
        let (h, w, c): (Int, Int, Int)
        switch img.dims.count {
        case 2: (h, w, c) = (1, img.dims[1], 1)
        case 3: (h, w, c) = (img.dims[1], img.dims[2], 1)
        case 4: (h, w, c) = (img.dims[1], img.dims[2], img.dims[3])
        default:
            throw ChipError.binary(file: imagesFile, offset: 3, message: "images must have 2 to 4 dimensions (count, [height,] width[, channels]), found \(img.dims.count)")
        }
        guard h > 0, w > 0, c > 0 else {
            throw ChipError.binary(file: imagesFile, offset: 8, message: "empty image shape \(Array(img.dims.dropFirst()))")
        }
        guard img.dims[0] > 0 else {
            throw ChipError.binary(file: imagesFile, offset: 4, message: "the IDX file holds 0 images; a dataset needs at least one sample")
        }
        guard img.dims[0] == lab.dims[0] else {
            throw ChipError.binary(file: labelsFile, offset: 4, message: "label count \(lab.dims[0]) does not match the image count \(img.dims[0]) of \(imagesFile)")
        }
        let maxLabel = Int(lab.data.max() ?? 0)
        let k = classes ?? maxLabel + 1
        if maxLabel >= k {
            let i = lab.data.firstIndex(where: { Int($0) >= k })!
            throw ChipError.binary(file: labelsFile, offset: 8 + i, message: "label \(lab.data[i]) of sample \(i) is not below the class count \(k)")
        }
        return try ImageDataset(name: name, width: w, height: h, channels: c, pixels: img.data, labels: lab.data, classes: k)
    }
}
