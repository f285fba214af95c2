import Foundation
import ChipModel
import OnChipLearning

/// `chipsim bench twin`: trains the float twin on MNIST-5k (784-500-10, T = 16) with one
/// rule and prints training samples/s and the learning curve. The lead routes
/// `bench twin` here.
enum BenchTwin {
    static let help = """
    USAGE: chipsim bench twin [--rule R] [--data FILE.csv] [--epochs N] [--train N] [--batch B]
                              [--lr X] [--alpha X] [--lambda X] [--hidden N] [--steps T] [--seed S] [--json]
                              [--psi on|off] [--noise gaussian|rademacher] [--m-init zero|random]
                              [--reset soft|hard] [--surrogate rectangular|triangular]
                              [--shards K] [--threads N] [--optimiser adam|sgd]
      --shards   data-parallel gradient shards per batch (bptt/ottt/dfa/readout; 1); results
                 depend on K but not on --threads (threads running the shards; 1)
      --rule     ottt | opzo | dfa | readout | zo_sp | bptt | mgd_wp | mgd_np | fwd_grad (bptt)
      --data     a MNIST-5k CSV instead of the shipped data/ (784 pixels 0..255 + label per line)
      --epochs   epochs (1); --train: limit training samples (all 4000); --batch (16)
      Split: per class the first 400 rows train, the next 100 test. Adam, lr 1e-3 unless --lr;
      --optimiser sgd: plain SGD (W -= lr g, g averaged over the batch), the chip's optimiser.
    EXAMPLE:
      swift build -c release && .build/release/chipsim bench twin --rule opzo --epochs 20
    """

    static func run(_ args: inout Arguments) throws -> Int32 {
        if args.flag("help") { print(help); return 0 }
        let ruleName = try args.value("rule") ?? "bptt"
        guard let rule = TwinRule(rawValue: ruleName) else {
            throw ChipError.usage("--rule: unknown rule '\(ruleName)'; one of \(TwinRule.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let path = try args.value("data")
        let epochs = try args.int("epochs", default: 1, in: 1...10_000)
        let limit = try args.int("train", default: 0, in: 0...10_000_000)
        let batch = try args.int("batch", default: 16, in: 1...65_536)
        let shards = try args.int("shards", default: 1, in: 1...4096)
        let threads = try args.int("threads", default: 1, in: 1...4096)
        guard shards >= 1, threads >= 1, batch >= 1, epochs >= 1 else {
            throw ChipError.usage("--shards, --threads, --batch and --epochs must be >= 1")
        }
        let hidden = try args.int("hidden", default: 500, in: 1...65_536)
        let steps = try args.int("steps", default: 16, in: 1...100_000)
        let seed = try args.int("seed", default: 1, in: 0...Int.max)
        let json = args.flag("json")
        func float(_ name: String) throws -> Float? {
            guard let s = try args.value(name) else { return nil }
            guard let v = Float(s) else { throw ChipError.usage("--\(name) expects a number, got '\(s)'") }
            return v
        }
        let lr = try float("lr") ?? 1e-3
        enum OptimiserKind: String, CaseIterable { case adam, sgd }
        let alpha = try float("alpha"), lambda = try float("lambda")
        func choice<T: RawRepresentable & CaseIterable>(_ name: String, _ d: T) throws -> T where T.RawValue == String {
            guard let s = try args.value(name) else { return d }
            guard let v = T(rawValue: s) else { throw ChipError.usage("--\(name): expected one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), got '\(s)'") }
            return v
        }
        enum OnOff: String, CaseIterable { case on, off }
        enum MInit: String, CaseIterable { case zero, random }
        let psi = try choice("psi", OnOff.on)
        let noise = try choice("noise", NoiseKind.gaussian)
        let mInit = try choice("m-init", MInit.zero)
        let reset = try choice("reset", ResetMode.soft)
        let shape = try choice("surrogate", SurrogateShape.rectangular)
        let optimiser = try choice("optimiser", OptimiserKind.adam)
        try args.finish()

        var (train, test): (FloatDataset, FloatDataset)
        if let path { (train, test) = try FloatDataset.loadMNISTCSV(path: path) } else {
            let (a, b) = try MNIST5k.load()   // the shipped data/ (the same split as chipsim run)
            (train, test) = (FloatDataset(a), FloatDataset(b))
        }
        if limit > 0 && limit < train.count { train = train.slice(0..<limit) }
        var net = TwinConfig(sizes: [784, hidden, 10], steps: steps, seed: UInt64(seed))
        net.reset = reset
        net.surrogate.shape = shape
        var tc = TwinTrainerConfig(rule: rule)
        tc.epochs = epochs; tc.batchSize = batch; tc.optimiser = optimiser == .adam ? .adam(lr: lr) : .sgd(lr: lr)
        tc.shards = shards; tc.threads = threads
        if shards > 1 && ![.bptt, .ottt, .dfa, .readout].contains(rule) {
            throw ChipError.usage("--shards > 1 is supported for bptt, ottt, dfa and readout only")
        }
        if let a = alpha { tc.params.alpha = a }
        if let l = lambda { tc.params.lambda = l }
        tc.params.useSurrogate = psi == .on
        tc.params.noise = noise
        tc.params.randomInitialM = mInit == .random
        let trainer = TwinTrainer(network: net, trainer: tc)
        let clock = { Date().timeIntervalSinceReferenceDate }
        var best = 0.0
        let curve = trainer.train(train, test: test, clock: clock) { r in
            best = max(best, r.testAccuracy)
            if !json {
                print(String(format: "epoch %2d  loss %.4f  train %.2f%%  test %.2f%%  %.0f samples/s",
                             r.epoch, r.trainLoss, 100 * r.trainAccuracy, 100 * r.testAccuracy, r.samplesPerSecond))
                fflush(stdout)
            }
        }
        let totalSecs = curve.reduce(0) { $0 + $1.trainSeconds }
        let sps = totalSecs > 0 ? Double(curve.count * train.count) / totalSecs : 0
        let c = trainer.trainCounts
        if json {
            let epochs = curve.map { r in
                "{\"epoch\":\(r.epoch),\"trainLoss\":\(r.trainLoss),\"trainAccuracy\":\(r.trainAccuracy),\"testAccuracy\":\(r.testAccuracy),\"samplesPerSecond\":\(r.samplesPerSecond)}"
            }.joined(separator: ",")
            print("{\"rule\":\"\(rule.rawValue)\",\"samplesPerSecond\":\(sps),\"bestTestAccuracy\":\(best),\"trainFlops\":\(c.totalFlops),\"trainBytes\":\(c.totalBytes),\"epochs\":[\(epochs)]}")
        } else {
            print(String(format: "rule %@: %.0f training samples/s (%d thread%@), best test %.2f%%", rule.rawValue, sps, threads, threads == 1 ? "" : "s", 100 * best))
            print("training FLOPs per sample: \(c.totalFlops / UInt64(max(1, curve.count * train.count)))  bytes per sample: \(c.totalBytes / UInt64(max(1, curve.count * train.count)))")
            for op in TwinOp.allCases where c.flops(op) > 0 {
                print("  \(op.name.padding(toLength: 15, withPad: " ", startingAt: 0)) \(c.flops(op)) FLOPs  \(c.bytes(op)) bytes")
            }
        }
        return 0
    }
}
