import Foundation

// DVS-like event conversion of a static image, in the manner of N-MNIST (Orchard et al.
// 2015, where an ATIS camera watched MNIST digits while it moved in three saccades).
//
// Model (deterministic, noise-free):
// - Canvas: (w + 2m) x (h + 2m) pixels, m = `margin` (default 3, so 28x28 -> 34x34 as in N-MNIST).
// - Motion: the image's top-left corner sits at (m + dx, m + dy), where (dx, dy) moves at
//   constant speed along three saccades forming an isosceles triangle:
//   V0 = (-a, +a) -> V1 = (0, -a) -> V2 = (+a, +a) -> V0, a = `amplitude` pixels (default 2),
//   each saccade lasting a third of the sample. At scene time tau in [0, 1], saccade
//   s = min(2, floor(3 tau)) and d = V_s + (3 tau - s) (V_(s+1) - V_s).
// - Scene intensity at canvas pixel (X, Y): the image bilinearly interpolated at
//   (X - m - dx, Y - m - dy) (pixel values at integer coordinates, 0 outside), scaled to
//   I in [0, 1]; log intensity L = ln(I + `epsilon`) (default epsilon 0.1, like a sensor's
//   dark floor).
// - Each pixel keeps a reference level R, initialised to L at tau = 0 (no events for the
//   initial frame). Step t (0-based, T steps) looks at the scene at tau = (t + 1) / T:
//   D = L - R; if D >= theta: one ON spike, R += theta * floor(D / theta);
//   if D <= -theta: one OFF spike, R -= theta * floor(-D / theta) (theta = `threshold`,
//   default 0.2). A pixel emits at most one spike per polarity per step (a raster is binary).
// - Channels: 2 (w + 2m)(h + 2m); channel = polarity * W * H + Y * W + X with
//   polarity 0 = OFF, 1 = ON (the same layout as N-MNIST rasters from `EventBinning`).

public struct SaccadeDVSEncoder: SpikeEncoder {
    public var steps: Int
    public var margin: Int
    public var amplitude: Double
    public var threshold: Double
    public var epsilon: Double

    public init(steps: Int, margin: Int = 3, amplitude: Double = 2, threshold: Double = 0.2, epsilon: Double = 0.1) {
        self.steps = steps; self.margin = margin; self.amplitude = amplitude
        self.threshold = threshold; self.epsilon = epsilon
    }

    public func canvas(for d: ImageDataset) -> (width: Int, height: Int) {
        (d.width + 2 * margin, d.height + 2 * margin)
    }

    public func channels(for d: ImageDataset) -> Int {
        let c = canvas(for: d)
        return 2 * c.width * c.height
    }

    /// Image displacement at scene time tau in [0, 1].
    public func displacement(_ tau: Double) -> (dx: Double, dy: Double) {
        let a = amplitude
        let v: [(Double, Double)] = [(-a, a), (0, -a), (a, a), (-a, a)]
        let s = min(2, Int((3 * tau).rounded(.down)))
        let u = 3 * tau - Double(s)
        return (v[s].0 + u * (v[s + 1].0 - v[s].0), v[s].1 + u * (v[s + 1].1 - v[s].1))
    }

    public func encode(_ d: ImageDataset, sample index: Int) -> SpikeRaster {
        precondition(d.channels == 1, "SaccadeDVSEncoder needs single-channel images")
        let (W, H) = canvas(for: d)
        let plane = W * H
        let img = Array(d.features(index))
        let w = d.width, h = d.height
        func pixel(_ x: Int, _ y: Int) -> Double {
            x >= 0 && x < w && y >= 0 && y < h ? Double(img[y * w + x]) / 255 : 0
        }
        let darkLevel = log(epsilon)
        func frame(_ tau: Double, into L: inout [Double]) {
            let (dx, dy) = displacement(tau)
            for Y in 0 ..< H {
                for X in 0 ..< W {
                    let sx = Double(X - margin) - dx, sy = Double(Y - margin) - dy
                    let x0 = Int(sx.rounded(.down)), y0 = Int(sy.rounded(.down))
                    let fx = sx - Double(x0), fy = sy - Double(y0)
                    let i = (1 - fx) * (1 - fy) * pixel(x0, y0) + fx * (1 - fy) * pixel(x0 + 1, y0)
                          + (1 - fx) * fy * pixel(x0, y0 + 1) + fx * fy * pixel(x0 + 1, y0 + 1)
                    L[Y * W + X] = i == 0 ? darkLevel : log(i + epsilon)   // most of the canvas is dark
                }
            }
        }
        var ref = [Double](repeating: 0, count: plane)
        frame(0, into: &ref)
        var L = ref
        var on = [Bool](repeating: false, count: plane), off = on
        var r = SpikeRaster(channels: 2 * plane)
        for t in 0 ..< steps {
            frame(Double(t + 1) / Double(steps), into: &L)
            for p in 0 ..< plane {
                let diff = L[p] - ref[p]
                on[p] = false; off[p] = false
                if diff >= threshold {
                    on[p] = true; ref[p] += threshold * (diff / threshold).rounded(.down)
                } else if diff <= -threshold {
                    off[p] = true; ref[p] -= threshold * (-diff / threshold).rounded(.down)
                }
            }
            for p in 0 ..< plane where off[p] { r.push(Int32(p)) }
            for p in 0 ..< plane where on[p] { r.push(Int32(plane + p)) }
            r.endStep()
        }
        return r
    }
}
