// The HDF5 superblock (format specification III.A): where the file starts, the sizes of
// addresses and lengths, and the root group. Versions 0 and 1 hold the root group as a symbol
// table entry; versions 2 and 3 hold the root object header address directly (with a checksum).

struct HDF5Superblock {
    static let signature: [UInt8] = [0x89, 0x48, 0x44, 0x46, 0x0D, 0x0A, 0x1A, 0x0A]
    var version: Int
    var offsetSize: Int
    var lengthSize: Int
    /// Absolute byte offset that all addresses in the file are relative to.
    var baseAddress: Int
    var rootObjectHeader: Int

    /// Finds the signature at byte 0, 512, 1024, 2048, ... (a user block may precede it, which
    /// is then refused by name).
    static func read(_ b: inout HDF5Bytes) throws -> HDF5Superblock {
        var at = 0
        while true {
            try b.need(at, 8, "the HDF5 superblock signature (89 48 44 46 0d 0a 1a 0a)")
            if Array(b.bytes[at ..< at + 8]) == signature { break }
            at = at == 0 ? 512 : at * 2
            if at + 8 > b.count { throw b.fail(0, "not an HDF5 file: no superblock signature at byte 0, 512, 1024, ...") }
        }
        // Addresses are relative to the base address (the superblock's position when a user
        // block precedes it); this reader takes them as file offsets, so it needs base 0.
        guard at == 0 else { throw b.fail(at, "a user block of \(at) bytes precedes the superblock (not supported)") }
        let version = try b.u8(at + 8, "superblock version")
        switch version {
        case 0, 1:
            let offsetSize = try b.u8(at + 13, "size of offsets"), lengthSize = try b.u8(at + 14, "size of lengths")
            try check(&b, offsetSize, lengthSize, at: at + 13)
            var p = at + 24
            if version == 1 { p += 4 }  // indexed storage internal node K and reserved
            let base = try b.unsigned(p, offsetSize, "base address")
            guard base == UInt64(at) else { throw b.fail(p, "base address \(base) differs from the superblock position \(at) (not supported)") }
            p += 4 * offsetSize  // base, free-space info, end of file, driver info
            // Root group symbol table entry: link name offset, object header address, cache...
            let root = try b.requiredAddress(p + offsetSize, "root group object header address")
            return HDF5Superblock(version: version, offsetSize: offsetSize, lengthSize: lengthSize, baseAddress: at, rootObjectHeader: root)
        case 2, 3:
            let offsetSize = try b.u8(at + 9, "size of offsets"), lengthSize = try b.u8(at + 10, "size of lengths")
            try check(&b, offsetSize, lengthSize, at: at + 9)
            let p = at + 12
            let base = try b.unsigned(p, offsetSize, "base address")
            guard base == UInt64(at) else { throw b.fail(p, "base address \(base) differs from the superblock position \(at) (not supported)") }
            let end = p + 4 * offsetSize
            try b.need(at, end + 4 - at, "superblock")
            let stored = try b.u32(end, "superblock checksum")
            let actual = Int(HDF5Checksum.lookup3(b.bytes[at ..< end]))
            guard stored == actual else { throw b.fail(end, "superblock checksum mismatch: stored \(stored), computed \(actual)") }
            let root = try b.requiredAddress(p + 3 * offsetSize, "root group object header address")
            return HDF5Superblock(version: version, offsetSize: offsetSize, lengthSize: lengthSize, baseAddress: at, rootObjectHeader: root)
        default:
            throw b.fail(at + 8, "superblock version \(version) not supported (expected 0, 1, 2 or 3)")
        }
    }

    private static func check(_ b: inout HDF5Bytes, _ o: Int, _ l: Int, at: Int) throws {
        guard [2, 4, 8].contains(o), [2, 4, 8].contains(l) else {
            throw b.fail(at, "size of offsets \(o) / lengths \(l) not supported (expected 2, 4 or 8)")
        }
        b.offsetSize = o; b.lengthSize = l
    }
}
