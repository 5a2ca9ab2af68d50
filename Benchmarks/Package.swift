// swift-tools-version:6.1
import PackageDescription

// A package of its own, so the main build and CI never build the benchmark tool:
// `cd Benchmarks && swift package benchmark` (see docs/benchmarks.md).
let package = Package(
    name: "CovenantBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // Named, so the product reference below holds whatever the clone's folder is called.
        .package(name: "covenant", path: ".."),
        // Only the malloc interposer trait: the default traits also ask for swift-runtime-interposer,
        // which is not among the packages this machine can resolve.
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
        // Same version as the main package: benchmarks make keys and check signatures themselves.
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
    ]
)

// One executable per area; the plugin finds each under Benchmarks/<Name>/<Name>.swift.
for name in ["Privacy", "AuditLog", "Risk", "Domain"] {
    package.targets.append(
        .executableTarget(
            name: "\(name)Benchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "CovenantCore", package: "covenant"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Benchmarks/\(name)",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    )
}
