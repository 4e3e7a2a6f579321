import Foundation
import Testing
import Artifacts
import Basics
import Compilation
import Materialization
import PostgresAdapter
import StrataTestSupport
import Warehouse

/// Faults injected into real runs: statement and lock timeouts, a terminated backend, a server restart.
/// Each time the model fails naming itself, keeps its previous contents, skips its descendants, and the next run
/// succeeds with nothing left over (no staging relation, no advisory lock).
@Suite struct FaultTests {
    /// A model that blocks on advisory lock 4242 when `var('wait')` is set, so a fault can be injected while it runs.
    static let files: [String: String] = [
        "strata.yml": "name: f\n",
        "models/t.sql": "{{ config(materialized='table') }}select {{ var('n', 1) }} as id{% if var('wait', false) %} from (select pg_advisory_lock(4242)) w{% endif %}",
        "models/after_t.sql": "select id from {{ ref('t') }}",
        "models/independent.sql": "{{ config(materialized='table') }}select 7 as x",
    ]

    static func leftovers(_ c: PostgresConnection) throws -> [String?] {
        [try c.execute("SELECT count(*) FROM pg_class WHERE relname LIKE '%strata_new%'").scalar,
         // pg_locks is server-wide: only this database's locks (other tests run in parallel)
         try c.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())").scalar]
    }

    @Test func statementTimeoutFailsTheModelAndKeepsItsTable() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let p = try TempProject(Self.files)
        defer { p.remove() }
        #expect(try StrataBinary.run(["run", "--project-dir", p.root, "--database-url", db.conninfo]).status == 0)
        let holder = try db.connect()
        defer { holder.close() }
        try holder.execute("SELECT pg_advisory_lock(4242)")
        // every statement of this run may take 300 ms at most (libpq `options`, as a profile's would)
        let slow = db.conninfo + " options='-c statement_timeout=300'"
        let out = try StrataBinary.run(["run", "--project-dir", p.root, "--database-url", slow, "--vars", "{wait: true, n: 2}"])
        #expect(out.status == 1)
        #expect(out.stderr.contains("model 't' failed: canceling statement due to statement timeout [SQLSTATE 57014]"))
        #expect(out.stdout.contains("SKIP view public.after_t"))
        #expect(out.stdout.contains("OK created table public.independent"))
        try holder.execute("SELECT pg_advisory_unlock_all()")
        #expect(try holder.execute("SELECT id FROM public.t").scalar == "1")
        #expect(try Self.leftovers(holder) == ["0", "0"])
        #expect(try StrataBinary.run(["run", "--project-dir", p.root, "--database-url", db.conninfo]).status == 0)
    }

    @Test func lockTimeoutOnTheOldTableFailsTheSwapAndKeepsIt() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let p = try TempProject(Self.files)
        defer { p.remove() }
        #expect(try StrataBinary.run(["run", "--project-dir", p.root, "--database-url", db.conninfo]).status == 0)
        // a reader holds the table for the whole run: the swap cannot drop it and gives up after lock_timeout
        let reader = try db.connect()
        defer { reader.close() }
        try reader.execute("BEGIN")
        try reader.execute("LOCK TABLE public.t IN ACCESS SHARE MODE")
        let out = try StrataBinary.run(["run", "--project-dir", p.root, "--select", "t", "--database-url", db.conninfo + " options='-c lock_timeout=200'",
                                        "--vars", "{n: 2}"])
        #expect(out.status == 1)
        #expect(out.stderr.contains("model 't' failed: canceling statement due to lock timeout [SQLSTATE 55P03]"))
        #expect(out.stderr.contains("public.t was not replaced: what was there before, if anything, is as it was"))
        #expect(try reader.execute("SELECT id FROM public.t").scalar == "1")
        try reader.execute("COMMIT")
        let left = try Self.leftovers(reader)
        #expect(left == ["0", "0"], "\(left)")
        #expect(try StrataBinary.run(["run", "--project-dir", p.root, "--database-url", db.conninfo, "--vars", "{n: 2}"]).status == 0)
        #expect(try reader.execute("SELECT id FROM public.t").scalar == "2")
    }

    @Test func aTerminatedBackendFailsItsModelAndTheWorkerReconnects() throws {
        let h = try Harness(Self.files)
        defer { h.cleanup() }
        try h.run()
        let holder = try h.db.connect()
        defer { holder.close() }
        try holder.execute("SELECT pg_advisory_lock(4242)")
        try h.project.write("strata.yml", "name: f\nvars: {wait: true, n: 2}\n")
        // one worker: after its session is killed under `t`, the same worker must still build `independent`
        let results = Locked<[StepResult]>([])
        let done = DispatchSemaphore(value: 0)
        Thread {
            results.value = (try? h.run(threads: 1)) ?? []
            done.signal()
        }.start()
        let pid = try #require(try holder.blockedOnAdvisoryLock())
        #expect(try holder.execute("SELECT pg_terminate_backend($1::int)", parameters: [pid]).scalar == "t")
        done.wait()
        let byName = Dictionary(results.value.map { ($0.id.rawValue.split(separator: ".").last.map(String.init) ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byName["t"]?.status == .error)
        #expect(byName["t"]?.message.contains("model 't' failed") == true)
        #expect(byName["t"]?.message.contains("model 't' failed: lost the connection to the server: ") == true,
                "\(byName["t"]?.message ?? "")")
        #expect(byName["after_t"]?.status == .skipped)
        #expect(byName["independent"]?.status == .success)
        try holder.execute("SELECT pg_advisory_unlock_all()")
        #expect(try h.query("select id from analytics.t") == [["1"]])
        #expect(try Self.leftovers(holder) == ["0", "0"])
        try h.project.write("strata.yml", "name: f\nvars: {n: 3}\n")
        #expect(try h.run().allSatisfy { $0.status == .success })
        #expect(try h.query("select id from analytics.t") == [["3"]])
    }

    /// A managed service's idle_session_timeout cannot take the schema lock away: the run's sessions turn it off.
    @Test func anIdleSessionTimeoutDoesNotTakeTheLock() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let p = try TempProject(Self.files)
        defer { p.remove() }
        let holder = try db.connect()
        defer { holder.close() }
        try holder.execute("ALTER DATABASE \(SQLDialect.postgres.quote(db.name)) SET idle_session_timeout = '1s'")
        #expect(try StrataBinary.run(["run", "--project-dir", p.root, "--database-url", db.conninfo]).status == 0)
        try holder.execute("SELECT pg_advisory_lock(4242)")
        let running = try StrataBinary.start(["run", "--project-dir", p.root, "--database-url", db.conninfo, "--threads", "1", "--vars", "{wait: true, n: 2}"])
        #expect(try holder.blockedOnAdvisoryLock() != nil)
        // the fault is time passing: twice the timeout, with the lock session idle all along
        usleep(2_000_000)
        let schemaLocks = try holder.execute("""
            SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid()
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """).scalar
        #expect(schemaLocks == "1")
        try holder.execute("SELECT pg_advisory_unlock_all()")
        let out = try running.wait()
        #expect(out.status == 0, "\(out.all)")
        #expect(try holder.execute("SELECT id FROM public.t").scalar == "2")
    }

    /// A terminated lock session (a DBA, a proxy) stops the run: nothing starts after, the statement in flight is
    /// cancelled and rolled back, the run exits 2 saying so, and the next run succeeds.
    @Test func losingTheLockSessionStopsTheRunAndKeepsEveryRelation() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let p = try TempProject(Self.files)
        defer { p.remove() }
        #expect(try StrataBinary.run(["run", "--project-dir", p.root, "--database-url", db.conninfo]).status == 0)
        let holder = try db.connect()
        defer { holder.close() }
        try holder.execute("SELECT pg_advisory_lock(4242)")
        let running = try StrataBinary.start(["run", "--project-dir", p.root, "--database-url", db.conninfo, "--threads", "1", "--vars", "{wait: true, n: 2}"])
        let worker = try #require(try holder.blockedOnAdvisoryLock())
        let lockSession = try #require(try holder.execute("""
            SELECT pid::text FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid <> pg_backend_pid() AND pid::text <> $1
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """, parameters: [worker]).scalar)
        #expect(try holder.execute("SELECT pg_terminate_backend($1::int)", parameters: [lockSession]).scalar == "t")
        let out = try running.wait()
        #expect(out.status == 2, "\(out.all)")
        #expect(out.stderr.contains("error[R4013]: run stopped: it lost its lock on schema 'public'"), "\(out.all)")
        try holder.execute("SELECT pg_advisory_unlock_all()")
        #expect(try holder.execute("SELECT id FROM public.t").scalar == "1")
        #expect(try Self.leftovers(holder) == ["0", "0"])
        let again = try StrataBinary.run(["run", "--project-dir", p.root, "--database-url", db.conninfo, "--vars", "{n: 2}"])
        #expect(again.status == 0, "\(again.all)")
        #expect(try holder.execute("SELECT id FROM public.t").scalar == "2")
    }

    /// A run killed with SIGKILL leaves no statement running: the server notices the vanished client within a
    /// second or two (client_connection_check_interval) instead of running the orphan to its end.
    @Test func aKilledRunLeavesNoStatementRunning() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let p = try TempProject(["strata.yml": "name: f\n", "models/slow.sql": "{{ config(materialized='table') }}select 1 as x from pg_sleep(60)"])
        defer { p.remove() }
        let running = try StrataBinary.start(["run", "--project-dir", p.root, "--database-url", db.conninfo])
        let watcher = try db.connect()
        defer { watcher.close() }
        func sleeping() throws -> Int {
            Int(try watcher.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND query LIKE '%pg_sleep(60)%' AND pid <> pg_backend_pid()").scalar ?? "0") ?? 0
        }
        var waited = 0
        while try sleeping() == 0, waited < 500 { usleep(20_000); waited += 1 }
        #expect(try sleeping() == 1)
        running.signal(SIGKILL)
        _ = try running.wait()
        let killed = Date()
        while try sleeping() > 0, Date().timeIntervalSince(killed) < 10 { usleep(50_000) }
        let after = Date().timeIntervalSince(killed)
        #expect(try sleeping() == 0, "the orphaned statement still runs \(after) s after the kill")
        #expect(after < 5, "gone after \(after) s")
    }

    /// A real deadlock: a reader holds the table a swap must replace and then asks for the lock the swap holds
    /// (the swaps' advisory lock). PostgreSQL aborts the swap's transaction (the reader waits longer before it
    /// checks), the step runs again once the reader is done, and the run succeeds saying so.
    @Test func aDeadlockedSwapIsRunAgainAndSucceeds() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let p = try TempProject(Self.files)
        defer { p.remove() }
        #expect(try StrataBinary.run(["run", "--project-dir", p.root, "--database-url", db.conninfo]).status == 0)
        let reader = try db.connect()
        defer { reader.close() }
        try reader.execute("SET deadlock_timeout = '30s'")
        try reader.execute("BEGIN")
        try reader.execute("LOCK TABLE public.t IN ACCESS SHARE MODE")
        let running = try StrataBinary.start(["run", "--project-dir", p.root, "--database-url", db.conninfo, "--threads", "1", "--select", "t", "--vars", "{n: 2}"])
        // the swap now holds the swaps' advisory lock and waits for the reader's lock on t
        let watcher = try db.connect()
        defer { watcher.close() }
        var waited = 0
        while try watcher.execute("""
            SELECT count(*) FROM pg_locks WHERE NOT granted AND relation = 'public.t'::regclass
            """).scalar == "0", waited < 500 { usleep(20_000); waited += 1 }
        // the reader asks for the swap's lock: a cycle, which the swap's backend detects first
        try reader.execute("SELECT pg_advisory_xact_lock(hashtextextended('strata:swap', 0))")
        try reader.execute("COMMIT")
        let out = try running.wait()
        #expect(out.status == 0, "\(out.all)")
        #expect(out.stdout.contains("OK created table public.t") && out.stdout.contains("run again after a deadlock"), "\(out.all)")
        #expect(try reader.execute("SELECT id FROM public.t").scalar == "2")
        #expect(try Self.leftovers(reader) == ["0", "0"])
    }

    /// Refused connections are retried with backoff: a server that comes up a second after the run starts is
    /// reached; a port that stays closed fails after the retries, saying how many attempts were made.
    @Test func connectRetriesWaitForAServerThatIsStarting() throws {
        let dir = URL(fileURLWithPath: "/tmp/strata-late-\(UUID().uuidString.prefix(8))")
        let server = LocalServer(directory: dir, durable: false)
        defer { try? server.stop(); try? FileManager.default.removeItem(at: dir) }
        let conninfo = try server.ensureRunning(database: "strata")
        try server.stop()
        let p = try TempProject(Self.files)
        defer { p.remove() }
        let started = Date()
        let running = try StrataBinary.start(["run", "--project-dir", p.root, "--database-url", conninfo], environment: ["STRATA_CONNECT_RETRIES": "6"])
        // the fault: the server is down for the run's first second
        usleep(1_000_000)
        _ = try server.ensureRunning(database: "strata")
        let out = try running.wait()
        #expect(out.status == 0, "\(out.all)")
        #expect(Date().timeIntervalSince(started) >= 1)
        let closed = Date()
        let refused = try StrataBinary.run(["run", "--project-dir", p.root, "--database-url", "host=127.0.0.1 port=1 dbname=x user=postgres"],
                                           environment: ["STRATA_CONNECT_RETRIES": "3"])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("Connection refused") && refused.stderr.contains("(after 4 attempts)"), "\(refused.all)")
        #expect(Date().timeIntervalSince(closed) >= 1.75)   // 0.25 + 0.5 + 1 s of backoff
    }

    /// The fault soak, short: a few runs of a generated project, each with a random fault, and the invariants
    /// checked after each (RELIABILITY.md has the figures of a long run of `scripts/soak`).
    @Test func aShortFaultSoakKeepsEveryInvariant() throws {
        let soak = Process()
        soak.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        soak.arguments = ["python3", repositoryRoot + "/scripts/soak", "--iterations", "3", "--seed", "3", "--strata", StrataBinary.path]
        let out = Pipe()
        soak.standardOutput = out
        soak.standardError = out
        try soak.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        soak.waitUntilExit()
        #expect(soak.terminationStatus == 0, "\(text)")
        #expect(text.contains("soak: 3 faulted runs and 3 clean runs") && text.contains("invariant violations: 0"), "\(text)")
    }

    @Test func aServerRestartMidRunFailsTheModelAndTheNextRunSucceeds() throws {
        // a server of its own: restarting the shared test server would disturb the other tests
        let dir = URL(fileURLWithPath: "/tmp/strata-restart-\(UUID().uuidString.prefix(8))")
        let server = LocalServer(directory: dir, durable: false)
        defer { try? server.stop(); try? FileManager.default.removeItem(at: dir) }
        let conninfo = try server.ensureRunning(database: "strata")
        let p = try TempProject(Self.files)
        defer { p.remove() }
        #expect(try StrataBinary.run(["run", "--project-dir", p.root, "--database-url", conninfo]).status == 0)
        let holder = try PostgresConnection(conninfo: conninfo)
        try holder.execute("SELECT pg_advisory_lock(4242)")
        let running = try StrataBinary.start(["run", "--project-dir", p.root, "--database-url", conninfo, "--threads", "1", "--vars", "{wait: true, n: 2}"],
                                             environment: ["STRATA_CONNECT_RETRIES": "8"])
        #expect(try holder.blockedOnAdvisoryLock() != nil)
        try server.stop()
        holder.close()
        _ = try server.ensureRunning(database: "strata")
        let out = try running.wait()
        #expect(out.status == 1, "\(out.all)")
        #expect(out.stderr.contains("model 't' failed: lost the connection to the server"))
        #expect(out.stdout.contains("SKIP view public.after_t"))
        let check = try PostgresConnection(conninfo: conninfo)
        defer { check.close() }
        #expect(try check.execute("SELECT id FROM public.t").scalar == "1")
        #expect(try Self.leftovers(check) == ["0", "0"])
        let again = try StrataBinary.run(["run", "--project-dir", p.root, "--database-url", conninfo, "--vars", "{n: 2}"])
        #expect(again.status == 0, "\(again.all)")
        #expect(try check.execute("SELECT id FROM public.t").scalar == "2")
    }
}

/// A value shared between a test and a thread it starts.
final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: T
    init(_ value: T) { _value = value }
    var value: T {
        get { lock.withLock { _value } }
        set { lock.withLock { _value = newValue } }
    }
}

@Suite struct HugeInputIntegrationTests {
    @Test func aOneMegabyteModelBuilds() throws {
        let literal = String(repeating: "abcdefghij", count: 100_000)
        let h = try Harness(["strata.yml": "name: p\n", "models/big.sql": "{{ config(materialized='table') }}select '\(literal)' as big"])
        defer { h.cleanup() }
        #expect(try h.run().first?.status == .success)
        #expect(try h.query("select length(big) from analytics.big") == [["1000000"]])
    }
}

/// Names from project files and the command line that try to break out of their quotes.
@Suite struct InjectionTests {
    @Test func hostileNamesInSeedsContractsTestsAndFlagsStayNames() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let evil = "x\"); drop table canary; --"
        let p = try TempProject([
            "strata.yml": "name: p\n",
            "seeds/raw.csv": "\"id\",\"\(evil.replacingOccurrences(of: "\"", with: "\"\""))\",\"select\"\n1,a,b\n2,c,d\n",
            "models/m.sql": "{{ config(materialized='table') }}select id, \"\(evil.replacingOccurrences(of: "\"", with: "\"\""))\" as \"\(evil.replacingOccurrences(of: "\"", with: "\"\""))\", \"select\" from {{ ref('raw') }}",
            "models/m.yml": """
                version: 2
                models:
                  - name: m
                    columns:
                      - name: '\(evil)'
                        tests: [not_null, unique]
                """,
            "contracts/m.yml": """
                models: [m]
                columns:
                  - {name: id, data_type: integer, primary_key: true}
                  - {name: '\(evil)', data_type: text, nullable: false, unique: true}
                  - {name: select, data_type: text, accepted_values: ["b", "d", "e'); drop table canary; --"]}
                """,
        ])
        defer { p.remove() }
        let canary = try db.connect()
        defer { canary.close() }
        try canary.execute("CREATE TABLE public.canary (x int)")
        let schema = "we\"ird'; drop table canary; --"
        let out = try StrataBinary.run(["build", "--project-dir", p.root, "--database-url", db.conninfo, "--schema", schema])
        #expect(out.status == 0, "\(out.all)")
        #expect(try canary.execute("SELECT count(*) FROM public.canary").scalar == "0")   // still there
        let q = SQLDialectQuote.quote
        #expect(try canary.execute("SELECT count(*) FROM \(q(schema)).m").scalar == "2")
        #expect(try canary.execute("SELECT count(*) FROM pg_attribute WHERE attrelid = '\(q(schema).replacingOccurrences(of: "'", with: "''")).m'::regclass AND attname = $1", parameters: [evil]).scalar == "1")
    }
}

enum SQLDialectQuote {
    static func quote(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
