import Testing
@testable import ChipModel

// Router timing and counts against hand-computed and closed-form XY values. The oracle
// here computes coordinates directly from the numbering rule (core c on tile
// c / coresPerTile, x = tile % W, y = tile / W), not through Mesh.

func makeRouter(_ w: Int, _ h: Int, coresPerTile: Int = 1, ew: Int = 4, ns: Int = 7,
                flits: [Int] = [1, 2, 1, 2], hostPort: Direction = .west,
                hostTile: TileCoord = TileCoord(x: 0, y: 0)) -> MeshRouter {
    var noc = NocConfig()
    noc.hopCyclesEW = ew; noc.hopCyclesNS = ns; noc.coresPerTile = coresPerTile
    noc.flits = flits; noc.hostPort = hostPort; noc.hostTile = hostTile
    var r = try! MeshRouter(mesh: Mesh(width: w, height: h, coresPerTile: coresPerTile), noc: noc)
    r.recordDeliveries = true
    return r
}

@Suite struct RouterTests {
    @Test(arguments: [(1, 1, 1), (2, 3, 1), (2, 3, 2), (4, 4, 1), (3, 2, 3)])
    func singlePacketMatchesClosedFormForAllPairs(w: Int, h: Int, cpt: Int) {
        for (ew, ns) in [(4, 7), (1, 3)] {
            var r = makeRouter(w, h, coresPerTile: cpt, ew: ew, ns: ns, flits: [1, 2, 3, 2])
            let cores = w * h * cpt
            for kind in PacketKind.allCases {
                let f = [1, 2, 3, 2][kind.rawValue]
                for s in 0..<cores {
                    for d in 0..<cores {
                        let ts = s / cpt, td = d / cpt
                        let dx = abs(ts % w - td % w), dy = abs(ts / w - td / w)
                        let start = (s + d) % 3   // a non-zero injection cycle too
                        r.reset()
                        r.inject(from: s, to: d, kind: kind, cycle: start)
                        let res = r.drain()
                        let expected = start + dx * ew + dy * ns + f - 1
                        #expect(res.drainCycles == expected, "\(w)x\(h) \(s)->\(d) \(kind)")
                        #expect(res.hopEW == UInt64(f * dx) && res.hopNS == UInt64(f * dy))
                        #expect(res.spikeLocal == (ts == td ? UInt64(f) : 0))
                        #expect(r.deliveries == [Delivery(packet: 0, core: d, cycle: expected)])
                        #expect(res.stallCycles == 0)
                        #expect(r.closedFormLatency(from: s, to: d, kind: kind) == expected - start)
                        #expect(r.noc.latency(mesh: r.mesh, fromCore: s, toCore: d, kind: kind) == expected - start)
                    }
                }
            }
        }
    }

    @Test func hostPortAddsOneLinkInItsDirection() {
        // Host on the north edge at tile (1,2) of a 2x3 mesh: the port link is north-south.
        var r = makeRouter(2, 3, ew: 4, ns: 7, hostPort: .north, hostTile: TileCoord(x: 1, y: 2))
        for c in 0..<6 {
            let dx = abs(c % 2 - 1), dy = abs(c / 2 - 2)
            r.reset()
            r.inject(from: MeshRouter.host, to: c, kind: .host, cycle: 0)
            var res = r.drain()
            #expect(res.drainCycles == 7 + dx * 4 + dy * 7 + 1)
            #expect(res.hopEW == UInt64(2 * dx) && res.hopNS == UInt64(2 * (dy + 1)))
            #expect(res.spikeLocal == 0)
            r.reset()
            r.inject(from: c, to: MeshRouter.host, kind: .spike, cycle: 0)
            res = r.drain()
            #expect(res.drainCycles == dx * 4 + dy * 7 + 7)
            #expect(r.deliveries == [Delivery(packet: 0, core: MeshRouter.host, cycle: dx * 4 + dy * 7 + 7)])
            #expect(r.closedFormLatency(from: c, to: MeshRouter.host, kind: .spike) == dx * 4 + dy * 7 + 7)
        }
        // West port at (0,0): east-west link.
        var w = makeRouter(2, 2, ew: 4, ns: 7)
        w.inject(from: MeshRouter.host, to: 3, kind: .spike, cycle: 0)
        let res = w.drain()
        #expect(res.drainCycles == 4 + 4 + 7 && res.hopEW == 2 && res.hopNS == 1)
    }

    @Test func sameCycleContentionOldestWinsLoserOneCycleLater() {
        // 3x1 mesh. A: core 0 -> 2 at cycle 0 reaches tile 1 at cycle 4. B: core 1 -> 2
        // injected at cycle 4. Both want link (1,0) east at cycle 4; A is older.
        var r = makeRouter(3, 1, ew: 4)
        r.inject(from: 1, to: 2, kind: .spike, cycle: 4)   // packet 0 = B
        r.inject(from: 0, to: 2, kind: .spike, cycle: 0)   // packet 1 = A
        let res = r.drain()
        // A: enters (1,0)E at 4, delivered 8. B: blocked at cycle 4, enters at 5, delivered 9.
        #expect(r.deliveries.sorted { $0.cycle < $1.cycle } == [
            Delivery(packet: 1, core: 2, cycle: 8), Delivery(packet: 0, core: 2, cycle: 9)])
        #expect(res.drainCycles == 9 && res.stallCycles == 1)
        #expect(res.hopEW == 3 && res.maxLinkFlits == 2)
        #expect(r.linkID(res.hottestLink) == LinkID(tile: TileCoord(x: 1, y: 0), direction: .east, host: .none))
    }

    @Test func tieOnCycleGoesToSmallerSourceCoreThenPacketIndex() {
        // Two cores per tile: cores 0 and 1 share tile 0; all packets go to tile 1 at cycle 0.
        var r = makeRouter(2, 1, coresPerTile: 2, ew: 4)
        r.inject(from: 1, to: 2, kind: .spike, cycle: 0)   // packet 0
        r.inject(from: 0, to: 3, kind: .spike, cycle: 0)   // packet 1: smaller source, wins
        r.inject(from: 0, to: 2, kind: .spike, cycle: 0)   // packet 2: same source, later index
        _ = r.drain()
        let byPacket = r.deliveries.sorted { $0.packet < $1.packet }.map(\.cycle)
        #expect(byPacket == [6, 4, 5])
    }

    @Test func multiFlitPacketHoldsTheLinkForItsFlits() {
        // Graded packets (2 flits) from cores 0 and 1 of tile 0 to tile 1, both at cycle 0.
        var r = makeRouter(2, 1, coresPerTile: 2, ew: 4, flits: [1, 2, 1, 2])
        r.inject(from: 0, to: 2, kind: .graded, cycle: 0)
        r.inject(from: 1, to: 2, kind: .graded, cycle: 0)
        let res = r.drain()
        // First: link cycles 0-1, tail arrives 0+4+1 = 5. Second: enters at 2, tail at 7.
        #expect(r.deliveries.map(\.cycle) == [5, 7])
        #expect(res.stallCycles == 2 && res.hopEW == 4 && res.drainCycles == 7)
    }

    @Test func olderPacketArrivingLaterBeatsYoungerWaitingOne() {
        // Link (1,0) east is busy with X (5 flits, cycles 0-4). Y (younger, injected at 2 on
        // tile 1) waits from cycle 2; Z (injected at 0 on tile 0) arrives at 4. At cycle 5
        // both wait: Z is older and goes first.
        var r = makeRouter(3, 1, ew: 4, flits: [1, 2, 1, 5])
        r.inject(from: 1, to: 2, kind: .host, cycle: 0)    // X
        r.inject(from: 1, to: 2, kind: .spike, cycle: 2)   // Y
        r.inject(from: 0, to: 2, kind: .spike, cycle: 0)   // Z
        let res = r.drain()
        let c = r.deliveries.sorted { $0.packet < $1.packet }.map(\.cycle)
        #expect(c == [0 + 4 + 4, 6 + 4, 5 + 4])
        #expect(res.stallCycles == UInt64((5 - 4) + (6 - 2)))
    }

    @Test func multicastTreeReachesEachDestinationOnceWithHandCountedHops() {
        // 4x4, source core 5 = tile (1,1). Destinations (3,1)=7, (3,3)=15, (0,0)=0, (1,3)=13,
        // and the source itself. Tree: row 1 east 2 links + west 1 link = 3 EW; column 3
        // north 2, column 0 south 1, column 1 north 2 = 5 NS.
        for f in [1, 2] {
            var r = makeRouter(4, 4, ew: 4, ns: 7, flits: [1, 2, f, 2])
            r.inject(from: 5, to: [7, 15, 0, 13, 5, 7], kind: .broadcast, cycle: 0)
            let res = r.drain()
            #expect(res.hopEW == UInt64(3 * f) && res.hopNS == UInt64(5 * f))
            #expect(res.spikeLocal == UInt64(f) && res.deliveries == 5)
            let got = Dictionary(uniqueKeysWithValues: r.deliveries.map { ($0.core, $0.cycle) })
            let tail = f - 1
            #expect(got == [5: 0 + tail, 7: 8 + tail, 15: 22 + tail, 0: 11 + tail, 13: 14 + tail])
            #expect(res.drainCycles == 22 + tail)
            #expect(r.mesh.treeHops(fromCore: 5, toCores: [7, 15, 0, 13, 5]) == (3, 5))
        }
    }

    @Test func multicastToCoresOfOneTileCrossesEachLinkOnce() {
        var r = makeRouter(3, 1, coresPerTile: 2, ew: 4)
        r.inject(from: 0, toCores: 1..<6, kind: .broadcast, cycle: 0)
        let res = r.drain()
        // Core 1 is local; tiles 1 and 2 are one and two links away; each link once.
        #expect(res.hopEW == 2 && res.spikeLocal == 1 && res.deliveries == 5)
        #expect(r.deliveries.map(\.core).sorted() == [1, 2, 3, 4, 5])
        #expect(r.deliveries.filter { $0.core >= 4 }.allSatisfy { $0.cycle == 8 })
    }

    @Test func multicastEveryDestinationSetOn3x3MatchesTreeClosedForm() {
        // All 511 non-empty destination sets from every source: each destination exactly
        // once; link traversals = closed-form union of XY routes; no contention in a tree.
        var r = makeRouter(3, 3, ew: 2, ns: 3)
        for s in 0..<9 {
            for mask in 1..<512 {
                let d = (0..<9).filter { mask & (1 << $0) != 0 }
                r.reset()
                r.inject(from: s, to: d, kind: .spike, cycle: 0)
                let res = r.drain()
                let t = r.mesh.treeHops(fromCore: s, toCores: d)
                #expect(res.hopEW == UInt64(t.ew) && res.hopNS == UInt64(t.ns))
                #expect(r.deliveries.map(\.core).sorted() == d)
                for del in r.deliveries {
                    let dx = abs(del.core % 3 - s % 3), dy = abs(del.core / 3 - s / 3)
                    #expect(del.cycle == dx * 2 + dy * 3)
                }
            }
        }
    }

    @Test func countsAndTotalsAccumulateAcrossSteps() {
        var r = makeRouter(3, 1, ew: 4)
        r.inject(from: 0, to: 2, kind: .spike, cycle: 0)
        let a = r.drain()
        var counts = ActionCounts()
        a.add(to: &counts)
        r.reset()
        r.inject(from: 2, to: 1, kind: .spike, cycle: 0)
        r.inject(from: 1, to: 2, kind: .spike, cycle: 0)
        r.inject(from: 1, to: 1, kind: .graded, cycle: 0)
        let b = r.drain()
        b.add(to: &counts)
        #expect(counts[.hopEW] == 4 && counts[.hopNS] == 0 && counts[.spikeLocal] == 2)
        #expect(a.drainCycles == 8 && b.drainCycles == 4)
        // Existing links: 4 mesh links + 2 host links = 6. Step b: 2 flits over 6 links in 4 cycles.
        #expect(b.maxUtilisation == 0.25 && b.meanUtilisation == 2.0 / 6.0 / 4.0)
        let u = r.linkUsage()
        #expect(u.steps == 2 && u.drainCycles == 12 && u.linkFlits == 4 && u.hottestFlits == 2)
        #expect(u.hottest?.description == "(1,0) east")
        #expect(u.maxUtilisation == 2.0 / 12.0 && u.meanUtilisation == 4.0 / 6.0 / 12.0)
        r.resetTotals()
        #expect(r.linkUsage().linkFlits == 0 && r.linkUsage().hottest == nil)
    }

    @Test func emptyStepDrainsInZeroCycles() {
        var r = makeRouter(2, 2)
        let res = r.drain()
        #expect(res == RoutingStepResult())
    }

    @Test func resultsAreIdenticalAcrossRoutersAndRepeats() {
        var a = makeRouter(4, 4), b = makeRouter(4, 4)
        var key = RandomKey(seed: 7, stream: .shuffle)
        for round in 0..<3 {
            key = key.with(round)
            for rr in [0, 1] {
                var r = rr == 0 ? a : b
                r.reset()
                for i in 0..<200 {
                    let x = key.draw(i)
                    r.inject(from: Int(x % 16), to: Int((x >> 8) % 16), kind: PacketKind(rawValue: Int((x >> 16) % 4))!,
                             cycle: Int((x >> 24) % 20))
                }
                if rr == 0 { a = r } else { b = r }
            }
            let ra = a.drain(), rb = b.drain()
            #expect(ra == rb && a.deliveries == b.deliveries)
            #expect(ra == a.drain())   // draining the same packets again gives the same result
        }
    }

    @Test func copiesAreIndependentValues() {
        var a = makeRouter(3, 1)
        a.inject(from: 0, to: 2, kind: .spike, cycle: 0)
        var b = a
        b.inject(from: 2, to: 0, kind: .spike, cycle: 0)
        #expect(a.injectedPackets == 1 && b.injectedPackets == 2)
        #expect(a.drain().hopEW == 2 && b.drain().hopEW == 4)
        #expect(a.totalLinkFlits.reduce(0, +) == 2 && b.totalLinkFlits.reduce(0, +) == 4)
    }

    @Test func steadyStateReusesBuffers() {
        var r = makeRouter(4, 4)
        r.recordDeliveries = false
        func step() -> RoutingStepResult {
            r.reset()
            for i in 0..<300 { r.inject(from: i % 16, to: (i * 7 + 3) % 16, kind: .graded, cycle: (i * 13) % 40) }
            r.inject(from: 5, toCores: 0..<16, kind: .broadcast, cycle: 2)
            return r.drain()
        }
        let first = step()
        // Capacities and buffer addresses (read without keeping a reference, which would
        // force a copy on the next mutation).
        func snapshot() -> [UInt] {
            let s = r.state
            return [ObjectIdentifier(s).hashValue, s.gSource.capacity, s.dests.capacity, s.heap.capacity,
                    s.scratch.capacity].map { UInt(bitPattern: $0) }
                + (0..<s.requests.count).map { UInt(bitPattern: s.requests[$0].base) }
                + [UInt(bitPattern: s.heap.base), UInt(bitPattern: s.requests.base)]
        }
        let before = snapshot()
        for _ in 0..<5 { #expect(step() == first) }
        #expect(snapshot() == before)
    }

    @Test func multicastWithTheHostAmongDestinations() {
        // 2x2, host port west of (0,0). Source core 3 at (1,1) -> host, core 0 (0,0), core 1 (1,0).
        // Tree: (1,1) west -> (0,1) [EW], (0,1) south -> (0,0) [NS], (0,0) -> host [EW port],
        // (1,1) south -> (1,0) [NS]. Hop 4 EW / 7 NS, 1 flit.
        var r = makeRouter(2, 2, ew: 4, ns: 7)
        r.inject(from: 3, to: [MeshRouter.host, 0, 1], kind: .spike, cycle: 0)
        let res = r.drain()
        #expect(res.hopEW == 2 && res.hopNS == 2 && res.deliveries == 3)
        let got = Dictionary(uniqueKeysWithValues: r.deliveries.map { ($0.core, $0.cycle) })
        #expect(got == [1: 7, 0: 11, MeshRouter.host: 15])
        var tiles = [ActionCounts](repeating: ActionCounts(), count: 4)
        r.addHopCounts(toTiles: &tiles)
        // Senders: tile 3 sends west and south; tile 2 sends south; tile 0 sends to the host.
        #expect(tiles.map { $0[.hopEW] } == [1, 0, 0, 1] && tiles.map { $0[.hopNS] } == [0, 0, 1, 1])
    }
}
