import Foundation
import ChipModel

/// Training checkpoints: after every epoch (and, with `training.checkpointEvery` N, after every
/// N training samples within one) the trainer's progress and the chip's learned and counted
/// state are written atomically, so an interrupted run resumed with `--resume` ends with a
/// report byte-identical (minus wall clock) to an uninterrupted one, for every rule.
///
/// What is saved: every synapse block's weights and aux registers, neuron state, the rule's
/// state registers (RuleStateRegister: feedback synapses, loss baselines, period counters,
/// prototypes; declared by the rule, saved and validated generically), every counter and
/// cycle total, router link totals, the declared host steps' counts (`hostSteps`, only when the
/// rule declares any), the global step (which keys every random draw, so it is the PRNG
/// position), the epochs' metrics, and mid-epoch the epoch in progress (`epochInProgress`:
/// EpochProgress). Learning traces and per-sample registers are not saved: they are reset at
/// every sample (run.resetBetweenSamples must be true).
///
/// Integrity: the file carries the resolved config it was written for (and its FNV-1a 64
/// hash, `configHash`) and an FNV-1a 64 `checksum` of its canonical text (the compact JSON
/// serialisation of every other key, in order). On restore the checkpoint is validated in full
/// before anything is changed: checksum, config, then every array's length against the built
/// network, every value against its register's range (weights and aux against the block's
/// widths, u / v against the 24-bit neuron registers, rule registers against their declared
/// ranges), counters non-negative, and the totals and epochs consistent with the config. Any
/// failure is a ChipError naming the JSON path; the simulator is left untouched.
public enum Checkpoint {
    public static let version = 2

    static func ints<T: BinaryInteger>(_ a: some Sequence<T>) -> JSONValue { .array(a.map { .number(Double($0), text: String($0)) }) }
    static func countsJSON(_ p: PhaseCounts) -> JSONValue { .array(p.byPhase.map { ints($0.values) }) }
    static func actionJSON(_ a: ActionCounts) -> JSONValue { ints(a.values) }

    public static func json(trainer: Trainer, rule: TrainableRule, config: String) -> JSONValue {
        let sim = trainer.simulator
        let t = sim.savedTotals
        let content: [(String, JSONValue)] = [
            ("version", .int(version)),
            ("config", .string(config)),
            ("configHash", .string(FNV1a64.hex(config))),
            ("epochs", .array(trainer.epochs.map { e in
                .object([("epoch", .int(e.epoch)), ("trainSamples", .int(e.trainSamples)), ("trainAccuracy", .double(e.trainAccuracy)),
                         ("testSamples", .int(e.testSamples)), ("testAccuracy", .double(e.testAccuracy)),
                         ("trainCounts", actionJSON(e.trainCounts)), ("testCounts", actionJSON(e.testCounts)),
                         ("trainCycles", .uint(e.trainCycles)), ("testCycles", .uint(e.testCycles))]
                        + (e.trainMSE.map { [("trainMSE", JSONValue.double($0))] } ?? [])
                        + (e.testMSE.map { [("testMSE", JSONValue.double($0))] } ?? []))
            })),
            ("cores", .array(sim.chip.cores.map { c in
                .object([("counts", countsJSON(c.counts))]
                        // Optional (written only when a graded delivery occurred): NeuroBench's
                        // effective MACs per phase, a statistic beside the actions.
                        + (c.counts.byPhase.contains { $0.gradedNonzeroProducts != 0 }
                           ? [("gradedNonzeroProducts", ints(c.counts.byPhase.map(\.gradedNonzeroProducts)))] : [])
                        + [("busy", ints(c.busyCycles)),
                         ("populations", .array(c.populations.map { p in
                             .object([("u", ints(p.state.u)), ("v", ints(p.state.v)), ("refractory", ints(p.state.refractoryLeft)),
                                      ("blocks", .array(p.blocks.map { b in .object([("w", ints(b.weights)), ("aux", ints(b.aux))]) }))])
                         }))])
            })),
            ("rule", .object([("name", .string(rule.name)),
                              ("registers", .array(rule.stateRegisters.map { .object([("name", .string($0.name)), ("values", ints($0.values))]) }))])),
            ("mesh", countsJSON(t.meshCounts)),
            ("cycles", .uint(t.totals.cycles)), ("cyclesByPhase", ints(t.totals.cyclesByPhase)), ("steps", .uint(t.totals.steps)),
            ("globalStep", .int(t.globalStep)), ("routingStalls", .uint(t.routingStalls)),
            ("linkFlits", ints(t.linkFlits)), ("drainCycles", .uint(t.drainCycles)), ("routedSteps", .int(t.routedSteps)),
            ("samplesRun", .int(t.samplesRun)), ("spikesPerLayer", ints(t.spikesPerLayer)),
            ("spikesPerNeuron", ints(t.spikesPerNeuron)),
        ]
        // Declared host steps' counts (HostSteps.swift), only when the rule declares any.
        var hostSteps: [(String, JSONValue)] = []
        if !sim.hostSteps.isEmpty {
            let entries: [JSONValue] = sim.hostSteps.steps.map { s in
                JSONValue.object([("name", JSONValue.string(s.name)), ("values", ints(s.counts.values))])
            }
            hostSteps.append(("hostSteps", JSONValue.array(entries)))
        }
        return sealed(.object(content + hostSteps + (trainer.inProgress.map { [("epochInProgress", progressJSON($0))] } ?? [])))
    }

    /// A mid-epoch checkpoint's epoch in progress (EpochProgress): `epoch` 1-based like
    /// `epochs[].epoch`, each sample's outcome as {label (null: none), prediction} plus, for a
    /// regression sample, its target and the readout's final v.
    static func progressJSON(_ p: EpochProgress) -> JSONValue {
        .object([("epoch", .int(p.epoch + 1)), ("samplesDone", .int(p.samplesDone)),
                 ("startCounts", actionJSON(p.startCounts)),
                 ("startGradedNonzeroProducts", .uint(p.startCounts.gradedNonzeroProducts)),
                 ("startCycles", .uint(p.startCycles)),
                 ("outcomes", .array(p.outcomes.map { o in
                     .object([("label", o.label.map { .int($0) } ?? .null), ("prediction", .int(o.prediction))]
                             + (o.target.map { [("target", ints($0)), ("finalOutput", ints(o.finalOutput))] } ?? []))
                 }))])
    }

    /// `value` (an object) with its `checksum` key (re)computed over the other keys.
    public static func sealed(_ value: JSONValue) -> JSONValue {
        guard case let .object(kv) = value else { return value }
        let content = kv.filter { $0.0 != "checksum" }
        return .object(content + [("checksum", .string(FNV1a64.hex(JSONValue.object(content).serialized())))])
    }

    /// Writes atomically and durably under the checkpoint's lock (AtomicFile: a temporary
    /// file in the same directory, fsync, rename, fsync of the directory).
    public static func write(_ value: JSONValue, to path: String) throws {
        try AtomicFile.write(Array(value.serialized().utf8), to: path, durable: true, locked: true)
    }

    /// Restores a checkpoint into a freshly built simulator + rule + trainer of the same config:
    /// validates everything first (see the type's comment), then applies it.
    public static func restore(path: String, trainer: Trainer, rule: TrainableRule, config: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ChipError.io(path: path, message: "no checkpoint to resume from")
        }
        let state = try CheckpointState.decode(try JSONValue.parse(data, file: path), file: path, trainer: trainer, rule: rule, config: config)
        state.apply(trainer: trainer, rule: rule)
    }
}
