import Foundation
import ChipModel
import OnChipLearning

enum ValidateCommand: Subcommand {
    static let name = "validate"
    static let summary = "(not yet implemented)"
    static let help = "chipsim validate"
    static let flags: Set<String> = []
    static func run(_ args: inout Arguments) throws -> Int32 {
        try args.finish()
        return 0
    }
}
