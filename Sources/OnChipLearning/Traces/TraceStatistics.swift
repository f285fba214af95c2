// Summary statistics of a trace, for `chipsim trace info` and reports.

public struct TraceStatistics: Sendable {
    public let trace: SpikeTrace
    public let events: Int
    public let minSteps: Int, maxSteps: Int, totalSteps: Int
    public let perSample: (min: Int, max: Int, mean: Double)
    public let perChannel: (min: Int, max: Int, mean: Double, std: Double, silent: Int)
    /// Spikes per channel per timestep, over all samples.
    public let rate: Double
    public let labels: [Int: Int]
    public let unlabelled: Int

    public init(_ trace: SpikeTrace) {
        self.trace = trace
        let n = trace.samples.count
        var perCh = [Int](repeating: 0, count: trace.shape.channels)
        var labels: [Int: Int] = [:], unlabelled = 0
        var minS = Int.max, maxS = 0, total = 0, minE = Int.max, maxE = 0, events = 0
        for s in trace.samples {
            for c in s.raster.indices { perCh[Int(c)] += 1 }
            minS = min(minS, s.raster.steps); maxS = max(maxS, s.raster.steps); total += s.raster.steps
            minE = min(minE, s.raster.count); maxE = max(maxE, s.raster.count); events += s.raster.count
            if let l = s.label { labels[l, default: 0] += 1 } else { unlabelled += 1 }
        }
        self.events = events
        minSteps = n == 0 ? 0 : minS; maxSteps = maxS; totalSteps = total
        perSample = (n == 0 ? 0 : minE, maxE, n == 0 ? 0 : Double(events) / Double(n))
        let k = Double(perCh.count)
        let mean = Double(events) / k
        let variance = perCh.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / k
        perChannel = (perCh.min() ?? 0, perCh.max() ?? 0, mean, variance.squareRoot(), perCh.filter { $0 == 0 }.count)
        rate = total == 0 ? 0 : Double(events) / (k * Double(total))
        self.labels = labels; self.unlabelled = unlabelled
    }

    func fmt(_ x: Double) -> String {
        let r = (x * 10000).rounded() / 10000
        return "\(r)"
    }

    public func text(file: String) -> String {
        let sh = trace.shape
        var s = "\(file): chipsim AER trace\n"
        s += "  sensor        \(sh.width) x \(sh.height) x \(sh.polarities) polarities = \(sh.channels) channels\n"
        s += "  timestep      \(trace.timestepNanoseconds) ns\n"
        s += "  samples       \(trace.samples.count) (steps \(minSteps == maxSteps ? "\(maxSteps)" : "\(minSteps)...\(maxSteps)"))\n"
        s += "  events        \(events)\n"
        s += "  per sample    min \(perSample.min), max \(perSample.max), mean \(fmt(perSample.mean))\n"
        s += "  per channel   min \(perChannel.min), max \(perChannel.max), mean \(fmt(perChannel.mean)), std \(fmt(perChannel.std)), silent \(perChannel.silent) of \(sh.channels)\n"
        s += "  rate          \(fmt(rate)) spikes per channel per step\n"
        let ls = labels.keys.sorted().map { "\($0): \(labels[$0]!)" }.joined(separator: ", ")
        s += "  labels        \(ls.isEmpty ? "none" : ls)\(unlabelled > 0 ? "; unlabelled \(unlabelled)" : "")\n"
        return s
    }

    public func json(file: String) -> String {
        let sh = trace.shape
        let ls = labels.keys.sorted().map { "\"\($0)\": \(labels[$0]!)" }.joined(separator: ", ")
        let escaped = file.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "{\"file\": \"\(escaped)\", \"width\": \(sh.width), \"height\": \(sh.height), \"polarities\": \(sh.polarities), "
            + "\"channels\": \(sh.channels), \"timestepNs\": \(trace.timestepNanoseconds), \"samples\": \(trace.samples.count), "
            + "\"minSteps\": \(minSteps), \"maxSteps\": \(maxSteps), \"events\": \(events), "
            + "\"perSample\": {\"min\": \(perSample.min), \"max\": \(perSample.max), \"mean\": \(fmt(perSample.mean))}, "
            + "\"perChannel\": {\"min\": \(perChannel.min), \"max\": \(perChannel.max), \"mean\": \(fmt(perChannel.mean)), \"std\": \(fmt(perChannel.std)), \"silent\": \(perChannel.silent)}, "
            + "\"rate\": \(fmt(rate)), \"labels\": {\(ls)}, \"unlabelled\": \(unlabelled)}"
    }
}
