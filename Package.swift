// swift-tools-version:6.0
// chipsim: a cycle-level neuromorphic chip simulator with on-chip learning.
// No package dependencies: the Swift toolchain only.
import PackageDescription
#if os(Linux) && arch(x86_64)
import Foundation
#endif

/// Release builds on an x86-64 Linux host are compiled for that host's vector extensions:
/// the baseline x86-64 target (SSE2) has no 32-bit vector min/max or multiply and no 64-bit
/// vector compare, so most of the simulator's integer loops stay scalar. With AVX2 (and the
/// rest of the Haswell set) they vectorise (chipsim bench train: about 1.3x); with AVX-512
/// (F, CD, BW, DQ, VL: the Skylake-server set) the 64-bit vector multiplies of the
/// stochastic-rounding hash become one instruction instead of six (about 1.3x again). The
/// integer results are the same bit for bit, and so are the float ones (Swift does not fuse
/// multiply-adds unless asked): reports are byte-identical across the three builds (README,
/// "Measured"). The binary then needs such a CPU.
///   CHIPSIM_PORTABLE=1            baseline x86-64 target
///   CHIPSIM_TARGET_CPU=haswell    a named LLVM CPU instead of the detected one (e.g. to run
///                                 under valgrind, which has no AVX-512)
let hostCPUTarget: String? = {
    #if os(Linux) && arch(x86_64)
    let env = ProcessInfo.processInfo.environment
    if env["CHIPSIM_PORTABLE"] != nil { return nil }
    if let cpu = env["CHIPSIM_TARGET_CPU"], !cpu.isEmpty { return cpu }
    guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
          let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else { return nil }
    let flags = Set(flagsLine.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == ":" }).map(String.init))
    let haswell: Set<String> = ["avx", "avx2", "fma", "bmi1", "bmi2", "f16c", "abm", "movbe", "popcnt", "sse4_2"]
    let skylakeServer = haswell.union(["avx512f", "avx512cd", "avx512bw", "avx512dq", "avx512vl"])
    if skylakeServer.isSubset(of: flags) { return "skylake-avx512" }
    return haswell.isSubset(of: flags) ? "haswell" : nil
    #else
    return nil
    #endif
}()

let optimise: [SwiftSetting] = [
    // Exclusivity checks cost ~10-20% in the per-synapse loops; the hot loops use
    // unsafe buffers whose exclusivity is guaranteed by construction.
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
] + (hostCPUTarget.map { cpu in [
    .unsafeFlags(["-target-cpu", cpu], .when(configuration: .release)),
    .define("CHIPSIM_HOST_CPU_TARGET", .when(configuration: .release)),
] + (["haswell": "CHIPSIM_HOST_CPU_AVX2", "skylake-avx512": "CHIPSIM_HOST_CPU_AVX512"][cpu].map {
    [.define($0, .when(configuration: .release))] } ?? [])
} ?? [])

let package = Package(
    name: "chipsim",
    products: [
        .library(name: "ChipModel", targets: ["ChipModel"]),
        .library(name: "OnChipLearning", targets: ["OnChipLearning"]),
        .executable(name: "chipsim", targets: ["chipsim"]),
    ],
    targets: [
        .target(name: "ChipModel", swiftSettings: optimise),
        .target(name: "OnChipLearning", dependencies: ["ChipModel"], swiftSettings: optimise),
        .executableTarget(name: "chipsim", dependencies: ["ChipModel", "OnChipLearning"],
                          swiftSettings: optimise),
        .testTarget(name: "ChipModelTests", dependencies: ["ChipModel"]),
        .testTarget(name: "OnChipLearningTests", dependencies: ["OnChipLearning", "ChipModel"],
                    exclude: ["Fixtures"]),   // NIR files read by path (#filePath), not bundled
        .testTarget(name: "chipsimTests", dependencies: ["chipsim", "OnChipLearning"],
                    exclude: ["Golden"]),   // read by path (#filePath), not bundled
    ],
    swiftLanguageModes: [.v5]
)
