import Basics

/// A package a project depends on, as `packages.yml` or `dependencies.yml` declares it (dbt's formats).
public struct PackageDeclaration: Sendable, Hashable {
    public enum Source: Sendable, Hashable {
        /// `local: path`, relative to the project.
        case local(path: String)
        /// `git: url` with `revision` and `subdirectory`.
        case git(url: String, revision: String?, subdirectory: String?)
        /// `tarball: url` with the package's `name`.
        case tarball(url: String, name: String?)
        /// `package: owner/name` from the package hub, with a `version` range.
        case hub(package: String, version: [String])
    }
    public var source: Source
    /// Where it is declared (packages.yml line and column).
    public var location: SourceLocation?
    /// The entry as written, key by key (dbt hashes it into package-lock.yml's `sha1_hash`).
    public var written: [ConfigEntry]

    public init(source: Source, location: SourceLocation?, written: [ConfigEntry] = []) {
        self.source = source
        self.location = location
        self.written = written
    }

    /// How the declaration reads in messages: `local: ../`, `package: dbt-labs/dbt_utils`.
    public var summary: String {
        switch source {
        case .local(let path): return "local: \(path)"
        case .git(let url, _, _): return "git: \(url)"
        case .tarball(let url, _): return "tarball: \(url)"
        case .hub(let package, _): return "package: \(package)"
        }
    }
}

/// An installed package: a dbt project under the packages folder. Its macros are callable as `name.macro()`; its
/// models, seeds, snapshots, sources and tests join the root project's (each file says which package it is from),
/// and what its own `dbt_project.yml` configures is kept here, below what the root project says about it.
public struct InstalledPackage: Sendable {
    public var name: String
    /// Absolute path of the package's folder.
    public var root: String
    /// The package's folder relative to the root project, ending in `/` (`dbt_packages/dbt_utils/`): its files'
    /// paths start with it.
    public var prefix: String
    /// Its macros and generic tests, with paths relative to the root project (`dbt_packages/dbt_utils/macros/…`).
    public var templateFiles: [TextFile]
    /// `models:`, `seeds:`, `snapshots:` and `vars:` of the package's own project file.
    public var modelConfigs = FolderConfig()
    public var seedConfigs = FolderConfig()
    public var snapshotConfigs = FolderConfig()
    public var testConfigs = FolderConfig()
    public var vars: [String: ConfigValue] = [:]
    /// Its folders, relative to the root project (they start with `prefix`).
    public var paths = Project.Paths()
    /// Its `on-run-start` / `on-run-end` hooks: dbt runs every package's (by package name) before the root project's.
    public var onRunStart: [Located<String>] = []
    public var onRunEnd: [Located<String>] = []
    public init(name: String, root: String, prefix: String, templateFiles: [TextFile]) {
        self.name = name
        self.root = root
        self.prefix = prefix
        self.templateFiles = templateFiles
    }

    /// A path relative to the root project (`dbt_packages/p/models/x.sql`) as dbt writes it for the package's nodes
    /// (`models/x.sql`, relative to the package's own folder).
    public func pathInPackage(_ path: String) -> String {
        path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}

/// dbt's `dispatch:` entry: where `adapter.dispatch(…, macro_namespace)` looks, in order.
public struct DispatchOrder: Sendable, Hashable {
    public var namespace: String
    public var searchOrder: [String]
    public init(namespace: String, searchOrder: [String]) {
        self.namespace = namespace
        self.searchOrder = searchOrder
    }
}
