// A learning rule is microcode programs plus a schedule (what is broadcast when); it is not a
// branch inside the engine. The engine calls a rule at two points of a timestep:
//   - before each population's neuron update, with the dendritic input a_in (noise injection);
//   - in the learning phase (phase 4), after spikes have been routed and the learning state
//     (pre spike flags and traces, post spike flags, u, pre-reset v, traces) is up to date.
// The rule runs its programs on the cores' plasticity units, sends its packets through the
// simulator (so hops and cycles are counted like spikes), and returns the phase's cycles.

/// Where the run is: which sample, which step, the label (known to the host), training or not.
public struct StepContext: Sendable {
    public var sample: Int
    public var step: Int
    public var stepsPerSample: Int
    /// Chip steps since the start of the run (keys of per-step random draws).
    public var globalStep: Int
    public var label: Int?
    /// Regression targets (units of 2^-14), known to the host like the label; nil for classification.
    public var target: [Int32]?
    public var training: Bool
    public init(sample: Int, step: Int, stepsPerSample: Int, globalStep: Int, label: Int?, target: [Int32]? = nil, training: Bool) {
        self.sample = sample; self.step = step; self.stepsPerSample = stepsPerSample
        self.globalStep = globalStep; self.label = label; self.target = target; self.training = training
    }
}

public protocol LearningRule: AnyObject {
    var name: String { get }
    /// Trace parameters the rule needs for pre (x1, x2) and post (y1..y3) traces.
    var preTraces: (x1: TraceParameters, x2: TraceParameters) { get }
    var postTraces: (y1: TraceParameters, y2: TraceParameters, y3: TraceParameters) { get }
    /// Called once after the chip is built (learning state allocated): create feedback blocks,
    /// aux registers, programs; throw if it does not fit.
    func attach(to simulator: Simulator) throws
    /// Adds to a_in before the neuron update of one population (e.g. OPZO's noise). The rule
    /// counts what it does into `counts`.
    func beforeNeuronUpdate(core: Core, population: Population, aIn: UnsafeMutableBufferPointer<Int64>,
                            context: StepContext, counts: inout ActionCounts)
    /// The learning phase: returns its cycles (slowest core, including packet drain).
    func learn(simulator: Simulator, context: StepContext) -> UInt64
    /// Called at the start of each sample (e.g. to reset per-sample accumulators).
    func beginSample(simulator: Simulator, context: StepContext)
    /// Whether the rule handles networks with shaped (conv, pooling, one-to-one) connections;
    /// if not, attaching it to one is refused (default false).
    var trainsShapedNetworks: Bool { get }
}

extension LearningRule {
    public var trainsShapedNetworks: Bool { false }
    public func beforeNeuronUpdate(core: Core, population: Population, aIn: UnsafeMutableBufferPointer<Int64>,
                                   context: StepContext, counts: inout ActionCounts) {}
    public func beginSample(simulator: Simulator, context: StepContext) {}
}

/// The learning state of one population: pre traces of each incoming block (the synapse's
/// view of its axon), post state of its neurons, and a plasticity unit of its core.
public final class PopulationLearning {
    public var pre: [PreSynapticTraces]
    /// Pre traces of each shaped (conv) block, indexed by the presynaptic layer's neuron: empty
    /// (count 0, nothing updated or counted) until a rule learns that block's kernel.
    public var convPre: [PreSynapticTraces]
    /// The input axons of each learned conv block on this core (what its traces occupy in SRAM).
    public private(set) var convAxons: [Int]
    let convTraceParameters: (x1: TraceParameters, x2: TraceParameters)
    public var post: PostSynapticState
    /// v before the reset, written by the neuron update (what ψ reads).
    public var preResetV: ContiguousArray<Int32>

    init(population: Population, rule: LearningRule) {
        pre = population.blocks.map { PreSynapticTraces(count: $0.nPre, x1: rule.preTraces.x1, x2: rule.preTraces.x2) }
        convTraceParameters = rule.preTraces
        convPre = population.convBlocks.map { _ in PreSynapticTraces(count: 0, x1: rule.preTraces.x1, x2: rule.preTraces.x2) }
        convAxons = population.convBlocks.map { _ in 0 }
        post = PostSynapticState(count: population.count, y1: rule.postTraces.y1, y2: rule.postTraces.y2, y3: rule.postTraces.y3)
        preResetV = ContiguousArray(repeating: 0, count: population.count)
    }

    /// Traces of conv block `k`'s presynaptic layer (`inputSize` of them, indexed by neuron; the
    /// core holds `axons`, its input axons: the others never receive a spike and stay 0).
    func enableConvTraces(block k: Int, inputSize: Int, axons: Int) {
        guard convPre[k].count == 0 else { return }
        convAxons[k] = axons
        convPre[k] = PreSynapticTraces(count: inputSize, x1: convTraceParameters.x1, x2: convTraceParameters.x2)
    }

    public var memoryBytes: Int {
        var bytes = pre.reduce(post.memoryBytes) { $0 + $1.memoryBytes }
        for k in convPre.indices where convPre[k].count > 0 {
            // Counted per input axon of the core (the traces of other neurons never change).
            let p = convPre[k]
            let perAxon = 1 + p.x1Parameters.bits + (p.x2Parameters == .unused ? 0 : p.x2Parameters.bits)
            bytes += (convAxons[k] * perAxon + 7) / 8
        }
        return bytes
    }

    public func reset() {
        for k in 0..<pre.count {
            pre[k].x1.zeroFill(); pre[k].x2.zeroFill(); pre[k].spikes.zeroFill()
        }
        for k in 0..<convPre.count {
            convPre[k].x1.zeroFill(); convPre[k].x2.zeroFill(); convPre[k].spikes.zeroFill()
        }
        post.y1.zeroFill(); post.y2.zeroFill(); post.y3.zeroFill(); post.spikes.zeroFill()
        post.modulator.zeroFill(); post.r0.zeroFill(); post.r1.zeroFill(); post.r2.zeroFill(); post.r3.zeroFill()
    }
}
