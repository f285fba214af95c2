// Network-on-chip parameters: per-hop cycles, cores per tile, the host port, and the
// flit count of each packet kind. Decoded from the `"noc"` key of a chip config.

/// What a packet carries; each kind has its own flit count (counted per hop).
public enum PacketKind: Int, CaseIterable, Sendable, CustomStringConvertible {
    /// A binary spike (address only).
    case spike = 0
    /// A graded spike: a signed payload such as an error value or a noisy output.
    case graded = 1
    /// A modulatory broadcast: one value for all neurons of a core or a layer. Usually
    /// injected with several destination cores (multicast).
    case broadcast = 2
    /// Host I/O: inputs, labels, weight reads/writes, to or from the host port.
    case host = 3

    public var description: String {
        switch self {
        case .spike: return "spike"
        case .graded: return "graded"
        case .broadcast: return "broadcast"
        case .host: return "host"
        }
    }
}

public struct NocConfig: Equatable, Sendable {
    /// Cycles for one flit to cross one east-west link (Loihi: 4.1 ns; 4 at 1 GHz).
    public var hopCyclesEW: Int = 4
    /// Cycles for one flit to cross one north-south link (Loihi: 6.5 ns; 7 at 1 GHz).
    public var hopCyclesNS: Int = 7
    /// Cores sharing one tile's router; packets between them are local (no hop).
    public var coresPerTile: Int = 1
    /// Side of the mesh on which the host port sits.
    public var hostPort: Direction = .west
    /// The edge tile whose router has the host port.
    public var hostTile: TileCoord = TileCoord(x: 0, y: 0)
    /// Flits per packet, indexed by `PacketKind.rawValue`.
    public var flits: [Int] = [1, 2, 1, 2]
    /// Where this config came from, for errors found later (e.g. host tile vs mesh size).
    public var file: String = "<noc>"
    public var path: String = "$.noc"

    public init() {}

    @inlinable public func flits(_ kind: PacketKind) -> Int { flits[kind.rawValue] }

    /// Cycles to cross one link in the given direction.
    @inlinable public func hopCycles(_ d: Direction) -> Int { d.isEastWest ? hopCyclesEW : hopCyclesNS }

    /// Closed-form latency of an uncontended unicast packet between two cores: the head
    /// flit needs |dx| * hopCyclesEW + |dy| * hopCyclesNS cycles and the tail arrives
    /// flits - 1 cycles after it. Same tile: flits - 1.
    @inlinable
    public func latency(mesh: Mesh, fromCore a: Int, toCore b: Int, kind: PacketKind) -> Int {
        let h = mesh.hops(fromCore: a, toCore: b)
        return h.ew * hopCyclesEW + h.ns * hopCyclesNS + flits(kind) - 1
    }

    /// Checks the host tile against a mesh: inside it, and on the host port's edge.
    public func validate(mesh: Mesh) throws {
        guard hostTile.x >= 0, hostTile.x < mesh.width, hostTile.y >= 0, hostTile.y < mesh.height else {
            throw ChipError.config(file: file, path: path + ".hostTile",
                message: "tile \(hostTile) is outside the \(mesh.width)x\(mesh.height) mesh")
        }
        guard mesh.isOnEdge(hostTile, hostPort) else {
            throw ChipError.config(file: file, path: path + ".hostTile",
                message: "tile \(hostTile) is not on the \(hostPort) edge of the \(mesh.width)x\(mesh.height) mesh, so it cannot hold a \(hostPort) host port")
        }
        guard coresPerTile == mesh.coresPerTile else {
            throw ChipError.config(file: file, path: path + ".coresPerTile",
                message: "coresPerTile \(coresPerTile) differs from the mesh's \(mesh.coresPerTile)")
        }
    }

    /// Documentation of the `"noc"` keys for `chipsim describe`.
    public static let keys: [(key: String, type: String, default: String, description: String)] = [
        ("hopCyclesEW", "integer >= 1", "4", "cycles for a flit to cross one east-west link (Loihi 4.1 ns at 1 GHz)"),
        ("hopCyclesNS", "integer >= 1", "7", "cycles for a flit to cross one north-south link (Loihi 6.5 ns at 1 GHz)"),
        ("coresPerTile", "integer >= 1", "1", "cores sharing a tile's router; core c is on tile c / coresPerTile; same-tile delivery is a local spike (no hop)"),
        ("hostPort", "\"west\"|\"east\"|\"north\"|\"south\"", "\"west\"", "mesh edge on which the host port sits"),
        ("hostTile", "[x, y]", "[0, 0]", "edge tile whose router has the host port (x west->east, y south->north)"),
        ("flits.spike", "integer >= 1", "1", "flits per spike packet"),
        ("flits.graded", "integer >= 1", "2", "flits per graded (signed payload) packet"),
        ("flits.broadcast", "integer >= 1", "1", "flits per modulatory broadcast packet"),
        ("flits.host", "integer >= 1", "2", "flits per host I/O packet"),
    ]

    /// Reads the `"noc"` object (nil: all defaults). Unknown keys are errors.
    public static func decode(_ r: JSONReader?) throws -> NocConfig {
        var c = NocConfig()
        guard let r else { return c }
        c.file = r.file; c.path = r.path
        c.hopCyclesEW = try r.int("hopCyclesEW", default: c.hopCyclesEW, range: 1...1_000_000)
        c.hopCyclesNS = try r.int("hopCyclesNS", default: c.hopCyclesNS, range: 1...1_000_000)
        c.coresPerTile = try r.int("coresPerTile", default: c.coresPerTile, range: 1...4096)
        let port = try r.string("hostPort", default: c.hostPort.description, oneOf: Direction.allCases.map(\.description))
        c.hostPort = Direction(name: port)!
        if let t = try r.optionalArray("hostTile") {
            guard t.count == 2 else { throw r.error("hostTile", "expected [x, y] (2 integers), found \(t.count) elements") }
            let x = try JSONReader.integer(t[0], file: r.file, path: r.path + ".hostTile[0]", range: 0...65535)
            let y = try JSONReader.integer(t[1], file: r.file, path: r.path + ".hostTile[1]", range: 0...65535)
            c.hostTile = TileCoord(x: x, y: y)
        }
        if let f = try r.optionalObject("flits") {
            for k in PacketKind.allCases {
                c.flits[k.rawValue] = try f.int(k.description, default: c.flits[k.rawValue], range: 1...4096)
            }
            try f.rejectUnknownKeys()
        }
        try r.rejectUnknownKeys()
        return c
    }

    /// The resolved config (all defaults filled in) for the report.
    public var json: JSONValue {
        .object([
            ("hopCyclesEW", .int(hopCyclesEW)), ("hopCyclesNS", .int(hopCyclesNS)),
            ("coresPerTile", .int(coresPerTile)), ("hostPort", .string(hostPort.description)),
            ("hostTile", .array([.int(hostTile.x), .int(hostTile.y)])),
            ("flits", .object(PacketKind.allCases.map { ($0.description, .int(flits[$0.rawValue])) })),
        ])
    }
}

extension NocConfig {
    /// Equal when the parameters are equal (where the config was read from does not count).
    public static func == (a: NocConfig, b: NocConfig) -> Bool { a.json == b.json }
}
