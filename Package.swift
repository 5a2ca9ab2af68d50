// swift-tools-version:6.1
import PackageDescription

// Strict settings on every target of ours (DESIGN.md, example 11).
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

// Tests keep `ExistentialAny` but see their imports' members without listing every module.
let testSettings: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "covenant",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "covenant", targets: ["covenant"]),
        // The pure modules, for the separate benchmark package in Benchmarks/ (no database, no HTTP).
        .library(name: "CovenantCore", targets: ["Domain", "Privacy", "AuditLog", "Risk"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/vapor/fluent-kit.git", from: "1.57.0"),
        .package(url: "https://github.com/vapor/fluent-sqlite-driver.git", from: "4.9.0"),
        .package(url: "https://github.com/vapor/fluent-postgres-driver.git", from: "2.14.0"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
    ],
    targets: [
        // Pure values and rules: no I/O, no framework, nothing of ours.
        .target(name: "Domain", swiftSettings: strict),
        // RFC 9162 Merkle log: no database or HTTP code.
        .target(
            name: "AuditLog",
            dependencies: ["Domain", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // Keys, field encryption, blind indexes.
        .target(
            name: "Privacy",
            dependencies: ["Domain", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // Risk scoring: features, rules, tree models, decisions. No I/O (DESIGN.md): pure and fast.
        .target(name: "Risk", swiftSettings: strict),
        // Databases, migrations, row types, repositories.
        .target(
            name: "Storage",
            dependencies: [
                "Domain", "Privacy", "AuditLog",
                .product(name: "FluentKit", package: "fluent-kit"),
                .product(name: "FluentSQLiteDriver", package: "fluent-sqlite-driver"),
                .product(name: "FluentPostgresDriver", package: "fluent-postgres-driver"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // Use cases: typed caller + plain inputs → one transaction with its audit event.
        .target(
            name: "Marketplace",
            dependencies: [
                "Domain", "Privacy", "AuditLog", "Storage", "Risk",
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SQLKit", package: "sql-kit"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: strict
        ),
        // Third-party providers over real HTTP (identity verification, …) and their sandboxes.
        .target(
            name: "Providers",
            dependencies: [
                "Domain", "Marketplace",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The Hummingbird application: contexts, middleware, handlers.
        .target(
            name: "App",
            dependencies: [
                "Domain", "Privacy", "Storage", "Marketplace", "Risk", "AuditLog",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "AsyncAlgorithms", package: "swift-async-algorithms"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "covenant",
            dependencies: [
                "App", "Storage", "Marketplace", "Privacy", "Domain", "AuditLog", "Providers", "Risk",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "DomainTests", dependencies: ["Domain"], swiftSettings: testSettings),
        .testTarget(name: "AuditLogTests", dependencies: ["AuditLog"], swiftSettings: testSettings),
        .testTarget(
            name: "RiskTests", dependencies: ["Risk"], resources: [.copy("Fixtures")], swiftSettings: testSettings),
        .testTarget(
            name: "PrivacyTests", dependencies: ["Privacy", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: testSettings),
        .testTarget(
            name: "AppTests",
            dependencies: [
                "App", "Storage", "Marketplace", "Privacy", "Domain", "Providers", "Risk",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: testSettings
        ),
    ]
)
