import Foundation
import ChipModel
import OnChipLearning

enum BenchCommand: Subcommand {
    static let name = "bench"
    static let summary = "(not yet implemented)"
    static let help = "chipsim bench"
    static let flags: Set<String> = []
    static func run(_ args: inout Arguments) throws -> Int32 {
        try args.finish()
        return 0
    }
}
