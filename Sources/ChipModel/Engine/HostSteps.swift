// Declared host steps: the part of a learning rule the modelled chip cannot do. A rule
// declares each such step by name when it attaches; every execution records what crossed the
// host link in each direction and what the host computed. These counts are kept apart from the
// chip's action counts (they are not chip actions and the chip's energy table does not price
// them): reports cost them with a host profile and show them on their own lines
// (docs/LEARNING.md, "Host steps").

/// What executions of one host step moved over the host link and computed on the host.
/// Operation classes follow the host profile's pricing (docs/COMPARE.md, "Host cost model"):
/// one operation per integer add / subtract / shift / multiply / divide / absolute value, one
/// per compare, two per multiply-accumulate.
public struct HostStepCounts: Equatable, Sendable {
    public var executions: UInt64 = 0
    /// Bytes chip -> host over the host link (read out of the chip).
    public var bytesToHost: UInt64 = 0
    /// Bytes host -> chip over the host link (written into the chip's registers).
    public var bytesToChip: UInt64 = 0
    /// Integer arithmetic operations (add, subtract, shift, multiply, divide, abs).
    public var intOps: UInt64 = 0
    /// Multiply-accumulates (64-bit integer dot-product terms).
    public var macs: UInt64 = 0
    /// Compares (argmin, tests).
    public var compares: UInt64 = 0

    public init(executions: UInt64 = 0, bytesToHost: UInt64 = 0, bytesToChip: UInt64 = 0,
                intOps: UInt64 = 0, macs: UInt64 = 0, compares: UInt64 = 0) {
        self.executions = executions; self.bytesToHost = bytesToHost; self.bytesToChip = bytesToChip
        self.intOps = intOps; self.macs = macs; self.compares = compares
    }

    public mutating func add(_ o: HostStepCounts) {
        executions += o.executions; bytesToHost += o.bytesToHost; bytesToChip += o.bytesToChip
        intOps += o.intOps; macs += o.macs; compares += o.compares
    }

    /// Bytes over the host link, both directions.
    public var linkBytes: UInt64 { bytesToHost + bytesToChip }
    /// Operations as a host profile prices them (one FLOP-equivalent each; a MAC is two).
    public var operations: UInt64 { intOps + 2 * macs + compares }

    /// Field names in the order of `values` (report.json and checkpoints use them).
    public static let fieldNames = ["executions", "bytesToHost", "bytesToChip", "intOps", "macs", "compares"]
    public var values: [UInt64] { [executions, bytesToHost, bytesToChip, intOps, macs, compares] }
    public init(values v: [UInt64]) {
        precondition(v.count == HostStepCounts.fieldNames.count)
        self.init(executions: v[0], bytesToHost: v[1], bytesToChip: v[2], intOps: v[3], macs: v[4], compares: v[5])
    }
}

/// One declared host step and its counts over the run.
public struct HostStepRecord: Equatable, Sendable {
    /// Stable name, "<rule>.<step>" (report.json key).
    public var name: String
    /// What the host does, in one sentence (shown in reports).
    public var description: String
    public var counts: HostStepCounts
    public init(name: String, description: String, counts: HostStepCounts = HostStepCounts()) {
        self.name = name; self.description = description; self.counts = counts
    }
}

/// Handle of a declared host step (index into the ledger).
public struct HostStepID: Hashable, Sendable {
    public let index: Int
}

/// The simulator's host steps, in declaration order. Only `record` adds to the counts.
public final class HostStepLedger {
    public private(set) var steps: [HostStepRecord] = []

    init() {}

    /// Declares a host step (idempotent by name: a second declaration returns the first's id).
    public func declare(_ name: String, description: String) -> HostStepID {
        if let i = steps.firstIndex(where: { $0.name == name }) { return HostStepID(index: i) }
        steps.append(HostStepRecord(name: name, description: description))
        return HostStepID(index: steps.count - 1)
    }

    /// Adds what one or more executions moved and computed.
    public func record(_ id: HostStepID, _ c: HostStepCounts) { steps[id.index].counts.add(c) }

    /// Sets every declared step's counts from `counts` by name, zero where absent (restoring a
    /// checkpoint, which has checked the names against the declared steps first).
    public func restore(_ counts: [String: HostStepCounts]) {
        for i in steps.indices { steps[i].counts = counts[steps[i].name] ?? HostStepCounts() }
    }

    public var isEmpty: Bool { steps.isEmpty }
}
