import Foundation
import ChipModel

/// report.json, metrics.csv and the stdout table of an on-chip training run: the run report
/// (counts, energy, cycles of everything simulated) plus a "training" block with the learning
/// curve and the cost of training alone (the training passes, without the test passes).
public struct TrainingReport {
    public let run: RunReport
    public let trainer: Trainer
    public let rule: TrainableRule

    public init(run: RunReport, trainer: Trainer, rule: TrainableRule) { self.run = run; self.trainer = trainer; self.rule = rule }

    var table: EnergyTable { run.table }
    var clockHz: Double { run.simulator.chip.config.chip.clockMHz * 1e6 }

    var poweredCores: Int { run.poweredCores }

    /// Training energy from training counts and the simulated training time: dynamic (counts x
    /// table) plus static (powered cores x seconds x watts). The one place these fields are made,
    /// both when the report is written and when `chipsim cost` re-costs it.
    public static func trainEnergyJSON(counts: ActionCounts, seconds: Double, samples: Int,
                                       table: EnergyTable, poweredCores: Int) -> JSONValue {
        let e = EnergyModel.cost(counts, table: table, cores: poweredCores, simulatedSeconds: seconds)
        return .object([("totalPicojoules", .double(e.totalPicojoules)),
                        ("dynamicPicojoules", .double(e.dynamicPicojoules)),
                        ("staticPicojoules", .double(e.staticPicojoules)),
                        ("perSamplePicojoules", .double(e.totalPicojoules / Double(max(1, samples)))),
                        ("byAction", .object(Action.allCases.map { ($0.name, .double(e.byAction[$0.rawValue])) }))])
    }

    /// The energy fields of one epoch (see trainEnergyJSON).
    public static func epochEnergyFields(counts: ActionCounts, seconds: Double, samples: Int,
                                         table: EnergyTable, poweredCores: Int) -> [(String, JSONValue)] {
        let e = EnergyModel.cost(counts, table: table, cores: poweredCores, simulatedSeconds: seconds)
        return [("trainPicojoules", .double(e.totalPicojoules)),
                ("trainDynamicPicojoules", .double(e.dynamicPicojoules)),
                ("trainStaticPicojoules", .double(e.staticPicojoules)),
                ("trainPicojoulesPerSample", .double(e.totalPicojoules / Double(max(1, samples))))]
    }

    func epochEnergy(_ e: EpochMetrics) -> EnergyBreakdown {
        EnergyModel.cost(e.trainCounts, table: table, cores: poweredCores, simulatedSeconds: Double(e.trainCycles) / clockHz)
    }

    public var trainingJSON: JSONValue {
        let sim = run.simulator
        var trainCounts = ActionCounts()
        var trainCycles: UInt64 = 0, trainSamples = 0
        for e in trainer.epochs { trainCounts.add(e.trainCounts); trainCycles += e.trainCycles; trainSamples += e.trainSamples }
        let learningBytes = sim.chip.cores.reduce(0) { acc, c in acc + c.populations.reduce(0) { $0 + ($1.learning?.memoryBytes ?? 0) } }
        return .object([
            ("rule", .string(rule.name)),
            ("parameters", rule.parametersJSON),
            ("epochs", .array(trainer.epochs.map { e in
                let seconds = Double(e.trainCycles) / clockHz
                return .object([
                    ("epoch", .int(e.epoch)), ("trainAccuracy", .double(e.trainAccuracy)), ("testAccuracy", .double(e.testAccuracy)),
                    ("trainSamples", .int(e.trainSamples)), ("testSamples", .int(e.testSamples)),
                ] + TrainingReport.epochEnergyFields(counts: e.trainCounts, seconds: seconds, samples: e.trainSamples,
                                                     table: table, poweredCores: poweredCores) + [
                    ("trainSimulatedSeconds", .double(seconds)),
                    ("trainSimulatedSecondsPerSample", .double(seconds / Double(max(1, e.trainSamples)))),
                    ("trainCycles", .uint(e.trainCycles)), ("testCycles", .uint(e.testCycles)),
                    ("trainCounts", EnergyReport.countsJSON(e.trainCounts)),
                ] + (e.testMSE.map { [("trainMSE", JSONValue.double(e.trainMSE ?? 0)), ("testMSE", JSONValue.double($0))] } ?? []))
            })),
            ("finalTestAccuracy", .double(trainer.epochs.last?.testAccuracy ?? 0)),
            ("bestTestAccuracy", .double(trainer.epochs.map(\.testAccuracy).max() ?? 0)),
            ("finalTestMSE", trainer.epochs.last?.testMSE.map { .double($0) } ?? .null),
            ("bestTestMSE", trainer.epochs.compactMap(\.testMSE).min().map { .double($0) } ?? .null),
            ("trainSamples", .int(trainSamples)),
            ("trainCounts", EnergyReport.countsJSON(trainCounts)),
            ("trainEnergy", TrainingReport.trainEnergyJSON(counts: trainCounts, seconds: Double(trainCycles) / clockHz, samples: trainSamples,
                                                           table: table, poweredCores: poweredCores)),
            ("trainSimulatedSeconds", .double(Double(trainCycles) / clockHz)),
            ("memory", .object([("learningStateBytes", .int(learningBytes)), ("feedbackSynapseBytes", .int(rule.extraSynapseBytes))])),
        ])
    }

    public var json: JSONValue {
        guard case var .object(kv) = run.json else { return run.json }
        let i = kv.firstIndex { $0.0 == "wallClock" } ?? kv.count
        kv.insert(("training", trainingJSON), at: i)
        return .object(kv)
    }

    public var metricsCSV: String {
        var s = "epoch,train_accuracy,test_accuracy,train_samples,test_samples,train_picojoules,train_picojoules_per_sample,train_dynamic_picojoules,train_static_picojoules,train_cycles,test_cycles,train_mse,test_mse\n"
        for e in trainer.epochs {
            let b = epochEnergy(e), te = b.totalPicojoules
            s += "\(e.epoch),\(e.trainAccuracy),\(e.testAccuracy),\(e.trainSamples),\(e.testSamples),\(te),\(te / Double(max(1, e.trainSamples))),\(b.dynamicPicojoules),\(b.staticPicojoules),\(e.trainCycles),\(e.testCycles),\(e.trainMSE.map { String($0) } ?? ""),\(e.testMSE.map { String($0) } ?? "")\n"
        }
        return s
    }

    public var text: String {
        var out = "on-chip training: rule \(rule.name), \(trainer.epochs.count) epoch(s)\n"
        let regression = trainer.epochs.contains { $0.testMSE != nil }
        out += regression ? "  epoch  train MSE  test MSE  train energy/sample  sim. time/sample\n"
                          : "  epoch  train acc  test acc  train energy/sample  sim. time/sample\n"
        for e in trainer.epochs {
            let te = epochEnergy(e).totalPicojoules
            out += "  " + lpad(String(e.epoch), 5)
                + (regression ? lpad(fmt(e.trainMSE ?? 0, 4), 11) + lpad(fmt(e.testMSE ?? 0, 4), 10)
                              : lpad(fmt(e.trainAccuracy * 100, 2) + "%", 11) + lpad(fmt(e.testAccuracy * 100, 2) + "%", 10))
                + lpad(Units.energy(te / Double(max(1, e.trainSamples))), 21)
                + lpad(Units.time(Double(e.trainCycles) / clockHz / Double(max(1, e.trainSamples))), 18) + "\n"
        }
        var trainCounts = ActionCounts()
        var trainCycles: UInt64 = 0
        for e in trainer.epochs { trainCounts.add(e.trainCounts); trainCycles += e.trainCycles }
        let te = EnergyModel.cost(trainCounts, table: table, cores: poweredCores, simulatedSeconds: Double(trainCycles) / clockHz)
        out += "  training energy: dynamic \(Units.energy(te.dynamicPicojoules)), static \(Units.energy(te.staticPicojoules)) (\(poweredCores) core(s))\n"
        out += "  training energy by action:"
        let top = Action.allCases.filter { te.byAction[$0.rawValue] > 0 }.sorted { te.byAction[$0.rawValue] > te.byAction[$1.rawValue] }
        for a in top.prefix(8) { out += " \(a.name) \(fmt(100 * te.byAction[a.rawValue] / max(te.dynamicPicojoules, 1e-30), 1))%" }
        return out + "\n\n" + run.text
    }
}
