import Foundation
import Basics
import ProjectModel

/// `strata deps --add-package name@version`: the entry dbt's `deps --add-package` writes into packages.yml (or the
/// dependencies.yml in use), replacing an entry for the same package.
public struct PackagesFile: Sendable {
    public enum Source: String, Sendable, CaseIterable { case hub, git, local }

    /// The new entry for `spec` (`owner/name@version`, `url@revision`, or a path for local packages).
    public static func entry(_ spec: String, source: Source) throws -> [ConfigEntry] {
        let at = spec.lastIndex(of: "@")
        let name = at.map { String(spec[..<$0]) } ?? spec
        let version = at.map { String(spec[spec.index(after: $0)...]) }
        switch source {
        case .local: return [ConfigEntry("local", .string(spec))]
        case .git:
            return [ConfigEntry("git", .string(name))] + (version.map { [ConfigEntry("revision", .string($0))] } ?? [])
        case .hub:
            guard let version, !version.isEmpty else {
                throw Diagnostic(code: .packageUnavailable, "--add-package \(spec): a hub package needs a version, like dbt-labs/dbt_utils@1.3.0")
            }
            let ranges = version.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            return [ConfigEntry("package", .string(name)), ConfigEntry("version", ranges.count == 1 ? .string(ranges[0]) : .list(ranges.map { .string($0) }))]
        }
    }

    /// The file's text with `entry` added, replacing a declaration of the same package (the entries are written back
    /// as dbt writes them; comments are not kept, as with dbt).
    public static func adding(_ entry: [ConfigEntry], to declarations: [PackageDeclaration]) -> String {
        let key = entry.first.map { ($0.key, $0.value) }
        var entries = declarations.map(\.written).filter { written in
            !(written.first.map { $0.key == key?.0 && $0.value == key?.1 } ?? false)
        }
        entries.append(entry)
        var out = "packages:\n"
        for e in entries {
            for (i, field) in e.enumerated() {
                out += (i == 0 ? "  - " : "    ") + field.key + ":"
                if case .list(let items) = field.value {
                    out += "\n" + items.map { "      - " + PackageLock.scalar($0.scalarText ?? "") }.joined(separator: "\n") + "\n"
                } else {
                    out += " " + PackageLock.scalar(field.value.scalarText ?? "") + "\n"
                }
            }
        }
        return out
    }
}
