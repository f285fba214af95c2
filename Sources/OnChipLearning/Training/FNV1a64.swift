/// FNV-1a, 64-bit (offset basis 0xcbf29ce484222325, prime 0x100000001b3): the checksum of a
/// checkpoint's canonical text. It detects damage (a flipped digit, a truncated array), not
/// tampering; its value is written as 16 lowercase hex digits.
public enum FNV1a64 {
    public static func hash(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }

    public static func hex(_ text: String) -> String {
        let s = String(hash(text), radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
