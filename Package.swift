// swift-tools-version:6.0
// chipsim: a cycle-level neuromorphic chip simulator with on-chip learning.
// No package dependencies: the Swift toolchain only.
import PackageDescription

let optimise: [SwiftSetting] = [
    // Exclusivity checks cost ~10-20% in the per-synapse loops; the hot loops use
    // unsafe buffers whose exclusivity is guaranteed by construction.
    .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release)),
]

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
        .testTarget(name: "OnChipLearningTests", dependencies: ["OnChipLearning", "ChipModel"]),
        .testTarget(name: "chipsimTests", dependencies: ["chipsim", "OnChipLearning"]),
    ],
    swiftLanguageModes: [.v5]
)
