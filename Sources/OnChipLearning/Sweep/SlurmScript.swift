import Foundation
import ChipModel

/// An `sbatch` job-array script for a sweep: one array task per point (or per chunk of
/// `pointsPerTask` consecutive points), each running `chipsim sweep SPEC --point INDEX`, so a
/// cluster computes exactly what `chipsim sweep SPEC` computes locally, into the same output
/// layout (SweepStore); `chipsim sweep collect SPEC` merges. Finished points are skipped, so
/// resubmitting the same script after a partial run only computes what is missing.
public struct SlurmOptions: Sendable {
    public var partition: String?
    public var time: String?
    public var cpusPerTask: Int = 1
    public var mem: String?
    public var account: String?
    public var qos: String?
    public var pointsPerTask: Int = 1
    /// At most this many array tasks at once (`--array=...%N`); nil = no limit.
    public var maxParallel: Int?
    /// Further `#SBATCH` options, each written as given (e.g. "--constraint=avx512").
    public var extra: [String] = []
    public init() {}
}

public enum SlurmScript {
    /// Single-quoted for the shell.
    static func quote(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    public static func taskCount(points: Int, pointsPerTask: Int) -> Int { (points + pointsPerTask - 1) / pointsPerTask }

    /// The script. `executable`, `spec`, `out` and `workdir` should be absolute paths (the
    /// tasks run on other nodes, possibly from another directory).
    public static func text(name: String, executable: String, spec: String, out: String, workdir: String,
                            points: Int, options o: SlurmOptions) -> String {
        let tasks = taskCount(points: points, pointsPerTask: o.pointsPerTask)
        var s = "#!/bin/bash\n"
        s += "# chipsim sweep '\(name)': \(points) point(s) in \(tasks) array task(s) of up to \(o.pointsPerTask) point(s).\n"
        s += "# Written by `chipsim sweep --slurm`; submit with `sbatch` (or `chipsim sweep ... --slurm --submit`),\n"
        s += "# then merge with `chipsim sweep collect`. Finished points are skipped, so resubmitting is safe.\n"
        s += "#SBATCH --job-name=chipsim-\(name)\n"
        s += "#SBATCH --array=0-\(max(0, tasks - 1))\(o.maxParallel.map { "%\($0)" } ?? "")\n"
        s += "#SBATCH --output=\(out)/slurm/%A_%a.out\n"
        s += "#SBATCH --chdir=\(workdir)\n"
        s += "#SBATCH --ntasks=1\n"
        s += "#SBATCH --cpus-per-task=\(o.cpusPerTask)\n"
        if let p = o.partition { s += "#SBATCH --partition=\(p)\n" }
        if let t = o.time { s += "#SBATCH --time=\(t)\n" }
        if let m = o.mem { s += "#SBATCH --mem=\(m)\n" }
        if let a = o.account { s += "#SBATCH --account=\(a)\n" }
        if let q = o.qos { s += "#SBATCH --qos=\(q)\n" }
        for e in o.extra { s += "#SBATCH \(e)\n" }
        s += "set -u\n"
        s += "CHIPSIM=\(quote(executable))\nSPEC=\(quote(spec))\nOUT=\(quote(out))\n"
        s += "K=\(o.pointsPerTask)\nN=\(points)\n"
        s += "first=$(( SLURM_ARRAY_TASK_ID * K ))\nlast=$(( first + K - 1 ))\n"
        s += "if [ \"$last\" -ge \"$N\" ]; then last=$(( N - 1 )); fi\n"
        s += "status=0\n"
        s += "for p in $(seq \"$first\" \"$last\"); do\n"
        s += "  \"$CHIPSIM\" sweep \"$SPEC\" --out \"$OUT\" --point \"$p\" --quiet || status=1\n"
        s += "done\n"
        s += "exit $status\n"
        return s
    }
}
