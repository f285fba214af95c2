// Reader for the N-MNIST / N-Caltech101 binary event files (Orchard et al. 2015).
//
// Each event is 5 bytes (40 bits, big-endian bit numbering):
//   byte 0      bits 39-32  x address (pixels)
//   byte 1      bits 31-24  y address (pixels)
//   byte 2 b7   bit  23     polarity (0 OFF, 1 ON)
//   byte 2 b6-0, bytes 3-4  bits 22-0  timestamp (microseconds)
// As in the dataset authors' reader, an event with y == 240 is a timestamp-overflow marker
// (not a spike): every later timestamp is increased by 2^13 us per marker seen.
// N-MNIST's sensor is 34 x 34; an address outside the given sensor is an error naming the
// event's byte offset, as is a length that is not a multiple of 5.

public enum NMNIST {
    public static let width = 34
    public static let height = 34
    public static let overflowY = 240
    public static let overflowIncrement: UInt64 = 1 << 13

    public static func read(path: String, width: Int = NMNIST.width, height: Int = NMNIST.height) throws -> [AddressEvent] {
        try read(bytes: try ByteReader.contents(of: path, maxBytes: maxFileBytes), file: path, width: width, height: height)
    }

    public static func read(bytes: [UInt8], file: String, width: Int = NMNIST.width, height: Int = NMNIST.height) throws -> [AddressEvent] {
        guard bytes.count % 5 == 0 else {
            throw ChipError.binary(file: file, offset: bytes.count - bytes.count % 5,
                                   message: "truncated event: file length \(bytes.count) is not a multiple of 5 bytes (\(bytes.count % 5) bytes left over)")
        }
        var events: [AddressEvent] = []
        events.reserveCapacity(bytes.count / 5)
        var extra: UInt64 = 0
        var o = 0
        while o < bytes.count {
            let x = Int(bytes[o]), y = Int(bytes[o + 1]), b2 = bytes[o + 2]
            let ts = UInt64(b2 & 0x7F) << 16 | UInt64(bytes[o + 3]) << 8 | UInt64(bytes[o + 4])
            if y == overflowY {
                extra += overflowIncrement
            } else {
                guard x < width, y < height else {
                    throw ChipError.binary(file: file, offset: o, message: "event \(o / 5): address (x \(x), y \(y)) outside the \(width)x\(height) sensor")
                }
                events.append(AddressEvent(x: x, y: y, polarity: Int(b2 >> 7), timestamp: ts + extra))
            }
            o += 5
        }
        return events
    }

    /// Encodes events back to the 5-byte format (timestamps must be < 2^23; no overflow markers).
    public static func bytes(_ events: [AddressEvent]) -> [UInt8] {
        var out: [UInt8] = []
        for e in events {
            precondition(e.timestamp < 1 << 23 && e.x < 256 && e.y < 256)
            out += [UInt8(e.x), UInt8(e.y), UInt8(e.polarity << 7) | UInt8(e.timestamp >> 16),
                    UInt8(truncatingIfNeeded: e.timestamp >> 8), UInt8(truncatingIfNeeded: e.timestamp)]
        }
        return out
    }

    /// Largest N-MNIST event file read (64 MiB; a recording is ~20 KB; docs/LIMITS.md).
    public static let maxFileBytes = 1 << 26

    /// Reads one N-MNIST file and bins it (default 10 ms bins; N-MNIST samples last ~300 ms).
    /// `steps` must be in 1...EncoderSpec.maxSteps and `binMicroseconds` at least 1.
    public static func raster(path: String, steps: Int, binMicroseconds: UInt64 = 10_000) throws -> SpikeRaster {
        try EncoderSpec.checkSteps(steps)
        guard binMicroseconds >= 1 else { throw ChipError.usage("--bin-us must be at least 1") }
        return EventBinning.raster(try read(path: path), width: width, height: height, steps: steps, binMicroseconds: binMicroseconds)
    }
}
