import Foundation
import Testing
@testable import OnChipLearning

@Suite("HDF5 writer")
struct HDF5WriterTests {
    /// A tree with every supported type, a scalar, an empty array, non-ASCII strings, nesting
    /// and a group with more members than one default symbol table node holds (8).
    static var tree: [String: HDF5Node] {
        var many: [String: HDF5Node] = [:]
        for i in 0 ..< 11 { many["n\(i)"] = .dataset(shape: [2], values: .int64([Int64(i), -Int64(i) << 40])) }
        return [
            "version": .dataset(shape: [], values: .strings(["1.0.8"])),
            "node": .group([
                "edges": .dataset(shape: [3, 2], values: .strings(["input", "lif", "lif", "output", "weiß", ""])),
                "w": .dataset(shape: [2, 3], values: .float32([1.5, -2, .greatestFiniteMagnitude, 0.1, -0, .leastNonzeroMagnitude])),
                "d": .dataset(shape: [4], values: .float64([0.1, -1e300, .infinity, 5e-324])),
                "empty": .dataset(shape: [0], values: .float32([])),
                "many": .group(many),
                "nothing": .group([:]),
            ]),
        ]
    }

    /// Everything written reads back equal through the reader (independent of the writer: it
    /// was checked against files written by the HDF5 library first).
    @Test func roundTrip() throws {
        let bytes = try HDF5Writer.write(Self.tree)
        let f = try HDF5File(bytes: bytes, file: "t.h5")
        #expect(f.superblockVersion == 0)
        #expect(Set(f.groups) == ["", "node", "node/many", "node/nothing"])
        #expect(f.datasets.count == 5 + 11)
        #expect(f.dataset("version") == HDF5Dataset(shape: [], dtype: "string", storage: "contiguous", values: .strings(["1.0.8"])))
        #expect(f.dataset("node/edges")?.strings == ["input", "lif", "lif", "output", "weiß", ""])
        #expect(f.dataset("node/edges")?.shape == [3, 2])
        let w = try #require(f.dataset("node/w"))
        #expect(w.dtype == "float32" && w.shape == [2, 3])
        #expect(w.doubles == [1.5, -2, Double(Float.greatestFiniteMagnitude), Double(Float(0.1)), 0, Double(Float.leastNonzeroMagnitude)])
        #expect(f.dataset("node/d")?.doubles == [0.1, -1e300, .infinity, 5e-324])
        #expect(f.dataset("node/d")?.dtype == "float64")
        #expect(f.dataset("node/empty")?.shape == [0])
        for i in 0 ..< 11 {
            #expect(f.dataset("node/many/n\(i)")?.values == .integers([Int64(i), -Int64(i) << 40]))
            #expect(f.dataset("node/many/n\(i)")?.dtype == "int64")
        }
        // Deterministic: the same tree gives the same bytes.
        #expect(try HDF5Writer.write(Self.tree) == bytes)
        if let dir = ProcessInfo.processInfo.environment["CHIPSIM_HDF5_WRITE_SAMPLE"] {
            try Data(bytes).write(to: URL(fileURLWithPath: dir))
        }
    }

    @Test func rejectsBadInput() {
        #expect(throws: ChipError.self) { try HDF5Writer.write(["x": .dataset(shape: [3], values: .float32([1]))]) }
        #expect(throws: ChipError.self) { try HDF5Writer.write(["a/b": .group([:])]) }
        #expect(throws: ChipError.self) { try HDF5Writer.write(["": .group([:])]) }
    }
}
