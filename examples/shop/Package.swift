// swift-tools-version:6.0
import PackageDescription

// An application's own schema over pgmigrate: a small shop model (ShopModel)
// and the pgmigrate command line built over it (shop-migrate).
let package = Package(
    name: "shop",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "pgmigrate", path: "../.."),
    ],
    targets: [
        .target(name: "ShopModel", dependencies: [.product(name: "SchemaModel", package: "pgmigrate")]),
        .executableTarget(
            name: "shop-migrate",
            dependencies: ["ShopModel", .product(name: "PGMigrateCLI", package: "pgmigrate")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
