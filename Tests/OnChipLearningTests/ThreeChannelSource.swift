import ChipModel

/// The perturbation rules' tiny task: 3 input channels; sample s lights channel s % 3 every
/// step and channel (s + 1) % 3 on even steps; label s % 2.
struct ThreeChannelSource: SpikeSource {
    let channels = 3
    let samples: Int
    func label(sample: Int) -> Int? { sample % 2 }
    func spikes(sample: Int, step: Int, into out: inout ContiguousArray<Int32>) {
        var s = [Int32(sample % 3)]
        if step % 2 == 0 { s.append(Int32((sample + 1) % 3)) }
        out.append(contentsOf: s.sorted())
    }
    /// Independent oracle: spikes of channel j delivered during a T-step sample (steps 0...T-2;
    /// the spikes of the last step are delivered in the next sample, which starts from a reset).
    func delivered(sample: Int, steps T: Int) -> [Int64] {
        var r = [Int64](repeating: 0, count: 3)
        for t in 0..<(T - 1) {
            r[sample % 3] += 1
            if t % 2 == 0 { r[(sample + 1) % 3] += 1 }
        }
        return r
    }
}
