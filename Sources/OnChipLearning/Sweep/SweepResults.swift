import Foundation
import ChipModel

/// The figures of one point, read from its report (run or compare) and its marker.
public struct SweepRow {
    public var point: SweepPoint
    /// "ok", "failed" or "pending".
    public var status: String
    public var error: String = ""
    public var seed: Int?
    /// Final test accuracy (training runs), accuracy (inference runs), or the first on-chip
    /// method's chip test accuracy (compare).
    public var accuracy: Double?
    public var bestAccuracy: Double?
    /// Dynamic energy per training sample and per inference (test) sample, picojoules.
    public var trainPicojoulesPerSample: Double?
    public var inferencePicojoulesPerSample: Double?
    public var cycles: Double?
    public var simulatedSeconds: Double?
    public var memoryBytes: Double?
    public var wallSeconds: Double?
    /// Time to the spec's target accuracy: first epoch reaching it, and the training samples,
    /// simulated seconds and dynamic training energy (pJ) spent up to the end of that epoch.
    public var targetEpoch: Int?
    public var targetSamples: Double?
    public var targetSimulatedSeconds: Double?
    public var targetPicojoules: Double?
}

public enum SweepResults {
    static func num(_ v: JSONValue?) -> Double? { if case let .number(x, _)? = v { return x }; return nil }

    static func get(_ v: JSONValue?, _ path: String...) -> JSONValue? {
        var cur = v
        for k in path { cur = cur?[k] }
        return cur
    }

    /// Reads a point's row: status from its markers, figures from run/report.json.
    public static func row(_ p: SweepPoint, spec: SweepSpec, store: SweepStore) -> SweepRow {
        var row = SweepRow(point: p, status: "pending")
        let seedValue = spec.kind == .run ? p.resolved["seed"] : p.resolved["experiment"]?["seed"]
        row.seed = seedValue.map { num($0).map { Int($0) } } ?? 1
        row.wallSeconds = store.wallSeconds(p)
        switch store.status(p) {
        case .pending: return row
        case .failed(let e): row.status = "failed"; row.error = e; return row
        case .done: row.status = "ok"
        }
        let path = store.runDir(p) + "/report.json"
        guard let data = FileManager.default.contents(atPath: path), let r = try? JSONValue.parse(data, file: path) else {
            row.status = "failed"; row.error = "done marker but no readable \(path)"
            return row
        }
        if spec.kind == .compare {
            guard case let .array(methods)? = r["methods"],
                  let m = methods.first(where: { $0["kind"] == .string("on-chip") }) ?? methods.first else { return row }
            row.accuracy = num(m["chipTestAccuracy"])
            row.trainPicojoulesPerSample = num(m["trainPicojoulesPerSample"])
            row.inferencePicojoulesPerSample = num(m["inferencePicojoulesPerSample"])
            row.simulatedSeconds = num(m["trainSeconds"])
            row.memoryBytes = num(get(m, "memoryBytes", "total"))
            if case let .array(curve)? = m["curve"] {
                row.bestAccuracy = curve.compactMap { num($0["testAccuracy"]) }.max()
                if let t = spec.targetAccuracy, let hit = curve.first(where: { (num($0["testAccuracy"]) ?? 0) >= t }) {
                    row.targetEpoch = num(hit["epoch"]).map { Int($0) }
                    // trainSamples is the method's total over its epochs, the same number each epoch.
                    if let total = num(m["trainSamples"]), let e = row.targetEpoch, !curve.isEmpty {
                        row.targetSamples = total * Double(e) / Double(curve.count)
                    }
                    row.targetSimulatedSeconds = num(hit["cumulativeSeconds"])
                    row.targetPicojoules = num(hit["cumulativePicojoules"])
                }
            }
            return row
        }
        row.cycles = num(get(r, "cycles", "total"))
        row.simulatedSeconds = num(r["simulatedSeconds"])
        let dynamic = num(get(r, "energy", "dynamicPicojoules")) ?? 0
        var memory = (num(get(r, "memory", "synapseBytes")) ?? 0) + (num(get(r, "memory", "neuronStateBytes")) ?? 0)
        if let t = r["training"] {
            row.accuracy = num(t["finalTestAccuracy"])
            row.bestAccuracy = num(t["bestTestAccuracy"])
            let trainTotal = num(get(t, "trainEnergy", "totalPicojoules")) ?? 0
            row.trainPicojoulesPerSample = num(get(t, "trainEnergy", "perSamplePicojoules"))
            memory += (num(get(t, "memory", "learningStateBytes")) ?? 0) + (num(get(t, "memory", "feedbackSynapseBytes")) ?? 0)
            if case let .array(epochs)? = t["epochs"] {
                let testSamples = epochs.compactMap { num($0["testSamples"]) }.reduce(0, +)
                if testSamples > 0 { row.inferencePicojoulesPerSample = (dynamic - trainTotal) / testSamples }
                if let target = spec.targetAccuracy {
                    var samples = 0.0, seconds = 0.0, pj = 0.0
                    for e in epochs {
                        let n = num(e["trainSamples"]) ?? 0
                        samples += n
                        seconds += (num(e["trainSimulatedSecondsPerSample"]) ?? 0) * n
                        pj += num(e["trainPicojoules"]) ?? 0
                        if (num(e["testAccuracy"]) ?? 0) >= target {
                            row.targetEpoch = num(e["epoch"]).map { Int($0) }
                            row.targetSamples = samples; row.targetSimulatedSeconds = seconds; row.targetPicojoules = pj
                            break
                        }
                    }
                }
            }
        } else {
            row.accuracy = num(get(r, "summary", "accuracy"))
            if let n = num(get(r, "summary", "samples")), n > 0 { row.inferencePicojoulesPerSample = dynamic / n }
        }
        row.memoryBytes = memory
        return row
    }

    public static func rows(spec: SweepSpec, points: [SweepPoint], store: SweepStore) -> [SweepRow] {
        points.map { row($0, spec: spec, store: store) }
    }

    static func csvCell(_ s: String) -> String {
        s.contains(",") || s.contains("\"") || s.contains("\n") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    static func cell(_ v: Double?) -> String {
        guard let v else { return "" }
        if v == v.rounded() && abs(v) < 1e15 { return String(Int64(v)) }
        return "\(v)"
    }

    /// sweep.csv: one row per point, in point order. Wall-clock seconds are the only column
    /// that differs between two sweeps of the same spec.
    public static func csv(spec: SweepSpec, rows: [SweepRow]) -> String {
        let cols = spec.columns.filter { $0.name != "seed" }
        var s = "index,id,status," + cols.map { csvCell($0.name) }.joined(separator: ",")
            + (cols.isEmpty ? "" : ",") + "seed,accuracy,best_accuracy,train_pj_per_sample,inference_pj_per_sample,cycles,simulated_seconds,memory_bytes,wall_seconds"
        if spec.targetAccuracy != nil { s += ",target_epoch,target_train_samples,target_simulated_seconds,target_train_pj" }
        s += ",error\n"
        for r in rows {
            let values = cols.map { c in csvCell(r.point.values.first { $0.0 == c.name }.map { SweepPoint.text($0.1) } ?? "") }
            var line = "\(r.point.index),\(r.point.id),\(r.status)," + values.joined(separator: ",") + (cols.isEmpty ? "" : ",")
            line += [r.seed.map { Double($0) }, r.accuracy, r.bestAccuracy, r.trainPicojoulesPerSample, r.inferencePicojoulesPerSample,
                     r.cycles, r.simulatedSeconds, r.memoryBytes, r.wallSeconds].map(cell).joined(separator: ",")
            if spec.targetAccuracy != nil {
                line += "," + [r.targetEpoch.map { Double($0) }, r.targetSamples, r.targetSimulatedSeconds, r.targetPicojoules].map(cell).joined(separator: ",")
            }
            s += line + "," + csvCell(r.error) + "\n"
        }
        return s
    }

    /// Mean and sample standard deviation (n - 1; 0 for one value).
    public static func meanSD(_ xs: [Double]) -> (mean: Double, sd: Double)? {
        guard !xs.isEmpty else { return nil }
        let m = xs.reduce(0, +) / Double(xs.count)
        guard xs.count > 1 else { return (m, 0) }
        let v = xs.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(xs.count - 1)
        return (m, v.squareRoot())
    }

    /// A group: the points with the same values on every non-seed column (one per seed).
    public struct Group {
        public var values: [(String, JSONValue)]
        public var rows: [SweepRow]
        public var label: String { values.map { "\($0.0)=\(SweepPoint.text($0.1))" }.joined(separator: " ") }
        public func stat(_ f: (SweepRow) -> Double?) -> (mean: Double, sd: Double, n: Int)? {
            let xs = rows.filter { $0.status == "ok" }.compactMap(f)
            return meanSD(xs).map { ($0.mean, $0.sd, xs.count) }
        }
    }

    public static func groups(_ rows: [SweepRow]) -> [Group] {
        var out: [Group] = []
        for r in rows {
            let key = r.point.values.filter { $0.0 != "seed" }
            if let i = out.firstIndex(where: { g in zip(g.values, key).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 } }) {
                out[i].rows.append(r)
            } else {
                out.append(Group(values: key, rows: [r]))
            }
        }
        return out
    }
}
