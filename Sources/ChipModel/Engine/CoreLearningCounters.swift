// The learning-phase actions a core's units perform, each counted by a method named after the
// unit that does the work. Rules call these (or pass a unit's own counter run, see
// `recordLearning`) and never add to `counts` themselves, so every learning count in a report
// is traceable to the unit that made it. The sums are the same integers the rules used to add.

extension Core {
    /// Aggregates what this core's units counted during one learning step (a plasticity-unit
    /// run, the loss unit, a PRNG draw batch, ...) into the core's learning phase.
    public func recordLearning(_ unitCounts: ActionCounts) {
        counts.byPhase[Phase.learning.rawValue].add(unitCounts)
    }

    /// Sets the counters to a checkpoint's values (resuming a run; nothing else writes them).
    public func restoreCounters(_ saved: PhaseCounts) { counts = saved }

    /// Router: `n` modulatory values broadcast to all neurons of this core (one each).
    public func countModulatorBroadcasts(_ n: UInt64 = 1) {
        counts.add(.learning, .modBroadcast, n)
    }

    /// PRNG unit: `n` 64-bit draws during learning.
    public func countRandomDraws(_ n: UInt64) {
        counts.add(.learning, .prngDraw, n)
    }

    /// Plasticity unit, scalar controller: `n` instructions outside a program run (a counter
    /// increment, a summed output, a period's cost arithmetic).
    public func countControllerInstructions(_ n: UInt64) {
        counts.add(.learning, .plastInstr, n)
    }
}
