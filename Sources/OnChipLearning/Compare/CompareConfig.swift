import Foundation
import ChipModel

/// One off-chip training method: a twin rule (bptt, or ottt, the online variant) and an optimiser.
public struct OffChipMethod: Equatable, Sendable {
    public enum Optimiser: String, CaseIterable, Sendable { case adam, sgd }
    public var rule: TwinRule
    public var optimiser: Optimiser
    public var lr: Double
    public init(rule: TwinRule, optimiser: Optimiser, lr: Double) { self.rule = rule; self.optimiser = optimiser; self.lr = lr }
    public var name: String { "\(rule.rawValue)-\(optimiser.rawValue)" }
    public var twinOptimiser: TwinOptimiserKind { optimiser == .adam ? .adam(lr: Float(lr)) : .sgd(lr: Float(lr)) }
}

/// A `chipsim compare` config (docs/COMPARE.md): an experiment (the chip, network, dataset,
/// on-chip learning and training sections) plus the off-chip methods and host profiles.
///
///     {"name", "experiment": "file.json" | {inline experiment},
///      "onChipRules": ["opzo", "dfa", ..., {a learning section}]   (default: the experiment's learning),
///      "offChip": {"methods": [{"rule": "bptt"|"ottt"|"opzo"|"dfa"|"readout", "optimiser": "adam"|"sgd", "lr": x}],
///                  "epochs": n (default: training.epochs), "batchSize": 16, "theta": 1,
///                  "hiddenInitScale": 2, "surrogateHalfWidth": 0.5},
///      "chipInTheLoop": {"methods": [{"rule": "bptt", "optimiser": ..., "lr": ...}], "epochs": n}  (optional),
///      "hosts": ["host/gpu-datacentre.json", ...]}    (paths relative to this file; first = primary)
public struct CompareConfig {
    public var name: String
    public var file: String
    public var experiment: ExperimentConfig
    /// The on-chip methods' learning sections, trained the way `run` trains (TrainingSession).
    public var onChipLearning: [JSONValue]
    /// The error-broadcast rules among them (the ones with float twins).
    public var onChipRules: [ErrorBroadcastParameters.Kind] {
        onChipLearning.compactMap { l in
            if case let .string(r)? = l["rule"] { return ErrorBroadcastParameters.Kind(rawValue: r) }
            // No "rule": the learning section's default (opzo), unless it names a spec: a spec
            // rule is trained on chip like any other section but has no float twin.
            return l["rule"] == nil && l["spec"] == nil ? .opzo : nil
        }
    }
    public var methods: [OffChipMethod]
    public var offChipEpochs: Int?
    public var batchSize: Int
    public var theta: Float
    public var hiddenInitScale: Float
    public var surrogateHalfWidth: Float
    public var hosts: [HostProfile]
    /// Chip-in-the-loop BP methods (rule bptt only; none unless configured) and their epochs.
    public var loopMethods: [OffChipMethod] = []
    public var loopEpochs: Int?
    /// The experiment is an object inside this file (not a file of its own): its errors'
    /// JSON paths are prefixed with `$.experiment` (see `inExperiment`).
    public var experimentInline = false

    /// BP (bptt, ottt) and, for the accuracy comparison with the on-chip rules, the float
    /// twins of the online rules (same network and dynamics as the chip, float arithmetic).
    public static let offChipRules: [TwinRule] = [.bptt, .ottt, .opzo, .dfa, .readout]

    public init(json: JSONValue, file: String) throws {
        let r = try JSONReader(json, file: file, path: "$")
        self.file = file
        name = try r.string("name", default: OutputPath.stem(of: file))
        let dir = OutputPath.directoryPart(of: file)
        func resolve(_ p: String) -> String { p.hasPrefix("/") || dir.isEmpty ? p : (dir as NSString).appendingPathComponent(p) }
        guard let ev = r.optional("experiment") else { throw r.error("experiment", "missing: an experiment config file name or an inline experiment object") }
        switch ev {
        case let .string(p): experiment = try ConfigLoader.experiment(path: resolve(p))
        case .object:
            experimentInline = true
            // A "network": {"nir": ...} is imported here, its path relative to this file.
            experiment = try Self.prefixingPaths(file: file) { try ExperimentConfig(json: try NIRConfigNetwork.resolve(ev, file: file), file: file) }
        default: throw r.error("experiment", "expected a file name or an object, found \(ev.typeName)")
        }
        // Without a learning section (a network the chip cannot train yet, such as a conv
        // net: the experiment refuses one) compare runs the off-chip methods only.
        if let learning = experiment.learning {
            // Each entry: a rule name of the OPZO family (the experiment's learning section with that
            // rule) or a whole learning section (any rule: mgd_wp, fwd_grad, loco, microcode, ...),
            // checked now, before anything trains.
            let exp = experiment
            let prefix: String? = experimentInline ? file : nil
            if let rules = try r.optionalArray("onChipRules") {
                onChipLearning = try rules.enumerated().map { i, v in
                    switch v {
                    case let .string(s):
                        guard ErrorBroadcastParameters.Kind(rawValue: s) != nil else {
                            throw ChipError.config(file: file, path: "$.onChipRules[\(i)]", message: "expected one of \(ErrorBroadcastParameters.Kind.allCases.map(\.rawValue).joined(separator: ", ")), or a learning section object")
                        }
                        let l = TrainingSession.learning(learning, withRule: s)
                        _ = try Self.prefixingPaths(file: prefix) { try LearningConfig.decode(l, file: exp.file) }
                        return l
                    case .object:
                        var e = exp; e.learning = v
                        _ = try RuleFactory.make(v, config: e)
                        return v
                    default:
                        throw ChipError.config(file: file, path: "$.onChipRules[\(i)]", message: "expected a rule name or a learning section object, found \(v.typeName)")
                    }
                }
            } else {
                _ = try Self.prefixingPaths(file: prefix) { try RuleFactory.make(learning, config: exp) }
                onChipLearning = [learning]
            }
        } else {
            if r.has("onChipRules") {
                throw ChipError.config(file: experiment.file, path: "$.learning", message: "onChipRules needs the experiment's on-chip learning section")
            }
            onChipLearning = []
        }
        func decodeMethods(_ list: [JSONReader], rules: [TwinRule]) throws -> [OffChipMethod] {
            try list.map { m in
                let rule = TwinRule(rawValue: try m.string("rule", default: "bptt", oneOf: rules.map(\.rawValue)))!
                let opt = OffChipMethod.Optimiser(rawValue: try m.string("optimiser", default: "adam", oneOf: OffChipMethod.Optimiser.allCases.map(\.rawValue)))!
                let method = OffChipMethod(rule: rule, optimiser: opt, lr: try m.double("lr", default: opt == .adam ? 1e-3 : 0.05, min: 0))
                try m.rejectUnknownKeys()
                return method
            }
        }
        let o = try r.optionalObject("offChip")
        methods = try o.map { try decodeMethods(try $0.objects("methods"), rules: Self.offChipRules) } ?? [OffChipMethod(rule: .bptt, optimiser: .adam, lr: 1e-3)]
        if let loop = try r.optionalObject("chipInTheLoop") {
            loopMethods = try decodeMethods(try loop.objects("methods"), rules: [.bptt])
            loopEpochs = try loop.optionalInt("epochs", range: 1...1000)
            try loop.rejectUnknownKeys()
        }
        offChipEpochs = try o?.optionalInt("epochs", range: 1...1000)
        batchSize = try o?.int("batchSize", default: 16, range: 1...100_000) ?? 16
        theta = Float(try o?.double("theta", default: 1, min: 1e-6) ?? 1)
        hiddenInitScale = Float(try o?.double("hiddenInitScale", default: 2, min: 0) ?? 2)
        surrogateHalfWidth = Float(try o?.double("surrogateHalfWidth", default: 0.5, min: 1e-6) ?? 0.5)
        try o?.rejectUnknownKeys()
        let hostPaths: [String]
        if let hs = try r.optionalArray("hosts") {
            hostPaths = try hs.enumerated().map { i, v in
                guard case let .string(s) = v else { throw ChipError.config(file: file, path: "$.hosts[\(i)]", message: "expected a host profile file name") }
                return s
            }
        } else { hostPaths = ["host/gpu-datacentre.json", "host/cpu-server.json"] }
        if hostPaths.isEmpty { throw r.error("hosts", "give at least one host profile") }
        hosts = try hostPaths.map { try HostProfile.load(path: resolve($0)) }
        try r.rejectUnknownKeys()
    }

    /// Runs `body`; a config error it throws about an inline experiment gets the experiment's
    /// full JSON path (`$.network.layers` becomes `$.experiment.network.layers`).
    public func inExperiment<T>(_ body: () throws -> T) throws -> T {
        try Self.prefixingPaths(file: experimentInline ? file : nil, body)
    }

    static func prefixingPaths<T>(file: String?, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let ChipError.config(f, path, message) where file != nil && f == file && path.hasPrefix("$") && !path.hasPrefix("$.experiment") {
            throw ChipError.config(file: f, path: "$.experiment" + path.dropFirst(), message: message)
        }
    }

    /// Whether a parsed JSON file is a compare config (it has an "experiment") rather than an experiment.
    public static func isCompareConfig(_ json: JSONValue) -> Bool { json["experiment"] != nil }

    public static func load(path: String) throws -> CompareConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ChipError.io(path: path, message: "cannot read the compare config (does it exist?)")
        }
        return try CompareConfig(json: try JSONValue.parse(data, file: path), file: path)
    }
}

extension CompareRunner {
    /// What a compare run will do, found by building everything it builds before it trains.
    public struct Plan {
        public var onChip: [(rule: ErrorBroadcastParameters.Kind, cores: Int, trainSamples: Int, testSamples: Int)] = []
        public var offChipTrainSamples = 0
        public var offChipTestSamples = 0
        public var epochs = 0
        public var offChipEpochs = 0
    }

    /// Every check `run()` meets before and between its trainings, done up front so a bad
    /// config fails before any training starts (and `chipsim validate` can run them): the
    /// training settings, each on-chip rule's chip with its rule attached (learning memory),
    /// the twin's data and encoder, and the deployment chip.
    public func preflight() throws -> Plan {
        try config.inExperiment {
            let tc = try TrainingConfig.decode(experiment.training, file: experiment.file)
            var plan = Plan()
            plan.epochs = tc.epochs
            plan.offChipEpochs = config.offChipEpochs ?? tc.epochs
            for kind in config.onChipRules {
                var exp = experiment
                if case var .object(kv) = exp.learning! {
                    if let i = kv.firstIndex(where: { $0.0 == "rule" }) { kv[i].1 = .string(kind.rawValue) } else { kv.append(("rule", .string(kind.rawValue))) }
                    exp.learning = .object(kv)
                }
                let parameters = try LearningConfig.decode(exp.learning!, file: exp.file)
                let (trainSource, testSource) = try Experiment.sources(for: exp)
                guard let trainSource else { throw ChipError.config(file: exp.file, path: "$.input", message: "training needs a dataset input") }
                let sim = Simulator(chip: try Chip(config: exp))
                try sim.attach(rule: ErrorBroadcastRule(parameters))
                plan.onChip.append((kind, sim.chip.usedCores.count,
                                    tc.trainLimit > 0 ? min(tc.trainLimit, trainSource.samples) : trainSource.samples,
                                    tc.testLimit > 0 ? min(tc.testLimit, testSource.samples) : testSource.samples))
            }
            if !config.methods.isEmpty || !config.loopMethods.isEmpty {
                let (train, test) = try floatData()
                plan.offChipTrainSamples = train.count
                plan.offChipTestSamples = test.count
                var exp = experiment
                exp.learning = nil; exp.training = nil
                _ = try Chip(config: exp)
            }
            return plan
        }
    }
}
