import Foundation
import Testing
@testable import ChipModel

@Suite struct LossUnitTests {
    /// Float oracle of the documented definition (softmax of x / 2^lutFracBits, mixed with MSE).
    func oracle(_ o: [Int32], label: Int, p: LossUnitParameters) -> [Double] {
        let x = o.map { Double(Int64($0) >> Int64(p.outputShift)) / Double(1 << p.lutFracBits) }
        let mx = x.max()!
        let ex = x.map { exp($0 - mx) }
        let s = ex.reduce(0, +)
        return (0..<o.count).map { k in
            let y = k == label ? 1.0 : 0.0
            let m = min(max(x[k], -1), 2)
            return (Double(p.ceWeight) * (ex[k] / s - y) + Double(p.mseWeight) * (m - y)) / 64
        }
    }

    @Test func errorMatchesTheFloatDefinitionWithinQuantisation() {
        let unit = LossUnit(LossUnitParameters())
        let key = RandomKey(seed: 4, stream: .plasticity)
        for trial in 0..<500 {
            let o = (0..<10).map { Int32(Int64(key.draw(trial * 10 + $0) % 200_000) - 100_000) }
            let label = trial % 10
            let e = unit.error(o, label: label), ref = oracle(o, label: label, p: unit.parameters)
            for k in 0..<10 {
                // LUT values are exact to 2^-17 relative, division rounds to 2^-14, the final shift
                // floors: a few units of 2^-14 at most.
                #expect(abs(Double(e[k]) / 16384 - ref[k]) < 4.0 / 16384, "trial \(trial) k \(k)")
            }
        }
    }

    @Test func equalOutputsGiveUniformProbabilities() {
        let unit = LossUnit(LossUnitParameters(ceWeight: 64, mseWeight: 0))
        let e = unit.error([Int32](repeating: 0, count: 4), label: 2)
        // p = 1/4 = 4096; e = p - y: 4096 for k != 2, 4096 - 16384 = -12288 for the label.
        #expect(e == [4096, 4096, -12288, 4096])
    }
}
