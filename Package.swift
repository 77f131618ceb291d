// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "pgmigrate",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "pgmigrate", targets: ["pgmigrate"]),
        .library(name: "SchemaModel", targets: ["SchemaModel"]),
        .library(name: "PQClient", targets: ["PQClient"]),
        .library(name: "PGMigrateKit", targets: ["PGMigrateKit"]),
        .library(name: "PGMigrateCLI", targets: ["PGMigrateCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // The only C module: libpq, found through pkg-config.
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"]), .brew(["libpq"])]
        ),
        // A thin, safe wrapper over libpq. Knows nothing about schemas.
        .target(name: "PQClient", dependencies: ["CLibPQ"]),
        // The system's libcrypto (OpenSSL), which libpq links already: SHA-256
        // for migration checksums without compiling a cryptography library.
        .systemLibrary(
            name: "CLibCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"]), .brew(["openssl"])]
        ),
        // The version scripts/package.sh injects at build time (empty otherwise).
        .systemLibrary(name: "CBuildInfo"),
        // Pure values and SQL rendering. No database, no I/O.
        .target(name: "SchemaModel"),
        // Everything the CLI does, as a library the tests call directly.
        .target(
            name: "PGMigrateKit",
            dependencies: [
                "PQClient",
                "SchemaModel",
                "CLibCrypto",
                "CBuildInfo",
            ]
        ),
        // The command line over any model (a SchemaProvider): pgmigrate, or an
        // application's own CLI (examples/shop).
        .target(
            name: "PGMigrateCLI",
            dependencies: [
                "PGMigrateKit",
                "PQClient",
                "SchemaModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // pgmigrate: the CLI over the call-feedback model.
        .executableTarget(name: "pgmigrate", dependencies: ["PGMigrateCLI", "SchemaModel"]),
        .testTarget(name: "SchemaModelTests", dependencies: ["SchemaModel"], exclude: ["Golden"]),
        .testTarget(name: "PGMigrateKitTests", dependencies: ["PGMigrateKit", "SchemaModel"]),
        .testTarget(
            name: "IntegrationTests",
            dependencies: ["PGMigrateKit", "PQClient", "SchemaModel"]
        ),
    ],
    swiftLanguageModes: [.v6]
)
