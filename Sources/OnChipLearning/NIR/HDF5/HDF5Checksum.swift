// Jenkins' lookup3 hashlittle with initial value 0: the checksum HDF5 puts on version-2
// structures (superblock v2/3, object header v2, its continuation blocks, B-tree v2, heaps).

enum HDF5Checksum {
    static func lookup3<C: Collection>(_ data: C) -> UInt32 where C.Element == UInt8 {
        let k = Array(data)
        var length = k.count
        var a: UInt32 = 0xDEADBEEF &+ UInt32(truncatingIfNeeded: length)
        var b = a, c = a
        func rot(_ x: UInt32, _ r: UInt32) -> UInt32 { (x << r) | (x >> (32 - r)) }
        func word(_ i: Int) -> UInt32 {
            var v: UInt32 = 0
            for j in 0 ..< 4 where i + j < k.count { v |= UInt32(k[i + j]) << UInt32(8 * j) }
            return v
        }
        var i = 0
        while length > 12 {
            a &+= word(i); b &+= word(i + 4); c &+= word(i + 8)
            a &-= c; a ^= rot(c, 4); c &+= b
            b &-= a; b ^= rot(a, 6); a &+= c
            c &-= b; c ^= rot(b, 8); b &+= a
            a &-= c; a ^= rot(c, 16); c &+= b
            b &-= a; b ^= rot(a, 19); a &+= c
            c &-= b; c ^= rot(b, 4); b &+= a
            length -= 12; i += 12
        }
        if length == 0 { return c }
        // The last 1-12 bytes, zero-padded (word() stops at the end of the data).
        func partial(_ at: Int, _ n: Int) -> UInt32 {
            var v: UInt32 = 0
            for j in 0 ..< max(0, min(4, n)) { v |= UInt32(k[at + j]) << UInt32(8 * j) }
            return v
        }
        a &+= partial(i, length); b &+= partial(i + 4, length - 4); c &+= partial(i + 8, length - 8)
        c ^= b; c &-= rot(b, 14)
        a ^= c; a &-= rot(c, 11)
        b ^= a; b &-= rot(a, 25)
        c ^= b; c &-= rot(b, 16)
        a ^= c; a &-= rot(c, 4)
        b ^= a; b &-= rot(a, 14)
        c ^= b; c &-= rot(b, 24)
        return c
    }
}
