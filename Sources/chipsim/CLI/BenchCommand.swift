import Foundation
import ChipModel
import OnChipLearning

enum BenchCommand: Subcommand {
    static let name = "bench"
    static let summary = "Measure simulator speed on reference workloads (build with -c release)."
    static let flags: Set<String> = ["json", "no-scalar", "per-step"]
    static let help = """
    USAGE: chipsim bench <workload> [--json] [workload options]

    WORKLOADS:
      inference   784 rate-coded MNIST-5k inputs (pixel/255 per step) -> 500 LIF -> 10 LIF, dense,
                  T = 32, 200 test samples, one core,
                  all counters on. Prints synaptic events per second (input spikes x 500 +
                  hidden spikes x 10) and neuron updates per second.
                  Options: --samples N (200), --steps T (32)
      route       one timestep of 784 -> 500 -> 10 spread over a 4 x 4 mesh (balanced mapping,
                  13% input / 12% hidden activity), repeated: packets routed per second.
                  Options: --steps N, --mesh WxH, --neurons-per-core N
      train       on-chip training on MNIST-5k, 784-500-10, T = 16, one core, all counters on:
                  training samples per second. The built-in workload is configs/opzo-mnist.json.
                  Options: --rule opzo|dfa|readout|..., --samples N (500), --per-step (update every
                  step, fresh noise every step, no burn-in), --config FILE (any experiment)
      twin        train the float software twin (784-500-10, T = 16) with a rule: samples/s.
                  Options: see docs/TWIN.md (--rule bptt|ottt|opzo|dfa|readout|zo_sp|mgd_wp|mgd_np|fwd_grad)
      encode      rate-encode all 5000 MNIST-5k images at T = 32: seconds and spikes per second.
      conv        the MNIST CNN of configs/conv-mnist.json, one core: synaptic events/s.
      scale       104,000 neurons, ~54 M synapses, 128 cores, cycle-accurate routing: steps/s,
                  synaptic events/s, peak memory.
      plasticity  a 6-instruction synapse program over the 392,000 synapses of a 784x500 layer
                  on one core: synapse-program executions per second (fast vs scalar interpreter).
                  Options: --reps N, --pre N, --post N, --tile N, --no-scalar

    Numbers are only meaningful from a release build:
      swift build -c release && .build/release/chipsim bench inference

    EXAMPLE:
      .build/release/chipsim bench inference --json
    """

    static func run(_ args: inout Arguments) throws -> Int32 {
        let workload = try args.positional("workload (inference)")
        switch workload {
        case "inference": return try BenchInference.run(&args)
        case "route": return try BenchRoute.run(&args)
        case "plasticity": return try BenchPlasticity.run(&args)
        case "encode": return try BenchEncode.run(&args)
        case "twin": return try BenchTwin.run(&args)
        case "train": return try BenchTrain.run(&args)
        case "conv": return try BenchConv.run(&args)
        case "scale": return try BenchScale.run(&args)
        default: throw ChipError.usage("unknown benchmark '\(workload)'; see 'chipsim bench --help'")
        }
    }
}

enum BenchInference {
    /// The reference network, on one core large enough to hold it.
    static func config(samples: Int, steps: Int) throws -> ExperimentConfig {
        let text = """
        {"name": "bench-inference", "seed": 1,
         "chip": {"core": {"neurons": 1024, "synapseMemoryBytes": 1048576}},
         "network": {"layers": [
            {"name": "input", "kind": "input", "size": 784},
            {"name": "hidden", "size": 500, "neuron": {"du": 4095, "dv": 410, "vth": 420}},
            {"name": "output", "size": 10, "neuron": {"du": 4095, "dv": 410, "vth": 420}}],
          "connections": [
            {"from": "input", "to": "hidden", "init": {"kind": "uniform", "low": -40, "high": 40}},
            {"from": "hidden", "to": "output", "init": {"kind": "uniform", "low": -40, "high": 40}}]},
         "input": {"kind": "dataset", "dataset": {"kind": "mnist5k"}, "encoder": {"kind": "rate", "steps": \(steps)}, "split": "test", "limit": \(samples)},
         "run": {"steps": \(steps)}}
        """
        return try ExperimentConfig(json: JSONValue.parse(text, file: "<bench inference>"), file: "<bench inference>")
    }

    static func run(_ args: inout Arguments) throws -> Int32 {
        let samples = try args.int("samples", default: 200)
        let steps = try args.int("steps", default: 32)
        let json = args.flag("json")
        try args.finish()
        let config = try config(samples: samples, steps: steps)
        let source = try Experiment.source(for: config)
        // Encode the input first so the timed loop measures the chip only.
        let recorded = RecordedSource(source, steps: steps)
        let chip = try Chip(config: config)
        let sim = Simulator(chip: chip)
        let start = DispatchTime.now()
        sim.run(source: recorded)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let inputSpikes = sim.samples.reduce(0) { $0 + $1.spikesPerLayer[0] }
        let hiddenSpikes = sim.samples.reduce(0) { $0 + $1.spikesPerLayer[1] }
        let events = Double(inputSpikes * 500 + hiddenSpikes * 10)
        let updates = Double(samples * steps * 510)
        let inRate = Double(inputSpikes) / Double(samples * steps * 784)
        let hidRate = Double(hiddenSpikes) / Double(samples * steps * 500)
        let build = Console.buildKind
        if json {
            let o: JSONValue = .object([
                ("workload", .string("inference")), ("build", .string(build)),
                ("samples", .int(samples)), ("steps", .int(steps)), ("seconds", .double(seconds)),
                ("synapticEvents", .double(events)), ("synapticEventsPerSecond", .double(events / seconds)),
                ("neuronUpdatesPerSecond", .double(updates / seconds)),
                ("inputSpikeFraction", .double(inRate)), ("hiddenSpikeFraction", .double(hidRate)),
            ])
            print(o.serialized())
        } else {
            print("bench inference (\(build) build): 784 -> 500 -> 10, dense, one core, \(samples) samples x \(steps) steps")
            print("  input spikes per channel-step \(String(format: "%.3f", inRate)), hidden \(String(format: "%.3f", hidRate))")
            print("  wall \(String(format: "%.3f", seconds)) s")
            print("  synaptic events/s  \(String(format: "%.3e", events / seconds))")
            print("  neuron updates/s   \(String(format: "%.3e", updates / seconds))")
        }
        return 0
    }
}

/// A source replayed from memory, so that benchmarks time the chip and not the encoder.
struct RecordedSource: SpikeSource {
    let channels: Int
    let samples: Int
    let labels: [Int?]
    let targets: [[Int32]?]
    let table: [[ContiguousArray<Int32>]]

    init(_ s: SpikeSource, steps: Int, samples n: Int? = nil) {
        channels = s.channels; samples = n ?? s.samples
        labels = (0..<samples).map { s.label(sample: $0) }
        targets = (0..<samples).map { s.target(sample: $0) }
        table = (0..<samples).map { i in
            (0..<steps).map { t in var out = ContiguousArray<Int32>(); s.spikes(sample: i, step: t, into: &out); return out }
        }
    }

    func label(sample: Int) -> Int? { labels[sample] }
    func target(sample: Int) -> [Int32]? { targets[sample] }
    func spikes(sample: Int, step: Int, into out: inout ContiguousArray<Int32>) { out.append(contentsOf: table[sample][step]) }
}
