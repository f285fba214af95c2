@testable import OnChipLearning
@testable import ChipModel

// The names WeightPerturbationTests and WeightPerturbationOracleTests inspect, mapped onto the
// schedule interpreter's state (the tests predate the spec and stay unchanged: they are the
// wide-integer oracle of mgd_wp and fwd_grad).
extension ScheduledRule {
    var baseline: Int64 {
        get { perturbation.baseline }
        set { perturbation.baseline = newValue }
    }
    var periodsSeen: Int32 {
        get { perturbation.periodsSeen }
        set { perturbation.periodsSeen = newValue }
    }
    var perturbedCores: [Int] { perturbation.perturbedCores }

    /// The index of a program in the interpreter's list (names sorted).
    func programIndex(_ name: String) -> Int { spec.programs.keys.sorted().firstIndex(of: name)! }
    private var rounded: Bool { values.int("productShift") > 0 }

    var perturbProgram: MicrocodeProgram { perturbation.programs[0][programIndex("perturb")] }
    var restoreProgram: MicrocodeProgram { perturbation.programs[0][programIndex(rounded ? "restoreRounded" : "restore")] }
    /// Each perturbed block with the update program its layer runs.
    struct InspectedTarget { let update: MicrocodeProgram }
    var targets: [InspectedTarget] {
        perturbation.targets.map { InspectedTarget(update: perturbation.programs[$0.variant][programIndex(rounded ? "updateRounded" : "update")]) }
    }

    /// The end of the period that began at `period` with C~ = `costDelta`: C~ into r0 of every
    /// perturbed neuron, then the restore (or update) program at global step `step`.
    func endPeriod(period: Int, costDelta: Int64, update: Bool, step: Int) -> UInt64 {
        for pop in perturbation.perturbedPopulations { pop.learning!.post.broadcastScratch(costDelta) }
        coreCycles.removeAll()
        defer { coreCycles.removeAll() }
        runPerturbed(programIndex((update ? "update" : "restore") + (rounded ? "Rounded" : "")), period: period, step: step)
        return coreCycles.values.max() ?? 0
    }
}
