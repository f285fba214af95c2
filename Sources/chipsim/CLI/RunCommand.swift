import Foundation
import ChipModel
import OnChipLearning

enum RunCommand: Subcommand {
    static let name = "run"
    static let summary = "(not yet implemented)"
    static let help = "chipsim run"
    static let flags: Set<String> = []
    static func run(_ args: inout Arguments) throws -> Int32 {
        try args.finish()
        return 0
    }
}
