// The Yin-Yang dataset (Kriener, Göltz, Petrovici, "The Yin-Yang dataset", NICE 2022):
// points in the unit square inside a yin-yang sign of outer radius r_big = 0.5 centred at
// (0.5, 0.5) with dots of radius r_small = 0.1, three classes. Generated here from the
// published definition, deterministically from a seed (the project downloads nothing).
//
// Class of a point (x, y) inside the big circle, with d_left = distance to (0.25, 0.5)
// and d_right = distance to (0.75, 0.5) (the dot centres, at 0.5 r_big and 1.5 r_big):
//   dots (2) if d_left < r_small or d_right < r_small;
//   else yin (0) if d_right <= r_small or (r_small < d_left <= r_big / 2)
//                 or (y > r_big and d_right > r_big / 2);
//   else yang (1).
// Sampling (rejection, like the reference implementation, but with exact balance): sample
// i has goal class i mod 3; attempt k draws x = 2 r_big * U(2k), y = 2 r_big * U(2k+1)
// from RandomKey(seed, .yinYang).with(split).with(i) (U = 53-bit uniform in [0, 1)), and
// the first attempt inside the big circle whose class is the goal is kept. Sample i depends
// only on (seed, split, i). Features: (x, y, 1 - x, 1 - y) in [0, 1], kept as Double and
// quantised for the spike encoders as byte = round(255 v) (ties away from zero).

public enum YinYang {
    public static let rBig = 0.5
    public static let rSmall = 0.1
    public static let classNames = ["yin", "yang", "dots"]

    /// Class of a point (0 yin, 1 yang, 2 dots), or nil outside the big circle.
    public static func classify(x: Double, y: Double) -> Int? {
        func dist(_ cx: Double, _ cy: Double) -> Double { ((x - cx) * (x - cx) + (y - cy) * (y - cy)).squareRoot() }
        if dist(rBig, rBig) > rBig { return nil }
        let dRight = dist(1.5 * rBig, rBig), dLeft = dist(0.5 * rBig, rBig)
        if dRight < rSmall || dLeft < rSmall { return 2 }
        let yin = dRight <= rSmall || (dLeft > rSmall && dLeft <= 0.5 * rBig) || (y > rBig && dRight > 0.5 * rBig)
        return yin ? 0 : 1
    }

    /// `count` samples of split `split` (0 train, 1 test, any other integer for more sets).
    public static func make(count: Int, seed: UInt64, split: Int, name: String) -> ImageDataset {
        let base = RandomKey(seed: seed, stream: .yinYang).with(split)
        var real: [Double] = []; real.reserveCapacity(4 * count)
        var labels: [UInt8] = []; labels.reserveCapacity(count)
        for i in 0 ..< count {
            let goal = i % 3
            let key = base.with(i)
            var k = 0
            while true {
                let x = 2 * rBig * key.uniform(2 * k), y = 2 * rBig * key.uniform(2 * k + 1)
                k += 1
                if let c = classify(x: x, y: y), c == goal {
                    real += [x, y, 1 - x, 1 - y]
                    labels.append(UInt8(c))
                    break
                }
            }
        }
        let bytes = real.map { UInt8(min(255, max(0, ($0 * 255).rounded()))) }
        return try! ImageDataset(name: name, width: 4, height: 1, channels: 1, pixels: bytes, labels: labels,
                                 classes: 3, realFeatures: real)
    }

    /// Train and test sets (defaults: 5000 and 1000 as in the paper, seed 42).
    public static func load(train: Int = 5000, test: Int = 1000, seed: UInt64 = 42) -> (train: ImageDataset, test: ImageDataset) {
        (make(count: train, seed: seed, split: 0, name: "yinyang/train"),
         make(count: test, seed: seed, split: 1, name: "yinyang/test"))
    }
}
