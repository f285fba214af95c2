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
    /// `nonzeroProducts`: of those products, the ones whose graded input and weight were both
    /// nonzero (NeuroBench's effective MACs: a binarised input times a binarised weight matrix,
    /// bias excluded; docs/NEUROBENCH.md). A delivery of activations passes it (`nonzeroFanOut`
    /// summed over its nonzero inputs); learning traffic (g = M e) leaves it 0: it is no
    /// synaptic operation of the model's forward pass.
    public static func count(pre: Int, post: Int, bitsPerValue: Int, nonzeroProducts: Int = 0, into c: inout ActionCounts) {
        c.add(.synop, UInt64(pre * post))
        c.add(.sramReadBits, UInt64(pre * post * bitsPerValue))
        c.gradedNonzeroProducts += UInt64(nonzeroProducts)
    }

    /// The nonzero weights of axon `i`'s row as the block holds them now (absent sparse synapses
    /// are zeros): the products a nonzero graded input on axon `i` makes effective.
    public static func nonzeroFanOut(_ b: SynapseBlock, pre i: Int) -> Int {
        var n = 0
        switch b.layout {
        case .dense: for j in 0..<b.nPost where b.weights[i * b.nPost + j] != 0 { n += 1 }
        case .sparse: for k in Int(b.rowStart[i])..<Int(b.rowStart[i + 1]) where b.weights[k] != 0 { n += 1 }
        }
        return n
    }
}

extension PlasticityUnit {
    /// The scalar controller's `n` instructions outside a program run.
    public static func countControllerInstructions(_ n: UInt64, into c: inout ActionCounts) {
        c.add(.plastInstr, n)
    }
}
