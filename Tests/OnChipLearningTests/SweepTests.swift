import Foundation
import Testing
import ChipModel
@testable import OnChipLearning

private func tempDir(_ name: String) -> String {
    let d = FileManager.default.temporaryDirectory.appendingPathComponent("chipsim-sweep-\(name)-\(getpid())").path
    try? FileManager.default.removeItem(atPath: d)
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

private let baseConfig = """
{"name": "tiny", "seed": 1,
 "chip": {"meshWidth": 1, "meshHeight": 1, "core": {"neurons": 64}},
 "network": {"layers": [{"name": "in", "kind": "input", "size": 4},
                        {"name": "h", "size": 3, "neuron": {"du": 4095, "dv": 0, "vth": 10}}],
             "connections": [{"from": "in", "to": "h", "weightBits": 4, "init": {"kind": "uniform", "low": -8, "high": 7}}]},
 "run": {"steps": 8}}
"""

/// Writes base.json and spec.json into a fresh directory; returns the spec.
private func spec(_ name: String, _ specText: String) throws -> SweepSpec {
    let d = tempDir(name)
    try Data(baseConfig.utf8).write(to: URL(fileURLWithPath: d + "/base.json"))
    try Data(specText.utf8).write(to: URL(fileURLWithPath: d + "/spec.json"))
    return try SweepSpec.load(path: d + "/spec.json")
}

@Suite struct SweepTests {
    /// The published FNV-1a 64 test vectors (Fowler, Noll, Vo: "FNV hash" reference page).
    @Test func fnv1a64MatchesTheReferenceVectors() {
        #expect(StableHash.hex(StableHash.fnv1a64("".utf8)) == "cbf29ce484222325")
        #expect(StableHash.hex(StableHash.fnv1a64("a".utf8)) == "af63dc4c8601ec8c")
        #expect(StableHash.hex(StableHash.fnv1a64("foobar".utf8)) == "85944171f73967e8")
    }

    /// Canonical text: sorted keys, numbers by value, remarks and the override record dropped.
    @Test func canonicalTextIgnoresLayoutButNotContent() throws {
        let a = try JSONValue.parse("{\"b\": 1.0, \"a\": [5e-1, \"x\"], \"comment\": \"hi\", \"overrides\": []}", file: "t")
        let b = try JSONValue.parse("{\"a\": [0.5, \"x\"], \"b\": 1}", file: "t")
        #expect(StableHash.canonical(a) == "{\"a\":[0.5,\"x\"],\"b\":1}")
        #expect(StableHash.id(of: a) == StableHash.id(of: b))
        #expect(StableHash.id(of: b) == StableHash.hex(StableHash.fnv1a64("{\"a\":[0.5,\"x\"],\"b\":1}".utf8)))
        let c = try JSONValue.parse("{\"a\": [0.5, \"x\"], \"b\": 2}", file: "t")
        #expect(StableHash.id(of: c) != StableHash.id(of: b))
    }

    @Test func gridPointsComeInOrderWithTheFirstAxisSlowest() throws {
        let s = try spec("grid", """
        {"base": "base.json", "set": {"run.steps": 4},
         "axes": [{"name": "size", "path": "network.layers[1].size", "values": [3, 5]},
                  {"zip": [{"path": "run.steps", "values": [6, 7, 8]}, {"name": "vth", "path": "network.layers[1].neuron.vth", "values": [10, 11, 12]}]},
                  {"seeds": 2}]}
        """)
        let pts = try s.points()
        #expect(pts.count == 12 && s.pointCount == 12)
        #expect(s.columns.map(\.name) == ["size", "run.steps", "vth", "seed"])
        // index = ((size * 3) + zip) * 2 + seed
        let p7 = pts[7]   // size 5 (1), zip 0 (6, 10), seed 2 (1)
        #expect(p7.values.map { SweepPoint.text($0.1) } == ["5", "6", "10", "2"])
        #expect(p7.resolved["run"]?["steps"] == .int(6))   // the axis after the fixed "set"
        #expect(p7.resolved["seed"] == .int(2))
        #expect(p7.overrides.map(\.path) == ["$.run.steps", "$.network.layers[1].size", "$.run.steps", "$.network.layers[1].neuron.vth", "$.seed"])
        #expect(Set(pts.map(\.id)).count == 12)
    }

    /// Ids depend on the resolved config only: the same point from a spec with its axes in
    /// another order (another index) has the same id; a changed base config changes every id.
    @Test func idsAreStableAndContentAddressed() throws {
        let s1 = try spec("ids1", "{\"base\": \"base.json\", \"axes\": [{\"path\": \"run.steps\", \"values\": [4, 8]}, {\"seeds\": [1, 2]}]}")
        let s2 = try spec("ids2", "{\"base\": \"base.json\", \"axes\": [{\"seeds\": [2, 1]}, {\"path\": \"$.run.steps\", \"values\": [8, 4]}]}")
        let a = try s1.points(), b = try s2.points()
        #expect(Set(a.map(\.id)) == Set(b.map(\.id)))
        #expect(a[0].id != b[0].id)     // (4, 1) vs (2, 8)
        #expect(a[3].id == b[0].id)     // (8, 2) both
        // The id is the hash of {"kind": "run", "config": resolved JSON}, computed independently here.
        var doc = try JSONValue.parse(baseConfig, file: "b")
        doc = try ConfigOverride.apply([try ConfigOverride(parsing: "run.steps=4"), try ConfigOverride(parsing: "seed=1")], to: doc, file: "b", record: false)
        #expect(a[0].id == StableHash.id(of: .object([("kind", .string("run")), ("config", doc)])))
        #expect(try s1.points().map(\.id) == a.map(\.id))
        // Steps 8 and seed 1 are the base's own values: point (8, 1) is the base itself.
        let s3 = try spec("ids3", "{\"base\": \"base.json\", \"axes\": [{\"seeds\": [1]}]}")
        #expect(try s3.points()[0].id == a[2].id)
    }

    @Test func specErrorsNameTheirPath() throws {
        let dup = errorText { _ = try spec("dup", "{\"base\": \"base.json\", \"axes\": [{\"path\": \"seed\", \"values\": [1, 1]}]}").points() }
        #expect(dup.contains("points 0 and 1 resolve to the same config"), "\(dup)")
        let zip = errorText { _ = try spec("zip", "{\"base\": \"base.json\", \"axes\": [{\"zip\": [{\"path\": \"seed\", \"values\": [1, 2]}, {\"path\": \"run.steps\", \"values\": [3]}]}]}") }
        #expect(zip.contains("$.axes[0].zip") && zip.contains("different lengths"), "\(zip)")
        let path = errorText { _ = try spec("path", "{\"base\": \"base.json\", \"axes\": [{\"path\": \"a..b\", \"values\": [1]}]}") }
        #expect(path.contains("$.axes[0].path"), "\(path)")
        let axis = errorText { _ = try spec("axis", "{\"base\": \"base.json\", \"axes\": [{\"valuez\": [1]}]}") }
        #expect(axis.contains("$.axes[0]") && axis.contains("expected an axis"), "\(axis)")
        let bad = errorText { _ = try spec("badidx", "{\"base\": \"base.json\", \"axes\": [{\"path\": \"network.layers[7].size\", \"values\": [1]}]}").points() }
        #expect(bad.contains("$.network.layers[7]"), "\(bad)")
    }

    @Test func meanAndSampleStandardDeviation() {
        let s = SweepResults.meanSD([1, 2, 3, 4])!
        #expect(s.mean == 2.5)
        #expect(abs(s.sd - (5.0 / 3.0).squareRoot()) < 1e-15)   // sum of squares 5, n - 1 = 3
        #expect(SweepResults.meanSD([7])!.mean == 7 && SweepResults.meanSD([7])!.sd == 0)
        #expect(SweepResults.meanSD([]) == nil)
    }

    /// compare over seeds: per method, mean and sample sd over the finished points' reports.
    @Test func compareSeedStatisticsPerMethod() throws {
        let store = SweepStore(root: tempDir("seeds"))
        let accs: [(Double, Double)] = [(0.5, 0.7), (0.7, 0.9), (0.0, 0.0)]   // (chip acc of A, of B); the third never finishes
        var points: [SweepPoint] = []
        for (i, (a, b)) in accs.enumerated() {
            let p = SweepPoint(index: i, id: "p\(i)", configFile: "c", overrides: [], values: [("seed", .int(i + 1))], resolved: .object([]))
            points.append(p)
            try store.prepare(p)
            guard i < 2 else { continue }
            let report = "{\"methods\": [{\"name\": \"A\", \"chipTestAccuracy\": \(a), \"trainPicojoulesPerSample\": \(10 + 2 * Double(i))}, {\"name\": \"B\", \"chipTestAccuracy\": \(b), \"floatTestAccuracy\": 0.8}]}"
            try FileManager.default.createDirectory(atPath: store.runDir(p), withIntermediateDirectories: true)
            try Data(report.utf8).write(to: URL(fileURLWithPath: store.runDir(p) + "/report.json"))
            try store.markDone(p, wallSeconds: 1)
        }
        let stats = CompareSeeds.stats(points: points, store: store)
        #expect(stats.map(\.name) == ["A", "B"] && stats.allSatisfy { $0.n == 2 })
        #expect(abs(stats[0].chipAccuracy!.mean - 0.6) < 1e-12 && abs(stats[0].chipAccuracy!.sd - 0.02.squareRoot()) < 1e-12)   // ((0.1)^2 * 2) / 1
        #expect(stats[0].trainPicojoulesPerSample!.mean == 11 && stats[0].floatAccuracy == nil)
        #expect(stats[1].floatAccuracy!.mean == 0.8 && stats[1].floatAccuracy!.sd == 0)
        #expect(CompareSeeds.csv(stats).split(separator: "\n").count == 3)
    }

    @Test func slurmScriptCoversEveryPointOnce() {
        var o = SlurmOptions()
        o.pointsPerTask = 2; o.partition = "cpu"; o.time = "01:00:00"; o.maxParallel = 3
        let t = SlurmScript.text(name: "s", executable: "/x/chipsim", spec: "/x/s.json", out: "/x/o", workdir: "/x", points: 5, options: o)
        #expect(t.contains("#SBATCH --array=0-2%3\n"))     // tasks 0..2 cover points 0-1, 2-3, 4
        #expect(t.contains("#SBATCH --partition=cpu\n") && t.contains("#SBATCH --time=01:00:00\n"))
        #expect(t.contains("--point \"$p\""))
        #expect(SlurmScript.taskCount(points: 5, pointsPerTask: 2) == 3 && SlurmScript.taskCount(points: 4, pointsPerTask: 2) == 2)
        #expect(SlurmScript.quote("a'b") == "'a'\\''b'")
    }
}

private func errorText(_ body: () throws -> Void) -> String {
    do { try body(); return "<no error>" } catch { return "\(error)" }
}
