import Foundation
import Testing
import Artifacts
import Basics
import Compilation
import Contracts
import Materialization
import PostgresAdapter
import ProjectLoading
import ProjectModel
import StrataTestSupport
import Warehouse

/// Compiles a temp project against a fresh database and runs it through the real executor.
struct Harness: @unchecked Sendable {
    let project: TempProject
    let db: TestDatabase
    var fullRefresh = false

    init(_ files: [String: String]) throws {
        project = try TempProject(files)
        db = try TestPostgres.freshDatabase()
    }

    func cleanup() {
        project.remove()
        db.drop()
    }

    /// `buildsAfter`: compiled for a run, so renders that fail on a database answer wait for the build.
    func compile(buildsAfter: Bool = false) throws -> CompiledProject {
        let p = try ProjectLoader().load(directory: project.root)
        let conninfo = db.conninfo
        let shared = SharedConnection(readOnly: buildsAfter) { try PostgresConnection(conninfo: conninfo) }
        let catalog = try db.connect()
        defer { catalog.close() }
        let existing = try WarehouseCatalog(catalog).existingTables(database: db.name)
        var options = CompileOptions(target: TargetInfo(schema: "analytics", database: db.name), environment: [:],
                                     existingTables: existing, fullRefresh: fullRefresh, connection: shared)
        options.rendersAgainWhenBuilt = buildsAfter
        let compiled = try Compiler(project: p, options: options).compile()
        return compiled
    }

    @discardableResult
    func run(select: [String] = [], seeds: Bool = false, snapshots: Bool = false, tests: Bool = false, build: Bool = false, threads: Int = 2, failFast: Bool = false,
             at time: Date = Date(), planner: Planner = Planner()) throws -> [StepResult] {
        let compiled = try compile(buildsAfter: true)
        let selected = try compiled.graph.select(select, exclude: [], projectName: compiled.projectName)
        let plan = seeds ? Planner().planSeeds(compiled, selected: selected)
            : snapshots ? Planner().planSnapshots(compiled, selected: selected)
            : tests ? planner.planTests(compiled, selected: selected)
            : build ? Planner().planBuild(compiled, selected: selected)
            : planner.plan(compiled, selected: selected)
        return try Executor(adapter: PostgresAdapter(conninfo: db.conninfo), projectRoot: project.root, runStartedAt: time)
            .run(plan, options: ExecutionOptions(threads: threads, failFast: failFast, lockSchema: "analytics"), observer: SilentObserver())
    }

    func query(_ sql: String) throws -> [[String?]] {
        let c = try db.connect()
        defer { c.close() }
        return try c.execute(sql).rows
    }
}

struct SilentObserver: ExecutionObserver {
    func stepStarted(_ step: PlanStep, index: Int, total: Int) {}
    func stepFinished(_ step: PlanStep, result: StepResult, index: Int, total: Int) {}
    func waitingForLock(schema: String) {}
}

@Suite struct MaterializationTests {
    @Test func buildsViewsAndTablesInDependencyOrder() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/a.sql": "select generate_series(1, 5) as id",
            "models/b.sql": "{{ config(materialized='table') }}select id * 2 as twice from {{ ref('a') }}",
            "models/c.sql": "select sum(twice) as total from {{ ref('b') }}",
        ])
        defer { h.cleanup() }
        let results = try h.run()
        #expect(results.map(\.status) == [.success, .success, .success])
        #expect(results.first { $0.id == .model("p", "b") }?.rowsAffected == 5)
        #expect(try h.query("select total from analytics.c") == [["30"]])
        #expect(try h.query("select relkind::text from pg_class where relname in ('a', 'b', 'c') order by relname") == [["v"], ["r"], ["v"]])
    }

    @Test func rebuildKeepsDependentViewsWithTheirGrantsAndComments() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/orders.sql": "{{ config(materialized='table') }}select generate_series(1, 3) as id",
        ])
        defer { h.cleanup() }
        try h.run()
        let c = try h.db.connect()
        defer { c.close() }
        // a role name with a space and a quote, to exercise aclitem quoting
        let role = "reader \"x\" \(h.db.name)"
        let quotedRole = "\"" + role.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        try c.execute("CREATE ROLE \(quotedRole)")
        try c.execute("CREATE VIEW public.outside AS SELECT id FROM analytics.orders WHERE id > 1")
        try c.execute("CREATE VIEW public.outside2 AS SELECT count(*) AS n FROM public.outside")
        try c.execute("CREATE MATERIALIZED VIEW public.mv AS SELECT max(id) AS m FROM analytics.orders")
        try c.execute("GRANT SELECT ON public.outside TO \(quotedRole)")
        try c.execute("COMMENT ON VIEW public.outside IS 'owned by another team'")
        try c.execute("GRANT SELECT ON analytics.orders TO \(quotedRole)")
        // new data: the rebuild must keep every dependent, now reading the new table
        try h.project.write("models/orders.sql", "{{ config(materialized='table') }}select generate_series(1, 10) as id")
        let results = try h.run()
        #expect(results.map(\.status) == [.success])
        #expect(try h.query("select n from public.outside2") == [["9"]])
        #expect(try h.query("select m from public.mv") == [["10"]])
        let c2 = try h.db.connect()
        defer { c2.close() }
        #expect(try c2.execute("select has_table_privilege($1, 'public.outside', 'SELECT')", parameters: [role]).rows == [["t"]])
        #expect(try c2.execute("select has_table_privilege($1, 'analytics.orders', 'SELECT')", parameters: [role]).rows == [["t"]])
        try c2.execute("DROP OWNED BY \(quotedRole)")
        try c2.execute("DROP ROLE \(quotedRole)")
        #expect(try h.query("select obj_description('public.outside'::regclass)") == [["owned by another team"]])
        #expect(try h.query("select count(*) from pg_class where relname like '%strata_new%'") == [["0"]])
    }

    @Test func failedBuildLeavesThePreviousRelationIntactAndSkipsDescendants() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/t.sql": "{{ config(materialized='table') }}select 1 as id",
            "models/v.sql": "select id from {{ ref('t') }}",
            "models/other.sql": "select 42 as answer",
        ])
        defer { h.cleanup() }
        try h.run()
        try h.project.write("models/t.sql", "{{ config(materialized='table') }}\nselect 1 as id,\n  1 / 0 as boom")
        let results = try h.run()
        let byName = Dictionary(uniqueKeysWithValues: results.map { ($0.id.rawValue, $0) })
        #expect(byName["model.p.t"]?.status == .error)
        #expect(byName["model.p.v"]?.status == .skipped)
        #expect(byName["model.p.other"]?.status == .success)
        let d = try #require(byName["model.p.t"]?.diagnostic)
        #expect(d.message.contains("division by zero"))
        #expect(d.location?.file == "models/t.sql")
        #expect(try h.query("select id from analytics.t") == [["1"]])
        #expect(try h.query("select count(*) from pg_class where relname like '%strata_new%'") == [["0"]])
    }

    @Test func concurrentReadersAlwaysSeeTheOldOrTheNewRelation() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/t.sql": "{{ config(materialized='table') }}select generate_series(1, 1000) as id",
            "models/v.sql": "select count(*) as n from {{ ref('t') }}",
        ])
        defer { h.cleanup() }
        try h.run()
        let reader = try h.db.connect()
        defer { reader.close() }
        final class Outcome: @unchecked Sendable {
            let lock = NSLock()
            var reads = 0
            var failures: [String] = []
            var done = false
        }
        let outcome = Outcome()
        let finished = DispatchSemaphore(value: 0)
        let thread = Thread {
            // Bounded: stops when the rebuilds are done, or after 20,000 reads.
            for _ in 0..<20_000 {
                if outcome.lock.withLock({ outcome.done }) { break }
                do {
                    let n = try reader.execute("select n from analytics.v").scalar
                    if n != "1000" { outcome.lock.withLock { outcome.failures.append("saw \(n ?? "null") rows") } }
                } catch {
                    outcome.lock.withLock { outcome.failures.append("\(error)") }
                }
                outcome.lock.withLock { outcome.reads += 1 }
            }
            finished.signal()
        }
        thread.start()
        for _ in 0..<5 { #expect(try h.run().allSatisfy { $0.status == .success }) }
        outcome.lock.withLock { outcome.done = true }
        finished.wait()
        #expect(outcome.failures.isEmpty, "\(outcome.failures.prefix(3))")
        #expect(outcome.reads > 0)
    }

    @Test func sqlErrorPositionMapsToTheModelLine() throws {
        let h = try Harness(["strata.yml": "name: p\n", "models/m.sql": "{{ config(materialized='table') }}\nselect\n  1 as id,\n  missing_column as x"])
        defer { h.cleanup() }
        let d = try #require(try h.run().first?.diagnostic)
        #expect(d.location == SourceLocation(file: "models/m.sql", line: 4, column: 3))
        #expect(d.code == "R4001")
    }

    @Test func aDependentViewThatNoLongerFitsFailsTheSwapAndKeepsEverything() throws {
        let h = try Harness(["strata.yml": "name: p\n", "models/t.sql": "{{ config(materialized='table') }}select 1 as id, 'x' as name"])
        defer { h.cleanup() }
        try h.run()
        let c = try h.db.connect()
        defer { c.close() }
        try c.execute("CREATE VIEW public.uses_name AS SELECT name FROM analytics.t")
        try h.project.write("models/t.sql", "{{ config(materialized='table') }}select 2 as id")
        let r = try #require(try h.run().first)
        #expect(r.status == .error)
        #expect(r.diagnostic?.message.contains("dependent view public.uses_name") == true)
        #expect(try h.query("select id, name from analytics.t") == [["1", "x"]])
        #expect(try h.query("select name from public.uses_name") == [["x"]])
    }

    @Test func viewToTableAndBackChangesTheRelationKind() throws {
        let h = try Harness(["strata.yml": "name: p\n", "models/m.sql": "select 1 as id"])
        defer { h.cleanup() }
        try h.run()
        try h.project.write("models/m.sql", "{{ config(materialized='table') }}select 1 as id")
        try h.run()
        #expect(try h.query("select relkind::text from pg_class where relname = 'm'") == [["r"]])
        try h.project.write("models/m.sql", "select 2 as id")
        try h.run()
        #expect(try h.query("select relkind::text, (select id from analytics.m) from pg_class where relname = 'm'") == [["v", "2"]])
    }

    @Test func unknownIncrementalStrategyIsACompileError() throws {
        let h = try Harness(["strata.yml": "name: p\n", "models/inc.sql": "{{ config(materialized='incremental', incremental_strategy='mrege') }}select 1 as id"])
        defer { h.cleanup() }
        do {
            _ = try h.compile()
            Issue.record("expected an error")
        } catch let e as DiagnosticError {
            #expect(e.diagnostics.first?.code == "C3002")
            #expect(e.diagnostics.first?.message.contains("did you mean 'merge'?") == true)
        }
    }

    @Test func failFastSkipsTheRest() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/a_bad.sql": "select 1/0 as x",
            "models/b.sql": "{{ config(materialized='table') }}select pg_sleep(0) as y",
        ])
        defer { h.cleanup() }
        // views are validated at build; the table then may or may not run depending on timing, but never both run with one failing
        let results = try h.run(threads: 1, failFast: true)
        #expect(results.contains { $0.status == .error })
        #expect(results.count == 2)
    }

    @Test func secondRunWaitsForTheSchemaLockOrTimesOut() throws {
        let h = try Harness(["strata.yml": "name: p\n", "models/m.sql": "select 1 as id"])
        defer { h.cleanup() }
        let holder = try h.db.connect()
        defer { holder.close() }
        try holder.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", parameters: ["strata:analytics"])
        let compiled = try h.compile()
        let plan = Planner().plan(compiled, selected: Set(compiled.nodes.keys))
        let executor = Executor(adapter: PostgresAdapter(conninfo: h.db.conninfo), projectRoot: h.project.root)
        do {
            _ = try executor.run(plan, options: ExecutionOptions(threads: 1, lockTimeout: 0.2, lockSchema: "analytics"), observer: SilentObserver())
            Issue.record("expected a lock timeout")
        } catch let e as ExecutionError {
            #expect(e.description.contains("holds the lock on schema 'analytics'"))
        }
        #expect(try h.query("select count(*) from pg_class where relname = 'm'") == [["0"]])
        try holder.execute("SELECT pg_advisory_unlock_all()")
        let results = try executor.run(plan, options: ExecutionOptions(threads: 1, lockTimeout: 5, lockSchema: "analytics"), observer: SilentObserver())
        #expect(results.map(\.status) == [.success])
    }

    @Test func hostileNamesAreQuoted() throws {
        let h = try Harness([
            "strata.yml": "name: p\nmodels:\n  p:\n    +schema: 'we\"ird sch; drop'\n",
            "models/select.sql": "{{ config(alias='Order Items \"v2\"', materialized='table') }}select 1 as id",
        ])
        defer { h.cleanup() }
        let r = try h.run()
        #expect(r.map(\.status) == [.success])
        #expect(try h.query("select count(*) from \"analytics_we\"\"ird sch; drop\".\"Order Items \"\"v2\"\"\"") == [["1"]])
    }
}

@Suite struct ContextIntegrationTests {
    @Test func surrogateKeysEqualWhatPostgresComputesIncludingNullsAndNonText() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/keys.sql": """
            {{ config(materialized='table') }}
            select id, {{ surrogate_key(['id', 'name', 'amount', 'day']) }} as md5_key,
                   {{ surrogate_key(['id', 'name', 'amount', 'day'], kind='uuid5') }} as uuid_key
            from (values (1, 'a', 1.50::numeric, date '2024-01-02'), (2, null, null, null)) as t(id, name, amount, day)
            """,
        ])
        defer { h.cleanup() }
        #expect(try h.run().map(\.status) == [.success])
        let n = "_dbt_utils_surrogate_key_null_"
        let rows = try h.query("""
            select id,
                   md5_key = md5('1-a-1.50-2024-01-02') or md5_key = md5('2-\(n)-\(n)-\(n)'),
                   uuid_key = uuid_generate_v5(uuid_ns_url(), '1-a-1.50-2024-01-02') or uuid_key = uuid_generate_v5(uuid_ns_url(), '2-\(n)-\(n)-\(n)')
            from analytics.keys order by id
            """)
        #expect(rows == [["1", "t", "t"], ["2", "t", "t"]])
        #expect(try h.query("select extname from pg_extension where extname = 'uuid-ossp'") == [["uuid-ossp"]])
    }

    @Test func surrogateKeyConfigAddsAColumnAContractCanRelyOn() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/lines.sql": "{{ config(materialized='table', surrogate_key={'name': 'line_sk', 'columns': ['order_id', 'line'], 'kind': 'uuid5'}) }}select * from (values (1, 1), (1, 2), (2, 1)) as t(order_id, line)",
        ])
        defer { h.cleanup() }
        #expect(try h.run().map(\.status) == [.success])
        #expect(try h.query("select count(distinct line_sk), bool_and(line_sk = uuid_generate_v5(uuid_ns_url(), order_id || '-' || line)) from analytics.lines") == [["3", "t"]])
    }

    @Test func runQueryReadsTheDatabaseWhileRendering() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/m.sql": "{% set r = run_query('select 41 + 1 as answer') %}select {{ r.columns[0].values()[0] }} as answer",
        ])
        defer { h.cleanup() }
        #expect(try h.run().map(\.status) == [.success])
        #expect(try h.query("select answer from analytics.m") == [["42"]])
    }
}

@Suite struct SeedTests {
    @Test func loadsCSVWithInferredTypesAndNulls() throws {
        let h = try Harness([
            "strata.yml": "name: p\nseeds:\n  p:\n    +schema: raw\n    people:\n      +column_types:\n        score: 'numeric(6,2)'\n",
            "seeds/people.csv": "id,name,born,active,score,note\n1,Ada,1815-12-10,true,99.5,\"says \"\"hi\"\"\"\n2,Alan,1912-06-23,false,88,\n3000000000,\"Multi\nline\",2000-01-01,TRUE,1.25,x\n",
        ])
        defer { h.cleanup() }
        let r = try h.run(seeds: true)
        #expect(r.map(\.status) == [.success])
        #expect(r.first?.rowsAffected == 3)
        let types = try h.query("select column_name, data_type from information_schema.columns where table_schema = 'analytics_raw' and table_name = 'people' order by ordinal_position")
        #expect(types.map { $0[1]! } == ["bigint", "text", "date", "boolean", "numeric", "text"])
        #expect(try h.query("select note from analytics_raw.people where id = 1") == [["says \"hi\""]])
        #expect(try h.query("select note is null from analytics_raw.people where id = 2") == [["t"]])
        // reloading replaces the contents atomically
        try h.project.write("seeds/people.csv", "id,name,born,active,score,note\n7,Grace,1906-12-09,true,100,y\n")
        try h.run(seeds: true)
        #expect(try h.query("select id, name from analytics_raw.people") == [["7", "Grace"]])
    }

    @Test func sameColumnsTruncateAndReloadChangedColumnsRebuild() throws {
        let h = try Harness(["strata.yml": "name: p\nseeds:\n  p:\n    s:\n      +column_types: {amount: 'numeric(12,2)'}\n", "seeds/s.csv": "id,amount\n1,1.50\n"])
        defer { h.cleanup() }
        try h.run(seeds: true)
        let oid = try h.query("select 'analytics.s'::regclass::oid")
        try h.project.write("seeds/s.csv", "id,amount\n2,2.50\n3,3.50\n")
        #expect(try h.run(seeds: true).first?.rowsAffected == 2)
        #expect(try h.query("select 'analytics.s'::regclass::oid") == oid) // the same table, truncated and reloaded
        #expect(try h.query("select id, amount from analytics.s order by id") == [["2", "2.50"], ["3", "3.50"]])
        try h.project.write("seeds/s.csv", "id,amount,note\n4,4.50,x\n")
        try h.run(seeds: true)
        #expect(try h.query("select 'analytics.s'::regclass::oid") != oid) // a new column: rebuilt
        #expect(try h.query("select note from analytics.s") == [["x"]])
    }

    @Test func delimiterAndQuoteColumns() throws {
        let h = try Harness([
            "strata.yml": "name: p\nseeds:\n  p:\n    +delimiter: ';'\n    +quote_columns: false\n",
            "seeds/s.csv": "Id;Full Name\n1;\"Lovelace; Ada\"\n",
        ])
        defer { h.cleanup() }
        #expect(try h.run(seeds: true).map(\.status) == [.success])
        #expect(try h.query("select id, \"full name\" from analytics.s") == [["1", "Lovelace; Ada"]])
    }

    @Test func raggedRowIsALocatedErrorAndChangesNothing() throws {
        let h = try Harness(["strata.yml": "name: p\n", "seeds/s.csv": "a,b\n1,2\n"])
        defer { h.cleanup() }
        try h.run(seeds: true)
        try h.project.write("seeds/s.csv", "a,b\n1,2\n3\n")
        let r = try #require(try h.run(seeds: true).first)
        #expect(r.status == .error)
        #expect(r.diagnostic?.location == SourceLocation(file: "seeds/s.csv", line: 3, column: 1))
        #expect(try h.query("select a, b from analytics.s") == [["1", "2"]])
    }

    @Test func valueThatDoesNotFitItsDeclaredTypeNamesTheLine() throws {
        let h = try Harness([
            "strata.yml": "name: p\nseeds:\n  p:\n    s:\n      +column_types:\n        a: integer\n",
            "seeds/s.csv": "b,a\nx,1\ny,2\nz,three\n",
        ])
        defer { h.cleanup() }
        let r = try #require(try h.run(seeds: true).first)
        #expect(r.status == .error)
        #expect(r.diagnostic?.location == SourceLocation(file: "seeds/s.csv", line: 4, column: 3))
        #expect(try h.query("select count(*) from pg_class where relname = 's'") == [["0"]])
    }
}

@Suite struct IncrementalTests {
    static let source = "{{ config(materialized='table') }}select * from (values (1, 'a', 10), (2, 'b', 20), (3, 'c', 30)) as t(id, name, amount)"

    func harness(_ model: String) throws -> Harness {
        try Harness(["strata.yml": "name: p\n", "models/src.sql": Self.source, "models/inc.sql": model])
    }

    /// Changes the source rows: id 2 updated, id 4 new.
    func changeSource(_ h: Harness) throws {
        try h.project.write("models/src.sql", "{{ config(materialized='table') }}select * from (values (1, 'a', 10), (2, 'B', 21), (3, 'c', 30), (4, 'd', 40)) as t(id, name, amount)")
    }

    @Test(arguments: [("merge", [["1", "a", "10"], ["2", "B", "21"], ["3", "c", "30"], ["4", "d", "40"]]),
                      ("delete+insert", [["1", "a", "10"], ["2", "B", "21"], ["3", "c", "30"], ["4", "d", "40"]])])
    func uniqueKeyStrategiesUpsert(strategy: String, expected: [[String?]]) throws {
        let h = try harness("""
        {{ config(materialized='incremental', unique_key='id', incremental_strategy='\(strategy)') }}
        select * from {{ ref('src') }}
        {% if is_incremental() %}where id >= 2{% endif %}
        """)
        defer { h.cleanup() }
        #expect(try h.run().map(\.status) == [.success, .success])
        try changeSource(h)
        let results = try h.run()
        #expect(results.map(\.status) == [.success, .success])
        #expect(try h.query("select id, name, amount from analytics.inc order by id") == expected)
        // unchanged data: running again changes nothing
        try h.run()
        #expect(try h.query("select count(*) from analytics.inc") == [["4"]])
    }

    @Test func mergeExcludeColumnsAndPredicates() throws {
        let h = try harness("""
        {{ config(materialized='incremental', unique_key='id', incremental_strategy='merge', merge_exclude_columns=['name'],
                  incremental_predicates=["DBT_INTERNAL_DEST.id > 1"]) }}
        select * from {{ ref('src') }}
        """)
        defer { h.cleanup() }
        try h.run()
        try h.project.write("models/src.sql", "{{ config(materialized='table') }}select * from (values (1, 'A', 11), (2, 'B', 21), (3, 'C', 31)) as t(id, name, amount)")
        try h.run()
        // names are excluded from updates; id 1 falls outside the predicate, so (as in dbt) it does not match and is inserted
        #expect(try h.query("select id, name, amount from analytics.inc order by id, amount") == [["1", "a", "10"], ["1", "A", "11"], ["2", "b", "21"], ["3", "c", "31"]])
    }

    @Test func mergeUpdateColumns() throws {
        let h = try harness("{{ config(materialized='incremental', unique_key='id', incremental_strategy='merge', merge_update_columns=['name']) }}select * from {{ ref('src') }}")
        defer { h.cleanup() }
        try h.run()
        try h.project.write("models/src.sql", "{{ config(materialized='table') }}select * from (values (1, 'A', 11), (2, 'B', 21), (3, 'C', 31)) as t(id, name, amount)")
        try h.run()
        #expect(try h.query("select id, name, amount from analytics.inc order by id") == [["1", "A", "10"], ["2", "B", "20"], ["3", "C", "30"]])
    }

    @Test func appendAddsOnlyWhatTheFilterLetsThrough() throws {
        let h = try harness("""
        {{ config(materialized='incremental') }}
        select * from {{ ref('src') }}
        {% if is_incremental() %}where id > (select max(id) from {{ this }}){% endif %}
        """)
        defer { h.cleanup() }
        try h.run()
        try changeSource(h)
        try h.run()
        #expect(try h.query("select id, name from analytics.inc order by id") == [["1", "a"], ["2", "b"], ["3", "c"], ["4", "d"]])
    }

    @Test func duplicateKeysInTheNewBatchFailAndLeaveTheTable() throws {
        let h = try harness("{{ config(materialized='incremental', unique_key='id', incremental_strategy='merge') }}select * from {{ ref('src') }}")
        defer { h.cleanup() }
        try h.run()
        try h.project.write("models/src.sql", "{{ config(materialized='table') }}select * from (values (1, 'x', 1), (1, 'y', 2)) as t(id, name, amount)")
        let r = try h.run()
        #expect(r.last?.status == .error)
        #expect(try h.query("select id, name from analytics.inc order by id") == [["1", "a"], ["2", "b"], ["3", "c"]])
    }

    @Test func onSchemaChangeFailNamesTheDifference() throws {
        let h = try harness("{{ config(materialized='incremental', unique_key='id', on_schema_change='fail') }}select id, name from {{ ref('src') }}")
        defer { h.cleanup() }
        try h.run()
        try h.project.write("models/inc.sql", "{{ config(materialized='incremental', unique_key='id', on_schema_change='fail') }}select id, name, amount from {{ ref('src') }}")
        let r = try #require(try h.run().last)
        #expect(r.status == .error)
        #expect(r.diagnostic?.message.contains("new columns amount integer") == true)
        #expect(try h.query("select count(*) from information_schema.columns where table_name = 'inc'") == [["2"]])
    }

    @Test func appendNewColumnsAndSyncAllColumns() throws {
        let h = try harness("{{ config(materialized='incremental', unique_key='id', on_schema_change='append_new_columns') }}select id, name from {{ ref('src') }}")
        defer { h.cleanup() }
        try h.run()
        try h.project.write("models/inc.sql", "{{ config(materialized='incremental', unique_key='id', on_schema_change='append_new_columns') }}select id, amount from {{ ref('src') }}")
        try h.run()
        #expect(try h.query("select column_name from information_schema.columns where table_name = 'inc' order by ordinal_position") == [["id"], ["name"], ["amount"]])
        #expect(try h.query("select name, amount from analytics.inc where id = 1") == [["a", "10"]])
        try h.project.write("models/inc.sql", "{{ config(materialized='incremental', unique_key='id', on_schema_change='sync_all_columns') }}select id, cast(amount as bigint) as amount from {{ ref('src') }}")
        try h.run()
        #expect(try h.query("select column_name, data_type from information_schema.columns where table_name = 'inc' order by ordinal_position") == [["id", "integer"], ["amount", "bigint"]])
    }

    @Test func fullRefreshRebuildsTheTable() throws {
        var h = try harness("{{ config(materialized='incremental', unique_key='id') }}select * from {{ ref('src') }}{% if is_incremental() %} where false{% endif %}")
        defer { h.cleanup() }
        try h.run()
        try changeSource(h)
        try h.run()
        #expect(try h.query("select count(*) from analytics.inc") == [["3"]])
        h.fullRefresh = true
        try h.run()
        #expect(try h.query("select count(*) from analytics.inc") == [["4"]])
    }
}

@Suite struct SnapshotTests {
    static func source(_ rows: String) -> String {
        "{{ config(materialized='table') }}select * from (values \(rows)) as t(id, status, updated_at)"
    }

    @Test func timestampStrategyKeepsHistoryAndIsIdempotent() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/orders.sql": Self.source("(1, 'placed', timestamp '2024-01-01'), (2, 'placed', timestamp '2024-01-01')"),
            "snapshots/orders_snapshot.sql": """
            {% snapshot orders_snapshot %}
            {{ config(target_schema='snapshots', unique_key='id', strategy='timestamp', updated_at='updated_at',
                      snapshot_meta_column_names={'dbt_updated_at': 'snapshot_updated_at'}) }}
            select * from {{ ref('orders') }}
            {% endsnapshot %}
            """,
        ])
        defer { h.cleanup() }
        try h.run()
        let first = try h.run(snapshots: true)
        #expect(first.map(\.status) == [.success], "\(first.map { $0.diagnostic?.description ?? "" })")
        #expect(try h.query("select count(*), count(valid_to) from snapshots.orders_snapshot") == [["2", "0"]])
        // order 1 ships, order 3 appears
        try h.project.write("models/orders.sql", Self.source("(1, 'shipped', timestamp '2024-01-05'), (2, 'placed', timestamp '2024-01-01'), (3, 'placed', timestamp '2024-01-06')"))
        try h.run()
        try h.run(snapshots: true)
        #expect(try h.query("select id, status, valid_from::date::text, valid_to::date::text from snapshots.orders_snapshot order by id, valid_from") == [
            ["1", "placed", "2024-01-01", "2024-01-05"], ["1", "shipped", "2024-01-05", nil], ["2", "placed", "2024-01-01", nil], ["3", "placed", "2024-01-06", nil],
        ])
        // unchanged data: nothing is added
        try h.run(snapshots: true)
        #expect(try h.query("select count(*) from snapshots.orders_snapshot") == [["4"]])
        #expect(try h.query("select count(distinct scd_id) from snapshots.orders_snapshot") == [["4"]])
    }

    @Test func checkStrategyWithHardDeletes() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/src.sql": Self.source("(1, 'a', timestamp '2024-01-01'), (2, 'b', timestamp '2024-01-01')"),
            "snapshots/s.sql": """
            {% snapshot s %}{{ config(unique_key='id', strategy='check', check_cols=['status'], hard_deletes='invalidate') }}select id, status from {{ ref('src') }}{% endsnapshot %}
            """,
            "snapshots/clash.sql": """
            {% snapshot clash %}{{ config(unique_key='id', strategy='timestamp', updated_at='updated_at') }}select * from {{ ref('src') }}{% endsnapshot %}
            """,
        ])
        defer { h.cleanup() }
        try h.run()
        let t0 = Date(timeIntervalSince1970: 1_704_067_200) // 2024-01-01
        try h.run(select: ["s"], snapshots: true, at: t0)
        try h.project.write("models/src.sql", Self.source("(1, 'a2', timestamp '2024-01-01')"))
        try h.run()
        let clash = try h.run(select: ["clash"], snapshots: true, at: t0)
        #expect(clash.first?.diagnostic?.message.contains("also the name of a snapshot meta column") == true)
        let t1 = t0.addingTimeInterval(86_400)
        let r = try h.run(select: ["s"], snapshots: true, at: t1)
        #expect(r.first?.message == "INSERT 1, CLOSED 1, DELETED 1")
        #expect(try h.query("select id, status, valid_to is null from analytics.s order by id, valid_from") == [["1", "a", "f"], ["1", "a2", "t"], ["2", "b", "f"]])
        #expect(try h.query("select valid_to::date::text from analytics.s where id = 2") == [["2024-01-02"]])
        try h.run(select: ["s"], snapshots: true, at: t1.addingTimeInterval(60))
        #expect(try h.query("select count(*) from analytics.s") == [["3"]])
    }

    @Test func dbtProjectsKeepDbtColumnNamesAndNewRecordDeletes() throws {
        let h = try Harness([
            "dbt_project.yml": "name: p\nprofile: p\n",
            "models/src.sql": Self.source("(1, 'a', timestamp '2024-01-01'), (2, 'b', timestamp '2024-01-01')"),
            "snapshots/s.sql": "{% snapshot s %}{{ config(target_schema='snaps', unique_key='id', strategy='timestamp', updated_at='updated_at', hard_deletes='new_record') }}select * from {{ ref('src') }}{% endsnapshot %}",
        ])
        defer { h.cleanup() }
        try h.run()
        try h.run(snapshots: true)
        #expect(try h.query("select column_name from information_schema.columns where table_schema = 'snaps' order by ordinal_position").map { $0[0]! }
            == ["id", "status", "updated_at", "dbt_scd_id", "dbt_updated_at", "dbt_valid_from", "dbt_valid_to", "dbt_is_deleted"])
        try h.project.write("models/src.sql", Self.source("(1, 'a', timestamp '2024-01-01')"))
        try h.run()
        try h.run(snapshots: true)
        #expect(try h.query("select id, dbt_is_deleted, dbt_valid_to is null from snaps.s order by id, dbt_valid_from") == [["1", "False", "t"], ["2", "False", "f"], ["2", "True", "t"]])
        try h.run(snapshots: true)
        #expect(try h.query("select count(*) from snaps.s") == [["3"]])
    }

    @Test func yamlDefinedSnapshotsWork() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/src.sql": Self.source("(1, 'a', timestamp '2024-01-01')"),
            "snapshots/snapshots.yml": """
            snapshots:
              - name: src_history
                relation: ref('src')
                config:
                  schema: history
                  unique_key: id
                  strategy: check
                  check_cols: all
                  snapshot_meta_column_names: {dbt_updated_at: snapshot_updated_at}
            """,
        ])
        defer { h.cleanup() }
        try h.run()
        #expect(try h.run(snapshots: true).map(\.status) == [.success])
        try h.project.write("models/src.sql", Self.source("(1, 'b', timestamp '2024-01-01')"))
        try h.run()
        try h.run(snapshots: true)
        #expect(try h.query("select status, valid_to is null from analytics_history.src_history order by valid_from, status") == [["a", "f"], ["b", "t"]])
        #expect(try h.compile().nodes[NodeID("snapshot.p.src_history")]?.compiledSQL == "select * from \"\(h.db.name)\".\"analytics\".\"src\"")
    }

    @Test func yamlSnapshotRelationErrorsPointIntoTheYAML() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "snapshots/s.yml": "snapshots:\n  - name: s\n    relation: ref('nope')\n    config: {unique_key: id, strategy: check, check_cols: all}\n",
        ])
        defer { h.cleanup() }
        do {
            _ = try h.compile()
            Issue.record("expected an error")
        } catch let e as DiagnosticError {
            #expect(e.diagnostics.first?.location == SourceLocation(file: "snapshots/s.yml", line: 3, column: 15))
        }
    }

    @Test func configErrorsAreLocated() throws {
        let h = try Harness(["strata.yml": "name: p\n", "snapshots/s.sql": "{% snapshot s %}\n{{ config(unique_key='id', strategy='timestmp') }}select 1 as id{% endsnapshot %}"])
        defer { h.cleanup() }
        do {
            _ = try h.compile()
            Issue.record("expected an error")
        } catch let e as DiagnosticError {
            #expect(e.diagnostics.first?.code == "C3006")
            #expect(e.diagnostics.first?.location?.line == 2)
        }
    }
}

@Suite struct MicrobatchTests {
    static func events(_ rows: String) -> String {
        "{{ config(materialized='table', event_time='ts') }}select * from (values \(rows)) as t(id, ts, v)"
    }

    @Test func buildsFromBeginThenReloadsLookbackAndBackfillsARange() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/events.sql": Self.events("(1, timestamp '2024-01-01 10:00', 1), (2, timestamp '2024-01-02 10:00', 2), (3, timestamp '2024-01-03 10:00', 3)"),
            "models/daily.sql": """
            {{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts', batch_size='day', begin='2024-01-01', lookback=1) }}
            select id, ts, v * 10 as v10 from {{ ref('events') }}
            """,
        ])
        defer { h.cleanup() }
        let now = MicrobatchConfig.parseDate("2024-01-03T12:00:00")!
        let first = try h.run(planner: Planner(now: now))
        #expect(first.map(\.status) == [.success, .success])
        #expect(first.last?.message == "3 batches built")
        #expect(try h.query("select id, v10 from analytics.daily order by id") == [["1", "10"], ["2", "20"], ["3", "30"]])
        // the compiled model filters its ref to each batch, as dbt renders it
        #expect(try h.compile().nodes[.model("p", "daily")]?.compiledSQL?.contains("where ts >= '\(Microbatch.startPlaceholder)' and ts < '\(Microbatch.endPlaceholder)'") == true)
        // a change on the 3rd and a late row on the 1st: lookback=1 reloads the 2nd and 3rd only
        try h.project.write("models/events.sql", Self.events("(1, timestamp '2024-01-01 10:00', 1), (4, timestamp '2024-01-01 11:00', 4), (2, timestamp '2024-01-02 10:00', 2), (3, timestamp '2024-01-03 10:00', 33)"))
        let second = try h.run(planner: Planner(now: now))
        #expect(second.last?.message == "2 batches, INSERT 2")
        #expect(try h.query("select id, v10 from analytics.daily order by id") == [["1", "10"], ["2", "20"], ["3", "330"]])
        // backfill the 1st explicitly
        let start = MicrobatchConfig.parseDate("2024-01-01")!, end = MicrobatchConfig.parseDate("2024-01-02")!
        try h.run(select: ["daily"], planner: Planner(now: now, eventTimeStart: start, eventTimeEnd: end))
        #expect(try h.query("select id, v10 from analytics.daily order by id") == [["1", "10"], ["2", "20"], ["3", "330"], ["4", "40"]])
    }

    /// A missing config is a located compile error (it used to fail the model at build time, pointing at line 1).
    @Test func missingConfigIsALocatedCompileError() throws {
        let h = try Harness(["strata.yml": "name: p\n", "models/m.sql": "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts') }}select now() as ts"])
        defer { h.cleanup() }
        let error = #expect(throws: DiagnosticError.self) { try h.compile() }
        let d = try #require(error?.diagnostics.first)
        #expect(d.code == "C3009")
        #expect(d.message.contains("batch_size"))
        #expect(d.location == SourceLocation(file: "models/m.sql", line: 1, column: 60))
    }
}

@Suite struct DataTestTests {
    static let files: [String: String] = [
        "strata.yml": "name: p\n",
        "models/customers.sql": "{{ config(materialized='table') }}select * from (values (1, 'gold'), (2, 'silver'), (2, 'bronze'), (null, 'gold')) as t(id, tier)",
        "models/orders.sql": "{{ config(materialized='table') }}select * from (values (10, 1), (11, 3)) as t(order_id, customer_id)",
        "models/schema.yml": """
        models:
          - name: customers
            columns:
              - name: id
                data_tests:
                  - unique
                  - not_null:
                      config: {severity: warn}
              - name: tier
                tests:
                  - accepted_values:
                      arguments:
                        values: [gold, silver]
                  - accepted_values:
                      values: [gold, silver, bronze]
                      name: tiers_all_known
          - name: orders
            columns:
              - name: customer_id
                tests:
                  - relationships:
                      to: ref('customers')
                      field: id
                  - relationships:
                      to: ref('customers')
                      field: id
                      config: {error_if: ">5", warn_if: ">0"}
                      name: orders_have_customers_lenient
                  - positive
        """,
        "templates/tests.sql": "{% test positive(model, column_name) %}select * from {{ model }} where {{ column_name }} <= 0{% endtest %}",
        "tests/no_big_orders.sql": "select * from {{ ref('orders') }} where order_id > 100",
        "tests/orders_without_11.sql": "{{ config(severity='warn') }}select * from {{ ref('orders') }} where order_id = 11",
    ]

    @Test func genericAndSingularTestsPassWarnAndFail() throws {
        let h = try Harness(Self.files)
        defer { h.cleanup() }
        try h.run()
        let results = try h.run(tests: true)
        let byName = Dictionary(uniqueKeysWithValues: results.map { (String($0.id.rawValue.split(separator: ".")[2]), $0) })
        #expect(byName["unique_customers_id"]?.status == .fail)
        #expect(byName["unique_customers_id"]?.failures == 1)
        #expect(byName["not_null_customers_id"]?.status == .warn)
        #expect(byName["accepted_values_customers_tier__gold__silver"]?.status == .fail)
        #expect(byName["tiers_all_known"]?.status == .pass)
        #expect(byName["relationships_orders_customer_id__id__ref_customers_"]?.status == .fail)
        #expect(byName["orders_have_customers_lenient"]?.status == .warn)
        #expect(byName["positive_orders_customer_id"]?.status == .pass)
        #expect(byName["no_big_orders"]?.status == .pass)
        #expect(byName["orders_without_11"]?.status == .warn)
        #expect(results.count == 9)
        // tests only read: the tables are unchanged
        #expect(try h.query("select count(*) from analytics.customers") == [["4"]])
    }

    @Test func eachGenericTestPassesAndFails() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/parent.sql": "{{ config(materialized='table') }}select * from (values (1), (2)) as t(id)",
            "models/t.sql": "{{ config(materialized='table') }}select * from (values (1, 1, 'a', 1), (2, null, 'b', 3)) as t(good, bad, kind, parent_id)",
            "snapshots/s.yml": "snapshots:\n  - name: snap\n    relation: ref('t')\n    config: {unique_key: good, strategy: check, check_cols: all}\n    columns:\n      - name: good\n        tests: [unique]\n",
            "models/s.yml": """
            models:
              - name: t
                tests: [{unique_combination_of_columns: {combination_of_columns: [kind], name: good_combination}}]
                columns:
                  - name: good
                    tests: [unique, not_null, {accepted_values: {values: [1, 2], quote: false}}, {relationships: {to: ref('parent'), field: id}}]
                  - name: bad
                    tests: [{unique: {name: bad_unique}}, {not_null: {name: bad_not_null}}, {accepted_values: {values: [2], quote: false, name: bad_values}}]
                  - name: parent_id
                    tests: [{relationships: {to: ref('parent'), field: id, name: bad_relationships}}]
                  - name: kind
                    tests: [{accepted_values: {values: ['a', 'b']}}]
            """,
        ])
        defer { h.cleanup() }
        try h.run()
        try h.run(snapshots: true)
        let r = Dictionary(uniqueKeysWithValues: try h.run(tests: true).map { (String($0.id.rawValue.split(separator: ".")[2]), $0.status) })
        for name in ["unique_t_good", "not_null_t_good", "accepted_values_t_good__False__1__2", "relationships_t_good__id__ref_parent_",
                     "accepted_values_t_kind__a__b", "good_combination", "unique_snap_good"] {
            #expect(r[name] == .pass, "\(name)")
        }
        for name in ["bad_not_null", "bad_values", "bad_relationships"] { #expect(r[name] == .fail, "\(name)") }
        #expect(r["bad_unique"] == .pass) // NULLs are not duplicates, as in dbt (and NULLs pass accepted_values)
    }

    @Test func whereLimitAndEnabled() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/t.sql": "{{ config(materialized='table') }}select * from (values (1, 'x'), (1, 'x'), (2, 'y'), (2, 'y'), (3, 'z')) as t(id, k)",
            "models/s.yml": """
            models:
              - name: t
                columns:
                  - name: id
                    tests:
                      - unique: {config: {where: "k = 'z'"}, name: unique_where}
                      - unique: {config: {limit: 1}, name: unique_limited}
                      - unique: {config: {enabled: false}, name: unique_disabled}
            """,
        ])
        defer { h.cleanup() }
        try h.run()
        let r = Dictionary(uniqueKeysWithValues: try h.run(tests: true).map { (String($0.id.rawValue.split(separator: ".")[2]), $0) })
        #expect(r["unique_where"]?.status == .pass)
        #expect(r["unique_limited"]?.failures == 1)
        #expect(r["unique_disabled"] == nil)
    }

    @Test func strataBuiltins() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/t.sql": "{{ config(materialized='table') }}select * from (values (1, 'a', 5, now()), (2, 'a', -1, now()), (2, 'a', 3, null)) as t(id, k, v, at)",
            "models/s.yml": """
            models:
              - name: t
                tests:
                  - expression_is_true: {expression: "v > 0"}
                  - row_count: {min: 1, max: 3}
                  - row_count: {min: 5, name: row_count_at_least_5}
                  - unique_combination_of_columns: {combination_of_columns: [id, k]}
                  - recency: {field: at, datepart: day, interval: 1}
                columns:
                  - name: at
                    tests:
                      - not_null_proportion: {at_least: 0.6}
                      - not_null_proportion: {at_least: 0.9, name: at_mostly_filled}
            """,
        ])
        defer { h.cleanup() }
        try h.run()
        let r = Dictionary(uniqueKeysWithValues: try h.run(tests: true).map { (String($0.id.rawValue.split(separator: ".")[2]), $0) })
        // named as dbt names generic tests: test, model, then the arguments in name order
        #expect(r["expression_is_true_t_v_0"]?.failures == 1)
        #expect(r["row_count_t_3__1"]?.status == .pass)
        #expect(r["row_count_at_least_5"]?.status == .fail)
        #expect(r["unique_combination_of_columns_t_id__k"]?.failures == 1)
        #expect(r["recency_t_day__at__1"]?.status == .pass)
        #expect(r["not_null_proportion_t_0_6__at"]?.status == .pass)
        #expect(r["at_mostly_filled"]?.status == .fail)
    }

    @Test func storeFailuresKeepsTheFailingRowsInTheAuditSchema() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/t.sql": "{{ config(materialized='table') }}select * from (values (1), (1), (2)) as t(id)",
            "models/s.yml": "models:\n  - name: t\n    columns:\n      - name: id\n        tests:\n          - unique:\n              config: {store_failures: true}\n          - not_null\n",
        ])
        defer { h.cleanup() }
        try h.run()
        try h.run(tests: true)
        #expect(try h.query("select unique_field, n_records from analytics_dbt_test__audit.unique_t_id") == [["1", "2"]])
        #expect(try h.query("select count(*) from pg_tables where schemaname = 'analytics_dbt_test__audit'") == [["1"]])
        // --store-failures stores every test's rows; a second run replaces them
        try h.project.write("models/t.sql", "{{ config(materialized='table') }}select * from (values (1), (2)) as t(id)")
        try h.run()
        try h.run(tests: true, planner: Planner(storeFailures: true))
        #expect(try h.query("select count(*) from analytics_dbt_test__audit.unique_t_id") == [["0"]])
        #expect(try h.query("select count(*) from pg_tables where schemaname = 'analytics_dbt_test__audit'") == [["2"]])
    }

    /// Thresholds as dbt writes them into SQL (`=0`, `>=10`) and templated config values, rendered as dbt renders them.
    @Test func thresholdsAndTemplatedConfigsAsDbtReadsThem() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/m.sql": "{{ config(materialized='table') }}select * from (values (1), (1), (2)) as t(id)",
            "models/s.yml": """
            models:
              - name: m
                columns:
                  - name: id
                    tests:
                      - not_null:
                          config: {error_if: "=0", warn_if: ">=10"}
                      - unique:
                          config:
                            severity: "{{ 'warn' if target.name == 'dev' else 'error' }}"
            """,
        ])
        defer { h.cleanup() }
        try h.run()
        let byName = Dictionary(uniqueKeysWithValues: try h.run(tests: true).map { (String($0.id.rawValue.split(separator: ".")[2]), $0) })
        // no NULLs: 0 failures, and "=0" says that is an error
        #expect(byName["not_null_m_id"]?.status == .fail)
        #expect(byName["not_null_m_id"]?.failures == 0)
        // a duplicate, at the severity the template chose for target 'dev'
        #expect(byName["unique_m_id"]?.status == .warn)
    }

    /// `data_tests:` in the project file configures tests by the folder they are declared in, under their own configs.
    @Test func projectLevelTestConfigsApplyByFolder() throws {
        let h = try Harness([
            "strata.yml": "name: p\ndata_tests:\n  p:\n    +severity: warn\n    staging:\n      +enabled: false\n",
            "models/m.sql": "{{ config(materialized='table') }}select * from (values (1), (1)) as t(id)",
            "models/staging/n.sql": "select * from (values (1), (1)) as t(id)",
            "models/s.yml": "models:\n  - name: m\n    columns:\n      - name: id\n        tests: [unique, {not_null: {config: {severity: error, error_if: '=0'}}}]\n",
            "models/staging/s.yml": "models:\n  - name: n\n    columns:\n      - name: id\n        tests: [unique]\n",
            "tests/m_has_no_ones.sql": "select * from {{ ref('m') }} where id = 1",
        ])
        defer { h.cleanup() }
        try h.run()
        let byName = Dictionary(uniqueKeysWithValues: try h.run(tests: true).map { (String($0.id.rawValue.split(separator: ".")[2]), $0) })
        #expect(byName["unique_m_id"]?.status == .warn)
        #expect(byName["m_has_no_ones"]?.status == .warn)
        // the test's own config wins over the project's
        #expect(byName["not_null_m_id"]?.status == .fail)
        // switched off for the staging folder: not compiled, not run
        #expect(byName["unique_n_id"] == nil)
        #expect(byName.count == 3)
    }

    @Test func selectingAModelSelectsItsTests() throws {
        let h = try Harness(Self.files)
        defer { h.cleanup() }
        try h.run()
        let names = try h.run(select: ["orders"], tests: true).map { String($0.id.rawValue.split(separator: ".")[2]) }.sorted()
        #expect(names == ["no_big_orders", "orders_have_customers_lenient", "orders_without_11", "positive_orders_customer_id",
                          "relationships_orders_customer_id__id__ref_customers_"])
    }

    @Test func badTestConfigurationIsLocated() throws {
        for (yaml, fragment) in [("        - unique:\n            config: {warn_if: \"> 1; drop table x\"}\n", "warn_if must be an SQL comparison"),
                                 ("        - unique:\n            config: {error_if: \"==0\"}\n", "SQL compares with '=', not '=='"),
                                 ("        - uniqe\n", "did you mean 'unique'?"),
                                 ("        - row_count: {min: 1}\n", "has no parameter named 'column_name'")] {
            let h = try Harness(["strata.yml": "name: p\n", "models/m.sql": "select 1 as id",
                                 "models/s.yml": "models:\n  - name: m\n    columns:\n    - name: id\n      tests:\n" + yaml])
            defer { h.cleanup() }
            do {
                _ = try h.compile()
                Issue.record("expected an error for \(yaml)")
            } catch let e as DiagnosticError {
                #expect(e.diagnostics.first?.message.contains(fragment) == true, "\(e)")
                #expect(e.diagnostics.first?.location?.file == "models/s.yml")
            }
        }
    }
}

@Suite struct BuildTests {
    @Test func aFailingTestSkipsWhatDependsOnTheTestedNode() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "seeds/raw.csv": "id,kind\n1,a\n1,b\n2,c\n",
            "models/stg.sql": "select * from {{ ref('raw') }}",
            "models/clean.sql": "{{ config(materialized='table') }}select distinct id from {{ ref('stg') }}",
            "models/report.sql": "select count(*) as n from {{ ref('clean') }}",
            "models/other.sql": "select 1 as x from {{ ref('raw') }} limit 1",
            "models/schema.yml": """
            seeds:
              - name: raw
                columns:
                  - name: kind
                    tests: [not_null]
            models:
              - name: stg
                columns:
                  - name: id
                    tests:
                      - unique
                      # defined on stg but reading clean, downstream of stg: clean must not wait for it (a cycle)
                      - relationships: {to: ref('clean'), field: id, config: {severity: warn}}
              - name: clean
                columns:
                  - name: id
                    tests:
                      - unique:
                          config: {severity: warn}
              - name: other
                columns:
                  - name: x
                    tests:
                      # defined on other and reading raw, upstream of it
                      - relationships: {to: ref('raw'), field: id, config: {severity: warn}}
            """,
        ])
        defer { h.cleanup() }
        let results = try h.run(build: true)
        let status = Dictionary(uniqueKeysWithValues: results.map { (String($0.id.rawValue.split(separator: ".")[2]), $0.status) })
        #expect(status["raw"] == .success)
        #expect(status["not_null_raw_kind"] == .pass)
        #expect(status["stg"] == .success)
        #expect(status["unique_stg_id"] == .fail)
        // clean depends on stg, whose test failed: skipped, and so is everything after it
        #expect(status["clean"] == .skipped)
        #expect(status["unique_clean_id"] == .skipped)
        #expect(status["report"] == .skipped)
        // other reads only the seed, whose test passed
        #expect(status["other"] == .success)
        #expect(results.count == 10)
        #expect(status["relationships_stg_id__id__ref_clean_"] == .skipped)
        #expect(status["relationships_other_x__id__ref_raw_"] == .pass)
    }
}

@Suite struct UnitTestTests {
    static let files: [String: String] = [
        "strata.yml": "name: p\n",
        "models/customers.sql": "{{ config(materialized='table') }}select 1 as id, 'ada@example.com' as email",
        "models/orders.sql": "{{ config(materialized='table') }}select 10 as order_id, 1 as customer_id, 2.50::numeric as amount",
        "models/customer_totals.sql": """
        select c.id, c.email like '%@%.%' as valid_email, coalesce(sum(o.amount), 0) as total
        from {{ ref('customers') }} c
        left join {{ ref('orders') }} o on o.customer_id = c.id
        group by c.id, c.email
        """,
        "models/unit.yml": """
        unit_tests:
          - name: sums_orders_and_checks_emails
            model: customer_totals
            given:
              - input: ref('customers')
                rows:
                  - {id: 1, email: a@b.com}
                  - {id: 2, email: not-an-email}
              - input: ref('orders')
                format: csv
                rows: |
                  order_id,customer_id,amount
                  1,1,2.5
                  2,1,1.25
            expect:
              rows:
                - {id: 1, valid_email: true, total: 3.75}
                - {id: 2, valid_email: false, total: 0}
          - name: a_wrong_expectation
            model: customer_totals
            given:
              - input: ref('customers')
                rows: [{id: 1, email: a@b.com}]
              - input: ref('orders')
                rows: []
            expect:
              rows:
                - {id: 1, total: 5}
        """,
    ]

    @Test func unitTestsRunTheModelOnGivenRows() throws {
        let h = try Harness(Self.files)
        defer { h.cleanup() }
        try h.run()
        let results = try h.run(select: ["test_type:unit"], tests: true)
        let byName = Dictionary(uniqueKeysWithValues: results.map { ($0.id.rawValue, $0) })
        #expect(results.count == 2)
        #expect(byName["unit_test.p.customer_totals.sums_orders_and_checks_emails"]?.status == .pass)
        let failed = try #require(byName["unit_test.p.customer_totals.a_wrong_expectation"])
        #expect(failed.status == .fail)
        #expect(failed.message == "expected but missing: (id=1, total=5); returned but not expected: (id=1, total=0)")
        // the real tables were not touched
        #expect(try h.query("select count(*) from analytics.customers") == [["1"]])
    }

    /// dbt's other ways to give rows: fixture files under tests/fixtures (which are not singular tests), `format: sql`,
    /// and `overrides` with `input: this` for an incremental model's incremental branch.
    @Test func fixturesSQLRowsAndOverridesAsDbtReadsThem() throws {
        var files = Self.files
        files["tests/fixtures/two_customers.csv"] = "id,email\n1,a@b.com\n2,nobody\n"
        files["tests/fixtures/expected_totals.sql"] = "select 1 as id, true as valid_email, 0::numeric as total union all select 2, false, 0"
        files["models/new_orders.sql"] = """
        {{ config(materialized='incremental', unique_key='order_id') }}
        select * from {{ ref('orders') }}
        {% if is_incremental() %}where order_id > (select max(order_id) from {{ this }}){% endif %}
        """
        files["models/unit.yml"] = """
        unit_tests:
          - name: from_fixtures
            model: customer_totals
            given:
              - input: ref('customers')
                format: csv
                fixture: two_customers
              - input: ref('orders')
                format: sql
                rows: select 1 as order_id, 3 as customer_id, 9.99::numeric as amount
            expect:
              format: sql
              fixture: expected_totals
          - name: only_new_orders
            model: new_orders
            overrides:
              macros: {is_incremental: true}
            given:
              - input: ref('orders')
                rows: [{order_id: 1, customer_id: 1, amount: 1}, {order_id: 5, customer_id: 1, amount: 2}]
              - input: this
                rows: [{order_id: 3}]
            expect:
              rows: [{order_id: 5}]
        """
        let h = try Harness(files)
        defer { h.cleanup() }
        try h.run()
        let results = try h.run(tests: true)
        let byName = Dictionary(uniqueKeysWithValues: results.map { ($0.id.rawValue, $0) })
        #expect(byName["unit_test.p.customer_totals.from_fixtures"]?.status == .pass, "\(byName["unit_test.p.customer_totals.from_fixtures"]?.message ?? "")")
        #expect(byName["unit_test.p.new_orders.only_new_orders"]?.status == .pass, "\(byName["unit_test.p.new_orders.only_new_orders"]?.message ?? "")")
        // the fixture files are not singular tests
        #expect(!results.contains { $0.id.rawValue.contains("two_customers") || $0.id.rawValue.contains("expected_totals") })
        // a fixture that does not exist: located, with a suggestion
        files["models/unit.yml"] = "unit_tests:\n  - name: u\n    model: customer_totals\n    given:\n      - input: ref('customers')\n        format: csv\n        fixture: two_customer\n    expect: {rows: []}\n"
        let bad = try Harness(files)
        defer { bad.cleanup() }
        do {
            _ = try bad.compile()
            Issue.record("expected an error")
        } catch let e as DiagnosticError {
            #expect(e.diagnostics.first?.message == "unit test 'u': no fixture 'two_customer' (tests/fixtures/two_customer.csv); did you mean 'two_customers'?")
            #expect(e.diagnostics.first?.location == SourceLocation(file: "models/unit.yml", line: 7, column: 18))
        }
    }

    @Test func anInputTheModelReadsMustBeGiven() throws {
        var files = Self.files
        files["models/unit.yml"] = "unit_tests:\n  - name: u\n    model: customer_totals\n    given:\n      - input: ref('customers')\n        rows: []\n    expect: {rows: []}\n"
        let h = try Harness(files)
        defer { h.cleanup() }
        do {
            _ = try h.compile()
            Issue.record("expected an error")
        } catch let e as DiagnosticError {
            #expect(e.diagnostics.first?.message.contains("ref('orders'), which is not among its given inputs") == true)
        }
    }
}
