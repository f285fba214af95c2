import Foundation
import ChipModel
import OnChipLearning

enum CostCommand: Subcommand {
    static let name = "cost"
    static let summary = "(not yet implemented)"
    static let help = "chipsim cost"
    static let flags: Set<String> = []
    static func run(_ args: inout Arguments) throws -> Int32 {
        try args.finish()
        return 0
    }
}
