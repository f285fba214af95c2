// A core's reducer: one pass over a vector of the core's neurons (a learning-phase buffer such
// as the top-down error G) giving its largest magnitude or its sum. gNormalise's
// block-floating-point shift needs max_i |G_i| of the core; the plasticity unit's lanes work
// per neuron and cannot compare across neurons, so this is a unit of its own.
//
// Parameters: cyclesPerElement (1: one element per cycle from the buffer).
// Counted actions: reduce.op, one per element visited. Its counters are private; the core
// aggregates them (`collect` then Core.recordLearning), like every learning unit's.
//
// Semantics (exact): maxMagnitude = max_i |x_i| as an unsigned 64-bit value (|Int64.min| =
// 2^63 is representable); sum = sum_i x_i saturated to the signed 64-bit range after every
// addition (a saturating accumulator: a sum that leaves the range sticks at its bound until
// an opposite addend brings it back).

public struct Reducer: Sendable {
    public static let cyclesPerElement = 1

    private var counted = ActionCounts()
    private var busyCycles: UInt64 = 0

    public init() {}

    /// max_i |x_i| (0 for an empty vector).
    public mutating func maxMagnitude(_ x: UnsafeBufferPointer<Int64>) -> UInt64 {
        var largest: UInt64 = 0
        for v in x { largest = Swift.max(largest, v.magnitude) }
        visit(x.count)
        return largest
    }

    /// sum_i x_i, saturating at each addition.
    public mutating func sum(_ x: UnsafeBufferPointer<Int64>) -> Int64 {
        var total: Int64 = 0
        for v in x {
            let (s, overflow) = total.addingReportingOverflow(v)
            total = overflow ? (v > 0 ? Int64.max : Int64.min) : s
        }
        visit(x.count)
        return total
    }

    private mutating func visit(_ n: Int) {
        counted.add(.reduceOp, UInt64(n))
        busyCycles += UInt64(n * Reducer.cyclesPerElement)
    }

    /// What the reducer counted and its cycles since the last collection (then cleared).
    public mutating func collect() -> (counts: ActionCounts, cycles: UInt64) {
        defer { counted = ActionCounts(); busyCycles = 0 }
        return (counted, busyCycles)
    }
}
