// The two heaps NIR files use: the local heap ("HEAP", format specification III.D) holding the
// link names of a symbol-table group, and global heap collections ("GCOL", III.E) holding the
// bytes of variable-length strings.

struct HDF5LocalHeap {
    var dataStart: Int
    var dataSize: Int

    static func read(_ b: HDF5Bytes, at: Int) throws -> HDF5LocalHeap {
        try b.signature(at, "HEAP")
        let version = try b.u8(at + 4, "local heap version")
        guard version == 0 else { throw b.fail(at + 4, "local heap version \(version) not supported (expected 0)") }
        let size = try b.length(at + 8, "local heap data size")
        let data = try b.requiredAddress(at + 8 + 2 * b.lengthSize, "local heap data address")
        try b.need(data, size, "local heap data segment")
        return HDF5LocalHeap(dataStart: data, dataSize: size)
    }

    func string(_ b: HDF5Bytes, offset: Int) throws -> String {
        guard offset >= 0, offset < dataSize else {
            throw b.fail(dataStart, "link name offset \(offset) outside the local heap (\(dataSize) bytes)")
        }
        return try b.cString(dataStart + offset, end: dataStart + dataSize, "link name in the local heap")
    }
}

/// Global heap collections, parsed once each and kept by address.
struct HDF5GlobalHeap {
    private var collections: [Int: [Int: (Int, Int)]] = [:]  // address -> index -> (offset, size)

    mutating func object(_ b: HDF5Bytes, collection: Int, index: Int) throws -> ArraySlice<UInt8> {
        if collections[collection] == nil { collections[collection] = try Self.parse(b, at: collection) }
        guard let (offset, size) = collections[collection]?[index] else {
            throw b.fail(collection, "global heap object \(index) not found in the collection at \(collection)")
        }
        return try b.slice(offset, size, "global heap object")
    }

    private static func parse(_ b: HDF5Bytes, at: Int) throws -> [Int: (Int, Int)] {
        try b.signature(at, "GCOL")
        let version = try b.u8(at + 4, "global heap version")
        guard version == 1 else { throw b.fail(at + 4, "global heap version \(version) not supported (expected 1)") }
        let size = try b.length(at + 8, "global heap collection size")
        try b.need(at, size, "global heap collection")
        let end = at + size
        var p = at + 8 + b.lengthSize
        var objects: [Int: (Int, Int)] = [:]
        while p + 8 + b.lengthSize <= end {
            let index = try b.u16(p, "global heap object index")
            if index == 0 { break }  // free space runs to the end of the collection
            let objectSize = try b.length(p + 8, "global heap object size")
            let data = p + 8 + b.lengthSize
            guard objectSize <= end - data else { throw b.fail(p + 8, "global heap object of \(objectSize) bytes runs past its collection") }
            objects[index] = (data, objectSize)
            p = data + (objectSize + 7) / 8 * 8
        }
        return objects
    }
}
