import ChipModel

// LOCO (Ma & Yu) on chip, as interpreted here (the exact projector is not public; docs/LEARNING.md
// "LOCO on chip"): node perturbation whose update is projected onto a low-rank subspace of
// presynaptic activity. The rule is the spec configs/rules/loco.json (its schedule, programs and
// parameters; loco.md explains it), run by the schedule interpreter. What stays in Swift is the
// part the chip cannot do, the declared host step "loco.projection" below: host work by
// declaration, its link bytes and host operations counted and costed with the host profile.
//
// Each hidden connection has k cluster prototypes P_c of its presynaptic activity (spike counts
// per sample in units of 2^-F, host memory); a sample's presynaptic factor is the projection of
// its counts r onto the prototype of the nearest cluster, x^ = (P_c . r / P_c . P_c) P_c: rank 1
// per sample, and all updates of a block lie in the span of its k prototypes (rank <= k).
//
// One call per hidden connection and sample (its blocks on every core see the same presynaptic
// spikes, so their counters are equal): the first block's core sends r (nPre counters); the host
// computes (`project`) rF_j = r_j << F; the first k samples initialise P_0..P_{k-1} = rF;
// afterwards c = argmin_c sum_j |rF_j - P_cj| (lowest c on ties), P_c += (rF - P_c) >> protoShift
// (arithmetic shift); num = sum_j P_cj r_j, den = sum_j P_cj^2 (64-bit), x^F_j = (num P_cj 2^F) / den
// (truncating division; 0 if den = 0), and writes x^F into every block's x2 registers (32 bits
// each, nPre x 4 bytes per block). x2 because the rule declares no x2 trace: the trace unit never
// touches it, so it holds the host's value until the program reads it, and x1 stays the
// presynaptic trace. Counted on the host (HostStepCounts, per connection and sample): nPre
// counters chip->host, 4 nPre bytes host->chip per block of the connection; nPre shifts;
// clustering (after the first k samples) 3 k nPre int ops (subtract, abs, add) + k compares +
// 3 nPre (prototype update); projection 2 nPre MACs + 1 compare + 3 nPre int ops (multiply,
// shift, divide) when den > 0.
final class LOCOProjection: HostRoutine {
    static let name = "loco.projection"
    static let arguments = ["clusters", "protoFrac", "protoShift"]
    /// Width of a prototype value (host state; checkpointed as a 16-bit register).
    static let protoBits = 16
    /// Width of the x^ register the host writes (the x2 slot of each presynaptic axon).
    static let projectionBits = 32

    var name: String { LOCOProjection.name }
    var registerBits: Int { LOCOProjection.projectionBits }
    let clusters: Int
    let protoFrac: Int64
    let protoShift: Int64
    var counterBits = 8

    /// The host's state for one hidden connection: every block of a connection (one per core
    /// holding a slice of the postsynaptic layer) receives the same presynaptic spikes, so its
    /// counters, prototypes and x^ are the same on every core; the host reads the counters of
    /// the first block, projects once, and writes x^ to every block.
    struct Projection {
        /// Indices into the counted blocks of the connection's blocks, in core order.
        var members: [Int]
        /// k x nPre prototypes, row c at c * nPre (host memory).
        var protos: ContiguousArray<Int32>
        var used: Int32 = 0
    }
    var projections: [Projection] = []
    var step: HostStepID?

    init(arguments: [String: Int]) {
        clusters = arguments["clusters"] ?? 1
        protoFrac = Int64(arguments["protoFrac"] ?? 0)
        protoShift = Int64(arguments["protoShift"] ?? 0)
    }

    func attach(blocks: [CountedBlock], counterBits: Int, simulator sim: Simulator) throws {
        self.counterBits = counterBits
        projections = []
        for (i, b) in blocks.enumerated() {
            let connection = b.population.blocks[b.block].connection
            if let g = projections.firstIndex(where: { blocks[$0.members[0]].population.blocks[blocks[$0.members[0]].block].connection == connection }) {
                projections[g].members.append(i)
            } else {
                projections.append(Projection(members: [i], protos: ContiguousArray(repeating: 0, count: clusters * b.tally.count)))
            }
        }
        step = sim.hostSteps.declare(LOCOProjection.name,
            description: "per hidden connection and sample: read the presynaptic spike counts, pick the nearest of k prototypes (L1), move it, project the counts onto it (64-bit dot products, one division per axon), write x^ into the x2 registers of the connection's block on every core")
    }

    func run(blocks: [CountedBlock], simulator sim: Simulator) {
        for g in 0..<projections.count {
            let members = projections[g].members
            let first = blocks[members[0]]
            let l0 = first.population.learning!
            // The host's state moved out for the call (no overlapping access, no copy).
            var protos = ContiguousArray<Int32>(), used = projections[g].used
            swap(&protos, &projections[g].protos)
            let host = first.tally.withUnsafeBufferPointer { r in
                l0.pre[first.block].x2.withUnsafeMutableBufferPointer { x in
                    LOCOProjection.project(tally: r, protos: &protos, used: &used, clusters: clusters,
                                           protoFrac: protoFrac, protoShift: protoShift, xhat: x,
                                           counterBits: counterBits, destinations: members.count)
                }
            }
            swap(&protos, &projections[g].protos)
            projections[g].used = used
            let xhat = l0.pre[first.block].x2
            for m in members.dropFirst() { blocks[m].population.learning!.pre[blocks[m].block].x2 = xhat }
            sim.hostSteps.record(step!, host)
        }
    }

    /// Per hidden connection its 16-bit prototypes and the number in use.
    var stateRegisters: [RuleStateRegister] {
        projections.enumerated().flatMap { g, b in
            [RuleStateRegister("prototypes[\(g)]", signedBits: LOCOProjection.protoBits, values: b.protos),
             RuleStateRegister("prototypesUsed[\(g)]", range: 0...Int64(clusters), values: [Int64(b.used)])]
        }
    }

    func restore(_ r: RuleStateRegister) -> Bool {
        if let g = projections.indices.first(where: { r.name == "prototypes[\($0)]" }) {
            projections[g].protos = ContiguousArray(r.values.map { Int32($0) })
        } else if let g = projections.indices.first(where: { r.name == "prototypesUsed[\($0)]" }) {
            projections[g].used = Int32(r.values[0])
        } else {
            return false
        }
        return true
    }

    /// The host step's arithmetic for one block and sample (see the type's comment): updates
    /// `protos` / `used`, writes x^F into `xhat`, and returns what the host computed and moved.
    /// `destinations`: the blocks x^ is written to (each gets nPre x 4 bytes).
    static func project(tally: UnsafeBufferPointer<Int32>, protos: inout ContiguousArray<Int32>, used: inout Int32,
                        clusters: Int, protoFrac F: Int64, protoShift: Int64, xhat: UnsafeMutableBufferPointer<Int32>,
                        counterBits: Int = 8, destinations: Int = 1) -> HostStepCounts {
        let nPre = tally.count
        var h = HostStepCounts(executions: 1, bytesToHost: UInt64((nPre * counterBits + 7) / 8),
                               bytesToChip: UInt64(destinations * nPre * LOCOProjection.projectionBits / 8))
        h.intOps += UInt64(nPre)   // rF_j = r_j << F
        let winner: Int
        if Int(used) < clusters {
            winner = Int(used)
            for j in 0..<nPre { protos[winner * nPre + j] = tally[j] << Int32(F) }
            used += 1
        } else {
            var best = Int64.max, bestC = 0
            for cl in 0..<clusters {
                var d: Int64 = 0
                for j in 0..<nPre { d += abs(Int64(tally[j]) << F - Int64(protos[cl * nPre + j])) }
                if d < best { best = d; bestC = cl }
            }
            winner = bestC
            for j in 0..<nPre {
                let q = Int64(protos[winner * nPre + j])
                protos[winner * nPre + j] = Int32(q + ((Int64(tally[j]) << F - q) >> protoShift))
            }
            h.intOps += UInt64(3 * clusters * nPre + 3 * nPre)
            h.compares += UInt64(clusters)
        }
        // Projection onto the winning prototype.
        var num: Int64 = 0, den: Int64 = 0
        for j in 0..<nPre {
            let q = Int64(protos[winner * nPre + j])
            num += q * Int64(tally[j]); den += q * q
        }
        h.macs += UInt64(2 * nPre)
        h.compares += 1
        if den > 0 {
            for j in 0..<nPre { xhat[j] = Int32((num * Int64(protos[winner * nPre + j]) << F) / den) }
            h.intOps += UInt64(3 * nPre)
        } else {
            for j in 0..<nPre { xhat[j] = 0 }
        }
        return h
    }
}
