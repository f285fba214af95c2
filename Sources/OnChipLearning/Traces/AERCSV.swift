import Foundation

// The CSV form of a chipsim AER trace, for reading and writing by hand or with other tools.
// One record per line, comma-separated; the first field names the record; lines starting
// with '#' and blank lines are ignored:
//
//   chipsim-aer,1,<width>,<height>,<polarities>,<timestep_ns>     (first record, once)
//   sample,<label or empty>,<steps>                               (starts a sample)
//   event,<step>,<x>,<y>,<polarity>                               (a spike of the current sample)
//
// Events of a sample must be sorted by step, then channel (polarity, y, x), without duplicates.
// Errors name the file, line and column.

public enum AERCSV {
    public static func encode(_ trace: SpikeTrace) -> String {
        let s = trace.shape
        var out = "# chipsim AER trace, CSV form (see traces/README.md)\n"
        out += "chipsim-aer,1,\(s.width),\(s.height),\(s.polarities),\(trace.timestepNanoseconds)\n"
        for sample in trace.samples {
            out += "sample,\(sample.label.map(String.init) ?? ""),\(sample.raster.steps)\n"
            for t in 0 ..< sample.raster.steps {
                for c in sample.raster.spikes(at: t) {
                    let (x, y, p) = s.coordinates(Int(c))
                    out += "event,\(t),\(x),\(y),\(p)\n"
                }
            }
        }
        return out
    }

    public static func write(_ trace: SpikeTrace, to path: String) throws {
        try trace.checkWritable(path: path)
        var w = ByteWriter(); w.bytes = Array(encode(trace).utf8)
        try w.write(to: path)
    }

    public static func read(path: String) throws -> SpikeTrace {
        let bytes = try ByteReader.contents(of: path, maxBytes: TraceShape.maxFileBytes)
        guard let text = String(bytes: bytes, encoding: .utf8) else {
            throw ChipError.io(path: path, message: "not UTF-8 text")
        }
        return try decode(text, file: path)
    }

    /// `maxTotalSteps` is `TraceShape.maxTotalSteps` except in tests.
    public static func decode(_ text: String, file: String, maxTotalSteps: Int = TraceShape.maxTotalSteps) throws -> SpikeTrace {
        var trace: SpikeTrace?
        var raster: SpikeRaster?
        var label: Int?
        var lastStep = 0, lastChannel = -1
        var pendingSteps = 0, totalSteps = 0
        func close() {
            guard var r = raster, trace != nil else { return }
            while r.steps < pendingSteps { r.endStep() }
            trace!.samples.append(TraceSample(label: label, raster: r))
            raster = nil
        }
        // "\r\n" is one Character in Swift, so split on either line ending explicitly.
        for (n, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }).enumerated() {
            let lineNo = n + 1
            var line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if n == 0, line.hasPrefix("\u{FEFF}") { line = line.dropFirst() }
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) || line.hasPrefix("#") { continue }
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            var columns: [Int] = [1]
            for f in line.split(separator: ",", omittingEmptySubsequences: false).dropLast() { columns.append(columns.last! + f.count + 1) }
            func fail(_ k: Int, _ message: String) -> ChipError {
                .syntax(file: file, line: lineNo, column: columns[min(k, columns.count - 1)], message: message)
            }
            func int(_ k: Int, _ what: String, below limit: Int? = nil) throws -> Int {
                guard fields[k].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let v = Int(fields[k]), v >= 0 else { throw fail(k, "\(what): expected a non-negative integer, found '\(fields[k])'") }
                if let limit, v >= limit { throw fail(k, "\(what) \(v) is out of range 0..<\(limit)") }
                return v
            }
            switch fields[0] {
            case "chipsim-aer":
                guard trace == nil else { throw fail(0, "second 'chipsim-aer' header record") }
                guard fields.count == 6 else { throw fail(0, "header record needs 6 fields: chipsim-aer,1,width,height,polarities,timestep_ns") }
                guard fields[1] == "1" else { throw fail(1, "unsupported version '\(fields[1])'; expected 1") }
                let w = try int(2, "width"), h = try int(3, "height"), p = try int(4, "polarities")
                guard w > 0, h > 0, p > 0 else { throw fail(2, "empty sensor shape \(w)x\(h)x\(p)") }
                guard let c = TraceShape.channelCount(w, h, p), c <= TraceShape.maxChannels else {
                    throw fail(2, "sensor shape \(w)x\(h)x\(p) has more than \(TraceShape.maxChannels) channels (docs/LIMITS.md)")
                }
                let dt = try int(5, "timestep_ns", below: Int(UInt32.max) + 1)
                trace = SpikeTrace(shape: TraceShape(width: w, height: h, polarities: p), timestepNanoseconds: UInt32(dt))
            case "sample":
                guard let tr = trace else { throw fail(0, "'sample' record before the 'chipsim-aer' header record") }
                guard fields.count == 3 else { throw fail(0, "sample record needs 3 fields: sample,label,steps") }
                close()
                if fields[1].isEmpty { label = nil } else { label = try int(1, "label", below: Int(Int32.max) + 1) }
                pendingSteps = try int(2, "steps", below: TraceShape.maxSteps + 1)
                totalSteps += pendingSteps
                guard totalSteps <= maxTotalSteps else {
                    throw fail(2, "the samples so far hold \(totalSteps) steps, more than the limit of \(maxTotalSteps) per trace (docs/LIMITS.md)")
                }
                raster = SpikeRaster(channels: tr.shape.channels)
                lastStep = 0; lastChannel = -1
            case "event":
                guard let tr = trace, raster != nil else { throw fail(0, "'event' record before any 'sample' record") }
                guard fields.count == 5 else { throw fail(0, "event record needs 5 fields: event,step,x,y,polarity") }
                let t = try int(1, "step", below: pendingSteps)
                let x = try int(2, "x", below: tr.shape.width), y = try int(3, "y", below: tr.shape.height)
                let p = try int(4, "polarity", below: tr.shape.polarities)
                let c = tr.shape.channel(x: x, y: y, polarity: p)
                guard t > lastStep || (t == lastStep && c > lastChannel) else {
                    throw fail(1, "event not after the previous one (events must be sorted by step, then polarity, y, x, without duplicates)")
                }
                while raster!.steps < t { raster!.endStep() }
                raster!.push(Int32(c))
                lastStep = t; lastChannel = c
            default:
                throw fail(0, "unknown record '\(fields[0])'; expected chipsim-aer, sample or event")
            }
        }
        guard trace != nil else {
            throw ChipError.syntax(file: file, line: 1, column: 1, message: "no 'chipsim-aer' header record")
        }
        close()
        return trace!
    }
}
