import Foundation
import Testing
import Compilation
import Materialization
import ProjectModel
import StrataTestSupport

/// dbt's context members that ask or change the database, against PostgreSQL: the adapter's catalog methods,
/// statements, and nodes rendered again when they are built (hooks, SQL that asked the database).
@Suite struct DatabaseContextTests {
    @Test func adapterMethodsAnswerFromTheCatalog() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/m.sql": """
                {%- set src = api.Relation.create(schema='raw', identifier='orders') -%}
                {%- for c in adapter.get_columns_in_relation(src) -%}
                {{ c.name }} {{ c.data_type }} {{ c.is_number() }} {{ c.is_string() }};
                {% endfor -%}
                {{ adapter.get_relation(database=target.database, schema='raw', identifier='orders').type }}
                {{ load_relation(src) is not none }} {{ load_relation(api.Relation.create(schema='raw', identifier='nope')) is none }}
                {{ adapter.get_relation(database=none, schema='raw', identifier='orders_v').is_view }}
                {{ adapter.list_relations_without_caching(src.without_identifier()) | map(attribute='identifier') | join(',') }}
                {{ adapter.check_schema_exists(target.database, 'raw') }} {{ adapter.get_columns_in_query('select 1 as a, 2 as b') }}
                {{ adapter.get_missing_columns(src, api.Relation.create(schema='raw', identifier='orders_v')) | map(attribute='name') | list }}
                {% do adapter.create_schema(api.Relation.create(database=target.database, schema='made')) -%}
                {{ adapter.check_schema_exists(target.database, 'made') }} {% do adapter.drop_schema(api.Relation.create(database=target.database, schema='made')) -%}
                {{ adapter.check_schema_exists(target.database, 'made') }}
                """,
        ])
        defer { h.cleanup() }
        _ = try h.query("""
            create schema raw; create table raw.orders (id integer, note varchar(20), amount numeric(12,2), body text);
            create view raw.orders_v as select id from raw.orders
            """)
        let sql = try #require(try h.compile().nodes[.model("p", "m")]?.compiledSQL)
        #expect(sql == """
            id integer True False;
            note character varying(20) False True;
            amount numeric(12,2) True False;
            body text False True;
            table
            True True
            True
            orders,orders_v
            True ['a', 'b']
            ['note', 'amount', 'body']
            True False
            """)
    }

    @Test func statementsStoreTheirResultsForLoadResult() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/m.sql": """
                {%- call statement('n', fetch_result=True) -%} select 42 as v, 'x' as w, true as b {%- endcall -%}
                {%- set r = load_result('n') -%}
                select {{ r['data'][0][0] }} as v, '{{ r['response'] }}' as msg, '{{ r['response'].code }}' as code, {{ r['table'].columns[1].values() }} as w
                {%- for row in r['table'] %}, '{{ row.w }}{{ row['v'] }}{{ row[0] }}{{ row.b }}' as r{% endfor %}
                """,
        ])
        defer { h.cleanup() }
        let sql = try #require(try h.compile().nodes[.model("p", "m")]?.compiledSQL)
        #expect(sql == "select 42 as v, 'SELECT 1' as msg, 'SELECT' as code, ['x'] as w, 'x4242True' as r")
    }

    /// dbt renders a node when it runs: a model introspecting an upstream built in the same run sees its columns,
    /// even though the upstream did not exist when the project was compiled.
    @Test func aModelThatAskedTheDatabaseRendersAgainWhenBuilt() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/a.sql": "{{ config(materialized='table') }}select 1 as x, 'y'::text as y",
            "models/b.sql": """
                {{ config(materialized='table') }}
                {%- set cols = adapter.get_columns_in_relation(ref('a')) -%}
                {%- call statement('count', fetch_result=True) %}select count(*) from {{ ref('a') }}{% endcall -%}
                select {% for c in cols %}{{ c.name }}, {% endfor %}{{ load_result('count')['data'][0][0] }} as n from {{ ref('a') }}
                """,
        ])
        defer { h.cleanup() }
        let results = try h.run()
        #expect(results.map(\.status) == [.success, .success], "\(results.map(\.message))")
        #expect(try h.query("select x, y, n from analytics.b") == [["1", "y", "1"]])
    }

    /// A hook renders inside the build's transaction, after the build: `adapter.drop_relation(this…)` in a seed's
    /// post-hook drops the table the seed just made (dbt-utils' integration suite does this).
    @Test func hooksRenderWhenTheyRunAndMayCallTheAdapter() throws {
        let h = try Harness([
            "dbt_project.yml": """
                name: p
                profile: p
                seeds:
                  p:
                    dropped:
                      +post-hook: "{% do adapter.drop_relation(this.incorporate(type='table')) %}"
                    kept:
                      +post-hook: "insert into {{ this }} values ({{ adapter.get_columns_in_relation(this) | length }})"
                """,
            "seeds/dropped.csv": "id\n1\n",
            "seeds/kept.csv": "id\n1\n",
        ])
        defer { h.cleanup() }
        let results = try h.run(seeds: true)
        #expect(results.allSatisfy { $0.status == .success }, "\(results.map(\.message))")
        #expect(try h.query("select to_regclass('analytics.dropped') is null") == [["t"]])
        #expect(try h.query("select id from analytics.kept order by id") == [["1"], ["1"]])
    }

    /// A render that fails on what the database says (the relation is built later in the run) fails only that node,
    /// when it is built; the compile for the run goes on.
    @Test func aRenderFailingOnTheDatabaseFailsOnlyItsNode() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/a.sql": "{{ config(materialized='table') }}select 1 as x",
            "models/b.sql": "{% set r = run_query('select count(*) from ' ~ ref('a')) %}select {{ r[0][0] }} as n",
            "models/c.sql": "{% set r = run_query('select * from analytics.never') %}select 1 as n",
            "models/d.sql": "select * from {{ ref('c') }}",
            "models/e.sql": "select 2 as n",
        ])
        defer { h.cleanup() }
        #expect(throws: (any Error).self) { try h.compile() }
        let results = Dictionary(uniqueKeysWithValues: try h.run().map { ($0.id.rawValue, $0) })
        #expect(results["model.p.a"]?.status == .success)
        #expect(results["model.p.b"]?.status == .success)
        #expect(results["model.p.c"]?.status == .error)
        #expect(results["model.p.c"]?.diagnostic?.message.contains("relation \"analytics.never\" does not exist") == true)
        #expect(results["model.p.c"]?.diagnostic?.location?.file == "models/c.sql")
        #expect(results["model.p.d"]?.status == .skipped)
        #expect(results["model.p.e"]?.status == .success)
        #expect(try h.query("select n from analytics.b") == [["1"]])
    }

    /// `fail_calc` (dbt_utils' equal_rowcount sets it in the test body), tests of ephemeral models, which read the
    /// model as a CTE, and singular tests switched off by `config(enabled=false)`, as in dbt.
    @Test func failCalcAndTestsOfEphemeralModels() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/e.sql": "{{ config(materialized='ephemeral') }}select 1 as id union all select 2",
            "models/schema.yml": "version: 2\nmodels:\n  - name: e\n    columns:\n      - name: id\n        data_tests: [unique, not_null]\n",
            "tests/sums.sql": "{{ config(fail_calc='sum(n)') }}select 0 as n union all select 0",
            "tests/sums_fail.sql": "{{ config(fail_calc='sum(n)', severity='warn') }}select 2 as n union all select 1",
            "tests/off.sql": "{{ config(enabled = false) }}select * from {{ ref('missing_model') }}",
        ])
        defer { h.cleanup() }
        let results = Dictionary(uniqueKeysWithValues: try h.run(tests: true).map { ($0.id.rawValue, $0) })
        #expect(results["test.p.sums"]?.status == .pass)
        #expect(results["test.p.off"] == nil)
        #expect(results["test.p.sums_fail"]?.status == .warn)
        #expect(results["test.p.sums_fail"]?.failures == 3)
        #expect(results.filter { $0.key.contains("_e_id") }.values.map(\.status).sorted { $0.rawValue < $1.rawValue } == [.pass, .pass], "\(results.keys.sorted())")
    }

    /// A statement that writes runs once per build, when the node is built, as in dbt: the compile before a run asks
    /// the database read-only, and the render that wrote is left to the build.
    @Test func aWritingStatementRunsOnceWhenTheNodeIsBuilt() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/m.sql": "{% call statement('log') %}insert into analytics.audit values (1){% endcall %}select 1 as id",
        ])
        defer { h.cleanup() }
        _ = try h.query("create schema if not exists analytics; create table analytics.audit (n int)")
        let results = try h.run()
        #expect(results.map(\.status) == [.success], "\(results.map(\.message))")
        #expect(try h.query("select count(*) from analytics.audit") == [["1"]])
    }
}
