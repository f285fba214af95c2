import ChipModel

/// Learning rules of the float twin (docs/TWIN.md describes each).
public enum TwinRule: String, CaseIterable, Sendable {
    case ottt         // per-step exact spatial BP with presynaptic traces (online reference)
    case opzo         // online pseudo-zeroth-order: noise + learned momentum feedback M
    case dfa          // fixed random feedback
    case readout      // readout only, hidden frozen
    case zo_sp        // single-point zeroth order: (loss - baseline) * z / alpha
    case bptt         // surrogate-gradient BPTT over the T steps of a sample (off-chip baseline)
    case mgd_wp       // MGD weight perturbation (Rademacher codes)
    case mgd_np       // MGD node perturbation (Rademacher codes)
    case fwd_grad     // randomized forward gradient: weight perturbation, Gaussian codes

    public var isOnline: Bool { [.ottt, .opzo, .dfa, .readout, .zo_sp].contains(self) }
    public var isPerturbative: Bool { [.mgd_wp, .mgd_np, .fwd_grad].contains(self) }
    /// Rules that inject noise into the hidden membrane input during training.
    public var injectsNoise: Bool { self == .opzo || self == .zo_sp }
}

public enum NoiseKind: String, CaseIterable, Sendable { case gaussian, rademacher }

/// Rule hyper-parameters (defaults chosen in docs/TWIN.md).
public struct RuleParams: Sendable, Equatable {
    /// Noise amplitude alpha (OPZO, ZO_sp).
    public var alpha: Float = 0.5
    public var noise: NoiseKind = .gaussian
    /// OPZO momentum per sample step.
    public var lambda: Float = 1 - 1.0 / 131072
    /// OPZO: divide the feedback update by alpha (M then estimates the Jacobian itself).
    public var divideByAlpha = true
    /// OPZO: M starts at zero (false) or at DFA's random matrix (true).
    public var randomInitialM = false
    /// Multiply hidden errors by psi (set false for the ablation).
    public var useSurrogate = true
    /// ZO_sp running-baseline decay per step.
    public var baselineDecay: Float = 0.99
    /// Perturbative rules: perturbation size. WP: per-weight delta = norm / sqrt(N_layer);
    /// NP: per-neuron input offset delta.
    public var wpNorm: Float = 1
    public var npDelta: Float = 0.05
    /// MGD: divide G by Gamma = sqrt(1/N + 1/tau_theta - 1/(N tau_theta)) (N = parameters
    /// of the layer, or neurons for node perturbation; tau_theta = the trainer's batch).
    public var mgdGamma = true
    public var tauTheta = 16
    /// BPTT: stop the gradient through the reset (as OTTT and most SNN codes do).
    public var detachReset = true
    /// Salt mixed into the noise / perturbation seed: repeated draws with the same input
    /// spikes (gradcheck). 0 = the network seed itself.
    public var noiseSalt: UInt64 = 0
    public init() {}
}

/// Noise z_l[t] of layer l at step t for sample `coordinate`: stream .neuronNoise keyed by
/// (sample, step, layer), index = neuron, so a rule can regenerate z[t - d] instead of
/// buffering it. Gaussian: RandomKey.gaussian; Rademacher: +1 if the top bit is 1, else -1.
@inline(__always)
func noiseKey(seed: UInt64, coordinate: UInt64, step: Int, layer: Int) -> RandomKey {
    RandomKey(seed: seed, stream: .neuronNoise).with(coordinate).with(step).with(layer)
}

/// Seed of the noise and perturbation streams: the network seed, salted for repeated draws.
@inline(__always)
func saltedSeed(_ seed: UInt64, _ salt: UInt64) -> UInt64 {
    salt == 0 ? seed : seed ^ SplitMix.mix(salt)
}

@inline(__always)
func fillNoise(_ z: UnsafeMutablePointer<Float>, _ n: Int, key: RandomKey, kind: NoiseKind,
               scale: Float, counts: inout TwinOpCounts) {
    switch kind {
    case .gaussian:
        for i in 0..<n { z[i] = scale * Float(key.gaussian(i)) }
        counts.prngDraws &+= UInt64(2 * n)
    case .rademacher:
        for i in 0..<n { z[i] = key.draw(i) >> 63 == 1 ? scale : -scale }
        counts.prngDraws &+= UInt64(n)
    }
    counts.add(.noise, flops: n)
}

/// inj[i] = alpha z[i]: a layer's drawn noise scaled into its injection buffer (n multiplies).
@inline(__always)
func injectNoise(_ inj: UnsafeMutablePointer<Float>, from z: UnsafeMutablePointer<Float>, alpha: Float, _ n: Int,
                 counts: inout TwinOpCounts) {
    for i in 0..<n { inj[i] = alpha * z[i] }
    counts.add(.noise, flops: n)
}

extension Surrogate {
    /// ps[i] = psi(h[i] - theta), or 1 for every neuron when the surrogate gate is off: a
    /// subtract, a compare and a select per neuron (3 FLOPs, counted either way).
    @inline(__always)
    func gate(_ ps: UnsafeMutablePointer<Float>, pre h: UnsafeMutablePointer<Float>, theta: Float, _ n: Int,
              enabled: Bool, counts: inout TwinOpCounts) {
        if enabled { for i in 0..<n { ps[i] = psi(h[i] - theta) } } else { for i in 0..<n { ps[i] = 1 } }
        counts.add(.plasticity, flops: 3 * n)
    }
}
