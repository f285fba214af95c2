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
}

extension LearningRule {
    public func beforeNeuronUpdate(core: Core, population: Population, aIn: UnsafeMutableBufferPointer<Int64>,
                                   context: StepContext, counts: inout ActionCounts) {}
    public func beginSample(simulator: Simulator, context: StepContext) {}
}

/// The learning state of one population: pre traces of each incoming block (the synapse's
/// view of its axon), post state of its neurons, and a plasticity unit of its core.
public final class PopulationLearning {
    public var pre: [PreSynapticTraces]
    public var post: PostSynapticState
    /// v before the reset, written by the neuron update (what ψ reads).
    public var preResetV: ContiguousArray<Int32>

    init(population: Population, rule: LearningRule) {
        pre = population.blocks.map { PreSynapticTraces(count: $0.nPre, x1: rule.preTraces.x1, x2: rule.preTraces.x2) }
        post = PostSynapticState(count: population.count, y1: rule.postTraces.y1, y2: rule.postTraces.y2, y3: rule.postTraces.y3)
        preResetV = ContiguousArray(repeating: 0, count: population.count)
    }

    public var memoryBytes: Int { pre.reduce(post.memoryBytes) { $0 + $1.memoryBytes } }

    public func reset() {
        for k in 0..<pre.count {
            pre[k].x1.zeroFill(); pre[k].x2.zeroFill(); pre[k].spikes.zeroFill()
        }
        post.y1.zeroFill(); post.y2.zeroFill(); post.y3.zeroFill(); post.spikes.zeroFill()
        post.modulator.zeroFill(); post.r0.zeroFill(); post.r1.zeroFill(); post.r2.zeroFill(); post.r3.zeroFill()
    }
}
