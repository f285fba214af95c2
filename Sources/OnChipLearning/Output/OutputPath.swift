import Foundation
import ChipModel

/// Output paths given by the user (`--out`, `--checkpoint`) or formed from a config's `name`,
/// turned into one absolute, lexically normalised path before any work starts.
///
/// Rules (docs/OUTPUT.md):
/// - `""` is refused; a leading `~` or `~/` is the home directory; relative paths are taken
///   from the working directory; `.` and `..` components are resolved lexically (symbolic
///   links are not followed) and a trailing `/` is dropped.
/// - An output that would be the filesystem root, the working directory or one of its
///   ancestors (`.`, `./`, `..`, `/`, `a/..`) is refused: replacing it would replace the
///   directory the user is working in.
/// - A config `name` must be one plain path component (letters, digits, `-`, `_`, `.`, `+`,
///   inner spaces; not starting with `.`): `"../../victim"` is refused with the JSON path `$.name`, so a
///   name never forms a path outside the `runs/` output root.
public enum OutputPath {
    /// The absolute normalised form of `path`, or a usage error naming `option`.
    public static func normalised(_ path: String, option: String) throws -> String {
        guard !path.isEmpty else { throw ChipError.usage("\(option): the path is empty") }
        guard !path.utf8.contains(0) else { throw ChipError.usage("\(option): the path contains a NUL byte") }
        var p = path
        if p == "~" || p.hasPrefix("~/") {
            p = NSHomeDirectory() + p.dropFirst()
        }
        if !p.hasPrefix("/") { p = FileManager.default.currentDirectoryPath + "/" + p }
        var parts: [Substring] = []
        for c in p.split(separator: "/", omittingEmptySubsequences: true) {
            if c == "." { continue }
            if c == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(c)
        }
        return "/" + parts.joined(separator: "/")
    }

    /// Normalises an output *directory* path and refuses the root, the working directory and
    /// its ancestors.
    public static func directory(_ path: String, option: String) throws -> String {
        let abs = try normalised(path, option: option)
        let cwd = try normalised(FileManager.default.currentDirectoryPath, option: option)
        if abs == "/" || abs == cwd || cwd.hasPrefix(abs + "/") {
            throw ChipError.usage("\(option) '\(path)' is \(abs == "/" ? "the filesystem root" : abs == cwd ? "the working directory" : "an ancestor of the working directory"); give a new or a previous chipsim output directory, e.g. runs/NAME")
        }
        return abs
    }

    /// Normalises an output *file* path (a checkpoint): it must not end in `/` or be a directory name.
    public static func file(_ path: String, option: String) throws -> String {
        if path.hasSuffix("/") { throw ChipError.usage("\(option) '\(path)' names a directory; give a file path") }
        let abs = try normalised(path, option: option)
        guard abs != "/" else { throw ChipError.usage("\(option) '\(path)' is the filesystem root; give a file path") }
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: abs, isDirectory: &isDir), isDir.boolValue {
            throw ChipError.usage("\(option) '\(path)' is a directory; give a file path")
        }
        return abs
    }

    /// `file(_:option:)`, and the path must be new or a regular file: replacing it by rename
    /// would put a file in place of a device, a FIFO or a symbolic link (as root, even over
    /// /dev/full).
    public static func replaceableFile(_ path: String, option: String) throws -> String {
        let abs = try file(path, option: option)
        var st = stat()
        if lstat(abs, &st) == 0, st.st_mode & S_IFMT != S_IFREG {
            throw ChipError.io(path: path, message: "exists and is not a regular file; chipsim replaces only regular files: choose another path")
        }
        return abs
    }

    /// Whether a config name may become a directory under the output root unchanged.
    public static func isPlainName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 200, !name.hasPrefix("."), !name.hasPrefix(" "), !name.hasSuffix(" ") else { return false }
        return name.unicodeScalars.allSatisfy { s in
            (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || "-_.+ ".unicodeScalars.contains(s)
        }
    }

    /// The default output directory of a config: `runs/NAME`. Names that are not one plain
    /// path component are refused (not rewritten), so two configs never silently share a directory.
    public static func defaultDirectory(name: String, file: String) throws -> String {
        guard isPlainName(name) else {
            throw ChipError.config(file: file, path: "$.name", message: "'\(name)' cannot name the output directory runs/NAME: use letters, digits, '-', '_', '.', '+' and inner spaces (not starting with '.', at most 200 bytes), or pass --out DIR")
        }
        return "runs/" + name
    }

    /// The directory part of a path as given ("" for a bare name), computed on the string
    /// itself: Foundation's `deletingLastPathComponent` traps on some one-character paths.
    public static func directoryPart(of path: String) -> String { PathParts.directory(of: path) }

    /// The last component without its extension ("dir/a.b.json" -> "a.b"), on the string itself.
    public static func stem(of path: String) -> String {
        let base = path.split(separator: "/").last.map(String.init) ?? path
        guard let dot = base.lastIndex(of: "."), dot != base.startIndex else { return base }
        return String(base[..<dot])
    }

    /// The parent directory and last component of an absolute normalised path (not "/").
    static func split(_ abs: String) -> (parent: String, base: String) {
        let slash = abs.lastIndex(of: "/")!
        let parent = String(abs[..<slash])
        return (parent.isEmpty ? "/" : parent, String(abs[abs.index(after: slash)...]))
    }

    /// `parent/name` without doubling the root's slash.
    static func join(_ parent: String, _ name: String) -> String { parent == "/" ? "/" + name : parent + "/" + name }
}
