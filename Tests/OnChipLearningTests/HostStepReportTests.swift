import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

/// Declared host steps in reports: counted apart from the chip, costed with the host profile
/// (link bytes x link pJ/byte + operations x pJ/FLOP, a MAC two operations), re-costed by
/// `chipsim cost`.
@Suite struct HostStepReportTests {
    static func trainedLOCO(samples: Int) throws -> Simulator {
        let c = try ExperimentConfig(json: JSONValue.parse("""
        {"seed": 5, "network": {"layers": [
            {"name": "in", "kind": "input", "size": 3},
            {"name": "h", "size": 2, "neuron": {"du": 4095, "dv": 410, "vth": 30}},
            {"name": "out", "size": 2, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
          "connections": [{"from": "in", "to": "h", "init": {"kind": "uniform", "low": -60, "high": 60}},
                          {"from": "h", "to": "out", "init": {"kind": "uniform", "low": -20, "high": 20}}]},
         "run": {"steps": 4}, "learning": {"rule": "loco", "clusters": 2}}
        """, file: "loco.json"), file: "loco.json")
        let sim = Simulator(chip: try Chip(config: c))
        try sim.attach(rule: try RuleFactory.make(c.learning!, config: c))
        sim.training = true
        let src = ThreeChannelSource(samples: samples)
        for s in 0..<samples { sim.runSample(s, source: src) }
        return sim
    }

    /// A profile whose every figure names its source (the loader requires one).
    static func sourced(_ p: HostProfile) -> HostProfile {
        var q = p
        for k in [\HostProfile.picojoulesPerFlop, \.picojoulesPerDRAMByte, \.linkPicojoulesPerByte, \.linkBytesPerSecond,
                  \.peakFlopsPerSecond, \.dramBytesPerSecond, \.utilisation] { q[keyPath: k].source = "test figure" }
        return q
    }

    @Test func builtInProfileIsItsFile() throws {
        let file = try String(contentsOfFile: repoRoot + "/configs/host/cpu-server.json", encoding: .utf8)
        #expect(file.trimmingCharacters(in: .newlines) == BuiltinHostProfiles.cpuServerJSON)
        #expect(BuiltinHostProfiles.default.name == "cpu-server")
        #expect(try BuiltinHostProfiles.default == HostProfile.load(path: repoRoot + "/configs/host/cpu-server.json"))
    }

    @Test func hostStepsAreCostedWithTheHostProfileApartFromTheChip() throws {
        let sim = try HostStepReportTests.trainedLOCO(samples: 5)
        let counts = sim.hostSteps.steps[0].counts
        // 5 samples x 1 hidden block; 3 counter bytes up and 3 x 4 x^ bytes down per execution.
        #expect(counts.executions == 5 && counts.bytesToHost == 15 && counts.bytesToChip == 60)
        let profile = HostStepReportTests.sourced(HostProfile(name: "test-host", picojoulesPerFlop: 2, picojoulesPerDRAMByte: 1000, linkPicojoulesPerByte: 3,
                                  linkBytesPerSecond: 1e6, peakFlopsPerSecond: 1e9, dramBytesPerSecond: 1e9, utilisation: 0.5))
        let table = try BuiltinEnergyTables.named("loihi")!
        let report = RunReport(simulator: sim, table: table, wallSeconds: 0, hostProfile: profile)
        let json = report.json
        func number(_ v: JSONValue?) -> Double { if case let .number(x, _)? = v { return x }; return .nan }
        // By hand: link 75 bytes x 3 pJ; operations intOps + 2 MACs + compares, x 2 pJ; no DRAM term.
        let ops = Double(counts.intOps + 2 * counts.macs + counts.compares)
        let step = json["energy"]?["hostSteps"]?["byStep"]?["loco.projection"]
        #expect(number(step?["linkPicojoules"]) == 75 * 3)
        #expect(number(step?["operationPicojoules"]) == ops * 2)
        #expect(number(json["energy"]?["hostSteps"]?["totalPicojoules"]) == 75 * 3 + ops * 2)
        #expect(number(step?["seconds"]) == 75 / 1e6 + ops / (1e9 * 0.5))
        // The chip's figures do not include them: total = counts x table + static, as without host steps.
        let chip = EnergyModel.cost(sim.totalCounts, table: table, cores: report.poweredCores, simulatedSeconds: sim.simulatedSeconds)
        #expect(number(json["energy"]?["totalPicojoules"]) == chip.totalPicojoules)
        #expect(json["hostSteps"]?["profile"]?["name"] == .string("test-host"))
        #expect(report.text.contains("loco.projection: 5 executions, 15 bytes chip->host, 60 bytes host->chip"))
        // A run without host steps has no host-step blocks.
        let quick = try runQuickstart().json
        #expect(quick["hostSteps"] == nil && quick["energy"]?["hostSteps"] == nil)

        // Re-costing: the same table and profile reproduce the report; another profile changes
        // only the host-step figures (and the profile the report names).
        let parsed = try JSONValue.parse(json.serialized(), file: "report.json")
        #expect(try ReportRecost.recost(parsed, table: table, file: "report.json").serialized() == parsed.serialized())
        let other = HostProfile(name: "other", picojoulesPerFlop: 10, picojoulesPerDRAMByte: 0, linkPicojoulesPerByte: 1)
        let re = try ReportRecost.recost(parsed, table: table, file: "report.json", hostProfile: other)
        #expect(number(re["energy"]?["hostSteps"]?["totalPicojoules"]) == 75 * 1 + ops * 10)
        #expect(re["hostSteps"]?["profile"]?["name"] == .string("other"))
        #expect(number(re["energy"]?["totalPicojoules"]) == chip.totalPicojoules)
        #expect(re["hostSteps"]?["steps"] == parsed["hostSteps"]?["steps"])
    }
}
