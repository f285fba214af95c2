// The host link's sends that are part of a learning schedule (the input spikes it streams are
// counted where they are routed, Simulator.step). Each send counts its own bytes into the mesh
// component's `host.io.bytes`, in the learning phase.

extension Simulator {
    /// The host sends a sample's label to each of `cores` output cores: one byte each (a label
    /// index below 256; the loss unit keeps it in a register for the sample).
    public func sendLabel(toCores cores: Int) {
        countHost(.hostIOBytes, UInt64(cores))
    }
}
