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
//   I in [0, 1]; the weights use fx = -dx - floor(-dx), fy likewise (the same for every
//   pixel of a frame); log intensity L = ln(I + `epsilon`) (default epsilon 0.1, like a sensor's
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
        let w = d.width, h = d.height
        // The image scaled to [0, 1] inside a zero border wide enough for every sampling
        // position (canvas offset -m, displacement up to `amplitude`, bilinear +1), so the
        // inner loop needs no bounds checks.
        let pad = margin + Int(amplitude.rounded(.up)) + 2
        let pw = w + 2 * pad, ph = h + 2 * pad
        var padded = [Double](repeating: 0, count: pw * ph)
        d.withFeatures(index) { f in
            for y in 0 ..< h { for x in 0 ..< w { padded[(y + pad) * pw + x + pad] = Double(f[y * w + x]) / 255 } }
        }
        let darkLevel = log(epsilon)
        // Canvas pixel (X, Y) samples the image at (X - m - dx, Y - m - dy): the fractional
        // part, hence the bilinear weights, is the same for every pixel of a frame.
        func frame(_ tau: Double, into L: inout [Double]) {
            let (dx, dy) = displacement(tau)
            let bx = (-dx).rounded(.down), by = (-dy).rounded(.down)
            let fx = -dx - bx, fy = -dy - by
            let w00 = (1 - fx) * (1 - fy), w10 = fx * (1 - fy), w01 = (1 - fx) * fy, w11 = fx * fy
            let ox = Int(bx) - margin + pad, oy = Int(by) - margin + pad
            padded.withUnsafeBufferPointer { img in
                L.withUnsafeMutableBufferPointer { out in
                    for Y in 0 ..< H {
                        let row = (Y + oy) * pw + ox
                        for X in 0 ..< W {
                            let k = row + X
                            let i = w00 * img[k] + w10 * img[k + 1] + w01 * img[k + pw] + w11 * img[k + pw + 1]
                            out[Y * W + X] = i == 0 ? darkLevel : log(i + epsilon)   // most of the canvas is dark
                        }
                    }
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
