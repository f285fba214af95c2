import ChipModel

// Which rules train a network with a learning self-connection (docs/LEARNING.md, "Recurrent").
// The error-broadcast family (opzo, dfa, readout, zo_sp, mgd_np, and a user's spec run by the
// same interpreter) runs its hidden program over every block of a hidden population, so the
// recurrent block learns like the forward one; a microcode rule names its connections itself.
// Weight perturbation and LOCO have not been examined on recurrent blocks: refused cleanly.

enum RecurrentLearningSupport {
    /// Throws when `rule` (the learning section's rule name) does not train recurrent blocks
    /// and the network has one.
    static func check(rule: String, config: ExperimentConfig) throws {
        guard let c = config.network.learningRecurrentConnections.first else { return }
        let cc = config.network.connections[c]
        throw ChipError.config(file: config.file, path: "$.learning.rule",
                               message: "\(rule) is not available on a recurrent network (connection \(c), '\(cc.from)' -> '\(cc.to)'); recurrent weights learn with opzo, dfa, zo_sp or mgd_np (readout keeps them fixed), or a microcode rule")
    }
}
