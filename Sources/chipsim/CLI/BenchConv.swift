import Foundation
import ChipModel
import OnChipLearning

// `chipsim bench conv`: the MNIST CNN of configs/conv-mnist.json (1x28x28 -> conv 16@5x5 ->
// sumPool 2 -> conv 32@5x5 -> sumPool 2 -> dense 10) in inference on rate-coded MNIST-5k,
// all on one core large enough to hold it, all counters on. Synaptic events are the counted
// synops (real synapses only: padding adds none). The input is encoded first and replayed,
// so the timed loop measures the chip only.

enum BenchConv {
    static let help = """
    USAGE: chipsim bench conv [--samples N] [--steps T] [--json]

    Runs the MNIST CNN of configs/conv-mnist.json on one core (limits raised to hold it) and
    prints synaptic events per second (counted synops) and the spike fraction per layer.

    EXAMPLE:
      swift build -c release && .build/release/chipsim bench conv --json
    """

    static func config(samples: Int, steps: Int) throws -> ExperimentConfig {
        let text = """
        {"name": "bench-conv", "seed": 1,
         "chip": {"core": {"neurons": 32768, "synapseMemoryBytes": 1048576, "maxInputAxons": 65536, "maxOutputAxons": 65536}},
         "network": {"layers": [
            {"name": "input", "kind": "input", "shape": [1, 28, 28]},
            {"name": "conv1", "shape": [16, 28, 28], "neuron": {"du": 4095, "dv": 410, "vth": 40}},
            {"name": "pool1", "shape": [16, 14, 14], "neuron": {"du": 4095, "dv": 4095, "vth": 1}},
            {"name": "conv2", "shape": [32, 14, 14], "neuron": {"du": 4095, "dv": 410, "vth": 1000}},
            {"name": "pool2", "shape": [32, 7, 7], "neuron": {"du": 4095, "dv": 4095, "vth": 1}},
            {"name": "output", "size": 10, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
          "connections": [
            {"from": "input", "to": "conv1", "kind": "conv2d", "kernel": 5, "padding": 2, "init": {"kind": "uniform", "low": -16, "high": 48}},
            {"from": "conv1", "to": "pool1", "kind": "sumPool", "kernel": 2},
            {"from": "pool1", "to": "conv2", "kind": "conv2d", "kernel": 5, "padding": 2, "init": {"kind": "uniform", "low": -24, "high": 32}},
            {"from": "conv2", "to": "pool2", "kind": "sumPool", "kernel": 2},
            {"from": "pool2", "to": "output", "init": {"kind": "uniform", "low": -32, "high": 32}}]},
         "input": {"kind": "dataset", "dataset": {"kind": "mnist5k"}, "encoder": {"kind": "rate", "steps": \(steps)}, "split": "test", "limit": \(samples)},
         "run": {"steps": \(steps)}}
        """
        return try ExperimentConfig(json: JSONValue.parse(text, file: "<bench conv>"), file: "<bench conv>")
    }

    static func run(_ args: inout Arguments) throws -> Int32 {
        let samples = try args.int("samples", default: 200)
        let steps = try args.int("steps", default: 16)
        let json = args.flag("json")
        try args.finish()
        let config = try config(samples: samples, steps: steps)
        let recorded = RecordedSource(try Experiment.source(for: config), steps: steps)
        let chip = try Chip(config: config)
        let sim = Simulator(chip: chip)
        let start = DispatchTime.now(), cpuStart = BenchScale.cpuSeconds()
        sim.run(source: recorded)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        // CPU time of this (single-threaded) run: on a shared, loaded machine wall time
        // overstates the simulator's cost; both are printed.
        let cpu = BenchScale.cpuSeconds() - cpuStart
        let events = Double(sim.totalCounts[.synop])
        let n = recorded.samples
        let fractions: [(String, Double)] = chip.layers.enumerated().map { li, l in
            (l.name, Double(sim.totalSpikesPerLayer[li]) / Double(max(1, n * steps * l.size)))
        }
        if json {
            print(JSONValue.object([
                ("workload", .string("conv")), ("build", .string(Console.buildKind)),
                ("samples", .int(n)), ("steps", .int(steps)), ("cores", .int(chip.usedCores.count)), ("seconds", .double(seconds)),
                ("cpuSeconds", .double(cpu)),
                ("synapticEvents", .double(events)), ("synapticEventsPerSecond", .double(events / seconds)),
                ("synapticEventsPerCPUSecond", .double(events / cpu)),
                ("stepsPerSecond", .double(Double(n * steps) / seconds)),
                ("spikeFraction", .object(fractions.map { ($0.0, .double($0.1)) })),
            ]).serialized())
        } else {
            print("bench conv (\(Console.buildKind) build): MNIST CNN, one core, \(n) samples x \(steps) steps")
            print("  spike fraction per layer-step: " + fractions.map { "\($0.0) \(String(format: "%.3f", $0.1))" }.joined(separator: ", "))
            print("  wall \(String(format: "%.3f", seconds)) s")
            print("  synaptic events/s  \(String(format: "%.3e", events / seconds)) (per CPU second \(String(format: "%.3e", events / cpu)), CPU \(String(format: "%.3f", cpu)) s)")
        }
        return 0
    }
}
