import Foundation
import ChipModel

/// One epoch of a method's learning curve.
public struct ComparePoint: Equatable, Sendable {
    public var epoch: Int
    public var trainAccuracy: Double
    /// Test accuracy: on the chip for on-chip rules, of the float twin for off-chip methods.
    public var testAccuracy: Double
    /// Training energy and (simulated or modelled) training time up to the end of this epoch.
    public var cumulativePicojoules: Double
    public var cumulativeSeconds: Double
}

/// Energy categories shared by every method, so the breakdown bars are comparable.
public enum EnergyCategory: String, CaseIterable, Sendable {
    case chipSynapses = "chip synapses"
    case chipNeurons = "chip neurons"
    case chipRouting = "chip spikes+routing"
    case chipLearning = "chip learning+writes"
    case hostLink = "host link"
    case hostCompute = "host compute"
    case hostDRAM = "host DRAM"

    public static func of(_ a: Action) -> EnergyCategory {
        switch a {
        case .synop, .sramReadBits: return .chipSynapses
        case .neuronActive, .neuronIdle: return .chipNeurons
        case .spikeLocal, .hopEW, .hopNS, .barrier: return .chipRouting
        case .plastInstr, .plastSynapse, .traceUpdate, .prngDraw, .modBroadcast, .sramWriteBits: return .chipLearning
        case .hostIOBytes: return .hostLink
        case .hostFlop: return .hostCompute
        case .hostDRAMBytes: return .hostDRAM
        }
    }

    /// Chip counts costed with the chip's table, summed per category.
    public static func breakdown(_ counts: ActionCounts, table: EnergyTable) -> [EnergyCategory: Double] {
        let e = EnergyModel.cost(counts, table: table)
        var out: [EnergyCategory: Double] = [:]
        for a in Action.allCases { out[of(a), default: 0] += e.byAction[a.rawValue] }
        return out
    }
}

/// Everything `chipsim compare` reports about one method (an on-chip rule, or an off-chip
/// method costed on one host profile).
public struct MethodResult: Sendable {
    public var name: String
    /// "on-chip" or "off-chip".
    public var kind: String
    public var rule: String
    public var host: String?
    public var curve: [ComparePoint]
    /// Final float test accuracy (off-chip only).
    public var floatAccuracy: Double?
    /// Final test accuracy on the chip (on-chip training, or after deployment).
    public var chipAccuracy: Double
    /// Training sample presentations (epochs x samples).
    public var trainSamples: Int
    /// Training energy (plus deployment for off-chip) per category, pJ.
    public var energy: [EnergyCategory: Double]
    /// Simulated (on-chip) or modelled (host roofline + link) training time, s.
    public var trainSeconds: Double
    public var operations: [(String, UInt64)]
    public var memory: [(String, Int)]
    /// Weight writes: on-chip synapse-program executions; off-chip host weight updates + chip writes.
    public var weightWrites: UInt64
    public var hostIOBytes: UInt64
    /// Energy of one test-set inference on the chip (the final evaluation pass), pJ.
    public var inferencePicojoulesPerSample: Double
    public var deployment: JSONValue?

    public var totalPicojoules: Double { energy.values.reduce(0, +) }
    public var picojoulesPerSample: Double { totalPicojoules / Double(max(1, trainSamples)) }
    public var memoryBytes: Int { memory.reduce(0) { $0 + $1.1 } }

    public var json: JSONValue {
        var kv: [(String, JSONValue)] = [
            ("name", .string(name)), ("kind", .string(kind)), ("rule", .string(rule)),
            ("host", host.map { .string($0) } ?? .null),
            ("floatTestAccuracy", floatAccuracy.map { .double($0) } ?? .null),
            ("chipTestAccuracy", .double(chipAccuracy)),
            ("trainSamples", .int(trainSamples)),
            ("trainPicojoules", .double(totalPicojoules)),
            ("trainPicojoulesPerSample", .double(picojoulesPerSample)),
            ("energyByCategory", .object(EnergyCategory.allCases.map { ($0.rawValue, .double(energy[$0] ?? 0)) })),
            ("trainSeconds", .double(trainSeconds)),
            ("operations", .object(operations.map { ($0.0, .uint($0.1)) })),
            ("memoryBytes", .object(memory.map { ($0.0, .int($0.1)) } + [("total", .int(memoryBytes))])),
            ("weightWrites", .uint(weightWrites)),
            ("hostIOBytes", .uint(hostIOBytes)),
            ("inferencePicojoulesPerSample", .double(inferencePicojoulesPerSample)),
            ("curve", .array(curve.map { p in
                .object([("epoch", .int(p.epoch)), ("trainAccuracy", .double(p.trainAccuracy)), ("testAccuracy", .double(p.testAccuracy)),
                         ("cumulativePicojoules", .double(p.cumulativePicojoules)), ("cumulativeSeconds", .double(p.cumulativeSeconds))])
            })),
        ]
        if let d = deployment { kv.append(("deployment", d)) }
        return .object(kv)
    }
}

/// The outcome of `chipsim compare`.
public struct CompareResult: Sendable {
    public static let schemaVersion = 1
    public var name: String
    public var task: JSONValue
    public var hosts: [HostProfile]
    public var methods: [MethodResult]
    public var wallSeconds: Double

    public var json: JSONValue {
        .object([("schemaVersion", .int(Self.schemaVersion)), ("kind", .string("compare")), ("name", .string(name)),
                 ("task", task), ("hosts", .array(hosts.map(\.json))),
                 ("methods", .array(methods.map(\.json))),
                 ("wallClock", .object([("seconds", .double(wallSeconds))]))])
    }

    /// One row per method: the comparison table.
    public var summaryCSV: String {
        var s = "method,kind,rule,host,float_test_accuracy,chip_test_accuracy,train_picojoules,train_picojoules_per_sample,"
            + EnergyCategory.allCases.map { $0.rawValue.replacingOccurrences(of: " ", with: "_").replacingOccurrences(of: "+", with: "_") + "_picojoules" }.joined(separator: ",")
            + ",train_seconds,memory_bytes,weight_writes,host_io_bytes,inference_picojoules_per_sample\n"
        for m in methods {
            s += "\(csv(m.name)),\(m.kind),\(m.rule),\(m.host ?? ""),\(m.floatAccuracy.map { String($0) } ?? ""),\(m.chipAccuracy),"
            s += "\(m.totalPicojoules),\(m.picojoulesPerSample),"
            s += EnergyCategory.allCases.map { String(m.energy[$0] ?? 0) }.joined(separator: ",")
            s += ",\(m.trainSeconds),\(m.memoryBytes),\(m.weightWrites),\(m.hostIOBytes),\(m.inferencePicojoulesPerSample)\n"
        }
        return s
    }

    /// One row per (method, epoch): the learning curves.
    public var curvesCSV: String {
        var s = "method,epoch,train_accuracy,test_accuracy,cumulative_train_picojoules,cumulative_train_seconds\n"
        for m in methods { for p in m.curve {
            s += "\(csv(m.name)),\(p.epoch),\(p.trainAccuracy),\(p.testAccuracy),\(p.cumulativePicojoules),\(p.cumulativeSeconds)\n"
        } }
        return s
    }

    func csv(_ s: String) -> String { s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s }

    /// The stdout table.
    public var text: String {
        let nameW = max(24, (methods.map(\.name.count).max() ?? 0) + 2)
        var out = "compare \(name): accuracy and training cost per method\n"
        out += "  " + "method".padding(toLength: nameW, withPad: " ", startingAt: 0)
            + lpad("float", 8) + lpad("on chip", 9) + lpad("train energy", 14) + lpad("per sample", 12)
            + lpad("train time", 12) + lpad("memory", 10) + lpad("weight writes", 15) + lpad("host I/O", 11) + "\n"
        for m in methods {
            out += "  " + m.name.padding(toLength: nameW, withPad: " ", startingAt: 0)
                + lpad(m.floatAccuracy.map { fmt($0 * 100, 1) + "%" } ?? "-", 8)
                + lpad(fmt(m.chipAccuracy * 100, 1) + "%", 9)
                + lpad(Units.energy(m.totalPicojoules), 14) + lpad(Units.energy(m.picojoulesPerSample), 12)
                + lpad(Units.time(m.trainSeconds), 12) + lpad(Self.bytes(m.memoryBytes), 10)
                + lpad(Self.count(m.weightWrites), 15) + lpad(Self.bytes(Int(m.hostIOBytes)), 11) + "\n"
        }
        out += "  energy breakdown (% of training energy):\n"
        for m in methods {
            let total = max(m.totalPicojoules, 1e-30)
            let parts = EnergyCategory.allCases.filter { (m.energy[$0] ?? 0) > 0 }
                .sorted { (m.energy[$0] ?? 0) > (m.energy[$1] ?? 0) }
                .map { "\($0.rawValue) \(fmt(100 * (m.energy[$0] ?? 0) / total, 1))" }
            out += "    " + m.name.padding(toLength: nameW, withPad: " ", startingAt: 0) + parts.joined(separator: ", ") + "\n"
        }
        out += "  operations:\n"
        for m in methods {
            out += "    " + m.name.padding(toLength: nameW, withPad: " ", startingAt: 0)
                + m.operations.map { "\($0.0) \(Self.count($0.1))" }.joined(separator: ", ") + "\n"
        }
        return out
    }

    static func bytes(_ b: Int) -> String {
        let x = Double(b)
        if x >= 1_073_741_824 { return fmt(x / 1_073_741_824, 2) + " GiB" }
        if x >= 1_048_576 { return fmt(x / 1_048_576, 2) + " MiB" }
        if x >= 1024 { return fmt(x / 1024, 1) + " KiB" }
        return "\(b) B"
    }

    static func count(_ n: UInt64) -> String {
        let x = Double(n)
        if x >= 1e12 { return fmt(x / 1e12, 2) + "T" }
        if x >= 1e9 { return fmt(x / 1e9, 2) + "G" }
        if x >= 1e6 { return fmt(x / 1e6, 2) + "M" }
        if x >= 1e3 { return fmt(x / 1e3, 1) + "k" }
        return "\(n)"
    }
}
