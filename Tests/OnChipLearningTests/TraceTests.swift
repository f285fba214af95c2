import Foundation
import Testing
@testable import OnChipLearning

func le32(_ v: UInt32) -> [UInt8] { (0 ..< 4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
func le64(_ v: UInt64) -> [UInt8] { (0 ..< 8).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }

@Suite("AER traces")
struct TraceTests {
    // Hand-built trace: 3x1 sensor, 1 polarity, 500 ns steps; sample 0 (label 2, 3 steps)
    // spikes (step 0, ch 1), (2, 0), (2, 2); sample 1 unlabelled, 1 silent step.
    let handBytes: [UInt8] =
        [0x43, 0x41, 0x45, 0x52, 1, 0, 40, 0] + le32(3) + le32(1) + le32(1) + le32(500) + le32(2) + le32(0) + le64(3)
        + le32(2) + le32(3) + le64(3) + le32(0) + le32(1) + le32(2) + le32(0) + le32(2) + le32(2)
        + le32(0xFFFF_FFFF) + le32(1) + le64(0)

    var handTrace: SpikeTrace {
        var r0 = SpikeRaster(channels: 3)
        r0.appendStep([1]); r0.appendStep([Int32]()); r0.appendStep([0, 2])
        return SpikeTrace(shape: TraceShape(width: 3, height: 1, polarities: 1), timestepNanoseconds: 500,
                          samples: [TraceSample(label: 2, raster: r0), TraceSample(label: nil, raster: SpikeRaster(channels: 3, silentSteps: 1))])
    }

    @Test func binaryMatchesHandBuiltBytes() throws {
        #expect(handBytes.count == 96)
        #expect(AERFile.encode(handTrace) == handBytes)
        #expect(try AERFile.decode(handBytes, file: "h.aer") == handTrace)
    }

    @Test func roundTripsBinaryCSVAndStreamingWriter() throws {
        // A bigger trace: two polarities, rate-encoded random-ish content.
        let shape = TraceShape(width: 4, height: 3, polarities: 2)
        var trace = SpikeTrace(shape: shape, timestepNanoseconds: 1_000_000)
        let enc = RateEncoder(steps: 7, seed: 3)
        for s in 0 ..< 5 {
            let features = (0 ..< 24).map { UInt8(($0 * 37 + s * 11) % 256) }
            trace.samples.append(TraceSample(label: s == 3 ? nil : s, raster: enc.encode(features, sample: s)))
        }
        let bin = temporaryFile("rt.aer", []), csv = temporaryFile("rt.csv", []), streamed = temporaryFile("st.aer", [])
        try trace.write(path: bin)
        try trace.write(path: csv)
        #expect(try SpikeTrace.read(path: bin) == trace)
        #expect(try SpikeTrace.read(path: csv) == trace)
        let w = try TraceWriter(path: streamed, shape: shape, timestepNanoseconds: 1_000_000)
        for s in trace.samples { try w.append(s.raster, label: s.label) }
        try w.finish()
        #expect(try ByteReader.contents(of: streamed) == AERFile.encode(trace))
        // Channel <-> coordinates.
        #expect(shape.channel(x: 3, y: 2, polarity: 1) == 12 + 2 * 4 + 3)
        #expect(shape.coordinates(23) == (3, 2, 1))
    }

    @Test func csvHandWritten() throws {
        let text = """
        # a comment
        chipsim-aer,1,3,1,1,500
        sample,2,3
        event,0,1,0,0
        event,2,0,0,0
        event,2,2,0,0

        sample,,1
        """
        #expect(try AERCSV.decode(text, file: "h.csv") == handTrace)
    }

    @Test func corruptBinaryNamesTheOffset() {
        var bad = handBytes; bad[0] = 0x58
        expectBinaryError(offset: 0, "magic") { _ = try AERFile.decode(bad, file: "x") }
        bad = handBytes; bad[4] = 2
        expectBinaryError(offset: 4, "version") { _ = try AERFile.decode(bad, file: "x") }
        // Channel 3 of a 3-channel sensor in the second event (event starts at 64, channel at 68).
        bad = handBytes; bad[68] = 3
        expectBinaryError(offset: 68, "channel 3") { _ = try AERFile.decode(bad, file: "x") }
        // Step 3 of a 3-step sample in the third event (at 72).
        bad = handBytes; bad[72] = 3
        expectBinaryError(offset: 72, "step 3") { _ = try AERFile.decode(bad, file: "x") }
        // Unsorted: third event (2, 0) equals the second.
        bad = handBytes; bad[76] = 0
        expectBinaryError(offset: 72, "sorted") { _ = try AERFile.decode(bad, file: "x") }
        // Header event count disagrees with the samples.
        bad = handBytes; bad[32] = 4
        expectBinaryError(offset: 32, "declares 4 events") { _ = try AERFile.decode(bad, file: "x") }
        expectBinaryError(offset: 96, "trailing") { _ = try AERFile.decode(handBytes + [0], file: "x") }
        // Truncated inside the second sample's header (it starts at 80; its count field at 88).
        expectBinaryError(offset: 88, "truncated") { _ = try AERFile.decode(Array(handBytes[0 ..< 90]), file: "x") }
        // Truncated inside sample 0's events: 3 events declared, 20 bytes follow.
        expectBinaryError(offset: 48, "declares 3 events") { _ = try AERFile.decode(Array(handBytes[0 ..< 76]), file: "x") }
        expectBinaryError(offset: 0, "truncated") { _ = try AERFile.decode([0x43, 0x41], file: "x") }
        // Absurd sizes are rejected before any allocation: huge shape, huge step count.
        bad = handBytes; bad.replaceSubrange(8 ..< 20, with: le32(0xFFFF_FFFF) + le32(0xFFFF_FFFF) + le32(0xFFFF_FFFF))
        expectBinaryError(offset: 8, "channels") { _ = try AERFile.decode(bad, file: "x") }
        bad = handBytes; bad.replaceSubrange(84 ..< 88, with: le32(0xFFFF_FFF0))
        expectBinaryError(offset: 84, "limit") { _ = try AERFile.decode(bad, file: "x") }
    }

    @Test func corruptCSVNamesLineAndColumn() {
        func expectSyntax(_ text: String, line: Int, column: Int, _ fragment: String, sourceLocation: SourceLocation = #_sourceLocation) {
            do {
                _ = try AERCSV.decode(text, file: "c.csv")
                Issue.record("accepted", sourceLocation: sourceLocation)
            } catch let ChipError.syntax(_, l, c, message) {
                #expect(l == line && c == column && message.contains(fragment), "\(l):\(c): \(message)", sourceLocation: sourceLocation)
            } catch { Issue.record("\(error)", sourceLocation: sourceLocation) }
        }
        let head = "chipsim-aer,1,3,1,1,500\nsample,0,2\n"
        expectSyntax(head + "event,0,3,0,0", line: 3, column: 9, "x 3 is out of range")
        expectSyntax(head + "event,2,0,0,0", line: 3, column: 7, "step 2 is out of range")
        expectSyntax(head + "event,1,1,0,0\nevent,1,0,0,0", line: 4, column: 7, "sorted")
        expectSyntax(head + "spike,1", line: 3, column: 1, "unknown record")
        expectSyntax("event,0,0,0,0", line: 1, column: 1, "before")
        expectSyntax("chipsim-aer,2,3,1,1,500", line: 1, column: 13, "version")
        expectSyntax("chipsim-aer,1,99999999999,99999999999,2,500", line: 1, column: 15, "channels")
        expectSyntax("chipsim-aer,1,3,1,1,500\nsample,0,99999999999", line: 2, column: 10, "steps")
    }
}
