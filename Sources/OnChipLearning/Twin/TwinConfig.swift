import ChipModel

/// Shape of the surrogate derivative psi(x), x = h - threshold (h = pre-reset membrane).
///   rectangular: psi = 1 / (2a) for |x| < a, else 0            (unit area)
///   triangular:  psi = max(0, 1 - |x| / a) / a                 (unit area)
/// `relaxed(x)` is the antiderivative (0 at -inf, 1 at +inf) used as a differentiable
/// spike function for the finite-difference check of BPTT:
///   rectangular: clamp(x / (2a) + 1/2, 0, 1)
///   triangular:  0 (x <= -a); (x + a)^2 / (2a^2) (-a < x <= 0); 1 - (a - x)^2 / (2a^2) (0 < x < a); 1
public enum SurrogateShape: String, CaseIterable, Sendable { case rectangular, triangular }

public struct Surrogate: Sendable, Equatable {
    public var shape: SurrogateShape
    /// Half-width a of the window (in membrane units).
    public var halfWidth: Float
    public init(shape: SurrogateShape = .rectangular, halfWidth: Float = 0.5) {
        self.shape = shape; self.halfWidth = halfWidth
    }

    @inline(__always)
    public func psi(_ x: Float) -> Float {
        let a = halfWidth
        switch shape {
        case .rectangular: return abs(x) < a ? 0.5 / a : 0
        case .triangular: let r = 1 - abs(x) / a; return r > 0 ? r / a : 0
        }
    }

    @inline(__always)
    public func relaxed(_ x: Float) -> Float {
        let a = halfWidth
        switch shape {
        case .rectangular: return min(1, max(0, x / (2 * a) + 0.5))
        case .triangular:
            if x <= -a { return 0 }
            if x <= 0 { return (x + a) * (x + a) / (2 * a * a) }
            if x < a { return 1 - (a - x) * (a - x) / (2 * a * a) }
            return 1
        }
    }
}

/// The float twin's network: sizes [inputs, hidden..., outputs] and the chip's CUBA LIF
/// dynamics in float. Decays are given as the chip's 12-bit constants so both sides use the
/// same numbers: current factor (4096 - (du + 1)) / 4096, voltage factor (4096 - dv) / 4096.
public struct TwinConfig: Sendable, Equatable {
    public var sizes: [Int]
    /// Timesteps per sample.
    public var steps: Int = 16
    public var hiddenDu: Int = 4095       // current factor 0: u = this step's input
    public var hiddenDv: Int = 2048       // voltage factor 0.5 (tau = 2, as OTTT)
    public var readoutDu: Int = 4095
    public var readoutDv: Int = 2048
    public var threshold: Float = 1
    public var reset: ResetMode = .soft
    public var surrogate = Surrogate()
    /// Per-step loss  l[t] = ce * CE(o[t], y) + mse * 0.5 * |o[t] - y|^2;  L = (1/T) sum_t l[t].
    public var ceWeight: Float = 0.95
    public var mseWeight: Float = 0.05
    /// Initial weights: N(0, (scale / sqrt(fan_in))^2) from stream weightInit.
    public var hiddenInitScale: Float = 2
    public var readoutInitScale: Float = 1
    public var seed: UInt64 = 1

    public init(sizes: [Int], steps: Int = 16, seed: UInt64 = 1) {
        precondition(sizes.count >= 2 && sizes.allSatisfy { $0 > 0 }, "sizes: [inputs, hidden..., outputs]")
        self.sizes = sizes; self.steps = steps; self.seed = seed
    }

    /// Number of weight layers (connections); the last one feeds the readout.
    public var layerCount: Int { sizes.count - 1 }
    public func isReadout(_ l: Int) -> Bool { l == layerCount - 1 }
    public func currentFactor(_ l: Int) -> Float {
        Float(4096 - ((isReadout(l) ? readoutDu : hiddenDu) + 1)) / 4096
    }
    public func voltageFactor(_ l: Int) -> Float {
        Float(4096 - (isReadout(l) ? readoutDv : hiddenDv)) / 4096
    }
    /// Steps between layer l's membrane and the readout's: a spike of layer l at step t
    /// moves the readout at t + delayToReadout(l) (one-step synaptic delay per layer).
    public func delayToReadout(_ l: Int) -> Int { layerCount - 1 - l }
}
