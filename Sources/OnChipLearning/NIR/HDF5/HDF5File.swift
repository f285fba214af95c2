// Reading an HDF5 file: the subset NIR files use (groups and datasets, no attributes needed).
// A group's members come from a symbol table (version-1 B-tree of "SNOD" nodes and a local heap
// of names) or from link messages in its header (compact link storage); dense link storage (a
// fractal heap) is refused with an error that says so. Everything is read into memory at once;
// every failure is a ChipError.binary with the byte offset.

import Foundation

public struct HDF5File {
    let b: HDF5Bytes
    public let superblockVersion: Int
    let root: Int

    /// Datasets by path ("node/nodes/lif1/tau").
    public private(set) var datasets: [String: HDF5Dataset] = [:]
    /// Group paths ("" is the root).
    public private(set) var groups: [String] = []

    /// At most this many objects and this deep: a corrupt file could make groups contain
    /// themselves.
    static let maxObjects = 1 << 16, maxDepth = 64

    public init(bytes: [UInt8], file: String) throws {
        var b = HDF5Bytes(bytes, file: file)
        let sb = try HDF5Superblock.read(&b)
        self.b = b
        superblockVersion = sb.version
        root = sb.rootObjectHeader
        var heap = HDF5GlobalHeap()
        var visited = Set<Int>()
        try walk(at: root, path: "", depth: 0, visited: &visited, heap: &heap)
    }

    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw ChipError.io(path: path, message: "cannot read the file") }
        try self.init(bytes: [UInt8](data), file: path)
    }

    public func dataset(_ path: String) -> HDF5Dataset? { datasets[path] }

    private mutating func walk(at address: Int, path: String, depth: Int, visited: inout Set<Int>, heap: inout HDF5GlobalHeap) throws {
        guard depth <= Self.maxDepth else { throw b.fail(address, "groups nested deeper than \(Self.maxDepth) at \(path)") }
        guard visited.insert(address).inserted else {
            throw b.fail(address, "object at \(address) reached twice (\(path)): hard links and cycles are not supported")
        }
        guard visited.count <= Self.maxObjects else { throw b.fail(address, "more than \(Self.maxObjects) objects") }
        let header = try HDF5ObjectHeader.read(b, at: address)
        if header.first(HDF5MessageType.layout) != nil {
            datasets[path] = try HDF5Dataset.read(b, header: header, globalHeap: &heap)
            return
        }
        groups.append(path)
        for (name, child) in try members(header) {
            guard !name.isEmpty, !name.contains("/") else { throw b.fail(address, "link name \"\(name)\" in \(path) is empty or contains '/'") }
            try walk(at: child, path: path.isEmpty ? name : path + "/" + name, depth: depth + 1, visited: &visited, heap: &heap)
        }
    }

    /// Names and object header addresses of a group's hard links, sorted by name.
    private func members(_ h: HDF5ObjectHeader) throws -> [(String, Int)] {
        var out: [(String, Int)] = []
        if let st = h.first(HDF5MessageType.symbolTable) {
            guard st.size >= 2 * b.offsetSize else { throw b.fail(st.offset, "symbol table message too short") }
            let tree = try b.requiredAddress(st.offset, "group B-tree address")
            let heap = try HDF5LocalHeap.read(b, at: try b.requiredAddress(st.offset + b.offsetSize, "group local heap address"))
            for node in try HDF5BTree.groupLeaves(b, root: tree) {
                try b.signature(node, "SNOD")
                let version = try b.u8(node + 4, "symbol table node version")
                guard version == 1 else { throw b.fail(node + 4, "symbol table node version \(version) not supported (expected 1)") }
                let count = try b.u16(node + 6, "symbol table node entry count")
                let entrySize = 2 * b.offsetSize + 24
                try b.need(node + 8, count * entrySize, "symbol table entries")
                for i in 0 ..< count {
                    let e = node + 8 + i * entrySize
                    let nameOffset = Int(clamping: try b.unsigned(e, b.offsetSize, "link name offset"))
                    let name = try heap.string(b, offset: nameOffset)
                    out.append((name, try b.requiredAddress(e + b.offsetSize, "object header address of \"\(name)\"")))
                }
            }
        }
        if let info = h.first(HDF5MessageType.linkInfo) {
            let flags = try b.u8(info.offset + 1, "link info flags")
            let p = info.offset + 2 + (flags & 1 != 0 ? 8 : 0)
            guard p + b.offsetSize <= info.offset + info.size else { throw b.fail(p, "link info message too short") }
            if try b.address(p, "fractal heap address") != nil {
                throw b.fail(p, "dense link storage (fractal heap) not supported: the group has too many members for compact storage")
            }
        }
        for m in h.all(HDF5MessageType.link) { if let link = try link(m) { out.append(link) } }
        return out.sorted { $0.0 < $1.0 }
    }

    /// A link message; nil for soft and external links (NIR does not use them).
    private func link(_ m: HDF5Message) throws -> (String, Int)? {
        let end = m.offset + m.size
        let version = try b.u8(m.offset, "link message version")
        guard version == 1 else { throw b.fail(m.offset, "link message version \(version) not supported (expected 1)") }
        let flags = try b.u8(m.offset + 1, "link message flags")
        var p = m.offset + 2
        var type = 0
        if flags & 0x08 != 0 { type = try b.u8(p, "link type"); p += 1 }
        if flags & 0x04 != 0 { p += 8 }
        if flags & 0x10 != 0 { p += 1 }
        let lengthBytes = 1 << (flags & 3)
        let nameLength = Int(clamping: try b.unsigned(p, lengthBytes, "link name length"))
        p += lengthBytes
        guard nameLength <= end - p else { throw b.fail(p, "link name of \(nameLength) bytes runs past the message") }
        let name = String(decoding: try b.slice(p, nameLength, "link name"), as: UTF8.self)
        p += nameLength
        guard type == 0 else { return nil }
        guard p + b.offsetSize <= end else { throw b.fail(p, "hard link address runs past the message") }
        return (name, try b.requiredAddress(p, "object header address of \"\(name)\""))
    }
}
