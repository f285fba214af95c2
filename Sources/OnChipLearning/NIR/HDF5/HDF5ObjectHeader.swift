// Object headers (format specification IV.A): the list of messages that describe one group or
// dataset. Version 1 (8-byte aligned messages after a 16-byte prefix) and version 2 ("OHDR",
// checksummed), each with continuation blocks (message 0x10; "OCHK" blocks in version 2).

struct HDF5Message {
    var type: Int
    /// Absolute offset of the message body and its size.
    var offset: Int
    var size: Int
    var flags: Int
}

enum HDF5MessageType {
    static let nilMessage = 0x0, dataspace = 0x1, linkInfo = 0x2, datatype = 0x3, fillValueOld = 0x4
    static let fillValue = 0x5, link = 0x6, layout = 0x8, groupInfo = 0xA, filterPipeline = 0xB
    static let attribute = 0xC, continuation = 0x10, symbolTable = 0x11, modificationTime = 0x12
}

struct HDF5ObjectHeader {
    var address: Int
    var messages: [HDF5Message] = []

    func first(_ type: Int) -> HDF5Message? { messages.first { $0.type == type } }
    func all(_ type: Int) -> [HDF5Message] { messages.filter { $0.type == type } }

    /// At most this many continuation blocks: a corrupt file could chain them in a cycle.
    static let maxBlocks = 4096

    static func read(_ b: HDF5Bytes, at address: Int) throws -> HDF5ObjectHeader {
        var header = HDF5ObjectHeader(address: address)
        try b.need(address, 4, "object header")
        if b.bytes[address ..< address + 4].elementsEqual("OHDR".utf8) {
            try header.readV2(b)
        } else {
            try header.readV1(b)
        }
        return header
    }

    private mutating func readV1(_ b: HDF5Bytes) throws {
        let version = try b.u8(address, "object header version")
        guard version == 1 else {
            throw b.fail(address, "object header version \(version) not supported (expected 1, or the \"OHDR\" signature of version 2)")
        }
        let count = try b.u16(address + 2, "object header message count")
        let size = try b.u32(address + 8, "object header size")
        var blocks = [(address + 16, size)]
        var visited = Set<Int>()
        var index = 0
        while index < blocks.count {
            let (start, length) = blocks[index]; index += 1
            guard visited.insert(start).inserted, visited.count <= Self.maxBlocks else {
                throw b.fail(start, "object header continuation blocks form a cycle or exceed \(Self.maxBlocks)")
            }
            try b.need(start, length, "object header message block")
            var p = start
            while p + 8 <= start + length {
                guard messages.count < count else { break }
                let type = try b.u16(p, "message type"), size = try b.u16(p + 2, "message size")
                let flags = try b.u8(p + 4, "message flags")
                guard p + 8 + size <= start + length else {
                    throw b.fail(p + 2, "message of type \(type) with size \(size) runs past its header block (ends at \(start + length))")
                }
                let m = HDF5Message(type: type, offset: p + 8, size: size, flags: flags)
                if type == HDF5MessageType.continuation {
                    blocks.append(try continuation(b, m))
                }
                messages.append(m)
                p += 8 + size
            }
        }
    }

    private mutating func readV2(_ b: HDF5Bytes) throws {
        let version = try b.u8(address + 4, "object header version")
        guard version == 2 else { throw b.fail(address + 4, "object header version \(version) not supported after \"OHDR\" (expected 2)") }
        let flags = try b.u8(address + 5, "object header flags")
        var p = address + 6
        if flags & 0x20 != 0 { p += 16 }  // access, modification, change, birth times
        if flags & 0x10 != 0 { p += 4 }   // attribute phase change values
        let sizeBytes = 1 << (flags & 3)
        let chunkSize = Int(clamping: try b.unsigned(p, sizeBytes, "object header chunk size"))
        p += sizeBytes
        guard chunkSize <= b.count else { throw b.fail(p - sizeBytes, "object header chunk size \(chunkSize) exceeds the file size") }
        let trackOrder = flags & 0x04 != 0
        var blocks = [(p, chunkSize, address)]  // message area, its size, checksummed block start
        var visited = Set<Int>()
        var index = 0
        while index < blocks.count {
            let (start, length, blockStart) = blocks[index]; index += 1
            guard visited.insert(start).inserted, visited.count <= Self.maxBlocks else {
                throw b.fail(start, "object header continuation blocks form a cycle or exceed \(Self.maxBlocks)")
            }
            try b.need(start, length + 4, "object header block and checksum")
            let stored = try b.u32(start + length, "object header checksum")
            let actual = Int(HDF5Checksum.lookup3(b.bytes[blockStart ..< start + length]))
            guard stored == actual else {
                throw b.fail(start + length, "object header checksum mismatch: stored \(stored), computed \(actual)")
            }
            let headerSize = trackOrder ? 6 : 4
            var q = start
            while q + headerSize <= start + length {
                let type = try b.u8(q, "message type"), size = try b.u16(q + 1, "message size")
                let mflags = try b.u8(q + 3, "message flags")
                guard q + headerSize + size <= start + length else {
                    throw b.fail(q + 1, "message of type \(type) with size \(size) runs past its header block (ends at \(start + length))")
                }
                let m = HDF5Message(type: type, offset: q + headerSize, size: size, flags: mflags)
                if type == HDF5MessageType.continuation {
                    let (at, len) = try continuation(b, m)
                    try b.signature(at, "OCHK")
                    guard len >= 8 else { throw b.fail(m.offset, "continuation block of \(len) bytes is too short for \"OCHK\" and a checksum") }
                    blocks.append((at + 4, len - 8, at))
                }
                messages.append(m)
                q += headerSize + size
            }
        }
    }

    private func continuation(_ b: HDF5Bytes, _ m: HDF5Message) throws -> (Int, Int) {
        guard m.size >= b.offsetSize + b.lengthSize else { throw b.fail(m.offset, "continuation message too short") }
        let at = try b.requiredAddress(m.offset, "continuation block address")
        let len = try b.length(m.offset + b.offsetSize, "continuation block length")
        try b.need(at, len, "object header continuation block")
        return (at, len)
    }
}
