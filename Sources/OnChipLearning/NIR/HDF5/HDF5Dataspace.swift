// The dataspace message (format specification IV.A.2.b): the shape of a dataset. Version 1
// (rank 0 is a scalar) and version 2 (explicit scalar / simple / null type).

struct HDF5Dataspace: Equatable {
    /// Empty for a scalar (one element).
    var dims: [Int]
    var isNull = false

    var count: Int { isNull ? 0 : dims.reduce(1, *) }

    static func read(_ b: HDF5Bytes, _ m: HDF5Message) throws -> HDF5Dataspace {
        let version = try b.u8(m.offset, "dataspace version")
        let rank = try b.u8(m.offset + 1, "dataspace rank")
        let flags = try b.u8(m.offset + 2, "dataspace flags")
        var p: Int, isNull = false
        switch version {
        case 1: p = m.offset + 8
        case 2:
            let type = try b.u8(m.offset + 3, "dataspace type")
            guard type <= 2 else { throw b.fail(m.offset + 3, "dataspace type \(type) unknown (expected 0 scalar, 1 simple, 2 null)") }
            isNull = type == 2
            p = m.offset + 4
        default: throw b.fail(m.offset, "dataspace version \(version) not supported (expected 1 or 2)")
        }
        guard rank <= 32 else { throw b.fail(m.offset + 1, "dataspace rank \(rank) exceeds 32") }
        guard p + rank * b.lengthSize * (flags & 1 != 0 ? 2 : 1) <= m.offset + m.size else {
            throw b.fail(p, "dataspace dimensions run past the message (\(m.size) bytes)")
        }
        var dims: [Int] = []
        var total = 1
        for i in 0 ..< rank {
            let d = try b.length(p + i * b.lengthSize, "dataspace dimension \(i)", limit: Int(Int32.max))
            dims.append(d)
            // A shape whose element count overflows cannot be held; bounded again by storage.
            let (t, overflow) = total.multipliedReportingOverflow(by: d)
            guard !overflow, t <= Int(Int32.max) else { throw b.fail(p + i * b.lengthSize, "dataspace of \(dims) has too many elements") }
            total = t
        }
        return HDF5Dataspace(dims: dims, isNull: isNull)
    }
}
