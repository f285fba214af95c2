/// Host operation counts of the float twin, incremented inside the kernels (not estimated).
/// Conventions (docs/TWIN.md): one FLOP per float add, multiply, compare or exp/log;
/// a fused a*x+y counts 2. Bytes are weight-memory traffic: 4 per weight-sized float read
/// plus 4 per write (weights, gradient accumulators, optimiser moments, feedback matrices),
/// the part that does not fit in cache for the reference network; neuron-state vectors are
/// treated as cache-resident and not counted.
public enum TwinOp: Int, CaseIterable, Sendable {
    case encode            // input Bernoulli comparisons
    case synapse           // forward weight accumulation
    case neuron            // LIF / readout updates
    case trace             // presynaptic traces
    case noise             // noise injection
    case loss              // loss and output error
    case feedback          // top-down error g = M e or W^T delta
    case feedbackUpdate    // OPZO momentum update of M
    case plasticity        // gradient outer products
    case backward          // BPTT backward pass through neurons
    case optimiser         // SGD / Adam step
    public var name: String {
        switch self {
        case .encode: return "encode"; case .synapse: return "synapse"; case .neuron: return "neuron"
        case .trace: return "trace"; case .noise: return "noise"; case .loss: return "loss"
        case .feedback: return "feedback"; case .feedbackUpdate: return "feedbackUpdate"
        case .plasticity: return "plasticity"; case .backward: return "backward"; case .optimiser: return "optimiser"
        }
    }
}

public struct TwinOpCounts: Equatable, Sendable {
    public var flops = [UInt64](repeating: 0, count: TwinOp.allCases.count)
    public var bytes = [UInt64](repeating: 0, count: TwinOp.allCases.count)
    public var prngDraws: UInt64 = 0
    public init() {}

    @inline(__always)
    public mutating func add(_ op: TwinOp, flops f: Int, bytes b: Int = 0) {
        flops[op.rawValue] &+= UInt64(f); bytes[op.rawValue] &+= UInt64(b)
    }
    public func flops(_ op: TwinOp) -> UInt64 { flops[op.rawValue] }
    public func bytes(_ op: TwinOp) -> UInt64 { bytes[op.rawValue] }
    public var totalFlops: UInt64 { flops.reduce(0, &+) }
    public var totalBytes: UInt64 { bytes.reduce(0, &+) }
    public static func + (a: TwinOpCounts, b: TwinOpCounts) -> TwinOpCounts {
        var r = a
        for i in 0..<r.flops.count { r.flops[i] &+= b.flops[i]; r.bytes[i] &+= b.bytes[i] }
        r.prngDraws &+= b.prngDraws
        return r
    }
}
