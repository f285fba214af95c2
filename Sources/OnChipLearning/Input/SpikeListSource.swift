import Foundation
import ChipModel

/// Explicit input spikes from a CSV file:
///     sample,step,channel
///     0,0,5
///     0,3,17
/// One spike per line (LF or CRLF line ends; '#' comments and blank lines ignored); lines may
/// come in any order; duplicates are errors. Samples are 0...(max sample), steps must be
/// < run.steps, channels < the input layer's size. Limits (docs/LIMITS.md): samples x steps
/// at most `maxSampleSteps` (each step of each sample costs memory even when silent), the file
/// at most `maxFileBytes`; both are checked before the spikes are stored.
public struct SpikeListSource: SpikeSource {
    public let channels: Int
    public let samples: Int
    /// One raster per sample (CSR by step).
    let rasters: [SpikeRaster]

    /// Largest samples x steps of a spike list (2^25, as `TraceShape.maxTotalSteps`).
    public static let maxSampleSteps = TraceShape.maxTotalSteps
    /// Largest spike list file read (1 GiB).
    public static let maxFileBytes = 1 << 30

    public init(path: String, channels: Int, steps: Int) throws {
        let data = try ByteReader.contents(of: path, maxBytes: SpikeListSource.maxFileBytes)
        try self.init(text: String(decoding: data, as: UTF8.self), file: path, channels: channels, steps: steps)
    }

    /// Parses the text of a spike list; `file` names it in errors.
    public init(text: String, file path: String, channels: Int, steps: Int) throws {
        var rows: [(sample: Int, step: Int, channel: Int)] = []
        var lineNo = 0
        var sawHeader = false
        let maxSamples = max(1, SpikeListSource.maxSampleSteps / max(steps, 1))
        // "\r\n" is one Character in Swift, so split on either line ending explicitly.
        for raw in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            lineNo += 1
            var line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if lineNo == 1, line.hasPrefix("\u{FEFF}") { line.removeFirst() }
            if line.isEmpty || line.hasPrefix("#") { continue }
            if !sawHeader {
                guard line.replacingOccurrences(of: " ", with: "") == "sample,step,channel" else {
                    throw ChipError.syntax(file: path, line: lineNo, column: 1, message: "expected the header 'sample,step,channel'")
                }
                sawHeader = true
                continue
            }
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count == 3 else {
                throw ChipError.syntax(file: path, line: lineNo, column: 1, message: "expected 3 comma-separated integers (sample,step,channel), found \(f.count) fields")
            }
            var v = [Int]()
            var col = 1
            for (k, s) in f.enumerated() {
                guard !s.isEmpty, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let x = Int(s) else {
                    throw ChipError.syntax(file: path, line: lineNo, column: col, message: "'\(s)' is not a non-negative integer (field \(["sample", "step", "channel"][k]))")
                }
                v.append(x); col += s.count + 1
            }
            if v[1] >= steps {
                throw ChipError.syntax(file: path, line: lineNo, column: f[0].count + 2, message: "step \(v[1]) is out of range; run.steps is \(steps)")
            }
            if v[2] >= channels {
                throw ChipError.syntax(file: path, line: lineNo, column: f[0].count + f[1].count + 3, message: "channel \(v[2]) is out of range; the input layer has \(channels) channels")
            }
            if v[0] >= maxSamples {
                throw ChipError.syntax(file: path, line: lineNo, column: 1, message: "sample \(v[0]) is out of range: at most \(maxSamples) samples of \(steps) steps (\(SpikeListSource.maxSampleSteps) sample-steps; docs/LIMITS.md)")
            }
            rows.append((v[0], v[1], v[2]))
        }
        if !sawHeader { throw ChipError.syntax(file: path, line: max(lineNo, 1), column: 1, message: "empty spike list; expected the header 'sample,step,channel' and spikes") }
        rows.sort { ($0.sample, $0.step, $0.channel) < ($1.sample, $1.step, $1.channel) }
        let nSamples = (rows.last?.sample ?? 0) + 1
        var rs: [SpikeRaster] = []
        rs.reserveCapacity(nSamples)
        var k = 0
        for s in 0 ..< nSamples {
            var r = SpikeRaster(channels: channels)
            for t in 0 ..< steps {
                var previous = -1
                while k < rows.count, rows[k].sample == s, rows[k].step == t {
                    let c = rows[k].channel
                    if c == previous {
                        throw ChipError.config(file: path, path: "sample \(s), step \(t)", message: "channel \(c) spikes twice in the same step")
                    }
                    r.push(Int32(c)); previous = c; k += 1
                }
                r.endStep()
            }
            rs.append(r)
        }
        rasters = rs; samples = nSamples; self.channels = channels
    }

    public func label(sample: Int) -> Int? { nil }

    public func spikes(sample: Int, step: Int, into out: inout ContiguousArray<Int32>) {
        if step < rasters[sample].steps { rasters[sample].appendSpikes(at: step, into: &out) }
    }
}
