import Foundation

// Streams samples into a binary AER trace file (format in AERFile.swift), so a run can
// record the spikes of a layer sample by sample without keeping them in memory:
//
//     let w = try TraceWriter(path: "out/spikes-layer1.aer",
//                             shape: TraceShape(width: 100, height: 1, polarities: 1),
//                             timestepNanoseconds: 1000)
//     for each sample: try w.append(raster, label: label)
//     try w.finish()          // patches the header's sample and event counts
//
// Until `finish()` the header holds zero counts, so an interrupted file is rejected by
// the reader (trailing bytes) rather than read short.

public final class TraceWriter {
    public let path: String
    public let shape: TraceShape
    public let timestepNanoseconds: UInt32
    public private(set) var samples = 0
    public private(set) var events = 0
    private var file: OutputFile?

    public init(path: String, shape: TraceShape, timestepNanoseconds: UInt32) throws {
        self.path = path; self.shape = shape; self.timestepNanoseconds = timestepNanoseconds
        let f = try OutputFile(creating: path)
        try f.write(AERFile.headerBytes(shape: shape, timestepNanoseconds: timestepNanoseconds, samples: 0, events: 0))
        file = f
    }

    /// Appends one sample. The raster's channel count must equal the shape's.
    public func append(_ raster: SpikeRaster, label: Int?) throws {
        guard let file else { throw ChipError.io(path: path, message: "trace writer already finished") }
        guard raster.channels == shape.channels else {
            throw ChipError.usage("trace \(path): raster has \(raster.channels) channels, the trace shape has \(shape.channels)")
        }
        guard raster.steps <= TraceShape.maxSteps else {
            throw ChipError.usage("trace \(path): a sample of \(raster.steps) steps exceeds the format's limit of \(TraceShape.maxSteps)")
        }
        guard samples < Int(UInt32.max) else {
            throw ChipError.io(path: path, message: "a trace holds at most \(UInt32.max) samples")
        }
        // The format stores a label in 32 bits (-1: none), as SpikeTrace.checkWritable checks.
        if let label, !(0 ... Int(Int32.max)).contains(label) {
            throw ChipError.usage("trace \(path): sample \(samples): label \(label) is outside 0...\(Int32.max)")
        }
        try file.write(AERFile.sampleBytes(TraceSample(label: label, raster: raster)))
        samples += 1; events += raster.count
    }

    /// Patches the header counts and closes the file.
    public func finish() throws {
        guard let file else { return }
        self.file = nil
        var w = ByteWriter()
        w.u32le(UInt32(samples)); w.u32le(0); w.u64le(UInt64(events))
        try file.write(w.bytes, at: 24)
        try file.close()
    }

    deinit { try? finish() }
}
