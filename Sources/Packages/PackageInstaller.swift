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
        /// A git package with no `revision` (dbt's "not pinned" warning, unless `warn-unpinned: false`).
        public var warning: Diagnostic? = nil
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
        var warnings: [String: Diagnostic] = [:]
        // what the lock pinned for a git package, by URL (the project's packages and those they need alike)
        let pinnedRevisions = Dictionary((pinned ?? []).compactMap { e -> (String, String)? in
            guard let url = e.first(where: { $0.key == "git" })?.value.asString, let rev = e.first(where: { $0.key == "revision" })?.value.asString else { return nil }
            return (url, rev)
        }, uniquingKeysWith: { a, _ in a })
        do {
            try fm.createDirectory(atPath: staging, withIntermediateDirectories: true)
            try fm.createDirectory(atPath: downloads, withIntermediateDirectories: true)
            /// Moves or links a fetched package into the staging folder under its project name.
            func stage(_ source: String, move: Bool, summary: String, lock: [(String, String)], declaration d: PackageDeclaration) throws {
                guard let name = loader.projectName(in: source) else {
                    throw Diagnostic(code: .packageUnavailable, "package (\(summary)): \(source) holds no dbt_project.yml with a name", at: d.location)
                }
                if let other = installed.first(where: { $0.name == name }) {
                    throw Diagnostic(code: .packageUnavailable, "two packages are named '\(name)' (\(other.source) and \(summary))", at: d.location)
                }
                let dest = staging + "/" + name
                if move {
                    try fm.moveItem(atPath: source, toPath: dest)
                } else {
                    // as dbt does for local packages: a link to the folder, or a copy where links cannot be made
                    do { try fm.createSymbolicLink(atPath: dest, withDestinationPath: source) } catch { try fm.copyItem(atPath: source, toPath: dest) }
                }
                installed.append((name, summary, move ? dest : source, lock))
            }
            var installedHub = Set<String>()
            func stage(_ release: PackageHub.Release, declaration d: PackageDeclaration, folder: String) throws {
                guard installedHub.insert(release.package).inserted else { return }
                let source = try Self.unpack(release.tarball, into: downloads + "/" + folder, declaration: d)
                try stage(source, move: true, summary: "package: \(release.package)", lock: [("package", release.package), ("version", release.version.description)], declaration: d)
            }
            // The project's packages, then what each installed package declares in its own packages.yml, as dbt
            // resolves them (a local path there is relative to the root project, as in dbt); each source once.
            var queue = declarations
            var seen = Set<String>()
            var next = 0
            while next < queue.count {
                let d = queue[next], i = next
                next += 1
                guard seen.insert(d.summary).inserted else { continue }
                let before = installed.count
                switch d.source {
                case .local(let path):
                    let source = URL(fileURLWithPath: path.hasPrefix("/") ? path : root + "/" + path).standardizedFileURL.path
                    try stage(source, move: false, summary: d.summary, lock: [("local", path)], declaration: d)
                case .git(let url, let revision, let subdirectory):
                    // the lock's commit when it was written for these declarations
                    let checkout = GitCheckout(url: url, revision: pinnedRevisions[url] ?? revision, subdirectory: subdirectory)
                    let (path, commit) = try checkout.checkout(into: downloads + "/\(i)", declaration: d)
                    try stage(path, move: true, summary: d.summary, lock: [("git", url), ("revision", commit)] + (subdirectory.map { [("subdirectory", $0)] } ?? []), declaration: d)
                    if revision == nil || revision == "HEAD", d.written.first(where: { $0.key == "warn-unpinned" })?.value.asBool != false, let name = installed.last?.name {
                        warnings[name] = Diagnostic(.warning, code: .unpinnedPackage,
                                                    "git package '\(name)' (\(url)) is not pinned to a revision: each `strata deps --upgrade` may bring changes without warning; add `revision:` (a tag or commit), or `warn-unpinned: false`",
                                                    at: d.location)
                    }
                case .tarball(let url, let name):
                    let source = try Self.unpack(url, into: downloads + "/\(i)", declaration: d)
                    try stage(source, move: true, summary: d.summary, lock: [("tarball", url)] + (name.map { [("name", $0)] } ?? []), declaration: d)
                case .hub(let package, let specs):
                    if i < declarations.count {
                        guard let release = releases.first(where: { $0.package == package }) else { continue }
                        try stage(release, declaration: d, folder: "\(i)")
                    } else if !releases.contains(where: { $0.package == package }) && !installedHub.contains(package) {
                        // a hub package only another package needs: resolved now, with what it needs in turn
                        for (j, release) in try hub.resolve([(package, specs, false, d)]).enumerated() { try stage(release, declaration: d, folder: "\(i)-\(j)") }
                    }
                }
                for staged in installed[before...] {
                    guard let nested = try? loader.packageDeclarations(root: staged.path).packages else { continue }
                    let file = project.paths.packages + "/" + staged.name + "/packages.yml"
                    queue += nested.map { n in
                        var n = n
                        n.location = n.location.map { SourceLocation(file: file, line: $0.line, column: $0.column) }
                        return n
                    }
                }
            }
            // what the project's hub packages need, beyond what is declared
            for (j, release) in releases.enumerated() where !hubDeclared.contains(where: { $0.package == release.package }) {
                try stage(release, declaration: hubDeclared.first!.declaration, folder: "dep-\(j)")
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
        return installed.map { Installed(name: $0.name, source: $0.source, path: $0.path, warning: warnings[$0.name]) }
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
        // what the archive holds is checked before anything is unpacked: nothing may land outside the folder
        if let problem = try hostileEntry(in: archive) {
            try? fm.removeItem(atPath: archive)
            throw Diagnostic(code: .hostilePackage, "package (\(declaration.summary)): \(url) was refused: \(problem); nothing was unpacked", at: declaration.location)
        }
        let unpacked = try tar(["-xzf", archive, "-C", dir, "--no-same-owner"])
        try? fm.removeItem(atPath: archive)
        let top = ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter { !$0.hasPrefix(".") }
        guard unpacked != nil, top.count == 1 else {
            throw Diagnostic(code: .packageDownloadFailed, "package (\(declaration.summary)): \(url) is not a .tar.gz holding one package folder", at: declaration.location)
        }
        return dir + "/" + top[0]
    }

    /// The first entry of a .tar.gz that could write outside the folder it is unpacked into: an absolute path, a
    /// `..` component, or a link whose target is absolute or climbs out; nil when there is none. An archive that
    /// tar cannot list (not gzip, truncated) is an error.
    static func hostileEntry(in archive: String) throws -> String? {
        func list(_ verbose: Bool) throws -> [String]? {
            try tar([verbose ? "-tvzf" : "-tzf", archive]).map { $0.split(separator: "\n").map(String.init) }
        }
        guard let names = try list(false), let lines = try list(true) else { return "it is not a gzip-compressed tar archive" }
        func escapes(_ path: String, from base: [Substring] = []) -> Bool {
            if path.hasPrefix("/") { return true }
            var depth = base.count
            for part in path.split(separator: "/") {
                if part == ".." { depth -= 1; if depth < 0 { return true } } else if part != "." { depth += 1 }
            }
            return false
        }
        for name in names where escapes(name) { return "the entry '\(name)' would be written outside the package folder" }
        for line in lines where line.hasPrefix("l") || line.hasPrefix("h") {
            let separator = line.hasPrefix("l") ? " -> " : " link to "
            guard let r = line.range(of: separator, options: .backwards) else { return "a link entry could not be read: \(line)" }
            let target = String(line[r.upperBound...])
            // the link's own folder: the name is the last field before the separator
            let name = names.first { line[..<r.lowerBound].hasSuffix(" " + $0) } ?? ""
            let folder = name.split(separator: "/").dropLast()
            if line.hasPrefix("l") ? escapes(target, from: Array(folder)) : escapes(target) {
                return "the link '\(name)' points outside the package folder (\(target))"
            }
        }
        return nil
    }

    /// Runs tar (an argument array, never a shell; C locale) and returns what it printed, or nil when it failed.
    static func tar(_ arguments: [String]) throws -> String? {
        // only PATH from the environment: TAR_OPTIONS and the like do not apply
        let out = try Tool.run("tar", arguments, environment: ["LC_ALL": "C", "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"])
        return out.status == 0 ? out.stdout : nil
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
