import Testing
@testable import OnChipLearning
@testable import ChipModel

/// The loss unit's scalar cost, baseline and accumulator: values by hand, and the instructions
/// the unit counts for each.
@Suite struct LossUnitCostTests {
    let unit = LossUnit(LossUnitParameters(outputShift: 4, ceWeight: 64, mseWeight: 0))

    @Test func costIsTheTableLogOfTheLabelsProbabilityAndCountsItsInstructions() {
        // Logits 10, 0, 0 (o >> 4): p_0 = expLUT[0] / (expLUT[0] + 2 expLUT[10]) in units of 2^-14.
        let o: [Int32] = [160, 0, 0]
        let ctx = StepContext(sample: 0, step: 0, stepsPerSample: 1, globalStep: 0, label: 1, training: true)
        let p = unit.probabilities(o)
        var counts = ActionCounts()
        let L = unit.cost(o, for: ctx, counts: &counts)
        #expect(L == NegativeLogTable.standard.negLog(p[1]))
        // By hand: expLUT[10] = round(2^16 e^-0.625) = 35,079; S = 65,536 + 2 x 35,079 = 135,694;
        // p_1 = (35,079 x 2^14 + S/2) / S = 4,236 units; -ln(4236 / 2^14) x 2^14 = 22,162.40 -> 22,162.
        #expect(p[1] == 4_236)
        #expect(L == 22_162)
        #expect(counts[.plastInstr] == UInt64(6 * 3 + NegativeLogTable.instructions))
        var known = ActionCounts()
        _ = unit.cost(o, for: ctx, probabilitiesKnown: true, counts: &known)
        #expect(known[.plastInstr] == UInt64(NegativeLogTable.instructions))
    }

    @Test func baselineAndAccumulatorByHand() {
        var counts = ActionCounts()
        var b: Int64 = 100
        // delta = 50 - 100 = -50; b += -50 >> 4 = -4 (floor) -> 96.
        #expect(unit.updateBaseline(&b, cost: 50, shift: 4, counts: &counts) == -50)
        #expect(b == 96)
        #expect(unit.updateBaseline(&b, cost: 128, shift: 4, counts: &counts) == 32)
        #expect(b == 98)
        var sum: Int64 = 7
        unit.accumulate(&sum, cost: 5, counts: &counts)
        #expect(sum == 12)
        #expect(counts[.plastInstr] == 3 + 3 + 1)
    }
}
