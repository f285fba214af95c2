// Binning of timestamped address events into a SpikeRaster.
//
// An event at time ts (microseconds from the start of the recording) falls in step
// t = floor((ts - start) / binMicroseconds); events with t >= steps are dropped (the
// raster is a fixed window), and several events of one channel in one step give a single
// spike (the raster is binary). `start` defaults to 0 (N-MNIST timestamps start near 0).

public struct AddressEvent: Sendable, Equatable {
    public var x: Int
    public var y: Int
    /// 0 = OFF, 1 = ON.
    public var polarity: Int
    public var timestamp: UInt64

    public init(x: Int, y: Int, polarity: Int, timestamp: UInt64) {
        self.x = x; self.y = y; self.polarity = polarity; self.timestamp = timestamp
    }
}

public enum EventBinning {
    /// Bins events of a `width x height` sensor with two polarities into `steps` steps of
    /// `binMicroseconds`; channel = polarity * width * height + y * width + x.
    public static func raster(_ events: [AddressEvent], width: Int, height: Int, steps: Int,
                              binMicroseconds: UInt64, start: UInt64 = 0) -> SpikeRaster {
        precondition(binMicroseconds > 0)
        let plane = width * height
        var buckets = [[Int32]](repeating: [], count: steps)
        for e in events where e.timestamp >= start {
            let t = (e.timestamp - start) / binMicroseconds
            guard t < UInt64(steps) else { continue }
            buckets[Int(t)].append(Int32(e.polarity * plane + e.y * width + e.x))
        }
        var r = SpikeRaster(channels: 2 * plane)
        for var b in buckets {
            b.sort()
            var previous: Int32 = -1
            for c in b where c != previous { r.push(c); previous = c }
            r.endStep()
        }
        return r
    }
}
