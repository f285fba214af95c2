// The output core's loss unit for the task of a step: classification (the label; CE + MSE
// error, cost -ln p_label) or regression (targets; MSE error and cost). One place for every
// rule of the family, so they all see the same error and cost for the same readout values.
extension LossUnit {
    /// dL/do in units of 2^-14, saturated to the modulator width.
    public func error(_ o: [Int32], for context: StepContext) -> [Int32] {
        if let y = context.target { return regressionError(o, target: y) }
        return error(o, label: context.label ?? 0)
    }

    /// The scalar cost the zeroth-order rules broadcast, in units of 2^-14: -ln p_label by the
    /// loss unit's log table (NegativeLogTable.standard; p_label >= 1 unit) or, for regression,
    /// sum_k (r_k - y_k)^2 >> 14. The unit counts its instructions into `counts`: the softmax
    /// (6 m, as for the error; skipped when `probabilitiesKnown`, i.e. the error was evaluated
    /// this step) plus the log look-up (NegativeLogTable.instructions); regression 7 m (r_k: shift,
    /// scale, clamp; then subtract, square, shift, add), 3 m when the error already gave r_k - y_k.
    public func cost(_ o: [Int32], for context: StepContext, probabilitiesKnown: Bool = false, counts: inout ActionCounts) -> Int64 {
        if let y = context.target {
            counts.add(.plastInstr, UInt64((probabilitiesKnown ? 3 : 7) * o.count))
            return regressionCost(o, target: y)
        }
        counts.add(.plastInstr, UInt64((probabilitiesKnown ? 0 : LossUnit.instructionCount(outputs: o.count)) + NegativeLogTable.instructions))
        return NegativeLogTable.standard.negLog(probabilities(o)[context.label ?? 0])
    }

    /// The loss baseline b <- b + (L - b) >> shift (arithmetic shift: floor); returns L - b, b
    /// before the update. Three instructions (subtract, shift, add), counted into `counts`.
    public func updateBaseline(_ b: inout Int64, cost L: Int64, shift: Int, counts: inout ActionCounts) -> Int64 {
        counts.add(.plastInstr, 3)
        let delta = L - b
        b += delta >> Int64(shift)
        return delta
    }

    /// A period's cost accumulator: sum += L (one instruction, counted into `counts`).
    public func accumulate(_ sum: inout Int64, cost L: Int64, counts: inout ActionCounts) {
        counts.add(.plastInstr, 1)
        sum += L
    }
}

extension Population {
    /// The output core's loss unit writes its error into this readout population's modulators
    /// (mod_j = e[firstNeuron + j]); counts the loss unit's instructions and returns their cycles.
    public func receiveError(_ e: [Int32], counts c: inout ActionCounts) -> UInt64 {
        let instructions = UInt64(LossUnit.instructionCount(outputs: count))
        c.add(.plastInstr, instructions)
        let first = firstNeuron
        learning!.post.modulator.withUnsafeMutableBufferPointer { mod in
            for j in 0..<mod.count { mod[j] = e[first + j] }
        }
        return instructions
    }
}
