import ChipModel

/// A checkpoint decoded and validated against a freshly built simulator, rule and trainer of
/// the same config, ready to apply. Decoding never changes the simulator; every failure is a
/// ChipError naming the JSON path and what was expected (see Checkpoint for the checks).
struct CheckpointState {
    struct BlockState { var weights: ContiguousArray<Int16>; var aux: ContiguousArray<Int32> }
    struct PopulationState {
        var u: ContiguousArray<Int32>; var v: ContiguousArray<Int32>; var refractory: ContiguousArray<Int32>
        var blocks: [BlockState]
    }
    struct CoreState { var counts: PhaseCounts; var busy: [UInt64]; var populations: [PopulationState] }

    var cores: [CoreState] = []
    var registers: [RuleStateRegister] = []
    var totals: Simulator.Totals
    var epochs: [EpochMetrics] = []
    /// Counts of the declared host steps by name (empty: the checkpoint has none; they restart at 0).
    var hostSteps: [String: HostStepCounts] = [:]
    /// A mid-epoch checkpoint's epoch in progress (nil: written at an epoch's end).
    var inProgress: EpochProgress?

    func apply(trainer: Trainer, rule: TrainableRule) {
        let sim = trainer.simulator
        for (core, c) in zip(sim.chip.cores, cores) {
            core.restoreCounters(c.counts)
            core.busyCycles = c.busy
            for (pop, p) in zip(core.populations, c.populations) {
                pop.state.u = p.u; pop.state.v = p.v; pop.state.refractoryLeft = p.refractory
                for (k, b) in p.blocks.enumerated() { pop.blocks[k].weights = b.weights; pop.blocks[k].aux = b.aux }
            }
        }
        rule.restoreState(registers)
        sim.restore(totals)
        sim.hostSteps.restore(hostSteps)
        trainer.restore(epochs: epochs, inProgress: inProgress)
    }

    /// Reads checkpoint values with their JSON paths.
    struct Reader {
        let file: String

        func fail(_ path: String, _ message: String) -> ChipError { ChipError.config(file: file, path: path, message: message) }

        func member(_ v: JSONValue, _ key: String, _ path: String) throws -> JSONValue {
            guard case .object = v else { throw fail(path, "expected an object, found \(v.typeName)") }
            guard let m = v[key] else { throw fail("\(path).\(key)", "missing") }
            return m
        }

        func array(_ v: JSONValue, _ path: String, count: Int? = nil) throws -> [JSONValue] {
            guard case let .array(a) = v else { throw fail(path, "expected an array, found \(v.typeName)") }
            if let count, a.count != count { throw fail(path, "expected \(count) entries, found \(a.count)") }
            return a
        }

        func int(_ v: JSONValue, _ path: String, range: ClosedRange<Int64>) throws -> Int64 {
            guard case let .number(_, text) = v else { throw fail(path, "expected an integer, found \(v.typeName)") }
            guard let i = Int64(text) else { throw fail(path, "expected an integer of at most 64 bits, found \(text)") }
            guard range.contains(i) else { throw fail(path, "\(i) is out of range; expected \(range.lowerBound)...\(range.upperBound)") }
            return i
        }

        func ints(_ v: JSONValue, _ path: String, count: Int, range: ClosedRange<Int64>, what: String = "value") throws -> [Int64] {
            let a = try array(v, path, count: count)
            var out = [Int64](); out.reserveCapacity(count)
            for (k, x) in a.enumerated() {
                guard case let .number(_, text) = x, let i = Int64(text) else {
                    throw fail("\(path)[\(k)]", "expected an integer, found \(x.typeName == "a number" ? (x.numberText ?? "") : x.typeName)")
                }
                guard range.contains(i) else { throw fail("\(path)[\(k)]", "\(what) \(i) is outside \(range.lowerBound)...\(range.upperBound)") }
                out.append(i)
            }
            return out
        }

        func counter(_ v: JSONValue, _ key: String, _ path: String) throws -> UInt64 {
            UInt64(try int(try member(v, key, path), "\(path).\(key)", range: 0...Int64.max))
        }

        func counters(_ v: JSONValue, _ path: String, count: Int) throws -> [UInt64] {
            try ints(v, path, count: count, range: 0...Int64.max, what: "counter").map { UInt64($0) }
        }

        func phaseCounts(_ v: JSONValue, _ path: String) throws -> PhaseCounts {
            var pc = PhaseCounts()
            for (k, ph) in try array(v, path, count: Phase.count).enumerated() {
                pc.byPhase[k].values = try counters(ph, "\(path)[\(k)]", count: Action.count)
            }
            return pc
        }

        func actions(_ v: JSONValue, _ path: String) throws -> ActionCounts {
            var a = ActionCounts(); a.values = try counters(v, path, count: Action.count)
            return a
        }

        func fraction(_ v: JSONValue, _ path: String, max: Double) throws -> Double {
            guard case let .number(x, text) = v else { throw fail(path, "expected a number, found \(v.typeName)") }
            guard x.isFinite, x >= 0, x <= max else { throw fail(path, "\(text) is out of range; expected 0...\(max)") }
            return x
        }
    }

    static func decode(_ root: JSONValue, file: String, trainer: Trainer, rule: TrainableRule, config: String) throws -> CheckpointState {
        let r = Reader(file: file)
        let sim = trainer.simulator
        // 1. Version, checksum, config identity.
        let version = try r.int(try r.member(root, "version", "$"), "$.version", range: Int64.min...Int64.max)
        guard version == Checkpoint.version else {
            throw r.fail("$.version", "checkpoint version \(version) is not \(Checkpoint.version); start again without --resume")
        }
        guard case let .string(sum) = try r.member(root, "checksum", "$") else { throw r.fail("$.checksum", "expected a string") }
        guard Checkpoint.sealed(root)["checksum"] == .string(sum) else {
            throw r.fail("$.checksum", "the checkpoint is damaged (its FNV-1a 64 checksum does not match its content); start again without --resume")
        }
        guard case .string(config)? = root["config"] else {
            throw r.fail("$.config", "the checkpoint was written for a different config; resume with the same config, or start again without --resume")
        }
        guard case .string(FNV1a64.hex(config))? = root["configHash"] else {
            throw r.fail("$.configHash", "expected \(FNV1a64.hex(config)), the FNV-1a 64 hash of the config")
        }
        // 2. Cores: counters, neuron state, synapse blocks, against the built network.
        let coresJ = try r.array(try r.member(root, "cores", "$"), "$.cores", count: sim.chip.cores.count)
        var cores: [CheckpointState.CoreState] = []
        let uRange = RuleStateRegister.signedRange(bits: NeuronWidths.current)
        let vMax = Int64(1) << (NeuronWidths.voltage - 1) - 1
        for (ci, cj) in coresJ.enumerated() {
            let core = sim.chip.cores[ci], cp = "$.cores[\(ci)]"
            var counts = try r.phaseCounts(try r.member(cj, "counts", cp), cp + ".counts")
            if let g = cj["gradedNonzeroProducts"] {
                for (k, n) in try r.counters(g, cp + ".gradedNonzeroProducts", count: Phase.count).enumerated() {
                    counts.byPhase[k].gradedNonzeroProducts = n
                }
            }
            let busy = try r.counters(try r.member(cj, "busy", cp), cp + ".busy", count: Phase.count)
            let popsJ = try r.array(try r.member(cj, "populations", cp), cp + ".populations", count: core.populations.count)
            var pops: [PopulationState] = []
            for (pi, pj) in popsJ.enumerated() {
                let p = core.populations[pi], pp = "\(cp).populations[\(pi)]", n = p.count
                let u = try r.ints(try r.member(pj, "u", pp), pp + ".u", count: n, range: uRange, what: "current u")
                let v = try r.ints(try r.member(pj, "v", pp), pp + ".v", count: n, range: -vMax...vMax, what: "voltage v")
                let rf = try r.ints(try r.member(pj, "refractory", pp), pp + ".refractory", count: n,
                                    range: 0...Int64(NeuronWidths.refractoryMax), what: "refractory counter")
                let blocksJ = try r.array(try r.member(pj, "blocks", pp), pp + ".blocks", count: p.blocks.count)
                var blocks: [BlockState] = []
                for (bi, bj) in blocksJ.enumerated() {
                    let b = p.blocks[bi], bp = "\(pp).blocks[\(bi)]"
                    // Weights must lie within the block's width (delivery's exactness relies on it).
                    let wr = Int64(FixedPoint.signedMin(bits: b.weightBits))...Int64(FixedPoint.signedMax(bits: b.weightBits))
                    let w = try r.ints(try r.member(bj, "w", bp), bp + ".w", count: b.weights.count, range: wr,
                                       what: "weight (the block's \(b.weightBits)-bit range)")
                    let aux = try r.ints(try r.member(bj, "aux", bp), bp + ".aux", count: b.aux.count,
                                         range: RuleStateRegister.signedRange(bits: max(1, b.auxBits)),
                                         what: "aux register (\(b.auxBits)-bit)")
                    blocks.append(BlockState(weights: ContiguousArray(w.map { Int16($0) }), aux: ContiguousArray(aux.map { Int32($0) })))
                }
                pops.append(PopulationState(u: ContiguousArray(u.map { Int32($0) }), v: ContiguousArray(v.map { Int32($0) }),
                                            refractory: ContiguousArray(rf.map { Int32($0) }), blocks: blocks))
            }
            cores.append(CoreState(counts: counts, busy: busy, populations: pops))
        }
        // 3. The rule's registers, against the ones the fresh rule declares.
        let ruleJ = try r.member(root, "rule", "$")
        guard case .string(rule.name)? = ruleJ["name"] else { throw r.fail("$.rule.name", "expected \"\(rule.name)\"") }
        let declared = rule.stateRegisters
        let regsJ = try r.array(try r.member(ruleJ, "registers", "$.rule"), "$.rule.registers", count: declared.count)
        var registers: [RuleStateRegister] = []
        for (k, (d, rj)) in zip(declared, regsJ).enumerated() {
            let rp = "$.rule.registers[\(k)]"
            guard case .string(d.name)? = rj["name"] else { throw r.fail(rp + ".name", "expected \"\(d.name)\"") }
            let values = try r.ints(try r.member(rj, "values", rp), rp + ".values", count: d.values.count, range: d.range, what: d.name)
            registers.append(RuleStateRegister(d.name, range: d.range, values: values))
        }
        // 4. Run totals, consistent with each other and with the config.
        let fresh = sim.savedTotals
        var totals = RunTotals()
        totals.cycles = try r.counter(root, "cycles", "$")
        totals.cyclesByPhase = try r.counters(try r.member(root, "cyclesByPhase", "$"), "$.cyclesByPhase", count: Phase.count)
        guard totals.cyclesByPhase.reduce(0, { $0.addingReportingOverflow($1).partialValue }) == totals.cycles else {
            throw r.fail("$.cyclesByPhase", "the phases' cycles do not sum to $.cycles (\(totals.cycles))")
        }
        totals.steps = try r.counter(root, "steps", "$")
        let globalStep = Int(try r.counter(root, "globalStep", "$"))
        let samplesRun = Int(try r.counter(root, "samplesRun", "$"))
        let stepsPerSample = sim.chip.config.run.steps
        guard totals.steps == UInt64(globalStep) else { throw r.fail("$.steps", "expected $.globalStep (\(globalStep)) steps") }
        guard samplesRun <= Int.max / max(1, stepsPerSample), globalStep == samplesRun * stepsPerSample else {
            throw r.fail("$.globalStep", "expected $.samplesRun x run.steps = \(samplesRun) x \(stepsPerSample)")
        }
        let saved = Simulator.Totals(
            totals: totals, meshCounts: try r.phaseCounts(try r.member(root, "mesh", "$"), "$.mesh"), globalStep: globalStep,
            routingStalls: try r.counter(root, "routingStalls", "$"),
            linkFlits: try r.counters(try r.member(root, "linkFlits", "$"), "$.linkFlits", count: fresh.linkFlits.count),
            drainCycles: try r.counter(root, "drainCycles", "$"),
            routedSteps: Int(try r.counter(root, "routedSteps", "$")), samplesRun: samplesRun,
            spikesPerLayer: try r.counters(try r.member(root, "spikesPerLayer", "$"), "$.spikesPerLayer", count: fresh.spikesPerLayer.count).map { Int($0) },
            // Optional: a checkpoint written before it existed resumes with NeuroBench's
            // effective ACs estimated from layer totals (docs/NEUROBENCH.md).
            spikesPerNeuron: try root["spikesPerNeuron"].map {
                try r.counters($0, "$.spikesPerNeuron", count: fresh.spikesPerNeuron.count).map { Int($0) }
            } ?? [])
        // 5. Epochs: numbered 1..n, n within the config's epochs, sample counts as configured.
        let epochsJ = try r.array(try r.member(root, "epochs", "$"), "$.epochs")
        guard epochsJ.count <= trainer.config.epochs else {
            throw r.fail("$.epochs", "\(epochsJ.count) epochs done, but training.epochs is \(trainer.config.epochs)")
        }
        // A mid-epoch checkpoint: the epoch after the completed ones, stopped after samplesDone
        // of its training samples (never 0 or all of them: those are epoch-end checkpoints).
        var progress: EpochProgress?
        if let pj = root["epochInProgress"] {
            let pp = "$.epochInProgress"
            guard epochsJ.count < trainer.config.epochs else {
                throw r.fail(pp, "all \(trainer.config.epochs) epochs are done; no epoch can be in progress")
            }
            let epoch = try r.int(try r.member(pj, "epoch", pp), pp + ".epoch", range: Int64.min...Int64.max)
            guard epoch == epochsJ.count + 1 else { throw r.fail(pp + ".epoch", "expected \(epochsJ.count + 1) (the epoch after the completed ones), found \(epoch)") }
            guard trainer.trainCount > 1 else { throw r.fail(pp, "an epoch of \(trainer.trainCount) training sample cannot be stopped within") }
            let done = Int(try r.int(try r.member(pj, "samplesDone", pp), pp + ".samplesDone", range: 1...Int64(trainer.trainCount - 1)))
            var start = try r.actions(try r.member(pj, "startCounts", pp), pp + ".startCounts")
            start.gradedNonzeroProducts = try r.counter(pj, "startGradedNonzeroProducts", pp)
            let startCycles = try r.counter(pj, "startCycles", pp)
            guard startCycles <= totals.cycles else { throw r.fail(pp + ".startCycles", "exceeds $.cycles (\(totals.cycles))") }
            // The epoch's start totals cannot exceed the totals now (counters only grow).
            var now = saved.meshCounts.total
            for c in cores { now.add(c.counts.total) }
            for (k, n) in start.values.enumerated() where n > now.values[k] {
                throw r.fail("\(pp).startCounts[\(k)]", "\(n) exceeds the checkpoint's total of that action (\(now.values[k]))")
            }
            let outputs = sim.chip.layers[sim.chip.layers.count - 1].size
            var outcomes: [SampleOutcome] = []
            for (k, oj) in try r.array(try r.member(pj, "outcomes", pp), pp + ".outcomes", count: done).enumerated() {
                let op = "\(pp).outcomes[\(k)]"
                let labelJ = try r.member(oj, "label", op)
                let label = labelJ == .null ? nil : Int(try r.int(labelJ, op + ".label", range: 0...Int64(Int32.max)))
                let prediction = Int(try r.int(try r.member(oj, "prediction", op), op + ".prediction", range: -1...Int64(outputs - 1)))
                var target: [Int32]?, final: [Int32] = []
                if let tj = oj["target"] {
                    let tn = try r.array(tj, op + ".target").count
                    guard tn <= outputs else { throw r.fail(op + ".target", "expected at most \(outputs) values (the output layer's size), found \(tn)") }
                    target = try r.ints(tj, op + ".target", count: tn, range: Int64(Int32.min)...Int64(Int32.max), what: "target").map { Int32($0) }
                    let fj = try r.member(oj, "finalOutput", op)
                    let fn = try r.array(fj, op + ".finalOutput").count
                    guard fn == 0 || fn == outputs else { throw r.fail(op + ".finalOutput", "expected \(outputs) values (the output layer's size) or none, found \(fn)") }
                    final = try r.ints(fj, op + ".finalOutput", count: fn, range: -vMax...vMax, what: "voltage v").map { Int32($0) }
                }
                outcomes.append(SampleOutcome(label: label, prediction: prediction, target: target, finalOutput: final))
            }
            progress = EpochProgress(epoch: epochsJ.count, samplesDone: done, startCounts: start, startCycles: startCycles, outcomes: outcomes)
        }
        let perEpoch = trainer.trainCount + trainer.testCount
        let expectedRun = epochsJ.count * perEpoch + (progress?.samplesDone ?? 0)
        guard samplesRun == expectedRun else {
            throw r.fail("$.samplesRun", "expected \(epochsJ.count) epochs x \(perEpoch) samples\(progress.map { " + \($0.samplesDone) of the epoch in progress" } ?? "") = \(expectedRun)")
        }
        var epochs: [EpochMetrics] = []
        for (k, e) in epochsJ.enumerated() {
            let ep = "$.epochs[\(k)]"
            func exact(_ key: String, _ expected: Int) throws -> Int {
                let i = try r.int(try r.member(e, key, ep), "\(ep).\(key)", range: Int64.min...Int64.max)
                guard i == expected else { throw r.fail("\(ep).\(key)", "expected \(expected), found \(i)") }
                return expected
            }
            func optionalMSE(_ key: String) throws -> Double? {
                guard let v = e[key] else { return nil }
                return try r.fraction(v, "\(ep).\(key)", max: .greatestFiniteMagnitude)
            }
            epochs.append(EpochMetrics(
                epoch: try exact("epoch", k + 1),
                trainSamples: try exact("trainSamples", trainer.trainCount),
                trainAccuracy: try r.fraction(try r.member(e, "trainAccuracy", ep), ep + ".trainAccuracy", max: 1),
                testSamples: try exact("testSamples", trainer.testCount),
                testAccuracy: try r.fraction(try r.member(e, "testAccuracy", ep), ep + ".testAccuracy", max: 1),
                trainCounts: try r.actions(try r.member(e, "trainCounts", ep), ep + ".trainCounts"),
                testCounts: try r.actions(try r.member(e, "testCounts", ep), ep + ".testCounts"),
                trainCycles: try r.counter(e, "trainCycles", ep), testCycles: try r.counter(e, "testCycles", ep),
                trainMSE: try optionalMSE("trainMSE"), testMSE: try optionalMSE("testMSE")))
        }
        // 6. Host steps (optional: written only when the rule declares any), by the declared names.
        var hostSteps: [String: HostStepCounts] = [:]
        if let hj = root["hostSteps"] {
            let declaredSteps = sim.hostSteps.steps.map(\.name)
            let entries = try r.array(hj, "$.hostSteps", count: declaredSteps.count)
            for (k, (name, e)) in zip(declaredSteps, entries).enumerated() {
                let p = "$.hostSteps[\(k)]"
                guard case .string(name)? = e["name"] else { throw r.fail(p + ".name", "expected \"\(name)\"") }
                let v = try r.counters(try r.member(e, "values", p), p + ".values", count: HostStepCounts.fieldNames.count)
                hostSteps[name] = HostStepCounts(values: v)
            }
        }
        var state = CheckpointState(cores: cores, registers: registers, totals: saved, epochs: epochs)
        state.hostSteps = hostSteps
        state.inProgress = progress
        return state
    }
}

extension JSONValue {
    /// The literal text of a number (nil for other values).
    var numberText: String? { if case let .number(_, t) = self { return t }; return nil }
}
