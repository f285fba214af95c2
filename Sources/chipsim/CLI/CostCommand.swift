import Foundation
import ChipModel
import OnChipLearning

enum CostCommand: Subcommand {
    static let name = "cost"
    static let summary = "Re-cost an existing report with another energy table, without re-simulating."
    static let flags: Set<String> = []
    static let help = """
    USAGE: chipsim cost <report.json> --energy <table.json|loihi> [--out FILE]

    Reads the per-component, per-phase action counts of a finished run, applies the energy
    table, prints the energy by action and by phase, and (with --out) writes the report with
    its energy block replaced. The counts are not changed.

    EXAMPLE:
      chipsim cost runs/quickstart/report.json --energy configs/energy/loihi.json
    """

    static func run(_ args: inout Arguments) throws -> Int32 {
        let path = try args.positional("report file")
        guard let tablePath = try args.value("energy") else {
            throw ChipError.usage("missing --energy TABLE; see 'chipsim cost --help'")
        }
        let out = try args.value("out")
        try args.finish()
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ChipError.io(path: path, message: "cannot read the report")
        }
        let report = try JSONValue.parse(data, file: path)
        guard case .number(let v, _)? = report["schemaVersion"], Int(v) == RunReport.schemaVersion else {
            throw ChipError.config(file: path, path: "$.schemaVersion", message: "expected a chipsim report with schemaVersion \(RunReport.schemaVersion)")
        }
        let table = try BuiltinEnergyTables.named(tablePath) ?? EnergyTable.load(path: tablePath)
        let components = try EnergyReport.components(fromReport: report, file: path)
        let cores = components.filter { $0.component != "mesh" }.count
        guard case .number(let seconds, _)? = report["simulatedSeconds"], case .number(let samples, _)? = report["summary"]?["samples"] else {
            throw ChipError.config(file: path, path: "$.simulatedSeconds", message: "missing simulatedSeconds or summary.samples")
        }
        let energy = EnergyReport.json(components: components, table: table, cores: cores,
                                       simulatedSeconds: seconds, samples: Int(samples))
        var total = PhaseCounts()
        for c in components { total.add(c.counts) }
        let e = EnergyModel.cost(total.total, table: table, cores: cores, simulatedSeconds: seconds)
        print("\(path) re-costed with table '\(table.name)': total \(Units.energy(e.totalPicojoules))")
        for a in Action.allCases where total.total[a] > 0 {
            print("  " + a.name.padding(toLength: 16, withPad: " ", startingAt: 0) + String(total.total[a]).leftPad(16) + Units.energy(e.byAction[a.rawValue]).leftPad(14))
        }
        for p in Phase.allCases {
            print("  phase " + p.name.padding(toLength: 14, withPad: " ", startingAt: 0) + Units.energy(EnergyModel.cost(total[p], table: table).dynamicPicojoules).leftPad(16))
        }
        if let out {
            guard case .object(var kv) = report else { return 1 }
            if let i = kv.firstIndex(where: { $0.0 == "energy" }) { kv[i].1 = energy } else { kv.append(("energy", energy)) }
            let tmp = out + ".partial-\(getpid())"
            do {
                try Data((JSONValue.object(kv).serialized() + "\n").utf8).write(to: URL(fileURLWithPath: tmp))
                if FileManager.default.fileExists(atPath: out) { try FileManager.default.removeItem(atPath: out) }
                try FileManager.default.moveItem(atPath: tmp, toPath: out)
            } catch {
                try? FileManager.default.removeItem(atPath: tmp)
                throw ChipError.io(path: out, message: "cannot write: \(error.localizedDescription)")
            }
            print("wrote \(out)")
        }
        return 0
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? " " + self : String(repeating: " ", count: n - count) + self }
}
