import Foundation
import ChipModel
import OnChipLearning

enum DescribeCommand: Subcommand {
    static let name = "describe"
    static let summary = "Document every config key (type, default, meaning) and every counted action."
    static let flags: Set<String> = ["markdown"]
    static let help = """
    USAGE: chipsim describe [--markdown]

    Prints the documentation of every config section and key, generated from the same
    declarations the config decoder uses, and the list of counted actions. --markdown prints
    docs/CONFIG.md (which is generated this way; a test checks they agree).

    EXAMPLE:
      chipsim describe --markdown > docs/CONFIG.md
    """

    static func run(_ args: inout Arguments) throws -> Int32 {
        let md = args.flag("markdown")
        try args.finish()
        print(md ? ConfigDocs.markdown : ConfigDocs.text, terminator: "")
        return 0
    }
}
