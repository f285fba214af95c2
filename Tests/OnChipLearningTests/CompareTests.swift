import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import OnChipLearning
@testable import ChipModel

@Suite struct CompareHostEnergyTests {
    let profile = HostProfile(name: "test", picojoulesPerFlop: 3, picojoulesPerDRAMByte: 7, linkPicojoulesPerByte: 80,
                              linkBytesPerSecond: 1000, peakFlopsPerSecond: 1e6, dramBytesPerSecond: 1e4, utilisation: 0.5)

    @Test func energyAndTimeOfHandCounts() {
        let c = HostEnergyModel.cost(HostCounts(flops: 1000, dramBytes: 200, linkBytes: 10), profile: profile)
        #expect(c.flopPicojoules == 3000)
        #expect(c.dramPicojoules == 1400)
        #expect(c.linkPicojoules == 800)
        #expect(c.totalPicojoules == 5200)
        // compute: max(1000 / (1e6 * 0.5), 200 / 1e4) = max(0.002, 0.02) = 0.02 s; link 10 / 1000 = 0.01 s.
        #expect(abs(c.computeSeconds - 0.02) < 1e-15)
        #expect(abs(c.seconds - 0.03) < 1e-15)
    }

    @Test func tinyTwinForwardPassCostsHandCountedFlops() {
        // TwinTests.flopCountsEqualHandCount: the 2-3-2 hand network's forward pass over 3
        // steps is 85 FLOPs (encode 3, synapse 5, neuron 77) and 20 weight bytes (5 reads).
        let net = handNetwork()
        let x: [Float] = [1, 0]
        _ = x.withUnsafeBufferPointer { net.predict($0.baseAddress!, coordinate: 0) }
        let c = HostEnergyModel.cost(HostCounts(flops: net.counts.totalFlops, dramBytes: net.counts.totalBytes), profile: profile)
        #expect(c.totalPicojoules == 85 * 3 + 20 * 7)
    }

    @Test func sgdStepOfTinyNetworkCostsHandCountedFlops() {
        // SGD on weights of 2x3 + 3x2 = 12: 2 FLOPs (multiply, subtract) and 12 bytes (read
        // weight and gradient, write weight) per weight: 24 FLOPs, 144 bytes.
        let net = handNetwork()
        let grad = net.weights.map { FloatBuffer(count: $0.count) }
        let opt = TwinOptimiser(kind: .sgd(lr: 0.1), shapes: net.weights.map(\.count))
        var counts = TwinOpCounts()
        opt.step(weights: net.weights, grad: grad, scale: 1, layers: [0, 1], counts: &counts)
        let c = HostEnergyModel.cost(HostCounts(flops: counts.totalFlops, dramBytes: counts.totalBytes), profile: profile)
        #expect(counts.totalFlops == 24 && counts.totalBytes == 144)
        #expect(c.totalPicojoules == 24 * 3 + 144 * 7)
    }

    @Test func shippedProfilesLoadWithSources() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
        for name in ["gpu-datacentre", "cpu-server"] {
            let p = try HostProfile.load(path: root + "/configs/host/\(name).json")
            #expect(p.name == name)
            #expect(p.figures.allSatisfy { !$0.1.source.isEmpty })
        }
    }

    @Test func figureWithoutSourceIsAnErrorNamingItsPath() throws {
        let text = #"{"name": "x", "figures": {"picojoulesPerFlop": {"value": 1}}}"#
        do {
            _ = try HostProfile(json: try JSONValue.parse(Data(text.utf8), file: "h.json"), file: "h.json")
            Issue.record("expected an error")
        } catch let e as ChipError {
            #expect("\(e)".contains("h.json") && "\(e)".contains("picojoulesPerFlop"))
        }
    }
}

@Suite struct CompareQuantiserTests {
    /// Deterministic weights of magnitude up to `amp` (a simple LCG; independent of the code under test).
    func weights(_ n: Int, amp: Float, seed: UInt64) -> [Float] {
        var s = seed
        return (0..<n).map { _ in
            s = s &* 6364136223846793005 &+ 1442695040888963407
            return amp * (Float(s >> 40) / Float(1 << 24) * 2 - 1)
        }
    }

    @Test func roundTripWithinHalfAStepAndRangeUsed() {
        for (amp, vth) in [(Float(0.3), 250), (5, 250), (1e-3, 250), (1e-4, 250), (300, 64), (0.7, 1)] {
            for theta: Float? in [1, nil] {
                let w = weights(12 * 7, amp: amp, seed: UInt64(vth) &+ UInt64(amp.bitPattern))
                let q = Quantiser.quantise(w, rows: 12, cols: 7, weightBits: 8, theta: theta, vth: theta == nil ? nil : vth)
                let step = 1 / q.scale
                for j in 0..<12 { for i in 0..<7 {
                    let err = abs(q.dequantised(q.weights[j][i]) - Double(w[j * 7 + i]))
                    #expect(err <= step / 2 * (1 + 1e-9), "amp \(amp) vth \(vth): error \(err) > half step \(step / 2)")
                    #expect(abs(q.weights[j][i]) <= 127)
                } }
                // The largest weight uses the top bit of the mantissa range: |w_int| in (63.5, 127].
                #expect(q.maxAbsInt >= 64 && q.maxAbsInt <= 127, "amp \(amp): max mantissa \(q.maxAbsInt)")
                #expect(Quantiser.exponentRange.contains(q.weightExponent))
                if let th = theta, let v = q.vth {
                    // Mapping: w_float / theta == (w_int << e) / vth, i.e. scale = vth / (theta 2^e).
                    #expect(abs(q.scale - Double(v) / Double(th) * pow(2, Double(-q.weightExponent))) <= 1e-12 * q.scale)
                    #expect(v >= 1 && v <= Quantiser.vthMax)
                    if q.weightExponent < 0 { #expect(v << 1 > Quantiser.vthMax) }   // threshold raised as far as it goes first
                }
            }
        }
    }

    @Test func exponentNeededIsExactAtPowersOfTwo() {
        #expect(Quantiser.exponentNeeded(maxAbs: 127, unit: 1, wMax: 127) == 0)
        #expect(Quantiser.exponentNeeded(maxAbs: 127.5, unit: 1, wMax: 127) == 1)
        #expect(Quantiser.exponentNeeded(maxAbs: 63.5, unit: 1, wMax: 127) == -1)
        #expect(Quantiser.exponentNeeded(maxAbs: 63.4, unit: 1, wMax: 127) == -1)
        #expect(Quantiser.exponentNeeded(maxAbs: 0.5, unit: 250, wMax: 127) == 0)    // 125 <= 127
        #expect(Quantiser.exponentNeeded(maxAbs: 0.6, unit: 250, wMax: 127) == 1)    // 150 > 127
        #expect(Quantiser.exponentNeeded(maxAbs: 0, unit: 250, wMax: 127) == 0)
    }

    @Test func hiddenThresholdAbsorbsNegativeExponent() {
        // max |w| = 0.1, vth 250: e* = ceil(log2(25 / 127)) = -2; vth becomes 1000, e = 0,
        // scale = 1000: w_int = round(1000 w).
        let q = Quantiser.quantise([0.1, -0.05, 0.0123, 0], rows: 2, cols: 2, weightBits: 8, theta: 1, vth: 250)
        #expect(q.weightExponent == 0 && q.vth == 1000 && q.scale == 1000)
        #expect(q.weights == [[100, -50], [12, 0]])
        // Readout (no threshold): scale 2^-e* = 4 for the same weights, e = 0.
        let r = Quantiser.quantise([0.1 * 250, -0.05 * 250, 0, 0], rows: 2, cols: 2, weightBits: 8, theta: nil, vth: nil)
        #expect(r.weightExponent == 0 && r.vth == nil && r.scale == 4 && r.weights == [[100, -50], [0, 0]])
        #expect(q.packedBytes == 4)
    }
}

/// Collects elements and link attributes of an XML document; records parse errors.
final class XMLCheck: NSObject, XMLParserDelegate {
    var elements: [String] = []
    var links: [String] = []
    var error: String?
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        elements.append(name.lowercased())
        for (k, v) in attributes where ["href", "src", "xlink:href", "data"].contains(k.lowercased()) { links.append(v) }
    }
    func parser(_ parser: XMLParser, parseErrorOccurred e: Error) { error = "\(e) at line \(parser.lineNumber)" }
    static func check(_ text: String) -> XMLCheck {
        let c = XMLCheck()
        let p = XMLParser(data: Data(text.utf8))
        p.delegate = c
        if !p.parse() && c.error == nil { c.error = "parse failed" }
        return c
    }
}

@Suite struct CompareReportTests {
    static func sample() -> CompareResult {
        func curve(_ accs: [Double], pj: Double) -> [ComparePoint] {
            accs.enumerated().map { ComparePoint(epoch: $0 + 1, trainAccuracy: $1 * 0.9, testAccuracy: $1, cumulativePicojoules: pj * Double($0 + 1), cumulativeSeconds: Double($0 + 1)) }
        }
        let on = MethodResult(name: "on-chip opzo", kind: "on-chip", rule: "opzo", host: nil, curve: curve([0.5, 0.7], pj: 1e9),
                              floatAccuracy: nil, chipAccuracy: 0.7, trainSamples: 200,
                              energy: [.chipSynapses: 4e8, .chipLearning: 1.6e9], trainSeconds: 0.5,
                              operations: [("synops", 1000)], memory: [("weights", 4000)], weightWrites: 10, hostIOBytes: 5,
                              inferencePicojoulesPerSample: 1e6, deployment: nil, neurobench: NeuroBenchTests.handInputs())
        let off = MethodResult(name: "off-chip bptt-adam @ <gpu & \"x\">", kind: "off-chip", rule: "bptt", host: "gpu", curve: curve([0.8, 0.9], pj: 1e11),
                               floatAccuracy: 0.9, chipAccuracy: 0.88, trainSamples: 200,
                               energy: [.hostCompute: 1e11, .hostDRAM: 1e11, .hostLink: 1e7], trainSeconds: 0.01,
                               operations: [("FLOPs", 1 << 30)], memory: [("float weights", 1600)], weightWrites: 99, hostIOBytes: 400,
                               inferencePicojoulesPerSample: 1e6, deployment: .object([("linkBytes", .int(400))]))
        let chip: JSONValue = .object([("mesh", .array([.int(4), .int(2)])), ("coresOnChip", .int(8)), ("coresUsed", .int(6)),
                                       ("neuronsPerCore", .int(1024)), ("synapseMemoryBytesPerCore", .int(131072))])
        return CompareResult(name: "t", task: .object([("experiment", .string("t")), ("chip", chip)]),
                             hosts: [HostProfile(name: "gpu", picojoulesPerFlop: 1, picojoulesPerDRAMByte: 1, linkPicojoulesPerByte: 1)],
                             methods: [on, off], wallSeconds: 1)
    }

    @Test func svgAndHTMLAreWellFormedAndReferenceOnlyLocalFiles() {
        let files = HTMLReport.files(Self.sample())
        let names = Set(files.map(\.0))
        for f in HTMLReport.plots + ["index.html", "report.json", "summary.csv", "curves.csv"] { #expect(names.contains(f), "\(f) missing") }
        for (name, text) in files where name.hasSuffix(".svg") || name.hasSuffix(".html") {
            let c = XMLCheck.check(text)
            #expect(c.error == nil, "\(name): \(c.error ?? "")")
            #expect(!c.elements.contains("script"), "\(name) has a script")
            #expect(c.elements.first == (name.hasSuffix(".svg") ? "svg" : "html"))
            for link in c.links {
                #expect(!link.contains(":") && !link.hasPrefix("/") && !link.contains(".."), "\(name) references non-local \(link)")
                #expect(names.contains(link), "\(name) references \(link), which is not in the output folder")
            }
            #expect(!text.contains("@import") && !text.contains("url("), "\(name) loads a style resource")
        }
        let html = files.first { $0.0 == "index.html" }!.1
        for p in HTMLReport.plots { #expect(html.contains("src=\"\(p)\"")) }
        #expect(html.contains("&lt;gpu &amp; &quot;x&quot;&gt;"))   // names are escaped
        // The chip's setup and the definition of every column that is not the same quantity for all methods.
        #expect(html.contains("Chip: 6 of 8 cores used, on a 4 x 2 mesh; each core has 1024 neurons and 128.0 KiB of synapse memory"))
        for h in ["<th>simulated chip time</th>", "<th>host time (roofline, lower bound)</th>", "<th>on-chip synapse updates</th>", "<th>host-written weights</th>",
                  "<dt>host time (roofline, lower bound)</dt>", "<dt>host-written weights</dt>", "NeuroBench metrics (per sample)"] {
            #expect(html.contains(h), "\(h) missing")
        }
        // The on-chip method's NeuroBench row (hand inputs: dense 40, effective ACs 14.33 -> 14, footprint 74 B).
        #expect(html.contains("<td>40</td><td>14</td><td>0</td><td>16</td><td>0</td><td>0.7188</td><td>0.1000</td><td>74 B</td>"))
    }

    @Test func plotCoordinatesFollowTheData() {
        // Two points on a linear chart: the first at the left/bottom edge, the second at the right/top edge.
        let svg = SVGPlot.lineChart(title: "t", xLabel: "x", yLabel: "y",
                                    series: [PlotSeries(name: "a", colour: "#000", points: [(0, 0), (10, 100)])], yRange: (0, 100),
                                    width: 700, height: 300)
        // plot area: x from 70, 700 - 70 - 230 = 400 wide; y from 40, 300 - 40 - 60 = 200 high.
        #expect(svg.contains("<polyline points=\"70.00,240.00 470.00,40.00\""))
    }

    /// The chip's static energy joins the categories: watts x powered cores x simulated seconds.
    @Test func breakdownAddsTheChipsStaticEnergy() throws {
        var counts = ActionCounts(); counts.add(.synop, 100)
        var table = try BuiltinEnergyTables.named("loihi")!
        table.staticWattsPerCore = 0.25
        let b = EnergyCategory.breakdown(counts, table: table, poweredCores: 4, seconds: 2e-3)
        #expect(b[.chipSynapses] == 2360 && b[.chipStatic] == 0.25 * 4 * 2e-3 * 1e12)   // 2 mJ
        #expect(EnergyCategory.breakdown(counts, table: table)[.chipStatic] == nil)
    }

    @Test func summaryCSVHasOneRowPerMethod() {
        let r = Self.sample()
        let lines = r.summaryCSV.split(separator: "\n")
        #expect(lines.count == 3)
        // 20 columns, chip static energy, the two basis columns and 11 NeuroBench columns (empty for a method without them).
        #expect(lines[0].split(separator: ",", omittingEmptySubsequences: false).count == 34)
        #expect(lines[1].split(separator: ",", omittingEmptySubsequences: false).count == 34)
        #expect(lines[2].split(separator: ",", omittingEmptySubsequences: false).count == 34)
        #expect(lines[1].hasSuffix(",40.0,\(25.0 / 3 + 6),0.0,16.0,0.0,0.71875,0.1,74,38,11.0,16.0"))
        #expect(lines[2].hasSuffix(",,,,,,,,,,,"))
        #expect(lines[1].contains(",simulated chip time,") && lines[2].contains(",host roofline estimate (lower bound),"))
        #expect(r.curvesCSV.split(separator: "\n").count == 1 + 4)
        #expect(r.methods[0].totalPicojoules == 2e9 && r.methods[0].picojoulesPerSample == 1e7)
    }
}

/// Input channel 0 spikes at every step, channel 1 never (the twin's x = [1, 0] spikes the same way).
struct ConstantInput: SpikeSource {
    var channels: Int { 2 }
    var samples: Int { 1 }
    func label(sample: Int) -> Int? { 0 }
    func spikes(sample: Int, step: Int, into out: inout ContiguousArray<Int32>) { out.append(0) }
}

@Suite struct CompareDeploymentTests {
    /// Deployed weights reproduce the twin on the chip: same hidden spikes, readout v = float
    /// o x scale x 64 within weight rounding, same prediction.
    @Test func deployedNetworkMatchesTwin() throws {
        let steps = 6
        let json = """
        {"name": "dep", "network": {"layers": [{"name": "in", "kind": "input", "size": 2},
            {"name": "h", "size": 3, "neuron": {"du": 4095, "dv": 410, "vth": 250}},
            {"name": "o", "size": 2, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
          "connections": [{"from": "in", "to": "h"}, {"from": "h", "to": "o"}]},
         "run": {"steps": \(steps)}}
        """
        var exp = try ExperimentConfig(json: try JSONValue.parse(Data(json.utf8), file: "dep.json"), file: "dep.json")
        var tc = TwinConfig(sizes: [2, 3, 2], steps: steps, seed: 1)
        tc.hiddenDv = 410; tc.readoutDv = 410; tc.reset = .hard
        let net = TwinNetwork(config: tc)
        net.setWeights(0, [0.6, 1.3, -0.4,  0.2, 0.2, 0.2])
        net.setWeights(1, [0.5, -0.25,  -0.3, 0.7,  0.1, 0.1])
        let qs = CompareRunner.install(net, into: &exp, chain: try CompareRunner.chain(exp), theta: 1)
        // Hand: W0 max 1.3, unit 250: e* = ceil(log2(325 / 127)) = 2, scale 62.5; readout max 0.7: e* = -7, scale 128.
        #expect(qs[0].weightExponent == 2 && qs[0].scale == 62.5 && qs[0].vth == 250)
        #expect(qs[0].weights == [[38, 81, -25], [13, 13, 13]])
        #expect(qs[1].weightExponent == 0 && qs[1].scale == 128)
        #expect(qs[1].weights == [[64, -32], [-38, 90], [13, 13]])

        // Twin: hidden spikes per neuron and summed readout.
        let x: [Float] = [1, 0]
        var twinSpikes = [Int](repeating: 0, count: 3)
        x.withUnsafeBufferPointer { net.resetState(); net.loadSample($0.baseAddress!, coordinate: 0) }
        for t in 0..<steps {
            net.step(t)
            for i in 0..<3 where net.out[0][i] > 0 { twinSpikes[i] += 1 }
        }
        let twinSum = [Double(net.outSum[0]), Double(net.outSum[1])]

        let sim = Simulator(chip: try Chip(config: exp))
        sim.runSample(0, source: ConstantInput())
        let r = sim.samples.last!
        // Hidden spikes: neuron 0 every second step, neuron 1 every step, neuron 2 never.
        #expect(twinSpikes.reduce(0, +) == r.spikesPerLayer[1])
        // Exact mapping check: the twin run with the dequantised weights (w_int / scale), scaled by
        // 128 x 64, equals the chip's summed v up to the chip's truncating decay (< 1 unit per
        // step per stored value: at most T^2 / 2 = 18 units here).
        let deq = TwinNetwork(config: tc)
        deq.setWeights(0, qs[0].weights.flatMap { $0.map { Float(Double($0) / qs[0].scale) } })
        deq.setWeights(1, qs[1].weights.flatMap { $0.map { Float(Double($0) / qs[1].scale) } })
        _ = x.withUnsafeBufferPointer { deq.predict($0.baseAddress!, coordinate: 0) }
        for k in 0..<2 {
            let chip = Double(r.outputSpikeCounts[k])
            let exact = Double(deq.outSum[k]) * 128 * 64
            #expect(abs(chip - exact) <= 18, "readout \(k): chip \(chip), dequantised twin x scale \(exact)")
            // Against the float weights: within the weight rounding (|dw| <= 1/256, 5 % here).
            let expected = twinSum[k] * 128 * 64
            #expect(abs(chip - expected) <= 0.05 * abs(expected), "readout \(k): chip \(chip), twin x scale \(expected)")
        }
        #expect(r.prediction == (twinSum[0] >= twinSum[1] ? 0 : 1))
    }
}

@Suite struct CompareConfigTests {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test func shippedCompareConfigsLoad() throws {
        let quick = try CompareConfig.load(path: root + "/configs/compare-quick.json")
        #expect(quick.onChipRules == [.opzo])
        #expect(quick.methods.map(\.name) == ["bptt-adam", "ottt-adam"])
        #expect(quick.loopMethods.map(\.name) == ["bptt-adam"])
        #expect(quick.hosts.map(\.name) == ["gpu-datacentre", "cpu-server"])
        let full = try CompareConfig.load(path: root + "/configs/compare-mnist.json")
        #expect(full.onChipRules == [.opzo, .readout])
        #expect(full.methods.map(\.name) == ["bptt-adam", "bptt-sgd", "ottt-adam"])
        // The twin takes the chip's dynamics: dv 410, hard reset (the chip's default), du 4095.
        let runner = try CompareRunner(config: full)
        #expect(runner.twinConfig.hiddenDv == 410 && runner.twinConfig.readoutDv == 410)
        #expect(runner.twinConfig.reset == .hard && runner.twinConfig.hiddenDu == 4095)
        #expect(runner.twinConfig.sizes == [784, 500, 10] && runner.twinConfig.steps == 16)
    }

    @Test func unsupportedTopologyIsAConfigError() throws {
        let text = """
        {"experiment": {"network": {"layers": [{"name": "in", "kind": "input", "size": 2}, {"name": "o", "size": 2}],
                                    "connections": [{"from": "in", "to": "o"}]},
                        "learning": {"rule": "opzo"}},
         "hosts": ["\(root)/configs/host/cpu-server.json"]}
        """
        let c = try CompareConfig(json: try JSONValue.parse(Data(text.utf8), file: "c.json"), file: "c.json")
        do {
            _ = try CompareRunner(config: c)
            Issue.record("expected an error")
        } catch let e as ChipError {
            #expect("\(e)".contains("loihi-cuba-readout"))
        }
    }
}
