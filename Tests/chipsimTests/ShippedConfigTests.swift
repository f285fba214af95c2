import Foundation
import Testing

/// Every config the project ships must be accepted by `chipsim validate`, which builds the same
/// chip, mapping and learning memory as `run` (a shipped config that no longer fits its cores
/// went unnoticed once: mgdwp-mnist.json after the move to Loihi-sized cores).
@Suite struct ShippedConfigTests {
    static func shippedConfigs() -> [String] {
        let fm = FileManager.default
        var paths: [String] = []
        for dir in ["configs", "configs/validation"] {
            let names = (try? fm.contentsOfDirectory(atPath: repoRoot + "/" + dir)) ?? []
            paths += names.filter { $0.hasSuffix(".json") }.sorted().map { dir + "/" + $0 }
        }
        return paths
    }

    @Test func thereAreShippedConfigs() {
        #expect(ShippedConfigTests.shippedConfigs().count > 40)
    }

    @Test(arguments: shippedConfigs())
    func validates(config: String) throws {
        let r = try chipsim(["validate", config])
        #expect(r.status == 0, "\(config): \(r.err)")
    }
}
