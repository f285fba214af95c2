import Foundation
import ChipModel

// A small command structure in the manner of swift-argument-parser (written here: the
// project takes no packages). Each subcommand is one type with a name, a one-line
// summary, a help text with an example, the flags it takes (options without a value),
// and a run function over parsed arguments.

protocol Subcommand {
    static var name: String { get }
    static var summary: String { get }
    /// Full help: usage line, options, and at least one example.
    static var help: String { get }
    /// Options that take no value (e.g. "json"); every other --option takes one.
    static var flags: Set<String> { get }
    static func run(_ args: inout Arguments) throws -> Int32
}

/// Parsed command-line arguments: options (`--key value`, `--key=value`, repeatable),
/// flags (`--flag`) and positionals. Unconsumed options are errors (typos are caught).
struct Arguments {
    private(set) var positionals: [String] = []
    private var options: [(String, String?)] = []
    private var consumed = Set<Int>()
    let command: String

    init(_ argv: [String], command: String, flags: Set<String>) throws {
        self.command = command
        var i = 0
        while i < argv.count {
            let a = argv[i]
            if a == "--" { positionals += argv[(i + 1)...]; break }
            if a.hasPrefix("--") && a.count > 2 {
                let body = String(a.dropFirst(2))
                if let eq = body.firstIndex(of: "=") {
                    options.append((String(body[..<eq]), String(body[body.index(after: eq)...])))
                } else if flags.contains(body) || body == "help" {
                    options.append((body, nil))
                } else {
                    guard i + 1 < argv.count, !argv[i + 1].hasPrefix("--") else {
                        throw ChipError.usage("option --\(body) needs a value; see 'chipsim \(command) --help'")
                    }
                    options.append((body, argv[i + 1])); i += 1
                }
            } else if a == "-h" {
                options.append(("help", nil))
            } else {
                positionals.append(a)
            }
            i += 1
        }
    }

    mutating func flag(_ name: String) -> Bool {
        var found = false
        for (k, (n, _)) in options.enumerated() where n == name { consumed.insert(k); found = true }
        return found
    }

    /// Whether the option was given (it is not consumed).
    func has(_ name: String) -> Bool { options.contains { $0.0 == name } }

    mutating func values(_ name: String) -> [String] {
        var out: [String] = []
        for (k, (n, v)) in options.enumerated() where n == name { consumed.insert(k); if let v { out.append(v) } }
        return out
    }

    mutating func value(_ name: String) throws -> String? {
        let vs = values(name)
        if vs.count > 1 { throw ChipError.usage("option --\(name) given \(vs.count) times; give it once") }
        return vs.first
    }

    /// An integer option checked against `range` (a usage error names the option, the range
    /// and the text; out-of-range and unparsable values, e.g. 99999999999999999999, alike).
    /// Every integer option is read through this, so no value reaches arithmetic unchecked.
    mutating func int(_ name: String, default d: Int, in range: ClosedRange<Int>) throws -> Int {
        guard let s = try value(name) else { return d }
        let t = s.trimmingCharacters(in: .whitespaces)
        guard let v = Int(t), range.contains(v) else {
            let isNumber = !t.isEmpty && t.drop(while: { $0 == "-" || $0 == "+" }).allSatisfy { $0.isASCII && $0.isNumber }
            throw ChipError.usage("--\(name) expects an integer in \(range.lowerBound)...\(range.upperBound), got '\(s)'\(isNumber ? " (out of range)" : "")")
        }
        return v
    }

    /// An integer option in 0...2^31-1 (options without a tighter documented range).
    mutating func int(_ name: String, default d: Int) throws -> Int {
        try int(name, default: d, in: 0...Int(Int32.max))
    }

    mutating func positional(_ what: String) throws -> String {
        guard !positionals.isEmpty else {
            throw ChipError.usage("missing \(what); see 'chipsim \(command) --help'")
        }
        return positionals.removeFirst()
    }

    /// Call after reading everything: any option or positional left over is a mistake.
    func finish() throws {
        for (k, (n, _)) in options.enumerated() where !consumed.contains(k) {
            throw ChipError.usage("unknown option --\(n) for 'chipsim \(command)'; see 'chipsim \(command) --help'")
        }
        if !positionals.isEmpty {
            throw ChipError.usage("unexpected argument '\(positionals[0])' for 'chipsim \(command)'; see 'chipsim \(command) --help'")
        }
    }
}

/// Standard error output and progress. On a terminal, progress is one line rewritten in
/// place (at most 10 times a second); otherwise (a pipe, a log file, CI) a full line at most
/// every 15 s, the first after 5 s, so short runs stay quiet and long ones show they live.
enum Console {
    static func error(_ s: String) { write(s + "\n") }

    /// Writes to stderr; a closed or full stderr is ignored (FileHandle.write(_:) would trap).
    static func write(_ s: String) { try? FileHandle.standardError.write(contentsOf: Data(s.utf8)) }
    static let stderrIsTerminal: Bool = isatty(2) == 1 && ProcessInfo.processInfo.environment["CI"] == nil
    static let started = DispatchTime.now().uptimeNanoseconds
    nonisolated(unsafe) static var lastProgress: UInt64 = 0
    nonisolated(unsafe) static var progressShown = false
    static let terminalInterval: UInt64 = 100_000_000, logInterval: UInt64 = 15_000_000_000, logDelay: UInt64 = 5_000_000_000

    static func progress(_ s: @autoclosure () -> String) {
        let now = DispatchTime.now().uptimeNanoseconds
        if stderrIsTerminal {
            guard now &- lastProgress >= terminalInterval else { return }
            write("\r\u{1B}[K" + s())
            progressShown = true
        } else {
            guard now &- started >= logDelay, now &- lastProgress >= logInterval else { return }
            write("progress: " + s() + "\n")
        }
        lastProgress = now
    }
    /// "debug" or "release" (plus the CPU target Package.swift chose for this host): benchmarks
    /// print it, since only release figures mean anything.
    #if DEBUG
    static let buildKind = "debug"
    #elseif CHIPSIM_HOST_CPU_AVX512
    static let buildKind = "release+avx512"
    #elseif CHIPSIM_HOST_CPU_AVX2
    static let buildKind = "release+avx2"
    #elseif CHIPSIM_HOST_CPU_TARGET
    static let buildKind = "release+cpu-target"
    #else
    static let buildKind = "release"
    #endif

    static func progressDone() {
        if stderrIsTerminal && progressShown { write("\r\u{1B}[K") }
        progressShown = false
    }
}
