import Foundation
import Testing
@testable import OnChipLearning
@testable import ChipModel

/// Damaged and hand-edited checkpoints (issue 14's edits: negative counters, 2^40 in u / aux /
/// feedback, shortened arrays, `v: []`, flipped digits, epochs repeated, accuracy 7) are
/// refused with a ChipError naming the JSON path, never a trap, and leave the simulator
/// untouched. Edits are tried twice: as they are (the checksum refuses them) and re-sealed
/// with a valid checksum (as a buggy writer would produce), so the validation itself is tested.
@Suite struct CheckpointFuzzTests {
    static let opzo = "{\"rule\": \"opzo\", \"etaHidden\": 12, \"etaReadout\": 12, \"gShift\": 14, \"lambdaShift\": 6}"
    /// MGD-WP keeps its G accumulators in the forward blocks' 16-bit aux registers.
    static let mgdwp = "{\"rule\": \"mgd_wp\", \"delta\": 4, \"eta\": 8, \"tauTheta\": 8, \"auxBits\": 16}"

    static func configText(_ learning: String) -> String { """
    {"seed": 9, "network": {"layers": [
        {"name": "in", "kind": "input", "size": 3},
        {"name": "h", "size": 4, "neuron": {"du": 4095, "dv": 410, "vth": 30}},
        {"name": "out", "size": 2, "neuron": {"model": "loihi-cuba-readout", "du": 4095, "dv": 410}}],
      "connections": [{"from": "in", "to": "h", "init": {"kind": "uniform", "low": -60, "high": 60}},
                      {"from": "h", "to": "out", "init": {"kind": "uniform", "low": -20, "high": 20}}]},
     "run": {"steps": 4}, "learning": \(learning)}
    """ }

    /// A fresh simulator + rule + trainer (3 epochs of 6 + 4 samples).
    static func fresh(_ learning: String = opzo) throws -> (Trainer, TrainableRule) {
        let c = try ExperimentConfig(json: JSONValue.parse(configText(learning), file: "fuzz.json"), file: "fuzz.json")
        let rule = try RuleFactory.make(c.learning!, config: c)
        let sim = Simulator(chip: try Chip(config: c))
        try sim.attach(rule: rule)
        var t = TrainingConfig(); t.epochs = 3
        return (Trainer(simulator: sim, train: ThreeChannelSource(samples: 6), test: ThreeChannelSource(samples: 4), config: t), rule)
    }

    /// The checkpoint after epoch 1.
    static func makeCheckpoint(_ learning: String) -> JSONValue {
        let (trainer, rule) = try! fresh(learning)
        var one = trainer.config; one.epochs = 1
        let t1 = Trainer(simulator: trainer.simulator, train: trainer.train, test: trainer.test, config: one)
        try! t1.run()
        return Checkpoint.json(trainer: t1, rule: rule, config: "C")
    }
    static let checkpoint = makeCheckpoint(opzo)

    enum Key { case key(String), index(Int) }

    /// `v` with the value at `path` replaced by `f(old)` (nil deletes it).
    static func edit(_ v: JSONValue, _ path: ArraySlice<Key>, _ f: (JSONValue) -> JSONValue?) -> JSONValue {
        guard let head = path.first else { return f(v) ?? .null }
        switch (head, v) {
        case let (.key(k), .object(kv)):
            var out: [(String, JSONValue)] = []
            for (key, value) in kv {
                if key != k { out.append((key, value)); continue }
                if path.count == 1 { if let n = f(value) { out.append((key, n)) } } else { out.append((key, edit(value, path.dropFirst(), f))) }
            }
            return .object(out)
        case let (.index(i), .array(a)) where a.indices.contains(i):
            var a = a
            if path.count == 1 { if let n = f(a[i]) { a[i] = n } else { a.remove(at: i) } } else { a[i] = edit(a[i], path.dropFirst(), f) }
            return .array(a)
        default: return v
        }
    }

    static func number(_ text: String) -> JSONValue { .number(Double(text) ?? .infinity, text: text) }

    /// Restores `value` into a fresh simulator; returns the error text (nil if it restored).
    static func restore(_ value: JSONValue, text: String? = nil, learning: String = opzo) throws -> String? {
        let path = NSTemporaryDirectory() + "chipsim-fuzz-\(getpid())-\(UUID().uuidString).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try (text ?? value.serialized()).write(toFile: path, atomically: true, encoding: .utf8)
        let (trainer, rule) = try fresh(learning)
        let sim = trainer.simulator
        let w0 = sim.chip.cores.map { $0.populations.map { $0.blocks.map(\.weights) } }
        let r0 = rule.stateRegisters
        do {
            try Checkpoint.restore(path: path, trainer: trainer, rule: rule, config: "C")
            return nil
        } catch let e as ChipError {
            // Nothing was applied.
            #expect(sim.globalStep == 0 && trainer.epochs.isEmpty && rule.stateRegisters == r0)
            #expect(sim.chip.cores.map { $0.populations.map { $0.blocks.map(\.weights) } } == w0)
            return "\(e)"
        }
    }

    static let u: [Key] = [.key("cores"), .index(0), .key("populations"), .index(0), .key("u")]
    static let v: [Key] = [.key("cores"), .index(0), .key("populations"), .index(0), .key("v")]
    static let w: [Key] = [.key("cores"), .index(0), .key("populations"), .index(0), .key("blocks"), .index(0), .key("w")]
    /// The first block with aux registers in MGD-WP's checkpoint.
    static let aux: [Key] = {
        guard case let .array(cores)? = makeCheckpoint(mgdwp)["cores"] else { return [] }
        for (c, core) in cores.enumerated() {
            guard case let .array(pops)? = core["populations"] else { continue }
            for (p, pop) in pops.enumerated() {
                guard case let .array(blocks)? = pop["blocks"] else { continue }
                for (b, block) in blocks.enumerated() {
                    if case let .array(a)? = block["aux"], !a.isEmpty {
                        return [.key("cores"), .index(c), .key("populations"), .index(p), .key("blocks"), .index(b), .key("aux")]
                    }
                }
            }
        }
        return []
    }()
    static let counts: [Key] = [.key("cores"), .index(0), .key("counts"), .index(0), .index(0)]
    static let feedback: [Key] = [.key("rule"), .key("registers"), .index(0), .key("values")]
    static let epoch0: [Key] = [.key("epochs"), .index(0)]

    /// (edit, expected path, expected words in the message)
    static let edits: [(String, [Key], (JSONValue) -> JSONValue?, String, String)] = [
        ("negative counter", counts, { _ in number("-1") }, "$.cores[0].counts[0][0]", "counter -1 is outside"),
        ("u = 2^40", u + [.index(0)], { _ in number("1099511627776") }, "$.cores[0].populations[0].u[0]", "current u 1099511627776 is outside"),
        ("v = -2^23", v + [.index(1)], { _ in number("-8388608") }, "$.cores[0].populations[0].v[1]", "is outside"),
        ("weight 9999", w + [.index(0)], { _ in number("9999") }, "$.cores[0].populations[0].blocks[0].w[0]", "9999 is outside"),
        ("feedback = 2^40", feedback + [.index(0)], { _ in number("1099511627776") }, "$.rule.registers[0].values[0]", "feedback[0] 1099511627776 is outside"),
        ("u shortened", u + [.index(0)], { _ in nil }, "$.cores[0].populations[0].u", "expected 4 entries, found 3"),
        ("v: []", v, { _ in .array([]) }, "$.cores[0].populations[0].v", "expected 4 entries, found 0"),
        ("w shortened", w + [.index(0)], { _ in nil }, "$.cores[0].populations[0].blocks[0].w", "entries"),
        ("feedback shortened", feedback + [.index(0)], { _ in nil }, "$.rule.registers[0].values", "entries"),
        ("2^70", u + [.index(0)], { _ in number("1180591620717411303424") }, "$.cores[0].populations[0].u[0]", "expected an integer"),
        ("fraction", counts, { _ in number("1.5") }, "$.cores[0].counts[0][0]", "expected an integer"),
        // The JSON parser itself refuses a number that overflows to infinity (before the checksum).
        ("infinity", counts, { _ in number("1e400") }, "$.cores[0].counts[0][0]", "out of range"),
        ("string", u + [.index(0)], { _ in .string("x") }, "$.cores[0].populations[0].u[0]", "expected an integer"),
        ("trainAccuracy 7", epoch0 + [.key("trainAccuracy")], { _ in number("7") }, "$.epochs[0].trainAccuracy", "out of range"),
        ("epoch 5", epoch0 + [.key("epoch")], { _ in number("5") }, "$.epochs[0].epoch", "expected 1, found 5"),
        ("trainSamples 60", epoch0 + [.key("trainSamples")], { _ in number("60") }, "$.epochs[0].trainSamples", "expected 6"),
        ("epochs x10", [.key("epochs")], { e in if case let .array(a) = e { return .array(Array(repeating: a[0], count: 10)) }; return e },
         "$.epochs", "training.epochs is 3"),
        ("globalStep +1", [.key("globalStep")], { _ in number("41") }, "$.steps", "expected $.globalStep"),
        ("cycles by phase", [.key("cyclesByPhase"), .index(0)], { _ in number("0") }, "$.cyclesByPhase", "do not sum"),
        ("no rule", [.key("rule")], { _ in nil }, "$.rule", "missing"),
        ("other rule", [.key("rule"), .key("name")], { _ in .string("dfa") }, "$.rule.name", "expected \"opzo\""),
        ("register renamed", [.key("rule"), .key("registers"), .index(0), .key("name")], { _ in .string("m") }, "$.rule.registers[0].name", "feedback[0]"),
        ("a core missing", [.key("cores"), .index(0)], { _ in nil }, "$.cores", "entries, found"),
        ("linkFlits longer", [.key("linkFlits")], { _ in .array([number("1")] + Array(repeating: number("0"), count: 99)) }, "$.linkFlits", "entries"),
        ("version 1", [.key("version")], { _ in number("1") }, "$.version", "is not 2"),
        ("another config", [.key("config")], { _ in .string("D") }, "$.config", "different config"),
        ("refractory -1", [.key("cores"), .index(0), .key("populations"), .index(0), .key("refractory"), .index(0)], { _ in number("-1") },
         "$.cores[0].populations[0].refractory[0]", "refractory counter -1"),
    ]

    @Test func anAuxRegisterOutsideItsWidthIsRefused() throws {
        #expect(!CheckpointFuzzTests.aux.isEmpty)
        let base = CheckpointFuzzTests.makeCheckpoint(CheckpointFuzzTests.mgdwp)
        for (value, words) in [("1099511627776", "aux register (16-bit) 1099511627776 is outside -32768...32767"), ("32768", "32768 is outside")] {
            let edited = CheckpointFuzzTests.edit(base, (CheckpointFuzzTests.aux + [.index(0)])[...]) { _ in CheckpointFuzzTests.number(value) }
            let e = try CheckpointFuzzTests.restore(Checkpoint.sealed(edited), learning: CheckpointFuzzTests.mgdwp)
            #expect(e?.contains(".aux[0]") == true && e?.contains(words) == true, "\(e ?? "restored")")
        }
        // MGD-WP's own registers: periodsSinceUpdate < tauTheta / tauP.
        let regs = CheckpointFuzzTests.edit(base, [.key("rule"), .key("registers"), .index(2), .key("values"), .index(0)]) { _ in CheckpointFuzzTests.number("2") }
        let e = try CheckpointFuzzTests.restore(Checkpoint.sealed(regs), learning: CheckpointFuzzTests.mgdwp)
        #expect(e?.contains("$.rule.registers[2].values[0]") == true && e?.contains("periodsSinceUpdate 2 is outside 0...1") == true, "\(e ?? "restored")")
    }

    @Test func theUnchangedCheckpointRestores() throws {
        let (trainer, rule) = try CheckpointFuzzTests.fresh()
        let path = NSTemporaryDirectory() + "chipsim-fuzz-ok-\(getpid()).json"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try CheckpointFuzzTests.checkpoint.serialized().write(toFile: path, atomically: true, encoding: .utf8)
        try Checkpoint.restore(path: path, trainer: trainer, rule: rule, config: "C")
        #expect(trainer.epochs.count == 1 && trainer.simulator.globalStep == 40)
        #expect(Checkpoint.json(trainer: trainer, rule: rule, config: "C") == CheckpointFuzzTests.checkpoint)
    }

    @Test(arguments: edits.indices)
    func aHandEditIsRefusedByTheChecksumAndByTheValidation(k: Int) throws {
        let (name, path, f, where_, words) = CheckpointFuzzTests.edits[k]
        let edited = CheckpointFuzzTests.edit(CheckpointFuzzTests.checkpoint, path[...], f)
        #expect(edited != CheckpointFuzzTests.checkpoint, "\(name): the edit changed nothing")
        let unsealed = try CheckpointFuzzTests.restore(edited)
        #expect(unsealed?.contains("$.checksum") == true || unsealed?.contains("$.version") == true
                || (name == "infinity" && unsealed?.contains(where_) == true), "\(name): \(unsealed ?? "restored")")
        let sealed = try CheckpointFuzzTests.restore(Checkpoint.sealed(edited))
        #expect(sealed?.contains(where_) == true && sealed?.contains(words) == true, "\(name): \(sealed ?? "restored")")
    }

    /// Random damage with a fixed seed: a digit changed, a byte dropped, the file cut short, a
    /// number replaced by an extreme value. Each is refused cleanly or (a no-op) restores.
    @Test func randomDamageIsRefusedCleanly() throws {
        let text = CheckpointFuzzTests.checkpoint.serialized()
        let bytes = Array(text.utf8)
        let rng = RandomKey(seed: 2026, stream: .shuffle)
        var refused = 0
        for trial in 0..<60 {
            let r = rng.draw(trial)
            // A position that is not whitespace (dropping indentation changes nothing).
            var at = Int((r >> 32) % UInt64(bytes.count))
            while at > 0 && [0x20, 0x0A].contains(bytes[at]) { at -= 1 }
            var b = bytes
            switch trial % 3 {
            case 0: if (0x30...0x39).contains(b[at]) { b[at] = 0x30 + (b[at] - 0x30 + 1) % 10 } else { b[at] = 0x37 }
            case 1: b.remove(at: at)
            default: b = Array(b.prefix(at))
            }
            if let e = try CheckpointFuzzTests.restore(.null, text: String(decoding: b, as: UTF8.self)) {
                #expect(e.contains("$") || e.contains("fuzz") || e.contains("chipsim-fuzz"), "\(e)")
                refused += 1
            }
        }
        #expect(refused == 60)
        // Extreme values in random numeric leaves, re-sealed (so the validation must catch them).
        var leaves: [[Key]] = []
        func collect(_ v: JSONValue, _ p: [Key]) {
            switch v {
            case .number: leaves.append(p)
            case let .array(a): for (i, x) in a.enumerated() { collect(x, p + [.index(i)]) }
            case let .object(kv): for (k, x) in kv { collect(x, p + [.key(k)]) }
            default: break
            }
        }
        collect(CheckpointFuzzTests.checkpoint, [])
        let extremes = ["-1", "1099511627776", "-9223372036854775808", "18446744073709551616", "1e400", "0.5", "-0"]
        for trial in 0..<60 {
            let r = rng.draw(1000 + trial)
            let leaf = leaves[Int((r >> 32) % UInt64(leaves.count))]
            let value = extremes[Int(r % UInt64(extremes.count))]
            let edited = Checkpoint.sealed(CheckpointFuzzTests.edit(CheckpointFuzzTests.checkpoint, leaf[...]) { _ in CheckpointFuzzTests.number(value) })
            _ = try CheckpointFuzzTests.restore(edited)   // refused with a ChipError or restored; never a trap
        }
    }
}
