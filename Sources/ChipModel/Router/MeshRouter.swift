// The per-timestep routing phase: an event-driven, cycle-accurate model of the 2D mesh.
//
// Model (exact rules; docs/ROUTER.md explains them with examples):
// - Times are cycles counted from the start of the routing phase. A packet injected at
//   cycle t is at its source tile's router at t, ready to leave on its first link.
// - Routing is dimension order: X first (east/west) until the destination column, then
//   Y (north/south). A packet with several destination cores is replicated along the
//   union of their XY routes (path-based tree): at each router a copy splits into at
//   most one copy per output link that leads towards at least one of its remaining
//   destinations, plus local deliveries. Every tree link is crossed once per flit.
// - A link accepts one flit per cycle. A packet of F flits that is granted link L at
//   cycle s occupies L's input for cycles s ..< s+F (flits of two packets never
//   interleave on a link). Its head reaches the next router at s + hop(L) and may be
//   granted the next link in that same cycle (virtual cut-through; buffers hold whole
//   packets, so a blocked packet never blocks the links behind it).
// - The last flit reaches a destination tile F - 1 cycles after the head; that is the
//   delivery cycle. Delivery to the cores of a tile (and between cores of one tile) uses
//   no link and costs no cycles beyond that.
// - Arbitration: when a link becomes free at cycle s, among the copies that have
//   requested it at or before s, the oldest wins: smallest injection cycle, then smallest
//   source core id (the host port counts after every core), then smallest packet index
//   (the order of `inject` calls this step). The result is deterministic.
// - The host port: a host-bound copy leaves the host tile on the port link (hop cycles
//   and counter of the port's direction) and is delivered at the host; a host-sourced
//   packet first crosses the host-in link into the host tile.
//
// Implementation: link by link, not cycle by cycle. Under XY routing the links form an
// acyclic graph (host-in, then east links by x ascending, west by x descending, north by y
// ascending, south by y descending, then host-out), and a link's grants depend only on
// the cycles and priorities of the copies that request it. So the router serves each link
// once, in that order, as a single server over the list of its requests (sorted by
// request cycle), and appends the copies it forwards to the lists of the next links.
// Packets travel as trains: `inject(..., count:)` makes a train of identical packets
// (consecutive packet indices); a train is granted in one piece as long as no other
// request reaches the link in between, and is split only where another copy wins. The
// figures (counts, deliveries, drain, stalls, per-link flits) are exactly those of the
// cycle-by-cycle event model, which is kept as `EventReferenceRouter` (Tests/ChipModelTests) and checked against
// this one by the tests. Buffers are kept across steps (steady state allocates nothing).

public struct MeshRouter {
    /// Source or destination id meaning "the host, through the host port".
    public static let host = -1

    public let mesh: Mesh
    public let noc: NocConfig
    /// Tile index of the host tile and link slot of the link to the host.
    public let hostTile: Int
    public let hostOutLink: Int
    /// Mesh links plus the two host-port links: the denominator of mean utilisation.
    public let existingLinks: Int
    /// Buffers and simulation state; copied on write so MeshRouter has value semantics.
    var state: RouterState

    public init(mesh: Mesh, noc: NocConfig) throws {
        try noc.validate(mesh: mesh)
        self.mesh = mesh
        self.noc = noc
        let links = LinkTable(mesh: mesh, noc: noc)
        hostTile = links.hostTile
        hostOutLink = links.hostOutLink
        existingLinks = links.existingLinks
        state = RouterState(mesh: mesh, flits: noc.flits, hostTile: hostTile, hostOutLink: hostOutLink,
                  linkHop: links.hop, linkIsEW: links.isEastWest, existingLinks: links.existingLinks, ring: links.ring)
    }

    private mutating func unique() {
        if !isKnownUniquelyReferenced(&state) { state = state.copy() }
    }

    /// When true, `drain()` records every delivery in `deliveries` (off by default).
    public var recordDeliveries: Bool {
        get { state.recordDeliveries }
        set { unique(); state.recordDeliveries = newValue }
    }

    /// Deliveries of the last drain (when recording). Order: by cycle; within a cycle
    /// deterministic but unspecified.
    public var deliveries: ContiguousArray<Delivery> { state.deliveries }

    /// Number of packets injected since the last `reset()`.
    public var injectedPackets: Int { state.packetCount }

    /// Forgets this step's packets; keeps buffers and the accumulated per-link totals.
    public mutating func reset() { unique(); state.reset() }

    /// Clears the accumulated per-link totals (start of a run).
    public mutating func resetTotals() { unique(); state.resetTotals() }

    // MARK: Injection

    /// Injects a unicast packet. `source`/`destination` are core ids or `MeshRouter.host`;
    /// `cycle` (>= 0) is when the source emitted it, relative to the routing phase.
    public mutating func inject(from source: Int, to destination: Int, kind: PacketKind, cycle: Int) {
        unique()
        state.beginPacket(source: source, kind: kind, cycle: cycle)
        state.addDestination(destination)
        state.endPacket()
    }

    /// Injects `count` identical unicast packets at once: exactly the same as `count`
    /// successive `inject(from:to:kind:cycle:)` calls (same packet indices, same results),
    /// but routed as one train. `count == 0` does nothing.
    public mutating func inject(from source: Int, to destination: Int, kind: PacketKind, cycle: Int, count: Int) {
        precondition(count >= 0, "negative packet count \(count)")
        if count == 0 { return }
        unique()
        state.beginPacket(source: source, kind: kind, cycle: cycle, count: count)
        state.addDestination(destination)
        state.endPacket()
    }

    /// Injects one packet delivered to every listed core (multicast, XY tree replication).
    /// Duplicate destinations are delivered once.
    public mutating func inject(from source: Int, to destinations: [Int], kind: PacketKind, cycle: Int) {
        unique()
        state.beginPacket(source: source, kind: kind, cycle: cycle)
        for d in destinations { state.addDestination(d) }
        state.endPacket()
    }

    /// Injects one packet delivered to a contiguous range of cores (e.g. all cores of a layer).
    public mutating func inject(from source: Int, toCores destinations: Range<Int>, kind: PacketKind, cycle: Int) {
        unique()
        state.beginPacket(source: source, kind: kind, cycle: cycle)
        for d in destinations { state.addDestination(d) }
        state.endPacket()
    }

    // MARK: Routing phase

    /// Routes every packet injected since `reset()` to completion and returns the step's
    /// figures; adds per-link flits to the run totals. Packets stay until `reset()`.
    public mutating func drain() -> RoutingStepResult { unique(); return state.drain() }

    // MARK: Reporting

    /// Flits that crossed each link slot in the last drained step (index = link slot).
    public var stepLinkFlits: [UInt64] { state.stepLinkFlits.array }
    /// Flits that crossed each link slot since the last `resetTotals()`.
    public var totalLinkFlits: [UInt64] { state.totalLinkFlits.array }
    public var totalDrainCycles: UInt64 { state.totalDrainCycles }
    public var totalSteps: Int { state.totalSteps }

    /// Restores the run totals (checkpoint resume); `linkFlits` as returned by totalLinkFlits.
    public mutating func restoreTotals(linkFlits: [UInt64], drainCycles: UInt64, steps: Int) {
        unique()
        precondition(linkFlits.count == state.totalLinkFlits.count, "link count mismatch")
        for l in 0..<linkFlits.count { state.totalLinkFlits[l] = linkFlits[l] }
        state.totalDrainCycles = drainCycles
        state.totalSteps = steps
    }

    /// Adds the last drained step's link traversals to per-tile counters, attributing each
    /// flit hop to the router that sends it (the host-in link to the host tile):
    /// `.hopEW` / `.hopNS` by link direction. `counts` has one entry per tile.
    public func addHopCounts(toTiles counts: inout [ActionCounts]) {
        precondition(counts.count == mesh.tileCount, "one ActionCounts per tile expected")
        for l in 0..<mesh.linkSlotCount where linkExists(l) {
            let f = state.stepLinkFlits[l]
            if f == 0 { continue }
            let tile = l == mesh.hostInLink ? hostTile : l / 4
            counts[tile].add(state.linkIsEW[l] ? .hopEW : .hopNS, f)
        }
    }

    /// Link usage accumulated over the steps drained since `resetTotals()`.
    public func linkUsage() -> LinkUsageReport {
        var maxF: UInt64 = 0, hot = -1, sum = 0.0, total: UInt64 = 0
        for l in 0..<mesh.linkSlotCount where linkExists(l) {
            let f = state.totalLinkFlits[l]
            total &+= f; sum += Double(f)
            if f > maxF { maxF = f; hot = l }
        }
        let d = Double(state.totalDrainCycles)
        return LinkUsageReport(
            steps: state.totalSteps, drainCycles: state.totalDrainCycles, linkFlits: total,
            maxUtilisation: d > 0 ? Double(maxF) / d : 0,
            meanUtilisation: d > 0 ? sum / Double(existingLinks) / d : 0,
            hottest: hot >= 0 ? linkID(hot) : nil, hottestFlits: maxF)
    }

    /// Coordinates and direction of a link slot.
    public func linkID(_ link: Int) -> LinkID {
        mesh.linkID(link, hostTile: hostTile, hostPort: noc.hostPort)
    }

    /// Whether a link slot is a real link (mesh link or one of the two host-port links).
    public func linkExists(_ link: Int) -> Bool { state.linkHop[link] > 0 }

    /// Closed-form (no contention) latency of a unicast packet between cores or the host:
    /// XY hops times their hop cycles, plus the host-port link when one end is the host,
    /// plus flits - 1 for the tail.
    public func closedFormLatency(from a: Int, to b: Int, kind: PacketKind) -> Int {
        let h = closedFormHops(from: a, to: b)
        return h.ew * noc.hopCyclesEW + h.ns * noc.hopCyclesNS + noc.flits(kind) - 1
    }

    /// Closed-form XY link traversals per flit (host-port links count in their direction).
    public func closedFormHops(from a: Int, to b: Int) -> (ew: Int, ns: Int) {
        let ta = a == MeshRouter.host ? hostTile : mesh.tile(ofCore: a)
        let tb = b == MeshRouter.host ? hostTile : mesh.tile(ofCore: b)
        let ca = mesh.coord(ofTile: ta), cb = mesh.coord(ofTile: tb)
        var ew = abs(ca.x - cb.x), ns = abs(ca.y - cb.y)
        let ports = (a == MeshRouter.host ? 1 : 0) + (b == MeshRouter.host ? 1 : 0)
        if noc.hostPort.isEastWest { ew += ports } else { ns += ports }
        return (ew, ns)
    }
}

/// The router's buffers and the link-by-link simulation (see the top of this file).
final class RouterState {
    struct Dest: Equatable {
        var x: Int32, y: Int32, core: Int32
        static func < (a: Dest, b: Dest) -> Bool {
            a.x != b.x ? a.x < b.x : (a.y != b.y ? a.y < b.y : a.core < b.core)
        }
    }

    /// A train of `count` identical packets of group `group` (packets first ..< first+count)
    /// heading for tile `tile` (-1: the host, -2: leaving the host), serving destinations
    /// dests[lo ..< hi]. Member j requested (or reached the router) at
    /// `requested + j * spacing`; spacing is 0 for injected trains (all at the injection
    /// cycle) and the flit count for forwarded trains (granted back to back).
    struct Run {
        var group: Int32, first: Int32, count: Int32, lo: Int32, hi: Int32
        var tile: Int32, requested: Int32, spacing: Int32
    }

    /// A waiting train in a link's queue, ordered by priority = (injection cycle << 32 |
    /// source rank), then packet index of its head. Trains waiting for one link hold
    /// disjoint packet ranges, so the head order is the order of every member.
    struct QueueEntry {
        var priority: UInt64, packet: Int32, run: Int32
        @inline(__always) static func < (a: QueueEntry, b: QueueEntry) -> Bool {
            a.priority != b.priority ? a.priority < b.priority : a.packet < b.packet
        }
    }

    // Configuration.
    let width: Int, coresPerTile: Int, coreCount: Int, hostTile: Int, hostOutLink: Int, hostInLink: Int
    let flits: [Int32]
    let existingLinks: Int
    let ringMask: Int                   // kept for copy(); unused by the simulation
    let linkHop: RawBuffer<Int32>      // 0 = slot is not a link
    let linkIsEW: RawBuffer<Bool>
    /// Existing link slots in an order where every link comes after all links that can
    /// feed it under XY routing: host-in, east (x ascending), west (x descending),
    /// north (y ascending), south (y descending), host-out.
    let linkOrder: RawBuffer<Int32>
    /// Coordinates of each tile (avoids a division per hop).
    let tileX: RawBuffer<Int32>, tileY: RawBuffer<Int32>

    // This step's packet groups (one per inject call; struct of arrays) and their
    // sorted destination lists.
    var gSource = RawBuffer<Int32>(), gSourceTile = RawBuffer<Int32>()  // source tile -2 = host
    var gCycle = RawBuffer<Int32>(), gFlits = RawBuffer<Int32>()
    var gDestLo = RawBuffer<Int32>(), gDestHi = RawBuffer<Int32>()
    var gFirst = RawBuffer<Int32>(), gCount = RawBuffer<Int32>()
    /// Arbitration key: injection cycle << 32 | source rank (the host after every core).
    var gPriority = RawBuffer<UInt64>()
    var dests = RawBuffer<Dest>()
    var packetCount = 0

    // Simulation state: per link, the trains that request it this step.
    var requests: RawBuffer<RawBuffer<Run>>
    var heap = RawBuffer<QueueEntry>()
    var scratch = RawBuffer<Run>()
    var runStarts = RawBuffer<Int32>()
    var stepLinkFlits: RawBuffer<UInt64>
    var totalLinkFlits: RawBuffer<UInt64>
    var totalDrainCycles: UInt64 = 0
    var totalSteps = 0
    var recordDeliveries = false
    var deliveries: ContiguousArray<Delivery> = []

    init(mesh: Mesh, flits: [Int], hostTile: Int, hostOutLink: Int, linkHop: [Int32], linkIsEW: [Bool],
         existingLinks: Int, ring: Int) {
        width = mesh.width; coresPerTile = mesh.coresPerTile; coreCount = mesh.coreCount
        self.hostTile = hostTile; self.hostOutLink = hostOutLink; hostInLink = mesh.hostInLink
        self.flits = flits.map { Int32($0) }
        self.existingLinks = existingLinks
        ringMask = ring - 1
        let slots = linkHop.count
        var h = RawBuffer<Int32>(capacity: slots), e = RawBuffer<Bool>(capacity: slots)
        for l in 0..<slots { h.append(linkHop[l]); e.append(linkIsEW[l]) }
        self.linkHop = h; self.linkIsEW = e
        let w = mesh.width, ht = slots / 4 / max(w, 1)
        var order = RawBuffer<Int32>(capacity: slots)
        func add(_ l: Int) { if linkHop[l] > 0 && l != hostOutLink { order.append(Int32(l)) } }
        add(mesh.hostInLink)
        for x in 0..<w { for y in 0..<ht { add((y * w + x) * 4 + Direction.east.rawValue) } }
        for x in (0..<w).reversed() { for y in 0..<ht { add((y * w + x) * 4 + Direction.west.rawValue) } }
        for y in 0..<ht { for x in 0..<w { add((y * w + x) * 4 + Direction.north.rawValue) } }
        for y in (0..<ht).reversed() { for x in 0..<w { add((y * w + x) * 4 + Direction.south.rawValue) } }
        order.append(Int32(hostOutLink))
        linkOrder = order
        var tx = RawBuffer<Int32>(capacity: mesh.tileCount), ty = RawBuffer<Int32>(capacity: mesh.tileCount)
        for t in 0..<mesh.tileCount { tx.append(Int32(t % w)); ty.append(Int32(t / w)) }
        tileX = tx; tileY = ty
        requests = RawBuffer(capacity: slots)
        for _ in 0..<slots { requests.append(RawBuffer<Run>(capacity: 4)) }
        stepLinkFlits = RawBuffer(repeating: 0, count: slots)
        totalLinkFlits = RawBuffer(repeating: 0, count: slots)
    }

    deinit {
        for b in [gSource, gSourceTile, gCycle, gFlits, gDestLo, gDestHi, gFirst, gCount, linkHop, linkOrder, tileX, tileY] { b.free() }
        dests.free(); heap.free(); scratch.free(); runStarts.free(); gPriority.free(); linkIsEW.free()
        stepLinkFlits.free(); totalLinkFlits.free()
        for l in 0..<requests.count { requests[l].free() }
        requests.free()
    }

    /// A copy with the same packets, totals and settings (scratch state is per drain).
    func copy() -> RouterState {
        let c = RouterState(mesh: Mesh(width: width, height: linkHop.count / 4 / width, coresPerTile: coresPerTile),
                            flits: flits.map { Int($0) }, hostTile: hostTile, hostOutLink: hostOutLink,
                            linkHop: linkHop.array, linkIsEW: linkIsEW.array, existingLinks: existingLinks, ring: ringMask + 1)
        for (dst, src) in [(\RouterState.gSource, gSource), (\.gSourceTile, gSourceTile), (\.gCycle, gCycle),
                           (\.gFlits, gFlits), (\.gDestLo, gDestLo), (\.gDestHi, gDestHi),
                           (\.gFirst, gFirst), (\.gCount, gCount)] {
            c[keyPath: dst].free(); c[keyPath: dst] = src.copy()
        }
        c.dests.free(); c.dests = dests.copy()
        c.gPriority.free(); c.gPriority = gPriority.copy()
        c.packetCount = packetCount
        for l in 0..<stepLinkFlits.count { c.stepLinkFlits[l] = stepLinkFlits[l]; c.totalLinkFlits[l] = totalLinkFlits[l] }
        c.totalDrainCycles = totalDrainCycles; c.totalSteps = totalSteps
        c.recordDeliveries = recordDeliveries; c.deliveries = deliveries
        return c
    }

    func reset() {
        gSource.removeAll(); gSourceTile.removeAll(); gCycle.removeAll(); gFlits.removeAll()
        gDestLo.removeAll(); gDestHi.removeAll(); gFirst.removeAll(); gCount.removeAll(); gPriority.removeAll(); dests.removeAll()
        packetCount = 0
    }

    func resetTotals() {
        totalLinkFlits.fill(0)
        totalDrainCycles = 0
        totalSteps = 0
    }

    // MARK: Injection

    /// Starts a group of `count` identical packets (consecutive packet indices).
    func beginPacket(source: Int, kind: PacketKind, cycle: Int, count: Int = 1) {
        precondition(source >= -1 && source < coreCount, "source core \(source) is not on the mesh")
        precondition(cycle >= 0 && cycle < Int(Int32.max / 2), "injection cycle \(cycle) out of range")
        precondition(count >= 1 && packetCount + count < Int(Int32.max / 2), "packet count \(count) out of range")
        gSource.append(Int32(source))
        gSourceTile.append(source == MeshRouter.host ? -2 : Int32(source / coresPerTile))
        gCycle.append(Int32(cycle))
        gFlits.append(flits[kind.rawValue])
        gDestLo.append(Int32(dests.count))
        gFirst.append(Int32(packetCount)); gCount.append(Int32(count))
        gPriority.append(UInt64(cycle) << 32 | (source < 0 ? UInt64(UInt32.max) : UInt64(source)))
        packetCount += count
    }

    func addDestination(_ d: Int) {
        precondition(d >= -1 && d < coreCount, "destination core \(d) is not on the mesh")
        let tile = d == MeshRouter.host ? hostTile : d / coresPerTile
        dests.append(Dest(x: Int32(tile % width), y: Int32(tile / width), core: Int32(d)))
    }

    /// Sorts the group's destinations by (x, y, core) so that every copy of the XY tree
    /// serves a contiguous range, and drops duplicates. Insertion sort: lists are short.
    func endPacket() {
        let lo = Int(gDestLo[gDestLo.count - 1])
        let hi = dests.count
        if hi - lo > 1 {
            for i in (lo + 1)..<hi {
                let v = dests[i]
                var j = i
                while j > lo && v < dests[j - 1] { dests[j] = dests[j - 1]; j -= 1 }
                dests[j] = v
            }
            var w = lo + 1
            for r in (lo + 1)..<hi where dests[r] != dests[w - 1] { dests[w] = dests[r]; w += 1 }
            dests.count = w
        }
        gDestHi.append(Int32(dests.count))
    }

    // MARK: Simulation

    func drain() -> RoutingStepResult {
        var r = RoutingStepResult()
        r.packets = packetCount
        deliveries.removeAll(keepingCapacity: true)
        stepLinkFlits.fill(0)
        for l in 0..<requests.count { requests.base[l].removeAll() }
        // Injections: every group reaches its source router (or leaves the host) at its cycle.
        for g in 0..<gSource.count {
            r.flitsInjected += Int(gFlits[g]) * Int(gCount[g])
            arrive(Run(group: Int32(g), first: gFirst[g], count: gCount[g], lo: gDestLo[g], hi: gDestHi[g],
                       tile: gSourceTile[g], requested: gCycle[g], spacing: 0), &r)
        }
        // Links in dependency order: all requests for a link are known when it is served.
        for k in 0..<linkOrder.count { serve(link: Int(linkOrder[k]), &r) }
        // Per-link statistics over existing links.
        var sum = 0.0
        for l in 0..<linkHop.count where linkHop[l] > 0 {
            let f = stepLinkFlits[l]
            totalLinkFlits[l] &+= f
            if Int(f) > r.maxLinkFlits { r.maxLinkFlits = Int(f); r.hottestLink = l }
            sum += Double(f)
        }
        if r.drainCycles > 0 {
            r.maxUtilisation = Double(r.maxLinkFlits) / Double(r.drainCycles)
            r.meanUtilisation = sum / Double(existingLinks) / Double(r.drainCycles)
        }
        totalDrainCycles &+= UInt64(r.drainCycles)
        totalSteps += 1
        if recordDeliveries {   // by cycle; stable
            deliveries.sort { $0.cycle != $1.cycle ? $0.cycle < $1.cycle : ($0.packet != $1.packet ? $0.packet < $1.packet : $0.core < $1.core) }
        }
        return r
    }

    /// Serves one link: a single server that, whenever it is free at cycle s, grants the
    /// best train whose head has requested at or before s. The granted train keeps the
    /// link for as many members as fit before the next request arrives (members of one
    /// train are contiguous in priority and each is present when its predecessor's flits
    /// have passed, so nothing else could win in between).
    private func serve(link l: Int, _ r: inout RoutingStepResult) {
        let n = requests[l].count
        if n == 0 { return }
        sortByRequest(l)
        let reqs = requests[l].base
        let hop = Int(linkHop[l]), ew = linkIsEW[l]
        heap.removeAll()
        var i = 0, free = 0
        var flitsHere: UInt64 = 0, stall: UInt64 = 0
        while i < n || heap.count > 0 {
            var s = free
            let ri: Int, queued: Bool
            if heap.count == 0 && Int(reqs[i].requested) > s { s = Int(reqs[i].requested) }
            if heap.count == 0 && (i + 1 == n || Int(reqs[i + 1].requested) > s) {
                ri = i; i += 1; queued = false   // the only candidate: no queue needed
            } else {
                while i < n && Int(reqs[i].requested) <= s {
                    RouterState.heapPush(&heap, QueueEntry(priority: gPriority[Int(reqs[i].group)], packet: reqs[i].first, run: Int32(i)))
                    i += 1
                }
                ri = Int(heap.base[0].run); queued = true
            }
            let run = reqs[ri]
            let f = Int(gFlits[Int(run.group)]), sp = Int(run.spacing), c = Int(run.count)
            var m = c
            if i < n {   // grants that fit before the next request: ceil(room / f) when fewer than c
                let room = Int(reqs[i].requested) - s
                if (c - 1) * f >= room { m = f == 1 ? room : (room + f - 1) / f }
            }
            // Member j is granted at s + j f and requested at requested + j sp.
            stall &+= UInt64(m * (s - Int(run.requested)) + (f - sp) * (m * (m - 1) / 2))
            flitsHere &+= UInt64(m * f)
            arrive(Run(group: run.group, first: run.first, count: Int32(m), lo: run.lo, hi: run.hi,
                       tile: run.tile, requested: Int32(s + hop), spacing: Int32(f)), &r)
            free = s + m * f
            if m == c {
                if queued { _ = RouterState.heapPop(&heap) }
            } else {
                reqs[ri].first += Int32(m); reqs[ri].count -= Int32(m)
                reqs[ri].requested += Int32(m * sp)
                if queued {
                    heap.base[0].packet += Int32(m)   // still the smallest: ranges are disjoint
                } else {
                    RouterState.heapPush(&heap, QueueEntry(priority: gPriority[Int(run.group)], packet: reqs[ri].first, run: Int32(ri)))
                }
            }
        }
        precondition(free < Int(Int32.max / 2), "routing phase too long")
        r.stallCycles &+= stall
        stepLinkFlits[l] &+= flitsHere
        if ew { r.hopEW &+= flitsHere } else { r.hopNS &+= flitsHere }
    }

    /// Sorts a link's requests by the cycle their head requested: a stable natural merge
    /// sort with reused scratch buffers (allocation-free once grown). A list is a few
    /// ascending segments (injections, then each upstream link's grants in time order), so
    /// merging the existing ascending runs takes one or two passes. Order among equal
    /// cycles does not matter: they all enter the queue before the next grant.
    private func sortByRequest(_ l: Int) {
        let n = requests[l].count
        let a = requests[l].base
        runStarts.removeAll()
        runStarts.append(0)
        for k in 1..<max(n, 1) where a[k].requested < a[k - 1].requested { runStarts.append(Int32(k)) }
        if runStarts.count == 1 { return }
        if n <= 16 {
            for k in 1..<n {
                let v = a[k]; var j = k
                while j > 0 && v.requested < a[j - 1].requested { a[j] = a[j - 1]; j -= 1 }
                a[j] = v
            }
            return
        }
        if scratch.capacity < n { scratch.grow(to: n) }
        var src = a, dst = scratch.base
        runStarts.append(Int32(n))   // sentinel: runs are runStarts[k] ..< runStarts[k+1]
        while runStarts.count > 2 {
            let runs = runStarts.count - 1
            var w = 0, k = 0
            while k < runs {
                let lo = Int(runStarts[k]), mid = Int(runStarts[k + 1])
                let hi = k + 2 <= runs ? Int(runStarts[min(k + 2, runs)]) : mid
                var p = lo, q = mid, o = lo
                while p < mid && q < hi {
                    if src[q].requested < src[p].requested { dst[o] = src[q]; q += 1 } else { dst[o] = src[p]; p += 1 }
                    o += 1
                }
                while p < mid { dst[o] = src[p]; p += 1; o += 1 }
                while q < hi { dst[o] = src[q]; q += 1; o += 1 }
                runStarts[w] = Int32(lo); w += 1
                k += 2
            }
            runStarts[w] = Int32(n); runStarts.count = w + 1
            swap(&src, &dst)
        }
        if src != a { a.update(from: src, count: n) }
    }

    /// A train's head reaches a router (or the host, or is leaving the host) at
    /// `run.requested`; its members follow `run.spacing` cycles apart.
    @inline(__always)
    private func arrive(_ run: Run, _ r: inout RoutingStepResult) {
        let f = Int(gFlits[Int(run.group)])
        if run.tile == -1 { deliver(run, core: MeshRouter.host, flits: f, &r); return }
        if run.tile == -2 {
            var next = run; next.tile = Int32(hostTile)
            requests.base[hostInLink].append(next)
            return
        }
        let tile = Int(run.tile), w = width
        let x = tileX[tile], y = tileY[tile]
        let lo = Int(run.lo), hi = Int(run.hi)
        let d0 = dests.base
        // Destinations are sorted by (x, y): split into west | south | here | north | east.
        var i = lo
        while i < hi && d0[i].x < x { i += 1 }
        let a = i
        while i < hi && d0[i].x == x && d0[i].y < y { i += 1 }
        let b = i
        while i < hi && d0[i].x == x && d0[i].y == y { i += 1 }
        let c2 = i
        while i < hi && d0[i].x == x { i += 1 }
        let d = i
        var next = run
        if a > lo { next.lo = run.lo; next.hi = Int32(a); next.tile = Int32(tile - 1); requests.base[tile * 4 + Direction.west.rawValue].append(next) }
        if b > a { next.lo = Int32(a); next.hi = Int32(b); next.tile = Int32(tile - w); requests.base[tile * 4 + Direction.south.rawValue].append(next) }
        if d > c2 { next.lo = Int32(c2); next.hi = Int32(d); next.tile = Int32(tile + w); requests.base[tile * 4 + Direction.north.rawValue].append(next) }
        if hi > d { next.lo = Int32(d); next.hi = Int32(hi); next.tile = Int32(tile + 1); requests.base[tile * 4 + Direction.east.rawValue].append(next) }
        var j = b
        while j < c2 {
            let core = Int(d0[j].core)
            if core == MeshRouter.host {
                next.lo = Int32(j); next.hi = Int32(j + 1); next.tile = -1
                requests.base[hostOutLink].append(next)
            } else {
                deliver(run, core: core, flits: f, &r)
                if gSourceTile[Int(run.group)] == run.tile { r.spikeLocal &+= UInt64(f * Int(run.count)) }
            }
            j += 1
        }
    }

    /// Every member of the train is delivered when its last flit has arrived.
    @inline(__always)
    private func deliver(_ run: Run, core: Int, flits f: Int, _ r: inout RoutingStepResult) {
        let c = Int(run.count), sp = Int(run.spacing), t0 = Int(run.requested) + f - 1
        r.deliveries += c
        let last = t0 + (c - 1) * sp
        if last > r.drainCycles { r.drainCycles = last }
        if recordDeliveries {
            for j in 0..<c { deliveries.append(Delivery(packet: Int(run.first) + j, core: core, cycle: t0 + j * sp)) }
        }
    }

    // MARK: Per-link priority queue (binary min-heap)

    @inline(__always)
    static func heapPush(_ h: inout RawBuffer<QueueEntry>, _ v: QueueEntry) {
        h.append(v)
        let a = h.base
        var i = h.count - 1
        while i > 0 {
            let parent = (i - 1) >> 1
            if !(v < a[parent]) { break }
            a[i] = a[parent]; i = parent
        }
        a[i] = v
    }

    @inline(__always)
    static func heapPop(_ h: inout RawBuffer<QueueEntry>) -> QueueEntry {
        let a = h.base
        let top = a[0]
        let last = h.removeLast()
        let n = h.count
        if n > 0 {
            var i = 0
            while true {
                let l = 2 * i + 1
                if l >= n { break }
                var m = l
                if l + 1 < n && a[l + 1] < a[l] { m = l + 1 }
                if !(a[m] < last) { break }
                a[i] = a[m]; i = m
            }
            a[i] = last
        }
        return top
    }
}
