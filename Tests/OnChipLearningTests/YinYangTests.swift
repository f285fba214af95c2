import Testing
@testable import OnChipLearning

/// Independent membership from the paper's picture: inside the unit-diameter circle at
/// (0.5, 0.5); dots are disks of radius 0.1 at (0.25, 0.5) and (0.75, 0.5); yin is the upper
/// half minus the right disk of radius 0.25, plus the left disk of radius 0.25 (minus dots);
/// yang is the rest. Squared distances, no shared code with the implementation.
func referenceClass(_ x: Double, _ y: Double) -> Int? {
    func sq(_ a: Double, _ b: Double) -> Double { (x - a) * (x - a) + (y - b) * (y - b) }
    if sq(0.5, 0.5) > 0.25 { return nil }
    if sq(0.25, 0.5) < 0.01 || sq(0.75, 0.5) < 0.01 { return 2 }
    let inLeftHalfDisk = sq(0.25, 0.5) <= 0.0625
    let inRightHalfDisk = sq(0.75, 0.5) <= 0.0625
    if inLeftHalfDisk || (y > 0.5 && !inRightHalfDisk) { return 0 }
    return 1
}

@Suite("Yin-Yang")
struct YinYangTests {
    @Test func handPickedPoints() {
        #expect(YinYang.classify(x: 0.25, y: 0.5) == 2)
        #expect(YinYang.classify(x: 0.78, y: 0.47) == 2)
        #expect(YinYang.classify(x: 0.5, y: 0.9) == 0)
        #expect(YinYang.classify(x: 0.5, y: 0.1) == 1)
        #expect(YinYang.classify(x: 0.25, y: 0.65) == 0)
        #expect(YinYang.classify(x: 0.25, y: 0.35) == 0)
        #expect(YinYang.classify(x: 0.75, y: 0.65) == 1)
        #expect(YinYang.classify(x: 0.05, y: 0.05) == nil)
    }

    @Test func samplesMatchReferenceAndAreBalanced() {
        let d = YinYang.make(count: 3000, seed: 42, split: 0, name: "yy")
        #expect(d.count == 3000 && d.featureCount == 4 && d.classes == 3)
        #expect(d.classCounts() == [1000, 1000, 1000])
        let odd = YinYang.make(count: 1000, seed: 42, split: 1, name: "yy")
        #expect(odd.classCounts() == [334, 333, 333])
        let real = d.realFeatures!
        for i in 0 ..< d.count {
            let x = real[4 * i], y = real[4 * i + 1]
            #expect(referenceClass(x, y) == Int(d.labels[i]), "sample \(i) at (\(x), \(y))")
            #expect(real[4 * i + 2] == 1 - x && real[4 * i + 3] == 1 - y)
            for k in 0 ..< 4 {
                // round(255 v), v in [0, 1]: within half a step of 255 v.
                #expect(abs(Double(d.pixels[4 * i + k]) - 255 * real[4 * i + k]) <= 0.5)
            }
        }
    }

    @Test func deterministicAndSplitsDiffer() {
        let a = YinYang.load(train: 60, test: 30, seed: 7)
        let b = YinYang.load(train: 60, test: 30, seed: 7)
        #expect(a.train == b.train && a.test == b.test)
        #expect(a.train.realFeatures!.prefix(8) != a.test.realFeatures!.prefix(8))
        #expect(YinYang.load(train: 60, test: 30, seed: 8).train != a.train)
        // A prefix of a larger set equals the smaller set (sample i depends only on i).
        #expect(YinYang.make(count: 90, seed: 7, split: 0, name: "yinyang/train").subset(Array(0 ..< 60), name: "yinyang/train") == a.train)
    }
}
