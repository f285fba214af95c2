// Where the spikes of a shaped connection's presynaptic neurons go: only to the cores whose
// slice of the target layer lies in the neuron's fan-out (its own core's region plus the halo
// of neighbouring slices), not to every core of the target layer. One packet per spike per
// destination core, routed through the mesh like any spike (docs/CONV.md).

public struct HaloRoute: Sendable {
    /// Neuron s's destination cores are cores[start[s]..<start[s+1]], ascending.
    public let start: ContiguousArray<Int32>
    public let cores: ContiguousArray<Int32>

    public init(start: ContiguousArray<Int32>, cores: ContiguousArray<Int32>) { self.start = start; self.cores = cores }

    public func destinationCount(of s: Int) -> Int { Int(start[s + 1] - start[s]) }
    public func destinations(of s: Int) -> ArraySlice<Int32> { cores[Int(start[s])..<Int(start[s + 1])] }
}
