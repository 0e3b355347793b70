// swift-tools-version: 6.1
// Statesman: an engine for AWS Step Functions state machines that runs on your own machines.
//
// Targets are layered; a target imports only from layers below it (see ARCHITECTURE.md).
//   L0  JSONCore ← ASLErrors ← PathExpressions ← IntrinsicFunctions ← PayloadTemplates; JSONCore ← JSONata
//   L1  ASLModel
//   L2  Interpreter · PluginProtocol · ObjectStore
//   L3  MapRuns (item readers, result files) · ExecutionStore (SQLite) · PluginHost (the only user of libuv: CLibUV, CPluginLoop; statesman-sandbox beside it)
//   L4  Workflow (wires the interpreter's ports to the plugin host)
//   L6  StatesmanCommands (CLI library) ← statesman (@main only)
import PackageDescription

let strict: [SwiftSetting] = [.swiftLanguageMode(.v6)]
// The programs (not the libraries) allocate through jemalloc on Linux (Debian package
// libjemalloc-dev): the item readers' parsing threads allocate what the Map Run's thread frees,
// which glibc's malloc serves through a locked arena (ARCHITECTURE.md, "Memory allocation").
// Release builds of the two modules on a Task's path leave out the run-time exclusivity checks
// (36 per Lambda Task); debug builds, which the tests run, keep them (ARCHITECTURE.md).
let unchecked: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
let allocator: [LinkerSetting] = [.linkedLibrary("jemalloc", .when(platforms: [.linux]))]

let package = Package(
    name: "Statesman",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "statesman", targets: ["statesman"]),
        .library(name: "JSONCore", targets: ["JSONCore"]),
        .library(name: "PathExpressions", targets: ["PathExpressions"]),
        .library(name: "IntrinsicFunctions", targets: ["IntrinsicFunctions"]),
        .library(name: "PayloadTemplates", targets: ["PayloadTemplates"]),
        .library(name: "JSONata", targets: ["JSONata"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        // L0: expressions and the JSON core.
        .target(name: "JSONCore", swiftSettings: strict),
        .target(name: "ASLErrors", dependencies: ["JSONCore"], swiftSettings: strict),
        .target(name: "PathExpressions", dependencies: ["JSONCore", "ASLErrors"], swiftSettings: strict),
        .target(
            name: "IntrinsicFunctions",
            dependencies: [
                "JSONCore", "ASLErrors", "PathExpressions",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict),
        .target(name: "CStackBounds"),
        .target(
            name: "JSONata",
            dependencies: ["JSONCore", "CStackBounds", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict),
        .target(
            name: "PayloadTemplates",
            dependencies: ["JSONCore", "ASLErrors", "PathExpressions", "IntrinsicFunctions", "JSONata"],
            swiftSettings: strict),

        // L1: the ASL model, decoder and validator.
        .target(
            name: "ASLModel",
            dependencies: [
                "JSONCore", "ASLErrors", "PathExpressions", "IntrinsicFunctions", "PayloadTemplates",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict + unchecked),

        // L2: the interpreter.
        .target(
            name: "Interpreter",
            dependencies: ["JSONCore", "ASLErrors", "PathExpressions", "IntrinsicFunctions", "PayloadTemplates", "ASLModel", "JSONata"],
            swiftSettings: strict + unchecked),

        .target(name: "PluginProtocol", dependencies: ["JSONCore"], swiftSettings: strict),
        .target(name: "ObjectStore", dependencies: [.product(name: "Crypto", package: "swift-crypto")], swiftSettings: strict),

        // L3: the execution store (SQLite through GRDB; the only target that touches SQLite).
        .target(
            name: "ExecutionStore",
            dependencies: ["JSONCore", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")],
            swiftSettings: strict),

        // L3: Distributed Map runs over the object store (zlib, zstd, lz4, brotli: Debian packages, via pkg-config).
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CBrotli", pkgConfig: "libbrotlidec", providers: [.apt(["libbrotli-dev"])]),
        .target(
            name: "MapRuns", dependencies: ["JSONCore", "ASLErrors", "Interpreter", "ObjectStore", "CZlib", "CZstd", "CLZ4", "CBrotli"],
            swiftSettings: strict),

        // L3: the plugin host, on libuv (Debian package libuv1-dev, found through pkg-config).
        .systemLibrary(name: "CLibUV", pkgConfig: "libuv", providers: [.apt(["libuv1-dev"])]),
        .target(name: "CPluginLoop", dependencies: ["CLibUV"]),
        .executableTarget(name: "statesman-sandbox"),
        .target(
            name: "PluginHost",
            dependencies: [
                "JSONCore", "PluginProtocol", "CPluginLoop", .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict + unchecked),

        // L4: the workflow service's wiring of ports to backends.
        .target(
            name: "Workflow",
            dependencies: ["JSONCore", "ASLErrors", "ASLModel", "Interpreter", "PluginProtocol", "PluginHost", "ObjectStore", "ExecutionStore"],
            swiftSettings: strict),

        // L6: the command line.
        .target(
            name: "StatesmanCommands",
            dependencies: [
                "JSONCore", "ASLErrors", "PathExpressions", "IntrinsicFunctions", "PayloadTemplates", "JSONata", "ASLModel", "Interpreter",
                "PluginProtocol", "PluginHost", "Workflow", "ObjectStore", "MapRuns", "ExecutionStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"), .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(name: "statesman", dependencies: ["StatesmanCommands", "statesman-sandbox"], swiftSettings: strict, linkerSettings: allocator),

        // Benchmarks (run through bench/run, never as timed tests).
        .executableTarget(
            name: "statesman-bench",
            dependencies: [
                "JSONCore", "ASLErrors", "ASLModel", "Interpreter", "PluginProtocol", "PluginHost", "ObjectStore", "MapRuns", "JSONata",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "bench/Sources/statesman-bench",
            swiftSettings: strict, linkerSettings: allocator),

        .target(name: "TestSupport", path: "Tests/Support", swiftSettings: strict),
        .testTarget(
            name: "JSONCoreTests",
            dependencies: ["JSONCore", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: strict),
        .testTarget(
            name: "JSONataTests", dependencies: ["JSONCore", "JSONata", .product(name: "PropertyBased", package: "swift-property-based")],
            swiftSettings: strict),
        .testTarget(name: "PathExpressionsTests", dependencies: ["JSONCore", "ASLErrors", "PathExpressions"], swiftSettings: strict),
        .testTarget(
            name: "IntrinsicFunctionsTests",
            dependencies: [
                "JSONCore", "ASLErrors", "PathExpressions", "IntrinsicFunctions",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "PayloadTemplatesTests",
            dependencies: ["JSONCore", "ASLErrors", "PathExpressions", "PayloadTemplates"], swiftSettings: strict),
        .testTarget(
            name: "ConformanceTests",
            dependencies: [
                "JSONCore", "ASLErrors", "PathExpressions", "IntrinsicFunctions", "PayloadTemplates", "ASLModel", "Interpreter", "PluginHost",
                "Workflow", "JSONata",
            ],
            exclude: ["ratchet.json", "Lambdas"],
            swiftSettings: strict),
        .testTarget(name: "ASLModelTests", dependencies: ["JSONCore", "ASLModel"], swiftSettings: strict),
        .testTarget(
            name: "InterpreterTests", dependencies: ["JSONCore", "ASLErrors", "ASLModel", "Interpreter"], swiftSettings: strict),
        .testTarget(
            name: "PluginHostTests",
            dependencies: [
                "JSONCore", "ASLErrors", "ASLModel", "Interpreter", "PluginProtocol", "PluginHost", "Workflow", "statesman-sandbox", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: strict),
        .testTarget(
            name: "MapRunsTests",
            dependencies: [
                "JSONCore", "ASLErrors", "ASLModel", "Interpreter", "ObjectStore", "MapRuns", "Workflow", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ],
            exclude: ["Fixtures"],
            swiftSettings: strict),
        .testTarget(
            name: "ExecutionStoreTests", dependencies: ["JSONCore", "ExecutionStore", "TestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        .testTarget(
            name: "StatesmanCommandsTests", dependencies: ["JSONCore", "ExecutionStore", "StatesmanCommands", "statesman", "TestSupport"],
            swiftSettings: strict),
    ]
)
