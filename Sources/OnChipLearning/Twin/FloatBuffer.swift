/// A fixed-size, zero-initialised Float buffer with a stable pointer: the twin's hot loops
/// index raw pointers (no bounds checks, no copy-on-write, no allocation per step).
public final class FloatBuffer {
    public let count: Int
    public let p: UnsafeMutablePointer<Float>

    public init(count: Int, value: Float = 0) {
        self.count = count
        p = .allocate(capacity: max(count, 1))
        p.initialize(repeating: value, count: max(count, 1))
    }
    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        for i in 0..<values.count { p[i] = values[i] }
    }
    deinit { p.deallocate() }

    public subscript(i: Int) -> Float {
        get { p[i] }
        set { p[i] = newValue }
    }
    public func zero() { p.update(repeating: 0, count: count) }
    public func copy(from o: FloatBuffer) { p.update(from: o.p, count: count) }
    public var array: [Float] { Array(UnsafeBufferPointer(start: p, count: count)) }

    /// self += o, then o = 0 (a worker's gradient shard folded into the batch gradient): one
    /// add per element, 12 bytes (read both, write one), counted as optimiser work.
    func absorb(_ o: FloatBuffer, counts: inout TwinOpCounts) {
        for q in 0..<count { p[q] += o.p[q] }
        o.zero()
        counts.add(.optimiser, flops: count, bytes: 12 * count)
    }
}

/// A fixed-capacity Int32 list (spike indices) reused every step.
public final class IndexList {
    public private(set) var count = 0
    public let p: UnsafeMutablePointer<Int32>
    public let capacity: Int
    public init(capacity: Int) {
        self.capacity = capacity
        p = .allocate(capacity: max(capacity, 1))
    }
    deinit { p.deallocate() }
    @inline(__always) public func append(_ v: Int32) { p[count] = v; count += 1 }
    @inline(__always) public func clear() { count = 0 }
    public func copy(from o: IndexList) { p.update(from: o.p, count: o.count); count = o.count }
    public var array: [Int32] { Array(UnsafeBufferPointer(start: p, count: count)) }
}
