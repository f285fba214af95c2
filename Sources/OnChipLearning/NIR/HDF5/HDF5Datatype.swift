// The datatype message (format specification IV.A.2.d) for the classes NIR files use:
// fixed-point integers (class 0), IEEE floats (1), fixed-length strings (3), enumerations over
// an integer (8; h5py stores bool as an int8 enum FALSE = 0, TRUE = 1) and variable-length
// strings (9, stored as a length and a global-heap id in the dataset).

indirect enum HDF5Datatype: Equatable {
    case integer(size: Int, signed: Bool, bigEndian: Bool)
    case float(size: Int, bigEndian: Bool)
    case fixedString(size: Int)
    case enumeration(base: HDF5Datatype, names: [String], values: [Int64])
    case variableString

    /// Bytes per element in the dataset's raw data.
    func size(_ b: HDF5Bytes) -> Int {
        switch self {
        case let .integer(size, _, _), let .float(size, _), let .fixedString(size): return size
        case let .enumeration(base, _, _): return base.size(b)
        case .variableString: return 4 + b.offsetSize + 4
        }
    }

    /// The numpy-style name of the type, as h5py reports it.
    var name: String {
        switch self {
        case let .integer(size, signed, _): return (signed ? "int" : "uint") + String(size * 8)
        case let .float(size, _): return "float" + String(size * 8)
        case .fixedString, .variableString: return "string"
        case let .enumeration(_, names, values):
            return Set(names) == ["FALSE", "TRUE"] && Set(values) == [0, 1] ? "bool" : "enum"
        }
    }

    /// Parses a datatype message at `at`; returns the type and the bytes it took.
    /// `depth` bounds the nesting of base types (an enumeration's or a variable-length
    /// string's base is one level down; a corrupt file could nest them without end).
    static func read(_ b: HDF5Bytes, at: Int, limit: Int, depth: Int = 0) throws -> (HDF5Datatype, Int) {
        guard depth <= 2 else { throw b.fail(at, "datatype nested more than 2 levels deep") }
        try b.need(at, 8, "datatype message")
        guard at + 8 <= limit else { throw b.fail(at, "datatype message truncated by its container") }
        let classVersion = try b.u8(at, "datatype class and version")
        let typeClass = classVersion & 0x0F, version = classVersion >> 4
        let bits = Int(clamping: try b.unsigned(at + 1, 3, "datatype bit field"))
        let size = try b.u32(at + 4, "datatype size")
        guard (1 ... 5).contains(version) else { throw b.fail(at, "datatype version \(version) not supported (expected 1 to 5)") }
        switch typeClass {
        case 0:
            guard [1, 2, 4, 8].contains(size) else { throw b.fail(at + 4, "integer of \(size) bytes not supported (expected 1, 2, 4 or 8)") }
            let offset = try b.u16(at + 8, "integer bit offset"), precision = try b.u16(at + 10, "integer bit precision")
            guard offset == 0, precision == size * 8 else {
                throw b.fail(at + 8, "integer with bit offset \(offset) and precision \(precision) not supported (expected 0 and \(size * 8))")
            }
            return (.integer(size: size, signed: bits & 0x08 != 0, bigEndian: bits & 1 != 0), 12)
        case 1:
            guard size == 4 || size == 8 else { throw b.fail(at + 4, "float of \(size) bytes not supported (expected 4 or 8)") }
            guard bits & 0x40 == 0 else { throw b.fail(at + 1, "VAX byte order not supported") }
            let precision = try b.u16(at + 10, "float bit precision")
            let expSize = try b.u8(at + 13, "float exponent size"), mantSize = try b.u8(at + 15, "float mantissa size")
            let ieee = size == 4 ? (32, 8, 23) : (64, 11, 52)
            guard precision == ieee.0, expSize == ieee.1, mantSize == ieee.2 else {
                throw b.fail(at + 8, "float layout (precision \(precision), exponent \(expSize), mantissa \(mantSize) bits) is not IEEE 754 binary\(size * 8)")
            }
            return (.float(size: size, bigEndian: bits & 1 != 0), 20)
        case 3:
            guard size >= 1 else { throw b.fail(at + 4, "fixed string of size 0") }
            return (.fixedString(size: size), 8)
        case 8:
            let count = bits & 0xFFFF
            let (base, baseLength) = try read(b, at: at + 8, limit: limit, depth: depth + 1)
            guard case .integer = base else { throw b.fail(at + 8, "enumeration over a non-integer base type not supported") }
            var p = at + 8 + baseLength
            var names: [String] = []
            for _ in 0 ..< count {
                let name = try b.cString(p, end: limit, "enumeration member name")
                names.append(name)
                p += name.utf8.count + 1
                if version < 3 { p = at + ((p - at + 7) / 8) * 8 }  // padded to 8 bytes before version 3
            }
            let baseSize = base.size(b)
            var values: [Int64] = []
            for i in 0 ..< count {
                guard p + baseSize * (i + 1) <= limit else { throw b.fail(p, "enumeration values run past the message") }
                values.append(try HDF5Decode.integer(b, at: p + baseSize * i, base))
            }
            return (.enumeration(base: base, names: names, values: values), p + baseSize * count - at)
        case 9:
            let kind = bits & 0x0F
            guard kind == 1 else { throw b.fail(at + 1, "variable-length sequences not supported (only variable-length strings)") }
            let (_, baseLength) = try read(b, at: at + 8, limit: limit, depth: depth + 1)
            return (.variableString, 8 + baseLength)
        default:
            let names = [2: "time", 4: "bitfield", 5: "opaque", 6: "compound", 7: "reference", 10: "array", 11: "complex"]
            throw b.fail(at, "datatype class \(typeClass) (\(names[typeClass] ?? "unknown")) not supported (expected integer, float, string, enum or variable-length string)")
        }
    }
}

/// Element decoding shared by datatypes and datasets.
enum HDF5Decode {
    static func integer(_ b: HDF5Bytes, at: Int, _ type: HDF5Datatype) throws -> Int64 {
        guard case let .integer(size, signed, bigEndian) = type else { return 0 }
        try b.need(at, size, "integer element")
        return integer(b.bytes, at, size: size, signed: signed, bigEndian: bigEndian)
    }

    static func integer(_ bytes: [UInt8], _ at: Int, size: Int, signed: Bool, bigEndian: Bool) -> Int64 {
        var v: UInt64 = 0
        for i in 0 ..< size {
            let byte = UInt64(bytes[bigEndian ? at + size - 1 - i : at + i])
            v |= byte << UInt64(8 * i)
        }
        if signed && size < 8 && v & (UInt64(1) << UInt64(8 * size - 1)) != 0 {
            v |= ~((UInt64(1) << UInt64(8 * size)) - 1)
        }
        return Int64(bitPattern: v)
    }
}
