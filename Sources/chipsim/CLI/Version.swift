// chipsim's version: printed by `chipsim --version`. Raise it with every release; report
// files carry their own schemaVersion (RunReport.schemaVersion), which changes only when
// the report's format does.
enum Version {
    static let chipsim = "0.1.0"

    static var text: String { "chipsim \(chipsim) (\(Console.buildKind) build)" }
}
