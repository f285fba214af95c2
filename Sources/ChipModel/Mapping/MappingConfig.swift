// The `"mapping"` key of an experiment config: strategy plus optional per-layer cores.
//
//   "mapping": {"strategy": "greedy"}
//   "mapping": {"strategy": "balanced", "cores": {"hidden": 4}}            // cores per layer
//   "mapping": {"strategy": "explicit", "cores": {"in": [[0, 392], [1, 392]], ...}}

public enum MappingStrategy: String, CaseIterable, Sendable {
    /// Fill cores in id order, several layers per core where they fit; input layers take no
    /// core (their spikes come from spike generators at the consumer cores). Done by Chip.
    case packed
    /// Fill cores in id order, layer after layer, each core as full as the limits allow.
    case greedy
    /// Split each layer evenly over the fewest cores it needs (or a given number).
    case balanced
    /// The config lists, per layer, (core id, neuron count) pairs in neuron order.
    case explicit
}

public struct MappingConfig: Sendable {
    public struct ExplicitEntry: Sendable, Equatable {
        public var core: Int, count: Int
        public init(core: Int, count: Int) { self.core = core; self.count = count }
    }

    public var strategy: MappingStrategy = .packed
    /// Balanced: cores per layer, by layer name (layers not listed use the minimum).
    public var coreCounts: [(layer: String, count: Int)] = []
    /// Explicit: per layer name, its (core, count) entries in neuron order.
    public var explicitCores: [(layer: String, entries: [ExplicitEntry])] = []
    /// Where the config came from, for errors (JSON path of the "mapping" object).
    public var file: String = "<mapping>"
    public var path: String = "$.mapping"

    public init(strategy: MappingStrategy = .packed) { self.strategy = strategy }

    public static func explicit(_ cores: [(String, [(Int, Int)])]) -> MappingConfig {
        var c = MappingConfig(strategy: .explicit)
        c.explicitCores = cores.map { ($0.0, $0.1.map { ExplicitEntry(core: $0.0, count: $0.1) }) }
        return c
    }

    /// Documentation of the `"mapping"` keys for `chipsim describe`.
    public static let keys: [(key: String, type: String, default: String, description: String)] = [
        ("strategy", "\"packed\"|\"greedy\"|\"balanced\"|\"explicit\"", "\"packed\"",
         "packed: fill cores in order, several layers per core where they fit, input layers on no core (their spikes come from generators at the consumer cores: no routing); greedy: fill cores in order, layer after layer, input layers on cores and their spikes routed; balanced: split each layer evenly over the fewest cores it needs (or cores.<layer>); explicit: cores.<layer> lists [coreId, count] pairs. A core holds neurons of one layer only."),
        ("cores", "object", "{}",
         "per layer name: balanced -> number of cores (integer); explicit -> [[coreId, count], ...] in neuron order (every layer must be listed, counts must sum to the layer size); not allowed with greedy"),
    ]

    /// Reads the `"mapping"` object (nil: balanced with minimum core counts).
    public static func decode(_ r: JSONReader?) throws -> MappingConfig {
        var c = MappingConfig()
        guard let r else { return c }
        c.file = r.file; c.path = r.path
        let s = try r.string("strategy", default: c.strategy.rawValue, oneOf: MappingStrategy.allCases.map(\.rawValue))
        c.strategy = MappingStrategy(rawValue: s)!
        if let cores = try r.optionalObject("cores") {
            switch c.strategy {
            case .greedy, .packed:
                throw r.error("cores", "greedy mapping takes no per-layer cores; use \"balanced\" (core counts) or \"explicit\" (core lists)")
            case .balanced:
                for k in cores.keys where k != "comment" && k != "//" {
                    c.coreCounts.append((k, try cores.int(k, range: 1...1_000_000)))
                }
            case .explicit:
                for k in cores.keys where k != "comment" && k != "//" {
                    let items = try cores.array(k)
                    var entries: [ExplicitEntry] = []
                    for (i, item) in items.enumerated() {
                        let p = "\(cores.path).\(k)[\(i)]"
                        guard case let .array(pair) = item, pair.count == 2 else {
                            throw ChipError.config(file: r.file, path: p, message: "expected [coreId, count], found \(item.typeName)")
                        }
                        let core = try JSONReader.integer(pair[0], file: r.file, path: p + "[0]", range: 0...Int(Int32.max))
                        let count = try JSONReader.integer(pair[1], file: r.file, path: p + "[1]", range: 1...Int(Int32.max))
                        entries.append(ExplicitEntry(core: core, count: count))
                    }
                    c.explicitCores.append((k, entries))
                }
            }
            try cores.rejectUnknownKeys()
        } else if c.strategy == .explicit {
            throw r.error("cores", "missing; explicit mapping needs {\"<layer>\": [[coreId, count], ...]} for every layer")
        }
        try r.rejectUnknownKeys()
        return c
    }

    /// The resolved config for the report.
    public var json: JSONValue {
        var kv: [(String, JSONValue)] = [("strategy", .string(strategy.rawValue))]
        switch strategy {
        case .greedy, .packed: break
        case .balanced:
            if !coreCounts.isEmpty { kv.append(("cores", .object(coreCounts.map { ($0.layer, .int($0.count)) }))) }
        case .explicit:
            kv.append(("cores", .object(explicitCores.map { e in
                (e.layer, .array(e.entries.map { .array([.int($0.core), .int($0.count)]) }))
            })))
        }
        return .object(kv)
    }
}

extension MappingConfig: Equatable {
    /// Two mapping configs are equal when they resolve to the same JSON.
    public static func == (a: MappingConfig, b: MappingConfig) -> Bool { a.json == b.json }
}
