// Import of dense NIR graphs onto the chip: Input, Output, Affine, Linear, Scale and the neuron
// nodes LIF, IF, LI, CubaLIF, CubaLI become chip layers and dense connections with explicit
// weights. The mapping (docs/NIR.md has the derivation):
//
// NIR time is continuous; with the step dt (option, default 1e-4 s) every neuron is discretised
// by forward Euler, with a_mem = dt / tau_mem (IF: no leak) and a_syn = dt / tau_syn (1 for
// neurons without a synaptic current):
//     I' = (1 - a_syn) I + a_syn w_in (W s + b)              (CubaLIF, CubaLI)
//     v' = (1 - a_mem) v + a_mem v_leak + a_mem r I'          (IF: v' = v + dt r I')
// The chip's loihi-cuba neuron computes u' = u (4096 - (du + 1)) / 4096 + a_in 2^6 and
// v' = v (4096 - dv) / 4096 + u' + bias (docs/SEMANTICS.md), so with a voltage scale S (chip
// units per NIR voltage unit, a power of two chosen per layer) and u = S a_mem r I:
//     dv = round(4096 a_mem)           du = round(4096 a_syn) - 1
//     g_j = a_mem r_j a_syn w_in_j     (IF: dt r_j)   the jump of v_j per unit of W s
//     weight w_ij 2^(e+6) = S g_j W_ji  (w rounded to weightBits, e per connection)
//     vth 2^6 = S v_threshold          bias = S (a_mem v_leak + a_mem r w_in b)
// Approximated: Euler vs the exact exponential; the rounding of all of the above; for
// CubaLIF / CubaLI an Affine bias enters v directly instead of through the synaptic current
// (the same steady state); the chip's one-step synaptic delay per layer. Not representable:
// v_reset other than 0 (the chip resets to 0, or subtracts the threshold with reset "soft"),
// parameters that differ between the neurons of one node (the chip has one parameter set
// per layer), except r and w_in, which fold into the weights.

import Foundation
import ChipModel

public struct NIRImportOptions: Sendable {
    /// Time step in seconds.
    public var dt: Double = 1e-4
    /// Reset after a spike; nil: the node's chipsim_reset metadata, else hard (NIR's v_reset).
    public var reset: ResetMode?
    public var weightBits: Int = 8
    public var name: String = "nir-import"
    public var steps: Int = 32
    public init() {}
}

/// One line of the quantisation report: what was rounded and by how much, in NIR units.
public struct NIRQuantisation: Sendable {
    public var layer: String
    public var item: String
    public var maxError: Double
    public var rmsError: Double
    /// The largest magnitude of the quantity (errors relative to it are max / scale).
    public var scale: Double
}

/// One chip layer made from a NIR neuron node, with the float values it was made from.
public struct NIRImportedLayer: Sendable {
    public var name: String
    public var node: String
    public var type: String
    public var size: Int
    public var parameters: LIFParameters
    /// Chip voltage units per NIR voltage unit.
    public var scale: Double
    public var aMem: Double, aSyn: Double
    public var vThreshold: Double
    /// Per neuron: g_j (see above) and the bias current in NIR voltage units per step.
    public var gain: [Double]
    public var biasPerStep: Double
    /// [C, H, W] when the node's neurons have that shape (conv layers).
    public var shape: LayerShape? = nil
}

public struct NIRImportedConnection: Sendable {
    public var from: String, to: String
    public var weightBits: Int, weightExponent: Int
    /// weights[pre][post] on the chip and the float matrix W[post][pre] they approximate
    /// (the composition of the Affine / Linear / Scale nodes between the two layers).
    public var weights: [[Int]]
    public var floatWeights: [[Double]]
    /// conv2d / sumPool: the geometry, the OIHW kernel mantissas (sumPool: the one pool
    /// weight) and the float kernel they approximate (W x gain folded out, as floatWeights).
    public var kind: ConnectionKind = .dense
    public var geometry: ConvGeometry? = nil
    public var kernel: [Int] = []
    public var floatKernel: [Double] = []
}

public struct NIRImport: Sendable {
    public var inputName: String
    public var inputSize: Int
    public var layers: [NIRImportedLayer]
    public var connections: [NIRImportedConnection]
    public var report: [NIRQuantisation]
    public var options: NIRImportOptions
    public var version: String?
    public var inputShape: LayerShape? = nil
    /// The chip section of the config: nil = defaults (one core); set by fitChip().
    public var chip: JSONValue? = nil
    /// The name of the bias unit layer (one neuron spiking every step, whose connections carry
    /// per-neuron biases), if one was needed.
    public var biasUnit: String? = nil

    /// The bias unit: spikes every step from step 0 (v = 0 + bias 1 > vth 0; du = dv = 4095
    /// keep nothing from the step before).
    static let biasUnitNeuron: JSONValue = .object([("model", .string("loihi-cuba")), ("du", .int(4095)), ("dv", .int(4095)),
                                                    ("vth", .int(0)), ("biasMant", .int(1)), ("biasExp", .int(0)),
                                                    ("refractory", .int(0)), ("reset", .string("hard"))])

    public static let linearTypes: Set<String> = ["Affine", "Linear", "Scale", "Conv2d", "SumPool2d", "AvgPool2d", "Flatten"]
    public static let neuronTypes: Set<String> = ["LIF", "IF", "LI", "CubaLIF", "CubaLI"]
    public static let spikingTypes: Set<String> = ["LIF", "IF", "CubaLIF"]

    /// The experiment config (network with explicit weights; chip, input and run at defaults
    /// except run.steps), as `chipsim run` reads it.
    public var config: JSONValue {
        func shapeJSON(_ s: LayerShape?) -> [(String, JSONValue)] {
            guard let s else { return [] }
            return [("shape", .array([.int(s.channels), .int(s.height), .int(s.width)]))]
        }
        var ls: [JSONValue] = [.object([("name", .string(inputName)), ("kind", .string("input")), ("size", .int(inputSize))] + shapeJSON(inputShape))]
        if let biasUnit { ls.append(.object([("name", .string(biasUnit)), ("size", .int(1)), ("neuron", NIRImport.biasUnitNeuron)])) }
        for l in layers {
            let p = l.parameters
            ls.append(.object([("name", .string(l.name)), ("size", .int(l.size))] + shapeJSON(l.shape) + [("neuron", .object([
                ("model", .string(p.spiking ? "loihi-cuba" : "loihi-cuba-readout")), ("du", .int(p.du)), ("dv", .int(p.dv)),
                ("vth", .int(p.vth)), ("biasMant", .int(p.biasMant)), ("biasExp", .int(p.biasExp)),
                ("refractory", .int(p.refractory)), ("reset", .string(p.reset.rawValue))]))]))
        }
        let cs: [JSONValue] = connections.map { c in
            if let g = c.geometry {
                var kv: [(String, JSONValue)] = [("from", .string(c.from)), ("to", .string(c.to)), ("kind", .string(c.kind.rawValue)),
                    ("kernel", .array([.int(g.kernelH), .int(g.kernelW)])), ("stride", .array([.int(g.strideH), .int(g.strideW)])),
                    ("padding", .array([.int(g.padH), .int(g.padW)])), ("dilation", .array([.int(g.dilationH), .int(g.dilationW)]))]
                if c.kind == .conv2d { kv.append(("groups", .int(g.groups))) }
                kv += [("weightBits", .int(c.weightBits)), ("weightExponent", .int(c.weightExponent))]
                if c.kind == .conv2d { kv.append(("weights", .array(c.kernel.map { .int($0) }))) } else { kv.append(("poolWeight", .int(c.kernel.first ?? 0))) }
                return .object(kv)
            }
            return .object([("from", .string(c.from)), ("to", .string(c.to)), ("weightBits", .int(c.weightBits)),
                     ("weightExponent", .int(c.weightExponent)), ("weights", .array(c.weights.map { .array($0.map { .int($0) }) }))])
        }
        let comment = "Imported from a NIR graph (version \(version ?? "unknown")) by chipsim import with dt = \(options.dt) s; "
            + "mapping and what is approximated: docs/NIR.md."
        return .object([("name", .string(options.name)), ("comment", .string(comment))] + (chip.map { [("chip", $0)] } ?? []) + [
                        ("network", .object([("layers", .array(ls)), ("connections", .array(cs))])),
                        ("run", .object([("steps", .int(options.steps))]))])
    }

    public var reportText: String {
        var s = "layer        item                       max error     RMS error     of max |value|\n"
        for r in report {
            let rel = r.scale > 0 ? String(format: "%.2e", r.maxError / r.scale) : "-"
            s += r.layer.padding(toLength: 12, withPad: " ", startingAt: 0) + " "
                + r.item.padding(toLength: 26, withPad: " ", startingAt: 0) + " "
                + String(format: "%-13.3e %-13.3e ", r.maxError, r.rmsError) + rel + "\n"
        }
        return s
    }
}

extension NIRImport {
    public static func run(_ graph: NIRGraph, options: NIRImportOptions = NIRImportOptions()) throws -> NIRImport {
        var b = NIRImportBuilder(graph: graph, options: options)
        return try b.build()
    }
}

extension NIRImport {
    /// Chooses the chip section: the first mesh on which the network builds in a doubling
    /// sequence of tile counts (at most 16 x 16), starting from one core per 1024 neurons, each
    /// mesh as square as possible (width >= height). Input axons often need more cores than
    /// the neuron count: a conv layer whose every channel reads all input channels can hold
    /// only a few rows per core under the 4096-axon limit. If a build fails on output axons
    /// (a neuron of a layer feeding a conv layer split over many cores needs one per
    /// destination core), the per-core limit is doubled up to 65536, beyond Loihi's 4096 (as
    /// configs/conv-mnist.json raises it to 8192). Returns the chip
    /// that built; throws the last error if none did.
    @discardableResult
    public mutating func fitChip() throws -> Chip {
        var tiles = max(1, (layers.reduce(biasUnit == nil ? 0 : 1) { $0 + $1.size } + 1023) / 1024)
        var lastError: Error = ChipError.usage("the network does not fit 16 x 16 tiles")
        while true {
            let t = min(tiles, 256)
            var h = Int(Double(t).squareRoot()), w = (t + h - 1) / h
            if w > 16 { w = 16; h = (t + 15) / 16 }
            for axons in [4096, 8192, 16384, 32768, 65536] {
                var kv: [(String, JSONValue)] = [("meshWidth", .int(w)), ("meshHeight", .int(h))]
                if axons != 4096 { kv.append(("core", .object([("maxOutputAxons", .int(axons))]))) }
                chip = w * h == 1 && axons == 4096 ? nil : .object(kv)
                do {
                    return try Chip(config: ExperimentConfig(json: config, file: options.name))
                } catch let e as ChipError {
                    lastError = e
                    if !"\(e)".contains("output axons") { break }
                }
            }
            if t >= 256 { break }
            tiles = 2 * t
        }
        chip = nil
        throw lastError
    }
}
