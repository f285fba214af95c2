import Foundation
import ChipModel

/// `chipsim compare CONFIG --seeds N`: the compare run once per seed (a sweep of kind compare
/// over `experiment.seed` = 1...N, so local workers, resume and ids are the sweep's), then every
/// method's figures as mean ± sample standard deviation over the seeds.
public enum CompareSeeds {
    /// The sweep spec: the compare config (absolute path), the `--set` overrides, seeds 1...N.
    public static func specJSON(name: String, compareConfig: String, overrides: [ConfigOverride], seeds: Int) -> JSONValue {
        .object([("name", .string(name)), ("kind", .string("compare")), ("base", .string(compareConfig)),
                 ("set", .object(overrides.map { ($0.path, $0.value) })),
                 ("axes", .array([.object([("seeds", .int(seeds))])]))])
    }

    public struct MethodStats {
        public var name: String
        public var n: Int
        public var floatAccuracy: (mean: Double, sd: Double)?
        public var chipAccuracy: (mean: Double, sd: Double)?
        public var trainPicojoulesPerSample: (mean: Double, sd: Double)?
        public var inferencePicojoulesPerSample: (mean: Double, sd: Double)?
        public var trainSeconds: (mean: Double, sd: Double)?
    }

    /// Per method (in the order of the first report), over the finished points' report.json.
    public static func stats(points: [SweepPoint], store: SweepStore) -> [MethodStats] {
        var order: [String] = []
        var values: [String: [[String: Double]]] = [:]
        for p in points where store.status(p) == .done {
            let path = store.runDir(p) + "/report.json"
            guard let d = FileManager.default.contents(atPath: path), let r = try? JSONValue.parse(d, file: path),
                  case let .array(methods)? = r["methods"] else { continue }
            for m in methods {
                guard case let .string(name)? = m["name"] else { continue }
                if values[name] == nil { order.append(name) }
                var v: [String: Double] = [:]
                for k in ["floatTestAccuracy", "chipTestAccuracy", "trainPicojoulesPerSample", "inferencePicojoulesPerSample", "trainSeconds"] {
                    if case let .number(x, _)? = m[k] { v[k] = x }
                }
                values[name, default: []].append(v)
            }
        }
        return order.map { name in
            let vs = values[name]!
            func s(_ k: String) -> (mean: Double, sd: Double)? { SweepResults.meanSD(vs.compactMap { $0[k] }) }
            return MethodStats(name: name, n: vs.count, floatAccuracy: s("floatTestAccuracy"), chipAccuracy: s("chipTestAccuracy"),
                               trainPicojoulesPerSample: s("trainPicojoulesPerSample"),
                               inferencePicojoulesPerSample: s("inferencePicojoulesPerSample"), trainSeconds: s("trainSeconds"))
        }
    }

    /// One row per method: mean and sd columns.
    public static func csv(_ stats: [MethodStats]) -> String {
        var s = "method,seeds,float_accuracy_mean,float_accuracy_sd,chip_accuracy_mean,chip_accuracy_sd,train_pj_per_sample_mean,train_pj_per_sample_sd,inference_pj_per_sample_mean,inference_pj_per_sample_sd,train_seconds_mean,train_seconds_sd\n"
        for m in stats {
            let cells = [m.floatAccuracy, m.chipAccuracy, m.trainPicojoulesPerSample, m.inferencePicojoulesPerSample, m.trainSeconds]
                .map { v in v.map { "\($0.mean),\($0.sd)" } ?? "," }
            s += SweepResults.csvCell(m.name) + ",\(m.n)," + cells.joined(separator: ",") + "\n"
        }
        return s
    }

    public static func text(_ stats: [MethodStats], seeds: Int) -> String {
        func pct(_ v: (mean: Double, sd: Double)?) -> String { v.map { String(format: "%.2f ± %.2f %%", $0.mean * 100, $0.sd * 100) } ?? "-" }
        func pj(_ v: (mean: Double, sd: Double)?) -> String { v.map { Units.energy($0.mean) + " ± " + Units.energy($0.sd) } ?? "-" }
        let w = max(6, stats.map(\.name.count).max() ?? 0)
        var s = "mean ± sd over \(seeds) seed(s)\n  " + "method".padding(toLength: w, withPad: " ", startingAt: 0)
            + lpad("float acc.", 18) + lpad("on-chip acc.", 18) + lpad("train energy/sample", 26) + lpad("inference/sample", 26) + "\n"
        for m in stats {
            s += "  " + m.name.padding(toLength: w, withPad: " ", startingAt: 0) + lpad(pct(m.floatAccuracy), 18) + lpad(pct(m.chipAccuracy), 18)
                + lpad(pj(m.trainPicojoulesPerSample), 26) + lpad(pj(m.inferencePicojoulesPerSample), 26) + "\n"
        }
        return s
    }
}
