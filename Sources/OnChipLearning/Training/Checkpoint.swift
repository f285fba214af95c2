import Foundation
import ChipModel

/// Training checkpoints: after every epoch the trainer's progress and the chip's learned and
/// counted state are written atomically (temporary file + rename), so an interrupted run
/// resumed with `--resume` ends with a report byte-identical (minus wall clock) to an
/// uninterrupted one. What is saved: every synapse block's weights and aux registers, the
/// rule's feedback blocks, neuron state, every counter and cycle total, router link totals,
/// the global step (which keys all noise), and the epochs' metrics. Learning traces and
/// registers are not saved: they are reset at every sample (run.resetBetweenSamples must be
/// true to checkpoint). The resolved config is stored and must match on resume.
public enum Checkpoint {
    public static let version = 1

    static func ints<T: BinaryInteger>(_ a: some Sequence<T>) -> JSONValue { .array(a.map { .number(Double($0), text: String($0)) }) }
    static func countsJSON(_ p: PhaseCounts) -> JSONValue { .array(p.byPhase.map { ints($0.values) }) }
    static func actionJSON(_ a: ActionCounts) -> JSONValue { ints(a.values) }

    public static func json(trainer: Trainer, rule: TrainableRule, config: String) -> JSONValue {
        let sim = trainer.simulator
        let t = sim.savedTotals
        return .object([
            ("version", .int(version)),
            ("config", .string(config)),
            ("epochs", .array(trainer.epochs.map { e in
                .object([("epoch", .int(e.epoch)), ("trainSamples", .int(e.trainSamples)), ("trainAccuracy", .double(e.trainAccuracy)),
                         ("testSamples", .int(e.testSamples)), ("testAccuracy", .double(e.testAccuracy)),
                         ("trainCounts", actionJSON(e.trainCounts)), ("testCounts", actionJSON(e.testCounts)),
                         ("trainCycles", .uint(e.trainCycles)), ("testCycles", .uint(e.testCycles))]
                        + (e.trainMSE.map { [("trainMSE", JSONValue.double($0))] } ?? [])
                        + (e.testMSE.map { [("testMSE", JSONValue.double($0))] } ?? []))
            })),
            ("cores", .array(sim.chip.cores.map { c in
                .object([("counts", countsJSON(c.counts)), ("busy", ints(c.busyCycles)),
                         ("populations", .array(c.populations.map { p in
                             .object([("u", ints(p.state.u)), ("v", ints(p.state.v)), ("refractory", ints(p.state.refractoryLeft)),
                                      ("blocks", .array(p.blocks.map { b in .object([("w", ints(b.weights)), ("aux", ints(b.aux))]) }))])
                         }))])
            })),
            ("feedback", .array(rule.savedRegisters.map { ints($0) })),
            ("mesh", countsJSON(t.meshCounts)),
            ("cycles", .uint(t.totals.cycles)), ("cyclesByPhase", ints(t.totals.cyclesByPhase)), ("steps", .uint(t.totals.steps)),
            ("globalStep", .int(t.globalStep)), ("routingStalls", .uint(t.routingStalls)),
            ("linkFlits", ints(t.linkFlits)), ("drainCycles", .uint(t.drainCycles)), ("routedSteps", .int(t.routedSteps)),
            ("samplesRun", .int(t.samplesRun)), ("spikesPerLayer", ints(t.spikesPerLayer)),
        ])
    }

    /// Writes atomically and durably under the checkpoint's lock (AtomicFile: a temporary
    /// file in the same directory, fsync, rename, fsync of the directory).
    public static func write(_ value: JSONValue, to path: String) throws {
        try AtomicFile.write(Array(value.serialized().utf8), to: path, durable: true, locked: true)
    }

    /// Restores a checkpoint into a freshly built simulator + rule + trainer of the same config.
    public static func restore(path: String, trainer: Trainer, rule: TrainableRule, config: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ChipError.io(path: path, message: "no checkpoint to resume from")
        }
        let root = try JSONValue.parse(data, file: path)
        let r = try JSONReader(root, file: path, path: "$")
        guard try r.int("version") == version else { throw r.error("version", "checkpoint version is not \(version)") }
        guard try r.string("config") == config else {
            throw r.error("config", "the checkpoint was written for a different config; resume with the same config, or start again without --resume")
        }
        func ints(_ v: JSONValue?, _ p: String) throws -> [Int64] {
            guard case let .array(a)? = v else { throw ChipError.config(file: path, path: p, message: "expected an array of integers") }
            return try a.map { x in
                guard case let .number(d, text) = x, let i = Int64(text) ?? Int64(exactly: d) else {
                    throw ChipError.config(file: path, path: p, message: "expected integers")
                }
                return i
            }
        }
        func counts(_ v: JSONValue?, _ p: String) throws -> PhaseCounts {
            guard case let .array(phases)? = v, phases.count == Phase.count else { throw ChipError.config(file: path, path: p, message: "expected \(Phase.count) phases of counts") }
            var pc = PhaseCounts()
            for (k, ph) in phases.enumerated() { pc.byPhase[k].values = try ints(ph, p).map { UInt64($0) } }
            return pc
        }
        func actions(_ v: JSONValue?, _ p: String) throws -> ActionCounts {
            var a = ActionCounts(); a.values = try ints(v, p).map { UInt64($0) }
            guard a.values.count == Action.count else { throw ChipError.config(file: path, path: p, message: "expected \(Action.count) counts") }
            return a
        }
        let sim = trainer.simulator
        guard case let .array(cores)? = root["cores"], cores.count == sim.chip.cores.count else {
            throw ChipError.config(file: path, path: "$.cores", message: "expected \(sim.chip.cores.count) cores")
        }
        for (ci, cj) in cores.enumerated() {
            let core = sim.chip.cores[ci]
            core.counts = try counts(cj["counts"], "$.cores[\(ci)].counts")
            core.busyCycles = try ints(cj["busy"], "$.cores[\(ci)].busy").map { UInt64($0) }
            guard case let .array(pops)? = cj["populations"], pops.count == core.populations.count else {
                throw ChipError.config(file: path, path: "$.cores[\(ci)].populations", message: "population count differs")
            }
            for (pi, pj) in pops.enumerated() {
                let p = core.populations[pi]
                p.state.u = ContiguousArray(try ints(pj["u"], "u").map { Int32($0) })
                p.state.v = ContiguousArray(try ints(pj["v"], "v").map { Int32($0) })
                p.state.refractoryLeft = ContiguousArray(try ints(pj["refractory"], "refractory").map { Int32($0) })
                guard case let .array(blocks)? = pj["blocks"], blocks.count == p.blocks.count else {
                    throw ChipError.config(file: path, path: "$.cores[\(ci)].populations[\(pi)].blocks", message: "block count differs")
                }
                for (bi, bj) in blocks.enumerated() {
                    // Weights must lie within the block's width (delivery's exactness relies on it).
                    let wPath = "$.cores[\(ci)].populations[\(pi)].blocks[\(bi)].w"
                    let w = try ints(bj["w"], wPath), bits = p.blocks[bi].weightBits
                    let lo = FixedPoint.signedMin(bits: bits), hi = FixedPoint.signedMax(bits: bits)
                    guard w.count == p.blocks[bi].weights.count else {
                        throw ChipError.config(file: path, path: wPath, message: "expected \(p.blocks[bi].weights.count) weights, found \(w.count)")
                    }
                    if let bad = w.firstIndex(where: { $0 < lo || $0 > hi }) {
                        throw ChipError.config(file: path, path: "\(wPath)[\(bad)]", message: "weight \(w[bad]) is outside the block's \(bits)-bit range \(lo)...\(hi)")
                    }
                    p.blocks[bi].weights = ContiguousArray(w.map { Int16($0) })
                    p.blocks[bi].aux = ContiguousArray(try ints(bj["aux"], "aux").map { Int32($0) })
                }
            }
        }
        guard case let .array(fb)? = root["feedback"], fb.count == rule.savedRegisters.count else {
            throw ChipError.config(file: path, path: "$.feedback", message: "expected \(rule.savedRegisters.count) register arrays")
        }
        rule.savedRegisters = try fb.map { ContiguousArray(try ints($0, "$.feedback").map { Int32($0) }) }
        var totals = RunTotals()
        totals.cycles = UInt64(try r.int("cycles"))
        totals.cyclesByPhase = try ints(root["cyclesByPhase"], "$.cyclesByPhase").map { UInt64($0) }
        totals.steps = UInt64(try r.int("steps"))
        sim.restore(Simulator.Totals(totals: totals, meshCounts: try counts(root["mesh"], "$.mesh"), globalStep: try r.int("globalStep"),
                                     routingStalls: UInt64(try r.int("routingStalls")),
                                     linkFlits: try ints(root["linkFlits"], "$.linkFlits").map { UInt64($0) },
                                     drainCycles: UInt64(try r.int("drainCycles")), routedSteps: try r.int("routedSteps"),
                                     samplesRun: try r.int("samplesRun"),
                                     spikesPerLayer: try ints(root["spikesPerLayer"], "$.spikesPerLayer").map { Int($0) }))
        var epochs: [EpochMetrics] = []
        for (k, e) in try r.objects("epochs").enumerated() {
            epochs.append(EpochMetrics(epoch: try e.int("epoch"), trainSamples: try e.int("trainSamples"), trainAccuracy: try e.double("trainAccuracy"),
                                       testSamples: try e.int("testSamples"), testAccuracy: try e.double("testAccuracy"),
                                       trainCounts: try actions(e.optional("trainCounts"), "$.epochs[\(k)].trainCounts"),
                                       testCounts: try actions(e.optional("testCounts"), "$.epochs[\(k)].testCounts"),
                                       trainCycles: UInt64(try e.int("trainCycles")), testCycles: UInt64(try e.int("testCycles")),
                                       trainMSE: try e.optionalDouble("trainMSE"), testMSE: try e.optionalDouble("testMSE")))
        }
        trainer.restore(epochs: epochs)
    }
}
