import Foundation

/// A data series of a line chart.
public struct PlotSeries: Sendable {
    public var name: String
    public var colour: String
    public var points: [(x: Double, y: Double)]
    /// Markers only (no connecting line), drawn as squares.
    public var markersOnly: Bool
    public var dashed: Bool
    public init(name: String, colour: String, points: [(x: Double, y: Double)], markersOnly: Bool = false, dashed: Bool = false) {
        self.name = name; self.colour = colour; self.points = points; self.markersOnly = markersOnly; self.dashed = dashed
    }
}

/// Self-contained SVG charts (no scripts, no external fonts or files): well-formed XML that any
/// browser renders offline. Text is XML-escaped.
public enum SVGPlot {
    public static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]

    public static func escape(_ s: String) -> String {
        var o = ""
        for c in s {
            switch c {
            case "&": o += "&amp;"; case "<": o += "&lt;"; case ">": o += "&gt;"; case "\"": o += "&quot;"; case "'": o += "&apos;"
            default: o.append(c)
            }
        }
        return o
    }

    static func num(_ x: Double) -> String { String(format: "%.2f", x) }

    /// Tick values: 1-2-5 steps for linear axes, powers of ten for log axes.
    static func ticks(_ lo: Double, _ hi: Double, log: Bool) -> [Double] {
        if log {
            let a = Int(floor(log10(lo))), b = Int(ceil(log10(hi)))
            return (a...max(a, b)).map { pow(10, Double($0)) }
        }
        let span = max(hi - lo, 1e-12)
        let raw = span / 5
        let mag = pow(10, floor(log10(raw)))
        let step = [1.0, 2, 5, 10].map { $0 * mag }.first { $0 >= raw } ?? 10 * mag
        var t: [Double] = []
        var v = ceil(lo / step) * step
        while v <= hi + step * 1e-9 { t.append(v); v += step }
        return t
    }

    static func label(_ v: Double, log: Bool) -> String {
        if log { return "1e\(Int(log10(v).rounded()))" }
        if v == v.rounded() && abs(v) < 1e6 { return String(Int(v)) }
        return String(format: "%g", v)
    }

    /// A line chart; `logX` plots x on a log10 axis (x must be > 0 there).
    public static func lineChart(title: String, xLabel: String, yLabel: String, series: [PlotSeries], logX: Bool = false,
                                 yRange: (Double, Double)? = nil, integerX: Bool = false, width: Int = 720, height: Int = 440) -> String {
        // The legend sits right of the plot; its width follows the longest name (~6.2 px per character at 11 px).
        let longest = series.map(\.name.count).max() ?? 0
        let right = max(230.0, 6.2 * Double(longest) + 50)
        let width = max(width, Int(right) + 400)
        let left = 70.0, top = 40.0, bottom = 60.0
        let pw = Double(width) - left - right, ph = Double(height) - top - bottom
        let all = series.flatMap(\.points).filter { !logX || $0.x > 0 }
        var x0 = all.map(\.x).min() ?? 0, x1 = all.map(\.x).max() ?? 1
        var y0 = yRange?.0 ?? (all.map(\.y).min() ?? 0), y1 = yRange?.1 ?? (all.map(\.y).max() ?? 1)
        if logX {
            x0 = pow(10, floor(log10(max(x0, 1e-300)))); x1 = pow(10, ceil(log10(max(x1, 1e-300))))
            if x1 <= x0 { x1 = x0 * 10 }
        } else if x1 <= x0 { x1 = x0 + 1 }
        if y1 <= y0 { y1 = y0 + 1 }
        func fx(_ x: Double) -> Double { left + pw * (logX ? (log10(x) - log10(x0)) / (log10(x1) - log10(x0)) : (x - x0) / (x1 - x0)) }
        func fy(_ y: Double) -> Double { top + ph * (1 - (y - y0) / (y1 - y0)) }
        var s = header(width, height, title)
        s += "<rect x=\"\(num(left))\" y=\"\(num(top))\" width=\"\(num(pw))\" height=\"\(num(ph))\" fill=\"none\" stroke=\"#444\"/>\n"
        let xTicks = integerX && !logX
            ? Array(stride(from: ceil(x0), through: floor(x1), by: max(1, (ticks(x0, x1, log: false).dropFirst().first ?? x0 + 1) - (ticks(x0, x1, log: false).first ?? x0)).rounded(.up)))
            : ticks(x0, x1, log: logX)
        for t in xTicks where t >= x0 * (1 - 1e-9) && t <= x1 * (1 + 1e-9) {
            let x = fx(t)
            s += "<line x1=\"\(num(x))\" y1=\"\(num(top))\" x2=\"\(num(x))\" y2=\"\(num(top + ph))\" stroke=\"#ddd\"/>\n"
            s += "<text x=\"\(num(x))\" y=\"\(num(top + ph + 18))\" text-anchor=\"middle\" font-size=\"12\">\(escape(label(t, log: logX)))</text>\n"
        }
        for t in ticks(y0, y1, log: false) {
            let y = fy(t)
            s += "<line x1=\"\(num(left))\" y1=\"\(num(y))\" x2=\"\(num(left + pw))\" y2=\"\(num(y))\" stroke=\"#ddd\"/>\n"
            s += "<text x=\"\(num(left - 8))\" y=\"\(num(y + 4))\" text-anchor=\"end\" font-size=\"12\">\(escape(label(t, log: false)))</text>\n"
        }
        s += "<text x=\"\(num(left + pw / 2))\" y=\"\(num(Double(height) - 15))\" text-anchor=\"middle\" font-size=\"13\">\(escape(xLabel))</text>\n"
        s += "<text x=\"18\" y=\"\(num(top + ph / 2))\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 18 \(num(top + ph / 2)))\">\(escape(yLabel))</text>\n"
        for (k, sr) in series.enumerated() {
            let pts = sr.points.filter { !logX || $0.x > 0 }
            if !sr.markersOnly && pts.count > 1 {
                let d = pts.map { "\(num(fx($0.x))),\(num(fy($0.y)))" }.joined(separator: " ")
                s += "<polyline points=\"\(d)\" fill=\"none\" stroke=\"\(sr.colour)\" stroke-width=\"2\"\(sr.dashed ? " stroke-dasharray=\"6 4\"" : "")/>\n"
            }
            for p in pts {
                if sr.markersOnly {
                    s += "<rect x=\"\(num(fx(p.x) - 5))\" y=\"\(num(fy(p.y) - 5))\" width=\"10\" height=\"10\" fill=\"\(sr.colour)\" stroke=\"#000\"/>\n"
                } else {
                    s += "<circle cx=\"\(num(fx(p.x)))\" cy=\"\(num(fy(p.y)))\" r=\"3.5\" fill=\"\(sr.colour)\"/>\n"
                }
            }
            let ly = top + 8 + Double(k) * 20
            let lx = left + pw + 14
            if sr.markersOnly {
                s += "<rect x=\"\(num(lx + 6))\" y=\"\(num(ly - 5))\" width=\"10\" height=\"10\" fill=\"\(sr.colour)\" stroke=\"#000\"/>\n"
            } else {
                s += "<line x1=\"\(num(lx))\" y1=\"\(num(ly))\" x2=\"\(num(lx + 22))\" y2=\"\(num(ly))\" stroke=\"\(sr.colour)\" stroke-width=\"3\"\(sr.dashed ? " stroke-dasharray=\"6 4\"" : "")/>\n"
            }
            s += "<text x=\"\(num(lx + 28))\" y=\"\(num(ly + 4))\" font-size=\"11\">\(escape(sr.name))</text>\n"
        }
        return s + "</svg>\n"
    }

    /// Horizontal bars, one per row; each bar is split into `parts` (stacked, fractions of the
    /// row's total when `normalise`, else absolute values on a log10 axis without stacking).
    public static func stackedBars(title: String, rows: [(label: String, values: [Double], note: String)], parts: [String],
                                   colours: [String], xLabel: String, width: Int = 820) -> String {
        let left = 250.0, right = 130.0, top = 40.0, barH = 22.0, gap = 10.0
        let legendH = 24.0 * Double((parts.count + 3) / 4)
        let height = Int(top + Double(rows.count) * (barH + gap) + 40 + legendH + 10)
        let pw = Double(width) - left - right
        var s = header(width, height, title)
        for (r, row) in rows.enumerated() {
            let y = top + Double(r) * (barH + gap)
            let total = row.values.reduce(0, +)
            s += "<text x=\"\(num(left - 8))\" y=\"\(num(y + barH * 0.7))\" text-anchor=\"end\" font-size=\"12\">\(escape(row.label))</text>\n"
            var x = left
            for (k, v) in row.values.enumerated() where v > 0 && total > 0 {
                let w = pw * v / total
                s += "<rect x=\"\(num(x))\" y=\"\(num(y))\" width=\"\(num(w))\" height=\"\(num(barH))\" fill=\"\(colours[k % colours.count])\"><title>\(escape(parts[k])): \(escape(String(format: "%.1f%%", 100 * v / total)))</title></rect>\n"
                x += w
            }
            s += "<text x=\"\(num(left + pw + 8))\" y=\"\(num(y + barH * 0.7))\" font-size=\"12\">\(escape(row.note))</text>\n"
        }
        let axisY = top + Double(rows.count) * (barH + gap)
        for f in stride(from: 0.0, through: 1.0, by: 0.25) {
            let x = left + pw * f
            s += "<text x=\"\(num(x))\" y=\"\(num(axisY + 12))\" text-anchor=\"middle\" font-size=\"11\">\(Int(f * 100))%</text>\n"
        }
        s += "<text x=\"\(num(left + pw / 2))\" y=\"\(num(axisY + 30))\" text-anchor=\"middle\" font-size=\"12\">\(escape(xLabel))</text>\n"
        for (k, p) in parts.enumerated() {
            let lx = 20 + Double(k % 4) * 200, ly = axisY + 44 + Double(k / 4) * 24
            s += "<rect x=\"\(num(lx))\" y=\"\(num(ly))\" width=\"14\" height=\"14\" fill=\"\(colours[k % colours.count])\"/>\n"
            s += "<text x=\"\(num(lx + 20))\" y=\"\(num(ly + 11))\" font-size=\"12\">\(escape(p))</text>\n"
        }
        return s + "</svg>\n"
    }

    /// Horizontal bars of positive values on a log10 axis.
    public static func logBars(title: String, rows: [(label: String, value: Double, colour: String)], xLabel: String, width: Int = 820) -> String {
        let left = 250.0, right = 130.0, top = 40.0, barH = 22.0, gap = 10.0
        let height = Int(top + Double(rows.count) * (barH + gap) + 50)
        let pw = Double(width) - left - right
        let vals = rows.map(\.value).filter { $0 > 0 }
        let lo = pow(10, floor(log10(vals.min() ?? 1))) , hi = max(pow(10, ceil(log10(vals.max() ?? 10))), lo * 10)
        func fx(_ v: Double) -> Double { left + pw * (log10(max(v, lo)) - log10(lo)) / (log10(hi) - log10(lo)) }
        var s = header(width, height, title)
        let axisY = top + Double(rows.count) * (barH + gap)
        for t in ticks(lo, hi, log: true) {
            let x = fx(t)
            s += "<line x1=\"\(num(x))\" y1=\"\(num(top - 4))\" x2=\"\(num(x))\" y2=\"\(num(axisY))\" stroke=\"#ddd\"/>\n"
            s += "<text x=\"\(num(x))\" y=\"\(num(axisY + 14))\" text-anchor=\"middle\" font-size=\"11\">\(escape(label(t, log: true)))</text>\n"
        }
        for (r, row) in rows.enumerated() {
            let y = top + Double(r) * (barH + gap)
            s += "<text x=\"\(num(left - 8))\" y=\"\(num(y + barH * 0.7))\" text-anchor=\"end\" font-size=\"12\">\(escape(row.label))</text>\n"
            s += "<rect x=\"\(num(left))\" y=\"\(num(y))\" width=\"\(num(max(1, fx(row.value) - left)))\" height=\"\(num(barH))\" fill=\"\(row.colour)\"/>\n"
            s += "<text x=\"\(num(fx(row.value) + 6))\" y=\"\(num(y + barH * 0.7))\" font-size=\"12\">\(escape(String(format: "%.3g", row.value)))</text>\n"
        }
        s += "<text x=\"\(num(left + pw / 2))\" y=\"\(num(axisY + 34))\" text-anchor=\"middle\" font-size=\"12\">\(escape(xLabel))</text>\n"
        return s + "</svg>\n"
    }

    static func header(_ w: Int, _ h: Int, _ title: String) -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            + "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(w)\" height=\"\(h)\" viewBox=\"0 0 \(w) \(h)\" font-family=\"sans-serif\">\n"
            + "<rect width=\"\(w)\" height=\"\(h)\" fill=\"#fff\"/>\n"
            + "<text x=\"\(w / 2)\" y=\"24\" text-anchor=\"middle\" font-size=\"15\" font-weight=\"bold\">\(escape(title))</text>\n"
    }
}
