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
    USAGE: chipsim gradcheck [--rule opzo|ottt|dfa|readout|zo_sp|mgd_wp|mgd_np|fwd_grad|bptt|all]
                             [--reference ottt|bptt] [--draws N] [--batch N] [--warmup N] [--alpha X] [--json]

    Network 16-48-4, T = 8, soft reset, rectangular surrogate; batch of Gaussian blobs
    (4 classes, 16 features, seed 1). Per rule and weight layer: mean cosine with the
    reference gradient over noise draws, cosine of the mean estimate, relative variance
    (mean |g - mean g|^2 / |mean g|^2). OPZO's M is learned first over --warmup noisy samples
    at fixed weights. Defaults: --rule all, --reference ottt, --draws 8, --batch 32, --warmup 400,
    --alpha 0.5.

    EXAMPLE:
      chipsim gradcheck --rule opzo --draws 16
    """

    static func run(_ args: inout Arguments) throws -> Int32 {
        let ruleName = try args.value("rule") ?? "all"
        let refName = try args.value("reference") ?? "ottt"
        let draws = try args.int("draws", default: 8)
        let batch = try args.int("batch", default: 32)
        let warmup = try args.int("warmup", default: 400)
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
            print("rule      layer   cosine  cos(mean)  rel.variance")
            for r in rows {
                print(r.rule.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)
                      + String(format: "%5d  %7.3f  %9.3f  %12.3g", r.layer, r.cosine, r.cosineOfMean, r.relativeVariance))
            }
        }
        return 0
    }
}
