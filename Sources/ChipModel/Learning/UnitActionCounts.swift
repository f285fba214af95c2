// Counted actions of the learning units whose work happens inside a larger step that collects
// its counts in one ActionCounts (a neuron-update hook's counter, or a learning step's run that
// ends in Core.recordLearning). Each function is named by the unit that performs the action,
// so a rule never writes a counter itself.

/// The core PRNG unit.
public enum PRNGUnit {
    /// `n` 64-bit draws.
    public static func countDraws(_ n: Int, into c: inout ActionCounts) {
        c.add(.prngDraw, UInt64(n))
    }
}

/// A graded (non-spike) delivery through a synapse block: every one of `pre` x `post` stored
/// values is read and multiply-accumulated once, like a synop, reading `bitsPerValue` bits of
/// synapse SRAM each (the forward weights, or the 32-bit feedback registers of g = M e).
public enum GradedDelivery {
    public static func count(pre: Int, post: Int, bitsPerValue: Int, into c: inout ActionCounts) {
        c.add(.synop, UInt64(pre * post))
        c.add(.sramReadBits, UInt64(pre * post * bitsPerValue))
    }
}

extension PlasticityUnit {
    /// The scalar controller's `n` instructions outside a program run.
    public static func countControllerInstructions(_ n: UInt64, into c: inout ActionCounts) {
        c.add(.plastInstr, n)
    }

    /// A synapse-scope pass charged by declared per-synapse constants (MGD-WP / fwd_grad
    /// perturb, restore, update): per synapse one row visit, `instructions` instructions,
    /// `draws` PRNG draws, and `bits` bits read and written back.
    public static func countSynapsePass(synapses s: UInt64, instructions: UInt64, draws: UInt64, bits: UInt64,
                                        into c: inout ActionCounts) {
        c.add(.plastSynapse, s)
        c.add(.plastInstr, s * instructions)
        c.add(.prngDraw, s * draws)
        c.add(.sramReadBits, s * bits)
        c.add(.sramWriteBits, s * bits)
    }

    /// Prototype memory of a clustering step (LOCO): `readBits` read, `writeBits` written.
    public static func countPrototypeAccess(readBits: UInt64, writeBits: UInt64, into c: inout ActionCounts) {
        c.add(.sramReadBits, readBits)
        c.add(.sramWriteBits, writeBits)
    }
}
