import ChipModel

/// The declared host steps of a run (HostSteps.swift) in report.json, and their cost on a host
/// profile. Host steps are host work: they are costed with the host profile's link and
/// per-operation figures (HostEnergyModel: link bytes x link pJ/byte + operations x pJ/FLOP,
/// no DRAM term: a host step's working set, such as LOCO's prototypes, is a few tens of KiB and
/// stays in cache), never with the chip's energy table, and reported apart from the chip's
/// dynamic and static energy. Their time (link bytes / link bandwidth + roofline compute) is
/// reported too; it is not added to the chip's simulated time (docs/LEARNING.md, "Host steps").
public enum HostStepReport {
    /// The cost of one step's counts on `profile`.
    public static func cost(_ c: HostStepCounts, profile: HostProfile) -> HostCost {
        HostEnergyModel.cost(HostCounts(flops: c.operations, dramBytes: 0, linkBytes: c.linkBytes), profile: profile)
    }

    /// report.json's top-level `hostSteps` block: the profile (every figure with its source,
    /// so `chipsim cost` can re-cost without it) and per step its counts.
    public static func countsJSON(_ steps: [HostStepRecord], profile: HostProfile) -> JSONValue {
        .object([("profile", profile.json),
                 ("steps", .array(steps.map { s in
                     .object([("name", .string(s.name)), ("description", .string(s.description))]
                             + zip(HostStepCounts.fieldNames, s.counts.values).map { ($0, JSONValue.uint($1)) })
                 }))])
    }

    /// The `hostSteps` member of the energy block: per step its link and operation energy and
    /// time, and the totals.
    public static func energyJSON(_ steps: [HostStepRecord], profile: HostProfile, samples: Int) -> JSONValue {
        var link = 0.0, ops = 0.0, seconds = 0.0
        let bySteps: [(String, JSONValue)] = steps.map { s in
            let c = cost(s.counts, profile: profile)
            link += c.linkPicojoules; ops += c.flopPicojoules; seconds += c.seconds
            return (s.name, .object([("executions", .uint(s.counts.executions)), ("linkBytes", .uint(s.counts.linkBytes)),
                                     ("operations", .uint(s.counts.operations)),
                                     ("linkPicojoules", .double(c.linkPicojoules)), ("operationPicojoules", .double(c.flopPicojoules)),
                                     ("totalPicojoules", .double(c.linkPicojoules + c.flopPicojoules)),
                                     ("seconds", .double(c.seconds))]))
        }
        return .object([("profile", .string(profile.name)),
                        ("totalPicojoules", .double(link + ops)),
                        ("perSamplePicojoules", .double(samples > 0 ? (link + ops) / Double(samples) : 0)),
                        ("linkPicojoules", .double(link)), ("operationPicojoules", .double(ops)),
                        ("seconds", .double(seconds)),
                        ("byStep", .object(bySteps))])
    }

    /// The host steps and profile a report carries (nil: it has none).
    public static func fromReport(_ report: JSONValue, file: String) throws -> (steps: [HostStepRecord], profile: HostProfile)? {
        guard let block = report["hostSteps"] else { return nil }
        let r = try JSONReader(block, file: file, path: "$.hostSteps")
        let profile = try HostProfile(json: try r.object("profile").value, file: file)
        var steps: [HostStepRecord] = []
        for (i, s) in try r.array("steps").enumerated() {
            let sr = try JSONReader(s, file: file, path: "$.hostSteps.steps[\(i)]")
            let values = try HostStepCounts.fieldNames.map { UInt64(try sr.int($0, range: 0...Int.max)) }
            steps.append(HostStepRecord(name: try sr.string("name"), description: try sr.string("description", default: ""),
                                        counts: HostStepCounts(values: values)))
            try sr.rejectUnknownKeys()
        }
        try r.rejectUnknownKeys()
        return (steps, profile)
    }

    /// The human lines under the chip's energy table.
    public static func text(_ steps: [HostStepRecord], profile: HostProfile, chipPicojoules: Double) -> String {
        var out = "host steps (host work, costed with host profile '\(profile.name)', not in the chip's energy above):\n"
        var total = 0.0
        for s in steps {
            let c = cost(s.counts, profile: profile)
            total += c.linkPicojoules + c.flopPicojoules
            out += "  \(s.name): \(s.counts.executions) executions, \(s.counts.bytesToHost) bytes chip->host, \(s.counts.bytesToChip) bytes host->chip, "
                + "\(s.counts.operations) operations (\(s.counts.intOps) int, \(s.counts.macs) MAC, \(s.counts.compares) compare): "
                + "\(Units.energy(c.linkPicojoules + c.flopPicojoules)) (link \(Units.energy(c.linkPicojoules)), host \(Units.energy(c.flopPicojoules))), \(Units.time(c.seconds)) host time\n"
        }
        out += "  chip + host steps: \(Units.energy(chipPicojoules + total))\n"
        return out
    }
}
