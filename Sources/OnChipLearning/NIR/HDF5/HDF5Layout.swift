// The data layout message (format specification IV.A.2.i): where a dataset's raw data lives.
// Compact (in the header), contiguous (one block) or chunked. Chunked data is indexed by a
// version-1 B-tree in layout versions 1-3; layout version 4 (written only with the newest file
// format) is read for its single-chunk and implicit indexes, and refused for the others.

enum HDF5Layout {
    case compact(offset: Int, size: Int)
    /// nil address: never written (the dataset reads as its fill value, zeros).
    case contiguous(address: Int?, size: Int)
    /// Chunk dimensions in elements (without the trailing element-size dimension).
    case chunked(btree: Int?, chunk: [Int])
    case singleChunk(address: Int?, chunk: [Int], filteredSize: Int?, filterMask: Int)
    case implicit(address: Int?, chunk: [Int])

    static func read(_ b: HDF5Bytes, _ m: HDF5Message, rank: Int) throws -> HDF5Layout {
        let end = m.offset + m.size
        let version = try b.u8(m.offset, "layout version")
        func within(_ p: Int, _ n: Int) throws {
            guard p + n <= end else { throw b.fail(p, "layout message truncated (\(m.size) bytes)") }
        }
        switch version {
        case 1, 2:
            let dimensionality = try b.u8(m.offset + 1, "layout dimensionality")
            let layoutClass = try b.u8(m.offset + 2, "layout class")
            var p = m.offset + 8
            var address: Int?
            if layoutClass != 0 { try within(p, b.offsetSize); address = try b.address(p, "raw data address"); p += b.offsetSize }
            try within(p, 4 * dimensionality)
            var dims: [Int] = []
            for i in 0 ..< dimensionality { dims.append(try b.u32(p + 4 * i, "layout dimension")) }
            p += 4 * dimensionality
            switch layoutClass {
            case 0:
                try within(p, 4)
                let size = try b.u32(p, "compact data size")
                try within(p + 4, size)
                return .compact(offset: p + 4, size: size)
            case 1: return .contiguous(address: address, size: -1)
            case 2:
                guard dimensionality == rank + 1 else { throw b.fail(m.offset + 1, "chunk dimensionality \(dimensionality) is not the dataset rank \(rank) + 1") }
                return .chunked(btree: address, chunk: Array(dims.dropLast()))
            default: throw b.fail(m.offset + 2, "layout class \(layoutClass) unknown")
            }
        case 3, 4:
            let layoutClass = try b.u8(m.offset + 1, "layout class")
            let p = m.offset + 2
            switch layoutClass {
            case 0:
                try within(p, 2)
                let size = try b.u16(p, "compact data size")
                try within(p + 2, size)
                return .compact(offset: p + 2, size: size)
            case 1:
                try within(p, b.offsetSize + b.lengthSize)
                return .contiguous(address: try b.address(p, "raw data address"),
                                   size: try b.length(p + b.offsetSize, "raw data size"))
            case 2 where version == 3:
                let dimensionality = try b.u8(p, "chunk dimensionality")
                guard dimensionality == rank + 1 else { throw b.fail(p, "chunk dimensionality \(dimensionality) is not the dataset rank \(rank) + 1") }
                try within(p + 1, b.offsetSize + 4 * dimensionality)
                let address = try b.address(p + 1, "chunk B-tree address")
                var dims: [Int] = []
                for i in 0 ..< dimensionality { dims.append(try b.u32(p + 1 + b.offsetSize + 4 * i, "chunk dimension")) }
                return .chunked(btree: address, chunk: Array(dims.dropLast()))
            case 2:
                try within(p, 3)
                let flags = try b.u8(p, "chunk flags")
                let dimensionality = try b.u8(p + 1, "chunk dimensionality")
                let encoded = try b.u8(p + 2, "chunk dimension size")
                guard dimensionality == rank + 1, (1 ... 8).contains(encoded) else {
                    throw b.fail(p + 1, "chunk dimensionality \(dimensionality) (expected \(rank + 1)) or dimension size \(encoded) bytes invalid")
                }
                var q = p + 3
                try within(q, encoded * dimensionality + 1)
                var dims: [Int] = []
                for _ in 0 ..< dimensionality {
                    let d = try b.unsigned(q, encoded, "chunk dimension")
                    guard d <= UInt64(Int32.max) else { throw b.fail(q, "chunk dimension \(d) too large") }
                    dims.append(Int(d)); q += encoded
                }
                let index = try b.u8(q, "chunk index type"); q += 1
                let chunk = Array(dims.dropLast())
                switch index {
                case 1:
                    var filteredSize: Int?, mask = 0
                    if flags & 2 != 0 {
                        try within(q, b.lengthSize + 4)
                        filteredSize = try b.length(q, "filtered chunk size"); mask = try b.u32(q + b.lengthSize, "filter mask")
                        q += b.lengthSize + 4
                    }
                    try within(q, b.offsetSize)
                    return .singleChunk(address: try b.address(q, "chunk address"), chunk: chunk, filteredSize: filteredSize, filterMask: mask)
                case 2:
                    try within(q, b.offsetSize)
                    return .implicit(address: try b.address(q, "chunk address"), chunk: chunk)
                default:
                    let names = [3: "fixed array", 4: "extensible array", 5: "version-2 B-tree"]
                    throw b.fail(q - 1, "chunk index type \(index) (\(names[index] ?? "unknown")) not supported (expected a version-1 B-tree, single chunk or implicit index; write the file with the default, earliest file format)")
                }
            default:
                throw b.fail(m.offset + 1, "layout class \(layoutClass) not supported (expected 0 compact, 1 contiguous or 2 chunked)")
            }
        default:
            throw b.fail(m.offset, "layout version \(version) not supported (expected 1 to 4; version 5 is the HDF5 2.0 format: write with libver up to v114)")
        }
    }
}
