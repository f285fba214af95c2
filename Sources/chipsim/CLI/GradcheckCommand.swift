import Foundation
import ChipModel
import OnChipLearning

/// `chipsim gradcheck`: compares each twin rule's gradient estimate with the exact online
/// gradient (OTTT) or BPTT on a small network and synthetic data; prints a table.
enum GradcheckCommand: Subcommand {
    static let name = "gradcheck"
    static let summary = "Compare the float twin's learning rules with exact gradients (cosine, variance)."
    static let flags: Set<String> = ["json"]
    static let help = """
    USAGE: chipsim gradcheck CONFIG.json [--samples N] [--draws K] [--warmup N] [--reference ottt|bptt]
                             [--rule opzo|dfa|readout|zo_sp|mgd_np] [--json]
           chipsim gradcheck [--rule opzo|ottt|dfa|readout|zo_sp|mgd_wp|mgd_np|fwd_grad|bptt|all]
                             [--reference ottt|bptt] [--draws N] [--batch N] [--warmup N] [--alpha X] [--json]

    Network 16-48-4, T = 8, soft reset, rectangular surrogate; batch of Gaussian blobs
    (4 classes, 16 features, seed 1). Per rule and weight layer: mean cosine with the
    reference gradient over noise draws, cosine of the mean estimate, relative variance
    (mean |g - mean g|^2 / |mean g|^2). OPZO's M is learned first over --warmup noisy samples
    at fixed weights. Defaults: --rule all, --reference ottt, --draws 8, --batch 32, --warmup 400,
    --alpha 0.5.

    With CONFIG (an experiment with an OPZO-family learning section, or a "spec" that is an
    OPZO-family spec with only its defaults changed, and a topology
    `chipsim compare` accepts): the same table on the experiment's float twin (its sizes, T,
    du / dv, reset) with its first N training samples (default 50), for the experiment's rule
    and its twin siblings (opzo dfa readout zo_sp mgd_np mgd_wp fwd_grad bptt), starting from the
    chip's initial weights mapped to twin units (docs/TWIN.md); then the chip
    runs the rule on the same N samples and every forward-weight update is compared with the
    twin's formula x1 * factor / 2^eta: per layer the compared updates, max |chip - float|
    (must be < 1 LSB), mean error and its standard error (|mean| <= 4 SE), cosine.
    --rule replaces the experiment's rule (on the chip and first in the table).
    Exit status 1 if the chip check fails. Defaults: --samples 50, --draws 8, --warmup 400.

    With CONFIG of a network with conv, pooling, one-to-one or recurrent connections: the
    shaped twin's BPTT gradient of every weight tensor against central finite differences on
    its first --samples training samples (default 1), --draws weights per tensor (docs/TWIN.md).

    EXAMPLE:
      chipsim gradcheck --rule opzo --draws 16
      chipsim gradcheck configs/opzo-yinyang.json --samples 20
    """

    static func runConfig(_ path: String, _ args: inout Arguments) throws -> Int32 {
        let samples = try args.int("samples", default: 50, in: 1...10_000_000)
        let draws = try args.int("draws", default: 8, in: 1...1_000_000)
        let warmup = try args.int("warmup", default: 400, in: 0...10_000_000)
        let refName = try args.value("reference") ?? "ottt"
        let ruleName = try args.value("rule")
        let json = args.flag("json")
        try args.finish()
        var rule: ErrorBroadcastParameters.Kind?
        if let r = ruleName {
            guard let k = ErrorBroadcastParameters.Kind(rawValue: r) else {
                throw ChipError.usage("--rule: one of \(ErrorBroadcastParameters.Kind.allCases.map(\.rawValue).joined(separator: ", ")), got '\(r)'")
            }
            rule = k
        }
        guard samples >= 1, draws >= 2, warmup >= 0 else { throw ChipError.usage("--samples must be >= 1, --draws >= 2, --warmup >= 0") }
        guard let reference = TwinRule(rawValue: refName), reference == .ottt || reference == .bptt else {
            throw ChipError.usage("--reference: expected ottt or bptt, got '\(refName)'")
        }
        var experiment = try ConfigLoader.experiment(path: path)
        // A spec that is a shipped family rule with other defaults: that rule with those values.
        if let l = experiment.learning, let section = try RuleSpec.familySection(l, configFile: experiment.file, tool: "gradcheck") {
            experiment.learning = section
        }
        if let shaped = try shapedCheck(experiment, path: path, samples: args.has("samples") ? samples : 1, perTensor: draws, json: json) {
            return shaped
        }
        let setup = try ConfigGradCheck(experiment: experiment, samples: samples, rule: rule)
        let net = setup.network
        let rows = GradCheck.run(rules: setup.rules, network: net, params: RuleParams(), data: setup.data, draws: draws,
                                 warmupSamples: warmup, reference: reference, initialWeights: setup.initialWeights)
        let check = try ChipUpdateCheck.run(experiment: experiment, samples: samples, rule: rule)
        let failures = check.failures
        if json {
            let items: [JSONValue] = rows.map { r in
                .object([("rule", .string(r.rule.rawValue)), ("layer", .int(r.layer)), ("cosine", .double(r.cosine)),
                         ("cosineOfMean", .double(r.cosineOfMean)), ("relativeVariance", .double(r.relativeVariance)), ("draws", .int(r.draws))])
            }
            let layers: [JSONValue] = check.layers.map { l in
                .object([("layer", .int(l.layer)), ("observations", .int(l.observations)), ("updates", .int(l.updated)),
                         ("saturated", .int(l.saturated)), ("unexpectedChanges", .int(l.unexpectedChanges)),
                         ("maxAbsError", .double(l.maxAbsError)), ("meanError", .double(l.meanError)),
                         ("standardError", .double(l.standardError)), ("meanAbsFloat", .double(l.meanAbsFloat)),
                         ("cosine", .double(l.cosine)), ("expectedCosine", .double(l.expectedCosine))])
            }
            print(JSONValue.object([
                ("config", .string(path)), ("sizes", .array(net.sizes.map { .int($0) })), ("steps", .int(net.steps)),
                ("samples", .int(setup.data.count)), ("reference", .string(reference.rawValue)),
                ("twinWeights", .string("chip initial weights in twin units")),
                ("rows", .array(items)),
                ("chipUpdate", .object([("rule", .string(setup.chipRule.rawValue)), ("passed", .bool(failures.isEmpty)),
                                        ("layers", .array(layers)), ("failures", .array(failures.map { .string($0) }))])),
            ]).serialized())
        } else {
            let sizes = net.sizes.map(String.init).joined(separator: "-")
            print("twin of \(path): \(sizes), T = \(net.steps), hidden du/dv \(net.hiddenDu)/\(net.hiddenDv) (\(net.reset.rawValue) reset), readout du/dv \(net.readoutDu)/\(net.readoutDv)")
            print("gradient check: reference \(reference.rawValue), first \(setup.data.count) training samples, \(draws) draws, OPZO warm-up \(warmup) samples")
            print("twin weights: the chip's initial weights in twin units (hidden w 2^e theta / vth, readout w 2^(e+6) / 2^(outputShift + lutFracBits))")
            printRows(rows)
            print("")
            print("chip vs twin formula: on-chip \(setup.chipRule.rawValue), \(setup.data.count) training samples; float update x1 * factor / 2^eta vs chip w_before - w_after (LSB)")
            print("layer  block-updates    updates  saturated   mean|d|  max|err|   mean err    std.err  |mean|/SE   cosine  cos(expected)")
            for l in check.layers {
                print(String(format: "%5d  %13d  %9d  %9d  %8.4f  %8.4f  %9.2e  %9.2e  %9.2f  %7.4f  %13.4f", l.layer, l.observations, l.updated, l.saturated,
                             l.meanAbsFloat, l.maxAbsError, l.meanError, l.standardError, l.biasSigmas, l.cosine, l.expectedCosine))
            }
            if failures.isEmpty {
                print("chip check passed: every update within one LSB of the twin's, no bias beyond \(Int(check.biasSigmas)) standard errors")
            } else {
                for f in failures { print("chip check FAILED: \(f)") }
            }
        }
        return failures.isEmpty ? 0 : 1
    }

    /// Networks with conv, pooling, one-to-one or recurrent connections: the shaped twin's BPTT
    /// gradient of every weight tensor against central finite differences (docs/TWIN.md) on
    /// the first N training samples (default 1: a conv net's finite differences take one
    /// forward pass per checked weight). --draws is the number of weights checked per tensor.
    /// Exit status 1 when a tensor's cosine is below 0.999. nil for dense feedforward chains.
    static func shapedCheck(_ e: ExperimentConfig, path: String, samples: Int, perTensor: Int, json: Bool) throws -> Int32? {
        guard e.network.connections.contains(where: { $0.shaped != nil || e.network.isRecurrent($0) }) else { return nil }
        let check = try ShapedConfigGradCheck(experiment: e, samples: samples)
        let rows = check.run(perTensor: perTensor)
        // A tensor whose sampled weights have zero gradient both ways (silent neurons) agrees;
        // its cosine is undefined and printed as 0.
        func agrees(_ r: ShapedGradCheckRow) -> Bool { r.cosine >= 0.999 || (r.gradientScale == 0 && r.maxError == 0) }
        let failed = rows.filter { $0.trainable && $0.checked > 0 && !agrees($0) }
        if json {
            print(JSONValue.object([
                ("config", .string(path)), ("samples", .int(check.data.count)), ("reference", .string("central differences")),
                ("rows", .array(rows.map { r in
                    .object([("tensor", .int(r.tensor)), ("layer", .int(r.layer)), ("recurrent", .bool(r.recurrent)),
                             ("trainable", .bool(r.trainable)), ("checked", .int(r.checked)), ("maxAbsError", .double(r.maxError)),
                             ("cosine", .double(r.cosine)), ("gradientScale", .double(r.gradientScale))])
                })),
                ("passed", .bool(failed.isEmpty)),
            ]).serialized())
        } else {
            print("shaped twin of \(path): BPTT gradient vs central differences (eps 1e-2), first \(check.data.count) training sample(s), \(perTensor) weights per tensor")
            print("tensor  layer  kind        checked   max|err|    |grad|     cosine")
            for r in rows {
                let kind = r.recurrent ? "recurrent" : (r.trainable ? "forward" : "fixed")
                print(String(format: "%6d  %5d  %-10@  %7d  %9.2e  %9.2e  %9.7f", r.tensor, r.layer, kind as NSString, r.checked, r.maxError, r.gradientScale, r.cosine))
            }
            print(failed.isEmpty ? "passed: every trainable tensor's cosine >= 0.999 (or both gradients zero)" : "FAILED: \(failed.count) tensor(s) with cosine < 0.999")
        }
        return failed.isEmpty ? 0 : 1
    }

    static func printRows(_ rows: [GradCheckRow]) {
        print("rule      layer   cosine  cos(mean)  rel.variance")
        for r in rows {
            print(r.rule.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                  + String(format: "%5d  %7.3f  %9.3f  %12.3g", r.layer, r.cosine, r.cosineOfMean, r.relativeVariance))
        }
    }

    static func run(_ args: inout Arguments) throws -> Int32 {
        if !args.positionals.isEmpty { return try runConfig(try args.positional("CONFIG.json"), &args) }
        let ruleName = try args.value("rule") ?? "all"
        let refName = try args.value("reference") ?? "ottt"
        let draws = try args.int("draws", default: 8, in: 1...1_000_000)
        let batch = try args.int("batch", default: 32, in: 1...65_536)
        let warmup = try args.int("warmup", default: 400, in: 0...10_000_000)
        let alphaS = try args.value("alpha")
        let json = args.flag("json")
        try args.finish()
        var rules: [TwinRule]
        if ruleName == "all" { rules = [.opzo, .dfa, .zo_sp, .mgd_wp, .mgd_np, .fwd_grad, .readout, .ottt, .bptt] }
        else if let r = TwinRule(rawValue: ruleName) { rules = [r] }
        else { throw ChipError.usage("--rule: unknown rule '\(ruleName)'; one of all, \(TwinRule.allCases.map(\.rawValue).joined(separator: ", "))") }
        guard let reference = TwinRule(rawValue: refName), reference == .ottt || reference == .bptt else {
            throw ChipError.usage("--reference: expected ottt or bptt, got '\(refName)'")
        }
        guard draws >= 2, batch >= 1, warmup >= 0 else { throw ChipError.usage("--draws must be >= 2, --batch >= 1, --warmup >= 0") }
        var params = RuleParams()
        if let a = alphaS {
            guard let v = Float(a), v > 0 else { throw ChipError.usage("--alpha expects a positive number, got '\(a)'") }
            params.alpha = v
        }
        let net = TwinConfig(sizes: [16, 48, 4], steps: 8, seed: 1)
        let data = FloatDataset.gaussianBlobs(features: 16, classes: 4, count: batch, spread: 0.15, seed: 1)
        let rows = GradCheck.run(rules: rules, network: net, params: params, data: data, draws: draws,
                                 warmupSamples: warmup, reference: reference)
        if json {
            let items = rows.map { r in
                "{\"rule\":\"\(r.rule.rawValue)\",\"layer\":\(r.layer),\"cosine\":\(r.cosine),\"cosineOfMean\":\(r.cosineOfMean),\"relativeVariance\":\(r.relativeVariance),\"draws\":\(r.draws)}"
            }
            print("{\"reference\":\"\(reference.rawValue)\",\"rows\":[\(items.joined(separator: ","))]}")
        } else {
            print("reference: \(reference.rawValue); network 16-48-4, T = 8, batch \(batch), \(draws) draws")
            printRows(rows)
        }
        return 0
    }
}
