import Foundation
import Testing
import ChipModel

// `chipsim sweep` end to end on a tiny training config (Yin-Yang, 40 training / 20 test
// samples, one epoch: well under a second per point): determinism across --jobs, resume after
// kill -9, and --set on the commands.

private let tinyTraining = """
{"name": "tiny-train", "seed": 1,
 "network": {"layers": [{"name": "input", "kind": "input", "size": 40},
                        {"name": "hidden", "size": 24, "neuron": {"du": 4095, "dv": 410, "vth": 100}},
                        {"name": "output", "size": 3, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
             "connections": [{"from": "input", "to": "hidden", "init": {"kind": "uniform", "low": -60, "high": 60}},
                             {"from": "hidden", "to": "output", "init": {"kind": "uniform", "low": -8, "high": 8}}]},
 "input": {"kind": "dataset", "dataset": {"kind": "yinyang", "train": 40, "test": 20}, "encoder": {"kind": "population", "steps": 8, "neurons": 10}},
 "run": {"steps": 8},
 "learning": {"rule": "dfa", "etaHidden": 20, "etaReadout": 24, "gNormalise": 10, "loss": {"outputShift": 12}},
 "training": {"epochs": 1}}
"""

private func sweepDir(_ name: String, points: Int = 4) throws -> (dir: String, spec: String) {
    let d = tempDir("sweep-" + name)
    try Data(tinyTraining.utf8).write(to: URL(fileURLWithPath: d + "/base.json"))
    let seeds = points / 2
    let spec = "{\"name\": \"t\", \"base\": \"base.json\", \"target\": {\"accuracy\": 0.3}, \"axes\": [{\"name\": \"eta\", \"path\": \"learning.etaReadout\", \"values\": [22, 24]}, {\"seeds\": \(seeds)}]}"
    try Data(spec.utf8).write(to: URL(fileURLWithPath: d + "/spec.json"))
    return (d, d + "/spec.json")
}

/// report.json of every point with its wall-clock block removed, by point id.
private func reports(_ out: String) throws -> [String: String] {
    var r: [String: String] = [:]
    for id in try FileManager.default.contentsOfDirectory(atPath: out + "/points") {
        guard let d = FileManager.default.contents(atPath: out + "/points/\(id)/run/report.json") else { continue }
        guard case var .object(kv) = try JSONValue.parse(d, file: id) else { continue }
        kv.removeAll { $0.0 == "wallClock" }
        r[id] = JSONValue.object(kv).serialized()
    }
    return r
}

/// sweep.csv without its wall_seconds column.
private func csvWithoutWall(_ out: String) throws -> [String] {
    let text = String(decoding: FileManager.default.contents(atPath: out + "/sweep.csv") ?? Data(), as: UTF8.self)
    let lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    guard let w = lines.first?.firstIndex(of: "wall_seconds") else { return [] }
    return lines.map { var l = $0; l.remove(at: w); return l.joined(separator: ",") }
}

@Suite(.serialized) struct SweepCLITests {
    @Test func jobsOneAndJobsTwoGiveIdenticalReports() throws {
        let (d, spec) = try sweepDir("jobs")
        let one = try chipsim(["sweep", spec, "--jobs", "1", "--out", d + "/one", "--quiet"])
        let two = try chipsim(["sweep", spec, "--jobs", "2", "--out", d + "/two", "--quiet"])
        #expect(one.status == 0 && two.status == 0, "\(one.err) \(two.err)")
        let r1 = try reports(d + "/one"), r2 = try reports(d + "/two")
        #expect(r1.count == 4 && r1 == r2)
        let c1 = try csvWithoutWall(d + "/one")
        let c2 = try csvWithoutWall(d + "/two")
        #expect(c1.count == 5 && c1 == c2)
        #expect(c1.dropFirst().allSatisfy { $0.contains(",ok,") })
        // The resolved config of a point records its overrides.
        let id = c1[1].split(separator: ",")[1]
        let resolved = try JSONValue.parse(FileManager.default.contents(atPath: d + "/one/points/\(id)/run/config.resolved.json")!, file: "r")
        #expect(resolved["overrides"] == .array([.object([("path", .string("$.learning.etaReadout")), ("value", .int(22))]),
                                                 .object([("path", .string("$.seed")), ("value", .int(1))])]))
        // A second run finds every point done and computes nothing.
        let again = try chipsim(["sweep", spec, "--jobs", "2", "--out", d + "/one"])
        #expect(again.status == 0 && again.err.contains("4 point(s) already done"), "\(again.err)")
    }

    /// kill -9 of the sweep while points run: its workers stop too, the points finished before
    /// the kill are kept as they were (not recomputed), the others run on the resumed sweep,
    /// and the result equals an uninterrupted sweep's: no point lost or duplicated.
    @Test func resumeAfterKillNineLosesAndDuplicatesNothing() throws {
        let (d, spec) = try sweepDir("kill", points: 6)
        let out = d + "/out"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: chipsimPath)
        p.arguments = ["sweep", spec, "--jobs", "1", "--out", out, "--quiet"]
        p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
        try p.run()
        func doneMarkers() -> [String: Data] {
            var m: [String: Data] = [:]
            for id in (try? FileManager.default.contentsOfDirectory(atPath: out + "/points")) ?? [] {
                if let data = FileManager.default.contents(atPath: out + "/points/\(id)/done.json") { m[id] = data }
            }
            return m
        }
        let deadline = Date().addingTimeInterval(120)
        while doneMarkers().count < 2 && p.isRunning && Date() < deadline { usleep(10_000) }
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let before = doneMarkers()
        #expect(before.count >= 2 && before.count < 6, "the kill should land mid-way (\(before.count) done)")
        usleep(400_000)   // the orphaned worker notices its parent is gone (polls every 0.1 s)
        let afterKill = doneMarkers()
        #expect(afterKill.count <= before.count + 1)   // at most the point that was finishing

        let resumed = try chipsim(["sweep", spec, "--jobs", "2", "--out", out])
        #expect(resumed.status == 0, "\(resumed.err)")
        #expect(resumed.err.contains("\(afterKill.count) point(s) already done"), "\(resumed.err)")
        let after = doneMarkers()
        #expect(after.count == 6)
        for (id, data) in afterKill { #expect(after[id] == data, "point \(id) was recomputed") }
        // No partial output left, one report per point, and the same reports as a clean sweep.
        for id in after.keys {
            let names = try FileManager.default.contentsOfDirectory(atPath: out + "/points/\(id)")
            #expect(!names.contains { $0.hasPrefix(".") }, "\(names)")
        }
        let clean = try chipsim(["sweep", spec, "--jobs", "2", "--out", d + "/clean", "--quiet"])
        #expect(clean.status == 0)
        let rOut = try reports(out), rClean = try reports(d + "/clean")
        #expect(rOut == rClean)
        let csv = try csvWithoutWall(out)
        let cleanCSV = try csvWithoutWall(d + "/clean")
        #expect(csv.count == 7 && csv == cleanCSV)
    }

    @Test func failedPointsAreRecordedAndDoNotStopTheOthers() throws {
        let d = tempDir("sweep-fail")
        try Data(tinyTraining.utf8).write(to: URL(fileURLWithPath: d + "/base.json"))
        // etaReadout 40 is out of range (1...31): that point fails when its config is decoded.
        try Data("{\"base\": \"base.json\", \"axes\": [{\"path\": \"learning.etaReadout\", \"values\": [24, 40]}]}".utf8)
            .write(to: URL(fileURLWithPath: d + "/spec.json"))
        let r = try chipsim(["sweep", d + "/spec.json", "--jobs", "2", "--out", d + "/out"])
        #expect(r.status == 1)
        let csv = String(decoding: FileManager.default.contents(atPath: d + "/out/sweep.csv") ?? Data(), as: UTF8.self)
        let rows = csv.split(separator: "\n").dropFirst()
        #expect(rows.count == 2)
        #expect(rows.first?.contains(",ok,") == true)
        #expect(rows.last?.contains(",failed,") == true && rows.last?.contains("$.learning.etaReadout") == true, "\(csv)")
    }

    @Test func setOnTheCommandsIsCheckedLikeTheConfig() throws {
        let bad = try chipsim(["validate", "configs/quickstart.json", "--set", "run.steps=\"x\""])
        #expect(bad.status == 1 && bad.err.contains("configs/quickstart.json: $.run.steps: expected an integer"), "\(bad.err)")
        let ok = try chipsim(["validate", "configs/quickstart.json", "--set", "input.samples=3"])
        #expect(ok.status == 0 && ok.out.contains("3 samples"), "\(ok.out)")
        let noJSON = try chipsim(["run", "configs/quickstart.json", "--set", "name=abc"])
        #expect(noJSON.status == 64 && noJSON.err.contains("strings need quotes"))
        let bench = try chipsim(["bench", "train", "--config", "configs/opzo-mnist.json", "--samples", "1", "--set", "learning.etaHidden=40"])
        #expect(bench.status == 1 && bench.err.contains("$.learning.etaHidden: 40 is out of range"), "\(bench.err)")
        // compare: paths of the compare file; experiment.* reaches the (inlined) experiment.
        let compare = try chipsim(["compare", "configs/compare-quick.json", "--set", "experiment.run.steps=\"x\""])
        #expect(compare.status == 1 && compare.err.contains("$.experiment.run.steps: expected an integer"), "\(compare.err)")
        let d = tempDir("set-run")
        let run = try chipsim(["run", "configs/quickstart.json", "--set", "run.steps=8", "--out", d + "/q", "--quiet"])
        #expect(run.status == 0, "\(run.err)")
        let resolved = try JSONValue.parse(FileManager.default.contents(atPath: d + "/q/config.resolved.json")!, file: "r")
        #expect(resolved["run"]?["steps"] == .int(8))
        #expect(resolved["overrides"] == .array([.object([("path", .string("$.run.steps")), ("value", .int(8))])]))
    }
}
