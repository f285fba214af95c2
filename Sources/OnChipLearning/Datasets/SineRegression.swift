import Foundation
import ChipModel

// A regression task for the rules whose papers use regressions (the randomized forward
// gradient: functions and PDEs): y = sin(2 pi periods x) for x uniform in [0, 1], generated
// deterministically from the seed. Features: x and 1 - x (so a population code covers both
// ends symmetrically, as for Yin-Yang); one target per sample in [-1, 1]; the label is 0
// (one "class"), so classification metrics are meaningless and the trainer reports the MSE.

public enum SineRegression {
    public static func make(count: Int, seed: UInt64, periods: Int, split: Int, name: String) -> ImageDataset {
        let key = RandomKey(seed: seed, stream: .datasetSplit).with(0x5349_4E45).with(split)
        var real: [Double] = []; real.reserveCapacity(2 * count)
        var targets: [Double] = []; targets.reserveCapacity(count)
        for i in 0..<count {
            let x = key.uniform(i)
            real += [x, 1 - x]
            targets.append(target(x: x, periods: periods))
        }
        let bytes = real.map { UInt8(min(255, max(0, ($0 * 255).rounded()))) }
        var d = try! ImageDataset(name: name, width: 2, height: 1, channels: 1, pixels: bytes,
                                  labels: [UInt8](repeating: 0, count: count), classes: 1, realFeatures: real)
        d.targets = targets
        d.targetDimension = 1
        return d
    }

    /// The function fitted: sin(2 pi periods x).
    public static func target(x: Double, periods: Int) -> Double {
        Foundation.sin(2 * Double.pi * Double(periods) * x)
    }

    public static func load(train: Int, test: Int, seed: UInt64, periods: Int) -> (train: ImageDataset, test: ImageDataset) {
        (make(count: train, seed: seed, periods: periods, split: 0, name: "sine/train"),
         make(count: test, seed: seed, periods: periods, split: 1, name: "sine/test"))
    }
}
