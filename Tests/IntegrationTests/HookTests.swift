import Foundation
import Testing
import Basics
import Materialization
import PostgresAdapter
import StrataTestSupport

/// dbt's hooks and grants: pre/post-hooks inside the model's build transaction, on-run-start/end around the run.
@Suite struct HookTests {
    @Test func hooksRunAroundTheBuildAndTheRun() throws {
        let h = try Harness([
            "dbt_project.yml": """
                name: hooks
                profile: hooks
                on-run-start:
                  - "create table if not exists {{ target.schema }}.audit (event text, at timestamptz default now())"
                on-run-end:
                  - "{% for s in schemas %}insert into {{ target.schema }}.audit (event) values ('end {{ s }}');{% endfor %}"
                models:
                  hooks:
                    +post-hook: "insert into {{ target.schema }}.audit (event) values ('built {{ this.identifier }}')"
                """,
            "models/t.sql": """
                {{ config(materialized='table', pre_hook="insert into {{ target.schema }}.audit (event) values ('before {{ this.identifier }}')",
                          post_hook=["comment on table {{ this }} is 'hooked'"]) }}
                select 1 as id
                """,
            "models/v.sql": "select id from {{ ref('t') }}",
        ])
        defer { h.cleanup() }
        let results = try h.run()
        #expect(results.allSatisfy { $0.status == .success }, "\(results.map(\.message))")
        #expect(results.first?.id.rawValue == "operation.hooks.on-run-start.0")
        #expect(results.last?.id.rawValue == "operation.hooks.on-run-end.0")
        #expect(try h.query("select event from analytics.audit order by at, event") == [["before t"], ["built t"], ["built v"], ["end analytics"]])
        #expect(try h.query("select obj_description('analytics.t'::regclass, 'pg_class')") == [["hooked"]])
    }

    @Test func aFailingPostHookRollsTheBuildBack() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/t.sql": "{{ config(materialized='table', post_hook=\"{% if var('fail', false) %}select 1/0{% endif %}\") }}select {{ var('n', 1) }} as id",
        ])
        defer { h.cleanup() }
        #expect(try h.run().first?.status == .success)
        try h.project.write("strata.yml", "name: p\nvars: {fail: true, n: 2}\n")
        let r = try #require(try h.run().first)
        #expect(r.status == .error)
        #expect(r.message.contains("post-hook 1 failed: division by zero"))
        #expect(try h.query("select id from analytics.t") == [["1"]])
    }

    @Test func aFailingOnRunStartBuildsNothing() throws {
        let h = try Harness([
            "dbt_project.yml": "name: p\nprofile: p\non-run-start: \"select * from no_such_table\"\n",
            "models/t.sql": "select 1 as id",
        ])
        defer { h.cleanup() }
        let results = try h.run()
        #expect(results.map(\.status) == [.error, .skipped])
        #expect(results.first?.message.contains("on-run-start hook 1 failed: relation \"no_such_table\" does not exist") == true)
        #expect(try h.query("select count(*) from pg_class where relname = 't'") == [["0"]])
    }

    @Test func grantsHoldExactlyTheListedRoles() throws {
        let suffix = UUID().uuidString.prefix(8).lowercased()
        let (a, b) = ("reader_a_\(suffix)", "reader_b_\(suffix)")
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/t.sql": "{{ config(materialized='table', grants={'select': var('readers')}) }}select 1 as id",
            "models/v.sql": "{{ config(grants={'select': var('readers')}) }}select id from {{ ref('t') }}",
        ])
        defer { h.cleanup() }
        let admin = try h.db.connect()
        defer {
            _ = try? admin.execute("DROP OWNED BY \(a), \(b)")
            _ = try? admin.execute("DROP ROLE IF EXISTS \(a)")
            _ = try? admin.execute("DROP ROLE IF EXISTS \(b)")
            admin.close()
        }
        try admin.execute("CREATE ROLE \(a)")
        try admin.execute("CREATE ROLE \(b)")
        try h.project.write("strata.yml", "name: p\nvars: {readers: [\(a)]}\n")
        #expect(try h.run().allSatisfy { $0.status == .success })
        func holders(_ rel: String) throws -> [[String?]] {
            try h.query("select grantee::regrole::text from aclexplode((select relacl from pg_class where oid = '\(rel)'::regclass)) where privilege_type = 'SELECT' and grantee <> (select relowner from pg_class where oid = '\(rel)'::regclass) order by 1")
        }
        #expect(try holders("analytics.t") == [[a]])
        #expect(try holders("analytics.v") == [[a]])
        // the list changes: b gains SELECT, a loses it, on the rebuilt table and the view
        try h.project.write("strata.yml", "name: p\nvars: {readers: [\(b)]}\n")
        #expect(try h.run().allSatisfy { $0.status == .success })
        #expect(try holders("analytics.t") == [[b]])
        #expect(try holders("analytics.v") == [[b]])
        // an unknown privilege is a compile error at the config, naming it; nothing is built
        try h.project.write("models/t.sql", "{{ config(materialized='table', grants={'selct': ['x']}) }}select 2 as id")
        let error = #expect(throws: DiagnosticError.self) { try h.run(select: ["t"]) }
        let d = try #require(error?.diagnostics.first)
        #expect(d.code == "C3010")
        #expect(d.location?.file == "models/t.sql")
        #expect(d.message.contains("'selct' is not a table privilege"))
        #expect(d.message.contains("did you mean 'select'?"))
        #expect(try h.query("select id from analytics.t") == [["1"]])
    }
}

@Suite struct HookSessionTests {
    @Test func postHooksSeeTheSessionsSearchPathEvenWhenTheSwapChangedIt() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/t.sql": "{{ config(materialized='table', post_hook=\"insert into analytics.probe select current_setting('search_path')\") }}select 1 as id",
            "models/v.sql": "select id from {{ ref('t') }}",
        ])
        defer { h.cleanup() }
        _ = try h.query("create schema if not exists analytics; create table analytics.probe (sp text)")
        #expect(try h.run().allSatisfy { $0.status == .success })
        // the second build swaps an existing table with a dependent view: the swap reads definitions with only
        // pg_catalog on the path, and must give the session its path back before the post-hook
        #expect(try h.run().allSatisfy { $0.status == .success })
        let paths = try h.query("select sp from analytics.probe").map { $0[0] ?? "" }
        #expect(paths.count == 2)
        #expect(paths.allSatisfy { $0 == paths[0] && $0 != "pg_catalog" })
    }
}

@Suite struct SeedAndSnapshotHookTests {
    @Test func seedsAndSnapshotsRunTheirHooksAndGrants() throws {
        let role = "seed_reader_\(UUID().uuidString.prefix(8).lowercased())"
        let h = try Harness([
            "strata.yml": """
                name: p
                seeds:
                  p:
                    +grants: {select: [\(role)]}
                    +post-hook: "insert into analytics.log values ('seeded {{ this.identifier }}')"
                snapshots:
                  p:
                    +post-hook: "insert into analytics.log values ('snapshot {{ this.identifier }}')"
                """,
            "seeds/s.csv": "id,v\n1,a\n",
            "snapshots/snap.sql": "{% snapshot snap %}{{ config(unique_key='id', strategy='check', check_cols=['v'], target_schema='analytics') }}select * from {{ ref('s') }}{% endsnapshot %}",
        ])
        defer { h.cleanup() }
        let admin = try h.db.connect()
        defer { _ = try? admin.execute("DROP OWNED BY \(role)"); _ = try? admin.execute("DROP ROLE IF EXISTS \(role)"); admin.close() }
        try admin.execute("CREATE ROLE \(role)")
        _ = try h.query("create schema if not exists analytics; create table analytics.log (event text)")
        #expect(try h.run(seeds: true).allSatisfy { $0.status == .success })
        #expect(try h.run(snapshots: true).allSatisfy { $0.status == .success })
        #expect(try h.run(seeds: true).allSatisfy { $0.status == .success })   // the truncate-and-reload path
        #expect(try h.query("select event from analytics.log order by 1") == [["seeded s"], ["seeded s"], ["snapshot snap"]])
        #expect(try h.query("select has_table_privilege('\(role)', 'analytics.s', 'select')") == [["t"]])
    }
}
