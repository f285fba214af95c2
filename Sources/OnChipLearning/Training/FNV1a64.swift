/// FNV-1a, 64-bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3): the checksum of a
/// checkpoint's canonical text. It detects damage (a flipped digit, a truncated array), not
/// tampering; its value is written as 16 lowercase hex digits.
/// Sweep point ids (StableHash) use the same function.
public enum FNV1a64 {
    public static func hash(bytes: some Sequence<UInt8>) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }

    public static func hash(_ text: String) -> UInt64 { hash(bytes: text.utf8) }

    /// 16 lowercase hex digits.
    public static func hex(_ value: UInt64) -> String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }

    public static func hex(_ text: String) -> String { hex(hash(text)) }
}
