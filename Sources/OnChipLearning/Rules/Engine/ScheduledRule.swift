import ChipModel

// The schedule interpreter: a learning rule whose behaviour is a RuleSpec. It holds the
// engine's state (feedback synapses, the output core's registers, the noise source) and runs
// the spec's steps in order; each step is a generic hardware-step implementation
// (ScheduledRule+Steps.swift, +Noise, +TransposedDelivery, +Periods, +Host) that counts through
// the unit it names. Nothing here is specific to one rule: OPZO, DFA, readout-only, ZO_sp,
// MGD-NP, MGD-WP, fwd_grad, LOCO, STDP and R-STDP differ only in their spec files
// (configs/rules/); LOCO's host routine is host work by declaration (HostRoutines.swift).

public final class ScheduledRule: LearningRule {
    public let spec: RuleSpec
    public let values: RuleParameterValues
    public var name: String { spec.name }
    public var preTraces: (x1: TraceParameters, x2: TraceParameters) { (trace, .unused) }
    public var postTraces: (y1: TraceParameters, y2: TraceParameters, y3: TraceParameters) { (postTrace, .unused, .unused) }

    let trace: TraceParameters
    /// The postsynaptic trace y1 (the spec's traces.y1; unused when it declares none).
    let postTrace: TraceParameters
    let lossUnit: LossUnit
    /// A spec that could not be built (a broken built-in text): `attach` throws it.
    let deferredError: Error?

    // Timing and noise, resolved from the parameters.
    let learnFrom: Int
    let tEpoch: Int
    let noiseGaussian: Bool
    let noiseAmplitude: Int
    let holdNoise: Bool

    // The schedule with its static conditions applied.
    let neuronInputSteps: [RuleStepOperation]
    let sampleStartSteps: [RuleStepOperation]
    let learnSteps: [(timing: RuleStepTiming, operation: RuleStepOperation)]

    /// Programs assembled with the current parameter values (and learning-rate halvings).
    var programs: [String: MicrocodeProgram] = [:]
    /// Each program's `.const` values after substitution (the observer reads ETA).
    var programConstants: [String: [String: Int]] = [:]
    /// The learn schedule with names and numbers resolved (rebuilt with the programs).
    var compiled: [CompiledStep] = []
    var programList: [MicrocodeProgram] = []
    /// Hidden layers (in order) with their vth << 6, and the program lists of those whose
    /// threshold differs from the first hidden layer's or whose error delay is 2 or more (see
    /// assemblePrograms).
    var hiddenLayerThresholds: [(layer: Int, theta: Int)] = []
    var layerPrograms: [Int: [MicrocodeProgram]] = [:]
    var programETA: [Int] = []

    var outputLayer = 0
    var hiddenLayers: Set<Int> = []
    /// Feedback state per hidden population: its core, population, feedback block and pre state.
    struct Feedback { let core: Core; let population: Population; var block: SynapseBlock; var pre: PreSynapticTraces }
    var feedback: [Feedback] = []
    /// The conv2d blocks the rule learns (ScheduledRule+Conv.swift) and their programs' split forms.
    var sharedKernels: [(core: Core, population: Population, block: Int)] = []
    var kernelUpdates: [MicrocodeProgram: SharedKernelUpdate] = [:]
    /// Every hidden population with its core (feedback[i], when declared, belongs to hidden[i]).
    var hidden: [(core: Core, population: Population)] = []
    /// The cores holding hidden populations, in order (one entry per run of populations on a core).
    var hiddenCores: [Int] = []
    var outputs: [(core: Core, population: Population)] = []
    /// One unit run's counters before the core records them (cleared, not reallocated, per run).
    var scratch = ActionCounts()
    /// Learning cycles per core within one step (kept between steps so no table is allocated per step).
    var coreCycles: [Int: UInt64] = [:]
    var noiseKey = RandomKey(seed: 0, stream: .neuronNoise)
    var seed: UInt64 = 0
    var hiddenThreshold = 0
    /// "@errorDelay" while programs are assembled: 1 for the shared list, d for a layer's copy.
    var errorDelay = 1
    /// The largest hidden layer's error delay (the first hidden layer's).
    var maxErrorDelay = 1
    var o: [Int32] = []
    /// The output summed over the learning epoch (output core registers, 32-bit saturating).
    var oSum: [Int32] = []
    var e: [Int32] = []
    var gBuffer: [Int64] = []
    /// Graded noise sums of one population (reused every step).
    var gradedSums: [Int64] = []
    /// The loss baseline b (the output core's 64-bit accumulator) and this step's L - b.
    var lossBaseline: Int64 = 0
    var lossDelta: Int64 = 0
    /// Whether the loss unit evaluated the error this step (the cost then reuses its softmax).
    var errorEvaluated = false
    /// Held noise of each hidden layer for the current learning epoch (the neurons' registers).
    var heldNoise: [Int: ContiguousArray<Int64>] = [:]
    /// Weight perturbation's blocks, periods and registers (ScheduledRule+Periods.swift).
    var perturbation = PerturbationState()
    /// Per-sample cost, spike counters and host routines (ScheduledRule+Host.swift): the cost
    /// summed over the sample, samples whose mean cost was taken, cycles the phase waits for
    /// serially, the counted hidden blocks, their counter width and the routines called.
    var costSum: Int64 = 0
    var costsSeen: Int32 = 0
    var usesMeanCost = false
    var serialCycles: UInt64 = 0
    var counted: [CountedBlock] = []
    var counterBits = 0
    var hostCalls: [HostRoutine] = []

    /// Test and check hook (nil in runs): called after each forward-weight update of a block
    /// with the factors the program used. `chipsim gradcheck CONFIG` compares the update with
    /// its float formula.
    public var observeForwardUpdate: ((ForwardUpdateObservation) -> Void)?

    /// The parameters that are learning-rate shifts.
    let learningRates: Set<String>

    /// Learning-rate halvings in force (added to every learning-rate parameter, capped at 31).
    public private(set) var etaOffset = 0

    public init(spec: RuleSpec, values: RuleParameterValues, deferredError: Error? = nil) {
        self.spec = spec
        self.values = values
        self.deferredError = deferredError
        learningRates = Set(spec.parameters.filter(\.learningRate).map(\.name))
        trace = spec.traceCondition.map { !$0.holds(values) } == true ? .unused : (try? values[spec.traceParameter].map { try TraceConfig.decode(JSONReader($0, file: spec.file, path: "$"), default: .unused) } ?? nil) ?? .unused
        postTrace = (try? spec.postTraceParameter.flatMap { values[$0] }.map { try TraceConfig.decode(JSONReader($0, file: spec.file, path: "$"), default: .unused) } ?? nil) ?? .unused
        lossUnit = LossUnit((try? values[spec.lossParameter].map { try RuleParameter.loss(from: JSONReader($0, file: spec.file, path: "$"), default: LossUnitParameters()) } ?? nil) ?? LossUnitParameters())
        func number(_ n: RuleNumber) -> Int {
            switch n {
            case let .literal(x): return x
            case let .parameter(p): return values.int(p)
            case .network: return 0
            }
        }
        learnFrom = number(spec.learnFrom)
        tEpoch = max(1, number(spec.epoch))
        if let n = spec.noiseSource {
            let d = n.distribution.hasPrefix("$") ? values.string(String(n.distribution.dropFirst())) : n.distribution
            noiseGaussian = d == "gaussian"
            noiseAmplitude = number(n.amplitude)
            holdNoise = number(n.hold) != 0
        } else {
            noiseGaussian = false; noiseAmplitude = 0; holdNoise = false
        }
        func enabled(_ s: RuleStep) -> Bool { s.condition?.holds(values) ?? true }
        func filtered(_ op: RuleStepOperation) -> RuleStepOperation {
            guard case let .send(fromOutput, items) = op else { return op }
            return .send(fromOutput: fromOutput, values: items.filter { $0.condition?.holds(values) ?? true })
        }
        neuronInputSteps = spec.neuronInput.filter(enabled).map(\.operation)
        sampleStartSteps = spec.sampleStart.filter(enabled).map(\.operation)
        learnSteps = spec.learn.filter(enabled).map { ($0.timing, filtered($0.operation)) }
    }

    /// The value of a number in the spec: learning-rate parameters include the halvings in force.
    func resolve(_ n: RuleNumber) -> Int {
        switch n {
        case let .literal(x): return x
        case let .parameter(p):
            let v = values.int(p)
            return learningRates.contains(p) ? min(31, v + etaOffset) : v
        case let .network(name):
            switch name {
            case "outputs": return o.count
            case "errorDelay": return errorDelay
            case "layerRate", "cleanMin", "cleanMax", "roundingHalf": return perturbationProperty(name)
            default: return hiddenThreshold
            }
        }
    }

    public func setEtaOffset(_ k: Int) throws {
        guard k != etaOffset else { return }
        etaOffset = k
        try assemblePrograms()
    }

    func assemblePrograms() throws {
        for (name, p) in spec.programs {
            let text = try RuleSpec.substitute(p.source, file: spec.file, path: "$.programs.\(name)", parameters: spec.parameters, value: resolve)
            programs[name] = try p.assemble(text)
            var constants: [String: Int] = [:]
            for line in text.split(separator: "\n") {
                let words = line.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\t" })
                if words.count >= 3, words[0] == ".const", let v = Int(words[2]) { constants[String(words[1])] = v }
            }
            programConstants[name] = constants
        }
        // "@hiddenThreshold" is each hidden layer's own vth << 6 and "@errorDelay" its error
        // delay d = outputLayer - layer: a hidden layer whose threshold differs from the first
        // hidden layer's, or whose d is 2 or more, gets its own copy of every program (in the
        // same order as programList; with d >= 2 the spec's delayedPrograms replace theirs), so
        // its surrogate window is centred on its own threshold and its psi history is d deep.
        // The shared list (output and the last hidden layer) is assembled with d = 1.
        layerPrograms = [:]
        let first = hiddenThreshold
        defer { hiddenThreshold = first; errorDelay = 1 }
        for (layer, theta) in hiddenLayerThresholds {
            let d = outputLayer - layer
            guard theta != first || d != 1 else { continue }
            hiddenThreshold = theta
            errorDelay = d
            var list: [MicrocodeProgram] = []
            for name in spec.programs.keys.sorted() {
                let delayed = d >= 2 ? spec.delayedPrograms[name] : nil
                let p = delayed ?? spec.programs[name]!
                let path = delayed == nil ? "$.programs.\(name)" : "$.delayedPrograms.\(name)"
                let text = try RuleSpec.substitute(p.source, file: spec.file, path: path, parameters: spec.parameters, value: resolve)
                list.append(try p.assemble(text))
            }
            layerPrograms[layer] = list
        }
        try assemblePerturbedPrograms()
        compileSchedule()
    }

    public func attach(to sim: Simulator) throws {
        if let deferredError { throw deferredError }
        let chip = sim.chip
        seed = chip.config.seed
        noiseKey = RandomKey(seed: seed, stream: .neuronNoise)
        outputLayer = chip.layers.count - 1
        let m = chip.layers[outputLayer].size
        guard m < 1 << 17 else {
            // g = M e sums m products below 2^46 in 64 bits (TransposedDelivery).
            throw ChipError.config(file: chip.config.file, path: "$.network.layers[\(outputLayer)].size",
                                   message: "an output layer of \(m) neurons is too large for the error-broadcast rules (at most 131071)")
        }
        o = [Int32](repeating: 0, count: m); e = o; oSum = o
        hiddenLayers = Set(chip.layers.indices.filter { !chip.layers[$0].isInput && $0 != outputLayer })
        let hiddenInOrder = chip.layers.indices.filter { hiddenLayers.contains($0) }
        let vth = hiddenInOrder.map { chip.layers[$0].neuron.parameters.vth }.first ?? 0
        hiddenThreshold = vth << 6
        hiddenLayerThresholds = hiddenInOrder.map { ($0, chip.layers[$0].neuron.parameters.vth << 6) }
        maxErrorDelay = hiddenInOrder.first.map { outputLayer - $0 } ?? 1
        // A psi history of d bits plus the new psi fits r0's 31 value bits.
        if maxErrorDelay > 30 && !spec.delayedPrograms.isEmpty {
            throw ChipError.config(file: chip.config.file, path: "$.network.layers",
                                   message: "\(hiddenInOrder.count) hidden layers: the first is \(maxErrorDelay) steps from the readout; \(spec.name)'s delayed programs keep at most 30 steps of history")
        }
        if spec.perturbation != nil { try preparePerturbation(sim) }
        try assemblePrograms()
        for core in chip.cores {
            for pop in core.populations {
                if pop.layer == outputLayer { outputs.append((core, pop)) }
                guard hiddenLayers.contains(pop.layer) else { continue }
                hidden.append((core, pop))
                guard let f = spec.feedback else { continue }
                let rows = resolve(f.rows), bits = resolve(f.bits), scale = resolve(f.initScale)
                var block = SynapseBlock(nPre: rows, nPost: pop.count, weightBits: 1, auxBits: bits)
                if scale > 0 {
                    // Random feedback (DFA's fixed M, OPZO's initial M), keyed by
                    // (seed, layer, output k, global neuron): uniform in [-scale, scale].
                    let key = RandomKey(seed: seed, stream: .weightInit).with(-2).with(pop.layer)
                    let span = UInt64(2 * scale + 1)
                    for k in 0..<rows {
                        for j in 0..<pop.count {
                            let r = ((key.draw(k << 24 + pop.firstNeuron + j) >> 32) * span) >> 32
                            block.aux[k * pop.count + j] = Int32(Int(r) - scale)
                        }
                    }
                }
                let limit = chip.config.chip.core.synapseMemoryBytes
                let used = core.synapseBytes + feedback.filter { $0.core === core }.reduce(0) { $0 + $1.block.bytes } + block.bytes
                if used > limit {
                    throw ChipError.capacity(message: "layer '\(chip.layers[pop.layer].name)' on core \(core.id): \(spec.name) feedback synapses (\(rows) x \(pop.count), \(bits)-bit) need \(block.bytes) bytes more; the core would hold \(used) bytes of synapse memory, chip.core.synapseMemoryBytes is \(limit)")
                }
                feedback.append(Feedback(core: core, population: pop, block: block,
                                         pre: PreSynapticTraces(count: rows, x1: .unused, x2: .unused)))
            }
        }
        guard !outputs.isEmpty else { throw ChipError.config(file: chip.config.file, path: "$.learning", message: "the network has no output layer on a core") }
        hiddenCores = []
        for h in hidden where hiddenCores.last != h.core.id { hiddenCores.append(h.core.id) }
        try attachSharedKernels(chip)
        // Steps that read the feedback block as output x hidden need one row per output.
        if let f = spec.feedback, resolve(f.rows) != m {
            for s in spec.learn where s.condition?.holds(values) ?? true {
                switch s.operation {
                case .receive, .deliverTransposed:
                    throw ChipError.config(file: spec.file, path: s.path, message: "needs a feedback block with one row per output (\"rows\": \"@outputs\"); it has \(resolve(f.rows)) rows for \(m) outputs")
                default: continue
                }
            }
        }
        try attachHostSteps(sim)
    }

    /// Feedback blocks' bytes (for the memory report).
    public var feedbackBytes: Int { feedback.reduce(0) { $0 + $1.block.bytes } }

    /// Whether this step ends a learning epoch (always true at a sample's last step).
    @inline(__always)
    func epochEnds(_ context: StepContext) -> Bool {
        (context.step + 1) % tEpoch == 0 || context.step == context.stepsPerSample - 1
    }

    public func beginSample(simulator: Simulator, context: StepContext) {
        for op in sampleStartSteps {
            switch op {
            case .sendLabel:
                // The host sends the label to the output core(s): one byte each.
                simulator.sendLabel(toCores: outputs.count)
            case .drawSigns: drawSigns(context)
            case let .clear(value): clear(value)
            case let .runPerturbed(program, _): beginPeriod(program: program, context: context)
            default: continue
            }
        }
    }

    public func beforeNeuronUpdate(core: Core, population: Population, aIn: UnsafeMutableBufferPointer<Int64>,
                                   context: StepContext, counts: inout ActionCounts) {
        for op in neuronInputSteps {
            switch op {
            case .injectNoise: injectNoise(population: population, aIn: aIn, context: context, counts: &counts)
            case .deliverGradedNoise: deliverGradedNoise(population: population, aIn: aIn, context: context, counts: &counts)
            case let .injectRegister(scale): injectRegister(population: population, aIn: aIn, scale: resolve(scale))
            default: continue
            }
        }
    }

    public func learn(simulator sim: Simulator, context: StepContext) -> UInt64 {
        coreCycles.removeAll(keepingCapacity: true)
        errorEvaluated = false
        serialCycles = 0
        let learning = context.step >= learnFrom
        let lastBurnIn = context.step == learnFrom - 1
        // Burn-in steps before learnFrom: a hidden layer with error delay d runs
        // errorDelayBurnIn steps when learnFrom - step <= d.
        let burnInDistance = learnFrom - context.step
        let delayBurnIn = burnInDistance >= 1 && burnInDistance <= maxErrorDelay
        let epochEnd = learning && epochEnds(context)
        let period = perturbation.period > 0 ? periodTiming(context) : PeriodTiming()
        func due(_ t: RuleStepTiming) -> Bool {
            switch t {
            case .always: return true
            case .learning: return learning
            case .lastBurnInStep: return lastBurnIn
            case .errorDelayBurnIn: return delayBurnIn
            case .epochEnd: return epochEnd
            case .periodEnd: return period.end
            case .updateEnd: return period.update
            case .periodEndNoUpdate: return period.end && !period.update
            case .nextPeriod: return period.next
            case .sampleEnd: return context.step == context.stepsPerSample - 1
            }
        }
        var drains: UInt64 = 0
        // Cycles of phases closed by controller.sync, and a sample's first period's codes.
        var synced = perturbation.pendingCycles
        perturbation.pendingCycles = 0
        for step in compiled where due(step.timing) {
            switch step.operation {
            case .lossError: evaluateError(context)
            case let .lossCost(shift): evaluateCost(context, baselineShift: shift)
            case let .run(program, target, key, factor):
                run(program, on: target, key: key, factor: factor, step: context.globalStep,
                    minimumDelay: step.timing == .errorDelayBurnIn ? burnInDistance : 0)
            case .accumulateOutput: accumulateOutput()
            case .clearOutputSum: for k in 0..<oSum.count { oSum[k] = 0 }
            case let .scaleNoise(shift, noise): scaleNoise(context, shift: shift, noise: noise)
            case let .send(fromOutput, always, learningValues, burnIn, epochValues):
                let active = always + (learning ? learningValues : 0) + (lastBurnIn ? burnIn : 0) + (epochEnd ? epochValues : 0)
                if active > 0 { send(sim, fromOutput: fromOutput, perNeuron: active) }
            case .broadcast: broadcast(sim)
            case .drain: drains += sim.drainLearningPackets()
            case let .regenerateNoise(noise): regenerateNoise(context, noise: noise)
            case let .receive(outputSum): receive(outputSum ? oSum : o)
            case let .deliverTransposed(shift, normalise):
                deliverTransposed(shift: shift, normalise: normalise, synopCycles: sim.chip.config.chip.timing.synopCycles)
            case let .periodCost(shift): periodCost(baselineShift: shift)
            case .broadcastPerturbed: broadcastPerturbed(sim)
            case .sync:
                synced += coreCycles.values.max() ?? 0
                coreCycles.removeAll(keepingCapacity: true)
            case let .runPerturbed(program, next):
                runPerturbed(program, period: next ? context.globalStep + 1 : period.start, step: next ? context.globalStep + 1 : context.globalStep)
            case let .clear(value): clear(value)
            case .accumulateCost: accumulateCost(context)
            case let .meanCost(shift): meanCost(context, baselineShift: shift)
            case let .countSpikes(bits): countSpikes(bits: bits)
            case let .scaleRegister(shift): scaleRegister(shift: shift)
            case let .callHost(index): callHost(index, simulator: sim)
            case let .reward(correct, wrong, perNeuron, every):
                reward(sim, context: context, correct: correct, wrong: wrong, perNeuron: perNeuron, everyPopulation: every)
            }
        }
        return synced + (coreCycles.values.max() ?? 0) + drains + serialCycles
    }
}

extension ActionCounts {
    /// Every count back to 0, keeping the storage.
    mutating func clear() {
        values.withUnsafeMutableBufferPointer { v in for i in 0..<v.count { v[i] = 0 } }
    }
}
