import Foundation
import ChipModel
import OnChipLearning

// chipsim trace: make, inspect and convert AER spike traces.

enum TraceCommand: Subcommand {
    static let name = "trace"
    static let summary = "Encode datasets to AER spike traces, inspect or convert traces"
    static let help = """
    USAGE:
      chipsim trace encode --dataset <mnist5k|yinyang> --encoder <rate|latency|dvs> --out FILE [options]
      chipsim trace nmnist FILE... --out FILE [--steps N] [--bin-us US] [--label L]
      chipsim trace info FILE [--json]
      chipsim trace convert IN OUT

    encode: encode samples of a dataset into a trace (binary, or CSV if OUT ends in .csv).
      --dataset NAME      mnist5k (shipped MNIST subset) or yinyang             [mnist5k]
      --split NAME        train or test                                         [train]
      --encoder NAME      rate, latency or dvs (saccade events, 2x34x34 ch.)    [rate]
      --steps N           timesteps per sample (1...\(TraceShape.maxSteps))                   [16]
      --count N           number of samples, from --first                       [10]
      --first N           index of the first sample in the split                [0]
      --seed N            encoder seed (rate) and split/data seed               [0]
      --timestep-ns N     timestep length written to the header                 [1000]
      --data DIR          directory holding mnist5k-*.idx (default: found automatically)
    nmnist: read N-MNIST .bin event files (one sample each) and bin them into steps.
      --steps N [30] (1...\(TraceShape.maxSteps))  --bin-us US [10000] (1...4294967)
      --label L (label of every file, 0...2^31-1; default: none)
    info: header, counts, spikes per sample and per channel. --json prints one JSON object.
    convert: rewrite a trace in the other form (by the output's extension).

    EXAMPLES:
      chipsim trace encode --dataset mnist5k --encoder rate --steps 16 --count 10 --out mnist-rate.aer
      chipsim trace encode --dataset mnist5k --encoder dvs --steps 30 --count 2 --out saccades.csv
      chipsim trace info mnist-rate.aer
      chipsim trace convert mnist-rate.aer mnist-rate.csv
    """
    static let flags: Set<String> = ["json"]
    /// Timesteps (samples x steps) one encode or nmnist call makes: the trace is built in
    /// memory, so this bounds its size before any work.
    static let maxTraceSteps = 100_000_000

    static func run(_ args: inout Arguments) throws -> Int32 {
        let action = try args.positional("action (encode, nmnist, info or convert)")
        switch action {
        case "encode": return try encode(&args)
        case "info": return try info(&args)
        case "convert": return try convert(&args)
        case "nmnist": return try nmnist(&args)
        default: throw ChipError.usage("unknown trace action '\(action)'; expected encode, nmnist, info or convert")
        }
    }

    static func encode(_ args: inout Arguments) throws -> Int32 {
        let datasetName = try args.value("dataset") ?? "mnist5k"
        let split = try args.value("split") ?? "train"
        let encoderName = try args.value("encoder") ?? "rate"
        let steps = try args.int("steps", default: 16, in: 1...TraceShape.maxSteps)
        let count = try args.int("count", default: 10, in: 0...Int(UInt32.max))
        let first = try args.int("first", default: 0, in: 0...Int(UInt32.max))
        let seed = try args.int("seed", default: 0, in: 0...Int.max)
        let dt = try args.int("timestep-ns", default: 1000, in: 0...Int(UInt32.max))
        let dataDir = try args.value("data")
        guard let out = try args.value("out") else { throw ChipError.usage("trace encode needs --out FILE; see 'chipsim trace --help'") }
        _ = try OutputPath.replaceableFile(out, option: "--out")
        try args.finish()
        guard split == "train" || split == "test" else { throw ChipError.usage("--split must be train or test, got '\(split)'") }
        let sets: (train: ImageDataset, test: ImageDataset)
        switch datasetName {
        case "mnist5k":
            sets = try MNIST5k.load(dataDirectory: DatasetLocator.dataDirectory(containing: MNIST5k.imagesFile, explicit: dataDir),
                                    seed: UInt64(seed))
        case "yinyang":
            sets = YinYang.load(train: 5000, test: 1000, seed: UInt64(seed))
        default:
            throw ChipError.usage("--dataset must be mnist5k or yinyang, got '\(datasetName)'")
        }
        let data = split == "train" ? sets.train : sets.test
        guard steps * count <= maxTraceSteps else {
            throw ChipError.usage("--steps \(steps) x --count \(count) exceeds \(maxTraceSteps) timesteps in one trace; make fewer or shorter samples")
        }
        guard first <= data.count, count <= data.count - first else {
            throw ChipError.usage("--first \(first) --count \(count) exceeds the \(data.count) samples of \(data.name)")
        }
        let encoder: any SpikeEncoder
        let shape: TraceShape
        switch encoderName {
        case "rate":
            encoder = RateEncoder(steps: steps, seed: UInt64(seed))
            shape = TraceShape(width: data.width, height: data.height * data.channels, polarities: 1)
        case "latency":
            encoder = LatencyEncoder(steps: steps)
            shape = TraceShape(width: data.width, height: data.height * data.channels, polarities: 1)
        case "dvs":
            guard data.channels == 1, data.height > 1 else { throw ChipError.usage("--encoder dvs needs images (use mnist5k)") }
            let e = SaccadeDVSEncoder(steps: steps)
            let c = e.canvas(for: data)
            encoder = e
            shape = TraceShape(width: c.width, height: c.height, polarities: 2)
        default:
            throw ChipError.usage("--encoder must be rate, latency or dvs, got '\(encoderName)'")
        }
        var trace = SpikeTrace(shape: shape, timestepNanoseconds: UInt32(dt))
        for i in first ..< first + count {
            trace.samples.append(TraceSample(label: Int(data.labels[i]), raster: encoder.encode(data, sample: i)))
        }
        try trace.write(path: out)
        print("wrote \(out): \(count) samples of \(data.name), \(encoderName) encoding, \(steps) steps, \(shape.channels) channels, \(trace.eventCount) events")
        return 0
    }

    static func info(_ args: inout Arguments) throws -> Int32 {
        let path = try args.positional("trace FILE")
        let json = args.flag("json")
        try args.finish()
        let trace = try SpikeTrace.read(path: path)
        let s = TraceStatistics(trace)
        if json {
            print(s.json(file: path))
        } else {
            print(s.text(file: path), terminator: "")
        }
        return 0
    }

    static func convert(_ args: inout Arguments) throws -> Int32 {
        let input = try args.positional("input trace"), output = try args.positional("output trace")
        try args.finish()
        _ = try OutputPath.replaceableFile(output, option: "output trace")
        let trace = try SpikeTrace.read(path: input)
        try trace.write(path: output)
        print("wrote \(output): \(trace.samples.count) samples, \(trace.eventCount) events")
        return 0
    }

    static func nmnist(_ args: inout Arguments) throws -> Int32 {
        let steps = try args.int("steps", default: 30, in: 1...TraceShape.maxSteps)
        // The header stores the bin in nanoseconds as a u32.
        let bin = try args.int("bin-us", default: 10_000, in: 1...Int(UInt32.max) / 1000)
        // Labels are stored as signed 32-bit values (-1 = unlabelled).
        let label: Int? = args.has("label") ? try args.int("label", default: 0, in: 0...Int(Int32.max)) : nil
        guard let out = try args.value("out") else { throw ChipError.usage("trace nmnist needs --out FILE") }
        _ = try OutputPath.replaceableFile(out, option: "--out")
        var files: [String] = []
        while !args.positionals.isEmpty { files.append(try args.positional("N-MNIST file")) }
        try args.finish()
        guard !files.isEmpty else { throw ChipError.usage("trace nmnist needs at least one N-MNIST .bin file") }
        guard steps * files.count <= maxTraceSteps else {
            throw ChipError.usage("--steps \(steps) x \(files.count) file(s) exceeds \(maxTraceSteps) timesteps in one trace; make fewer or shorter samples")
        }
        var trace = SpikeTrace(shape: TraceShape(width: NMNIST.width, height: NMNIST.height, polarities: 2),
                               timestepNanoseconds: UInt32(bin * 1000))
        for f in files {
            trace.samples.append(TraceSample(label: label, raster: try NMNIST.raster(path: f, steps: steps, binMicroseconds: UInt64(bin))))
        }
        try trace.write(path: out)
        print("wrote \(out): \(files.count) samples, \(trace.eventCount) events")
        return 0
    }
}
