@testable import ChipModel

// The original event-driven router (one event per packet copy per hop), kept as an
// independent oracle for tests: MeshRouter must give exactly the same counts, drain,
// stall and link figures and the same (packet, core, cycle) deliveries. Not used by the
// engine, so it lives with the tests (they reach the module's internals by @testable import).

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
// Implementation: a calendar queue of events. Every future event lies less than
// `ring` cycles ahead (hop cycles and flit counts are bounded), so events live in a ring
// of per-cycle buckets, each with an arrival list and a grant list. Cycle t is processed
// as: injections at t (packets sorted by injection cycle), then arrivals of packet copies
// at routers, then link grants, so every copy present at cycle s competes for a link
// freed at s. Within one bucket the order does not matter: arrivals only enqueue
// requests and deliver, and grants of one cycle touch different links. Each link has its
// own priority queue of waiting copies. Buffers are kept across steps (steady state
// allocates nothing).

struct EventReferenceRouter {
    /// Source or destination id meaning "the host, through the host port".
    static let host = -1

    /// Buffers and simulation state; copied on write (value semantics, like MeshRouter).
    var state: EventReferenceState

    init(mesh: Mesh, noc: NocConfig) throws {
        try noc.validate(mesh: mesh)
        let links = LinkTable(mesh: mesh, noc: noc)
        state = EventReferenceState(mesh: mesh, flits: noc.flits, hostTile: links.hostTile, hostOutLink: links.hostOutLink,
                                    linkHop: links.hop, linkIsEW: links.isEastWest, existingLinks: links.existingLinks, ring: links.ring)
    }

    private mutating func unique() {
        if !isKnownUniquelyReferenced(&state) { state = state.copy() }
    }

    /// When true, `drain()` records every delivery in `deliveries` (off by default).
    var recordDeliveries: Bool {
        get { state.recordDeliveries }
        set { unique(); state.recordDeliveries = newValue }
    }

    /// Deliveries of the last drain (when recording). Order: by cycle; within a cycle
    /// deterministic but unspecified.
    var deliveries: ContiguousArray<Delivery> { state.deliveries }

    /// Forgets this step's packets; keeps buffers and the accumulated per-link totals.
    mutating func reset() { unique(); state.reset() }

    // MARK: Injection

    /// Injects a unicast packet. `source`/`destination` are core ids or `MeshRouter.host`;
    /// `cycle` (>= 0) is when the source emitted it, relative to the routing phase.
    mutating func inject(from source: Int, to destination: Int, kind: PacketKind, cycle: Int) {
        unique()
        state.beginPacket(source: source, kind: kind, cycle: cycle)
        state.addDestination(destination)
        state.endPacket()
    }

    /// Injects one packet delivered to every listed core (multicast, XY tree replication).
    /// Duplicate destinations are delivered once.
    mutating func inject(from source: Int, to destinations: [Int], kind: PacketKind, cycle: Int) {
        unique()
        state.beginPacket(source: source, kind: kind, cycle: cycle)
        for d in destinations { state.addDestination(d) }
        state.endPacket()
    }

    // MARK: Routing phase

    /// Routes every packet injected since `reset()` to completion and returns the step's
    /// figures; adds per-link flits to the run totals. Packets stay until `reset()`.
    mutating func drain() -> RoutingStepResult { unique(); return state.drain() }

    // MARK: Reporting

    /// Flits that crossed each link slot in the last drained step (index = link slot).
    var stepLinkFlits: [UInt64] { state.stepLinkFlits.array }
    /// Flits that crossed each link slot since the router was made.
    var totalLinkFlits: [UInt64] { state.totalLinkFlits.array }
    var totalDrainCycles: UInt64 { state.totalDrainCycles }
}

/// The router's buffers and the event simulation (see the top of this file).
final class EventReferenceState {
    struct Dest: Equatable {
        var x: Int32, y: Int32, core: Int32
        static func < (a: Dest, b: Dest) -> Bool {
            a.x != b.x ? a.x < b.x : (a.y != b.y ? a.y < b.y : a.core < b.core)
        }
    }

    /// A copy of a packet heading for tile `tile` (-1: the host, -2: leaving the host)
    /// that serves destinations dests[lo ..< hi]; `requested` = cycle it asked for a link.
    struct Copy {
        var packet: Int32, lo: Int32, hi: Int32, tile: Int32, requested: Int32
    }

    /// A waiting link request, ordered by priority = (injection cycle << 32 | source
    /// rank), then packet index.
    struct QueueEntry {
        var priority: UInt64, packet: Int32, copy: Int32
        @inline(__always) static func < (a: QueueEntry, b: QueueEntry) -> Bool {
            a.priority != b.priority ? a.priority < b.priority : a.packet < b.packet
        }
    }

    // Configuration.
    let width: Int, coresPerTile: Int, coreCount: Int, hostTile: Int, hostOutLink: Int, hostInLink: Int
    let flits: [Int32]
    let existingLinks: Int
    let ringMask: Int
    let linkHop: RawBuffer<Int32>      // 0 = slot is not a link
    let linkIsEW: RawBuffer<Bool>

    // This step's packets (struct of arrays) and their sorted destination lists.
    var pSource = RawBuffer<Int32>(), pSourceTile = RawBuffer<Int32>()  // source tile -2 = host
    var pCycle = RawBuffer<Int32>(), pFlits = RawBuffer<Int32>()
    var pDestLo = RawBuffer<Int32>(), pDestHi = RawBuffer<Int32>()
    var dests = RawBuffer<Dest>()

    // Simulation state.
    var copies = RawBuffer<Copy>()
    var queues: RawBuffer<RawBuffer<QueueEntry>>
    var freeAt: RawBuffer<Int>
    var grantPending: RawBuffer<Bool>
    var arrivalHead: RawBuffer<Int32>   // per bucket: first event node, -1 = empty
    var grantHead: RawBuffer<Int32>
    var nodeID = RawBuffer<Int32>()     // event nodes: copy index or link slot
    var nodeNext = RawBuffer<Int32>()
    var pendingEvents = 0
    var order = RawBuffer<Int32>()      // packets sorted by injection cycle
    var cycleCount = RawBuffer<Int32>() // counting-sort buffer
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
        queues = RawBuffer(capacity: slots)
        for _ in 0..<slots { queues.append(RawBuffer<QueueEntry>(capacity: 4)) }
        freeAt = RawBuffer(repeating: 0, count: slots)
        grantPending = RawBuffer(repeating: false, count: slots)
        stepLinkFlits = RawBuffer(repeating: 0, count: slots)
        totalLinkFlits = RawBuffer(repeating: 0, count: slots)
        arrivalHead = RawBuffer(repeating: -1, count: ring)
        grantHead = RawBuffer(repeating: -1, count: ring)
    }

    deinit {
        for b in [pSource, pSourceTile, pCycle, pFlits, pDestLo, pDestHi, arrivalHead, grantHead, nodeID, nodeNext, order, cycleCount, linkHop] { b.free() }
        dests.free(); copies.free(); freeAt.free(); grantPending.free(); linkIsEW.free()
        stepLinkFlits.free(); totalLinkFlits.free()
        for l in 0..<queues.count { queues[l].free() }
        queues.free()
    }

    /// A copy with the same packets, totals and settings (scratch state is per drain).
    func copy() -> EventReferenceState {
        let c = EventReferenceState(mesh: Mesh(width: width, height: linkHop.count / 4 / width, coresPerTile: coresPerTile),
                            flits: flits.map { Int($0) }, hostTile: hostTile, hostOutLink: hostOutLink,
                            linkHop: linkHop.array, linkIsEW: linkIsEW.array, existingLinks: existingLinks, ring: ringMask + 1)
        for (dst, src) in [(\EventReferenceState.pSource, pSource), (\.pSourceTile, pSourceTile), (\.pCycle, pCycle),
                           (\.pFlits, pFlits), (\.pDestLo, pDestLo), (\.pDestHi, pDestHi)] {
            c[keyPath: dst].free(); c[keyPath: dst] = src.copy()
        }
        c.dests.free(); c.dests = dests.copy()
        for l in 0..<stepLinkFlits.count { c.stepLinkFlits[l] = stepLinkFlits[l]; c.totalLinkFlits[l] = totalLinkFlits[l] }
        c.totalDrainCycles = totalDrainCycles; c.totalSteps = totalSteps
        c.recordDeliveries = recordDeliveries; c.deliveries = deliveries
        return c
    }

    func reset() {
        pSource.removeAll(); pSourceTile.removeAll(); pCycle.removeAll(); pFlits.removeAll()
        pDestLo.removeAll(); pDestHi.removeAll(); dests.removeAll()
    }

    // MARK: Injection

    func beginPacket(source: Int, kind: PacketKind, cycle: Int) {
        precondition(source >= -1 && source < coreCount, "source core \(source) is not on the mesh")
        precondition(cycle >= 0 && cycle < Int(Int32.max / 2), "injection cycle \(cycle) out of range")
        pSource.append(Int32(source))
        pSourceTile.append(source == MeshRouter.host ? -2 : Int32(source / coresPerTile))
        pCycle.append(Int32(cycle))
        pFlits.append(flits[kind.rawValue])
        pDestLo.append(Int32(dests.count))
    }

    func addDestination(_ d: Int) {
        precondition(d >= -1 && d < coreCount, "destination core \(d) is not on the mesh")
        let tile = d == MeshRouter.host ? hostTile : d / coresPerTile
        dests.append(Dest(x: Int32(tile % width), y: Int32(tile / width), core: Int32(d)))
    }

    /// Sorts the packet's destinations by (x, y, core) so that every copy of the XY tree
    /// serves a contiguous range, and drops duplicates. Insertion sort: lists are short.
    func endPacket() {
        let lo = Int(pDestLo[pDestLo.count - 1])
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
        pDestHi.append(Int32(dests.count))
    }

    // MARK: Simulation

    func drain() -> RoutingStepResult {
        var r = RoutingStepResult()
        r.packets = pSource.count
        copies.removeAll(); nodeID.removeAll(); nodeNext.removeAll()
        deliveries.removeAll(keepingCapacity: true)
        pendingEvents = 0
        arrivalHead.fill(-1); grantHead.fill(-1)
        freeAt.fill(0); grantPending.fill(false); stepLinkFlits.fill(0)
        for l in 0..<queues.count { queues.base[l].removeAll() }
        sortByInjectionCycle()
        let n = pSource.count
        var next = 0
        var t = n > 0 ? Int(pCycle[Int(order[0])]) : 0
        while next < n || pendingEvents > 0 {
            if pendingEvents == 0 { t = max(t, Int(pCycle[Int(order[next])])) }   // skip idle cycles
            let b = t & ringMask
            while next < n && Int(pCycle[Int(order[next])]) == t {
                let p = Int(order[next]); next += 1
                r.flitsInjected += Int(pFlits[p])
                copies.append(Copy(packet: Int32(p), lo: pDestLo[p], hi: pDestHi[p], tile: pSourceTile[p], requested: Int32(t)))
                arrive(copy: copies.count - 1, at: t, &r)
            }
            while arrivalHead[b] >= 0 {
                let e = Int(arrivalHead[b]); arrivalHead[b] = nodeNext[e]; pendingEvents -= 1
                arrive(copy: Int(nodeID[e]), at: t, &r)
            }
            while grantHead[b] >= 0 {
                let e = Int(grantHead[b]); grantHead[b] = nodeNext[e]; pendingEvents -= 1
                grant(link: Int(nodeID[e]), at: t, &r)
            }
            t += 1
        }
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
        return r
    }

    /// Packet indices ordered by injection cycle, stable (equal cycles keep inject order;
    /// that order does not affect results, only the delivery log). A counting sort over
    /// the cycle range with a reused buffer; allocation-free once the buffer is grown.
    private func sortByInjectionCycle() {
        let n = pSource.count
        order.removeAll()
        guard n > 0 else { return }
        var lo = Int(pCycle[0]), hi = lo, sorted = true
        for p in 1..<n {
            let c = Int(pCycle[p])
            if c < Int(pCycle[p - 1]) { sorted = false }
            lo = min(lo, c); hi = max(hi, c)
        }
        if sorted {
            for p in 0..<n { order.append(Int32(p)) }
            return
        }
        let range = hi - lo + 1
        if cycleCount.capacity < range + 1 { cycleCount.grow(to: range + 1) }
        cycleCount.count = range + 1
        cycleCount.fill(0)
        for p in 0..<n { cycleCount[Int(pCycle[p]) - lo + 1] += 1 }
        for i in 1...range { cycleCount[i] += cycleCount[i - 1] }   // start offset per cycle
        if order.capacity < n { order.grow(to: n) }
        order.count = n
        for p in 0..<n {
            let k = Int(pCycle[p]) - lo
            order[Int(cycleCount[k])] = Int32(p)
            cycleCount[k] += 1
        }
    }

    /// A copy's head reaches a router (or the host, or is leaving the host).
    @inline(__always)
    private func arrive(copy c: Int, at t: Int, _ r: inout RoutingStepResult) {
        let cp = copies[c]
        let p = Int(cp.packet), f = Int(pFlits[p])
        if cp.tile == -1 { deliver(packet: p, core: MeshRouter.host, at: t + f - 1, &r); return }
        if cp.tile == -2 {
            request(link: hostInLink, Copy(packet: cp.packet, lo: cp.lo, hi: cp.hi, tile: Int32(hostTile), requested: Int32(t)))
            return
        }
        let tile = Int(cp.tile), w = width
        let x = Int32(tile % w), y = Int32(tile / w)
        let lo = Int(cp.lo), hi = Int(cp.hi)
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
        let now = Int32(t)
        if a > lo { request(link: tile * 4 + Direction.west.rawValue, Copy(packet: cp.packet, lo: cp.lo, hi: Int32(a), tile: Int32(tile - 1), requested: now)) }
        if b > a { request(link: tile * 4 + Direction.south.rawValue, Copy(packet: cp.packet, lo: Int32(a), hi: Int32(b), tile: Int32(tile - w), requested: now)) }
        if d > c2 { request(link: tile * 4 + Direction.north.rawValue, Copy(packet: cp.packet, lo: Int32(c2), hi: Int32(d), tile: Int32(tile + w), requested: now)) }
        if hi > d { request(link: tile * 4 + Direction.east.rawValue, Copy(packet: cp.packet, lo: Int32(d), hi: Int32(hi), tile: Int32(tile + 1), requested: now)) }
        var j = b
        while j < c2 {
            let core = Int(d0[j].core)
            if core == MeshRouter.host {
                request(link: hostOutLink, Copy(packet: cp.packet, lo: Int32(j), hi: Int32(j + 1), tile: -1, requested: now))
            } else {
                deliver(packet: p, core: core, at: t + f - 1, &r)
                if pSourceTile[p] == cp.tile { r.spikeLocal &+= UInt64(f) }
            }
            j += 1
        }
    }

    @inline(__always)
    private func deliver(packet p: Int, core: Int, at t: Int, _ r: inout RoutingStepResult) {
        r.deliveries += 1
        if t > r.drainCycles { r.drainCycles = t }
        if recordDeliveries { deliveries.append(Delivery(packet: p, core: core, cycle: t)) }
    }

    @inline(__always)
    private func request(link l: Int, _ copy: Copy) {
        copies.append(copy)
        let p = Int(copy.packet)
        let source = pSource[p]
        let rank = source < 0 ? UInt64(UInt32.max) : UInt64(source)
        let entry = QueueEntry(priority: UInt64(pCycle[p]) << 32 | rank, packet: copy.packet, copy: Int32(copies.count - 1))
        EventReferenceState.heapPush(&queues.base[l], entry)
        if !grantPending[l] {
            grantPending[l] = true
            pushEvent(time: max(Int(copy.requested), freeAt[l]), grant: true, id: l)
        }
    }

    /// Link `l` is free at `t`: the best waiting copy enters it.
    @inline(__always)
    private func grant(link l: Int, at t: Int, _ r: inout RoutingStepResult) {
        let e = EventReferenceState.heapPop(&queues.base[l])
        let c = Int(e.copy)
        let f = Int(pFlits[Int(e.packet)])
        r.stallCycles &+= UInt64(t - Int(copies[c].requested))
        freeAt[l] = t + f
        stepLinkFlits[l] &+= UInt64(f)
        if linkIsEW[l] { r.hopEW &+= UInt64(f) } else { r.hopNS &+= UInt64(f) }
        pushEvent(time: t + Int(linkHop[l]), grant: false, id: c)
        if queues[l].count == 0 { grantPending[l] = false } else { pushEvent(time: t + f, grant: true, id: l) }
    }

    /// Schedules an event less than `ring` cycles ahead (or now, for a grant).
    @inline(__always)
    private func pushEvent(time: Int, grant: Bool, id: Int) {
        precondition(time < Int(Int32.max) && id < Int(Int32.max), "routing phase too long")
        let b = time & ringMask
        nodeID.append(Int32(id))
        if grant { nodeNext.append(grantHead[b]); grantHead[b] = Int32(nodeID.count - 1) }
        else { nodeNext.append(arrivalHead[b]); arrivalHead[b] = Int32(nodeID.count - 1) }
        pendingEvents += 1
    }

    // MARK: Per-link priority queues (binary min-heaps)

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
