import Foundation
import ChipModel
import OnChipLearning

enum CostCommand: Subcommand {
    static let name = "cost"
    static let summary = "Re-cost an existing report with another energy table, without re-simulating."
    static let flags: Set<String> = []
    static let help = """
    USAGE: chipsim cost <report.json> --energy <table.json|profile> [--host <host.json|profile>] [--out FILE]

    Reads the per-component, per-phase action counts and simulated times of a finished run,
    applies the energy table, prints the energy by action and by phase (dynamic and static),
    and (with --out) writes the report with every derived energy figure replaced: the energy
    block, and for training runs training.trainEnergy and each epoch's energy. The counts are
    not changed. A run with declared host steps (docs/LEARNING.md, "Host steps") carries the
    host profile they were costed with; --host re-costs them with another (a configs/host/*.json
    file, or the built-in \(BuiltinHostProfiles.defaultName)).

    Built-in chip profiles: \(BuiltinEnergyTables.all.map(\.name).joined(separator: ", ")) (configs/energy/<name>.json).

    EXAMPLE:
      chipsim cost runs/quickstart/report.json --energy loihi-sanafe --out runs/quickstart/report-sanafe.json
    """

    static func run(_ args: inout Arguments) throws -> Int32 {
        let path = try args.positional("report file")
        guard let tablePath = try args.value("energy") else {
            throw ChipError.usage("missing --energy TABLE; see 'chipsim cost --help'")
        }
        let hostPath = try args.value("host")
        let out = try args.value("out")
        try args.finish()
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ChipError.io(path: path, message: "cannot read the report")
        }
        let report = try JSONValue.parse(data, file: path)
        let table = try BuiltinEnergyTables.named(tablePath) ?? EnergyTable.load(path: tablePath)
        let host = try hostPath.map { try BuiltinHostProfiles.named($0) ?? HostProfile.load(path: $0) }
        let recosted = try ReportRecost.recost(report, table: table, file: path, hostProfile: host)
        let components = try EnergyReport.components(fromReport: report, file: path)
        var total = PhaseCounts()
        for c in components { total.add(c.counts) }
        let energy = recosted["energy"]
        func number(_ v: JSONValue?) -> Double { if case let .number(x, _)? = v { return x }; return 0 }
        print("\(path) re-costed with table '\(table.name)': total \(Units.energy(number(energy?["totalPicojoules"]))) (dynamic \(Units.energy(number(energy?["dynamicPicojoules"]))), static \(Units.energy(number(energy?["staticPicojoules"]))) for \(Int(number(energy?["static"]?["poweredCores"]))) core(s))")
        for a in Action.allCases where total.total[a] > 0 {
            print("  " + a.name.padding(toLength: 16, withPad: " ", startingAt: 0) + String(total.total[a]).leftPad(16) + Units.energy(number(energy?["byAction"]?[a.name])).leftPad(14))
        }
        for p in Phase.allCases {
            print("  phase " + p.name.padding(toLength: 14, withPad: " ", startingAt: 0) + Units.energy(number(energy?["byPhase"]?[p.name])).leftPad(16))
        }
        if let h = try HostStepReport.fromReport(recosted, file: path) {
            print(HostStepReport.text(h.steps, profile: h.profile, chipPicojoules: number(energy?["totalPicojoules"])), terminator: "")
        }
        if let t = recosted["training"]?["trainEnergy"] {
            print("  training: \(Units.energy(number(t["totalPicojoules"]))) (dynamic \(Units.energy(number(t["dynamicPicojoules"]))), static \(Units.energy(number(t["staticPicojoules"])))), per training sample \(Units.energy(number(t["perSamplePicojoules"])))")
        }
        if let out {
            // Temp + rename under the path's lock; refuses a directory, a symbolic link or a
            // special file at OUT instead of replacing it (docs/OUTPUT.md).
            try AtomicFile.write(Array((recosted.serialized() + "\n").utf8), to: out, durable: false, locked: true)
            print("wrote \(out)")
        }
        return 0
    }
}

extension String {
    func leftPad(_ n: Int) -> String { count >= n ? " " + self : String(repeating: " ", count: n - count) + self }
}
