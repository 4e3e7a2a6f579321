import Foundation
import PostgresAdapter
import Warehouse

/// One private PostgreSQL for the whole test process (fsync off), started through Strata's own LocalServer,
/// and a fresh database per test made with CREATE DATABASE … TEMPLATE (about 0.1 s).
public enum TestPostgres {
    public static let server = LocalServer(directory: serverDirectory, durable: false)

    /// `.build/test-postgres`, unless the server user could not reach it (a clone under /root, say): then /tmp.
    static var serverDirectory: URL {
        let preferred = URL(fileURLWithPath: repositoryRoot).appendingPathComponent(".build/test-postgres")
        guard geteuid() == 0 else { return preferred }
        var dir = URL(fileURLWithPath: repositoryRoot)
        while dir.path != "/" {
            var st = stat()
            if stat(dir.path, &st) == 0, st.st_mode & 0o001 == 0 {
                return URL(fileURLWithPath: "/tmp/strata-test-postgres-\(getuid())")
            }
            dir.deleteLastPathComponent()
        }
        return preferred
    }

    /// The server's admin connection string, starting the server on first use.
    static let admin: Result<String, Error> = Result {
        try server.ensureRunning(database: "strata_test_template")
    }

    /// A new empty database; its conninfo. Call `drop` when done.
    public static func freshDatabase() throws -> TestDatabase {
        _ = try admin.get()
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20).lowercased()
        let conn = try PostgresConnection(conninfo: server.conninfo(database: "postgres"))
        defer { conn.close() }
        try conn.execute("CREATE DATABASE \(SQLDialect.postgres.quote(name)) TEMPLATE strata_test_template")
        return TestDatabase(name: name, conninfo: server.conninfo(database: name))
    }
}

/// A database created for one test.
public struct TestDatabase: Sendable {
    public let name: String
    public let conninfo: String

    public func connect() throws -> PostgresConnection { try PostgresConnection(conninfo: conninfo) }

    public func drop() {
        guard let conn = try? PostgresConnection(conninfo: TestPostgres.server.conninfo(database: "postgres")) else { return }
        defer { conn.close() }
        _ = try? conn.execute("DROP DATABASE IF EXISTS \(SQLDialect.postgres.quote(name)) WITH (FORCE)")
    }
}
