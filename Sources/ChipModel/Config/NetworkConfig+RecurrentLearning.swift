// Which recurrent connections can learn on chip (docs/LEARNING.md, "Recurrent").
//
// A dense self-connection of a hidden layer is one more synapse block of that layer: its
// presynaptic traces follow the layer's own spikes of the previous step (what the block
// delivers now), and the rules' hidden program runs over it like over the forward block (the
// OPZO paper's online setting: the post neuron's modulator times the pre trace, no BPTT).
// Anything else recurrent has no rule that says what its update should be, so it stays
// inference only.

extension NetworkConfig {
    /// Why recurrent connection `c` (index `i`) cannot learn on chip, or nil when it can: a
    /// dense self-connection of a hidden lif layer (not the readout, the last layer).
    func recurrentUntrainableReason(_ c: ConnectionConfig, index i: Int) -> String? {
        let head = "connection \(i) ('\(c.from)' -> '\(c.to)') is recurrent"
        if c.from != c.to {
            return "\(head) to an earlier layer; on chip only a hidden layer's self-connection learns (inference only)"
        }
        if layerIndex(c.to) == layers.count - 1 {
            return "\(head) on the readout (the last layer); on chip only a hidden layer's self-connection learns (inference only)"
        }
        if c.kind != .dense {
            return "\(head) and \(c.kind.rawValue); a learning self-connection must be dense"
        }
        return nil
    }

    /// Indices of the connections that are a hidden layer's learning self-connection.
    public var learningRecurrentConnections: [Int] {
        connections.indices.filter { isRecurrent(connections[$0]) && recurrentUntrainableReason(connections[$0], index: $0) == nil }
    }
}
