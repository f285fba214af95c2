import Foundation
import ChipModel
import OnChipLearning

// `chipsim asm`: assemble a .mc file (or compile a rule string, or show a built-in rule)
// and print its disassembly with per-instruction cycle cost and counted actions.

enum AsmCommand: Subcommand {
    static let name = "asm"
    static let summary = "assemble plasticity microcode (.mc) or a rule string; print costs"
    static let help = """
    USAGE: chipsim asm FILE.mc
           chipsim asm --rule "dw = 2^-4 * x1 * y0 - 2^-5 * y1 * x0" [--fraction-bits N] [--stochastic]
           chipsim asm --builtin stdp|rstdp

    Assembles the program and prints its disassembly (which assembles back to the same
    program), each instruction's cycles and counted actions, and the totals per executed
    element. Errors name file, line and column. See docs/MICROCODE.md.

    OPTIONS:
      --rule TEXT          compile a Lava-style sum-of-products rule instead of a file
      --fraction-bits N    fraction bits kept while summing rule terms (default 0)
      --stochastic         round the fraction bits stochastically (default floor)
      --builtin NAME       print a built-in rule program: stdp, rstdp

    EXAMPLES:
      chipsim asm configs/microcode/stdp.mc
      chipsim asm configs/microcode/rstdp.mc
      chipsim asm --rule "dw = 2^-6 * mod * x1"
    """
    static let flags: Set<String> = ["stochastic"]

    static func run(_ args: inout Arguments) throws -> Int32 {
        let rule = try args.value("rule")
        let builtin = try args.value("builtin")
        let fractionBits = try args.int("fraction-bits", default: 0, in: 0...16)
        let stochastic = args.flag("stochastic")
        let program: MicrocodeProgram
        let title: String
        if let rule {
            try args.finish()
            guard (0...16).contains(fractionBits) else { throw ChipError.usage("--fraction-bits must be in 0...16") }
            program = try RuleStringCompiler.compile(rule, file: "<rule>",
                options: RuleOptions(fractionBits: fractionBits, rounding: stochastic ? .stochastic : .floor))
            title = "rule \"\(rule)\""
        } else if let builtin {
            try args.finish()
            switch builtin {
            case "stdp": program = STDPRule.program(); print(STDPRule.source()); print("")
            case "rstdp": program = RSTDPRule.program(); print(RSTDPRule.source()); print("")
            default: throw ChipError.usage("unknown --builtin '\(builtin)'; expected stdp or rstdp")
            }
            title = "built-in \(builtin)"
        } else {
            let path = try args.positional("a .mc file (or --rule / --builtin)")
            try args.finish()
            program = try MicrocodeAssembler.assemble(path: path)
            title = path
        }
        print(report(program, title: title), terminator: "")
        return 0
    }

    static func report(_ p: MicrocodeProgram, title: String) -> String {
        var out = "; \(title)\n"
        out += "; scope \(p.scope.name); skip rule: "
        if p.gates.isEmpty && p.requires.isEmpty { out += "none (every element runs)" }
        if !p.requires.isEmpty { out += "skip if any of \(p.requires.map(\.name).joined(separator: ", ")) is 0" }
        if !p.gates.isEmpty {
            out += (p.requires.isEmpty ? "" : "; ") + "skip if all of \(p.gates.map(\.name).joined(separator: ", ")) are 0"
        }
        out += "\n"
        // Header lines of the disassembly (.scope/.gate/.require), then annotated instructions.
        for line in MicrocodeAssembler.disassemble(p).split(separator: "\n") where line.hasPrefix(".") { out += line + "\n" }
        var draws = 0, wReads = 0, auxReads = 0, wWrites = 0, auxWrites = 0
        for (pc, ins) in p.instructions.enumerated() {
            var acts = ["plast.instr"]
            if ins.op.drawsRandom { acts.append("prng.draw"); draws += 1 }
            if ins.op == .ld, let s = MicrocodeSource(rawValue: ins.a), s.isSynapseMemory {
                acts.append("sram.read.bits(\(s == .w ? "weightBits" : "auxBits"))")
                if s == .w { wReads += 1 } else { auxReads += 1 }
            }
            if ins.op == .st, let d = MicrocodeDestination(rawValue: ins.d), d == .w || d == .aux {
                acts.append("sram.write.bits(\(d == .w ? "weightBits" : "auxBits"))")
                if d == .w { wWrites += 1 } else { auxWrites += 1 }
            }
            let text = MicrocodeAssembler.text(of: ins).padding(toLength: 26, withPad: " ", startingAt: 0)
            out += "\(text) ; pc \(String(pc).leftPad(3))  \(ins.op.cycles) cyc  \(acts.joined(separator: ", "))\n"
        }
        out += "; per executed \(p.scope.name): \(p.instructions.count) plast.instr, \(p.cyclesPerElement) cycles per lane"
        if p.scope == .synapse { out += ", 1 plast.synapse" }
        out += ", \(draws) prng.draw"
        if p.scope == .synapse {
            out += ", sram reads \(wReads) x weightBits + \(auxReads) x auxBits, writes \(wWrites) x weightBits + \(auxWrites) x auxBits"
        }
        out += "\n; microcode store: \(p.memoryBytes) bytes\n"
        return out
    }
}

