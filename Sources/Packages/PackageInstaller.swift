import Foundation
import Basics
import ProjectLoading
import ProjectModel

/// `strata deps`: installs the packages a project declares into its packages folder. Everything is installed into
/// a fresh folder beside it first and swapped in at the end, so a failure leaves the previous install as it was.
public struct PackageInstaller: Sendable {
    public let project: Project
    /// For `DBT_PACKAGE_HUB_URL` (the package hub to use, as in dbt).
    public let environment: [String: String]
    public init(project: Project, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.project = project
        self.environment = environment
    }

    /// One installed package, for the summary.
    public struct Installed: Sendable, Equatable {
        public var name: String
        /// How it was declared (`local: ../`).
        public var source: String
        public var path: String
    }

    /// Installs every declared package; returns what was installed. Nothing is touched when a package cannot be had.
    /// A `package-lock.yml` written for the same declarations pins git commits and hub versions unless `upgrade`.
    public func install(upgrade: Bool = false) throws -> [Installed] {
        let fm = FileManager.default
        let root = project.root
        let loader = ProjectLoader()
        let declarations = project.packageDeclarations
        let hash = PackageLock.hash(declarations)
        let lockPath = root + "/package-lock.yml"
        let locked = upgrade ? nil : loader.packageLock(root: root)
        let pinned = locked?.hash == hash ? locked?.entries : nil
        // hub packages are resolved (with what they need) before anything changes; the lock pins their versions
        var hubDeclared: [(package: String, specs: [String], prerelease: Bool, declaration: PackageDeclaration)] = []
        for (i, d) in declarations.enumerated() {
            guard case .hub(let package, let specs) = d.source else { continue }
            let lockedVersion = pinned.flatMap { i < $0.count ? $0[i].first { $0.key == "version" }?.value : nil }
            let prerelease = d.written.first { $0.key == "install-prerelease" || $0.key == "install_prerelease" }?.value.asBool ?? false
            hubDeclared.append((package, lockedVersion.map { ["=" + ($0.scalarText ?? "")] } ?? specs, prerelease, d))
        }
        let hub = PackageHub(baseURL: environment["DBT_PACKAGE_HUB_URL"] ?? PackageHub.defaultURL, fetch: PackageHub.download)
        let releases = hubDeclared.isEmpty ? [] : try hub.resolve(hubDeclared)
        let target = root + "/" + project.paths.packages
        let staging = target + ".strata-new"
        let downloads = target + ".strata-downloads"
        let old = target + ".strata-old"
        for dir in [staging, downloads, old] { try? fm.removeItem(atPath: dir) }
        defer { try? fm.removeItem(atPath: downloads) }
        var installed: [(name: String, source: String, path: String, lock: [(String, String)])] = []
        do {
            try fm.createDirectory(atPath: staging, withIntermediateDirectories: true)
            try fm.createDirectory(atPath: downloads, withIntermediateDirectories: true)
            for (i, d) in declarations.enumerated() {
                let source: String, lock: [(String, String)]
                var move = false
                switch d.source {
                case .local(let path):
                    source = URL(fileURLWithPath: path.hasPrefix("/") ? path : root + "/" + path).standardizedFileURL.path
                    lock = [("local", path)]
                case .git(let url, let revision, let subdirectory):
                    // the lock's commit when it was written for these declarations
                    let lockedRevision = pinned.flatMap { i < $0.count ? $0[i].first { $0.key == "revision" }?.value.asString : nil }
                    let checkout = GitCheckout(url: url, revision: lockedRevision ?? revision, subdirectory: subdirectory)
                    let (path, commit) = try checkout.checkout(into: downloads + "/\(i)", declaration: d)
                    source = path
                    move = true
                    lock = [("git", url), ("revision", commit)] + (subdirectory.map { [("subdirectory", $0)] } ?? [])
                case .tarball(let url, let name):
                    source = try Self.unpack(url, into: downloads + "/\(i)", declaration: d)
                    move = true
                    lock = [("tarball", url)] + (name.map { [("name", $0)] } ?? [])
                case .hub(let package, _):
                    guard let release = releases.first(where: { $0.package == package }) else { continue }
                    source = try Self.unpack(release.tarball, into: downloads + "/\(i)", declaration: d)
                    move = true
                    lock = [("package", package), ("version", release.version.description)]
                }
                guard let name = loader.projectName(in: source) else {
                    throw Diagnostic(code: .packageUnavailable, "package (\(d.summary)): \(source) holds no dbt_project.yml with a name", at: d.location)
                }
                if let other = installed.first(where: { $0.name == name }) {
                    throw Diagnostic(code: .packageUnavailable, "two declared packages are named '\(name)' (\(other.source) and \(d.summary))", at: d.location)
                }
                let dest = staging + "/" + name
                if move {
                    try fm.moveItem(atPath: source, toPath: dest)
                } else {
                    // as dbt does for local packages: a link to the folder, or a copy where links cannot be made
                    do { try fm.createSymbolicLink(atPath: dest, withDestinationPath: source) } catch { try fm.copyItem(atPath: source, toPath: dest) }
                }
                installed.append((name, d.summary, move ? dest : source, lock))
            }
            // what hub packages need, beyond what the project declares
            for (j, release) in releases.enumerated() where !hubDeclared.contains(where: { $0.package == release.package }) {
                let d = hubDeclared.first!.declaration
                let source = try Self.unpack(release.tarball, into: downloads + "/dep-\(j)", declaration: d)
                guard let name = loader.projectName(in: source) else {
                    throw Diagnostic(code: .packageUnavailable, "package '\(release.package)' \(release.version) (needed by another package) holds no dbt_project.yml with a name", at: d.location)
                }
                guard !installed.contains(where: { $0.name == name }) else { continue }
                try fm.moveItem(atPath: source, toPath: staging + "/" + name)
                installed.append((name, "package: \(release.package)", staging + "/" + name, [("package", release.package), ("version", release.version.description)]))
            }
            if fm.fileExists(atPath: target) { try fm.moveItem(atPath: target, toPath: old) }
            try fm.moveItem(atPath: staging, toPath: target)
            try? fm.removeItem(atPath: old)
        } catch {
            try? fm.removeItem(atPath: staging)
            if !fm.fileExists(atPath: target), fm.fileExists(atPath: old) { try? fm.moveItem(atPath: old, toPath: target) }
            if let d = error as? Diagnostic { throw d }
            throw Diagnostic(code: .cannotInstall, "cannot install packages into \(project.paths.packages)/: \(error.localizedDescription); the previous install is unchanged")
        }
        // package-lock.yml as dbt writes it, rewritten only when packages.yml changed (dbt's rule) or on --upgrade
        let current = (try? String(contentsOfFile: lockPath, encoding: .utf8)) ?? ""
        if upgrade || !current.contains("sha1_hash: \(hash)") {
            do {
                try PackageLock(entries: installed.map { ($0.lock, $0.name) }, sha1Hash: hash).yaml.write(toFile: lockPath, atomically: true, encoding: .utf8)
            } catch {
                throw Diagnostic(code: .cannotInstall, "packages are installed, but package-lock.yml cannot be written: \(error.localizedDescription)")
            }
        }
        return installed.map { Installed(name: $0.name, source: $0.source, path: $0.path) }
    }

    /// Downloads a tarball and unpacks it into `dir`; returns the package's folder (the archive's single top folder).
    static func unpack(_ url: String, into dir: String, declaration: PackageDeclaration) throws -> String {
        let fm = FileManager.default
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let data: Data
        do { data = try PackageHub.download(url) } catch {
            throw Diagnostic(code: .packageDownloadFailed, "package (\(declaration.summary)): cannot download \(url): \(error.localizedDescription)", at: declaration.location)
        }
        let archive = dir + "/package.tar.gz"
        try data.write(to: URL(fileURLWithPath: archive))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["tar", "-xzf", archive, "-C", dir, "--no-same-owner"]
        p.standardError = FileHandle.nullDevice
        try p.run()
        p.waitUntilExit()
        try? fm.removeItem(atPath: archive)
        let top = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter { !$0.hasPrefix(".") }
        guard p.terminationStatus == 0, top.count == 1 else {
            throw Diagnostic(code: .packageDownloadFailed, "package (\(declaration.summary)): \(url) is not a .tar.gz holding one package folder", at: declaration.location)
        }
        return dir + "/" + top[0]
    }

    static func kind(_ d: PackageDeclaration) -> String {
        switch d.source {
        case .local: return "local"
        case .git: return "git"
        case .tarball: return "tarball"
        case .hub: return "hub"
        }
    }
}
