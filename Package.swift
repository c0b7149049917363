// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "InsertionGateway",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "insertion-gateway", targets: ["InsertionGatewayCLI"]),
        .executable(name: "gateway-bench", targets: ["GatewayBench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
    ],
    targets: [
        // Canonical model, identifiers, validation vocabulary, status-change derivation: no I/O.
        .target(name: "GatewayCore", swiftSettings: strict),
        .systemLibrary(
            name: "CLibXML2", pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]),
        // LZ4: each CNAF household's record is kept compressed in the store.
        .systemLibrary(name: "CLZ4", providers: [.apt(["liblz4-dev"])]),
        // Streaming readers and emitters: XML (libxml2), CSV, JSON.
        .target(
            name: "GatewayFormats",
            dependencies: ["GatewayCore", "CLibXML2"],
            swiftSettings: strict),
        // Declarative mappings (Mappings/*.yaml) from raw records to canonical records.
        .target(
            name: "GatewayMapping",
            dependencies: ["GatewayCore", "GatewayFormats", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict),
        // The CSV fast path of `validate`: block reader, byte converters, row screen and repeat-digest table.
        .target(
            name: "GatewayScreen",
            dependencies: ["GatewayCore", "GatewayFormats", "GatewayMapping"],
            swiftSettings: strict),
        // The embedded store (SQLite through GRDB): ledger, households, people, rights, quarantine, history.
        .target(
            name: "GatewayStore",
            dependencies: [
                "GatewayCore", "CLZ4", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: strict),
        // The store on PostgreSQL (postgres-nio), for several gateway instances on one database: the same SQL and
        // migrations as SQLite behind GatewayStore's database abstraction; `--store postgres://…` selects it.
        .target(
            name: "GatewayStorePostgres",
            dependencies: [
                "GatewayStore", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // File pipeline: hash, read, map, validate, store, report.
        .target(
            name: "GatewayPipeline",
            dependencies: [
                "GatewayCore", "GatewayFormats", "GatewayMapping", "GatewayReports", "GatewayScreen", "GatewayStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        // The metrics: recorded through the swift-metrics API into a Prometheus registry (`/metrics`,
        // `run --metrics-file`).
        .target(
            name: "GatewayTelemetry",
            dependencies: [
                "GatewayCore", .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict),
        .systemLibrary(
            name: "CLibCurl", pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]),
        // Where files are picked up and dropped: local folders, SFTP, FTPS and HTTPS (libcurl).
        .target(name: "GatewayTransport", dependencies: ["CLibCurl"], swiftSettings: strict),
        // Scheduled exchanges: gateway.yaml, cron schedule, readiness, retries, claims, journal, the service.
        .target(
            name: "GatewayExchange",
            dependencies: [
                "GatewayCore", "GatewayMapping", "GatewayStore", "GatewayPipeline", "GatewayTransport",
                "GatewayReports", "GatewayTelemetry",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Mustache", package: "swift-mustache"),
            ],
            swiftSettings: strict),
        // The insertion dashboard as one self-contained HTML page (inline CSS and SVG, no script): no I/O.
        .target(name: "GatewayReports", dependencies: ["GatewayCore"], swiftSettings: strict),
        // The HTTP API for partners (Hummingbird): push, pull, status, reports, health, metrics; keys and audit.
        .target(
            name: "GatewayServer",
            dependencies: [
                "GatewayCore", "GatewayFormats", "GatewayMapping", "GatewayStore", "GatewayPipeline", "GatewayReports",
                "GatewayTelemetry",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            // The staff console's templates and stylesheet, read when the server starts.
            resources: [.copy("Console/Templates")],
            swiftSettings: strict),
        .executableTarget(
            name: "InsertionGatewayCLI",
            dependencies: [
                "GatewayCore", "GatewayFormats", "GatewayMapping", "GatewayStore", "GatewayPipeline", "GatewayReports",
                "GatewayServer", "GatewayExchange", "GatewayStorePostgres", "GatewayTelemetry",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "GatewayBench",
            dependencies: [
                "GatewayCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        .testTarget(name: "GatewayCoreTests", dependencies: ["GatewayCore"]),
        .testTarget(name: "GatewayFormatsTests", dependencies: ["GatewayFormats"]),
        .testTarget(name: "GatewayMappingTests", dependencies: ["GatewayMapping"]),
        .testTarget(name: "GatewayScreenTests", dependencies: ["GatewayScreen", "GatewayFormats", "GatewayMapping"]),
        // The backends the store's tests run on (SQLite, and PostgreSQL when a test server is given).
        .target(
            name: "GatewayTestSupport", dependencies: ["GatewayStore", "GatewayStorePostgres"],
            path: "Tests/GatewayTestSupport", swiftSettings: strict),
        .testTarget(name: "GatewayStoreTests", dependencies: ["GatewayStore", "GatewayTestSupport"]),
        .testTarget(name: "GatewayReportsTests", dependencies: ["GatewayReports"]),
        .testTarget(
            name: "GatewayPipelineTests",
            dependencies: [
                "GatewayPipeline", "GatewayStore", "GatewayMapping", "GatewayScreen", "GatewayTestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            // Expected outputs of the emitters, read by the tests from the source tree.
            exclude: ["Golden"]),
        .testTarget(
            name: "GatewayStorePostgresTests",
            dependencies: [
                "GatewayStore", "GatewayStorePostgres", "GatewayTestSupport",
                "GatewayPipeline", "GatewayMapping",
            ]),
        .testTarget(
            name: "GatewayServerTests",
            dependencies: [
                "GatewayServer", "GatewayStore", "GatewayMapping", "GatewayPipeline", "GatewayTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "Yams", package: "Yams"),
            ]),
        .testTarget(
            name: "GatewayExchangeTests",
            dependencies: [
                "GatewayExchange", "GatewayTransport", "GatewayStore", "GatewayPipeline", "GatewayMapping",
                "GatewayTestSupport", "GatewayTelemetry",
            ],
            // The little HTTPS (WebDAV) and FTPS servers the tests start, in Python.
            exclude: ["Servers"]),
    ],
    swiftLanguageModes: [.v6]
)
