// Deterministic class-balanced train/test split.
//
// For each class c, its samples (in file order) are ranked by the key
// RandomKey(seed, .datasetSplit).draw(fileIndex) (ties, which need a 64-bit collision,
// broken by file index); the first testCount(c) of that ranking go to test, the rest to
// train. Each part is then ordered round-robin over classes (class 0's first sample,
// class 1's first, ..., class 0's second, ...), each class's samples in file order, so a
// prefix of either part is itself near-balanced even when the source file is sorted by class.

public enum BalancedSplit {
    /// Returns (train indices, test indices); `testCount(class, classSize)` chooses the test share.
    public static func indices(labels: [UInt8], classes: Int, seed: UInt64,
                               testCount: (Int, Int) -> Int) -> (train: [Int], test: [Int]) {
        var members = [[Int]](repeating: [], count: classes)
        for (i, l) in labels.enumerated() { members[Int(l)].append(i) }
        let key = RandomKey(seed: seed, stream: .datasetSplit)
        var train = [[Int]](), test = [[Int]]()
        for c in 0 ..< classes {
            let ranked = members[c].sorted { a, b in
                let da = key.draw(a), db = key.draw(b)
                return da != db ? da < db : a < b
            }
            let k = min(max(testCount(c, ranked.count), 0), ranked.count)
            test.append(ranked[..<k].sorted())
            train.append(ranked[k...].sorted())
        }
        return (roundRobin(train), roundRobin(test))
    }

    static func roundRobin(_ lists: [[Int]]) -> [Int] {
        var out: [Int] = []
        let longest = lists.map(\.count).max() ?? 0
        for k in 0 ..< longest { for l in lists where k < l.count { out.append(l[k]) } }
        return out
    }

    /// Splits a dataset with a fixed number of test samples per class.
    public static func split(_ d: ImageDataset, testPerClass: Int, seed: UInt64) -> (train: ImageDataset, test: ImageDataset) {
        let (tr, te) = indices(labels: d.labels, classes: d.classes, seed: seed) { _, _ in testPerClass }
        return (d.subset(tr, name: d.name + "/train"), d.subset(te, name: d.name + "/test"))
    }

    /// Splits a dataset with round(fraction * class size) test samples per class.
    public static func split(_ d: ImageDataset, testFraction: Double, seed: UInt64) -> (train: ImageDataset, test: ImageDataset) {
        let (tr, te) = indices(labels: d.labels, classes: d.classes, seed: seed) { _, n in Int((Double(n) * testFraction).rounded()) }
        return (d.subset(tr, name: d.name + "/train"), d.subset(te, name: d.name + "/test"))
    }
}
