import Foundation
import Testing
@testable import ChipModel

/// The loss unit's -ln look-up: input p in 1...2^14 (units of 2^-14), output in units of 2^-14.
/// Both tables are checked exhaustively against Double (53-bit) logarithms.
@Suite struct NegativeLogTableTests {
    /// (max |L - exact|, inputs where L differs from the correctly rounded exact value)
    func errors(_ t: NegativeLogTable) -> (Double, Int) {
        var maxError = 0.0, differs = 0
        for p in Int64(1)...(1 << 14) {
            let exact = -log(Double(p) / 16384) * 16384
            let l = t.negLog(p)
            maxError = max(maxError, abs(Double(l) - exact))
            if l != Int64(exact.rounded()) { differs += 1 }
        }
        return (maxError, differs)
    }

    @Test func theChipsTableIsCorrectlyRoundedForEveryInput() {
        let t = NegativeLogTable.standard
        #expect(t.table.count == 4097 && t.bytes == 14_340)
        #expect(t.table.first == 0 && t.table.last == Int64((log(2.0) * 268_435_456).rounded()))
        #expect(t.table.allSatisfy { $0 >= 0 && $0 < 1 << 28 })
        let (maxError, differs) = errors(t)
        #expect(maxError <= 0.5 && differs == 0, "max error \(maxError), \(differs) differ")
    }

    @Test func theCompactTableIsWithinHalfAUnitPlusTheInterpolationError() {
        let t = NegativeLogTable.compact
        #expect(t.table.count == 257 && t.bytes == 643)
        #expect(t.table.last == Int64((log(2.0) * 1_048_576).rounded()))   // 726,817
        let (maxError, differs) = errors(t)
        #expect(maxError <= 0.53 && differs == 153, "max error \(maxError), \(differs) differ")
    }

    @Test func endpointsAndClamping() {
        #expect(NegativeLogTable.ln2Q30 == Int64((log(2.0) * 1_073_741_824).rounded()))
        for t in [NegativeLogTable.standard, .compact] {
            #expect(t.negLog(1 << 14) == 0)
            #expect(t.negLog(1) == 158_991)          // 14 ln 2 x 2^14 = 158,991.1
            #expect(t.negLog(1 << 13) == 11_357)     // ln 2 x 2^14 = 11,356.5 (rounded half up)
            #expect(t.negLog(0) == t.negLog(1))
            #expect(t.negLog(1 << 20) == 0)
        }
    }
}
