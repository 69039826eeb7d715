// swift-tools-version:6.0
import PackageDescription

/// Strict settings applied to every Swift target (STYLE.md).
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "crm-pipeline",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "crm-pipeline", targets: ["CRMPipelineCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        // C libraries, reached only through the thin Swift module above each.
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CLibXML2", pkgConfig: "libxml-2.0", providers: [.apt(["libxml2-dev"])]),
        .systemLibrary(name: "CLibArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),

        // SHA-256's compression on the CPU's SHA instructions (x86-64), for PipelineCore's SHA256 only.
        .target(name: "CSHA256"),
        // Core value types shared by every stage.
        .target(name: "PipelineCore", dependencies: ["CSHA256"], swiftSettings: strictSettings),
        // A small PostgreSQL client over libpq: the only module that sees libpq.
        .target(
            name: "PostgresClient",
            dependencies: ["CLibPQ", "PipelineCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        // The project's tables, functions and run states, each named once (SQLName.importRuns, …).
        .target(name: "CRMSchema", dependencies: ["PostgresClient", "PipelineCore"], swiftSettings: strictSettings),
        // A streaming XML reader over libxml2 with safe settings: the only module that sees libxml2.
        .target(name: "XMLStream", dependencies: ["CLibXML2", "PipelineCore"], swiftSettings: strictSettings),
        // Compressed files and archives through libarchive, streaming: the only module that sees libarchive.
        .target(name: "ArchiveStream", dependencies: ["CLibArchive"], swiftSettings: strictSettings),
        // Stage 1: files → records (CSV, XML, mappings; loose, compressed or archived), no database.
        .target(
            name: "Extract",
            dependencies: ["PipelineCore", "XMLStream", "ArchiveStream", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        // Stage 2: every record checked and normalized (pure: no database).
        .target(name: "Validate", dependencies: ["Extract", "PipelineCore"], swiftSettings: strictSettings),
        // The Prometheus text format and the atomic metrics file (--metrics-file).
        .target(name: "Metrics", dependencies: ["PipelineCore"], swiftSettings: strictSettings),
        // Stages 3–5: staging with COPY, dedupe and checks in SQL, merges, rejects, run records.
        .target(
            name: "Load",
            dependencies: [
                "Extract", "Validate", "PostgresClient", "PipelineCore", "CRMSchema", "Metrics",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Reports (five kinds, five formats) and verify: set-based reads of the CRM tables.
        .target(name: "Report", dependencies: ["PostgresClient", "PipelineCore", "CRMSchema"], swiftSettings: strictSettings),
        // Synthetic exports for demos, tests and benchmarks (crm-pipeline generate).
        .target(name: "Generate", dependencies: ["PipelineCore", "ArchiveStream"], swiftSettings: strictSettings),
        // Pipeline files (run): YAML steps resolved to command lines, with ${VAR} substitution.
        .target(
            name: "Pipeline",
            dependencies: ["PipelineCore", .product(name: "Yams", package: "Yams")],
            swiftSettings: strictSettings
        ),
        // Versioned SQL migrations shipped as resources, and the runner that applies them.
        .target(
            name: "Migrate",
            dependencies: [
                "PostgresClient", "PipelineCore", "CRMSchema",
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Migrations"), .copy("Citus")],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "CRMPipelineCLI",
            dependencies: [
                "PipelineCore", "PostgresClient", "Migrate", "Extract", "Validate", "Load", "Report", "Generate", "Pipeline", "Metrics",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // make bench-extract: the CSV reader against a plain byte loop.
        .executableTarget(
            name: "extract-benchmark",
            dependencies: ["Extract", "PipelineCore"],
            path: "Benchmarks/ExtractBenchmark",
            swiftSettings: strictSettings
        ),
        // make bench: the live app's requests beside an import, a backfill, verify --fix and migrate (issue 24).
        .executableTarget(
            name: "app-load-benchmark",
            dependencies: ["TestSupport", "PostgresClient", "Migrate", .product(name: "Logging", package: "swift-log")],
            path: "Benchmarks/AppLoad",
            swiftSettings: strictSettings
        ),
        // Test helpers: fresh databases on the private cluster, running the real binary.
        .target(
            name: "TestSupport",
            dependencies: ["PostgresClient", "Migrate", "PipelineCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),

        .testTarget(name: "PipelineCoreTests", dependencies: ["PipelineCore"], swiftSettings: strictSettings),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics"], swiftSettings: strictSettings),
        .testTarget(name: "XMLStreamTests", dependencies: ["XMLStream", "PipelineCore"], swiftSettings: strictSettings),
        .testTarget(name: "ArchiveStreamTests", dependencies: ["ArchiveStream"], swiftSettings: strictSettings),
        .testTarget(name: "GenerateTests", dependencies: ["Generate", "PipelineCore"], swiftSettings: strictSettings),
        .testTarget(
            name: "CRMSchemaTests",
            dependencies: ["CRMSchema", "PostgresClient", "PipelineCore", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ValidateTests",
            dependencies: ["Validate", "Extract", "Generate", "PipelineCore", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ExtractTests",
            dependencies: ["Extract", "XMLStream", "ArchiveStream", "PipelineCore", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PostgresClientTests",
            dependencies: ["PostgresClient", "PipelineCore", "TestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "MigrateTests",
            dependencies: ["Migrate", "PostgresClient", "PipelineCore", "TestSupport", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "SchemaTests",
            dependencies: ["PostgresClient", "PipelineCore", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ImportTests",
            dependencies: ["ArchiveStream", "CRMSchema", "PostgresClient", "PipelineCore", "TestSupport"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "LoadTests",
            dependencies: [
                "Load", "CRMSchema", "Extract", "Validate", "PostgresClient", "PipelineCore", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ReportTests",
            dependencies: ["Report", "CRMSchema", "PostgresClient", "PipelineCore", "TestSupport", "Extract", "XMLStream"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "PipelineTests",
            dependencies: ["Pipeline", "PostgresClient", "PipelineCore", "TestSupport"],
            swiftSettings: strictSettings
        ),
        // Runs only under `make test-citus` (CITUS_URL set): the same runs on Citus and on plain PostgreSQL.
        .testTarget(
            name: "CitusTests",
            dependencies: ["PostgresClient", "PipelineCore", "TestSupport", "Migrate", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "CLITests",
            dependencies: ["PostgresClient", "PipelineCore", "TestSupport", "Migrate", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strictSettings
        ),
    ]
)
