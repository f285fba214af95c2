// gzip (RFC 1952) decompression with a small DEFLATE (RFC 1951) decoder written here
// (the project takes no packages), so IDX files can be read as distributed (.gz).
// Every malformed input is a ChipError.binary naming the file and the byte offset in the
// compressed file where decoding failed; the CRC-32 and length in the trailer are checked.
//
// A small file can decompress to gigabytes (a "gzip bomb"), so the output is bounded while it
// is produced: by `maxBytes`, and by a caller's `SizeBound` that reads the size the data
// declares (an IDX header's dimensions) from the first bytes. Decoding stops with an error as
// soon as the output passes the bound, so at most the bound plus one DEFLATE step (a stored
// block of at most 65,535 bytes or a copy of at most 258) is ever held in memory.

public enum Gzip {
    public static func isGzip(_ bytes: [UInt8]) -> Bool { bytes.count >= 2 && bytes[0] == 0x1F && bytes[1] == 0x8B }

    /// Largest decompressed size accepted by default: 2 GiB (docs/LIMITS.md).
    public static let defaultMaxBytes = 1 << 31

    /// The largest output allowed given the bytes produced so far. Called when the output has
    /// passed the previous bound (first `initialBound`); returns the new bound, or throws if
    /// the bytes so far are already invalid. Output beyond the new bound ends decoding with an
    /// error.
    public struct SizeBound {
        public var initialBound: Int
        public var next: ([UInt8]) throws -> Int
        public var what: String
        public init(initialBound: Int, what: String, next: @escaping ([UInt8]) throws -> Int) {
            self.initialBound = initialBound; self.what = what; self.next = next
        }
    }

    /// Decompresses a gzip file (one or more concatenated members), holding at most
    /// `maxBytes` of output, and at most what `bound` allows.
    public static func decompress(_ bytes: [UInt8], file: String, maxBytes: Int = Gzip.defaultMaxBytes,
                                  bound: SizeBound? = nil) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Swift.min(bytes.count * 4, maxBytes))
        var limit = OutputLimit(maxBytes: maxBytes, bound: bound)
        var pos = 0
        repeat {
            pos = try member(bytes, at: pos, file: file, into: &out, limit: &limit)
        } while pos < bytes.count && isGzip(Array(bytes[pos ..< min(pos + 2, bytes.count)]))
        if pos < bytes.count, bytes[pos...].contains(where: { $0 != 0 }) {
            throw ChipError.binary(file: file, offset: pos, message: "unexpected bytes after the gzip data")
        }
        return out
    }

    static func member(_ bytes: [UInt8], at start: Int, file: String, into out: inout [UInt8], limit: inout OutputLimit) throws -> Int {
        func fail(_ at: Int, _ m: String) -> ChipError { ChipError.binary(file: file, offset: at, message: m) }
        guard bytes.count - start >= 18 else { throw fail(start, "truncated gzip header (a gzip member needs at least 18 bytes)") }
        guard bytes[start] == 0x1F, bytes[start + 1] == 0x8B else { throw fail(start, "bad gzip magic number; expected 1f 8b") }
        guard bytes[start + 2] == 8 else { throw fail(start + 2, "unsupported gzip compression method \(bytes[start + 2]); expected 8 (deflate)") }
        let flags = bytes[start + 3]
        guard flags & 0xE0 == 0 else { throw fail(start + 3, "reserved gzip flag bits set (0x\(String(flags, radix: 16)))") }
        var p = start + 10
        if flags & 0x04 != 0 { // FEXTRA
            guard p + 2 <= bytes.count else { throw fail(p, "truncated gzip extra field") }
            p += 2 + (Int(bytes[p]) | Int(bytes[p + 1]) << 8)
        }
        for flag in [UInt8(0x08), 0x10] where flags & flag != 0 { // FNAME, FCOMMENT: zero-terminated
            while p < bytes.count && bytes[p] != 0 { p += 1 }
            p += 1
        }
        if flags & 0x02 != 0 { p += 2 } // FHCRC
        guard p < bytes.count else { throw fail(min(p, bytes.count), "truncated gzip header") }
        let first = out.count
        var inflater = Inflater(bytes: bytes, position: p, file: file, limit: limit)
        try inflater.inflate(into: &out)
        limit = inflater.limit
        p = inflater.nextByte
        guard p + 8 <= bytes.count else { throw fail(p, "truncated gzip trailer (CRC-32 and length)") }
        let crc = UInt32(bytes[p]) | UInt32(bytes[p + 1]) << 8 | UInt32(bytes[p + 2]) << 16 | UInt32(bytes[p + 3]) << 24
        let size = UInt32(bytes[p + 4]) | UInt32(bytes[p + 5]) << 8 | UInt32(bytes[p + 6]) << 16 | UInt32(bytes[p + 7]) << 24
        let actual = CRC32.checksum(out[first...])
        guard crc == actual else { throw fail(p, "gzip CRC-32 mismatch: trailer says \(hex(crc)), data gives \(hex(actual)) (corrupt file)") }
        guard size == UInt32(truncatingIfNeeded: out.count - first) else {
            throw fail(p + 4, "gzip length mismatch: trailer says \(size) bytes, decompressed \(out.count - first)")
        }
        return p + 8
    }

    static func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }
}

/// The running bound on decompressed output (see `Gzip.SizeBound`).
struct OutputLimit {
    let maxBytes: Int
    let bound: Gzip.SizeBound?
    /// Output may grow to this many bytes without asking `bound` again.
    var current: Int

    init(maxBytes: Int, bound: Gzip.SizeBound?) {
        self.maxBytes = maxBytes; self.bound = bound
        current = Swift.min(maxBytes, bound?.initialBound ?? maxBytes)
    }

    /// Called once `output` has passed `current`: raises the bound if the caller's `bound`
    /// allows, else returns the message of the error to throw.
    mutating func grow(output: [UInt8]) throws -> String? {
        if let bound {
            let b = Swift.min(try bound.next(output), maxBytes)
            if b > current { current = b }
            if output.count <= current { return nil }
            if b < maxBytes {
                return "decompressed data exceeds the \(b) bytes \(bound.what) declares (stopped after \(output.count) bytes)"
            }
        }
        return "decompressed data exceeds the limit of \(maxBytes) bytes (docs/LIMITS.md)"
    }
}

public enum CRC32 {
    static let table: [UInt32] = (0 ..< 256).map { n -> UInt32 in
        var c = UInt32(n)
        for _ in 0 ..< 8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    /// CRC-32 (ISO-HDLC, as gzip and zip use).
    public static func checksum<C: Collection>(_ data: C) -> UInt32 where C.Element == UInt8 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in data { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

/// A canonical Huffman code: number of codes of each length and the symbols in code order.
struct Huffman {
    var counts = [Int](repeating: 0, count: 16)
    var symbols: [Int]

    /// Builds the code from code lengths; returns nil if the lengths over-subscribe the code space.
    init?(lengths: [Int]) {
        symbols = []
        for l in lengths { counts[l] += 1 }
        counts[0] = 0
        var left = 1
        for len in 1 ... 15 {
            left <<= 1
            left -= counts[len]
            if left < 0 { return nil }
        }
        var offsets = [Int](repeating: 0, count: 16)
        for len in 1 ..< 15 { offsets[len + 1] = offsets[len] + counts[len] }
        symbols = [Int](repeating: 0, count: lengths.count)
        for (s, l) in lengths.enumerated() where l != 0 { symbols[offsets[l]] = s; offsets[l] += 1 }
    }
}

struct Inflater {
    let bytes: [UInt8]
    let file: String
    var position: Int
    var bitBuffer: UInt32 = 0
    var bitCount = 0
    var limit: OutputLimit

    init(bytes: [UInt8], position: Int, file: String, limit: OutputLimit) {
        self.bytes = bytes; self.position = position; self.file = file; self.limit = limit
    }

    /// Throws if the output has passed the bound (checked after each DEFLATE step).
    @inline(__always)
    mutating func checkLimit(_ out: [UInt8]) throws {
        if out.count > limit.current {
            if let message = try limit.grow(output: out) {
                throw ChipError.binary(file: file, offset: Swift.min(position, bytes.count), message: "gzip: " + message)
            }
        }
    }

    /// The first byte after the deflate stream (partial bytes are discarded, as gzip does).
    var nextByte: Int { position }

    func fail(_ m: String) -> ChipError { ChipError.binary(file: file, offset: min(position, bytes.count), message: "deflate: " + m) }

    mutating func bits(_ n: Int) throws -> Int {
        while bitCount < n {
            guard position < bytes.count else { throw fail("truncated compressed data") }
            bitBuffer |= UInt32(bytes[position]) << UInt32(bitCount)
            position += 1; bitCount += 8
        }
        let v = Int(bitBuffer & ((1 << UInt32(n)) - 1))
        bitBuffer >>= UInt32(n); bitCount -= n
        return v
    }

    mutating func decode(_ h: Huffman) throws -> Int {
        var code = 0, first = 0, index = 0
        for len in 1 ... 15 {
            code |= try bits(1)
            let count = h.counts[len]
            if code - count < first { return h.symbols[index + (code - first)] }
            index += count; first += count
            first <<= 1; code <<= 1
        }
        throw fail("invalid Huffman code")
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073,
                           4097, 6145, 8193, 12289, 16385, 24577]
    static let distExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    static let fixedLiteral = Huffman(lengths: (0 ..< 288).map { $0 < 144 ? 8 : $0 < 256 ? 9 : $0 < 280 ? 7 : 8 })!
    static let fixedDistance = Huffman(lengths: [Int](repeating: 5, count: 30))!

    mutating func inflate(into out: inout [UInt8]) throws {
        let start = out.count
        var last = 0
        repeat {
            last = try bits(1)
            switch try bits(2) {
            case 0: try stored(into: &out)
            case 1: try codes(Inflater.fixedLiteral, Inflater.fixedDistance, start: start, into: &out)
            case 2:
                let (lit, dist) = try dynamicTables()
                try codes(lit, dist, start: start, into: &out)
            default: throw fail("invalid block type 3")
            }
        } while last == 0
        bitBuffer = 0; bitCount = 0
    }

    mutating func stored(into out: inout [UInt8]) throws {
        bitBuffer = 0; bitCount = 0
        guard position + 4 <= bytes.count else { throw fail("truncated stored block header") }
        let len = Int(bytes[position]) | Int(bytes[position + 1]) << 8
        let nlen = Int(bytes[position + 2]) | Int(bytes[position + 3]) << 8
        guard len == ~nlen & 0xFFFF else { throw fail("stored block length check failed") }
        position += 4
        guard position + len <= bytes.count else { throw fail("truncated stored block") }
        out.append(contentsOf: bytes[position ..< position + len])
        try checkLimit(out)
        position += len
    }

    mutating func dynamicTables() throws -> (Huffman, Huffman) {
        let nlen = try bits(5) + 257, ndist = try bits(5) + 1, ncode = try bits(4) + 4
        guard nlen <= 286, ndist <= 30 else { throw fail("bad dynamic block code counts") }
        let order = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]
        var clen = [Int](repeating: 0, count: 19)
        for k in 0 ..< ncode { clen[order[k]] = try bits(3) }
        guard let lencode = Huffman(lengths: clen) else { throw fail("over-subscribed code-length code") }
        var lengths: [Int] = []
        while lengths.count < nlen + ndist {
            let sym = try decode(lencode)
            if sym < 16 { lengths.append(sym); continue }
            var value = 0, repeatCount: Int
            switch sym {
            case 16:
                guard let previous = lengths.last else { throw fail("repeat of a code length with no previous length") }
                value = previous; repeatCount = 3 + (try bits(2))
            case 17: repeatCount = 3 + (try bits(3))
            default: repeatCount = 11 + (try bits(7))
            }
            guard lengths.count + repeatCount <= nlen + ndist else { throw fail("too many code lengths") }
            lengths += [Int](repeating: value, count: repeatCount)
        }
        guard lengths[256] != 0 else { throw fail("no end-of-block code") }
        guard let lit = Huffman(lengths: Array(lengths[0 ..< nlen])),
              let dist = Huffman(lengths: Array(lengths[nlen...])) else { throw fail("over-subscribed literal or distance code") }
        return (lit, dist)
    }

    mutating func codes(_ lit: Huffman, _ dist: Huffman, start: Int, into out: inout [UInt8]) throws {
        while true {
            var sym = try decode(lit)
            if sym < 256 { out.append(UInt8(sym)); try checkLimit(out); continue }
            if sym == 256 { return }
            sym -= 257
            guard sym < 29 else { throw fail("invalid length symbol") }
            let len = Inflater.lengthBase[sym] + (try bits(Inflater.lengthExtra[sym]))
            let dsym = try decode(dist)
            guard dsym < 30 else { throw fail("invalid distance symbol") }
            let d = Inflater.distBase[dsym] + (try bits(Inflater.distExtra[dsym]))
            guard d <= out.count - start else { throw fail("distance \(d) reaches before the start of the data") }
            let from = out.count - d
            for k in 0 ..< len { out.append(out[from + k]) }
            try checkLimit(out)
        }
    }
}
