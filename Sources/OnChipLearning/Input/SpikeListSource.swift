import Foundation
import ChipModel

/// Explicit input spikes from a CSV file:
///     sample,step,channel
///     0,0,5
///     0,3,17
/// One spike per line; lines may come in any order; duplicates are errors. Samples are
/// 0...(max sample), steps must be < run.steps, channels < the input layer's size.
public struct SpikeListSource: SpikeSource {
    public let channels: Int
    public let samples: Int
    /// spikes[sample][step] = ascending channels.
    let table: [[ContiguousArray<Int32>]]

    public init(path: String, channels: Int, steps: Int) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ChipError.io(path: path, message: "cannot read the spike list file (does it exist?)")
        }
        let text = String(decoding: data, as: UTF8.self)
        var rows: [(Int, Int, Int)] = []
        var lineNo = 0
        var sawHeader = false
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNo += 1
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
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
                guard let x = Int(s), x >= 0 else {
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
            if v[0] > 10_000_000 { throw ChipError.syntax(file: path, line: lineNo, column: 1, message: "sample \(v[0]) is too large") }
            rows.append((v[0], v[1], v[2]))
        }
        if !sawHeader { throw ChipError.syntax(file: path, line: max(lineNo, 1), column: 1, message: "empty spike list; expected the header 'sample,step,channel' and spikes") }
        let nSamples = (rows.map(\.0).max() ?? 0) + 1
        var t = [[ContiguousArray<Int32>]](repeating: [ContiguousArray<Int32>](repeating: [], count: steps), count: nSamples)
        for (s, st, c) in rows { t[s][st].append(Int32(c)) }
        for s in 0..<nSamples {
            for st in 0..<steps {
                t[s][st].sort()
                for k in 1..<max(1, t[s][st].count) where t[s][st][k] == t[s][st][k - 1] {
                    throw ChipError.config(file: path, path: "sample \(s), step \(st)", message: "channel \(t[s][st][k]) spikes twice in the same step")
                }
            }
        }
        table = t; samples = nSamples; self.channels = channels
    }

    public func label(sample: Int) -> Int? { nil }

    public func spikes(sample: Int, step: Int, into out: inout ContiguousArray<Int32>) {
        if step < table[sample].count { out.append(contentsOf: table[sample][step]) }
    }
}
