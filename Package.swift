// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "stack",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "stack", targets: ["stack"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio", exact: "2.101.3"),
        .package(url: "https://github.com/apple/swift-nio-ssl", exact: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/vapor/jwt-kit", exact: "5.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
    ],
    targets: [
        .executableTarget(name: "stack", dependencies: ["StackCLI", "StackClient"]),
        .target(
            name: "StackCLI",
            dependencies: [
                "StackBench",
                "StackConfig", "StackCore", "StackPostgres", "StackServer", "StackDoctor", "StackAuth",
                "StackClient", "StackProtocol", "StackBuckets", "StackReplication", "StackSyncRules", "StackSeed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "StackServer",
            dependencies: [
                "StackConfig", "StackCore", "StackPostgres", "StackAuth", "StackUpload",
                "StackBuckets", "StackReplication", "StackSync",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "StackFuzzing"),
        .target(
            name: "StackConfig",
            dependencies: ["StackCore", .product(name: "Yams", package: "Yams")]
        ),
        .target(
            name: "StackCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(name: "CStackSystem"),
        .target(name: "CStackSQLite", linkerSettings: [.linkedLibrary("sqlite3")]),
        .systemLibrary(name: "CSodium", pkgConfig: "libsodium", providers: [.apt(["libsodium-dev"])]),
        .target(name: "StackPGOutput", dependencies: ["StackCore"]),
        .target(name: "StackProtocol", dependencies: ["StackCore"]),
        .target(
            name: "StackClient",
            dependencies: [
                "CStackSQLite", "StackConfig", "StackCore", "StackProtocol",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(name: "StackSyncRules", dependencies: ["StackCore", .product(name: "Yams", package: "Yams")]),
        .target(
            name: "StackAuth",
            dependencies: [
                "CSodium", "StackConfig", "StackCore", "StackPostgres",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "StackSeed",
            dependencies: [
                "StackAuth", "StackConfig", "StackCore", "StackPostgres",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "StackUpload",
            dependencies: [
                "StackAuth", "StackConfig", "StackCore", "StackPostgres",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "StackPostgres",
            dependencies: [
                "CLibPQ", "CStackSystem", "StackConfig", "StackCore", "StackPGOutput",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "_ConnectionPoolModule", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "StackBuckets",
            dependencies: [
                "StackConfig", "StackCore", "StackPGOutput", "StackPostgres", "StackSyncRules",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .target(
            name: "StackReplication",
            dependencies: [
                "StackBuckets", "StackConfig", "StackCore", "StackPGOutput", "StackPostgres", "StackSyncRules",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "StackSync",
            dependencies: [
                "StackBuckets", "StackConfig", "StackCore", "StackPGOutput", "StackProtocol", "StackSyncRules",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "StackBench",
            dependencies: [
                "CLibPQ", "StackCore", "StackPostgres",
                "StackBuckets", "StackClient", "StackConfig", "StackProtocol",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
        .target(
            name: "StackDoctor",
            dependencies: [
                "StackAuth", "StackBuckets", "StackConfig", "StackCore", "StackPostgres", "StackSyncRules",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "StackTesting",
            dependencies: [
                "StackConfig", "StackCore", "StackPostgres", "StackServer",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(name: "StackCoreTests", dependencies: ["StackCore"]),
        .testTarget(
            name: "StackCLITests",
            dependencies: ["StackCLI", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .testTarget(name: "StackPostgresTests", dependencies: ["StackPostgres", "StackConfig", "StackCore"]),
        .testTarget(
            name: "StackProtocolTests", dependencies: ["StackProtocol", "StackCore"], resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "StackClientTests",
            dependencies: [
                "StackClient", "StackConfig", "StackCore", "StackProtocol",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(
            name: "StackSyncTests",
            dependencies: [
                "StackSync", "StackCore", "StackProtocol", "StackBuckets", "StackPGOutput", "StackFuzzing",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ]
        ),
        .testTarget(name: "StackBucketsTests", dependencies: ["StackBuckets", "StackConfig", "StackSyncRules"]),
        .testTarget(
            name: "StackPGOutputTests", dependencies: ["StackPGOutput", "StackFuzzing"], resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "StackSyncRulesTests", dependencies: ["StackSyncRules", "StackFuzzing"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "StackAuthTests",
            dependencies: [
                "StackAuth", "CSodium", "StackFuzzing", .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(name: "StackReplicationTests", dependencies: ["StackReplication", "StackBuckets"]),
        .testTarget(
            name: "StackReplicationConnectionTests",
            dependencies: ["StackPostgres", "StackPGOutput", "StackTesting", "CLibPQ"]
        ),
        .testTarget(
            name: "StackConfigTests",
            dependencies: ["StackConfig", "StackCore", "StackFuzzing"],
            resources: [.copy("Fixtures")]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "StackCLI", "StackConfig", "StackCore", "StackDoctor", "StackPostgres", "StackServer", "StackTesting",
                "StackAuth", "StackUpload", "StackBuckets", "StackPGOutput", "StackReplication", "StackSyncRules",
                "StackSync", "StackProtocol", "StackSeed", "StackClient", "StackFuzzing", "StackBench",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
