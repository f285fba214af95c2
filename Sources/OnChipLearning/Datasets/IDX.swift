// IDX: the MNIST file format (LeCun et al., http://yann.lecun.com/exdb/mnist/).
//
// Layout (all header integers big-endian):
//   byte 0-1  zero
//   byte 2    element type: 0x08 UInt8, 0x09 Int8, 0x0B Int16, 0x0C Int32, 0x0D Float32, 0x0E Float64
//   byte 3    number of dimensions d (1...)
//   byte 4..  d UInt32 dimension sizes
//   then      product(dims) elements, big-endian, row-major (last dimension fastest)
// The reader checks every field and that the file length is exactly header + data:
// a short file or trailing bytes are errors naming the byte offset.

public enum IDXElementType: UInt8, Sendable, CaseIterable {
    case uint8 = 0x08, int8 = 0x09, int16 = 0x0B, int32 = 0x0C, float32 = 0x0D, float64 = 0x0E

    public var size: Int {
        switch self {
        case .uint8, .int8: return 1
        case .int16: return 2
        case .int32, .float32: return 4
        case .float64: return 8
        }
    }
    public var name: String {
        switch self {
        case .uint8: return "unsigned byte"
        case .int8: return "signed byte"
        case .int16: return "int16"
        case .int32: return "int32"
        case .float32: return "float32"
        case .float64: return "float64"
        }
    }
}

/// An IDX array: its element type, dimensions and raw (big-endian) element bytes.
public struct IDXArray: Sendable, Equatable {
    public var type: IDXElementType
    public var dims: [Int]
    public var data: [UInt8]

    public init(type: IDXElementType, dims: [Int], data: [UInt8]) {
        precondition(dims.reduce(1, *) * type.size == data.count, "IDXArray: data size does not match dims")
        self.type = type; self.dims = dims; self.data = data
    }

    /// Unsigned-byte array (the MNIST images and labels).
    public init(uint8 values: [UInt8], dims: [Int]) {
        self.init(type: .uint8, dims: dims, data: values)
    }

    public var count: Int { dims.reduce(1, *) }

    /// The 32-bit magic number: 0x0000 TT DD.
    public var magic: UInt32 { UInt32(type.rawValue) << 8 | UInt32(dims.count) }

    /// Element i converted to Double (any element type).
    public func value(_ i: Int) -> Double {
        let o = i * type.size
        func be(_ n: Int) -> UInt64 { var v: UInt64 = 0; for k in 0 ..< n { v = v << 8 | UInt64(data[o + k]) }; return v }
        switch type {
        case .uint8: return Double(data[o])
        case .int8: return Double(Int8(bitPattern: data[o]))
        case .int16: return Double(Int16(bitPattern: UInt16(be(2))))
        case .int32: return Double(Int32(bitPattern: UInt32(be(4))))
        case .float32: return Double(Float(bitPattern: UInt32(be(4))))
        case .float64: return Double(bitPattern: be(8))
        }
    }
}

public enum IDXReader {
    /// Largest IDX data section accepted (2 GiB; docs/LIMITS.md), checked from the header
    /// before anything is allocated or decompressed.
    public static let maxDataBytes = 1 << 31

    /// Reads and validates an IDX file. A gzip-compressed file (starting 1f 8b, e.g.
    /// train-images-idx3-ubyte.gz) is decompressed first, never past the size its IDX header
    /// declares (a gzip bomb is refused after at most that many bytes); IDX errors then name
    /// the byte offset in the decompressed data.
    public static func read(path: String) throws -> IDXArray {
        try read(fileBytes: try ByteReader.contents(of: path), path: path)
    }

    /// The contents of an IDX file, plain or gzip-compressed, read from `path`.
    public static func read(fileBytes bytes: [UInt8], path: String) throws -> IDXArray {
        if Gzip.isGzip(bytes) {
            let inner = path + " (decompressed)"
            let bound = Gzip.SizeBound(initialBound: 4, what: "the IDX header") { try sizeBound(prefix: $0, file: inner) }
            return try read(bytes: try Gzip.decompress(bytes, file: path, maxBytes: 4 + 4 * 255 + maxDataBytes, bound: bound), file: inner)
        }
        return try read(bytes: bytes, file: path)
    }

    /// How long an IDX file starting with `prefix` can be: 4 bytes until the magic number is
    /// known, then the header's length until the dimensions are known, then header + data.
    /// An error if the header read so far is invalid.
    public static func sizeBound(prefix: [UInt8], file: String) throws -> Int {
        guard prefix.count >= 4 else { return 4 }
        let rank = Int(prefix[3])
        guard prefix.count >= 4 + 4 * rank else {
            return try header(ByteReader(bytes: Array(prefix[0 ..< 4]), file: file), needDims: false).headerBytes
        }
        let h = try header(ByteReader(bytes: Array(prefix[0 ..< 4 + 4 * rank]), file: file), needDims: true)
        return h.headerBytes + h.dataBytes
    }

    struct Header { var type: IDXElementType; var dims: [Int]; var headerBytes: Int; var dataBytes: Int }

    /// Reads and checks the magic number and (if `needDims`) the dimensions.
    static func header(_ reader: ByteReader, needDims: Bool) throws -> Header {
        var r = reader
        let z0 = try r.u8("IDX magic number"), z1 = try r.u8("IDX magic number")
        guard z0 == 0, z1 == 0 else {
            throw r.error(at: 0, "bad IDX magic number: first two bytes are 0x\(hex(z0))\(hex(z1)), expected 0x0000 (is this an IDX file?)")
        }
        let typeByte = try r.u8("IDX element type")
        guard let type = IDXElementType(rawValue: typeByte) else {
            throw r.error(at: 2, "unknown IDX element type 0x\(hex(typeByte)); expected one of 0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E")
        }
        let rank = Int(try r.u8("IDX dimension count"))
        guard rank >= 1 else { throw r.error(at: 3, "IDX dimension count is 0; expected at least 1") }
        if !needDims { return Header(type: type, dims: [], headerBytes: 4 + 4 * rank, dataBytes: 0) }
        var dims: [Int] = []
        var total = 1
        for d in 0 ..< rank {
            let at = r.offset
            let n = Int(try r.u32be("IDX size of dimension \(d)"))
            let (p, overflow) = total.multipliedReportingOverflow(by: n)
            guard !overflow, p <= Int(Int32.max) else { throw r.error(at: at, "IDX dimensions too large (\(dims + [n]))") }
            total = p; dims.append(n)
        }
        let dataBytes = total * type.size
        guard dataBytes <= maxDataBytes else {
            throw r.error(at: 4, "IDX dims \(dims) of \(type.name) declare \(dataBytes) data bytes, more than the limit of \(maxDataBytes) (docs/LIMITS.md)")
        }
        return Header(type: type, dims: dims, headerBytes: r.offset, dataBytes: dataBytes)
    }

    /// Parses IDX bytes; `file` names the source in errors.
    public static func read(bytes: [UInt8], file: String) throws -> IDXArray {
        let h = try IDXReader.header(ByteReader(bytes: bytes, file: file), needDims: true)
        let (type, dims, dataBytes, header) = (h.type, h.dims, h.dataBytes, h.headerBytes)
        var r = ByteReader(bytes: bytes, file: file)
        r.seek(header)
        guard r.remaining >= dataBytes else {
            throw r.error(at: bytes.count, "truncated: IDX dims \(dims) of \(type.name) need \(dataBytes) data bytes from byte \(header) (file length \(header + dataBytes)), but the file ends at byte \(bytes.count)")
        }
        guard r.remaining == dataBytes else {
            throw r.error(at: header + dataBytes, "\(r.remaining - dataBytes) unexpected trailing bytes after the IDX data (dims \(dims) of \(type.name))")
        }
        return IDXArray(type: type, dims: dims, data: Array(bytes[header...]))
    }

    private static func hex(_ b: UInt8) -> String {
        let s = String(b, radix: 16, uppercase: true)
        return s.count == 1 ? "0" + s : s
    }
}

public enum IDXWriter {
    public static func bytes(_ a: IDXArray) -> [UInt8] {
        var w = ByteWriter()
        w.u32be(a.magic)
        for d in a.dims { w.u32be(UInt32(d)) }
        w.append(contentsOf: a.data)
        return w.bytes
    }

    public static func write(_ a: IDXArray, to path: String) throws {
        var w = ByteWriter()
        w.append(contentsOf: bytes(a))
        try w.write(to: path)
    }
}
