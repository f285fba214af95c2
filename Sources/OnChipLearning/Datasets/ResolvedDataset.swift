import Foundation
import ChipModel

// Pinning a config's dataset before its resolved form is written: the shipped mnist5k set is
// otherwise found by searching for a `data/` directory, so two runs of identical resolved
// configs could read different files. See DatasetSpec.resolved(relativeTo:).

extension ExperimentConfig {
    /// The config with a mnist5k dataset's directory made absolute and its SHA-256 recorded
    /// (other inputs unchanged). Call before writing config.resolved.json; running the
    /// resolved config later refuses files whose checksum differs.
    public func resolvingDataset() throws -> ExperimentConfig {
        guard case let .dataset(d, e, split, limit) = input else { return self }
        let spec = try DatasetSpec(json: JSONReader(d, file: file, path: "$.input.dataset"))
        guard case .mnist5k = spec else { return self }
        let dir = PathParts.directory(of: file)
        var c = self
        c.input = .dataset(dataset: try spec.resolved(relativeTo: dir.isEmpty ? "." : dir).resolvedJSON, encoder: e, split: split, limit: limit)
        return c
    }
}
