// A growable buffer of trivial values (integers and structs of integers) without
// bounds checks or copy-on-write checks, for the router's inner loops. The owner
// (a final class) frees it; copying the struct copies only the pointer.

@usableFromInline
struct RawBuffer<T> {
    @usableFromInline var base: UnsafeMutablePointer<T>
    @usableFromInline var count = 0
    @usableFromInline var capacity: Int

    @usableFromInline init(capacity: Int = 16) {
        self.capacity = Swift.max(capacity, 1)
        base = UnsafeMutablePointer<T>.allocate(capacity: self.capacity)
    }

    @usableFromInline init(repeating v: T, count n: Int) {
        self.init(capacity: n)
        base.initialize(repeating: v, count: n)
        count = n
    }

    @inlinable subscript(i: Int) -> T {
        get { assert(i >= 0 && i < count, "index \(i) out of 0..<\(count)"); return base[i] }
        nonmutating set { assert(i >= 0 && i < count, "index \(i) out of 0..<\(count)"); base[i] = newValue }
    }

    @inlinable mutating func append(_ v: T) {
        if count == capacity { grow(to: capacity * 2) }
        (base + count).initialize(to: v)
        count += 1
    }

    @usableFromInline mutating func grow(to n: Int) {
        let p = UnsafeMutablePointer<T>.allocate(capacity: n)
        p.moveInitialize(from: base, count: count)
        base.deallocate()
        base = p; capacity = n
    }

    @inlinable mutating func removeAll() { count = 0 }

    @inlinable mutating func removeLast() -> T { count -= 1; return base[count] }

    /// Sets every element to `v`.
    @inlinable func fill(_ v: T) { base.update(repeating: v, count: count) }

    func copy() -> RawBuffer<T> {
        var b = RawBuffer(capacity: capacity)
        b.base.initialize(from: base, count: count)
        b.count = count
        return b
    }

    func free() { base.deallocate() }

    var array: [T] { Array(UnsafeBufferPointer(start: base, count: count)) }
}
