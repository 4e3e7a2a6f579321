import Foundation
import Basics
import PostgresAdapter
import ProjectLoading
import ProjectModel

/// Where the connection came from, for `strata debug`.
enum ConnectionSource: Equatable {
    case flag, environmentURL, profile(String), libpqEnvironment, localServer(String)
    var description: String {
        switch self {
        case .flag: return "--database-url"
        case .environmentURL: return "STRATA_DATABASE_URL"
        case .profile(let f): return "profile in \(f)"
        case .libpqEnvironment: return "PG* environment variables"
        case .localServer(let d): return "private PostgreSQL in \(d)"
        }
    }
}

/// A resolved connection target. The conninfo may hold a password: never print it unredacted.
struct ResolvedConnection {
    var source: ConnectionSource
    var target: TargetInfo
    /// nil for the local server until it is started (`conninfo()` starts it).
    var conninfo: String?
    var localServer: LocalServer?
    /// Extra connection attempts after transient failures: the profile's `retries`, or STRATA_CONNECT_RETRIES.
    var retries = 1

    /// STRATA_CONNECT_RETRIES overrides the profile's `retries`.
    func withRetries(from environment: [String: String]) -> ResolvedConnection {
        var copy = self
        if let r = environment["STRATA_CONNECT_RETRIES"].flatMap(Int.init), r >= 0 { copy.retries = min(r, 20) }
        return copy
    }

    var retryPolicy: ConnectRetry { ConnectRetry(retries: retries) }

    /// Every session a command opens goes through the adapter, with the retry policy.
    func adapter(_ conninfo: String) -> PostgresAdapter { PostgresAdapter(conninfo: conninfo, retry: retryPolicy) }

    /// The connection to use without starting anything: the configured one, or the private server when it is
    /// already running (commands that only read — compile, docs, lineage, contracts diff — never start one).
    var conninfoWithoutStarting: String? {
        if let conninfo { return conninfo }
        if let server = localServer, case .running = server.status { return server.conninfo(database: target.database) }
        return nil
    }

    var redacted: String { conninfo.map(Redaction.connectionString) ?? "(private server, started on demand)" }
}

/// Resolves the connection in the documented order: flag/env URL → profiles.yml → PG* env → private local server.
struct ConnectionResolver {
    let options: GlobalOptions
    let project: Project
    let environment: [String: String]

    func resolve() throws -> ResolvedConnection {
        let schemaOverride = options.schema
        if let url = options.databaseURL ?? environment["STRATA_DATABASE_URL"] {
            let kw = try PostgresAdapter.parseConninfo(url)
            let user = kw["user"] ?? environment["PGUSER"] ?? NSUserName()
            let info = TargetInfo(name: options.target ?? "default", schema: schemaOverride ?? "public", database: kw["dbname"] ?? user, user: user,
                                  threads: options.threads ?? 4)
            return ResolvedConnection(source: options.databaseURL != nil ? .flag : .environmentURL, target: info, conninfo: url).withRetries(from: environment)
        }
        let loader = ProfileLoader(environment: environment)
        let profileName = project.profileName ?? project.name
        if let p = try loader.load(profileName: profileName, targetName: options.target,
                                   searchPath: loader.searchPath(explicit: options.profilesDir, projectRoot: project.root),
                                   required: project.profileName != nil && hasAnyProfilesFile(loader)) {
            var info = p.info
            if let s = schemaOverride { info.schema = s }
            if let t = options.threads { info.threads = t }
            var resolved = ResolvedConnection(source: .profile(p.file), target: info, conninfo: PostgresAdapter.keywordString(p.keywords))
            resolved.retries = p.retries
            return resolved.withRetries(from: environment)
        }
        let pgVars = ["PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE"]
        if pgVars.contains(where: { environment[$0] != nil }) {
            let user = environment["PGUSER"] ?? NSUserName()
            let info = TargetInfo(name: options.target ?? "default", schema: schemaOverride ?? "public", database: environment["PGDATABASE"] ?? user,
                                  user: user, threads: options.threads ?? 4)
            return ResolvedConnection(source: .libpqEnvironment, target: info, conninfo: "").withRetries(from: environment)
        }
        let server = LocalServer(directory: URL(fileURLWithPath: project.root).appendingPathComponent(".strata/postgres"))
        let info = TargetInfo(name: options.target ?? "local", schema: schemaOverride ?? "public", database: "strata", user: LocalServer.superuser,
                              threads: options.threads ?? 4)
        return ResolvedConnection(source: .localServer(server.directory.path), target: info, conninfo: nil, localServer: server)
    }

    /// A project that names a profile only requires it when some profiles.yml exists at all.
    private func hasAnyProfilesFile(_ loader: ProfileLoader) -> Bool {
        loader.searchPath(explicit: options.profilesDir, projectRoot: project.root).contains {
            FileManager.default.fileExists(atPath: ($0 as NSString).appendingPathComponent("profiles.yml"))
        }
    }
}

extension ResolvedConnection {
    /// The connection string, starting the private server first when that is the target.
    mutating func connectionString(log: (String) -> Void) throws -> String {
        if let c = conninfo { return c }
        guard let server = localServer else { return "" }
        let c = try server.ensureRunning(database: target.database, log: log)
        conninfo = c
        return c
    }
}
