import Foundation
import Basics
import ProjectModel
import Templating
import Yams

/// A connection target read from a dbt-format `profiles.yml`.
public struct ProfileTarget: Sendable {
    public var info: TargetInfo
    /// libpq keywords, password included: pass to the adapter, never print (see `redactedDescription`).
    public var keywords: [(String, String)]
    public var file: String
    /// `retries`: extra connection attempts after a transient failure (dbt-postgres's key; default 1).
    public var retries: Int = 1

    public var redactedDescription: String {
        keywords.map { $0.0 == "password" ? "\($0.0)=****" : "\($0.0)=\($0.1)" }.joined(separator: " ")
    }
}

/// Finds and reads `profiles.yml`, rendering `{{ env_var('X') }}` in its values.
public struct ProfileLoader: Sendable {
    public var environment: [String: String]
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) { self.environment = environment }

    /// Folders searched, in order: an explicit folder, `DBT_PROFILES_DIR`, the project, `~/.strata`.
    public func searchPath(explicit: String?, projectRoot: String) -> [String] {
        var dirs: [String] = []
        if let explicit { dirs.append(explicit) }
        if let d = environment["DBT_PROFILES_DIR"] { dirs.append(d) }
        dirs.append(projectRoot)
        if let home = environment["HOME"] { dirs.append(home + "/.strata") }
        return dirs
    }

    /// The target for `profileName`, or nil when no profiles.yml on the search path defines it.
    /// `required` makes a missing profile an error (the project named it explicitly).
    public func load(profileName: String, targetName: String?, searchPath: [String], required: Bool) throws -> ProfileTarget? {
        var seen: [String] = []
        for dir in searchPath {
            let path = (dir as NSString).appendingPathComponent("profiles.yml")
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            let text = String(decoding: data, as: UTF8.self)
            let reader = YAMLReader(path: path)
            guard let doc = try reader.parse(text) else { continue }
            for (name, node, _) in try reader.mapping(doc, what: "profiles.yml") {
                seen.append(name)
                guard name == profileName else { continue }
                return try target(from: node, profileName: name, targetName: targetName, reader: reader)
            }
        }
        if required {
            var msg = "profile '\(profileName)' was not found in any profiles.yml (searched: \(searchPath.joined(separator: ", ")))"
            if let s = Suggestion.closest(to: profileName, in: seen) { msg += "; did you mean '\(s)'?" }
            throw Diagnostic(code: .profileNotFound, msg)
        }
        return nil
    }

    static let outputKeys = ["type", "host", "port", "user", "username", "password", "pass", "dbname", "database", "schema", "threads",
                             "keepalives_idle", "connect_timeout", "sslmode", "sslrootcert", "sslcert", "sslkey", "search_path", "role",
                             "retries", "application_name", "sslcrl"]

    func target(from node: Yams.Node, profileName: String, targetName: String?, reader: YAMLReader) throws -> ProfileTarget {
        var defaultTarget: String?
        var outputs: [(String, Yams.Node, SourceLocation?)] = []
        for (key, value, loc) in try reader.mapping(node, what: "profile '\(profileName)'") {
            switch key {
            case "target": defaultTarget = try render(try reader.string(value, what: "target"), reader.location(value))
            case "outputs": outputs = try reader.mapping(value, what: "outputs").map { ($0.key, $0.node, $0.location) }
            default: throw reader.unknownKey(key, at: loc, known: ["target", "outputs"], in: "profile '\(profileName)'")
            }
        }
        let chosen = targetName ?? defaultTarget ?? "dev"
        guard let output = outputs.first(where: { $0.0 == chosen }) else {
            var msg = "target '\(chosen)' is not among the outputs of profile '\(profileName)'"
            if let s = Suggestion.closest(to: chosen, in: outputs.map(\.0)) { msg += "; did you mean '\(s)'?" }
            throw Diagnostic(code: .invalidProfile, msg, at: reader.location(node))
        }
        var fields: [String: String] = [:]
        for (key, value, loc) in try reader.mapping(output.1, what: "output '\(chosen)'") {
            guard Self.outputKeys.contains(key) else { throw reader.unknownKey(key, at: loc, known: Self.outputKeys, in: "output '\(chosen)'") }
            guard case .scalar(let s) = value else { throw Diagnostic(code: .wrongYAMLShape, "'\(key)' must be a single value", at: loc) }
            fields[key] = try render(s.string, reader.location(value))
        }
        let type = fields["type"] ?? "postgres"
        guard type == "postgres" else {
            throw Diagnostic(code: .unsupportedAdapter, "output '\(chosen)' has type '\(type)': only 'postgres' is supported", at: output.2)
        }
        var kw: [(String, String)] = []
        func add(_ k: String, _ v: String?) { if let v, !v.isEmpty { kw.append((k, v)) } }
        add("host", fields["host"])
        add("port", fields["port"])
        add("user", fields["user"] ?? fields["username"])
        add("password", fields["password"] ?? fields["pass"])
        add("dbname", fields["dbname"] ?? fields["database"])
        add("keepalives_idle", fields["keepalives_idle"])
        add("connect_timeout", fields["connect_timeout"] ?? "10")
        add("sslmode", fields["sslmode"])
        add("sslrootcert", fields["sslrootcert"])
        add("sslcert", fields["sslcert"])
        add("sslkey", fields["sslkey"])
        add("sslcrl", fields["sslcrl"])
        add("application_name", fields["application_name"] ?? "strata")
        // session settings through libpq's `options`: the search path and the role every statement runs as
        var settings: [String] = []
        if let sp = fields["search_path"] { settings.append("-c search_path=\(sp.replacingOccurrences(of: " ", with: "\\ "))") }
        if let role = fields["role"] { settings.append("-c role=\(role.replacingOccurrences(of: " ", with: "\\ "))") }
        if !settings.isEmpty { kw.append(("options", settings.joined(separator: " "))) }
        let info = TargetInfo(name: chosen, type: "postgres", schema: fields["schema"] ?? "public",
                              database: fields["dbname"] ?? fields["database"] ?? "postgres",
                              user: fields["user"] ?? fields["username"] ?? "postgres", threads: Int(fields["threads"] ?? "") ?? 4)
        var target = ProfileTarget(info: info, keywords: kw, file: reader.path)
        if let r = fields["retries"] {
            guard let n = Int(r), n >= 0, n <= 20 else { throw Diagnostic(code: .invalidRetries, "retries must be a whole number from 0 to 20, not '\(r)'", at: output.2) }
            target.retries = n
        }
        return target
    }

    /// Renders `{{ env_var('X') }}` (and `env_var('X', 'default')`) in a profile value.
    func render(_ text: String, _ location: SourceLocation?) throws -> String {
        guard text.contains("{{") || text.contains("{%") else { return text }
        var environment = Environment()
        environment.globals["env_var"] = .function(.envVar(self.environment))
        // Locations inside the value: offset the template's line by the YAML line.
        do {
            let t = try Template(path: location?.file ?? "profiles.yml", text: text)
            return try Renderer.render(t, environment: environment).text
        } catch var d as Diagnostic {
            if let l = location { d.location = l }
            throw d
        }
    }
}
