import Foundation
import ChipModel

// chipsim: the root command. Each subcommand is one file under CLI/; add new ones here.
let subcommands: [Subcommand.Type] = [
    RunCommand.self,
    TraceCommand.self,
    ValidateCommand.self,
    DescribeCommand.self,
    CostCommand.self,
    BenchCommand.self,
    AsmCommand.self,
    GradcheckCommand.self,
    CompareCommand.self,
    ImportCommand.self,
    ExportCommand.self,
    SweepCommand.self,
]

func rootHelp() -> String {
    var s = """
    chipsim: a cycle-level neuromorphic chip simulator with on-chip learning.

    USAGE: chipsim <command> [options]

    COMMANDS:

    """
    for c in subcommands { s += "  " + c.name.padding(toLength: 10, withPad: " ", startingAt: 0) + c.summary + "\n" }
    s += "\nRun 'chipsim <command> --help' for a command's options and an example;\n'chipsim --version' prints the version.\n"
    return s
}

_ = Console.started   // progress timing counts from launch
var argv = Array(CommandLine.arguments.dropFirst())
if argv.isEmpty || argv[0] == "--help" || argv[0] == "-h" || argv[0] == "help" {
    print(rootHelp(), terminator: "")
    exit(argv.isEmpty ? 64 : 0)
}
if argv[0] == "--version" || argv[0] == "version" {
    print(Version.text)
    exit(0)
}
let name = argv.removeFirst()
guard let cmd = subcommands.first(where: { $0.name == name }) else {
    Console.error("error: unknown command '\(name)'\n\n" + rootHelp())
    exit(64)
}
do {
    var args = try Arguments(argv, command: name, flags: cmd.flags)
    if args.flag("help") { print(cmd.help); exit(0) }
    exit(try cmd.run(&args))
} catch let e as ChipError {
    Console.error("error: \(e)")
    if case .usage = e { exit(64) }
    exit(1)
} catch {
    Console.error("error: \(error)")
    exit(1)
}
