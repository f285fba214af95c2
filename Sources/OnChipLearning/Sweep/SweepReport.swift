import Foundation
import ChipModel

/// The merged view of a sweep: a text table (mean ± sd over seeds per group of non-seed
/// values) and an offline HTML page with SVG plots drawn by SVGPlot: accuracy against training
/// energy per sample (every point), and one plot per axis (mean accuracy, dashed ± 1 sd).
public enum SweepReport {
    static func pct(_ s: (mean: Double, sd: Double, n: Int)?) -> String {
        guard let s else { return "-" }
        return String(format: "%.2f", s.mean * 100) + (s.n > 1 ? " ± " + String(format: "%.2f", s.sd * 100) : "") + " %"
    }

    static func energy(_ s: (mean: Double, sd: Double, n: Int)?) -> String {
        guard let s else { return "-" }
        return Units.energy(s.mean) + (s.n > 1 ? " ± " + Units.energy(s.sd) : "")
    }

    static func plain(_ s: (mean: Double, sd: Double, n: Int)?, digits: Int = 0) -> String {
        guard let s else { return "-" }
        return String(format: "%.\(digits)f", s.mean) + (s.n > 1 ? " ± " + String(format: "%.\(digits)f", s.sd) : "")
    }

    /// One line per group: its values, ok/total points, accuracy, energies, time to target.
    public static func text(spec: SweepSpec, rows: [SweepRow]) -> String {
        let groups = SweepResults.groups(rows)
        var header = ["group", "ok", "accuracy", "train energy/sample", "inference energy"]
        if spec.targetAccuracy != nil { header += ["samples to target", "energy to target", "reached"] }
        var table = [header]
        for g in groups {
            var line = [g.label.isEmpty ? "(all)" : g.label, "\(g.rows.filter { $0.status == "ok" }.count)/\(g.rows.count)",
                        pct(g.stat(\.accuracy)), energy(g.stat(\.trainPicojoulesPerSample)), energy(g.stat(\.inferencePicojoulesPerSample))]
            if spec.targetAccuracy != nil {
                let reached = g.rows.filter { $0.targetEpoch != nil }.count
                line += [plain(g.stat(\.targetSamples)), energy(g.stat(\.targetPicojoules)), "\(reached)/\(g.rows.count)"]
            }
            table.append(line)
        }
        let widths = (0..<header.count).map { c in table.map { $0[c].count }.max() ?? 0 }
        var s = "sweep \(spec.name)" + (spec.targetAccuracy.map { ": target test accuracy \(String(format: "%.1f", $0 * 100)) %" } ?? "")
            + " (mean ± sd over seeds)\n"
        for line in table {
            s += "  " + line.enumerated().map { c, v in c == 0 ? v.padding(toLength: widths[c], withPad: " ", startingAt: 0) : lpad(v, widths[c] + 1) }.joined(separator: " ") + "\n"
        }
        return s
    }

    /// x positions of an axis' values: the numbers themselves if all are numbers, else 0, 1, ...
    static func positions(_ values: [JSONValue]) -> (xs: [Double], numeric: Bool) {
        let nums = values.compactMap { v -> Double? in if case let .number(x, _) = v { return x }; return nil }
        if nums.count == values.count { return (nums, true) }
        return (values.indices.map(Double.init), false)
    }

    public static func accuracyVsEnergySVG(spec: SweepSpec, rows: [SweepRow]) -> String {
        let ok = rows.filter { $0.status == "ok" && $0.accuracy != nil }
        let useTrain = ok.contains { $0.trainPicojoulesPerSample != nil }
        func e(_ r: SweepRow) -> Double? { useTrain ? r.trainPicojoulesPerSample : r.inferencePicojoulesPerSample }
        // Colour by the first non-seed column's value.
        let colourColumn = spec.columns.first { $0.name != "seed" }
        var series: [PlotSeries] = []
        var keys: [JSONValue?] = colourColumn == nil ? [nil] : []
        if let c = colourColumn {
            for r in rows { if let v = r.point.values.first(where: { $0.0 == c.name })?.1, !keys.contains(v) { keys.append(v) } }
        }
        for (k, key) in keys.enumerated() {
            let pts = ok.filter { r in key == nil || r.point.values.first { $0.0 == colourColumn!.name }?.1 == key }
                .compactMap { r in e(r).map { (x: $0 * 1e-6, y: r.accuracy! * 100) } }
            if pts.isEmpty { continue }
            series.append(PlotSeries(name: colourColumn.map { "\($0.name)=\(SweepPoint.text(key!))" } ?? "points",
                                     colour: SVGPlot.palette[k % SVGPlot.palette.count], points: pts, markersOnly: true))
        }
        return SVGPlot.lineChart(title: "Accuracy against \(useTrain ? "training" : "inference") energy per sample",
                                 xLabel: "uJ per \(useTrain ? "training" : "inference") sample (log)", yLabel: "test accuracy (%)",
                                 series: series, logX: series.flatMap(\.points).allSatisfy { $0.x > 0 } && !series.isEmpty)
    }

    /// One plot per non-seed axis: x = the axis' (first column's) values, one line per
    /// combination of the other axes' values, y = mean accuracy over seeds, dashed ± 1 sd.
    public static func axisSVG(spec: SweepSpec, rows: [SweepRow], axis a: Int) -> String {
        let axis = spec.axes[a]
        let col = axis.columns[0]
        // The values as the points hold them (a config column: the files' names), in axis order.
        var axisValues: [JSONValue] = []
        for r in rows { if let v = r.point.values.first(where: { $0.0 == col.name })?.1, !axisValues.contains(v) { axisValues.append(v) } }
        let (xs, numeric) = positions(axisValues)
        let others = spec.axes.enumerated().filter { $0.offset != a && $0.element.columns[0].name != "seed" }.map(\.element.columns[0].name)
        func otherKey(_ r: SweepRow) -> String {
            others.map { n in "\(n)=\(r.point.values.first { $0.0 == n }.map { SweepPoint.text($0.1) } ?? "")" }.joined(separator: " ")
        }
        var keys: [String] = []
        for r in rows where !keys.contains(otherKey(r)) { keys.append(otherKey(r)) }
        var series: [PlotSeries] = []
        for (k, key) in keys.enumerated() {
            var mean: [(x: Double, y: Double)] = [], hi: [(x: Double, y: Double)] = [], lo: [(x: Double, y: Double)] = []
            for (i, v) in axisValues.enumerated() {
                let acc = rows.filter { r in r.status == "ok" && otherKey(r) == key && r.point.values.first { $0.0 == col.name }?.1 == v }
                    .compactMap(\.accuracy)
                guard let s = SweepResults.meanSD(acc) else { continue }
                mean.append((xs[i], s.mean * 100)); hi.append((xs[i], (s.mean + s.sd) * 100)); lo.append((xs[i], (s.mean - s.sd) * 100))
            }
            if mean.isEmpty { continue }
            let colour = SVGPlot.palette[k % SVGPlot.palette.count]
            let name = key.isEmpty ? "mean" : key
            series.append(PlotSeries(name: name, colour: colour, points: mean))
            if hi.map(\.y) != mean.map(\.y) {
                series.append(PlotSeries(name: name + " + sd", colour: colour, points: hi, dashed: true))
                series.append(PlotSeries(name: name + " - sd", colour: colour, points: lo, dashed: true))
            }
        }
        let xLabel = numeric ? col.name : col.name + " (" + axisValues.enumerated().map { "\($0.offset): \(SweepPoint.text($0.element))" }.joined(separator: ", ") + ")"
        return SVGPlot.lineChart(title: "Test accuracy against \(col.name) (mean ± sd over seeds)", xLabel: xLabel, yLabel: "test accuracy (%)",
                                 series: series, logX: numeric && xs.allSatisfy { $0 > 0 } && (xs.max() ?? 1) / max(xs.min() ?? 1, 1e-300) >= 20,
                                 integerX: !numeric)
    }

    public static func indexHTML(spec: SweepSpec, rows: [SweepRow], axisFiles: [(String, String)]) -> String {
        let e = SVGPlot.escape
        var h = "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
        h += "<title>\(e("chipsim sweep: " + spec.name))</title>\n"
        h += "<style>body{font-family:sans-serif;margin:24px;max-width:1100px} table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #ccc;padding:3px 8px;text-align:right} td:first-child,th:first-child{text-align:left} img{max-width:100%;border:1px solid #eee;margin:8px 0}</style>\n"
        h += "</head>\n<body>\n<h1>\(e("Sweep " + spec.name))</h1>\n"
        let ok = rows.filter { $0.status == "ok" }.count, failed = rows.filter { $0.status == "failed" }.count
        h += "<p>\(e("\(rows.count) point(s) (\(spec.kind.rawValue) of \(spec.base)): \(ok) ok, \(failed) failed, \(rows.count - ok - failed) not run. Axes: " + spec.columns.map { "\($0.name) (\($0.values.count))" }.joined(separator: ", ") + "."))</p>\n"
        h += "<h2>Accuracy against energy</h2>\n<img src=\"accuracy-vs-energy.svg\" alt=\"accuracy against energy per sample\"/>\n"
        for (name, _) in axisFiles { h += "<img src=\"\(e(name))\" alt=\"\(e(name))\"/>\n" }
        h += "<h2>Groups (mean ± sd over seeds)</h2>\n<pre>\(e(text(spec: spec, rows: rows)))</pre>\n"
        h += "<h2>Points</h2>\n<table>\n<tr><th>index</th><th>id</th><th>status</th>" + spec.columns.map { "<th>\(e($0.name))</th>" }.joined()
            + "<th>accuracy</th><th>train energy/sample</th><th>inference energy</th><th>wall</th></tr>\n"
        for r in rows {
            h += "<tr><td>\(r.point.index)</td><td><a href=\"points/\(r.point.id)/run/\">\(r.point.id)</a></td><td>\(e(r.status))</td>"
            h += spec.columns.map { c in "<td>\(e(r.point.values.first { $0.0 == c.name }.map { SweepPoint.text($0.1) } ?? ""))</td>" }.joined()
            h += "<td>\(r.accuracy.map { String(format: "%.2f %%", $0 * 100) } ?? "-")</td><td>\(e(r.trainPicojoulesPerSample.map(Units.energy) ?? "-"))</td>"
            h += "<td>\(e(r.inferencePicojoulesPerSample.map(Units.energy) ?? "-"))</td><td>\(e(r.wallSeconds.map(Units.time) ?? "-"))</td></tr>\n"
        }
        h += "</table>\n<p>Data: <a href=\"sweep.csv\">sweep.csv</a>, <a href=\"plan.json\">plan.json</a>. Format: docs/SWEEP.md.</p>\n"
        return h + "</body>\n</html>\n"
    }

    /// index.html and its SVG files, (name, contents).
    public static func files(spec: SweepSpec, rows: [SweepRow]) -> [(String, String)] {
        var axisFiles: [(String, String)] = []
        for (a, axis) in spec.axes.enumerated() where axis.columns[0].name != "seed" {
            let safe = String(axis.columns[0].name.map { $0.isLetter || $0.isNumber ? $0 : "-" })
            axisFiles.append(("axis-\(a)-\(safe).svg", axisSVG(spec: spec, rows: rows, axis: a)))
        }
        return [("accuracy-vs-energy.svg", accuracyVsEnergySVG(spec: spec, rows: rows))] + axisFiles
            + [("index.html", indexHTML(spec: spec, rows: rows, axisFiles: axisFiles))]
    }
}
