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
    public func install() throws -> [Installed] {
        let fm = FileManager.default
        let root = project.root
        let loader = ProjectLoader()
        // resolve first: a package that cannot be had stops the command before anything changes
        var bag = DiagnosticBag()
        var plan: [(name: String, source: String, path: String)] = []
        for d in project.packageDeclarations {
            bag.capture {
                switch d.source {
                case .local(let path):
                    let dir = URL(fileURLWithPath: path.hasPrefix("/") ? path : root + "/" + path).standardizedFileURL.path
                    guard let name = loader.projectName(in: dir) else {
                        throw Diagnostic(code: .packageUnavailable, "package (\(d.summary)): \(dir) holds no dbt_project.yml with a name", at: d.location)
                    }
                    if let other = plan.first(where: { $0.name == name }) {
                        throw Diagnostic(code: .packageUnavailable, "two declared packages are named '\(name)' (\(other.source) and \(d.summary))", at: d.location)
                    }
                    plan.append((name, d.summary, dir))
                case .git, .tarball, .hub:
                    // a download needs the network and a resolver Strata does not have yet
                    throw Diagnostic(code: .packageSourceUnsupported,
                                     "package (\(d.summary)): \(Self.kind(d)) packages are not supported by `strata deps` yet; only local: packages are. Install it into \(project.paths.packages)/ another way (dbt deps installs the same folder), or declare it as local:",
                                     at: d.location)
                }
            }
        }
        try bag.throwIfErrors()
        let target = root + "/" + project.paths.packages
        let staging = target + ".strata-new"
        let old = target + ".strata-old"
        try? fm.removeItem(atPath: staging)
        try? fm.removeItem(atPath: old)
        do {
            try fm.createDirectory(atPath: staging, withIntermediateDirectories: true)
            for p in plan {
                // as dbt does for local packages: a link to the folder, or a copy where links cannot be made
                let dest = staging + "/" + p.name
                do { try fm.createSymbolicLink(atPath: dest, withDestinationPath: p.path) } catch { try fm.copyItem(atPath: p.path, toPath: dest) }
            }
            if fm.fileExists(atPath: target) { try fm.moveItem(atPath: target, toPath: old) }
            try fm.moveItem(atPath: staging, toPath: target)
            try? fm.removeItem(atPath: old)
        } catch {
            try? fm.removeItem(atPath: staging)
            if !fm.fileExists(atPath: target), fm.fileExists(atPath: old) { try? fm.moveItem(atPath: old, toPath: target) }
            throw Diagnostic(code: .cannotInstall, "cannot install packages into \(project.paths.packages)/: \(error.localizedDescription); the previous install is unchanged")
        }
        // package-lock.yml as dbt writes it, rewritten only when packages.yml changed (dbt's rule)
        let lockPath = root + "/package-lock.yml"
        let hash = PackageLock.hash(project.packageDeclarations)
        let current = (try? String(contentsOfFile: lockPath, encoding: .utf8)) ?? ""
        if !current.contains("sha1_hash: \(hash)") {
            let entries = zip(project.packageDeclarations, plan).map { d, p -> (declaration: [(String, String)], name: String) in
                guard case .local(let path) = d.source else { return ([], p.name) }
                return ([("local", path)], p.name)
            }
            do {
                try PackageLock(entries: entries, sha1Hash: hash).yaml.write(toFile: lockPath, atomically: true, encoding: .utf8)
            } catch {
                throw Diagnostic(code: .cannotInstall, "packages are installed, but package-lock.yml cannot be written: \(error.localizedDescription)")
            }
        }
        return plan.map { Installed(name: $0.name, source: $0.source, path: $0.path) }
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
