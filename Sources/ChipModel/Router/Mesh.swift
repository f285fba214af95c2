// Geometry of the 2D mesh: tiles, cores on tiles, directed links between neighbouring
// routers, the host port, and closed-form dimension-order (XY) path lengths.
//
// Coordinates: tile (x, y) with x in 0..<width (west -> east) and y in 0..<height
// (south -> north). Tiles are numbered row-major: tile = y * width + x. Cores are
// numbered tile by tile: core c sits on tile c / coresPerTile, so the cores of tile t
// are t*coresPerTile ..< (t+1)*coresPerTile.
//
// Links: every tile owns four outgoing link slots, link = tile * 4 + direction
// (east 0, west 1, north 2, south 3). A slot is a real link when the neighbour exists;
// the slot that points off the mesh at the host tile, in the host port's direction, is
// the link *to* the host. One extra link, index tiles * 4, carries flits *from* the host
// into the host tile. Slots that point off the mesh elsewhere never carry flits and are
// excluded from utilisation statistics.

/// A compass direction on the mesh; also names a router's output port.
public enum Direction: Int, CaseIterable, Sendable, CustomStringConvertible {
    case east = 0, west = 1, north = 2, south = 3

    /// East-west links use `hopCyclesEW` and count `.hopEW`; north-south use NS.
    public var isEastWest: Bool { self == .east || self == .west }

    public var description: String {
        switch self {
        case .east: return "east"
        case .west: return "west"
        case .north: return "north"
        case .south: return "south"
        }
    }

    public init?(name: String) {
        guard let d = Direction.allCases.first(where: { $0.description == name }) else { return nil }
        self = d
    }
}

/// A tile position.
public struct TileCoord: Equatable, Hashable, Sendable, CustomStringConvertible {
    public var x: Int
    public var y: Int
    public init(x: Int, y: Int) { self.x = x; self.y = y }
    public var description: String { "(\(x),\(y))" }
}

/// Identifies one directed link for reports.
public struct LinkID: Equatable, Sendable, CustomStringConvertible {
    /// The tile the link leaves (for the host-in link: the host tile it enters).
    public var tile: TileCoord
    /// The direction the flits travel, seen from `tile` (host-in: the host port's side,
    /// flits travel from the host into `tile`).
    public var direction: Direction
    /// `.none` for mesh links; `.toHost` / `.fromHost` for the two host-port links.
    public var host: HostLinkRole

    public enum HostLinkRole: Sendable, Equatable { case none, toHost, fromHost }

    public var description: String {
        switch host {
        case .none: return "\(tile) \(direction)"
        case .toHost: return "\(tile) \(direction) to host"
        case .fromHost: return "host to \(tile) via \(direction) port"
        }
    }
}

/// Mesh dimensions and core placement on tiles.
public struct Mesh: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public let coresPerTile: Int

    public init(width: Int, height: Int, coresPerTile: Int = 1) {
        precondition(width >= 1 && height >= 1 && coresPerTile >= 1, "mesh dimensions must be positive")
        self.width = width; self.height = height; self.coresPerTile = coresPerTile
    }

    public var tileCount: Int { width * height }
    public var coreCount: Int { width * height * coresPerTile }
    /// Link slots including the host-in link (index `tileCount * 4`).
    public var linkSlotCount: Int { tileCount * 4 + 1 }
    public var hostInLink: Int { tileCount * 4 }

    @inlinable public func tile(ofCore core: Int) -> Int { core / coresPerTile }
    @inlinable public func coord(ofTile tile: Int) -> TileCoord { TileCoord(x: tile % width, y: tile / width) }
    @inlinable public func coord(ofCore core: Int) -> TileCoord { coord(ofTile: core / coresPerTile) }
    @inlinable public func tile(at c: TileCoord) -> Int { c.y * width + c.x }

    /// The tile a link slot leads to, or nil when it points off the mesh.
    public func neighbour(ofTile tile: Int, _ d: Direction) -> Int? {
        let c = coord(ofTile: tile)
        switch d {
        case .east: return c.x + 1 < width ? tile + 1 : nil
        case .west: return c.x > 0 ? tile - 1 : nil
        case .north: return c.y + 1 < height ? tile + width : nil
        case .south: return c.y > 0 ? tile - width : nil
        }
    }

    /// True when a tile lies on the given edge of the mesh (where a host port may sit).
    public func isOnEdge(_ c: TileCoord, _ side: Direction) -> Bool {
        switch side {
        case .east: return c.x == width - 1
        case .west: return c.x == 0
        case .north: return c.y == height - 1
        case .south: return c.y == 0
        }
    }

    /// Number of east-west and north-south link traversals of the XY route between two
    /// tiles: |dx| and |dy|. Cores on the same tile: (0, 0).
    @inlinable
    public func hops(fromCore a: Int, toCore b: Int) -> (ew: Int, ns: Int) {
        let ca = coord(ofCore: a), cb = coord(ofCore: b)
        return (abs(ca.x - cb.x), abs(ca.y - cb.y))
    }

    /// Links of the XY multicast tree from `source`'s tile to every destination tile
    /// (the union of the XY routes; see docs/ROUTER.md). Each link is counted once: a
    /// packet of F flits costs F * ew `.hopEW` and F * ns `.hopNS`.
    public func treeHops(fromCore source: Int, toCores dests: [Int]) -> (ew: Int, ns: Int) {
        let s = coord(ofCore: source)
        var ew = 0, ns = 0
        // Row segment: the row of the source, out to the farthest column each way.
        let xs = dests.map { coord(ofCore: $0).x }
        if let maxX = xs.max(), maxX > s.x { ew += maxX - s.x }
        if let minX = xs.min(), minX < s.x { ew += s.x - minX }
        // Column branches: in each destination column, out to the farthest row each way.
        var columns: [Int: (lo: Int, hi: Int)] = [:]
        for d in dests {
            let c = coord(ofCore: d)
            let cur = columns[c.x] ?? (s.y, s.y)
            columns[c.x] = (min(cur.lo, c.y), max(cur.hi, c.y))
        }
        for (_, r) in columns { ns += (r.hi - s.y) + (s.y - r.lo) }
        return (ew, ns)
    }

    /// Describes a link slot for reports.
    public func linkID(_ link: Int, hostTile: Int, hostPort: Direction) -> LinkID {
        if link == hostInLink {
            return LinkID(tile: coord(ofTile: hostTile), direction: hostPort, host: .fromHost)
        }
        let t = link / 4, d = Direction(rawValue: link % 4)!
        let role: LinkID.HostLinkRole = (t == hostTile && d == hostPort) ? .toHost : .none
        return LinkID(tile: coord(ofTile: t), direction: d, host: role)
    }
}
