import Foundation
import Basics
import ProjectModel
import Yams

extension ProjectLoader {
    /// `packages.yml`, or else `dependencies.yml`: the packages the project declares (dbt's formats).
    public func packageDeclarations(root: String) throws -> (file: String?, packages: [PackageDeclaration]) {
        for file in ["packages.yml", "dependencies.yml"] where FileManager.default.fileExists(atPath: root + "/" + file) {
            let reader = YAMLReader(path: file)
            guard let doc = try reader.parse(try readText(root + "/" + file, display: file)) else { return (file, []) }
            var out: [PackageDeclaration] = []
            var bag = DiagnosticBag()
            for (key, node, loc) in try reader.mapping(doc, what: file) {
                guard key == "packages" else {
                    // dependencies.yml also holds `projects:` (dbt Cloud's cross-project refs)
                    if key != "projects" { bag.append(reader.unknownKey(key, at: loc, known: ["packages"], in: file)) }
                    continue
                }
                for item in try reader.sequence(node, what: "packages") {
                    bag.capture { out.append(try declaration(item, reader: reader)) }
                }
            }
            try bag.throwIfErrors()
            return (file, out)
        }
        return (nil, [])
    }

    private func declaration(_ node: Node, reader: YAMLReader) throws -> PackageDeclaration {
        var fields: [String: (String, SourceLocation?)] = [:]
        var versions: [String] = []
        var written: [ConfigEntry] = []
        for (key, value, loc) in try reader.mapping(node, what: "a package entry") {
            written.append(ConfigEntry(key, reader.value(value), at: loc))
            if key == "version", case .sequence = value {
                versions = try reader.stringList(value, what: "version")
                continue
            }
            let v = reader.value(value)
            guard let text = v.scalarText else {
                throw Diagnostic(code: .wrongYAMLShape, "'\(key)' of a package entry must be a single value", at: reader.location(value))
            }
            fields[key] = (text, loc)
            if key == "version" { versions = [text] }
        }
        let at = reader.location(node)
        if let local = fields["local"]?.0 { return PackageDeclaration(source: .local(path: local), location: at, written: written) }
        if let git = fields["git"]?.0 {
            return PackageDeclaration(source: .git(url: git, revision: fields["revision"]?.0, subdirectory: fields["subdirectory"]?.0), location: at, written: written)
        }
        if let tarball = fields["tarball"]?.0 { return PackageDeclaration(source: .tarball(url: tarball, name: fields["name"]?.0), location: at, written: written) }
        if let package = fields["package"]?.0 { return PackageDeclaration(source: .hub(package: package, version: versions), location: at, written: written) }
        throw Diagnostic(code: .invalidPackageEntry, "a package entry needs one of local:, git:, tarball: or package:", at: at)
    }

    /// The name a declared package installs under: a local package's own project name, else what its source says
    /// (the hub's `owner/name`, a git repository or subdirectory, a tarball's `name`).
    public func expectedName(of declaration: PackageDeclaration, root: String) -> String? {
        switch declaration.source {
        case .local(let path):
            let dir = path.hasPrefix("/") ? path : root + "/" + path
            return projectName(in: dir)
        case .hub(let package, _): return package.split(separator: "/").last.map(String.init)
        case .git(let url, _, let sub):
            let base = sub.map { ($0 as NSString).lastPathComponent } ?? (url as NSString).lastPathComponent
            return base.hasSuffix(".git") ? String(base.dropLast(4)) : base
        case .tarball(_, let name): return name
        }
    }

    /// `package-lock.yml`: its `sha1_hash` and its entries in order, as written (nil when there is none or it cannot be read).
    public func packageLock(root: String) -> (hash: String?, entries: [[ConfigEntry]])? {
        let reader = YAMLReader(path: "package-lock.yml")
        guard let text = try? readText(root + "/package-lock.yml", display: "package-lock.yml"), let doc = try? reader.parse(text),
              case .dict(let top) = reader.value(doc) else { return nil }
        let hash = top.first { $0.key == "sha1_hash" }?.value.asString
        let entries = (top.first { $0.key == "packages" }?.value.asList ?? []).map { $0.asDict ?? [] }
        return (hash, entries)
    }

    /// The `name:` of the dbt project in `directory`, if there is one.
    public func projectName(in directory: String) -> String? {
        guard let text = try? readText(directory + "/dbt_project.yml", display: "dbt_project.yml"),
              let doc = try? YAMLReader(path: "dbt_project.yml").parse(text),
              case .mapping(let m) = doc else { return nil }
        for (k, v) in m where k.string == "name" { return v.string }
        return nil
    }

    /// The packages installed under the project's packages folder, each read as the dbt project it is; and an error
    /// for every declared package that is not installed (telling the user to run `strata deps`).
    func loadPackages(into project: inout Project, bag: inout DiagnosticBag) {
        let root = project.root
        guard let (file, declared) = bag.capture({ try packageDeclarations(root: root) }) else { return }
        project.packagesFile = file
        project.packageDeclarations = declared
        let installRoot = root + "/" + project.paths.packages
        let folders = ((try? FileManager.default.contentsOfDirectory(atPath: installRoot)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        for folder in folders {
            let dir = installRoot + "/" + folder
            guard FileManager.default.fileExists(atPath: dir + "/dbt_project.yml") else { continue }
            let prefix = project.paths.packages + "/" + folder + "/"
            do {
                let (package, warnings) = try loadWithWarnings(directory: dir, loadingPackages: false, asPackageOf: (root, prefix))
                bag.append(contentsOf: warnings.filter { $0.code == DiagnosticCode.unsupportedDbtVersion.rawValue })
                project.adopt(package, folder: dir, prefix: prefix)
            } catch let e as DiagnosticError {
                bag.append(contentsOf: e.diagnostics.map { Self.inPackage($0, prefix: prefix) })
            } catch let d as Diagnostic {
                bag.append(Self.inPackage(d, prefix: prefix))
            } catch {
                bag.append(Diagnostic(code: .unexpected, "\(prefix): \(error)"))
            }
        }
        let installed = Set(project.packages.map(\.name))
        // the lock knows each declared package's name (a git package's is its dbt_project.yml's, not its URL's)
        let lockNames = packageLock(root: root).map { $0.entries.map { $0.first { $0.key == "name" }?.value.asString } }
        for (i, d) in declared.enumerated() {
            let name = (lockNames?.count == declared.count ? lockNames?[i] : nil) ?? expectedName(of: d, root: root)
            guard name.map({ !installed.contains($0) }) ?? true else { continue }
            bag.append(Diagnostic(code: .packageNotInstalled,
                                  "package \(name.map { "'\($0)' " } ?? "")(\(d.summary)) is not installed in \(project.paths.packages)/: run `strata deps`",
                                  at: d.location))
        }
    }

    /// The dbt version whose behaviour Strata follows (its compiled SQL and artifacts are checked against it).
    public static let dbtVersion = SemVer("1.12.6")!

    /// A warning when `require-dbt-version` leaves out the dbt version Strata follows (dbt itself would refuse).
    static func dbtVersionWarning(_ required: Located<[String]>, what: String) -> Diagnostic? {
        var range = VersionRange()
        for spec in required.value {
            guard let r = VersionRange(specifier: spec), let narrowed = range.intersecting(r) else {
                return Diagnostic(.warning, code: .unsupportedDbtVersion, "\(what) requires dbt '\(required.value.joined(separator: "', '"))', which is not a range Strata understands",
                                  at: required.location)
            }
            range = narrowed
        }
        guard !range.contains(dbtVersion) else { return nil }
        return Diagnostic(.warning, code: .unsupportedDbtVersion,
                          "\(what) requires dbt \(range.description); Strata follows dbt \(dbtVersion), so it may behave differently than the versions it was written for",
                          at: required.location)
    }

    /// A diagnostic from a package's files, with its paths made relative to the root project (those read with
    /// the package's prefix already carry it).
    static func inPackage(_ d: Diagnostic, prefix: String) -> Diagnostic {
        var d = d
        if let l = d.location, !l.file.hasPrefix("/"), !l.file.hasPrefix(prefix) { d.location = SourceLocation(file: prefix + l.file, line: l.line, column: l.column) }
        return d
    }

    /// `dispatch: [{macro_namespace: dbt_utils, search_order: [my_project, dbt_utils]}]`.
    func dispatchOrders(_ node: Node, reader: YAMLReader) throws -> [DispatchOrder] {
        try reader.sequence(node, what: "dispatch").map { item in
            var namespace: String?, order: [String] = []
            for (key, value, loc) in try reader.mapping(item, what: "a dispatch entry") {
                switch key {
                case "macro_namespace": namespace = try reader.string(value, what: key)
                case "search_order": order = try reader.stringList(value, what: key)
                default: throw reader.unknownKey(key, at: loc, known: ["macro_namespace", "search_order"], in: "dispatch")
                }
            }
            guard let namespace else { throw Diagnostic(code: .wrongYAMLShape, "a dispatch entry needs macro_namespace and search_order", at: reader.location(item)) }
            return DispatchOrder(namespace: namespace, searchOrder: order)
        }
    }
}

extension Project {
    /// Takes in an installed package read with its prefix: its macros become its namespace, its nodes, sources and
    /// tests join this project's (each marked with the package's name), its docs blocks are found by `doc()` unless
    /// this project has one of the same name, and its own configs and vars are kept for its nodes.
    mutating func adopt(_ package: Project, folder: String, prefix: String) {
        let name = package.name
        var installed = InstalledPackage(name: name, root: folder, prefix: prefix, templateFiles: package.templateFiles)
        installed.modelConfigs = package.modelConfigs
        installed.seedConfigs = package.seedConfigs
        installed.snapshotConfigs = package.snapshotConfigs
        installed.testConfigs = package.testConfigs
        installed.vars = package.vars
        installed.paths = package.paths
        (installed.onRunStart, installed.onRunEnd) = (package.onRunStart, package.onRunEnd)
        packages.append(installed)
        models += package.models.map { var m = $0; m.package = name; return m }
        seeds += package.seeds.map { var s = $0; s.package = name; return s }
        snapshotFiles += package.snapshotFiles.map { var f = $0; f.package = name; return f }
        singularTests += package.singularTests.map { var f = $0; f.package = name; return f }
        yamlSnapshots += package.yamlSnapshots.map { var y = $0; y.package = name; return y }
        sources += package.sources.map { var t = $0; t.package = name; return t }
        testDeclarations += package.testDeclarations.map { var t = $0; t.package = name; return t }
        unitTests += package.unitTests.map { var u = $0; u.package = name; return u }
        for (key, block) in package.docBlocks where docBlocks[key] == nil { docBlocks[key] = block }
    }
}
