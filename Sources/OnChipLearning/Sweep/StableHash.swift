import Foundation
import ChipModel

/// Stable identities of sweep points: a hash of a config's canonical JSON text.
///
/// Canonical text (so that equal configs get equal ids whatever their layout):
///   - object keys sorted by their UTF-8 bytes; "comment", "//" and "overrides" keys dropped
///     (remarks and the record of how the config was made, not what it is);
///   - numbers by value: an integral value below 2^53 in magnitude as an integer (`1.0` -> `1`),
///     any other as Swift's shortest round-tripping decimal (`5e-1` -> `0.5`);
///   - strings escaped as in reports; no whitespace.
/// Hash: 64-bit FNV-1a over the canonical text's UTF-8 bytes (offset basis 0xcbf29ce484222325,
/// prime 0x100000001b3), written as 16 lower-case hex digits. 64 bits keep the chance of any
/// collision in a sweep of 10^4 points below 10^-11; the sweep also refuses two points with
/// the same id (the same resolved config twice).
public enum StableHash {
    public static func fnv1a64(_ bytes: some Sequence<UInt8>) -> UInt64 { FNV1a64.hash(bytes: bytes) }

    public static func hex(_ v: UInt64) -> String { FNV1a64.hex(v) }

    static let dropped: Set<String> = ["comment", "//", "overrides"]

    public static func canonical(_ v: JSONValue) -> String {
        var s = ""
        write(v, into: &s)
        return s
    }

    static func write(_ v: JSONValue, into s: inout String) {
        switch v {
        case .null: s += "null"
        case .bool(let b): s += b ? "true" : "false"
        case .number(let x, _):
            if x == x.rounded() && abs(x) < 9_007_199_254_740_992 { s += String(Int64(x)) }
            else if x.isFinite { s += "\(x)" } else { s += "null" }
        case .string(let str): s += JSONValue.string(str).serialized()
        case .array(let items):
            s += "["
            for (k, it) in items.enumerated() { if k > 0 { s += "," }; write(it, into: &s) }
            s += "]"
        case .object(let kv):
            s += "{"
            let kept = kv.filter { !dropped.contains($0.0) }.sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
            for (k, (key, x)) in kept.enumerated() {
                if k > 0 { s += "," }
                s += JSONValue.string(key).serialized() + ":"; write(x, into: &s)
            }
            s += "}"
        }
    }

    /// The id of a resolved config: 16 hex digits of FNV-1a 64 of its canonical text.
    public static func id(of v: JSONValue) -> String { hex(fnv1a64(canonical(v).utf8)) }
}
