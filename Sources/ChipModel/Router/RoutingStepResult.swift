// What one routing phase produced, and the per-link totals accumulated over a run.

/// Result of `MeshRouter.drain()` for one timestep. Plain integers plus two derived ratios.
public struct RoutingStepResult: Equatable, Sendable {
    /// Packets injected this step (a multicast packet counts once).
    public var packets: Int = 0
    /// Flits injected (packets x their flit counts).
    public var flitsInjected: Int = 0
    /// (packet, destination) pairs delivered; a multicast packet to k cores counts k.
    public var deliveries: Int = 0
    /// Cycle, counted from the start of the routing phase, at which the last flit of the
    /// last packet arrived at its destination (0 when nothing was injected).
    public var drainCycles: Int = 0
    /// Flits delivered to a core on the source core's own tile (no hop): `.spikeLocal`.
    public var spikeLocal: UInt64 = 0
    /// Flit traversals of east-west links (including an east/west host port): `.hopEW`.
    public var hopEW: UInt64 = 0
    /// Flit traversals of north-south links (including a north/south host port): `.hopNS`.
    public var hopNS: UInt64 = 0
    /// Sum over link grants of the cycles a packet copy waited for a busy link.
    public var stallCycles: UInt64 = 0
    /// Largest per-link flit count this step, and the first link slot that has it (-1: none).
    public var maxLinkFlits: Int = 0
    public var hottestLink: Int = -1
    /// Over the existing links: max and mean of flits / drainCycles (0 when drain is 0).
    public var maxUtilisation: Double = 0
    public var meanUtilisation: Double = 0

    public init() {}

    /// Adds this step's network actions to a counter set.
    @inlinable
    public func add(to counts: inout ActionCounts) {
        counts.add(.spikeLocal, spikeLocal)
        counts.add(.hopEW, hopEW)
        counts.add(.hopNS, hopNS)
    }
}

/// Per-link usage over all steps drained since the last `resetTotals()`.
public struct LinkUsageReport: Equatable, Sendable {
    public var steps: Int
    /// Sum of drain cycles over the steps (the time the network was busy routing).
    public var drainCycles: UInt64
    /// Flit traversals over all links.
    public var linkFlits: UInt64
    /// Over the existing links: max and mean of totalFlits(link) / drainCycles.
    public var maxUtilisation: Double
    public var meanUtilisation: Double
    /// The link with the most flits (lowest slot index on ties), nil when no flit moved.
    public var hottest: LinkID?
    public var hottestFlits: UInt64

    public var json: JSONValue {
        .object([
            ("steps", .int(steps)), ("drainCycles", .uint(drainCycles)), ("linkFlits", .uint(linkFlits)),
            ("maxUtilisation", .double(maxUtilisation)), ("meanUtilisation", .double(meanUtilisation)),
            ("hottestLink", hottest.map { .string($0.description) } ?? .null),
            ("hottestLinkFlits", .uint(hottestFlits)),
        ])
    }
}

/// One delivery, recorded when `MeshRouter.recordDeliveries` is on (tests, traces).
public struct Delivery: Equatable, Sendable {
    /// Index of the packet in this step's injection order.
    public var packet: Int
    /// Destination core, or `MeshRouter.host`.
    public var core: Int
    /// Cycle at which the packet's last flit arrived there.
    public var cycle: Int
    public init(packet: Int, core: Int, cycle: Int) { self.packet = packet; self.core = core; self.cycle = cycle }
}
