import Foundation

// Bounds-checked reading of binary files: every failure is a ChipError.binary naming the
// file and the byte offset where the expected item starts, so a truncated or corrupt file
// is reported, never crashed on, and never silently read short.

public struct ByteReader {
    public let file: String
    public let bytes: [UInt8]
    public private(set) var offset: Int = 0

    public init(bytes: [UInt8], file: String) {
        self.bytes = bytes; self.file = file
    }

    /// Reads a whole file; an unreadable file, or one larger than `maxBytes` (checked before
    /// reading), is a ChipError.io naming the path.
    public static func contents(of path: String, maxBytes: Int = Int.max) throws -> [UInt8] {
        if maxBytes < Int.max, let size = (try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber,
           size.int64Value > Int64(maxBytes) {
            throw ChipError.io(path: path, message: "file of \(size.int64Value) bytes exceeds the limit of \(maxBytes) bytes (docs/LIMITS.md)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: path, isDirectory: &isDir) {
                throw ChipError.io(path: path, message: isDir.boolValue ? "is a directory, expected a file" : "cannot be read")
            }
            throw ChipError.io(path: path, message: "no such file")
        }
        return [UInt8](data)
    }

    public init(path: String) throws {
        self.init(bytes: try ByteReader.contents(of: path), file: path)
    }

    public var remaining: Int { bytes.count - offset }
    public var atEnd: Bool { offset == bytes.count }

    public func error(at offset: Int, _ message: String) -> ChipError {
        ChipError.binary(file: file, offset: offset, message: message)
    }

    /// Throws unless `n` more bytes are present; `what` names the item for the message.
    public func need(_ n: Int, _ what: String) throws {
        if n > remaining {
            throw error(at: offset, "truncated: expected \(what) (\(n) bytes), but only \(remaining) bytes remain of \(bytes.count)")
        }
    }

    public mutating func seek(_ position: Int) { offset = position }

    public mutating func u8(_ what: String) throws -> UInt8 {
        try need(1, what)
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func u16le(_ what: String) throws -> UInt16 {
        try need(2, what)
        defer { offset += 2 }
        return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }

    public mutating func u32le(_ what: String) throws -> UInt32 {
        try need(4, what)
        defer { offset += 4 }
        var v: UInt32 = 0
        for k in 0 ..< 4 { v |= UInt32(bytes[offset + k]) << (8 * k) }
        return v
    }

    public mutating func u64le(_ what: String) throws -> UInt64 {
        try need(8, what)
        defer { offset += 8 }
        var v: UInt64 = 0
        for k in 0 ..< 8 { v |= UInt64(bytes[offset + k]) << (8 * k) }
        return v
    }

    public mutating func u32be(_ what: String) throws -> UInt32 {
        try need(4, what)
        defer { offset += 4 }
        var v: UInt32 = 0
        for k in 0 ..< 4 { v = v << 8 | UInt32(bytes[offset + k]) }
        return v
    }

    public mutating func slice(_ n: Int, _ what: String) throws -> ArraySlice<UInt8> {
        try need(n, what)
        defer { offset += n }
        return bytes[offset ..< offset + n]
    }
}

/// Little-endian byte output for the writers.
public struct ByteWriter {
    public var bytes: [UInt8] = []
    public init() {}
    public mutating func u8(_ v: UInt8) { bytes.append(v) }
    public mutating func u16le(_ v: UInt16) { bytes.append(UInt8(v & 0xFF)); bytes.append(UInt8(v >> 8)) }
    public mutating func u32le(_ v: UInt32) { for k in 0 ..< 4 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * k))) } }
    public mutating func u64le(_ v: UInt64) { for k in 0 ..< 8 { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * k))) } }
    public mutating func u32be(_ v: UInt32) { for k in (0 ..< 4).reversed() { bytes.append(UInt8(truncatingIfNeeded: v >> (8 * k))) } }
    public mutating func append<S: Sequence>(contentsOf s: S) where S.Element == UInt8 { bytes.append(contentsOf: s) }

    /// Writes atomically; failure is a ChipError.io naming the path.
    public func write(to path: String) throws {
        do { try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic) }
        catch { throw ChipError.io(path: path, message: "cannot write: \(error.localizedDescription)") }
    }
}
