import Foundation
import Testing
@testable import ChipModel

/// The loss unit's -ln look-up: 257 entries of 20 fraction bits, input p in 1...2^14 (units of
/// 2^-14), output in units of 2^-14. Checked exhaustively against Double (53-bit) logarithms.
@Suite struct NegativeLogTableTests {
    @Test func theTableHas257TwentyBitEntries() {
        #expect(NegativeLogTable.table.count == 257)
        #expect(NegativeLogTable.table.first == 0)
        #expect(NegativeLogTable.table.last == Int64((log(2.0) * 1_048_576).rounded()))   // 726,817
        #expect(NegativeLogTable.table.allSatisfy { $0 >= 0 && $0 < 1 << 20 })
        #expect(NegativeLogTable.ln2Q30 == Int64((log(2.0) * 1_073_741_824).rounded()))
    }

    @Test func everyProbabilityIsWithinHalfAUnitPlusTheInterpolationError() {
        var maxError = 0.0, differsFromRounded = 0
        for p in Int64(1)...(1 << 14) {
            let exact = -log(Double(p) / 16384) * 16384
            let l = NegativeLogTable.negLog(p)
            maxError = max(maxError, abs(Double(l) - exact))
            if l != Int64(exact.rounded()) { differsFromRounded += 1 }
        }
        #expect(maxError <= 0.53, "max error \(maxError) units of 2^-14")
        // Only values within 0.04 of a rounding boundary can round the other way.
        #expect(differsFromRounded == 153, "\(differsFromRounded) of 16384 differ from the rounded exact value")
    }

    @Test func endpointsAndClamping() {
        #expect(NegativeLogTable.negLog(1 << 14) == 0)
        #expect(NegativeLogTable.negLog(1) == 158_991)          // 14 ln 2 x 2^14 = 158,991.1
        #expect(NegativeLogTable.negLog(1 << 13) == 11_357)     // ln 2 x 2^14 = 11,356.5 (rounded half up)
        #expect(NegativeLogTable.negLog(0) == NegativeLogTable.negLog(1))
        #expect(NegativeLogTable.negLog(1 << 20) == 0)
    }
}
