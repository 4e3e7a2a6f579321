import Foundation
import Basics
import ProjectModel

/// A git package checked out as `dbt deps` does: a shallow clone (of the branch or tag named by `revision`, or a
/// fetch of a commit), sparse for a `subdirectory`, and the commit it resolved to for `package-lock.yml`.
struct GitCheckout {
    let url: String
    let revision: String?
    let subdirectory: String?

    /// The folder holding the package (the subdirectory when there is one) and the commit checked out.
    func checkout(into dir: String, declaration: PackageDeclaration) throws -> (path: String, commit: String) {
        // a revision or subdirectory is never an option of git's, and a subdirectory stays inside the checkout
        for (what, value) in [("revision", revision), ("subdirectory", subdirectory)] {
            guard let value else { continue }
            if value.hasPrefix("-") || value.contains("\0") {
                throw Diagnostic(code: .hostilePackage, "package (\(declaration.summary)): \(what) '\(value)' is refused: it would be read as an option of git", at: declaration.location)
            }
        }
        if let subdirectory, subdirectory.hasPrefix("/") || subdirectory.split(separator: "/").contains("..") {
            throw Diagnostic(code: .hostilePackage, "package (\(declaration.summary)): subdirectory '\(subdirectory)' is refused: it must be a folder inside the repository", at: declaration.location)
        }
        if url.hasPrefix("-") {
            throw Diagnostic(code: .hostilePackage, "package (\(declaration.summary)): the git URL '\(url)' is refused: it would be read as an option of git", at: declaration.location)
        }
        let isCommit = revision.map { $0.range(of: #"^[0-9a-f]{40}$"#, options: .regularExpression) != nil } ?? false
        var clone = ["clone", "--depth", "1"]
        if subdirectory != nil { clone += ["--filter=blob:none", "--sparse"] }
        if let revision, !isCommit, revision != "HEAD" { clone += ["--branch", revision] }
        try git(clone + ["--", url, dir], in: nil, declaration: declaration)
        if let subdirectory { try git(["sparse-checkout", "set", subdirectory], in: dir, declaration: declaration) }
        if let revision, isCommit {
            try git(["fetch", "origin", "--depth", "1", revision], in: dir, declaration: declaration)
            try git(["reset", "--hard", revision], in: dir, declaration: declaration)
        }
        let commit = try git(["rev-parse", "HEAD"], in: dir, declaration: declaration).trimmedWhitespace
        return (subdirectory.map { dir + "/" + $0 } ?? dir, commit)
    }

    /// Runs git; a failure names the package, the URL and what git said.
    @discardableResult
    func git(_ arguments: [String], in cwd: String?, declaration: PackageDeclaration) throws -> String {
        var env = ProcessInfo.processInfo.environment
        env["LC_ALL"] = "C"
        env["GIT_TERMINAL_PROMPT"] = "0"   // never wait for a password on standard input
        let out: Tool.Output
        do { out = try Tool.run("git", arguments, in: cwd, environment: env) } catch {
            throw Diagnostic(code: .packageDownloadFailed, "package (\(declaration.summary)): git cannot be run (\(error.localizedDescription)); install git", at: declaration.location)
        }
        guard out.status == 0 else {
            let said = out.stderr.trimmedWhitespace.split(separator: "\n").last.map(String.init) ?? "exit \(out.status)"
            throw Diagnostic(code: .packageDownloadFailed,
                             "package (\(declaration.summary)): `git \(arguments.first ?? "")` failed for \(Redaction.connectionString(url)): \(said)",
                             at: declaration.location)
        }
        return out.stdout
    }
}
