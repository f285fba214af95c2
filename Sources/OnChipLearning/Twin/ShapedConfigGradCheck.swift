import Foundation
import ChipModel

/// The conv / recurrent part of `chipsim gradcheck CONFIG`: the shaped twin of an experiment
/// (TwinTopology(network:...), the experiment's T and seed, theta 1, the triangular surrogate
/// of half-width 1 so the relaxed loss is C^1) on its first N training samples, rate-encoded as
/// the chip's rate encoder (x = pixel / 255), and ShapedGradCheck's BPTT-vs-central-difference
/// rows. For networks CompareRunner cannot take (shaped or recurrent connections); dense chains
/// keep ConfigGradCheck. Image datasets with a rate encoder only.
public struct ShapedConfigGradCheck {
    public var topology: TwinTopology
    public var data: FloatDataset

    public init(experiment e: ExperimentConfig, samples: Int) throws {
        guard case let .dataset(d, enc, _, limit) = e.input else {
            throw ChipError.config(file: e.file, path: "$.input", message: "gradcheck needs a dataset input")
        }
        if let enc, case let spec = try EncoderSpec(json: JSONReader(enc, file: e.file, path: "$.input.encoder")), case .rate = spec {} else if enc != nil {
            throw ChipError.config(file: e.file, path: "$.input.encoder.kind", message: "the shaped twin's gradcheck needs a rate encoder")
        }
        let spec = try DatasetSpec(json: JSONReader(d, file: e.file, path: "$.input.dataset"))
        let dir = PathParts.directory(of: e.file)
        guard case let .images(tr, _) = try spec.load(relativeTo: dir.isEmpty ? "." : dir), tr.targets == nil else {
            throw ChipError.config(file: e.file, path: "$.input.dataset", message: "gradcheck needs an image classification dataset")
        }
        var train = FloatDataset(tr)
        let n = min(train.count, max(1, samples), limit > 0 ? limit : Int.max)
        if n < train.count { train = train.slice(0..<n) }
        let sizes = e.network.layers.map(\.size)
        guard train.features == sizes[0] else {
            throw ChipError.config(file: e.file, path: "$.input", message: "the dataset has \(train.features) features but the input layer has \(sizes[0])")
        }
        var base = TwinConfig(sizes: sizes, steps: e.run.steps, seed: e.seed)
        base.surrogate = Surrogate(shape: .triangular, halfWidth: 1)
        topology = try TwinTopology(network: e.network, file: e.file, base: base, theta: 1)
        data = train
    }

    public func run(perTensor: Int = 8, eps: Float = 1e-2) -> [ShapedGradCheckRow] {
        ShapedGradCheck.run(topology: topology, data: data, perTensor: perTensor, eps: eps)
    }
}
