// Version-1 B-trees (format specification III.A.1): "TREE" nodes of type 0 index a group's
// symbol table nodes ("SNOD"); nodes of type 1 index a dataset's chunks. Only the leaves are
// needed (every child of a leaf is returned in key order), so the walk is a depth-first visit
// with a bound on the nodes visited (a corrupt file could point a node at itself).

struct HDF5ChunkRecord {
    /// Stored (filtered) size in bytes, filter mask, offset of the chunk in elements per dimension.
    var size: Int
    var filterMask: Int
    var offsets: [Int]
    var address: Int
}

enum HDF5BTree {
    static let maxNodes = 1 << 16

    /// Leaf children of a group B-tree: addresses of symbol table nodes.
    static func groupLeaves(_ b: HDF5Bytes, root: Int) throws -> [Int] {
        var out: [Int] = []
        var visited = Set<Int>()
        try walk(b, at: root, type: 0, level: nil, keySize: b.lengthSize, visited: &visited) { _, child in out.append(child) }
        return out
    }

    /// Every chunk of a chunked dataset of rank `rank`.
    static func chunks(_ b: HDF5Bytes, root: Int, rank: Int) throws -> [HDF5ChunkRecord] {
        var out: [HDF5ChunkRecord] = []
        var visited = Set<Int>()
        let keySize = 8 + 8 * (rank + 1)
        try walk(b, at: root, type: 1, level: nil, keySize: keySize, visited: &visited) { key, child in
            let size = try b.u32(key, "chunk size"), mask = try b.u32(key + 4, "chunk filter mask")
            var offsets: [Int] = []
            for d in 0 ..< rank {
                let o = try b.unsigned(key + 8 + 8 * d, 8, "chunk offset")
                guard o <= UInt64(Int32.max) else { throw b.fail(key + 8 + 8 * d, "chunk offset \(o) too large") }
                offsets.append(Int(o))
            }
            out.append(HDF5ChunkRecord(size: size, filterMask: mask, offsets: offsets, address: child))
        }
        return out
    }

    private static func walk(_ b: HDF5Bytes, at: Int, type: Int, level expectedLevel: Int?, keySize: Int,
                             visited: inout Set<Int>, leaf: (Int, Int) throws -> Void) throws {
        guard visited.insert(at).inserted, visited.count <= maxNodes else {
            throw b.fail(at, "B-tree node visited twice or more than \(maxNodes) nodes (a cycle in a corrupt file)")
        }
        try b.signature(at, "TREE")
        let nodeType = try b.u8(at + 4, "B-tree node type")
        guard nodeType == type else { throw b.fail(at + 4, "B-tree node type \(nodeType), expected \(type) (\(type == 0 ? "group" : "chunk") index)") }
        let level = try b.u8(at + 5, "B-tree node level")
        if let e = expectedLevel, level != e { throw b.fail(at + 5, "B-tree node level \(level), expected \(e) below its parent") }
        let entries = try b.u16(at + 6, "B-tree entries used")
        var p = at + 8 + 2 * b.offsetSize  // after left and right sibling addresses
        try b.need(p, entries * (keySize + b.offsetSize) + keySize, "B-tree node keys and children")
        for _ in 0 ..< entries {
            let child = try b.requiredAddress(p + keySize, "B-tree child address")
            if level == 0 {
                try leaf(p, child)
            } else {
                try walk(b, at: child, type: type, level: level - 1, keySize: keySize, visited: &visited, leaf: leaf)
            }
            p += keySize + b.offsetSize
        }
    }
}
