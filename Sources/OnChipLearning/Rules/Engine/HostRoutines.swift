import ChipModel

// Host routines: what a spec's `host.call` step asks the host to do because the modelled chip
// cannot (docs/LEARNING.md, "Host steps"). A routine is declared to the simulator's host-step
// ledger when the rule attaches; every call records the bytes it moved over the host link in
// each direction and the host operations it performed (HostStepCounts), which reports cost with
// the host profile on their own line, never with the chip's energy table. A routine's state
// (host memory) is saved with the rule's in checkpoints. Only the arithmetic the host does lives
// in Swift; when it runs, what it reads and where its result goes are the spec's schedule.

/// A hidden synapse block whose presynaptic spikes the controller counts (controller.countSpikes):
/// the counters are chip memory of the block's core, read by a host routine.
struct CountedBlock {
    let core: Core
    let population: Population
    /// Index of the block in `population.blocks`.
    let block: Int
    var tally: ContiguousArray<Int32>
}

protocol HostRoutine: AnyObject {
    /// Stable name, "<rule>.<step>" (the report's host-step key).
    var name: String { get }
    /// Bits per presynaptic axon of each block the routine writes into the chip (chip memory).
    var registerBits: Int { get }
    /// Declares the host step and sets up the routine's host memory for `blocks`, whose counters
    /// are `counterBits` wide.
    func attach(blocks: [CountedBlock], counterBits: Int, simulator: Simulator) throws
    /// One call: reads the blocks' counters, writes its result into the chip, records its counts.
    func run(blocks: [CountedBlock], simulator: Simulator)
    /// Host memory that outlives a sample (checkpoints).
    var stateRegisters: [RuleStateRegister] { get }
    /// Restores one register; false if the name is not the routine's.
    func restore(_ register: RuleStateRegister) -> Bool
}

/// The routines a spec may call, by name.
enum HostRoutines {
    static let names = [LOCOProjection.name]

    /// The integer arguments a routine takes ("with": {...}), in order.
    static func arguments(of name: String) -> [String] {
        LOCOProjection.arguments
    }

    static func make(_ name: String, arguments: [String: Int]) -> HostRoutine {
        LOCOProjection(arguments: arguments)
    }
}
