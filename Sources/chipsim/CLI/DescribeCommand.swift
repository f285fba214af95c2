import Foundation
import ChipModel
import OnChipLearning

enum DescribeCommand: Subcommand {
    static let name = "describe"
    static let summary = "(not yet implemented)"
    static let help = "chipsim describe"
    static let flags: Set<String> = []
    static func run(_ args: inout Arguments) throws -> Int32 {
        try args.finish()
        return 0
    }
}
