import Testing
@testable import ChipModel

// The link-by-link train router (MeshRouter) against two oracles: hand-computed timelines,
// and the original cycle-by-cycle event router (EventReferenceRouter, one event per packet
// copy per hop) on random traffic, where every figure and every (packet, core, cycle)
// delivery must agree.

private func sortedDeliveries(_ d: ContiguousArray<Delivery>) -> [Delivery] {
    d.sorted { ($0.cycle, $0.packet, $0.core) < ($1.cycle, $1.packet, $1.core) }
}

@Suite struct RouterTrainTests {
    @Test func batchTrainHandTimeline() {
        // 3x1 mesh, hop 4, spikes of 1 flit. A: core 0 at cycle 0 -> core 2 (reaches tile 1
        // at 4). B: three packets core 1 at cycle 2 -> core 2. On link (1,0) east B0 goes at
        // 2, B1 at 3; at 4 A (older) wins; B2 at 5. Arrivals +4: B0 6, B1 7, A 8, B2 9.
        // Stalls: B1 1 (requested 2, granted 3), B2 3, A 0.
        var r = makeRouter(3, 1)
        r.inject(from: 0, to: 2, kind: .spike, cycle: 0)
        r.inject(from: 1, to: 2, kind: .spike, cycle: 2, count: 3)
        #expect(r.injectedPackets == 4)
        let res = r.drain()
        #expect(res.packets == 4 && res.deliveries == 4 && res.drainCycles == 9 && res.stallCycles == 4)
        #expect(res.hopEW == 5 && res.flitsInjected == 4)
        #expect(sortedDeliveries(r.deliveries) == [
            Delivery(packet: 1, core: 2, cycle: 6), Delivery(packet: 2, core: 2, cycle: 7),
            Delivery(packet: 0, core: 2, cycle: 8), Delivery(packet: 3, core: 2, cycle: 9)])
    }

    @Test func graded2FlitTrain() {
        // 2x1 mesh, hop 4, graded = 2 flits: three packets core 0 -> core 1 at cycle 1 are
        // granted at 1, 3, 5 (stalls 0 + 2 + 4), head arrivals 5, 7, 9, delivered +1.
        var r = makeRouter(2, 1)
        r.inject(from: 0, to: 1, kind: .graded, cycle: 1, count: 3)
        let res = r.drain()
        #expect(res.stallCycles == 6 && res.drainCycles == 10 && res.hopEW == 6)
        #expect(sortedDeliveries(r.deliveries).map(\.cycle) == [6, 8, 10])
    }

    @Test func batchEqualsSingleInjects() {
        var key = RandomKey(seed: 11, stream: .shuffle)
        for round in 0..<20 {
            key = key.with(round)
            var a = makeRouter(4, 3, coresPerTile: 1 + round % 2)
            var b = a
            let cores = 12 * (1 + round % 2)
            for i in 0..<40 {
                let x = key.draw(i)
                let src = Int(x % UInt64(cores + 1)) - 1, dst = Int((x >> 8) % UInt64(cores + 1)) - 1
                let kind = PacketKind(rawValue: Int((x >> 16) % 4))!, cycle = Int((x >> 24) % 12), n = Int((x >> 32) % 6)
                a.inject(from: src, to: dst, kind: kind, cycle: cycle, count: n)
                for _ in 0..<n { b.inject(from: src, to: dst, kind: kind, cycle: cycle) }
            }
            #expect(a.injectedPackets == b.injectedPackets)
            #expect(a.drain() == b.drain())
            #expect(a.deliveries == b.deliveries && a.stepLinkFlits == b.stepLinkFlits)
        }
    }

    @Test(arguments: [(4, 4, 1, Direction.west, 0, 0), (3, 2, 2, .south, 1, 0), (5, 1, 1, .east, 4, 0), (2, 3, 3, .north, 1, 2)])
    func agreesWithEventReference(w: Int, h: Int, cpt: Int, port: Direction, hx: Int, hy: Int) throws {
        var noc = NocConfig()
        noc.hopCyclesEW = 3; noc.hopCyclesNS = 5; noc.coresPerTile = cpt
        noc.flits = [1, 2, 1, 3]; noc.hostPort = port; noc.hostTile = TileCoord(x: hx, y: hy)
        let mesh = Mesh(width: w, height: h, coresPerTile: cpt)
        var fast = try MeshRouter(mesh: mesh, noc: noc)
        var ref = try EventReferenceRouter(mesh: mesh, noc: noc)
        fast.recordDeliveries = true; ref.recordDeliveries = true
        let cores = mesh.coreCount
        var key = RandomKey(seed: 5, stream: .shuffle)
        var stalls: UInt64 = 0
        for round in 0..<12 {
            key = key.with(round)
            fast.reset(); ref.reset()
            let burst = round % 3 == 0   // everything at cycle 0, like the engine
            for i in 0..<(30 + 10 * round) {
                let x = key.draw(i)
                let src = Int(x % UInt64(cores + 1)) - 1
                let kind = PacketKind(rawValue: Int((x >> 8) % 4))!
                let cycle = burst ? 0 : Int((x >> 12) % 25)
                switch (x >> 20) % 4 {
                case 0:   // multicast
                    var d: [Int] = []
                    for k in 0..<Int((x >> 24) % 5) { d.append(Int((x >> (28 + 5 * k)) % UInt64(cores + 1)) - 1) }
                    fast.inject(from: src, to: d, kind: kind, cycle: cycle)
                    ref.inject(from: src, to: d, kind: kind, cycle: cycle)
                default:  // unicast trains
                    let dst = Int((x >> 24) % UInt64(cores + 1)) - 1, n = Int((x >> 32) % 7)
                    fast.inject(from: src, to: dst, kind: kind, cycle: cycle, count: n)
                    for _ in 0..<n { ref.inject(from: src, to: dst, kind: kind, cycle: cycle) }
                }
            }
            let a = fast.drain(), b = ref.drain()
            #expect(a == b)
            stalls += b.stallCycles
            #expect(fast.stepLinkFlits == ref.stepLinkFlits)
            #expect(sortedDeliveries(fast.deliveries) == sortedDeliveries(ref.deliveries))
        }
        #expect(stalls > 100)   // the traffic really contends
        #expect(fast.totalLinkFlits == ref.totalLinkFlits && fast.totalDrainCycles == ref.totalDrainCycles)
    }
}
