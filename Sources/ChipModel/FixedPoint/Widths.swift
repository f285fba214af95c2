// Bit widths of the chip's datapaths, named once so that every saturate, wrap and
// shift in the model says which hardware register it models. See docs/SEMANTICS.md.

/// Widths and shifts of the `loihi-cuba` neuron datapath (docs/SEMANTICS.md).
public enum NeuronWidths {
    /// Current u: signed 24-bit, wraps on overflow (two's complement).
    public static let current = 24
    /// Voltage v: signed 24-bit, saturates to +/-(2^23 - 1) (symmetric: -2^23 is never produced).
    public static let voltage = 24
    /// Decay constants du, dv: unsigned 12-bit.
    public static let decay = 12
    /// Decay unit: multiplying by (decayUnit - d) then shifting right by `decayShift` decays.
    public static let decayUnit: Int64 = 4096
    public static let decayShift: Int64 = 12
    /// Synaptic input and threshold are left-shifted by 6 to align with u/v's MSBs.
    public static let activationShift: Int64 = 6
    public static let thresholdShift: Int64 = 6
    /// Bias mantissa: signed 13-bit; exponent: 0...7 (Loihi); negative exponents shift right.
    public static let biasMantissa = 13
    /// Threshold mantissa: unsigned 17-bit (Loihi).
    public static let thresholdMantissa = 17
    /// Refractory counter: 0...63 steps.
    public static let refractoryMax = 63
}

/// Widths of the synapse datapath.
public enum SynapseWidths {
    /// Allowed weight mantissa widths (signed, including the sign bit).
    public static let weightBitsRange = 1...9
    public static let defaultWeightBits = 8
    /// Weight exponent range per connection (applied to the dendritic sum).
    public static let weightExponentRange = -8...7
    /// Dendritic accumulator: signed 32-bit; a sum that would leave it saturates.
    public static let dendriticAccumulator = 32
}

/// Widths of the learning datapath (docs/SEMANTICS.md and docs/LEARNING.md, the learning state).
public enum LearningWidths {
    public static let defaultTraceBits = 8
    public static let traceDecay = 12
    public static let modulator = 16
    public static let aluRegister = 32
}
