import Foundation

// chipsim's binary AER trace format, version 1 (all integers little-endian):
//
//   header, 40 bytes
//     0  4  magic "CAER" (0x43 0x41 0x45 0x52)
//     4  2  version = 1
//     6  2  header size in bytes = 40
//     8  4  width           \
//    12  4  height           } channel = polarity * width * height + y * width + x
//    16  4  polarities      /
//    20  4  timestep length in nanoseconds
//    24  4  sample count
//    28  4  reserved, 0
//    32  8  total event count
//   then, per sample, a 16-byte sample header
//     0  4  label (signed; -1 = unlabelled)
//     4  4  steps of this sample (at most 2^20)
//     8  8  event count of this sample
//   followed by its events, 8 bytes each: step (u32), channel (u32), sorted strictly
//   ascending by (step, channel) (a channel spikes at most once per step).
// The file ends exactly after the last sample. Samples are self-delimiting, so the format
// can be written as a stream (`TraceWriter`) and the header counts patched at the end.

public enum AERFile {
    public static let magic: [UInt8] = Array("CAER".utf8)
    public static let version: UInt16 = 1
    public static let headerSize = 40
    public static let sampleHeaderSize = 16
    public static let eventSize = 8

    public static func headerBytes(shape: TraceShape, timestepNanoseconds: UInt32, samples: Int, events: Int) -> [UInt8] {
        var w = ByteWriter()
        w.append(contentsOf: magic)
        w.u16le(version); w.u16le(UInt16(headerSize))
        w.u32le(UInt32(shape.width)); w.u32le(UInt32(shape.height)); w.u32le(UInt32(shape.polarities))
        w.u32le(timestepNanoseconds); w.u32le(UInt32(samples)); w.u32le(0); w.u64le(UInt64(events))
        return w.bytes
    }

    public static func sampleBytes(_ s: TraceSample) -> [UInt8] {
        var w = ByteWriter()
        w.bytes.reserveCapacity(sampleHeaderSize + eventSize * s.raster.count)
        // Callers check labels and steps first (SpikeTrace.checkWritable); truncation here only
        // keeps an unchecked caller from trapping.
        w.u32le(UInt32(truncatingIfNeeded: s.label ?? -1))
        w.u32le(UInt32(truncatingIfNeeded: s.raster.steps)); w.u64le(UInt64(s.raster.count))
        for t in 0 ..< s.raster.steps {
            for c in s.raster.spikes(at: t) { w.u32le(UInt32(t)); w.u32le(UInt32(c)) }
        }
        return w.bytes
    }

    public static func encode(_ trace: SpikeTrace) -> [UInt8] {
        var out = headerBytes(shape: trace.shape, timestepNanoseconds: trace.timestepNanoseconds,
                              samples: trace.samples.count, events: trace.eventCount)
        for s in trace.samples { out += sampleBytes(s) }
        return out
    }

    public static func write(_ trace: SpikeTrace, to path: String) throws {
        try trace.checkWritable(path: path)
        var w = ByteWriter(); w.bytes = encode(trace)
        try w.write(to: path)
    }

    public static func read(path: String) throws -> SpikeTrace {
        try decode(try ByteReader.contents(of: path, maxBytes: TraceShape.maxFileBytes), file: path)
    }

    /// The header fields only (for `trace info` on big files, and for validation).
    public struct Header: Sendable, Equatable {
        public var shape: TraceShape
        public var timestepNanoseconds: UInt32
        public var samples: Int
        public var events: Int
    }

    public static func decodeHeader(_ r: inout ByteReader) throws -> Header {
        let m = try r.slice(4, "magic number \"CAER\"")
        guard Array(m) == magic else {
            throw r.error(at: 0, "bad magic number \(m.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined(separator: " ")); expected \"CAER\" (43 41 45 52): not a chipsim AER trace")
        }
        let v = try r.u16le("version")
        guard v == version else { throw r.error(at: 4, "unsupported version \(v); this chipsim reads version \(version)") }
        let hs = try r.u16le("header size")
        guard Int(hs) == headerSize else { throw r.error(at: 6, "header size \(hs); expected \(headerSize) for version 1") }
        let w = Int(try r.u32le("width")), h = Int(try r.u32le("height")), p = Int(try r.u32le("polarities"))
        guard w > 0, h > 0, p > 0 else { throw r.error(at: 8, "empty sensor shape \(w)x\(h)x\(p)") }
        guard let c = TraceShape.channelCount(w, h, p), c <= TraceShape.maxChannels else {
            throw r.error(at: 8, "sensor shape \(w)x\(h)x\(p) has more than \(TraceShape.maxChannels) channels (docs/LIMITS.md)")
        }
        let dt = try r.u32le("timestep length")
        let n = Int(try r.u32le("sample count"))
        let reserved = try r.u32le("reserved field")
        guard reserved == 0 else { throw r.error(at: 28, "reserved field is \(reserved); expected 0") }
        let e = try r.u64le("event count")
        guard e <= UInt64(Int32.max) * 64 else { throw r.error(at: 32, "implausible event count \(e)") }
        return Header(shape: TraceShape(width: w, height: h, polarities: p), timestepNanoseconds: dt, samples: n, events: Int(e))
    }

    /// `maxTotalSteps` is `TraceShape.maxTotalSteps` except in tests.
    public static func decode(_ bytes: [UInt8], file: String, maxTotalSteps: Int = TraceShape.maxTotalSteps) throws -> SpikeTrace {
        var r = ByteReader(bytes: bytes, file: file)
        let h = try decodeHeader(&r)
        let channels = h.shape.channels
        // Each sample needs at least its 16-byte header: reject absurd counts before allocating.
        guard h.samples <= r.remaining / sampleHeaderSize else {
            throw r.error(at: 24, "header declares \(h.samples) samples, but only \(r.remaining) bytes follow the header (each sample needs at least \(sampleHeaderSize))")
        }
        var samples: [TraceSample] = []
        samples.reserveCapacity(h.samples)
        var total = 0, totalSteps = 0
        for s in 0 ..< h.samples {
            let at = r.offset
            let label = Int32(bitPattern: try r.u32le("label of sample \(s)"))
            guard label >= -1 else { throw r.error(at: at, "sample \(s): label \(label) is negative (only -1, unlabelled, is allowed)") }
            let steps = Int(try r.u32le("steps of sample \(s)"))
            let nAt = r.offset
            let n64 = try r.u64le("event count of sample \(s)")
            guard n64 <= UInt64(r.remaining / eventSize) else {
                throw r.error(at: nAt, "truncated: sample \(s) declares \(n64) events (\(n64 &* 8) bytes) but only \(r.remaining) bytes remain")
            }
            let n = Int(n64)
            guard steps <= TraceShape.maxSteps else {
                throw r.error(at: at + 4, "sample \(s): \(steps) steps exceeds the limit of \(TraceShape.maxSteps) steps per sample")
            }
            totalSteps += steps
            guard totalSteps <= maxTotalSteps else {
                throw r.error(at: at + 4, "sample \(s): the samples so far hold \(totalSteps) steps, more than the limit of \(maxTotalSteps) per trace (docs/LIMITS.md)")
            }
            guard n < Int(Int32.max) else { throw r.error(at: nAt, "sample \(s): too many events (\(n))") }
            var raster = SpikeRaster(channels: channels)
            raster.reserve(steps: steps, spikes: n)
            var currentStep = 0
            var previous = -1
            for k in 0 ..< n {
                let eAt = r.offset
                let t = Int(try r.u32le("event \(k) of sample \(s)")), c = Int(try r.u32le("event \(k) of sample \(s)"))
                guard t < steps else { throw r.error(at: eAt, "sample \(s) event \(k): step \(t) is not below the sample's \(steps) steps") }
                guard c < channels else { throw r.error(at: eAt + 4, "sample \(s) event \(k): channel \(c) is out of range 0..<\(channels)") }
                guard t > currentStep || (t == currentStep && c > previous) else {
                    throw r.error(at: eAt, "sample \(s) event \(k): (step \(t), channel \(c)) is not after the previous event (events must be sorted by step, then channel, without duplicates)")
                }
                while currentStep < t { raster.endStep(); currentStep += 1; previous = -1 }
                raster.push(Int32(c)); previous = c
            }
            while raster.steps < steps { raster.endStep() }
            total += n
            samples.append(TraceSample(label: label == -1 ? nil : Int(label), raster: raster))
        }
        guard total == h.events else {
            throw r.error(at: 32, "header declares \(h.events) events, the samples hold \(total)")
        }
        guard r.atEnd else { throw r.error(at: r.offset, "\(r.remaining) unexpected trailing bytes after the last sample") }
        return SpikeTrace(shape: h.shape, timestepNanoseconds: h.timestepNanoseconds, samples: samples)
    }
}
