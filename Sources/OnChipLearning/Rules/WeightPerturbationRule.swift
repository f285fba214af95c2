import ChipModel

// Weight perturbation on chip: MGD-WP (McCaughan/Oripov) and the randomized forward gradient
// (Wan/Zhang/Karniadakis), docs/LEARNING.md "Weight perturbation on chip". Both are specs,
// configs/rules/mgd_wp.json and fwd_grad.json, run by the schedule interpreter with its
// weight-perturbation steps (Rules/Engine/ScheduledRule+Periods.swift): the perturb / restore /
// update programs over the perturbed forward blocks, the period cost on the loss unit, the
// baseline on the output core's controller, the broadcast of C~ into r0. Their typed
// parameters are WeightPerturbationParameters (Training/PerturbationConfig.swift, the
// learning-section decoder the spec's declarations are tested against) and the reference text
// of their programs WeightPerturbationPrograms (tested equal to the specs' programs).

/// The weight-perturbation rules are scheduled rules built from their shipped specs.
public typealias WeightPerturbationRule = ScheduledRule

extension ScheduledRule {
    /// Readout learning from the loss unit's error for a rule that is not a spec yet (LOCO):
    /// mod_k = e_k, then `program` (the three-factor update) over the output blocks. Returns
    /// the slowest output core's cycles.
    static func updateReadout(outputs: [(core: Core, population: Population)], error e: [Int32], program: MicrocodeProgram,
                              seed: UInt64, step: Int) -> UInt64 {
        var slowest: UInt64 = 0
        for (core, pop) in outputs {
            let l = pop.learning!
            var c = ActionCounts()
            var cycles = pop.receiveError(e, counts: &c)
            for k in 0..<pop.blocks.count {
                let r = core.plasticityUnit.runSynapseScope(program, block: &pop.blocks[k], pre: l.pre[k], post: l.post,
                                                            random: MicrocodeRandom(seed: seed, core: core.id, step: step, block: k, scope: .synapse),
                                                            counts: &c)
                cycles += UInt64(r.cycles)
            }
            core.recordLearning(c)
            slowest = max(slowest, cycles)
        }
        return slowest
    }
}
