import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

let repoRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

func runQuickstart() throws -> RunReport {
    let config = try ExperimentConfig.load(path: repoRoot + "/configs/quickstart.json")
    let sim = Simulator(chip: try Chip(config: config))
    sim.run(source: try Experiment.source(for: config))
    return RunReport(simulator: sim, table: try Experiment.energyTable(for: config), wallSeconds: 0.5)
}

func withoutWallClock(_ v: JSONValue) -> JSONValue {
    guard case let .object(kv) = v else { return v }
    return .object(kv.filter { $0.0 != "wallClock" })
}

@Suite struct ReportTests {
    @Test func energyIsExactlyCountsTimesTable() throws {
        let report = try runQuickstart()
        // Independent reading of the table file with Foundation's JSON parser.
        let data = try Data(contentsOf: URL(fileURLWithPath: repoRoot + "/configs/energy/loihi.json"))
        let table = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let actions = table["actions"] as! [String: [String: Any]]
        let counts = report.simulator.totalCounts
        var expected = 0.0
        for a in Action.allCases {
            let pj = (actions[a.name]?["picojoules"] as? NSNumber)?.doubleValue ?? 0
            expected += Double(counts[a]) * pj
        }
        guard case let .number(dynamic, _)? = report.json["energy"]?["dynamicPicojoules"],
              case let .number(total, _)? = report.json["energy"]?["totalPicojoules"],
              case let .number(stat, _)? = report.json["energy"]?["staticPicojoules"] else { Issue.record("no total"); return }
        #expect(dynamic == expected)
        #expect(expected > 0)
        // Static: the table's watts per core x the used cores x simulated seconds, in pJ.
        let watts = (table["staticWattsPerCore"] as! NSNumber).doubleValue
        let cores = report.simulator.chip.usedCores.count
        let seconds = Double(report.simulator.totals.cycles) / (report.simulator.chip.config.chip.clockMHz * 1e6)
        #expect(watts > 0 && cores == 2)
        #expect(abs(stat - watts * Double(cores) * seconds * 1e12) <= 1e-9 * stat)
        #expect(total == dynamic + stat)
        // Per-component energies add up to the dynamic total (within float re-association).
        guard case let .object(byComponent)? = report.json["energy"]?["byComponent"] else { Issue.record("no byComponent"); return }
        let sum = byComponent.reduce(0.0) { acc, kv in if case let .number(x, _) = kv.1 { return acc + x }; return acc }
        #expect(abs(sum - expected) <= 1e-9 * expected)
    }

    @Test func recostingFromTheSavedReportEqualsTheFreshRun() throws {
        let report = try runQuickstart()
        let text = report.json.serialized()
        let parsed = try JSONValue.parse(text, file: "report.json")
        let components = try EnergyReport.components(fromReport: parsed, file: "report.json")
        let table = try BuiltinEnergyTables.named("loihi")!
        guard case let .number(seconds, _)? = parsed["simulatedSeconds"] else { Issue.record("no seconds"); return }
        let recost = EnergyReport.json(components: components, table: table, usedCores: report.simulator.chip.usedCores.count,
                                       coresOnChip: report.simulator.chip.config.chip.cores,
                                       simulatedSeconds: seconds, samples: report.simulator.samples.count)
        #expect(recost.serialized() == parsed["energy"]!.serialized())
        #expect(try ReportRecost.recost(parsed, table: table, file: "report.json").serialized() == parsed.serialized())
    }

    @Test func recostRejectsACompareReportCleanly() throws {
        let compare = CompareReportTests.sample().json
        do {
            _ = try ReportRecost.recost(compare, table: try BuiltinEnergyTables.named("loihi")!, file: "c.json")
            Issue.record("no error")
        } catch let e as ChipError {
            #expect("\(e)".contains("c.json") && "\(e)".contains("$.kind"), "\(e)")
        }
    }

    /// metrics.csv's per-sample dynamic and static energies add up to the run's energy block.
    @Test func perSampleEnergiesAddUpToTheRunsEnergy() throws {
        let report = try runQuickstart()
        let rows = report.metricsCSV.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false) }
        #expect(rows.count == 8)
        let dyn = rows.reduce(0.0) { $0 + Double($1[$1.count - 2])! }, stat = rows.reduce(0.0) { $0 + Double($1[$1.count - 1])! }
        guard case let .number(d, _)? = report.json["energy"]?["dynamicPicojoules"],
              case let .number(st, _)? = report.json["energy"]?["staticPicojoules"] else { Issue.record("no energy"); return }
        #expect(abs(dyn - d) <= 1e-9 * d && abs(stat - st) <= 1e-9 * st && st > 0)
    }

    @Test func sameSeedGivesByteIdenticalReportMinusWallClock() throws {
        let a = try runQuickstart(), b = try runQuickstart()
        #expect(withoutWallClock(a.json).serialized() == withoutWallClock(b.json).serialized())
        #expect(a.metricsCSV == b.metricsCSV)
    }

    @Test func builtinEnergyTablesEqualTheShippedFiles() throws {
        #expect(BuiltinEnergyTables.all.count >= 2)
        for t in BuiltinEnergyTables.all {
            let file = try String(contentsOfFile: repoRoot + "/configs/energy/\(t.name).json", encoding: .utf8)
            #expect(file.trimmingCharacters(in: .newlines) == t.json.trimmingCharacters(in: .newlines))
            let table = try BuiltinEnergyTables.named(t.name)!
            #expect(table.name == t.name && table.missingActions.isEmpty)
            // Every figure says where it comes from.
            #expect(table.actions.values.allSatisfy { !$0.source.isEmpty } && !table.staticSource.isEmpty)
        }
    }

    /// Static energy grows with simulated time; `staticCores` chooses used or all cores.
    @Test func staticEnergyIsPoweredCoresTimesTimeTimesPower() throws {
        let report = try runQuickstart()
        var table = try BuiltinEnergyTables.named("loihi")!
        table.staticWattsPerCore = 0.5
        let counts = report.simulator.totalCounts
        let short = EnergyModel.cost(counts, table: table, cores: 2, simulatedSeconds: 1e-3)
        let long = EnergyModel.cost(counts, table: table, cores: 2, simulatedSeconds: 2e-3)
        #expect(short.staticPicojoules == 1e9)              // 0.5 W x 2 cores x 1 ms = 1 mJ
        #expect(long.staticPicojoules == 2e9 && long.dynamicPicojoules == short.dynamicPicojoules)
        #expect(table.poweredCores(used: 2, onChip: 8) == 2)
        table.staticCores = .all
        #expect(table.poweredCores(used: 2, onChip: 8) == 8)
        let onChip = report.simulator.chip.config.chip.cores
        let json = EnergyReport.json(components: report.components, table: table, usedCores: 2, coresOnChip: onChip,
                                     simulatedSeconds: 1e-3, samples: 4)
        guard case let .number(stat, _)? = json["staticPicojoules"], case let .number(per, _)? = json["perSampleStaticPicojoules"] else {
            Issue.record("no static"); return
        }
        #expect(stat == 0.5 * Double(onChip) * 1e-3 * 1e12 && per == stat / 4)
        #expect(json["static"]?["cores"] == .string("all"))
    }

    @Test func configReferenceDocIsGeneratedFromTheDeclarations() throws {
        let file = try String(contentsOfFile: repoRoot + "/docs/CONFIG.md", encoding: .utf8)
        #expect(file == ConfigDocs.markdown, "docs/CONFIG.md is stale: run `chipsim describe --markdown > docs/CONFIG.md`")
    }

    @Test func spikeListErrorsNameLineAndColumn() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("chipsim-spikes-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func load(_ text: String) -> String {
            let p = dir.appendingPathComponent("s.csv").path
            try! text.write(toFile: p, atomically: true, encoding: .utf8)
            do { _ = try SpikeListSource(path: p, channels: 4, steps: 10); return "ok" } catch { return "\(error)" }
        }
        #expect(load("sample,step,channel\n0,1,2\n0,2,3\n") == "ok")
        #expect(load("sample,step,channel\n0,1,2\n0,2,9\n").contains("s.csv:3:5: channel 9 is out of range"))
        #expect(load("sample,step,channel\n0,11,2\n").contains("s.csv:2:3: step 11 is out of range"))
        #expect(load("sample,step,channel\n0,x,2\n").contains("s.csv:2:3: 'x' is not a non-negative integer"))
        #expect(load("a,b\n").contains("s.csv:1:1: expected the header"))
        #expect(load("sample,step,channel\n0,1,2\n0,1,2\n").contains("spikes twice"))
    }

    @Test func patternSourceRateIsWithinBinomialBounds() {
        let s = PatternSource(pattern: "uniform", rate: 0.13, channels: 784, samples: 20, seed: 3)
        var total = 0
        for i in 0..<20 { for t in 0..<16 { var out = ContiguousArray<Int32>(); s.spikes(sample: i, step: t, into: &out); total += out.count } }
        let n = 784.0 * 20 * 16, p = Double(UInt64((0.13 * 65536).rounded())) / 65536
        #expect(abs(Double(total) - n * p) < 5 * (n * p * (1 - p)).squareRoot())
    }
}
