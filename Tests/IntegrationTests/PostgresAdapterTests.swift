import Foundation
import Testing
import PostgresAdapter
import StrataTestSupport
import Warehouse

@Suite struct PostgresAdapterTests {
    @Test func bindsParametersAsValuesNotSQL() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let c = try db.connect()
        defer { c.close() }
        try c.execute("CREATE TABLE t (id int, name text)")
        let hostile = "x'); DROP TABLE t; --"
        try c.execute("INSERT INTO t VALUES ($1::int, $2)", parameters: ["1", hostile])
        try c.execute("INSERT INTO t VALUES ($1::int, $2)", parameters: ["2", nil])
        let r = try c.execute("SELECT id, name FROM t ORDER BY id")
        #expect(r.columns == ["id", "name"])
        #expect(r.rows == [["1", hostile], ["2", nil]])
    }

    @Test func errorsCarrySQLStateMessageHintAndPosition() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let c = try db.connect()
        defer { c.close() }
        do {
            try c.execute("SELECT nosuch FROM pg_class")
            Issue.record("expected an error")
        } catch let e as WarehouseError {
            #expect(e.sqlState == "42703")
            #expect(e.message == "column \"nosuch\" does not exist")
            #expect(e.position == 8)
            #expect(e.kind == .statement)
        }
        // the connection is still usable after an error
        #expect(try c.execute("SELECT 1").scalar == "1")
    }

    @Test func transactionRollsBackOnError() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let c = try db.connect()
        defer { c.close() }
        try c.execute("CREATE TABLE t (id int)")
        #expect(throws: WarehouseError.self) {
            try c.transaction {
                try c.execute("INSERT INTO t VALUES (1)")
                try c.execute("INSERT INTO t VALUES ('not a number')")
            }
        }
        #expect(try c.execute("SELECT count(*) FROM t").scalar == "0")
    }

    @Test func copyInStreamsChunksAndReportsBadRows() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let c = try db.connect()
        defer { c.close() }
        try c.execute("CREATE TABLE t (id int, name text)")
        let chunks: [[UInt8]] = [Array("1,a\n2,".utf8), Array("b\n3,\n".utf8)]
        #expect(try c.copyIn("COPY t FROM STDIN WITH (FORMAT csv)", chunks: AnySequence(chunks)) == 3)
        #expect(try c.execute("SELECT count(*), count(name) FROM t").rows == [["3", "2"]])
        do {
            _ = try c.copyIn("COPY t FROM STDIN WITH (FORMAT csv)", chunks: AnySequence([Array("4,d\nx,e\n".utf8)]))
            Issue.record("expected an error")
        } catch let e as WarehouseError {
            #expect(e.sqlState == "22P02")
            #expect(e.context?.contains("line 2") == true)
        }
        #expect(try c.execute("SELECT count(*) FROM t").scalar == "3")
    }

    @Test func unreachableServerAndBadCredentialsAreConnectionErrors() throws {
        #expect(throws: WarehouseError.self) { try PostgresConnection(conninfo: "host=127.0.0.1 port=1 connect_timeout=2 dbname=x") }
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        do {
            _ = try PostgresConnection(conninfo: db.conninfo + " user=no_such_role")
            Issue.record("expected an error")
        } catch let e as WarehouseError {
            #expect(e.kind == .connection)
            #expect(e.message.contains("no_such_role"))
        }
    }

    @Test func parsesConnectionStringsWithoutConnecting() throws {
        let kw = try PostgresAdapter.parseConninfo("postgresql://ada:pw@db.example:6543/analytics?sslmode=require")
        #expect(kw["host"] == "db.example")
        #expect(kw["port"] == "6543")
        #expect(kw["dbname"] == "analytics")
        #expect(kw["sslmode"] == "require")
        #expect(throws: WarehouseError.self) { try PostgresAdapter.parseConninfo("host=x bogus_keyword=1") }
        #expect(PostgresAdapter.keywordString([("password", "it's \\ odd")]) == "password='it\\'s \\\\ odd'")
    }
}

@Suite struct ConnectRetryTests {
    final class Delays: @unchecked Sendable {
        let lock = NSLock()
        var values: [Double] = []
        func add(_ d: Double) { lock.withLock { values.append(d) } }
    }

    @Test func transientFailuresAreRetriedWithBackoffThenReported() throws {
        let delays = Delays()
        let retry = ConnectRetry(retries: 3, initialDelay: 0.25, maxDelay: 0.6, sleep: { delays.add($0) })
        // nothing listens on this socket directory: "No such file or directory" may pass (a server starting up)
        do {
            _ = try PostgresAdapter(conninfo: "host=/nonexistent-strata-socket port=5432 dbname=x connect_timeout=2", retry: retry).connect()
            Issue.record("expected a connection error")
        } catch let e as WarehouseError {
            #expect(e.message.hasSuffix("(after 4 attempts)"), "\(e.message)")
        }
        #expect(delays.values == [0.25, 0.5, 0.6])
    }

    @Test func permanentFailuresAreNotRetried() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let delays = Delays()
        let retry = ConnectRetry(retries: 5, sleep: { delays.add($0) })
        for conninfo in [db.conninfo + " user=no_such_role", db.conninfo + " dbname=no_such_database", "host=127.0.0.1 port=1 sslmode=nonsense"] {
            #expect(throws: WarehouseError.self) { _ = try PostgresAdapter(conninfo: conninfo, retry: retry).connect() }
        }
        #expect(delays.values.isEmpty)
        // sslmode reaches libpq (which validates it; over the test server's Unix socket SSL does not apply)
        do { _ = try PostgresConnection(conninfo: db.conninfo + " sslmode=nonsense") } catch let e as WarehouseError {
            #expect(e.message.contains("sslmode"))
        }
        #expect(try PostgresConnection(conninfo: db.conninfo + " sslmode=disable").isEncrypted == false)
    }

    @Test func debugSaysWhetherTheConnectionIsEncrypted() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let p = try TempProject(["strata.yml": "name: d\n"])
        defer { p.remove() }
        let out = try StrataBinary.run(["debug", "--project-dir", p.root, "--database-url", db.conninfo + " sslmode=prefer"])
        #expect(out.status == 0, "\(out.all)")
        #expect(out.stdout.contains("sslmode=prefer"))
        #expect(out.stdout.contains("encrypted: no"))
    }
}

@Suite struct ProfileRoleTests {
    @Test func theProfilesRoleIsTheSessionsRole() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let role = "transformer_\(UUID().uuidString.prefix(8).lowercased())"
        let admin = try db.connect()
        defer { _ = try? admin.execute("DROP ROLE IF EXISTS \(role)"); admin.close() }
        try admin.execute("CREATE ROLE \(role)")
        // what ProfileLoader passes for `role:` and `search_path:`
        let c = try PostgresConnection(conninfo: db.conninfo + " options='-c search_path=a,\\\\ public -c role=\(role)'")
        defer { c.close() }
        #expect(try c.execute("SELECT current_user, current_setting('search_path')").rows == [[role, "a, public"]])
    }
}
