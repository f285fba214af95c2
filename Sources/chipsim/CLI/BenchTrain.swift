import Foundation
import ChipModel
import OnChipLearning

/// `chipsim bench train`: on-chip training throughput on MNIST-5k, 784-500-10, T = 16, one
/// core, all counters on. The built-in workload is configs/opzo-mnist.json (same network,
/// same learning section); `--per-step` switches to OPZO updated every step (no learning
/// epochs, no burn-in, fresh noise every step); `--config FILE` benchmarks any experiment.
enum BenchTrain {
    /// configs/opzo-mnist.json's learning section (a CLI test keeps the two equal).
    static let opzoMNISTLearning = """
    {"rule": "opzo", "noise": "rademacher", "alpha": 128, "etaHidden": 18, "etaReadout": 22, "gNormalise": 10, "psiWidth": 25600, "tEpoch": 16, "learnFrom": 6, "holdNoise": true, "lambdaShift": 16, "productShift": 7, "loss": {"outputShift": 12, "ceWeight": 54, "mseWeight": 10}}
    """
    /// The per-step variant (session-1 defaults of opzo-mnist: every step, per-step noise).
    static let perStepOverrides: [(String, JSONValue)] = [("tEpoch", .int(1)), ("learnFrom", .int(0)), ("holdNoise", .bool(false)),
                                                          ("lambdaShift", .int(17)), ("productShift", .int(4))]

    static func run(_ args: inout Arguments) throws -> Int32 {
        let perStep = args.flag("per-step")      // flags first: value options would take them as values
        let json = args.flag("json")
        let ruleName = try args.value("rule")
        if let r = ruleName, ErrorBroadcastParameters.Kind(rawValue: r) == nil {
            throw ChipError.usage("--rule: one of \(ErrorBroadcastParameters.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let samples = try args.int("samples", default: 500, in: 1...10_000_000)
        let configPath = try args.value("config")
        let sets = args.values("set")
        if configPath == nil && !sets.isEmpty { throw ChipError.usage("--set needs --config FILE") }
        try args.finish()
        var config: ExperimentConfig
        if let configPath {
            config = try ConfigLoader.experiment(path: configPath, set: sets)
        } else {
            let text = """
            {"name": "bench-train", "seed": 1,
             "chip": {"core": {"neurons": 1024, "synapseMemoryBytes": 1048576}},
             "network": {"layers": [
                {"name": "input", "kind": "input", "size": 784},
                {"name": "hidden", "size": 500, "neuron": {"du": 4095, "dv": 410, "vth": 250}},
                {"name": "output", "size": 10, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
              "connections": [
                {"from": "input", "to": "hidden", "init": {"kind": "uniform", "low": -40, "high": 40}},
                {"from": "hidden", "to": "output", "weightExponent": -2, "init": {"kind": "uniform", "low": -32, "high": 32}}]},
             "input": {"kind": "dataset", "dataset": {"kind": "mnist5k"}, "encoder": {"kind": "rate", "steps": 16}},
             "run": {"steps": 16},
             "learning": \(opzoMNISTLearning)}
            """
            config = try ExperimentConfig(json: JSONValue.parse(text, file: "<bench train>"), file: "<bench train>")
        }
        guard case .object(var learning)? = config.learning else {
            throw ChipError.usage("\(configPath ?? "<bench train>"): the config has no \"learning\" section")
        }
        func set(_ key: String, _ value: JSONValue) {
            if let i = learning.firstIndex(where: { $0.0 == key }) { learning[i].1 = value } else { learning.append((key, value)) }
        }
        if let r = ruleName { set("rule", .string(r)) }
        if perStep { for (k, v) in perStepOverrides { set(k, v) } }
        let parameters = try LearningConfig.decode(.object(learning), file: configPath ?? "<bench train>")
        let (train, _) = try Experiment.sources(for: config)
        guard let train else { throw ChipError.usage("the config's input is not a dataset with a training split") }
        let sim = Simulator(chip: try Chip(config: config))
        try sim.attach(rule: ErrorBroadcastRule(parameters))
        sim.training = true
        let n = min(samples, train.samples)
        let steps = config.run.steps
        // Encode first (the encoder is benchmarked by `bench encode`), then time the chip.
        let recorded = RecordedSource(train, steps: steps, samples: n)
        let start = DispatchTime.now()
        for s in 0..<n { sim.runSample(s, source: recorded) }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let c = sim.totalCounts
        let build = Console.buildKind
        let p = parameters
        let mode = "tEpoch \(p.tEpoch), learnFrom \(p.learnFrom), \(p.holdNoise ? "held noise" : "noise every step")"
        if json {
            print(JSONValue.object([("workload", .string("train")), ("config", .string(configPath ?? "built-in (configs/opzo-mnist.json)")),
                                   ("rule", .string(p.kind.rawValue)), ("tEpoch", .int(p.tEpoch)), ("learnFrom", .int(p.learnFrom)), ("holdNoise", .bool(p.holdNoise)), ("build", .string(build)),
                                   ("samples", .int(n)), ("seconds", .double(seconds)),
                                   ("samplesPerSecond", .double(Double(n) / seconds)),
                                   ("plasticSynapsesPerSample", .double(Double(c[.plastSynapse]) / Double(n))),
                                   ("weightDigest", .string(weightDigest(sim)))]).serialized())
        } else {
            print("bench train (\(build) build): \(configPath ?? "configs/opzo-mnist.json (built in)"), rule \(p.kind.rawValue), \(mode), T = \(steps), \(n) samples, all counters on")
            print("  wall \(String(format: "%.3f", seconds)) s -> \(String(format: "%.1f", Double(n) / seconds)) training samples/s")
            print("  per sample: \(c[.synop] / UInt64(n)) synops, \(c[.plastSynapse] / UInt64(n)) synapse-program executions, \(c[.plastInstr] / UInt64(n)) instructions")
        }
        return 0
    }

    /// FNV-1a (64-bit) over every synapse block's weights in core order, in hex: two runs that
    /// trained identically have equal digests (the CLI test compares the built-in workload with
    /// configs/opzo-mnist.json this way).
    static func weightDigest(_ sim: Simulator) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for core in sim.chip.cores {
            for pop in core.populations {
                for block in pop.blocks {
                    for w in block.weights {
                        h = (h ^ UInt64(UInt16(bitPattern: w))) &* 0x0000_0100_0000_01b3
                    }
                }
            }
        }
        return String(h, radix: 16)
    }
}
