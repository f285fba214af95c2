// Errors a user can act on: each names the file, the place in it (JSON path or line)
// and what was expected.

public enum ChipError: Error, CustomStringConvertible, Equatable {
    /// Bad configuration value: file, JSON path (e.g. $.network.layers[1].neurons), message.
    case config(file: String, path: String, message: String)
    /// Malformed file syntax: file, 1-based line and column.
    case syntax(file: String, line: Int, column: Int, message: String)
    /// Malformed binary file: file, byte offset.
    case binary(file: String, offset: Int, message: String)
    /// A network that does not fit the hardware: names layer, core and limit.
    case capacity(message: String)
    /// Reading or writing a file failed.
    case io(path: String, message: String)
    /// Bad command-line usage.
    case usage(String)

    public var description: String {
        switch self {
        case let .config(file, path, message): return "\(file): \(path): \(message)"
        case let .syntax(file, line, column, message): return "\(file):\(line):\(column): \(message)"
        case let .binary(file, offset, message): return "\(file): byte \(offset): \(message)"
        case let .capacity(message): return "does not fit: \(message)"
        case let .io(path, message): return "\(path): \(message)"
        case let .usage(message): return message
        }
    }
}
