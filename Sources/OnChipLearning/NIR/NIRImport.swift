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
}

public struct NIRImportedConnection: Sendable {
    public var from: String, to: String
    public var weightBits: Int, weightExponent: Int
    /// weights[pre][post] on the chip and the float matrix W[post][pre] they approximate
    /// (the composition of the Affine / Linear / Scale nodes between the two layers).
    public var weights: [[Int]]
    public var floatWeights: [[Double]]
}

public struct NIRImport: Sendable {
    public var inputName: String
    public var inputSize: Int
    public var layers: [NIRImportedLayer]
    public var connections: [NIRImportedConnection]
    public var report: [NIRQuantisation]
    public var options: NIRImportOptions
    public var version: String?

    public static let linearTypes: Set<String> = ["Affine", "Linear", "Scale"]
    public static let neuronTypes: Set<String> = ["LIF", "IF", "LI", "CubaLIF", "CubaLI"]
    public static let spikingTypes: Set<String> = ["LIF", "IF", "CubaLIF"]

    /// The experiment config (network with explicit weights; chip, input and run at defaults
    /// except run.steps), as `chipsim run` reads it.
    public var config: JSONValue {
        var ls: [JSONValue] = [.object([("name", .string(inputName)), ("kind", .string("input")), ("size", .int(inputSize))])]
        for l in layers {
            let p = l.parameters
            ls.append(.object([("name", .string(l.name)), ("size", .int(l.size)), ("neuron", .object([
                ("model", .string(p.spiking ? "loihi-cuba" : "loihi-cuba-readout")), ("du", .int(p.du)), ("dv", .int(p.dv)),
                ("vth", .int(p.vth)), ("biasMant", .int(p.biasMant)), ("biasExp", .int(p.biasExp)),
                ("refractory", .int(p.refractory)), ("reset", .string(p.reset.rawValue))]))]))
        }
        let cs: [JSONValue] = connections.map { c in
            .object([("from", .string(c.from)), ("to", .string(c.to)), ("weightBits", .int(c.weightBits)),
                     ("weightExponent", .int(c.weightExponent)), ("weights", .array(c.weights.map { .array($0.map { .int($0) }) }))])
        }
        let comment = "Imported from a NIR graph (version \(version ?? "unknown")) by chipsim import with dt = \(options.dt) s; "
            + "mapping and what is approximated: docs/NIR.md."
        return .object([("name", .string(options.name)), ("comment", .string(comment)),
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
