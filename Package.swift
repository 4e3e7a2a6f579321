// swift-tools-version:6.0
import PackageDescription

// One library target per pipeline stage; data flows top to bottom:
//   ProjectLoading → Templating → Compilation (+ DependencyGraph) → Contracts → Materialization → Warehouse adapter
// Only PostgresAdapter imports CLibPQ.
let package = Package(
    name: "Strata",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "strata", targets: ["strata"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
    ],
    targets: [
        .target(name: "Basics", exclude: ["README.md"]),
        .target(name: "ProjectModel", dependencies: ["Basics"], exclude: ["README.md"]),
        .target(name: "ProjectLoading", dependencies: ["Basics", "ProjectModel", "Templating", "Yams"], exclude: ["README.md"]),
        .target(name: "Templating", dependencies: ["Basics"], exclude: ["README.md"]),
        .target(name: "Packages", dependencies: ["Basics", "ProjectModel", "ProjectLoading"], exclude: ["README.md"]),
        .target(name: "DependencyGraph", dependencies: ["Basics", "ProjectModel"], exclude: ["README.md"]),
        .target(name: "Compilation", dependencies: ["Basics", "ProjectModel", "ProjectLoading", "Templating", "DependencyGraph", "Warehouse"], exclude: ["README.md"]),
        .target(name: "Warehouse", dependencies: ["Basics", "ProjectModel"], exclude: ["README.md"]),
        .systemLibrary(
            name: "CLibPQ",
            pkgConfig: "libpq",
            providers: [.apt(["libpq-dev"])]
        ),
        .target(name: "PostgresAdapter", dependencies: ["Basics", "Warehouse", "CLibPQ"], exclude: ["README.md"]),
        .target(name: "Artifacts", dependencies: ["Basics", "ProjectModel", "Compilation", "Contracts", "DependencyGraph", "Warehouse"], exclude: ["README.md"]),
        .target(name: "Contracts", dependencies: ["Basics", "ProjectModel", "Compilation", "DependencyGraph", "Warehouse"], exclude: ["README.md"]),
        .target(name: "Materialization", dependencies: ["Basics", "ProjectModel", "Compilation", "Contracts", "DependencyGraph", "Warehouse", "Artifacts"], exclude: ["README.md"]),
        .target(name: "Docs", dependencies: ["Basics", "ProjectModel", "Compilation", "DependencyGraph", "Warehouse"], exclude: ["README.md"],
                resources: [.embedInCode("Resources/strata-docs.js"), .embedInCode("Resources/strata-docs.css")]),
        .target(
            name: "Commands",
            dependencies: [
                "Basics", "ProjectModel", "ProjectLoading", "Templating", "DependencyGraph", "Compilation",
                "Warehouse", "PostgresAdapter", "Contracts", "Materialization", "Artifacts", "Docs", "Packages",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            exclude: ["README.md"]
        ),
        .executableTarget(name: "strata", dependencies: ["Commands"]),

        // Shared by the test targets: temporary projects and a private test PostgreSQL.
        .target(name: "StrataTestSupport", dependencies: ["Basics", "PostgresAdapter", "Warehouse"], path: "Tests/StrataTestSupport"),

        .testTarget(name: "BasicsTests", dependencies: ["Basics"]),
        .testTarget(name: "TemplatingTests", dependencies: ["Templating", "Basics", "StrataTestSupport"], exclude: ["Corpus"]),
        .testTarget(name: "ProjectLoadingTests", dependencies: ["ProjectLoading", "ProjectModel", "Basics", "StrataTestSupport"]),
        .testTarget(name: "DependencyGraphTests", dependencies: ["DependencyGraph", "ProjectModel", "Basics"]),
        .testTarget(name: "ArtifactsTests", dependencies: ["Artifacts", "Compilation", "Contracts", "ProjectLoading", "ProjectModel", "Warehouse", "StrataTestSupport"],
                    resources: [.copy("Golden")]),
        .testTarget(name: "DocsTests", dependencies: ["Docs", "Contracts", "Compilation", "ProjectLoading", "ProjectModel", "Basics", "StrataTestSupport"],
                    resources: [.copy("Golden")]),
        .testTarget(name: "ContractsTests", dependencies: ["Contracts", "Compilation", "ProjectLoading", "ProjectModel", "Basics", "StrataTestSupport"]),
        .testTarget(name: "MaterializationTests", dependencies: ["Materialization", "Artifacts", "Basics", "Compilation", "ProjectLoading", "ProjectModel", "Warehouse", "StrataTestSupport"]),
        .testTarget(
            name: "CompilationTests",
            dependencies: ["Compilation", "ProjectLoading", "ProjectModel", "Basics", "DependencyGraph", "Packages", "StrataTestSupport"],
            resources: [.copy("Golden")]
        ),
        .testTarget(name: "IntegrationTests", dependencies: [
            "PostgresAdapter", "Warehouse", "Materialization", "Compilation", "ProjectLoading", "Basics", "Artifacts",
            "DependencyGraph", "ProjectModel", "Contracts", "Docs", "StrataTestSupport",
        ]),
    ],
    swiftLanguageModes: [.v6]
)
