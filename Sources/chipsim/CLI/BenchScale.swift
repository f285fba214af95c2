import Foundation
import ChipModel
import OnChipLearning

// `chipsim bench scale`: a Loihi-sized chip. 128 cores (8x4 tiles of 4 cores), cycle-accurate
// routing, all counters on. Network: a 4000-channel input (uniform pattern, 15 % per step)
// feeds 13 layers A1..A13 of 4000 LIF neurons; each Ak feeds a layer Bk of 4000 (layers
// declared A1, B1, A2, B2, ... so the packed mapping puts each pair on neighbouring cores).
// Every connection is sparse with density 0.13 (about 520 synapses per neuron):
// 104,000 neurons, about 54 million synapses, 104 cores. A spikes are routed through the
// mesh to the 4 cores of their B layer. Synapse memory per core is raised to 2 MiB (the
// sparse lists of 1000 neurons x 520 synapses need about 1.2 MB). Prints neurons, synapses,
// steps/s, synaptic events/s (counted synops), spike fraction and peak memory.

enum BenchScale {
    static let help = """
    USAGE: chipsim bench scale [--steps N] [--pairs N] [--json]

    Simulates a 104,000-neuron, ~54 M-synapse network over 128 cores with cycle-accurate
    routing; prints steps/s, synaptic events/s and peak memory.

    EXAMPLE:
      swift build -c release && .build/release/chipsim bench scale --json
    """

    static func config(steps: Int, pairs: Int) throws -> ExperimentConfig {
        var layers = ["{\"name\": \"input\", \"kind\": \"input\", \"size\": 4000}"]
        var conns: [String] = []
        let neuron = "{\"du\": 4095, \"dv\": 410, \"vth\": 3000}"
        let w = "\"layout\": \"sparse\", \"density\": 0.13, \"init\": {\"kind\": \"uniform\", \"low\": -16, \"high\": 32}"
        for k in 1...pairs {
            layers.append("{\"name\": \"A\(k)\", \"size\": 4000, \"neuron\": \(neuron)}")
            layers.append("{\"name\": \"B\(k)\", \"size\": 4000, \"neuron\": \(neuron)}")
            conns.append("{\"from\": \"input\", \"to\": \"A\(k)\", \(w)}")
            conns.append("{\"from\": \"A\(k)\", \"to\": \"B\(k)\", \(w)}")
        }
        let text = """
        {"name": "bench-scale", "seed": 1,
         "chip": {"meshWidth": 8, "meshHeight": 4, "noc": {"coresPerTile": 4}, "routing": "cycle-accurate",
                  "core": {"neurons": 1000, "synapseMemoryBytes": 2097152}},
         "network": {"layers": [\(layers.joined(separator: ", "))], "connections": [\(conns.joined(separator: ", "))]},
         "input": {"kind": "pattern", "pattern": "uniform", "rate": 0.15, "samples": 1},
         "run": {"steps": \(steps)}}
        """
        return try ExperimentConfig(json: JSONValue.parse(text, file: "<bench scale>"), file: "<bench scale>")
    }

    /// CPU seconds used by this process so far.
    static func cpuSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    /// Peak resident set size of this process in bytes (Linux ru_maxrss is in KiB).
    static func peakMemoryBytes() -> Int {
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return u.ru_maxrss * 1024
    }

    static func run(_ args: inout Arguments) throws -> Int32 {
        let steps = try args.int("steps", default: 50)
        let pairs = try args.int("pairs", default: 13)
        let json = args.flag("json")
        try args.finish()
        guard steps >= 1, (1...15).contains(pairs) else { throw ChipError.usage("--steps must be >= 1 and --pairs in 1...15") }
        let config = try config(steps: steps, pairs: pairs)
        let buildStart = DispatchTime.now()
        let chip = try Chip(config: config)
        let buildSeconds = Double(DispatchTime.now().uptimeNanoseconds - buildStart.uptimeNanoseconds) / 1e9
        let recorded = RecordedSource(try Experiment.source(for: config), steps: steps)
        let sim = Simulator(chip: chip)
        let start = DispatchTime.now(), cpuStart = BenchScale.cpuSeconds()
        sim.run(source: recorded)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        // CPU time of this (single-threaded) run: on a shared, loaded machine wall time
        // overstates the simulator's cost; both are printed.
        let cpu = BenchScale.cpuSeconds() - cpuStart
        let neurons = chip.layers.filter { !$0.isInput }.reduce(0) { $0 + $1.size }
        let synapses = chip.cores.reduce(0) { $0 + $1.synapseCount }
        let events = Double(sim.totalCounts[.synop])
        let hidden = chip.layers.indices.filter { !chip.layers[$0].isInput }
        let spikeFraction = Double(hidden.reduce(0) { $0 + sim.totalSpikesPerLayer[$1] }) / Double(neurons * steps)
        let links = sim.linkUsage()
        let peak = peakMemoryBytes()
        if json {
            print(JSONValue.object([
                ("workload", .string("scale")), ("build", .string(Console.buildKind)),
                ("neurons", .int(neurons)), ("synapses", .int(synapses)), ("cores", .int(chip.usedCores.count)),
                ("steps", .int(steps)), ("buildSeconds", .double(buildSeconds)), ("seconds", .double(seconds)),
                ("stepsPerSecond", .double(Double(steps) / seconds)),
                ("cpuSeconds", .double(cpu)),
                ("synapticEvents", .double(events)), ("synapticEventsPerSecond", .double(events / seconds)),
                ("synapticEventsPerCPUSecond", .double(events / cpu)),
                ("spikeFraction", .double(spikeFraction)), ("linkFlits", .uint(links.linkFlits)),
                ("peakMemoryBytes", .int(peak)),
            ]).serialized())
        } else {
            print("bench scale (\(Console.buildKind) build): \(neurons) neurons, \(synapses) synapses, \(chip.usedCores.count) of 128 cores, \(steps) steps, cycle-accurate routing")
            print("  build \(String(format: "%.2f", buildSeconds)) s, run \(String(format: "%.2f", seconds)) s")
            print("  spike fraction per neuron-step \(String(format: "%.3f", spikeFraction)), link flits \(links.linkFlits)")
            print("  steps/s            \(String(format: "%.2f", Double(steps) / seconds))")
            print("  synaptic events/s  \(String(format: "%.3e", events / seconds)) (per CPU second \(String(format: "%.3e", events / cpu)), CPU \(String(format: "%.3f", cpu)) s)")
            print("  peak memory        \(String(format: "%.0f", Double(peak) / 1e6)) MB")
        }
        return 0
    }
}
