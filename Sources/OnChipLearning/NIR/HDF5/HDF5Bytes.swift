// Bounds-checked little-endian reads over the bytes of one HDF5 file. Every read that would
// leave the file is a ChipError.binary naming the byte offset and what was being read, so a
// truncated or corrupt file can never trap.

struct HDF5Bytes {
    let bytes: [UInt8]
    let file: String
    /// Size of file addresses and of lengths (from the superblock; 8 for every file h5py writes).
    var offsetSize = 8
    var lengthSize = 8

    init(_ bytes: [UInt8], file: String) { self.bytes = bytes; self.file = file }

    var count: Int { bytes.count }

    func fail(_ at: Int, _ message: String) -> ChipError {
        ChipError.binary(file: file, offset: max(0, min(at, bytes.count)), message: "HDF5: " + message)
    }

    /// Throws unless `n` bytes starting at `at` lie inside the file.
    func need(_ at: Int, _ n: Int, _ what: String) throws {
        guard at >= 0, n >= 0, at <= bytes.count, n <= bytes.count - at else {
            throw fail(at, "truncated: \(what) needs \(n) bytes at offset \(at), file has \(bytes.count)")
        }
    }

    func u8(_ at: Int, _ what: String) throws -> Int { try need(at, 1, what); return Int(bytes[at]) }
    func u16(_ at: Int, _ what: String) throws -> Int { Int(try unsigned(at, 2, what)) }
    func u32(_ at: Int, _ what: String) throws -> Int { Int(try unsigned(at, 4, what)) }

    /// A little-endian unsigned integer of 1 to 8 bytes.
    func unsigned(_ at: Int, _ n: Int, _ what: String) throws -> UInt64 {
        try need(at, n, what)
        var v: UInt64 = 0
        for i in 0 ..< n { v |= UInt64(bytes[at + i]) << UInt64(8 * i) }
        return v
    }

    /// A length field, as an Int no larger than the file (nothing a reader allocates can be
    /// longer than the file holds, except inflated chunks, which are bounded separately).
    func length(_ at: Int, _ what: String, limit: Int? = nil) throws -> Int {
        let v = try unsigned(at, lengthSize, what)
        let bound = limit ?? bytes.count
        guard v <= UInt64(bound) else { throw fail(at, "\(what) is \(v), larger than \(bound) (the file is \(bytes.count) bytes)") }
        return Int(v)
    }

    /// An address field; nil for the undefined address (all bits set).
    func address(_ at: Int, _ what: String) throws -> Int? {
        let v = try unsigned(at, offsetSize, what)
        if offsetSize == 8 ? v == UInt64.max : v == (UInt64(1) << UInt64(8 * offsetSize)) - 1 { return nil }
        guard v < UInt64(bytes.count) else { throw fail(at, "\(what) points to byte \(v), past the end of the file (\(bytes.count) bytes)") }
        return Int(v)
    }

    /// An address that must be defined.
    func requiredAddress(_ at: Int, _ what: String) throws -> Int {
        guard let a = try address(at, what) else { throw fail(at, "\(what) is the undefined address") }
        return a
    }

    func signature(_ at: Int, _ expected: String) throws {
        let s = Array(expected.utf8)
        try need(at, s.count, "signature \"\(expected)\"")
        guard Array(bytes[at ..< at + s.count]) == s else {
            throw fail(at, "expected the signature \"\(expected)\", found bytes \(bytes[at ..< at + s.count].map { String($0, radix: 16) }.joined(separator: " "))")
        }
    }

    /// A zero-terminated string starting at `at` and ending before `end`.
    func cString(_ at: Int, end: Int, _ what: String) throws -> String {
        try need(at, 0, what)
        let stop = min(end, bytes.count)
        var p = at
        while p < stop && bytes[p] != 0 { p += 1 }
        guard p < stop else { throw fail(at, "\(what): no terminating zero byte before offset \(stop)") }
        return String(decoding: bytes[at ..< p], as: UTF8.self)
    }

    func slice(_ at: Int, _ n: Int, _ what: String) throws -> ArraySlice<UInt8> {
        try need(at, n, what)
        return bytes[at ..< at + n]
    }
}
