// The filter pipeline message (format specification IV.A.2.l) and the filters NIR writers use:
// deflate (1, a zlib stream, decoded by the project's own inflater), shuffle (2) and
// Fletcher-32 (3, checked and stripped). Anything else is refused by name.

struct HDF5Filter {
    var id: Int
    var name: String
    var optional: Bool
    var clientData: [Int]
}

enum HDF5Filters {
    static func read(_ b: HDF5Bytes, _ m: HDF5Message) throws -> [HDF5Filter] {
        let end = m.offset + m.size
        let version = try b.u8(m.offset, "filter pipeline version")
        let count = try b.u8(m.offset + 1, "filter count")
        guard version == 1 || version == 2 else { throw b.fail(m.offset, "filter pipeline version \(version) not supported (expected 1 or 2)") }
        guard count <= 32 else { throw b.fail(m.offset + 1, "filter count \(count) exceeds 32") }
        var p = m.offset + (version == 1 ? 8 : 2)
        var filters: [HDF5Filter] = []
        for _ in 0 ..< count {
            guard p + 2 <= end else { throw b.fail(p, "filter description runs past the message") }
            let id = try b.u16(p, "filter id")
            var nameLength = 0
            p += 2
            if version == 1 || id >= 256 { nameLength = try b.u16(p, "filter name length"); p += 2 }
            guard p + 4 <= end else { throw b.fail(p, "filter description runs past the message") }
            let flags = try b.u16(p, "filter flags"), values = try b.u16(p + 2, "filter client data count")
            p += 4
            var name = ""
            if nameLength > 0 {
                guard p + nameLength <= end else { throw b.fail(p, "filter name runs past the message") }
                name = try b.cString(p, end: p + nameLength, "filter name")
                p += version == 1 ? (nameLength + 7) / 8 * 8 : nameLength
            }
            guard p + 4 * values <= end else { throw b.fail(p, "filter client data runs past the message") }
            var data: [Int] = []
            for i in 0 ..< values { data.append(try b.u32(p + 4 * i, "filter client data")) }
            p += 4 * values
            if version == 1 && values % 2 == 1 { p += 4 }
            filters.append(HDF5Filter(id: id, name: name, optional: flags & 1 != 0, clientData: data))
        }
        for f in filters where ![1, 2, 3].contains(f.id) {
            throw b.fail(m.offset, "filter \(f.id)\(f.name.isEmpty ? "" : " (\(f.name))") not supported (expected deflate, shuffle or fletcher32)")
        }
        return filters
    }

    /// Undoes the pipeline on one stored chunk (filters run in reverse order on reading). A bit
    /// set in `mask` means that filter was skipped for this chunk. `expected` bounds the output.
    static func decode(_ data: ArraySlice<UInt8>, filters: [HDF5Filter], mask: Int, expected: Int,
                       b: HDF5Bytes, at: Int) throws -> [UInt8] {
        var out = Array(data)
        for (i, f) in filters.enumerated().reversed() where mask & (1 << i) == 0 {
            switch f.id {
            case 1: out = try zlib(out, b: b, at: at, limit: expected)
            case 2: out = unshuffle(out, elementSize: f.clientData.first ?? 1)
            default:
                guard out.count >= 4 else { throw b.fail(at, "fletcher32 chunk shorter than its checksum") }
                let n = out.count - 4
                let stored = UInt32(out[n]) | UInt32(out[n + 1]) << 8 | UInt32(out[n + 2]) << 16 | UInt32(out[n + 3]) << 24
                out.removeLast(4)
                let actual = fletcher32(out)
                // HDF5 1.6.0-1.6.2 stored it byte-swapped; the library accepts both, so does this.
                guard stored == actual || stored == actual.byteSwapped else {
                    throw b.fail(at, "fletcher32 checksum mismatch in chunk: stored \(stored), computed \(actual) (corrupt chunk)")
                }
            }
        }
        return out
    }

    /// A zlib stream (RFC 1950): 2-byte header, deflate data, Adler-32 of the output (big-endian).
    /// Offsets in errors are those of the chunk in the file.
    static func zlib(_ bytes: [UInt8], b: HDF5Bytes, at: Int, limit: Int) throws -> [UInt8] {
        guard bytes.count >= 6 else { throw b.fail(at, "deflate chunk of \(bytes.count) bytes is too short for a zlib stream") }
        let cmf = Int(bytes[0]), flg = Int(bytes[1])
        guard cmf & 0x0F == 8, (cmf << 8 | flg) % 31 == 0 else {
            throw b.fail(at, "bad zlib header \(String(cmf, radix: 16)) \(String(flg, radix: 16)) (expected deflate with a valid check)")
        }
        guard flg & 0x20 == 0 else { throw b.fail(at + 1, "zlib preset dictionary not supported") }
        var out: [UInt8] = []
        out.reserveCapacity(limit)
        // The gzip reader's output bound (docs/LIMITS.md): a chunk never inflates past its
        // declared size (plus a checksum's slack), so a deflate bomb stops early.
        var inflater = Inflater(bytes: bytes, position: 2, file: b.file, limit: OutputLimit(maxBytes: limit + 16, bound: nil))
        do { try inflater.inflate(into: &out) } catch let ChipError.binary(_, offset, message) {
            throw b.fail(at + offset, message)
        }
        let p = inflater.nextByte
        guard p + 4 <= bytes.count else { throw b.fail(at + p, "zlib stream has no Adler-32 trailer") }
        let stored = UInt32(bytes[p]) << 24 | UInt32(bytes[p + 1]) << 16 | UInt32(bytes[p + 2]) << 8 | UInt32(bytes[p + 3])
        let actual = adler32(out)
        guard stored == actual else { throw b.fail(at + p, "zlib Adler-32 mismatch: stored \(stored), computed \(actual) (corrupt chunk)") }
        return out
    }

    static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, s: UInt32 = 0
        for byte in data { a = (a + UInt32(byte)) % 65521; s = (s + a) % 65521 }
        return s << 16 | a
    }

    /// HDF5's Fletcher-32: 16-bit words read big-endian (an odd last byte is the high byte),
    /// sums kept in 32 bits and folded (end-around carry) every 360 words and at the end, so a
    /// sum may end as 0xFFFF where a plain modulo would give 0 (hence no % 65535 here).
    static func fletcher32(_ data: [UInt8]) -> UInt32 {
        var sum1: UInt32 = 0, sum2: UInt32 = 0
        var words = data.count / 2, i = 0
        while words > 0 {
            var block = min(words, 360)
            words -= block
            while block > 0 {
                sum1 &+= UInt32(data[i]) << 8 | UInt32(data[i + 1]); i += 2
                sum2 &+= sum1; block -= 1
            }
            sum1 = (sum1 & 0xFFFF) &+ (sum1 >> 16); sum2 = (sum2 & 0xFFFF) &+ (sum2 >> 16)
        }
        if data.count % 2 == 1 {
            sum1 &+= UInt32(data[i]) << 8; sum2 &+= sum1
            sum1 = (sum1 & 0xFFFF) &+ (sum1 >> 16); sum2 = (sum2 & 0xFFFF) &+ (sum2 >> 16)
        }
        sum1 = (sum1 & 0xFFFF) &+ (sum1 >> 16); sum2 = (sum2 & 0xFFFF) &+ (sum2 >> 16)
        return sum2 << 16 | sum1
    }

    /// Shuffle stores byte j of every element together; this restores element order.
    static func unshuffle(_ data: [UInt8], elementSize: Int) -> [UInt8] {
        guard elementSize > 1, data.count >= elementSize else { return data }
        let n = data.count / elementSize
        var out = data
        for j in 0 ..< elementSize { for i in 0 ..< n { out[i * elementSize + j] = data[j * n + i] } }
        return out
    }
}
