// Writing the HDF5 subset NIR needs, in the library's original ("earliest") file format so
// every HDF5 reader accepts it: superblock version 0 with 8-byte addresses and lengths, version-1
// object headers, groups as symbol tables (a one-node version-1 B-tree, one "SNOD" node and a
// local heap of names) and contiguous datasets of float32, float64, int64 or fixed-length
// (null-padded UTF-8) strings. Structures are laid out in one pass, children before parents, so
// every address is known when it is written; only the superblock is patched at the end.

public indirect enum HDF5Node: Sendable {
    case group([String: HDF5Node])
    case dataset(shape: [Int], values: HDF5WriteValues)
}

public enum HDF5WriteValues: Sendable {
    case float32([Float])
    case float64([Double])
    case int64([Int64])
    /// Stored as fixed-length strings as long as the longest (at least 1 byte).
    case strings([String])

    var count: Int {
        switch self {
        case let .float32(v): return v.count
        case let .float64(v): return v.count
        case let .int64(v): return v.count
        case let .strings(v): return v.count
        }
    }
}

public enum HDF5Writer {
    /// Group internal node K (the superblock default): a B-tree node holds up to 2K children.
    static let internalK = 16

    /// The bytes of a file whose root group holds `root`. Dataset shapes must match their
    /// value counts (a scalar has shape []); names must be non-empty and contain no '/'.
    public static func write(_ root: [String: HDF5Node]) throws -> [UInt8] {
        var w = Writer()
        w.leafK = max(4, (maxMembers(.group(root)) + 1) / 2)
        w.out = [UInt8](repeating: 0, count: 96)  // superblock, patched below
        let r = try w.object(.group(root), path: "")
        let s = HDF5Superblock.signature + [0, 0, 0, 0, 0, 8, 8, 0]
        w.out.replaceSubrange(0 ..< 8 + 8, with: s)
        w.patch(16, UInt64(w.leafK), 2); w.patch(18, UInt64(internalK), 2)
        w.patch(24, 0, 8)                      // base address
        w.patch(32, UInt64.max, 8)             // no free-space info
        w.patch(40, UInt64(w.out.count), 8)    // end-of-file address
        w.patch(48, UInt64.max, 8)             // no driver info
        w.patch(56, 0, 8); w.patch(64, UInt64(r.header), 8)
        w.patch(72, 1, 4); w.patch(80, UInt64(r.btree ?? 0), 8); w.patch(88, UInt64(r.heap ?? 0), 8)
        return w.out
    }

    static func maxMembers(_ n: HDF5Node) -> Int {
        guard case let .group(children) = n else { return 0 }
        return children.values.reduce(children.count) { max($0, maxMembers($1)) }
    }

    private struct Written { var header: Int; var btree: Int?; var heap: Int? }

    private struct Writer {
        var out: [UInt8] = []
        var leafK = 4

        mutating func append(_ v: UInt64, _ n: Int) { for i in 0 ..< n { out.append(UInt8(truncatingIfNeeded: v >> UInt64(8 * i))) } }
        mutating func patch(_ at: Int, _ v: UInt64, _ n: Int) { for i in 0 ..< n { out[at + i] = UInt8(truncatingIfNeeded: v >> UInt64(8 * i)) } }
        mutating func align() { while out.count % 8 != 0 { out.append(0) } }
        mutating func zeros(_ n: Int) { out.append(contentsOf: repeatElement(0, count: n)) }

        mutating func object(_ node: HDF5Node, path: String) throws -> Written {
            switch node {
            case let .dataset(shape, values): return Written(header: try dataset(shape, values, path: path), btree: nil, heap: nil)
            case let .group(children): return try group(children, path: path)
            }
        }

        mutating func group(_ children: [String: HDF5Node], path: String) throws -> Written {
            let names = children.keys.sorted { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
            var members: [(String, Written)] = []
            for name in names {
                guard !name.isEmpty, !name.contains("/"), !name.utf8.contains(0) else {
                    throw ChipError.config(file: "HDF5 writer", path: path + "/" + name, message: "member names must be non-empty and contain no '/' or NUL")
                }
                members.append((name, try object(children[name]!, path: path + "/" + name)))
            }
            // Local heap: "" at 0, then each name zero-terminated and padded to 8 bytes, then one
            // free block (next = 1, meaning none; its size), as the HDF5 library lays it out.
            var heapData = [UInt8](repeating: 0, count: 8)
            var nameOffsets: [Int] = []
            for (name, _) in members {
                nameOffsets.append(heapData.count)
                heapData.append(contentsOf: name.utf8); heapData.append(0)
                while heapData.count % 8 != 0 { heapData.append(0) }
            }
            let freeOffset = heapData.count
            let freeSize = 16
            heapData.append(contentsOf: [1, 0, 0, 0, 0, 0, 0, 0, UInt8(freeSize), 0, 0, 0, 0, 0, 0, 0])
            align()
            let heap = out.count
            out.append(contentsOf: Array("HEAP".utf8)); append(0, 4)
            append(UInt64(heapData.count), 8); append(UInt64(freeOffset), 8); append(UInt64(heap + 32), 8)
            out.append(contentsOf: heapData)
            // Symbol table node with room for 2 * leafK entries (readers read the full node).
            align()
            let snod = out.count
            out.append(contentsOf: Array("SNOD".utf8)); append(1, 1); append(0, 1); append(UInt64(members.count), 2)
            for (i, (_, m)) in members.enumerated() {
                append(UInt64(nameOffsets[i]), 8); append(UInt64(m.header), 8)
                if let bt = m.btree, let hp = m.heap {
                    append(1, 4); append(0, 4); append(UInt64(bt), 8); append(UInt64(hp), 8)
                } else {
                    append(0, 4); append(0, 4); zeros(16)
                }
            }
            zeros((2 * leafK - members.count) * 40)
            // B-tree: one leaf-level node with one child, the symbol table node; keys are heap
            // offsets of the names bounding it ("" and the last name).
            align()
            let btree = out.count
            out.append(contentsOf: Array("TREE".utf8)); append(0, 1); append(0, 1); append(1, 2)
            append(UInt64.max, 8); append(UInt64.max, 8)
            append(0, 8); append(UInt64(snod), 8); append(UInt64(nameOffsets.last ?? 0), 8)
            zeros((2 * HDF5Writer.internalK - 1) * 16)
            // Object header with one message: the symbol table (B-tree and heap addresses).
            align()
            let header = out.count
            var body: [UInt8] = []
            for v in [UInt64(btree), UInt64(heap)] { for i in 0 ..< 8 { body.append(UInt8(truncatingIfNeeded: v >> UInt64(8 * i))) } }
            objectHeader([(HDF5MessageType.symbolTable, 0, body)])
            return Written(header: header, btree: btree, heap: heap)
        }

        mutating func dataset(_ shape: [Int], _ values: HDF5WriteValues, path: String) throws -> Int {
            guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == values.count else {
                throw ChipError.config(file: "HDF5 writer", path: path, message: "shape \(shape) does not match \(values.count) values")
            }
            var raw: [UInt8] = []
            var type: [UInt8]
            func le(_ v: UInt64, _ n: Int, into a: inout [UInt8]) { for i in 0 ..< n { a.append(UInt8(truncatingIfNeeded: v >> UInt64(8 * i))) } }
            switch values {
            case let .float32(v):
                for x in v { le(UInt64(x.bitPattern), 4, into: &raw) }
                type = [0x11, 0x20, 31, 0]; le(4, 4, into: &type)
                le(0, 2, into: &type); le(32, 2, into: &type); type += [23, 8, 0, 23]; le(127, 4, into: &type)
            case let .float64(v):
                for x in v { le(x.bitPattern, 8, into: &raw) }
                type = [0x11, 0x20, 63, 0]; le(8, 4, into: &type)
                le(0, 2, into: &type); le(64, 2, into: &type); type += [52, 11, 0, 52]; le(1023, 4, into: &type)
            case let .int64(v):
                for x in v { le(UInt64(bitPattern: x), 8, into: &raw) }
                type = [0x10, 0x08, 0, 0]; le(8, 4, into: &type)
                le(0, 2, into: &type); le(64, 2, into: &type)
            case let .strings(v):
                let size = max(1, v.map { $0.utf8.count }.max() ?? 1)
                for s in v {
                    guard !s.utf8.contains(0) else { throw ChipError.config(file: "HDF5 writer", path: path, message: "strings must not contain NUL") }
                    raw += Array(s.utf8); raw += [UInt8](repeating: 0, count: size - s.utf8.count)
                }
                type = [0x13, 0x01 | 0x10, 0, 0]; le(UInt64(size), 4, into: &type)  // null-padded UTF-8
            }
            align()
            let data = raw.isEmpty ? nil : out.count
            out.append(contentsOf: raw)
            align()
            let header = out.count
            var space: [UInt8] = [1, UInt8(shape.count), 0, 0, 0, 0, 0, 0]
            for d in shape { le(UInt64(d), 8, into: &space) }
            let fill: [UInt8] = [2, 2, 2, 0]  // version 2: allocate late, write fill if set, no fill value defined
            var layout: [UInt8] = [3, 1]
            le(data.map { UInt64($0) } ?? UInt64.max, 8, into: &layout); le(UInt64(raw.count), 8, into: &layout)
            objectHeader([(HDF5MessageType.dataspace, 0, space), (HDF5MessageType.datatype, 1, type),
                          (HDF5MessageType.fillValue, 1, fill), (HDF5MessageType.layout, 0, layout)])
            return header
        }

        /// A version-1 object header: 16-byte prefix, then messages padded to 8 bytes each.
        mutating func objectHeader(_ messages: [(Int, Int, [UInt8])]) {
            let padded = messages.map { ($0.0, $0.1, $0.2 + [UInt8](repeating: 0, count: (8 - $0.2.count % 8) % 8)) }
            append(1, 1); append(0, 1); append(UInt64(padded.count), 2); append(1, 4)
            append(UInt64(padded.reduce(0) { $0 + 8 + $1.2.count }), 4); append(0, 4)
            for (type, flags, body) in padded {
                append(UInt64(type), 2); append(UInt64(body.count), 2); append(UInt64(flags), 1); append(0, 3)
                out.append(contentsOf: body)
            }
        }
    }
}
