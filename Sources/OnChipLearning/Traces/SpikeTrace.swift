// An in-memory AER spike trace: a sensor (or layer) shape, the timestep length, and a list
// of samples, each a SpikeRaster with an optional class label. Stored on disk in chipsim's
// binary AER format (`AERFile`, see traces/README.md) or its CSV form (`AERCSV`).

/// Sensor shape of a trace: channel = polarity * width * height + y * width + x.
/// A layer of n neurons is recorded as width n, height 1, 1 polarity.
public struct TraceShape: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var polarities: Int

    public init(width: Int, height: Int, polarities: Int) {
        self.width = width; self.height = height; self.polarities = polarities
    }

    public var channels: Int { width * height * polarities }

    /// Readers reject samples longer than this (2^20 steps), so a corrupt length cannot
    /// make them allocate gigabytes.
    public static let maxSteps = 1 << 20

    /// Readers reject sensor shapes with more channels than this (2^24, the largest layer),
    /// since a trace drives an input layer of exactly its channel count (docs/LIMITS.md).
    public static let maxChannels = 1 << 24

    /// Readers reject traces whose samples together have more steps than this (2^25): each
    /// step costs 4 bytes of memory even when silent, so a small file of long empty samples
    /// could otherwise take gigabytes (docs/LIMITS.md).
    public static let maxTotalSteps = 1 << 25

    /// Largest trace file read (4 GiB), checked before reading (docs/LIMITS.md).
    public static let maxFileBytes = 1 << 32

    /// width * height * polarities if it fits in Int32 (channel indices are Int32), else nil.
    public static func channelCount(_ w: Int, _ h: Int, _ p: Int) -> Int? {
        let (wh, o1) = w.multipliedReportingOverflow(by: h)
        let (whp, o2) = wh.multipliedReportingOverflow(by: p)
        return o1 || o2 || whp > Int(Int32.max) ? nil : whp
    }

    public func channel(x: Int, y: Int, polarity: Int) -> Int { (polarity * height + y) * width + x }

    public func coordinates(_ channel: Int) -> (x: Int, y: Int, polarity: Int) {
        let plane = width * height
        return (channel % width, (channel % plane) / width, channel / plane)
    }
}

public struct TraceSample: Sendable, Equatable {
    /// Class label, or nil for an unlabelled sample (stored as -1).
    public var label: Int?
    public var raster: SpikeRaster

    public init(label: Int?, raster: SpikeRaster) { self.label = label; self.raster = raster }
}

public struct SpikeTrace: Sendable, Equatable {
    public var shape: TraceShape
    /// Length of one timestep in nanoseconds (documentation for readers; the engine's
    /// timestep is algorithmic).
    public var timestepNanoseconds: UInt32
    public var samples: [TraceSample]

    public init(shape: TraceShape, timestepNanoseconds: UInt32, samples: [TraceSample] = []) {
        self.shape = shape; self.timestepNanoseconds = timestepNanoseconds; self.samples = samples
    }

    public var eventCount: Int { samples.reduce(0) { $0 + $1.raster.count } }

    /// Throws unless every field fits its width in the file formats and the readers' limits
    /// (labels 0...2^31-1, steps, channels), so a trace that is written can be read back.
    public func checkWritable(path: String) throws {
        guard shape.width > 0, shape.height > 0, shape.polarities > 0,
              let c = TraceShape.channelCount(shape.width, shape.height, shape.polarities), c <= TraceShape.maxChannels else {
            throw ChipError.io(path: path, message: "sensor shape \(shape.width)x\(shape.height)x\(shape.polarities) is empty or has more than \(TraceShape.maxChannels) channels")
        }
        guard samples.count <= Int(UInt32.max) else { throw ChipError.io(path: path, message: "more than \(UInt32.max) samples") }
        var total = 0
        for (i, s) in samples.enumerated() {
            if let l = s.label, !(0 ... Int(Int32.max)).contains(l) {
                throw ChipError.io(path: path, message: "sample \(i): label \(l) is outside 0...\(Int32.max)")
            }
            guard s.raster.steps <= TraceShape.maxSteps else {
                throw ChipError.io(path: path, message: "sample \(i): \(s.raster.steps) steps exceeds the limit of \(TraceShape.maxSteps)")
            }
            total += s.raster.steps
        }
        guard total <= TraceShape.maxTotalSteps else {
            throw ChipError.io(path: path, message: "the samples hold \(total) steps in all, more than the limit of \(TraceShape.maxTotalSteps)")
        }
    }

    /// Reads a trace: CSV form if the path ends in ".csv", else the binary format.
    public static func read(path: String) throws -> SpikeTrace {
        if path.lowercased().hasSuffix(".csv") { return try AERCSV.read(path: path) }
        return try AERFile.read(path: path)
    }

    /// Writes a trace in the form chosen by the extension (".csv" or binary).
    public func write(path: String) throws {
        if path.lowercased().hasSuffix(".csv") { try AERCSV.write(self, to: path) }
        else { try AERFile.write(self, to: path) }
    }
}
