import Foundation
import Basics
import ProjectModel

/// `package-lock.yml` in dbt's format: the installed packages with their names, and `sha1_hash`, dbt's hash of the
/// declarations, by which `strata deps` (like `dbt deps`) knows whether packages.yml changed since the lock.
public struct PackageLock: Sendable, Equatable {
    public var entries: [(declaration: [(String, String)], name: String)]
    public var sha1Hash: String

    public static func == (a: PackageLock, b: PackageLock) -> Bool { a.yaml == b.yaml }

    /// The file's text, as dbt writes it.
    public var yaml: String {
        var out = "packages:\n"
        for e in entries {
            // dbt sets `name` on the entry: in place when it has one (a tarball's), else last
            let fields = e.declaration.contains { $0.0 == "name" } ? e.declaration.map { $0.0 == "name" ? ("name", e.name) : $0 } : e.declaration + [("name", e.name)]
            for (i, (k, v)) in fields.enumerated() { out += (i == 0 ? "  - " : "    ") + "\(k): \(Self.scalar(v))\n" }
        }
        return out + "sha1_hash: \(sha1Hash)\n"
    }

    /// A string as PyYAML writes it: plain, or single-quoted when plain would read as something else.
    static func scalar(_ s: String) -> String {
        let reserved = ["", "~", "null", "true", "false", "yes", "no", "on", "off", "y", "n"]
        let special = s.first.map { "-?:,[]{}#&*!|>'\"%@`".contains($0) || $0 == " " } ?? true
        // what YAML 1.1 (PyYAML) would read as an int or a float: `1.1.0` is neither and stays plain
        let numeric = s.range(of: #"^[-+]?(0|[1-9][0-9_]*|0[0-7_]+|0x[0-9a-fA-F_]+)$"#, options: .regularExpression) != nil
            || s.range(of: #"^[-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+][0-9]+)?$"#, options: .regularExpression) != nil && s.contains(where: \.isNumber)
        guard reserved.contains(s.lowercased()) || special || numeric || s.contains(": ") || s.contains(" #") || s.hasSuffix(" ") || s.hasSuffix(":") else { return s }
        return "'" + s.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// dbt's `_create_sha1_hash`: sha1 of the sorted `json.dumps(package.to_dict(), sort_keys=True)` lines, where
    /// `to_dict` is the declaration with its type's defaults and the entry as written under `unrendered`.
    public static func hash(_ declarations: [PackageDeclaration]) -> String {
        let lines = declarations.map { d -> String in
            var fields: [(String, ConfigValue)]
            let written = ConfigValue.dict(d.written)
            switch d.source {
            case .local(let path): fields = [("local", .string(path))]
            case .git(let url, let revision, let sub):
                fields = [("git", .string(url)), ("revision", revision.map { .string($0) } ?? .null), ("subdirectory", sub.map { .string($0) } ?? .null),
                          ("warn-unpinned", d.written.first { $0.key == "warn-unpinned" }?.value ?? .null)]
            case .tarball(let url, let name): fields = [("tarball", .string(url)), ("name", name.map { .string($0) } ?? .null)]
            case .hub(let package, _):
                fields = [("package", .string(package)), ("version", d.written.first { $0.key == "version" }?.value ?? .null),
                          ("install_prerelease", d.written.first { $0.key == "install-prerelease" || $0.key == "install_prerelease" }?.value ?? .bool(false))]
            }
            if case .tarball = d.source {} else if let name = d.written.first(where: { $0.key == "name" })?.value { fields.append(("name", name)) }
            fields.append(("unrendered", written))
            return pythonJSON(.dict(fields.map { ConfigEntry($0.0, $0.1) }))
        }
        return SHA1.hex(Array(lines.sorted().joined(separator: "\n").utf8))
    }

    /// Python's `json.dumps(value, sort_keys=True)`: `", "` and `": "` separators, ASCII only.
    static func pythonJSON(_ v: ConfigValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d == d.rounded() && abs(d) < 1e16 ? String(format: "%.1f", d) : "\(d)"
        case .string(let s): return PythonJSON.quote(s)
        case .list(let l): return "[" + l.map(pythonJSON).joined(separator: ", ") + "]"
        case .dict(let d):
            return "{" + d.sorted { $0.key < $1.key }.map { pythonJSON(.string($0.key)) + ": " + pythonJSON($0.value) }.joined(separator: ", ") + "}"
        }
    }
}
