import Foundation
import Testing
import Basics
@testable import Packages
import ProjectLoading
import ProjectModel
import StrataTestSupport
@testable import Compilation

/// Packages: `strata deps` for local packages, macros as `package.macro()`, dbt's macro resolution and dispatch
/// order, generic tests from packages. Expected SQL in Tests/Fixtures/packages/expected was recorded with dbt-core
/// 1.12.6 (`scripts/record-package-fixture`).
@Suite struct PackageTests {
    static let fixture = repositoryRoot + "/Tests/Fixtures/packages"

    /// A copy of the fixture (the app and its two local packages side by side); `app` is the project folder.
    func copy() throws -> (TempProject, app: String) {
        let tp = try TempProject.copying(Self.fixture, only: ["app", "pkg_a", "pkg_b"])
        return (tp, tp.root + "/app")
    }

    func installAndCompile(_ app: String) throws -> CompiledProject {
        var project = try ProjectLoader().loadWithWarnings(directory: app, loadingPackages: false).0
        (project.packagesFile, project.packageDeclarations) = try ProjectLoader().packageDeclarations(root: app)
        let installed = try PackageInstaller(project: project).install()
        #expect(installed.map(\.name) == ["pkg_a", "pkg_b"])
        let loaded = try ProjectLoader().load(directory: app)
        return try Compiler(project: loaded, options: CompileOptions(target: TargetInfo(schema: "analytics", database: "strata"), environment: [:])).compile()
    }

    func expected(_ name: String) throws -> String {
        try String(contentsOfFile: Self.fixture + "/expected/\(name).sql", encoding: .utf8)
    }

    @Test func namespacesResolutionAndDispatchCompileAsDbtDoes() throws {
        let (tp, app) = try copy()
        defer { tp.remove() }
        let compiled = try installAndCompile(app)
        // byte for byte what dbt compiled: pkg.macro(), a package macro's bare call resolving to the root's macro,
        // dispatch through the project's search_order (the root's postgres__ wins) and without one (root, then package)
        #expect(sql(compiled, "m") == (try expected("m")))
        let tests = compiled.nodes.values.filter { $0.kind == .test && $0.id.package == "app" }.sorted { $0.name < $1.name }
        #expect(tests.map { $0.test?.name } == ["pkg_a.positive", "pkg_b.at_most"])
        #expect(tests[0].compiledSQL == (try expected("pkg_a_positive_m_id")))
        #expect(tests[1].compiledSQL == (try expected("pkg_b_at_most_m_id__10")))
        // package-lock.yml byte for byte as dbt wrote it (its sha1_hash is dbt's hash of packages.yml)
        #expect(try String(contentsOfFile: app + "/package-lock.yml", encoding: .utf8) == (try String(contentsOfFile: Self.fixture + "/expected/package-lock.yml", encoding: .utf8)))
        // `{{ config(severity='warn') }}` in the package test's body
        #expect(tests[0].test?.judgement.severity == .error)
        #expect(tests[1].test?.judgement.severity == .warn)
    }

    /// A package's own models, seed, source and tests: in the same graph, named and placed as dbt names and places
    /// them (expected/nodes.json, from dbt's manifest), rendered with the package's macros first and its vars under
    /// what the root project sets for it, configured by its own project file under the root project's.
    @Test func packageNodesCompileAsDbtNamesAndRendersThem() throws {
        let (tp, app) = try copy()
        defer { tp.remove() }
        let compiled = try installAndCompile(app)
        let recorded = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Self.fixture + "/expected/nodes.json"))) as! [String: [String: Any]]
        #expect(Set(compiled.nodes.values.filter { $0.kind != .test || $0.test?.type != .contract }.map(\.id.rawValue)) == Set(recorded.keys))
        for (id, want) in recorded {
            guard let node = compiled.nodes[NodeID(id)] else { continue }
            #expect(node.id.package == want["package_name"] as? String, "\(id)")
            #expect(node.originalFilePath == want["original_file_path"] as? String, "\(id)")
            #expect(node.fqn == want["fqn"] as? [String], "\(id)")
            #expect(node.compiledPath.map { "target/compiled/" + $0 } == want["compiled_path"] as? String, "\(id)")
            if node.kind != .test {
                #expect(node.relation?.schema == want["schema"] as? String, "\(id)")
                #expect(node.relation?.identifier == (want["alias"] ?? want["identifier"]) as? String, "\(id)")
            }
            // every compiled node byte for byte as dbt compiled it
            if let path = node.compiledPath {
                #expect(node.compiledSQL == (try expected(((path as NSString).lastPathComponent as NSString).deletingPathExtension)), "\(id)")
            }
        }
        // one graph: the root's model waits for the package's model and seed, the package's source for its seed
        #expect(compiled.dependsOn(NodeID("model.app.uses_pkg_a")) == [NodeID("model.pkg_a.pkg_a_base"), NodeID("seed.pkg_a.pkg_a_seed")])
        #expect(compiled.dependsOn(NodeID("source.pkg_a.pkg_a_raw.things")) == [NodeID("seed.pkg_a.pkg_a_seed")])
        // the package's dbt_project.yml makes its models tables; the root project's `models: pkg_a:` adds the schema
        #expect(compiled.nodes[NodeID("model.pkg_a.pkg_a_base")]?.materializationName == "table")
        // project hooks: the package's (its own helper()) before the root project's, as dbt orders and renders them
        #expect(compiled.onRunStart == [try expected("pkg_a-on-run-start-0")])
        #expect(compiled.onRunEnd == [try expected("pkg_a-on-run-end-0"), try expected("app-on-run-end-0")])
    }

    @Test func aDeclaredPackageThatIsNotInstalledSaysToRunDeps() throws {
        let (tp, app) = try copy()
        defer { tp.remove() }
        let error = #expect(throws: DiagnosticError.self) { try ProjectLoader().load(directory: app) }
        let ds = error?.diagnostics ?? []
        #expect(ds.map(\.code) == ["S1018", "S1018"])
        #expect(ds.first?.message.contains("package 'pkg_a' (local: ../pkg_a) is not installed in dbt_packages/: run `strata deps`") == true)
        #expect(ds.first?.location == SourceLocation(file: "packages.yml", line: 2, column: 5))
    }

    @Test func anUnreachableHubFailsBeforeTouchingTheInstall() throws {
        let (tp, app) = try copy()
        defer { tp.remove() }
        _ = try installAndCompile(app)
        try tp.write("app/packages.yml", "packages:\n  - local: ../pkg_a\n  - package: dbt-labs/dbt_utils\n    version: [\">=1.0.0\", \"<2.0.0\"]\n")
        var project = try ProjectLoader().loadWithWarnings(directory: app, loadingPackages: false).0
        (project.packagesFile, project.packageDeclarations) = try ProjectLoader().packageDeclarations(root: app)
        // a hub that cannot be reached (nothing listens on 127.0.0.1:9)
        let error = #expect(throws: Diagnostic.self) { try PackageInstaller(project: project, environment: ["DBT_PACKAGE_HUB_URL": "http://127.0.0.1:9/"]).install() }
        #expect(error?.code == "S1504")
        #expect(error?.message.contains("cannot read the package hub at http://127.0.0.1:9/api/v1/dbt-labs/dbt_utils.json") == true)
        #expect(error?.location == SourceLocation(file: "packages.yml", line: 3, column: 5))
        // the previous install is as it was: both packages
        #expect(try FileManager.default.contentsOfDirectory(atPath: app + "/dbt_packages").sorted() == ["pkg_a", "pkg_b"])
    }

    @Test func unknownPackageTestsAndRefsAreClearErrors() throws {
        let (tp, app) = try copy()
        defer { tp.remove() }
        _ = try installAndCompile(app)
        try tp.write("app/models/schema.yml", "version: 2\nmodels:\n  - name: m\n    columns:\n      - name: id\n        data_tests:\n          - pkg_c.positive\n          - pkg_a.negative\n")
        let loaded = try ProjectLoader().load(directory: app)
        let error = #expect(throws: DiagnosticError.self) { try Compiler(project: loaded, options: CompileOptions(environment: [:])).compile() }
        let messages = error?.diagnostics.map(\.message) ?? []
        #expect(messages.contains { $0.contains("unknown test 'pkg_c.positive': package 'pkg_c' is not installed") })
        #expect(messages.contains { $0.contains("unknown test 'pkg_a.negative': package 'pkg_a' has no {% test negative(model, …) %}; did you mean 'pkg_a.positive'?") })
    }

    @Test func anUnknownMacroSaysWhereItLooked() throws {
        let (tp, app) = try copy()
        defer { tp.remove() }
        _ = try installAndCompile(app)
        try tp.write("app/models/bad.sql", "select {{ no_such_macro() }} as a")
        try tp.write("app/models/bad2.sql", "select {{ nopkg.thing() }} as b")
        try tp.write("app/models/bad3.sql", "select {{ pkg_a.gret() }} as c")
        try tp.write("pkg_a/models/bad_in_pkg.sql", "select {{ no_such_macro() }} as a")
        let loaded = try ProjectLoader().load(directory: app)
        let error = #expect(throws: DiagnosticError.self) { try Compiler(project: loaded, options: CompileOptions(environment: [:])).compile() }
        let messages = error?.diagnostics.map(\.message) ?? []
        #expect(messages.contains("'no_such_macro' is undefined: no variable, macro or package of that name (looked in the macros of the root project 'app' and dbt's; packages' macros are called as package.macro(), installed: pkg_a, pkg_b)"), "\(messages)")
        #expect(messages.contains { $0.hasPrefix("'nopkg' is undefined: no variable, macro or package of that name") })
        #expect(messages.contains("package 'pkg_a' has no macro 'gret'; did you mean 'pkg_a.greet'?"))
        #expect(messages.contains { $0.contains("(looked in the macros of package 'pkg_a', then the macros of the root project 'app' and dbt's;") })
    }

    @Test func aPackageRequiringAnotherDbtVersionIsAWarningAtItsRange() throws {
        let (tp, app) = try copy()
        defer { tp.remove() }
        try tp.write("pkg_b/dbt_project.yml", "name: pkg_b\nversion: '1.0'\nconfig-version: 2\nrequire-dbt-version: [\">=1.0.0\", \"<1.5.0\"]\n")
        _ = try installAndCompile(app)
        let warnings = try ProjectLoader().loadWithWarnings(directory: app).1.filter { $0.code == "S1020" }
        #expect(warnings.count == 1)
        #expect(warnings.first?.severity == .warning)
        #expect(warnings.first?.location == SourceLocation(file: "dbt_packages/pkg_b/dbt_project.yml", line: 4, column: 22))
        #expect(warnings.first?.message.contains("project 'pkg_b' requires dbt >=1.0.0, <1.5.0; Strata follows dbt 1.12.6") == true)
    }

    @Test func sha1MatchesKnownDigests() {
        #expect(SHA1.hex(Array("abc".utf8)) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(SHA1.hex([]) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(SHA1.hex(Array(String(repeating: "a", count: 1000).utf8)) == "291e9a6c66994949b57ba5e650361e98fc36b1ba")
    }

    /// dbt's hash of declarations of every kind (values computed with dbt-core's own `_create_sha1_hash`).
    @Test func lockHashIsDbts() {
        func decl(_ source: PackageDeclaration.Source, _ written: [(String, ConfigValue)]) -> PackageDeclaration {
            PackageDeclaration(source: source, location: nil, written: written.map { ConfigEntry($0.0, $0.1) })
        }
        let local = decl(.local(path: "../pkg_a"), [("local", .string("../pkg_a"))])
        let localB = decl(.local(path: "../pkg_b"), [("local", .string("../pkg_b"))])
        #expect(PackageLock.hash([local, localB]) == "6cc6b4868f5148dcdcd8c2abcfdf629c2a3b2596")
        let git = decl(.git(url: "https://x/y.git", revision: "v1", subdirectory: nil), [("git", .string("https://x/y.git")), ("revision", .string("v1"))])
        #expect(PackageLock.pythonJSON(.dict([ConfigEntry("git", .string("https://x/y.git"))])) == #"{"git": "https://x/y.git"}"#)
        #expect(PackageLock.hash([git]) == SHA1.hex(Array(#"{"git": "https://x/y.git", "revision": "v1", "subdirectory": null, "unrendered": {"git": "https://x/y.git", "revision": "v1"}, "warn-unpinned": null}"#.utf8)))
    }

    @Test func dispatchSearchesAsDbtDoes() {
        let search = DispatchSearch(rootProject: "app", orders: ["pkg_a": ["app", "pkg_a"]], packages: ["pkg_a", "pkg_b"])
        #expect(search.searchPackages(for: nil) == [nil])
        #expect(search.searchPackages(for: "pkg_a") == ["app", "pkg_a"])
        #expect(search.searchPackages(for: "pkg_b") == ["app", "pkg_b"])
        #expect(search.searchPackages(for: "dbt") == [nil])
    }
}

/// Git packages, against a repository the test makes: a tag, a subdirectory, the lock's pinned commit.
@Suite struct GitPackageTests {
    func git(_ args: [String], in dir: String) throws -> String {
        try command(["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "init.defaultBranch=main"] + args, in: dir).trimmedWhitespace
    }

    @Test func gitPackagesInstallAtTheirRevisionAndTheLockPinsTheCommit() throws {
        let tp = try TempProject.copying(PackageTests.fixture, only: ["app", "pkg_a", "pkg_b"])
        defer { tp.remove() }
        // a repository holding pkg_a in a subdirectory, tagged v1; then a later commit on main
        let repo = tp.root + "/repo"
        try FileManager.default.createDirectory(atPath: repo + "/packages", withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: tp.root + "/pkg_a", toPath: repo + "/packages/pkg_a")
        // the git package needs pkg_b: a local path, relative to the root project as dbt reads it
        try tp.write("repo/packages/pkg_a/packages.yml", "packages:\n  - local: ../pkg_b\n")
        _ = try git(["init", "-q"], in: repo)
        _ = try git(["add", "."], in: repo)
        _ = try git(["commit", "-q", "-m", "v1"], in: repo)
        _ = try git(["tag", "v1"], in: repo)
        let v1 = try git(["rev-parse", "HEAD"], in: repo)
        try tp.write("repo/packages/pkg_a/macros/later.sql", "{% macro later() %}later{% endmacro %}")
        _ = try git(["add", "."], in: repo)
        _ = try git(["commit", "-q", "-m", "later"], in: repo)
        let app = tp.root + "/app"
        try tp.write("app/packages.yml", "packages:\n  - git: \"file://\(repo)\"\n    revision: v1\n    subdirectory: packages/pkg_a\n")
        var project = try ProjectLoader().loadWithWarnings(directory: app, loadingPackages: false).0
        (project.packagesFile, project.packageDeclarations) = try ProjectLoader().packageDeclarations(root: app)
        let installed = try PackageInstaller(project: project).install()
        #expect(installed.map(\.name) == ["pkg_a", "pkg_b"])
        #expect(installed.allSatisfy { $0.warning == nil })
        // the tag's tree, not main's: no later.sql
        #expect(FileManager.default.fileExists(atPath: app + "/dbt_packages/pkg_a/macros/a.sql"))
        #expect(!FileManager.default.fileExists(atPath: app + "/dbt_packages/pkg_a/macros/later.sql"))
        let lock = try String(contentsOfFile: app + "/package-lock.yml", encoding: .utf8)
        #expect(lock.hasPrefix("packages:\n  - git: file://\(repo)\n    revision: \(v1)\n    subdirectory: packages/pkg_a\n    name: pkg_a\n  - local: ../pkg_b\n    name: pkg_b\nsha1_hash: "))
        // one git package and one local package (which the git one declares): the same SQL dbt compiled for the
        // fixture with both local — namespaces, the package's bare calls, dispatch, the package's own nodes
        let compiled = try Compiler(project: try ProjectLoader().load(directory: app),
                                    options: CompileOptions(target: TargetInfo(schema: "analytics", database: "strata"), environment: [:])).compile()
        for name in ["m", "uses_pkg_a"] { #expect(sql(compiled, name) == (try PackageTests().expected(name)), "\(name)") }
        #expect(compiled.nodes[NodeID("model.pkg_a.pkg_a_base")]?.compiledSQL == (try PackageTests().expected("pkg_a_base")))
        for test in compiled.nodes.values where test.kind == .test && test.id.package == "app" {
            #expect(test.compiledSQL == (try PackageTests().expected(test.name)), "\(test.name)")
        }
        // following main: the lock pins the commit main had; a newer commit is installed only with --upgrade
        try tp.write("app/packages.yml", "packages:\n  - git: \"file://\(repo)\"\n    revision: main\n    subdirectory: packages/pkg_a\n")
        (project.packagesFile, project.packageDeclarations) = try ProjectLoader().packageDeclarations(root: app)
        _ = try PackageInstaller(project: project).install()
        #expect(FileManager.default.fileExists(atPath: app + "/dbt_packages/pkg_a/macros/later.sql"))
        let later = try git(["rev-parse", "HEAD"], in: repo)
        #expect(try String(contentsOfFile: app + "/package-lock.yml", encoding: .utf8).contains("revision: \(later)\n"))
        try tp.write("repo/packages/pkg_a/macros/latest.sql", "{% macro latest() %}latest{% endmacro %}")
        _ = try git(["add", "."], in: repo)
        _ = try git(["commit", "-q", "-m", "latest"], in: repo)
        _ = try PackageInstaller(project: project).install()
        #expect(!FileManager.default.fileExists(atPath: app + "/dbt_packages/pkg_a/macros/latest.sql"))
        _ = try PackageInstaller(project: project).install(upgrade: true)
        #expect(FileManager.default.fileExists(atPath: app + "/dbt_packages/pkg_a/macros/latest.sql"))
        // no revision: installed at the default branch, with dbt's "not pinned" warning at the entry (unless warn-unpinned: false)
        try tp.write("app/packages.yml", "packages:\n  - git: \"file://\(repo)\"\n    subdirectory: packages/pkg_a\n")
        (project.packagesFile, project.packageDeclarations) = try ProjectLoader().packageDeclarations(root: app)
        let unpinned = try PackageInstaller(project: project).install(upgrade: true)
        #expect(unpinned.first?.warning?.code == "S1506")
        #expect(unpinned.first?.warning?.location == SourceLocation(file: "packages.yml", line: 2, column: 5))
        try tp.write("app/packages.yml", "packages:\n  - git: \"file://\(repo)\"\n    subdirectory: packages/pkg_a\n    warn-unpinned: false\n")
        (project.packagesFile, project.packageDeclarations) = try ProjectLoader().packageDeclarations(root: app)
        #expect(try PackageInstaller(project: project).install(upgrade: true).first?.warning == nil)
        #expect(try String(contentsOfFile: app + "/package-lock.yml", encoding: .utf8).contains("revision: \(try git(["rev-parse", "HEAD"], in: repo))\n"))
    }
}

/// Runs a command to its end; returns its standard output (a non-zero exit is a test failure).
@discardableResult
func command(_ args: [String], in dir: String? = nil) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = args
    if let dir { p.currentDirectoryURL = URL(fileURLWithPath: dir) }
    let out = Pipe()
    p.standardOutput = out
    p.standardError = FileHandle.nullDevice
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(args)")
    return String(decoding: data, as: UTF8.self)
}

/// Hub and tarball packages, against a small HTTP server on 127.0.0.1 that serves an index and tarballs of the
/// hub's shape (`DBT_PACKAGE_HUB_URL` points `strata deps` at it, as it does dbt).
@Suite struct HubPackageTests {
    /// A package folder `name-version/` with a dbt_project.yml and one macro, packed as served/name-version.tar.gz.
    /// `packagesYML`: what the package itself declares.
    func tarball(_ name: String, _ version: String, served: String, scratch: String, packagesYML: String? = nil) throws {
        let dir = "\(scratch)/\(name)-\(version)"
        try FileManager.default.createDirectory(atPath: dir + "/macros", withIntermediateDirectories: true)
        try packagesYML?.write(toFile: dir + "/packages.yml", atomically: true, encoding: .utf8)
        try "name: \(name)\nversion: '\(version)'\nconfig-version: 2\n".write(toFile: dir + "/dbt_project.yml", atomically: true, encoding: .utf8)
        try "{% macro version() %}\(name) \(version){% endmacro %}".write(toFile: dir + "/macros/v.sql", atomically: true, encoding: .utf8)
        try command(["tar", "-czf", "\(served)/\(name)-\(version).tar.gz", "-C", scratch, "\(name)-\(version)"])
    }

    @Test func hubRangesResolveWithWhatPackagesNeedAndTarballsInstall() throws {
        let tp = try TempProject(["app/dbt_project.yml": "name: app\nversion: '1.0'\nconfig-version: 2\n",
                                  "app/models/m.sql": "select '{{ pkg_a.version() }}' as a, '{{ pkg_b.version() }}' as b, '{{ pkg_c.version() }}' as c"])
        defer { tp.remove() }
        let served = tp.root + "/served", scratch = tp.root + "/scratch"
        for d in [served + "/api/v1/acme", scratch] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        for (n, v) in [("pkg_a", "1.0.0"), ("pkg_a", "1.1.0"), ("pkg_a", "2.0.0"), ("pkg_a", "1.2.0-rc1"), ("pkg_b", "0.4.0"), ("pkg_b", "0.5.0"), ("pkg_d", "1.0.0")] {
            try tarball(n, v, served: served, scratch: scratch)
        }
        // the tarball package needs a hub package nobody else declares: installed too, as dbt resolves it
        try tarball("pkg_c", "3.0.0", served: served, scratch: scratch, packagesYML: "packages:\n  - package: acme/pkg_d\n    version: \">=1.0.0\"\n")
        // a server on a free port of 127.0.0.1; its first line says which
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", "-u", "-m", "http.server", "0", "--bind", "127.0.0.1", "--directory", served]
        let out = Pipe()
        server.standardOutput = out
        server.standardError = FileHandle.nullDevice
        try server.run()
        // SIGKILL: the test process may hand its children an ignored SIGTERM
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) { let chunk = out.fileHandleForReading.availableData; if chunk.isEmpty { break }; line += chunk }
        let port = try #require(String(decoding: line, as: UTF8.self).split(separator: " ").firstIndex(of: "port").map { String(String(decoding: line, as: UTF8.self).split(separator: " ")[$0 + 1]) })
        let base = "http://127.0.0.1:\(port)"
        func index(_ package: String, _ versions: [(String, String)]) throws {
            let entries = versions.map { v, needs in
                "\"\(v)\": {\"name\": \"\(package)\", \"downloads\": {\"tarball\": \"\(base)/\(package)-\(v).tar.gz\"}, \"packages\": [\(needs)]}"
            }.joined(separator: ", ")
            try "{\"name\": \"\(package)\", \"versions\": {\(entries)}}".write(toFile: "\(served)/api/v1/acme/\(package).json", atomically: true, encoding: .utf8)
        }
        try index("pkg_a", [("1.0.0", ""), ("1.1.0", "{\"package\": \"acme/pkg_b\", \"version\": [\">=0.5.0\"]}"), ("1.2.0-rc1", ""), ("2.0.0", "")])
        try index("pkg_b", [("0.4.0", ""), ("0.5.0", "")])
        try index("pkg_d", [("1.0.0", "")])
        try tp.write("app/packages.yml", """
            packages:
              - package: acme/pkg_a
                version: [">=1.0.0", "<2.0.0"]
              - tarball: \(base)/pkg_c-3.0.0.tar.gz
                name: pkg_c

            """)
        let app = tp.root + "/app"
        var project = try ProjectLoader().loadWithWarnings(directory: app, loadingPackages: false).0
        (project.packagesFile, project.packageDeclarations) = try ProjectLoader().packageDeclarations(root: app)
        let installer = PackageInstaller(project: project, environment: ["DBT_PACKAGE_HUB_URL": base + "/"])
        let installed = try installer.install()
        // the highest release in range (no pre-release), the tarball, and pkg_b because pkg_a 1.1.0 needs it
        #expect(installed.map(\.name) == ["pkg_a", "pkg_c", "pkg_d", "pkg_b"])
        let compiled = try Compiler(project: try ProjectLoader().load(directory: app), options: CompileOptions(environment: [:])).compile()
        #expect(sql(compiled, "m") == "select 'pkg_a 1.1.0' as a, 'pkg_b 0.5.0' as b, 'pkg_c 3.0.0' as c")
        let lock = try String(contentsOfFile: app + "/package-lock.yml", encoding: .utf8)
        #expect(lock.hasPrefix("""
            packages:
              - package: acme/pkg_a
                version: 1.1.0
                name: pkg_a
              - tarball: \(base)/pkg_c-3.0.0.tar.gz
                name: pkg_c
              - package: acme/pkg_d
                version: 1.0.0
                name: pkg_d
              - package: acme/pkg_b
                version: 0.5.0
                name: pkg_b
            sha1_hash: 
            """))
        // a range nothing satisfies: a located error, and the install stays
        try tp.write("app/packages.yml", "packages:\n  - package: acme/pkg_a\n    version: [\">=2.1.0\"]\n")
        (project.packagesFile, project.packageDeclarations) = try ProjectLoader().packageDeclarations(root: app)
        let error = #expect(throws: Diagnostic.self) {
            try PackageInstaller(project: project, environment: ["DBT_PACKAGE_HUB_URL": base]).install()
        }
        #expect(error?.code == "S1505")
        #expect(error?.message.contains("no release satisfies >=2.1.0") == true)
        #expect(error?.location == SourceLocation(file: "packages.yml", line: 2, column: 5))
        #expect(try FileManager.default.contentsOfDirectory(atPath: app + "/dbt_packages").sorted() == ["pkg_a", "pkg_b", "pkg_c", "pkg_d"])
    }

    @Test func lockScalarsAreWrittenAsPyYAMLWritesThem() {
        #expect(PackageLock.scalar("1.1.0") == "1.1.0")
        #expect(PackageLock.scalar("1.5") == "'1.5'")
        #expect(PackageLock.scalar("10") == "'10'")
        #expect(PackageLock.scalar("../") == "../")
        #expect(PackageLock.scalar("true") == "'true'")
    }

    @Test func addPackageWritesDbtsEntries() throws {
        let hub = try PackagesFile.entry("dbt-labs/dbt_utils@>=1.0.0,<2.0.0", source: .hub)
        let existing = PackageDeclaration(source: .hub(package: "dbt-labs/dbt_utils", version: ["1.1.0"]), location: nil,
                                          written: [ConfigEntry("package", .string("dbt-labs/dbt_utils")), ConfigEntry("version", .string("1.1.0"))])
        let local = PackageDeclaration(source: .local(path: "../x"), location: nil, written: [ConfigEntry("local", .string("../x"))])
        // the same package is replaced, others kept
        #expect(PackagesFile.adding(hub, to: [local, existing]) == "packages:\n  - local: ../x\n  - package: dbt-labs/dbt_utils\n    version:\n      - '>=1.0.0'\n      - <2.0.0\n")
        #expect(try PackagesFile.entry("https://github.com/a/b.git@v1", source: .git) == [ConfigEntry("git", .string("https://github.com/a/b.git")), ConfigEntry("revision", .string("v1"))])
        #expect(throws: Diagnostic.self) { try PackagesFile.entry("dbt-labs/dbt_utils", source: .hub) }
    }

    @Test func versionRangesReduceAsDbts() throws {
        let upper = try #require(VersionRange(specifier: "<2.0.0"))
        let r = try #require(VersionRange(specifier: ">=1.0.0")?.intersecting(upper))
        #expect(r.contains(SemVer("1.9.9")!) && !r.contains(SemVer("2.0.0")!) && !r.contains(SemVer("0.9.0")!))
        #expect(VersionRange(specifier: "1.3.0")?.intersecting(VersionRange(specifier: ">1.3.0")!) == nil)
        #expect(SemVer("1.2.0-rc1")! < SemVer("1.2.0")!)
        #expect(SemVer("1.2.0-rc.2")! < SemVer("1.2.0-rc.10")!)
    }
}

/// Hostile packages: archives that would write outside their folder, and git arguments that would become options.
@Suite struct HostilePackageTests {
    /// Writes a .tar.gz with Python's tarfile (GNU tar will not make entries like these); `members` are
    /// (name, kind, link target) with kind "f" (file), "l" (symlink) or "h" (hard link).
    func archive(_ path: String, _ members: [(String, String, String)]) throws {
        let list = members.map { "(\"\($0.0)\", \"\($0.1)\", \"\($0.2)\")" }.joined(separator: ", ")
        try command(["python3", "-c", """
            import io, tarfile
            with tarfile.open("\(path)", "w:gz") as t:
                for name, kind, target in [\(list)]:
                    info = tarfile.TarInfo(name)
                    if kind == "l": info.type, info.linkname = tarfile.SYMTYPE, target
                    elif kind == "h": info.type, info.linkname = tarfile.LNKTYPE, target
                    data = b"" if kind != "f" else b"x"
                    info.size = len(data)
                    t.addfile(info, io.BytesIO(data))
            """])
    }

    @Test func archivesThatEscapeTheirFolderAreRefusedBeforeUnpacking() throws {
        let tp = try TempProject(["x": ""])
        defer { tp.remove() }
        let cases: [(String, [(String, String, String)], String?)] = [
            ("fine", [("pkg/dbt_project.yml", "f", ""), ("pkg/macros/ok.sql", "l", "../dbt_project.yml")], nil),
            ("dotdot", [("pkg/dbt_project.yml", "f", ""), ("pkg/../../escaped.txt", "f", "")], "the entry 'pkg/../../escaped.txt' would be written outside the package folder"),
            ("absolute", [("/tmp/strata-absolute.txt", "f", "")], "the entry '/tmp/strata-absolute.txt' would be written outside the package folder"),
            ("symlink", [("pkg/dbt_project.yml", "f", ""), ("pkg/evil", "l", "/etc")], "the link 'pkg/evil' points outside the package folder (/etc)"),
            ("climbing", [("pkg/dbt_project.yml", "f", ""), ("pkg/up", "l", "../../..")], "the link 'pkg/up' points outside the package folder (../../..)"),
        ]
        for (name, members, expected) in cases {
            let path = "\(tp.root)/\(name).tar.gz"
            try archive(path, members)
            #expect(try PackageInstaller.hostileEntry(in: path) == expected, "\(name)")
        }
        try "not an archive".write(toFile: tp.root + "/plain.tar.gz", atomically: true, encoding: .utf8)
        #expect(try PackageInstaller.hostileEntry(in: tp.root + "/plain.tar.gz") == "it is not a gzip-compressed tar archive")
    }

    @Test func gitArgumentsNeverBecomeOptions() throws {
        let declaration = PackageDeclaration(source: .git(url: "https://example.invalid/p.git", revision: nil, subdirectory: nil), location: nil)
        let dir = NSTemporaryDirectory() + "strata-git-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for (checkout, expected) in [
            (GitCheckout(url: "https://example.invalid/p.git", revision: "--upload-pack=touch /tmp/pwned", subdirectory: nil), "revision '--upload-pack=touch /tmp/pwned' is refused"),
            (GitCheckout(url: "--upload-pack=touch /tmp/pwned", revision: nil, subdirectory: nil), "the git URL '--upload-pack=touch /tmp/pwned' is refused"),
            (GitCheckout(url: "https://example.invalid/p.git", revision: "main", subdirectory: "../../etc"), "subdirectory '../../etc' is refused"),
        ] {
            let error = #expect(throws: Diagnostic.self) { try checkout.checkout(into: dir, declaration: declaration) }
            #expect(error?.code == "S1507" && error?.message.contains(expected) == true, "\(error?.message ?? "")")
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/pwned") && !FileManager.default.fileExists(atPath: dir))
    }
}
