import ChipModel

/// Re-costs a finished report.json with another energy table without re-simulating: every
/// derived energy figure (the `energy` block, `training.trainEnergy` and each epoch's energy)
/// is recomputed from the counts and simulated times the report stores, with the same
/// functions that wrote them. Counts, cycles and everything else are left as they are.
public enum ReportRecost {
    /// `hostProfile`: re-costs the report's declared host steps with this profile instead of
    /// the one the report carries (its `hostSteps.profile` is replaced too).
    public static func recost(_ report: JSONValue, table: EnergyTable, file: String, hostProfile: HostProfile? = nil) throws -> JSONValue {
        guard case .number(let v, _)? = report["schemaVersion"], Int(v) == RunReport.schemaVersion else {
            throw ChipError.config(file: file, path: "$.schemaVersion", message: "expected a chipsim report with schemaVersion \(RunReport.schemaVersion)")
        }
        if case .string("compare")? = report["kind"] {
            throw ChipError.config(file: file, path: "$.kind", message: "a compare report cannot be re-costed (it keeps no per-component counts); re-run the comparison with the other table as chip.energyTable")
        }
        let r = try JSONReader(report, file: file, path: "$")
        let components = try EnergyReport.components(fromReport: report, file: file)
        let summary = try r.object("summary")
        let samples = try summary.int("samples", range: 0...Int.max)
        let coreComponents = components.filter { $0.component != "mesh" }.count
        let used = try summary.optionalInt("coresUsed", range: 0...Int.max) ?? coreComponents
        let onChip = try summary.optionalInt("coresOnChip", range: 0...Int.max) ?? coreComponents
        let seconds = try r.double("simulatedSeconds", min: 0)
        let powered = table.poweredCores(used: used, onChip: onChip)
        var hostSteps = try HostStepReport.fromReport(report, file: file)
        if let p = hostProfile, hostSteps != nil { hostSteps!.profile = p }
        var out = replacing(report, [("energy", EnergyReport.json(components: components, table: table, usedCores: used,
                                                                   coresOnChip: onChip, simulatedSeconds: seconds, samples: samples,
                                                                   hostSteps: hostSteps))])
        if let h = hostSteps { out = replacing(out, [("hostSteps", HostStepReport.countsJSON(h.steps, profile: h.profile))]) }
        guard let training = report["training"] else { return out }
        let tr = try r.object("training")
        let epochs = try tr.array("epochs")
        var newEpochs: [JSONValue] = []
        var epochSamples = 0
        for (i, e) in epochs.enumerated() {
            let er = try JSONReader(e, file: file, path: "\(tr.path).epochs[\(i)]")
            guard let countsJSON = er.optional("trainCounts") else {
                throw ChipError.config(file: file, path: "\(er.path).trainCounts",
                                       message: "missing: this report predates per-epoch counts; re-run it to re-cost its training energy")
            }
            let n = try er.int("trainSamples", range: 0...Int.max)
            epochSamples += n
            let fields = TrainingReport.epochEnergyFields(
                counts: try EnergyReport.counts(from: countsJSON, file: file, path: "\(er.path).trainCounts"),
                seconds: try er.double("trainSimulatedSeconds", min: 0), samples: n, table: table, poweredCores: powered)
            newEpochs.append(replacing(e, fields))
        }
        guard let total = tr.optional("trainCounts") else {
            throw ChipError.config(file: file, path: "\(tr.path).trainCounts", message: "missing training counts")
        }
        let trainEnergy = TrainingReport.trainEnergyJSON(
            counts: try EnergyReport.counts(from: total, file: file, path: "\(tr.path).trainCounts"),
            seconds: try tr.double("trainSimulatedSeconds", min: 0),
            samples: try tr.optionalInt("trainSamples", range: 0...Int.max) ?? epochSamples, table: table, poweredCores: powered)
        out = replacing(out, [("training", replacing(training, [("epochs", .array(newEpochs)), ("trainEnergy", trainEnergy)]))])
        return out
    }

    /// `object` with the values of `fields` replaced in place (or appended when absent).
    static func replacing(_ object: JSONValue, _ fields: [(String, JSONValue)]) -> JSONValue {
        guard case var .object(kv) = object else { return object }
        for (k, v) in fields {
            if let i = kv.firstIndex(where: { $0.0 == k }) { kv[i].1 = v } else { kv.append((k, v)) }
        }
        return .object(kv)
    }
}
