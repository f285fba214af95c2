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
