import Foundation
import ChipModel

// The output core's loss unit for the task of a step: classification (the label; CE + MSE
// error, cost -ln p_label) or regression (targets; MSE error and cost). One place for every
// rule of the family, so they all see the same error and cost for the same readout values.
extension LossUnit {
    /// dL/do in units of 2^-14, saturated to the modulator width.
    public func error(_ o: [Int32], for context: StepContext) -> [Int32] {
        if let y = context.target { return regressionError(o, target: y) }
        return error(o, label: context.label ?? 0)
    }

    /// The scalar cost the zeroth-order rules broadcast, in units of 2^-14: -ln p_label (a log
    /// look-up at the output core; p_label >= 1 unit) or, for regression, sum_k (r_k - y_k)^2.
    public func cost(_ o: [Int32], for context: StepContext) -> Int64 {
        if let y = context.target { return regressionCost(o, target: y) }
        let probs = probabilities(o)
        let pl = max(1, probs[context.label ?? 0])
        return Int64((-Foundation.log(Double(pl) / Double(LossUnit.one)) * Double(LossUnit.one)).rounded())
    }
}

extension Population {
    /// The output core's loss unit writes its error into this readout population's modulators
    /// (mod_j = e[firstNeuron + j]); counts the loss unit's instructions and returns their cycles.
    func receiveError(_ e: [Int32], counts c: inout ActionCounts) -> UInt64 {
        let instructions = UInt64(LossUnit.instructionCount(outputs: count))
        c.add(.plastInstr, instructions)
        let first = firstNeuron
        learning!.post.modulator.withUnsafeMutableBufferPointer { mod in
            for j in 0..<mod.count { mod[j] = e[first + j] }
        }
        return instructions
    }
}
