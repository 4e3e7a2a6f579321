import Foundation
import Basics
import ProjectLoading
import ProjectModel

/// `strata deps`: installs the packages a project declares into its packages folder. Everything is installed into
/// a fresh folder beside it first and swapped in at the end, so a failure leaves the previous install as it was.
public struct PackageInstaller: Sendable {
    public let project: Project
    public init(project: Project) { self.project = project }

    /// One installed package, for the summary.
    public struct Installed: Sendable, Equatable {
        public var name: String
        /// How it was declared (`local: ../`).
        public var source: String
        public var path: String
    }

    /// Installs every declared package; returns what was installed. Nothing is touched when a package cannot be had.
    /// A `package-lock.yml` written for the same declarations pins git packages to its commits unless `upgrade`.
    public func install(upgrade: Bool = false) throws -> [Installed] {
        let fm = FileManager.default
        let root = project.root
        let loader = ProjectLoader()
        let declarations = project.packageDeclarations
        let hash = PackageLock.hash(declarations)
        let lockPath = root + "/package-lock.yml"
        let locked = upgrade ? nil : loader.packageLock(root: root)
        let pinned = locked?.hash == hash ? locked?.entries : nil
        // what cannot be installed at all stops the command before anything changes
        var bag = DiagnosticBag()
        for d in declarations {
            switch d.source {
            case .local, .git: continue
            case .tarball, .hub:
                // a download needs an HTTP client and, for the hub, a version resolver: not here yet
                bag.append(Diagnostic(code: .packageSourceUnsupported,
                                      "package (\(d.summary)): \(Self.kind(d)) packages are not supported by `strata deps` yet; only local: and git: packages are. Install it into \(project.paths.packages)/ another way (dbt deps installs the same folder), or declare it as local: or git:",
                                      at: d.location))
            }
        }
        try bag.throwIfErrors()
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
                case .tarball, .hub: continue
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

    static func kind(_ d: PackageDeclaration) -> String {
        switch d.source {
        case .local: return "local"
        case .git: return "git"
        case .tarball: return "tarball"
        case .hub: return "hub"
        }
    }
}
