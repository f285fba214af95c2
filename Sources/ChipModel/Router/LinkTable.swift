/// The link slots of a mesh with its host port (slot = tile * 4 + direction, plus the
/// host-in slot): hop cycles per slot (0 = no link there), whether the slot runs east-west,
/// the host tile and its out-link, the number of real links, and the smallest power-of-two
/// event horizon (every event is less than `ring` cycles ahead: hop cycles and flit counts
/// are bounded). Shared by the router and the tests' event-driven reference router.
struct LinkTable {
    let hop: [Int32]
    let isEastWest: [Bool]
    let hostTile: Int
    let hostOutLink: Int
    /// Mesh links plus the two host-port links.
    let existingLinks: Int
    let ring: Int

    init(mesh: Mesh, noc: NocConfig) {
        hostTile = mesh.tile(at: noc.hostTile)
        hostOutLink = hostTile * 4 + noc.hostPort.rawValue
        var hop = [Int32](repeating: 0, count: mesh.linkSlotCount)
        var ew = [Bool](repeating: false, count: mesh.linkSlotCount)
        var n = 0
        for t in 0..<mesh.tileCount {
            for d in Direction.allCases {
                let l = t * 4 + d.rawValue
                ew[l] = d.isEastWest
                if mesh.neighbour(ofTile: t, d) != nil { hop[l] = Int32(noc.hopCycles(d)); n += 1 }
            }
        }
        hop[hostOutLink] = Int32(noc.hopCycles(noc.hostPort))
        hop[mesh.hostInLink] = Int32(noc.hopCycles(noc.hostPort))
        ew[mesh.hostInLink] = noc.hostPort.isEastWest
        self.hop = hop
        isEastWest = ew
        existingLinks = n + 2
        var ring = 1
        while ring <= max(noc.hopCyclesEW, noc.hopCyclesNS, noc.flits.max()!) { ring <<= 1 }
        self.ring = ring
    }
}
