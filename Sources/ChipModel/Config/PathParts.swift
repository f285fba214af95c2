/// The directory part of a path, on the string itself. Foundation's
/// `NSString.deletingLastPathComponent` traps on one-character paths such as "c" on Linux
/// (Swift 6.3), so every path split in chipsim goes through here.
public enum PathParts {
    /// "dir/a.json" -> "dir", "/a.json" -> "/", "a.json" -> "" (the working directory).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        let d = String(path[..<slash])
        return d.isEmpty ? "/" : d
    }
}
