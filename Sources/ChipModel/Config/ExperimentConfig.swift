import Foundation

// The whole experiment: chip + network + input + run options + seed. Decoding is strict
// (unknown keys and bad values are errors with their JSON path); `resolvedJSON` writes the
// config back with every default filled in, which is saved next to each report.

public enum InputConfig: Equatable, Sendable {
    /// Rate-coded built-in pattern: Bernoulli spikes per step with per-channel probability.
    /// uniform: every channel p = rate; gradient: channel c of n has p = 2 * rate * c / (n - 1),
    /// clipped to 1 (mean rate over channels = rate).
    case pattern(name: String, rate: Double, samples: Int)
    /// Explicit spike list: CSV with header `sample,step,channel` (path relative to the config).
    case spikeList(path: String)
    /// A dataset through an encoder; decoded by OnChipLearning (DatasetSpec, EncoderSpec).
    /// `split` is what `run` without training evaluates; `limit` caps the samples (0 = all).
    case dataset(dataset: JSONValue, encoder: JSONValue?, split: String, limit: Int)

    public static let docs = SectionDoc("$.input", "What drives the input layer. kind \"pattern\": built-in rate-coded pattern; kind \"spikes\": a CSV spike list; kind \"dataset\": a dataset through an encoder (docs/DATA.md).", [
        KeyDoc("kind", "\"pattern\" | \"spikes\" | \"dataset\"", "\"pattern\"", "Input source."),
        KeyDoc("dataset", "object", "(required for dataset)", "dataset: {\"kind\": \"mnist5k\" | \"idx\" | \"yinyang\" | \"trace\", ...}; see docs/DATA.md."),
        KeyDoc("encoder", "object", "{\"kind\": \"rate\"}", "dataset: {\"kind\": \"rate\" | \"latency\" | \"dvs\", ...}; its steps must equal run.steps. See docs/DATA.md."),
        KeyDoc("split", "\"train\" | \"test\"", "\"test\"", "dataset: the split an inference run (no training) goes through."),
        KeyDoc("limit", "integer >= 0", "0", "dataset: at most this many samples per split (0 = all)."),
        KeyDoc("pattern", "\"uniform\" | \"gradient\"", "\"uniform\"", "pattern: uniform (every channel at rate) or gradient (channel c at 2*rate*c/(n-1))."),
        KeyDoc("rate", "number 0...1", "0.13", "pattern: mean spike probability per channel per step (Bernoulli, counter-based PRNG)."),
        KeyDoc("samples", "integer >= 1", "4", "pattern: number of samples (each a fresh draw of the same pattern)."),
        KeyDoc("file", "string", "(required for spikes)", "spikes: CSV file with header sample,step,channel; path relative to the config file."),
    ])

    init(_ r: JSONReader?) throws {
        let kind = try r?.string("kind", default: "pattern", oneOf: ["pattern", "spikes", "dataset"]) ?? "pattern"
        if kind == "dataset" {
            guard let d = r!.optional("dataset") else { throw r!.error("dataset", "missing; expected an object such as {\"kind\": \"mnist5k\"}") }
            self = .dataset(dataset: d, encoder: r!.optional("encoder"),
                            split: try r!.string("split", default: "test", oneOf: ["train", "test"]),
                            limit: try r!.int("limit", default: 0, range: 0...100_000_000))
        } else if kind == "pattern" {
            self = .pattern(name: try r?.string("pattern", default: "uniform", oneOf: ["uniform", "gradient"]) ?? "uniform",
                            rate: try r?.double("rate", default: 0.13, min: 0, max: 1) ?? 0.13,
                            samples: try r?.int("samples", default: 4, range: 1...10_000_000) ?? 4)
        } else {
            self = .spikeList(path: try r!.string("file"))
        }
        try r?.rejectUnknownKeys()
    }

    var json: JSONValue {
        switch self {
        case let .pattern(n, rate, s):
            return .object([("kind", .string("pattern")), ("pattern", .string(n)), ("rate", .double(rate)), ("samples", .int(s))])
        case let .spikeList(p):
            return .object([("kind", .string("spikes")), ("file", .string(p))])
        case let .dataset(d, e, split, limit):
            return .object([("kind", .string("dataset")), ("dataset", d), ("encoder", e ?? .object([("kind", .string("rate"))])),
                            ("split", .string(split)), ("limit", .int(limit))])
        }
    }
}

public struct RunConfig: Equatable, Sendable {
    /// Timesteps per sample.
    public var steps: Int
    public var resetBetweenSamples: Bool

    /// Most timesteps per sample (docs/LIMITS.md); encoders and N-MNIST binning share it.
    public static let maxSteps = 100_000

    public static let docs = SectionDoc("$.run", "Run options.", [
        KeyDoc("steps", "integer 1...100000", "32", "Timesteps per sample. Input spikes of step t reach the first layer at t+1 (one-step synaptic delay per layer)."),
        KeyDoc("resetBetweenSamples", "boolean", "true", "Before each sample: u and v back to their initial values (0 unless a layer sets initialU / initialV); refractory counters and in-flight spikes zeroed."),
    ])

    init(_ r: JSONReader?) throws {
        steps = try r?.int("steps", default: 32, range: 1...RunConfig.maxSteps) ?? 32
        resetBetweenSamples = try r?.bool("resetBetweenSamples", default: true) ?? true
        try r?.rejectUnknownKeys()
    }

    var json: JSONValue { .object([("steps", .int(steps)), ("resetBetweenSamples", .bool(resetBetweenSamples))]) }
}

public struct ExperimentConfig: Equatable, Sendable {
    public var name: String
    public var seed: UInt64
    public var chip: ChipConfig
    public var network: NetworkConfig
    public var input: InputConfig
    public var run: RunConfig
    public var mapping: MappingConfig
    /// On-chip learning and training sections, decoded by OnChipLearning (raw JSON here).
    public var learning: JSONValue?
    public var training: JSONValue?
    /// The `--set` overrides this config was made with (a record; already applied).
    public var overrides: JSONValue? = nil
    /// Path of the file this config was read from ("<memory>" if none); relative paths
    /// inside the config resolve against its directory.
    public var file: String

    public static let docs = SectionDoc("$", "An experiment config (JSON). Unknown keys are errors; \"comment\" is allowed anywhere.", [
        KeyDoc("name", "string", "file name", "Experiment name, shown in reports."),
        KeyDoc("seed", "integer >= 0", "1", "Seed of every random stream (weights, input encoding, noise)."),
        KeyDoc("chip", "object", "see $.chip", "The chip."),
        KeyDoc("network", "object", "(required)", "The network; see $.network."),
        KeyDoc("input", "object", "see $.input", "The input."),
        KeyDoc("run", "object", "see $.run", "Run options."),
        KeyDoc("mapping", "object", "see $.mapping", "How layers are placed on cores."),
        KeyDoc("learning", "object", "(none: inference only)", "On-chip learning rule; see $.learning."),
        KeyDoc("training", "object", "(none)", "Epochs and splits of on-chip training; see $.training."),
        KeyDoc("overrides", "array", "(none)", "Written by `--set PATH=VALUE` (docs/SWEEP.md): [{\"path\", \"value\"}, ...], a record of the overrides already applied to this config; reading it changes nothing."),
    ])

    static let nocDocs = SectionDoc("$.chip.noc", "The 2D-mesh network-on-chip (docs/ROUTER.md).",
        NocConfig.keys.filter { !$0.key.hasPrefix("flits.") }.map { KeyDoc($0.key, $0.type, $0.default, $0.description) }
        + [KeyDoc("flits", "object", "see $.chip.noc.flits", "Flits per packet kind.")])
    static let flitDocs = SectionDoc("$.chip.noc.flits", "Flits per packet of each kind, counted per hop.",
        NocConfig.keys.filter { $0.key.hasPrefix("flits.") }.map { KeyDoc(String($0.key.dropFirst(6)), $0.type, $0.default, $0.description) })
    static let mappingDocs = SectionDoc("$.mapping", "Placement of layers onto cores (docs/ROUTER.md).",
        MappingConfig.keys.map { KeyDoc($0.key, $0.type, $0.default, $0.description) })

    /// Every section's documentation, in reading order (for `chipsim describe` and docs/CONFIG.md).
    public static let allDocs: [SectionDoc] = [
        docs, ChipConfig.docs, CoreConfig.docs, TimingConfig.docs, ExperimentConfig.nocDocs, ExperimentConfig.flitDocs,
        ExperimentConfig.mappingDocs, NetworkConfig.docs, LayerConfig.docs,
        NeuronConfig.docs, ConnectionConfig.docs, ConnectionConfig.initDocs, InputConfig.docs, RunConfig.docs,
    ]

    public init(json: JSONValue, file: String) throws {
        let r = try JSONReader(json, file: file, path: "$")
        self.file = file
        name = try r.string("name", default: ((file as NSString).lastPathComponent as NSString).deletingPathExtension)
        seed = UInt64(try r.int("seed", default: 1, range: 0...Int.max))
        chip = try ChipConfig(r.optionalObject("chip"))
        network = try NetworkConfig(r.object("network"))
        input = try InputConfig(r.optionalObject("input"))
        run = try RunConfig(r.optionalObject("run"))
        mapping = try MappingConfig.decode(r.optionalObject("mapping"))
        learning = r.optional("learning")
        training = r.optional("training")
        overrides = r.optional("overrides")
        if let overrides { try ConfigOverride.checkRecorded(overrides, file: file) }
        try r.rejectUnknownKeys()
        if let l = learning, l != .null, let reason = network.untrainableReason {
            throw ChipError.config(file: file, path: "$.learning", message: "cannot train this network: \(reason)")
        }
        if network.layers.filter(\.isInput).count != 1 {
            throw ChipError.config(file: file, path: "$.network.layers", message: "expected exactly one layer with \"kind\": \"input\", found \(network.layers.filter(\.isInput).count)")
        }
    }

    /// Reads a config file; `overrides` (`--set`) edit its JSON before it is checked and are
    /// recorded in its "overrides" list.
    public static func load(path: String, overrides: [ConfigOverride] = []) throws -> ExperimentConfig {
        try ExperimentConfig(json: try ConfigOverride.loadJSON(path: path, overrides: overrides), file: path)
    }

    /// Resolves a path written in the config against the config file's directory.
    public func resolve(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        let dir = PathParts.directory(of: file)
        return dir.isEmpty ? path : (dir as NSString).appendingPathComponent(path)
    }

    /// The config with every default filled in.
    public var resolvedJSON: JSONValue {
        .object([("name", .string(name)), ("seed", .uint(seed)), ("chip", chip.json),
                 ("network", network.json), ("input", input.json), ("run", run.json), ("mapping", mapping.json)]
                + (learning.map { [("learning", $0)] } ?? []) + (training.map { [("training", $0)] } ?? []) + (overrides.map { [("overrides", $0)] } ?? []))
    }
}
