import Foundation

/// The files of a `chipsim compare` output folder: report.json, summary.csv, curves.csv, four
/// SVG plots and an index.html that shows them. Everything is local: the page references only
/// the SVG files beside it (relative paths), has no scripts and loads nothing from a network.
public enum HTMLReport {
    public static let plots = ["accuracy-vs-energy.svg", "learning-curves.svg", "energy-breakdown.svg", "energy-per-sample.svg"]

    /// The method's name without the host suffix (the colour key: one colour per training method).
    static func baseName(_ m: MethodResult) -> String {
        if let r = m.name.range(of: " @ ") { return String(m.name[..<r.lowerBound]) }
        return m.name
    }

    static func colours(_ r: CompareResult) -> [String: String] {
        var out: [String: String] = [:]
        for m in r.methods where out[baseName(m)] == nil { out[baseName(m)] = SVGPlot.palette[out.count % SVGPlot.palette.count] }
        return out
    }

    static func hostIndex(_ r: CompareResult, _ m: MethodResult) -> Int {
        m.host.flatMap { h in r.hosts.firstIndex { $0.name == h } } ?? 0
    }

    /// Accuracy against cumulative training energy (J, log axis): per epoch for every method
    /// (chip test accuracy on chip; float test accuracy off chip) and, for off-chip methods, a
    /// square at the total energy including deployment with the accuracy measured on the chip.
    public static func accuracyVsEnergySVG(_ r: CompareResult) -> String {
        let col = colours(r)
        var series: [PlotSeries] = []
        for m in r.methods {
            let c = col[baseName(m)]!
            series.append(PlotSeries(name: m.kind == "off-chip" ? m.name + " (float)" : m.name + " (chip)", colour: c,
                                     points: m.curve.map { ($0.cumulativePicojoules * 1e-12, $0.testAccuracy * 100) },
                                     dashed: hostIndex(r, m) > 0))
            if m.kind == "off-chip" {
                series.append(PlotSeries(name: m.name + " deployed", colour: c, points: [(m.totalPicojoules * 1e-12, m.chipAccuracy * 100)], markersOnly: true))
            }
        }
        return SVGPlot.lineChart(title: "Test accuracy vs cumulative training energy", xLabel: "cumulative training energy (J, log scale)",
                                 yLabel: "test accuracy (%)", series: series, logX: true, yRange: yRange(series), width: 980, height: 480)
    }

    /// Accuracy axis: from 10 below the lowest value to the next multiple of 10 above the highest, within 0...100.
    static func yRange(_ series: [PlotSeries]) -> (Double, Double) {
        let ys = series.flatMap(\.points).map(\.y)
        let lo = max(0, floor(((ys.min() ?? 0) - 5) / 10) * 10), hi = min(100, ceil(((ys.max() ?? 100) + 1) / 10) * 10)
        return (lo, max(hi, lo + 10))
    }

    /// Test accuracy per epoch (one curve per training method; the host does not change it).
    public static func learningCurvesSVG(_ r: CompareResult) -> String {
        let col = colours(r)
        var seen = Set<String>()
        var series: [PlotSeries] = []
        for m in r.methods where !seen.contains(baseName(m)) {
            seen.insert(baseName(m))
            let c = col[baseName(m)]!
            series.append(PlotSeries(name: baseName(m) + (m.kind == "off-chip" ? " (float)" : " (chip)"), colour: c,
                                     points: m.curve.map { (Double($0.epoch), $0.testAccuracy * 100) }))
            series.append(PlotSeries(name: baseName(m) + " train", colour: c, points: m.curve.map { (Double($0.epoch), $0.trainAccuracy * 100) }, dashed: true))
            if m.kind == "off-chip", let last = m.curve.last {
                series.append(PlotSeries(name: baseName(m) + " deployed (chip)", colour: c, points: [(Double(last.epoch), m.chipAccuracy * 100)], markersOnly: true))
            }
        }
        return SVGPlot.lineChart(title: "Learning curves (solid: test, dashed: train)", xLabel: "epoch", yLabel: "accuracy (%)",
                                 series: series, yRange: yRange(series), integerX: true, width: 900, height: 460)
    }

    public static func energyBreakdownSVG(_ r: CompareResult) -> String {
        let cats = EnergyCategory.allCases
        let colours = ["#1f77b4", "#aec7e8", "#2ca02c", "#98df8a", "#9467bd", "#d62728", "#ff7f0e", "#7f7f7f"]
        return SVGPlot.stackedBars(title: "Training energy breakdown per method (share of total)",
                                   rows: r.methods.map { m in (m.name, cats.map { m.energy[$0] ?? 0 }, Units.energy(m.totalPicojoules)) },
                                   parts: cats.map(\.rawValue), colours: colours, xLabel: "share of training energy (total at right)", width: 900)
    }

    public static func energyPerSampleSVG(_ r: CompareResult) -> String {
        let col = colours(r)
        return SVGPlot.logBars(title: "Training energy per training sample (uJ, log scale)",
                               rows: r.methods.map { ($0.name, $0.picojoulesPerSample * 1e-6, col[baseName($0)]!) },
                               xLabel: "uJ per training sample", width: 900)
    }

    public static func indexHTML(_ r: CompareResult) -> String {
        let e = SVGPlot.escape
        var h = "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
        h += "<title>\(e("chipsim compare: " + r.name))</title>\n"
        h += "<style>body{font-family:sans-serif;margin:24px;max-width:1100px} table{border-collapse:collapse;font-size:13px} td,th{border:1px solid #ccc;padding:3px 8px;text-align:right} td:first-child,th:first-child{text-align:left} img{max-width:100%;border:1px solid #eee;margin:8px 0}</style>\n"
        h += "</head>\n<body>\n<h1>\(e("On-chip learning vs off-chip backpropagation: " + r.name))</h1>\n"
        if case let .object(kv) = r.task {
            let d = Dictionary(kv, uniquingKeysWith: { a, _ in a })
            func s(_ k: String) -> String { d[k].map { v -> String in if case let .string(x) = v { return x }; return v.serialized() } ?? "" }
            h += "<p>\(e("Task: \(s("experiment")), network \(s("sizes")), T = \(s("steps")) steps, \(s("trainSamples")) training / \(s("testSamples")) test samples, \(s("epochs")) on-chip epoch(s), \(s("offChipEpochs")) off-chip epoch(s), seed \(s("seed")); chip energy table \(s("energyTable"))."))</p>\n"
            h += chipSetupHTML(d["chip"])
        }
        h += "<h2>Accuracy against cumulative training energy</h2>\n<p>Circles: accuracy after each epoch (on-chip rules and chip-in-the-loop: measured on the chip; off-chip methods: the float twin). Squares: off-chip weights quantised, written to the chip and evaluated there, at the total energy including deployment. Dashed: the same training costed on the second host profile.</p>\n"
        h += "<img src=\"accuracy-vs-energy.svg\" alt=\"accuracy against cumulative training energy\"/>\n"
        h += "<h2>Summary</h2>\n<table>\n<tr><th>method</th><th>float acc.</th><th>on-chip acc.</th><th>training energy</th><th>per sample</th><th>simulated chip time</th><th>host time (roofline, lower bound)</th><th>memory</th><th>on-chip synapse updates</th><th>host-written weights</th><th>host I/O</th><th>inference / sample (chip)</th></tr>\n"
        for m in r.methods {
            h += "<tr><td>\(e(m.name))</td><td>\(m.floatAccuracy.map { fmt($0 * 100, 2) + " %" } ?? "-")</td><td>\(fmt(m.chipAccuracy * 100, 2)) %</td>"
            h += "<td>\(e(Units.energy(m.totalPicojoules)))</td><td>\(e(Units.energy(m.picojoulesPerSample)))</td>"
            switch m.kind {
            case "on-chip": h += "<td>\(e(Units.time(m.trainSeconds)))</td><td>-</td>"
            case "off-chip": h += "<td>-</td><td>\(e(Units.time(m.trainSeconds)))</td>"
            default: h += "<td colspan=\"2\">\(e(Units.time(m.trainSeconds) + " (chip + host roofline)"))</td>"
            }
            h += "<td>\(e(CompareResult.bytes(m.memoryBytes)))</td>"
            h += m.kind == "on-chip" ? "<td>\(e(CompareResult.count(m.weightWrites)))</td><td>-</td>" : "<td>-</td><td>\(e(CompareResult.count(m.weightWrites)))</td>"
            h += "<td>\(e(CompareResult.bytes(Int(m.hostIOBytes))))</td>"
            h += "<td>\(e(Units.energy(m.inferencePicojoulesPerSample)))</td></tr>\n"
        }
        h += "</table>\n"
        h += columnDefinitionsHTML
        h += neurobenchHTML(r)
        h += "<h2>Learning curves</h2>\n<img src=\"learning-curves.svg\" alt=\"learning curves\"/>\n"
        h += "<h2>Energy breakdown</h2>\n<img src=\"energy-breakdown.svg\" alt=\"energy breakdown per method\"/>\n<img src=\"energy-per-sample.svg\" alt=\"energy per training sample\"/>\n"
        h += "<h2>Operation counts</h2>\n<table>\n<tr><th>method</th><th>operations</th></tr>\n"
        for m in r.methods {
            h += "<tr><td>\(e(m.name))</td><td style=\"text-align:left\">\(e(m.operations.map { "\($0.0) \(CompareResult.count($0.1))" }.joined(separator: ", ")))</td></tr>\n"
        }
        h += "</table>\n<h2>Host profiles</h2>\n"
        for p in r.hosts {
            h += "<h3>\(e(p.name))</h3>\n<p>\(e(p.description))</p>\n<table>\n<tr><th>figure</th><th>value</th><th>source or assumption</th></tr>\n"
            for (k, f) in p.figures {
                h += "<tr><td>\(e(k))</td><td>\(e(String(format: "%g", f.value) + " " + f.unit))</td><td style=\"text-align:left\">\(e((f.assumption ? "[assumption] " : "") + f.source))</td></tr>\n"
            }
            h += "</table>\n"
        }
        h += "<p>Data: <a href=\"report.json\">report.json</a>, <a href=\"summary.csv\">summary.csv</a>, <a href=\"curves.csv\">curves.csv</a>. Method: docs/COMPARE.md.</p>\n"
        return h + "</body>\n</html>\n"
    }

    /// The chip's setup (cores used, SRAM per core, mesh), from the task's "chip" object.
    static func chipSetupHTML(_ chip: JSONValue?) -> String {
        guard let chip, case let .array(mesh)? = chip["mesh"], mesh.count == 2 else { return "" }
        func i(_ v: JSONValue?) -> Int { if case let .number(x, _)? = v { return Int(x) }; return 0 }
        let text = "Chip: \(i(chip["coresUsed"])) of \(i(chip["coresOnChip"])) cores used, on a \(i(mesh[0])) x \(i(mesh[1])) mesh; each core has \(i(chip["neuronsPerCore"])) neurons and \(CompareResult.bytes(i(chip["synapseMemoryBytesPerCore"]))) of synapse memory (Loihi: 1024 neurons, 128 KiB). A network spread over several cores sends its spikes over the mesh, and those hops are counted and costed."
        return "<p>\(SVGPlot.escape(text))</p>\n"
    }

    static let columnDefinitionsHTML = """
    <h3>Columns</h3>
    <dl>
    <dt>training energy, per sample</dt><dd>Energy of the training passes (per training sample presentation): chip actions x the chip's energy table, plus host FLOPs, DRAM bytes and link bytes x the host profile, plus the chip's static (leakage) energy over the simulated training time (category "chip static": the table's watts per core x powered cores; off-chip training uses no chip time).</dd>
    <dt>simulated chip time</dt><dd>On-chip rules: the chip's simulated cycles of the training passes divided by its clock: what the modelled chip would take.</dd>
    <dt>host time (roofline, lower bound)</dt><dd>Off-chip methods: max(FLOPs / peak FLOP/s, bytes / DRAM bandwidth) plus link bytes / link bandwidth on the host profile: a lower bound on a real host's time, not a measurement. Chip-in-the-loop rows add the simulated chip time and the host roofline estimate (one cell spanning both columns).</dd>
    <dt>on-chip synapse updates</dt><dd>On-chip rules: synapse-program executions on the chip (weights updated in place, no host).</dd>
    <dt>host-written weights</dt><dd>Off-chip and chip-in-the-loop methods: weight updates computed on the host plus weights written into the chip's synapse memory over the host link.</dd>
    <dt>memory</dt><dd>Training state: chip weights (SRAM) and learning state on chip; float weights, gradients and optimiser state on the host.</dd>
    <dt>inference / sample (chip)</dt><dd>Dynamic energy of one test-set inference on the chip with the final weights.</dd>
    </dl>

    """

    /// NeuroBench metrics per method (docs/NEUROBENCH.md).
    static func neurobenchHTML(_ r: CompareResult) -> String {
        let e = SVGPlot.escape
        var h = "<h2>NeuroBench metrics (per sample)</h2>\n<p>Definitions and where the chip's count differs: docs/NEUROBENCH.md. On-chip rules: over every sample the chip ran (training and test passes); off-chip methods: the deployed network's test pass. Footprint is NeuroBench's (parameters and buffers as tensors); chip SRAM is what the chip stores.</p>\n"
        h += "<table>\n<tr><th>method</th><th>dense synops</th><th>effective ACs</th><th>effective MACs</th><th>chip synops (spikes)</th><th>chip MACs (graded)</th><th>activation sparsity</th><th>connection sparsity</th><th>footprint</th><th>chip SRAM</th><th>membrane updates</th><th>neuron updates</th></tr>\n"
        for m in r.methods {
            guard let t = m.neurobench?.total else { continue }
            func c(_ x: Double?) -> String { x.map { CompareResult.count(UInt64($0.rounded())) } ?? "-" }
            h += "<tr><td>\(e(m.name))</td><td>\(c(t.denseSynapticOperations))</td><td>\(c(t.effectiveACs))</td><td>\(c(t.effectiveMACs))</td><td>\(c(t.chipSynapticOperations))</td><td>\(c(t.chipMACs))</td>"
            h += "<td>\(t.activationSparsity.map { fmt($0, 4) } ?? "-")</td><td>\(t.connectionSparsity.map { fmt($0, 4) } ?? "-")</td>"
            h += "<td>\(e(CompareResult.bytes(t.footprintBytes)))</td><td>\(e(CompareResult.bytes(t.chipSRAMBytes)))</td><td>\(c(t.membraneUpdates))</td><td>\(c(t.neuronUpdates))</td></tr>\n"
        }
        return h + "</table>\n"
    }

    /// All files of the output folder, (name, contents).
    public static func files(_ r: CompareResult) -> [(String, String)] {
        [("report.json", r.json.serialized() + "\n"), ("summary.csv", r.summaryCSV), ("curves.csv", r.curvesCSV),
         ("accuracy-vs-energy.svg", accuracyVsEnergySVG(r)), ("learning-curves.svg", learningCurvesSVG(r)),
         ("energy-breakdown.svg", energyBreakdownSVG(r)), ("energy-per-sample.svg", energyPerSampleSVG(r)),
         ("index.html", indexHTML(r))]
    }
}
