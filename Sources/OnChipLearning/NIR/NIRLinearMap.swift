// A node's input as an affine function of the spiking source layers, for composing the
// linear nodes of a NIR graph.

/// A node's input as an affine function of the source layers: sum over sources of M x + bias,
/// M stored [post][pre].
struct LinearMap {
    var size: Int
    var sources: [String: [[Double]]]
    var bias: [Double]

    static func identity(_ n: Int) -> [[Double]] { (0 ..< n).map { j in (0 ..< n).map { i -> Double in i == j ? 1 : 0 } } }

    mutating func add(_ other: LinearMap) {
        for (k, m) in other.sources {
            if let mine = sources[k] { sources[k] = zip(mine, m).map { zip($0, $1).map(+) } } else { sources[k] = m }
        }
        bias = zip(bias, other.bias).map(+)
    }
}
