// One dataset: shape, element type, storage and its values decoded into Swift arrays.
// Raw data is assembled from compact, contiguous or chunked storage (chunks are copied into
// place, clipped at the dataset's edges) and then decoded element by element.

public enum HDF5Values: Equatable, Sendable {
    /// float32 and float64 elements (float32 converted exactly).
    case floats([Double])
    /// Integer and bool elements (bool as 0 / 1; unsigned 64-bit values keep their bit pattern).
    case integers([Int64])
    case strings([String])
}

public struct HDF5Dataset: Equatable, Sendable {
    public var shape: [Int]
    /// numpy-style type name: float32, float64, int64, int32, ..., bool, string.
    public var dtype: String
    /// contiguous, compact, chunked or chunked+gzip (as h5py describes it).
    public var storage: String
    public var values: HDF5Values

    public var count: Int { shape.reduce(1, *) }

    /// Numbers as Double (strings give an empty array).
    public var doubles: [Double] {
        switch values {
        case let .floats(v): return v
        case let .integers(v): return v.map(Double.init)
        case .strings: return []
        }
    }

    public var strings: [String] {
        if case let .strings(s) = values { return s }
        return []
    }
}

extension HDF5Dataset {
    /// Largest decoded dataset accepted, relative to the file size: deflate cannot expand data
    /// more than 1032 : 1, so anything larger is a corrupt shape, not a real dataset.
    static let maxExpansion = 1032

    static func read(_ b: HDF5Bytes, header h: HDF5ObjectHeader, globalHeap: inout HDF5GlobalHeap) throws -> HDF5Dataset {
        for m in h.messages where m.flags & 0x02 != 0 && [HDF5MessageType.datatype, HDF5MessageType.dataspace, HDF5MessageType.layout].contains(m.type) {
            throw b.fail(m.offset, "shared (committed) message of type \(m.type) not supported")
        }
        guard let spaceMessage = h.first(HDF5MessageType.dataspace) else { throw b.fail(h.address, "dataset object header has no dataspace message") }
        guard let typeMessage = h.first(HDF5MessageType.datatype) else { throw b.fail(h.address, "dataset object header has no datatype message") }
        guard let layoutMessage = h.first(HDF5MessageType.layout) else { throw b.fail(h.address, "dataset object header has no layout message") }
        let space = try HDF5Dataspace.read(b, spaceMessage)
        let (type, _) = try HDF5Datatype.read(b, at: typeMessage.offset, limit: typeMessage.offset + typeMessage.size)
        let layout = try HDF5Layout.read(b, layoutMessage, rank: space.dims.count)
        let filters = try h.first(HDF5MessageType.filterPipeline).map { try HDF5Filters.read(b, $0) } ?? []
        let elementSize = type.size(b)
        let (total, overflow) = space.count.multipliedReportingOverflow(by: elementSize)
        guard !overflow, total <= b.count * maxExpansion else {
            throw b.fail(spaceMessage.offset, "dataset of shape \(space.dims) x \(elementSize) bytes is larger than the file could hold")
        }
        var storage = "contiguous"
        let raw: [UInt8]
        switch layout {
        case let .compact(offset, size):
            guard size >= total else { throw b.fail(offset, "compact data of \(size) bytes, expected \(total)") }
            raw = Array(try b.slice(offset, total, "compact data"))
        case let .contiguous(address, size):
            if size >= 0 && size < total { throw b.fail(layoutMessage.offset, "contiguous data of \(size) bytes, expected \(total)") }
            if let a = address { raw = Array(try b.slice(a, total, "contiguous raw data")) }
            else { raw = [UInt8](repeating: 0, count: total) }
        case let .chunked(btree, chunk):
            storage = filters.contains { $0.id == 1 } ? "chunked+gzip" : "chunked"
            let records = try btree.map { try HDF5BTree.chunks(b, root: $0, rank: space.dims.count) } ?? []
            raw = try assemble(b, records, chunk: chunk, dims: space.dims, elementSize: elementSize, filters: filters, total: total)
        case let .singleChunk(address, chunk, filteredSize, mask):
            storage = filters.contains { $0.id == 1 } ? "chunked+gzip" : "chunked"
            guard let chunkBytes = checkedProduct(chunk, elementSize) else { throw b.fail(layoutMessage.offset, "chunk shape \(chunk) too large") }
            let size = filteredSize ?? chunkBytes
            let records = address.map { [HDF5ChunkRecord(size: size, filterMask: mask, offsets: chunk.map { _ in 0 }, address: $0)] } ?? []
            raw = try assemble(b, records, chunk: chunk, dims: space.dims, elementSize: elementSize, filters: filters, total: total)
        case let .implicit(address, chunk):
            storage = "chunked"
            var records: [HDF5ChunkRecord] = []
            if let a = address {
                guard let chunkBytes = checkedProduct(chunk, elementSize) else { throw b.fail(layoutMessage.offset, "chunk shape \(chunk) too large") }
                let grid = zip(space.dims, chunk).map { d, c in c == 0 ? 0 : (d + c - 1) / c }
                var index = [Int](repeating: 0, count: grid.count)
                for n in 0 ..< grid.reduce(1, *) {
                    records.append(HDF5ChunkRecord(size: chunkBytes, filterMask: 0, offsets: zip(index, chunk).map { $0 * $1 }, address: a + n * chunkBytes))
                    var d = grid.count - 1
                    while d >= 0 { index[d] += 1; if index[d] < grid[d] { break }; index[d] = 0; d -= 1 }
                }
            }
            raw = try assemble(b, records, chunk: chunk, dims: space.dims, elementSize: elementSize, filters: [], total: total)
        }
        let values = try decode(b, raw, type: type, count: space.count, at: typeMessage.offset, globalHeap: &globalHeap)
        return HDF5Dataset(shape: space.dims, dtype: type.name, storage: storage, values: values)
    }

    /// The product of the dimensions and the element size; nil on overflow.
    static func checkedProduct(_ dims: [Int], _ elementSize: Int) -> Int? {
        var p = elementSize
        for d in dims {
            let (q, o) = p.multipliedReportingOverflow(by: d)
            if o || q > Int(Int32.max) * 8 { return nil }
            p = q
        }
        return p
    }

    /// Copies every chunk into a row-major buffer of the whole dataset.
    private static func assemble(_ b: HDF5Bytes, _ records: [HDF5ChunkRecord], chunk: [Int], dims: [Int],
                                 elementSize: Int, filters: [HDF5Filter], total: Int) throws -> [UInt8] {
        guard chunk.count == dims.count, chunk.allSatisfy({ $0 > 0 }) else {
            throw b.fail(0, "chunk shape \(chunk) does not fit the dataset shape \(dims)")
        }
        guard let chunkBytes = checkedProduct(chunk, elementSize), chunkBytes <= b.count * maxExpansion else {
            throw b.fail(0, "chunk shape \(chunk) too large")
        }
        var out = [UInt8](repeating: 0, count: total)
        let rank = dims.count
        for r in records {
            let stored = try b.slice(r.address, r.size, "chunk data")
            let data = try HDF5Filters.decode(stored, filters: filters, mask: r.filterMask, expected: chunkBytes, b: b, at: r.address)
            guard data.count >= chunkBytes else {
                throw b.fail(r.address, "chunk decodes to \(data.count) bytes, expected \(chunkBytes)")
            }
            guard zip(r.offsets, chunk).allSatisfy({ $0 % $1 == 0 }), zip(r.offsets, dims).allSatisfy({ $0 < $1 || $1 == 0 }) else {
                throw b.fail(r.address, "chunk offset \(r.offsets) is not on the chunk grid \(chunk) inside \(dims)")
            }
            if rank == 0 { out.replaceSubrange(0 ..< min(total, chunkBytes), with: data[0 ..< min(total, chunkBytes)]); continue }
            // Copy row by row along the last dimension.
            let rowLength = min(chunk[rank - 1], dims[rank - 1] - r.offsets[rank - 1]) * elementSize
            var index = [Int](repeating: 0, count: rank - 1)
            outer: while true {
                var source = 0, target = 0
                var inside = true
                for d in 0 ..< rank {
                    let i = d < rank - 1 ? index[d] : 0
                    if r.offsets[d] + i >= dims[d] { inside = false }
                    source = source * chunk[d] + i
                    target = target * dims[d] + r.offsets[d] + i
                }
                if inside && rowLength > 0 {
                    out.replaceSubrange(target * elementSize ..< target * elementSize + rowLength,
                                        with: data[source * elementSize ..< source * elementSize + rowLength])
                }
                var d = rank - 2
                while d >= 0 { index[d] += 1; if index[d] < chunk[d] { break }; index[d] = 0; d -= 1 }
                if d < 0 { break outer }
            }
        }
        return out
    }

    private static func decode(_ b: HDF5Bytes, _ raw: [UInt8], type: HDF5Datatype, count: Int, at: Int,
                               globalHeap: inout HDF5GlobalHeap) throws -> HDF5Values {
        switch type {
        case let .float(size, bigEndian):
            return .floats((0 ..< count).map { i in
                let bits = UInt64(bitPattern: HDF5Decode.integer(raw, i * size, size: size, signed: false, bigEndian: bigEndian))
                return size == 4 ? Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits))) : Double(bitPattern: bits)
            })
        case let .integer(size, signed, bigEndian), let .enumeration(.integer(size, signed, bigEndian), _, _):
            return .integers((0 ..< count).map { HDF5Decode.integer(raw, $0 * size, size: size, signed: signed, bigEndian: bigEndian) })
        case .enumeration:
            throw b.fail(at, "enumeration over a non-integer type")
        case let .fixedString(size):
            return .strings((0 ..< count).map { i in
                var s = raw[i * size ..< (i + 1) * size]
                if let z = s.firstIndex(of: 0) { s = s[s.startIndex ..< z] }
                while let last = s.last, last == 0x20 { s = s.dropLast() }  // space-padded strings
                return String(decoding: s, as: UTF8.self)
            })
        case .variableString:
            let o = b.offsetSize
            var strings: [String] = []
            strings.reserveCapacity(count)
            for i in 0 ..< count {
                let p = i * (8 + o)
                let length = Int(HDF5Decode.integer(raw, p, size: 4, signed: false, bigEndian: false))
                let collection = Int(HDF5Decode.integer(raw, p + 4, size: o, signed: false, bigEndian: false))
                let index = Int(HDF5Decode.integer(raw, p + 4 + o, size: 4, signed: false, bigEndian: false))
                if length == 0 && collection == 0 { strings.append(""); continue }
                guard collection > 0, collection < b.count else {
                    throw b.fail(at, "variable-length string \(i) points to global heap collection \(collection), outside the file")
                }
                let bytes = try globalHeap.object(b, collection: collection, index: index)
                guard length <= bytes.count else { throw b.fail(collection, "variable-length string \(i) of \(length) bytes is longer than its heap object (\(bytes.count))") }
                var s = bytes.prefix(length)
                if let z = s.firstIndex(of: 0) { s = s[s.startIndex ..< z] }
                strings.append(String(decoding: s, as: UTF8.self))
            }
            return .strings(strings)
        }
    }
}
