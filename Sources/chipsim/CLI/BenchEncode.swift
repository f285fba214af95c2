import Foundation
import ChipModel
import OnChipLearning

// chipsim bench encode: rate-encode all 5000 shipped MNIST images (default T = 32) and
// report wall time and spikes per second. Routed from `chipsim bench encode`.

enum BenchEncode {
    static let help = """
    USAGE: chipsim bench encode [--steps N] [--encoder rate|latency|dvs] [--seed N] [--data DIR] [--json]

    Encodes all 5000 MNIST-5k images (train + test) and prints the wall time and the
    spikes per second. Build with 'swift build -c release' for meaningful numbers.

    EXAMPLE:
      chipsim bench encode --steps 32
      chipsim bench encode --json
    """

    static func run(_ args: inout Arguments) throws -> Int32 {
        let steps = try args.int("steps", default: 32, in: 1...100_000)
        let seed = try args.int("seed", default: 0, in: 0...Int.max)
        let encoderName = try args.value("encoder") ?? "rate"
        let dataDir = try args.value("data")
        let json = args.flag("json")
        try args.finish()
        guard steps >= 1, seed >= 0 else { throw ChipError.usage("--steps must be >= 1 and --seed >= 0") }
        let all = try MNIST5k.loadAll(dataDirectory: DatasetLocator.dataDirectory(containing: MNIST5k.imagesFile, explicit: dataDir))
        var spikes = 0
        var checksum: UInt64 = 0
        let start = DispatchTime.now().uptimeNanoseconds
        switch encoderName {
        case "rate":
            let enc = RateEncoder(steps: steps, seed: UInt64(seed))
            var raster = SpikeRaster(channels: all.featureCount)
            for i in 0 ..< all.count {
                all.withFeatures(i) { enc.encode($0, sample: i, into: &raster) }
                spikes += raster.count
                checksum = checksum &* 31 &+ UInt64(raster.count)
            }
        case "latency", "dvs":
            let enc: any SpikeEncoder = encoderName == "latency" ? LatencyEncoder(steps: steps) : SaccadeDVSEncoder(steps: steps)
            for i in 0 ..< all.count {
                let r = enc.encode(all, sample: i)
                spikes += r.count
                checksum = checksum &* 31 &+ UInt64(r.count)
            }
        default:
            throw ChipError.usage("--encoder must be rate, latency or dvs, got '\(encoderName)'")
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let rate = Double(spikes) / seconds
        let build = Console.buildKind
        if json {
            print("{\"benchmark\": \"encode\", \"encoder\": \"\(encoderName)\", \"images\": \(all.count), \"steps\": \(steps), \"build\": \"\(build)\", "
                + "\"seconds\": \(seconds), \"spikes\": \(spikes), \"spikesPerSecond\": \(rate.rounded()), \"imagesPerSecond\": \((Double(all.count) / seconds).rounded()), \"checksum\": \(checksum)}")
        } else {
            print("encode \(encoderName): \(all.count) images x \(steps) steps (\(build) build)")
            print("  time     \(String(format: "%.4f", seconds)) s")
            print("  spikes   \(spikes)  (\(String(format: "%.3g", rate)) spikes/s, \(String(format: "%.0f", Double(all.count) / seconds)) images/s)")
            if build == "debug" { print("  note: debug build; use 'swift build -c release' for meaningful numbers") }
        }
        return 0
    }
}
