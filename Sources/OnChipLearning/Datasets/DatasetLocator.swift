import Foundation

// Finds the shipped `data/` directory at run time: an explicit directory if given, then
// $CHIPSIM_DATA, then `data/` in the current directory and each of its parents, then
// `data/` beside the executable and each of its parents (so `.build/release/chipsim`
// run from anywhere finds the checkout's data/).

public enum DatasetLocator {
    /// The directory holding `file` (e.g. "mnist5k-images.idx"); a ChipError.io listing
    /// every place searched if it is nowhere.
    public static func dataDirectory(containing file: String, explicit: String? = nil) throws -> String {
        let fm = FileManager.default
        var tried: [String] = []
        func check(_ dir: String) -> Bool {
            tried.append(dir)
            return fm.fileExists(atPath: dir + "/" + file)
        }
        if let explicit {
            if check(explicit) { return explicit }
            throw ChipError.io(path: explicit + "/" + file, message: "no such file (the data directory was given explicitly)")
        }
        if let env = ProcessInfo.processInfo.environment["CHIPSIM_DATA"], !env.isEmpty, check(env) { return env }
        for start in [fm.currentDirectoryPath, executableDirectory()].compactMap({ $0 }) {
            var dir = URL(fileURLWithPath: start).standardizedFileURL
            while true {
                let candidate = dir.appendingPathComponent("data").path
                if check(candidate) { return candidate }
                let parent = dir.deletingLastPathComponent()
                if parent.path == dir.path { break }
                dir = parent
            }
        }
        throw ChipError.io(path: file, message: "not found; searched \(tried.count) places (\(tried.prefix(4).joined(separator: ", "))\(tried.count > 4 ? ", ..." : "")). Run from the chipsim checkout, set CHIPSIM_DATA to the directory holding \(file), or give the path explicitly")
    }

    /// The executable's directory: from argv[0] when it is a path, else (found on $PATH)
    /// from /proc/self/exe on Linux.
    static func executableDirectory() -> String? {
        if let arg0 = CommandLine.arguments.first, arg0.contains("/") {
            return URL(fileURLWithPath: arg0).resolvingSymlinksInPath().deletingLastPathComponent().path
        }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return URL(fileURLWithPath: exe).deletingLastPathComponent().path
        }
        return nil
    }
}
