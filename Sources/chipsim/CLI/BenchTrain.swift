import Foundation
import ChipModel
import OnChipLearning

/// `chipsim bench train`: on-chip training throughput on MNIST-5k, 784-500-10, T = 16, one
/// core, all counters on (the workload of configs/opzo-mnist.json).
enum BenchTrain {
    static func run(_ args: inout Arguments) throws -> Int32 {
        let holdNoise = args.flag("hold-noise")     // flags first: value options would take them as values
        let ruleName = try args.value("rule") ?? "opzo"
        guard ErrorBroadcastParameters.Kind(rawValue: ruleName) != nil else {
            throw ChipError.usage("--rule: one of \(ErrorBroadcastParameters.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let samples = try args.int("samples", default: 500)
        let tEpoch = try args.int("t-epoch", default: 1)
        guard (1...1024).contains(tEpoch) else { throw ChipError.usage("--t-epoch: 1...1024 steps") }
        let learnFrom = try args.int("learn-from", default: 0)
        let json = args.flag("json")
        try args.finish()
        let text = """
        {"name": "bench-train", "seed": 1,
         "chip": {"core": {"neurons": 1024, "synapseMemoryBytes": 1048576}},
         "network": {"layers": [
            {"name": "input", "kind": "input", "size": 784},
            {"name": "hidden", "size": 500, "neuron": {"du": 4095, "dv": 410, "vth": 250}},
            {"name": "output", "size": 10, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
          "connections": [
            {"from": "input", "to": "hidden", "init": {"kind": "uniform", "low": -40, "high": 40}},
            {"from": "hidden", "to": "output", "init": {"kind": "uniform", "low": -8, "high": 8}}]},
         "input": {"kind": "dataset", "dataset": {"kind": "mnist5k"}, "encoder": {"kind": "rate", "steps": 16}},
         "run": {"steps": 16},
         "learning": {"rule": "\(ruleName)", "etaHidden": 21, "etaReadout": 24, "gShift": 20, "tEpoch": \(tEpoch), "learnFrom": \(learnFrom), "holdNoise": \(holdNoise), "loss": {"outputShift": 12}}}
        """
        let config = try ExperimentConfig(json: JSONValue.parse(text, file: "<bench train>"), file: "<bench train>")
        let (train, _) = try Experiment.sources(for: config)
        let sim = Simulator(chip: try Chip(config: config))
        try sim.attach(rule: ErrorBroadcastRule(try LearningConfig.decode(config.learning!, file: "<bench train>")))
        sim.training = true
        let n = min(samples, train!.samples)
        // Encode first (the encoder is benchmarked by `bench encode`), then time the chip.
        let recorded = RecordedSource(train!, steps: 16, samples: n)
        let start = DispatchTime.now()
        for s in 0..<n { sim.runSample(s, source: recorded) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let c = sim.totalCounts
        let build = Console.buildKind
        if json {
            print(JSONValue.object([("workload", .string("train")), ("rule", .string(ruleName)), ("tEpoch", .int(tEpoch)), ("learnFrom", .int(learnFrom)), ("holdNoise", .bool(holdNoise)), ("build", .string(build)),
                                   ("samples", .int(n)), ("seconds", .double(seconds)),
                                   ("samplesPerSecond", .double(Double(n) / seconds)),
                                   ("plasticSynapsesPerSample", .double(Double(c[.plastSynapse]) / Double(n)))]).serialized())
        } else {
            print("bench train (\(build) build): rule \(ruleName), tEpoch \(tEpoch), learnFrom \(learnFrom)\(holdNoise ? ", held noise" : ""), MNIST-5k 784-500-10, T = 16, one core, \(n) samples")
            print("  wall \(String(format: "%.3f", seconds)) s -> \(String(format: "%.1f", Double(n) / seconds)) training samples/s")
            print("  per sample: \(c[.synop] / UInt64(n)) synops, \(c[.plastSynapse] / UInt64(n)) synapse-program executions, \(c[.plastInstr] / UInt64(n)) instructions")
        }
        return 0
    }
}
