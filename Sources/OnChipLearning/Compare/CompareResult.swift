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
    /// Leakage of the chip's powered cores over the simulated training time (no action).
    case chipStatic = "chip static"

    public static func of(_ a: Action) -> EnergyCategory {
        switch a {
        case .synop, .sramReadBits: return .chipSynapses
        case .neuronActive, .neuronIdle: return .chipNeurons
        case .spikeLocal, .hopEW, .hopNS, .barrier: return .chipRouting
        case .plastInstr, .plastSynapse, .traceUpdate, .prngDraw, .modBroadcast, .sramWriteBits: return .chipLearning
        case .hostIOBytes: return .hostLink
        case .hostFlop: return .hostCompute
        case .hostDRAMBytes: return .hostDRAM
        case .gradedMACBits, .reduceOp: return .chipLearning
        }
    }

    /// Chip counts costed with the chip's table, summed per category, plus the static energy of
    /// `poweredCores` over `seconds` of simulated time (EnergyModel.cost, the one pure function).
    public static func breakdown(_ counts: ActionCounts, table: EnergyTable, poweredCores: Int = 0, seconds: Double = 0) -> [EnergyCategory: Double] {
        let e = EnergyModel.cost(counts, table: table, cores: poweredCores, simulatedSeconds: seconds)
        var out: [EnergyCategory: Double] = [:]
        for a in Action.allCases { out[of(a), default: 0] += e.byAction[a.rawValue] }
        if e.staticPicojoules > 0 { out[.chipStatic] = e.staticPicojoules }
        return out
    }
}

/// The chip a compare ran on, shown on every page: mesh, cores, memory per core.
public struct ChipSetup: Equatable, Sendable {
    public var meshWidth: Int
    public var meshHeight: Int
    public var coresOnChip: Int
    public var coresUsed: Int
    public var neuronsPerCore: Int
    public var synapseMemoryBytesPerCore: Int
    public var energyTable: String

    public static func of(_ chip: Chip) -> ChipSetup {
        let c = chip.config.chip
        return ChipSetup(meshWidth: c.meshWidth, meshHeight: c.meshHeight, coresOnChip: c.cores, coresUsed: chip.usedCores.count,
                         neuronsPerCore: c.core.neurons, synapseMemoryBytesPerCore: c.core.synapseMemoryBytes, energyTable: c.energyTable)
    }

    public var json: JSONValue {
        .object([("mesh", .array([.int(meshWidth), .int(meshHeight)])), ("coresOnChip", .int(coresOnChip)), ("coresUsed", .int(coresUsed)),
                 ("neuronsPerCore", .int(neuronsPerCore)), ("synapseMemoryBytesPerCore", .int(synapseMemoryBytesPerCore)),
                 ("energyTable", .string(energyTable))])
    }

    public var text: String {
        "\(coresUsed) of \(coresOnChip) cores used on a \(meshWidth)x\(meshHeight) mesh; per core \(neuronsPerCore) neurons and \(CompareResult.bytes(synapseMemoryBytesPerCore)) of synapse memory; energy table \(energyTable)"
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
    /// NeuroBench metrics of the chip's network (docs/NEUROBENCH.md): on-chip rules over every
    /// sample the chip ran (training and test passes); off-chip methods over the deployed
    /// network's test pass; nil where the chip's run is not kept (chip in the loop).
    public var neurobench: NeuroBenchMetrics? = nil

    /// What `trainSeconds` measures: not the same quantity for every kind of method.
    public var timeBasis: String {
        switch kind {
        case "on-chip": return "simulated chip time"
        case "off-chip": return "host roofline estimate (lower bound)"
        default: return "simulated chip time + host roofline estimate (lower bound)"
        }
    }
    /// What `weightWrites` counts.
    public var writesBasis: String {
        kind == "on-chip" ? "on-chip synapse updates (synapse-program executions)"
                          : "host weight updates + weights written to the chip"
    }

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
            ("trainSeconds", .double(trainSeconds)), ("trainSecondsBasis", .string(timeBasis)),
            ("operations", .object(operations.map { ($0.0, .uint($0.1)) })),
            ("memoryBytes", .object(memory.map { ($0.0, .int($0.1)) } + [("total", .int(memoryBytes))])),
            ("weightWrites", .uint(weightWrites)), ("weightWritesBasis", .string(writesBasis)),
            ("hostIOBytes", .uint(hostIOBytes)),
            ("inferencePicojoulesPerSample", .double(inferencePicojoulesPerSample)),
            ("curve", .array(curve.map { p in
                .object([("epoch", .int(p.epoch)), ("trainAccuracy", .double(p.trainAccuracy)), ("testAccuracy", .double(p.testAccuracy)),
                         ("cumulativePicojoules", .double(p.cumulativePicojoules)), ("cumulativeSeconds", .double(p.cumulativeSeconds))])
            })),
        ]
        if let d = deployment { kv.append(("deployment", d)) }
        kv.append(("neurobench", neurobench?.json ?? .null))
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
            + ",train_seconds,train_seconds_basis,memory_bytes,weight_writes,weight_writes_basis,host_io_bytes,inference_picojoules_per_sample,"
            + "nb_dense_synops,nb_effective_acs,nb_effective_macs,nb_chip_synops,nb_chip_macs,nb_activation_sparsity,nb_connection_sparsity,nb_footprint_bytes,nb_chip_sram_bytes,nb_membrane_updates,nb_neuron_updates\n"
        for m in methods {
            s += "\(csv(m.name)),\(m.kind),\(m.rule),\(m.host ?? ""),\(m.floatAccuracy.map { String($0) } ?? ""),\(m.chipAccuracy),"
            s += "\(m.totalPicojoules),\(m.picojoulesPerSample),"
            s += EnergyCategory.allCases.map { String(m.energy[$0] ?? 0) }.joined(separator: ",")
            s += ",\(m.trainSeconds),\(csv(m.timeBasis)),\(m.memoryBytes),\(m.weightWrites),\(csv(m.writesBasis)),\(m.hostIOBytes),\(m.inferencePicojoulesPerSample),"
            if let t = m.neurobench?.total {
                func o(_ x: Double?) -> String { x.map { String($0) } ?? "" }
                s += "\(t.denseSynapticOperations),\(t.effectiveACs),\(o(t.effectiveMACs)),\(o(t.chipSynapticOperations)),\(o(t.chipMACs)),\(o(t.activationSparsity)),\(o(t.connectionSparsity)),\(t.footprintBytes),\(t.chipSRAMBytes),\(o(t.membraneUpdates)),\(t.neuronUpdates)\n"
            } else { s += ",,,,,,,,,,\n" }
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
        out += "  train time: on-chip = simulated chip time; off-chip = host roofline estimate (a lower bound); chip-in-the-loop = both added.\n"
        out += "  weight writes: on-chip = synapse updates on the chip; off-chip and chip-in-the-loop = host weight updates + weights written to the chip.\n"
        if case let .object(kv) = task, let chip = kv.first(where: { $0.0 == "chip" })?.1,
           case let .array(mesh)? = chip["mesh"], mesh.count == 2 {
            func i(_ v: JSONValue?) -> String { if case let .number(x, _)? = v { return String(Int(x)) }; return "?" }
            out += "  chip: \(i(chip["coresUsed"])) of \(i(chip["coresOnChip"])) cores used on a \(i(mesh[0]))x\(i(mesh[1])) mesh, \(i(chip["synapseMemoryBytesPerCore"])) bytes of synapse memory per core\n"
        }
        out += "  energy breakdown (% of training energy):\n"
        for m in methods {
            let total = max(m.totalPicojoules, 1e-30)
            let parts = EnergyCategory.allCases.filter { (m.energy[$0] ?? 0) > 0 }
                .sorted { (m.energy[$0] ?? 0) > (m.energy[$1] ?? 0) }
                .map { "\($0.rawValue) \(fmt(100 * (m.energy[$0] ?? 0) / total, 1))" }
            out += "    " + m.name.padding(toLength: nameW, withPad: " ", startingAt: 0) + parts.joined(separator: ", ") + "\n"
        }
        out += "  neurobench per sample (docs/NEUROBENCH.md): dense synops, effective ACs, activation sparsity, connection sparsity, footprint / chip SRAM:\n"
        for m in methods {
            guard let t = m.neurobench?.total else { continue }
            out += "    " + m.name.padding(toLength: nameW, withPad: " ", startingAt: 0)
                + "\(Self.count(UInt64(t.denseSynapticOperations))), \(Self.count(UInt64(t.effectiveACs))), "
                + "\(t.activationSparsity.map { fmt($0, 3) } ?? "-"), \(t.connectionSparsity.map { fmt($0, 3) } ?? "-"), "
                + "\(Self.bytes(t.footprintBytes)) / \(Self.bytes(t.chipSRAMBytes))\n"
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
