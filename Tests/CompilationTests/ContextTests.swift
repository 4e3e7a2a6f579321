import Foundation
import Testing
import Basics
import ProjectLoading
import ProjectModel
import StrataTestSupport
import Warehouse
@testable import Compilation

/// dbt's context as models see it. Expected strings are dbt's own output on PostgreSQL.
@Suite struct ContextTests {
    func render(_ model: String, files: [String: String] = [:], options: (inout CompileOptions) -> Void = { _ in }) throws -> CompiledNode {
        let tp = try TempProject(["strata.yml": "name: p\nvars:\n  flag: true\n", "models/m.sql": model].merging(files) { $1 })
        defer { tp.remove() }
        var o = CompileOptions(target: TargetInfo(name: "dev", schema: "analytics", database: "wh", user: "ada", threads: 3), environment: ["HOME_REGION": "eu"],
                               runStartedAt: Date(timeIntervalSince1970: 1_700_000_000.25), invocationID: "inv-1")
        options(&o)
        let c = try Compiler(project: try ProjectLoader().load(directory: tp.root), options: o).compile()
        return try #require(c.nodes[.model("p", "m")])
    }

    @Test func surrogateKeyIsByteForByteDbtUtils() throws {
        let n = try render("select {{ dbt_utils.generate_surrogate_key(['order_id', 'line_no']) }} as sk, {{ surrogate_key(['a']) }} as k1")
        #expect(n.compiledSQL == "select md5(cast(coalesce(cast(order_id as TEXT), '_dbt_utils_surrogate_key_null_') || '-' || coalesce(cast(line_no as TEXT), '_dbt_utils_surrogate_key_null_') as TEXT)) as sk, md5(cast(coalesce(cast(a as TEXT), '_dbt_utils_surrogate_key_null_') as TEXT)) as k1")
        #expect(n.extensions.isEmpty)
    }

    @Test func surrogateKeyConfigAddsTheColumn() throws {
        let n = try render("{{ config(materialized='table', surrogate_key={'name': 'order_sk', 'columns': ['id', 'line']}) }}\nselect 1 as id, 2 as line")
        #expect(n.compiledSQL == "select *, md5(cast(coalesce(cast(id as TEXT), '_dbt_utils_surrogate_key_null_') || '-' || coalesce(cast(line as TEXT), '_dbt_utils_surrogate_key_null_') as TEXT)) as \"order_sk\" from (\n\nselect 1 as id, 2 as line\n) as __strata_surrogate_key")
        // positions still map back to the file
        let pos = n.compiledSQL!.distance(from: n.compiledSQL!.startIndex, to: n.compiledSQL!.range(of: "2 as line")!.lowerBound) + 1
        #expect(n.location(forCompiledPosition: pos) == SourceLocation(file: "models/m.sql", line: 2, column: 17))
        #expect(throws: DiagnosticError.self) { try render("{{ config(surrogate_key={'name': 'k', 'columns': ['id']}) }}select 1 as id") }
        #expect(throws: DiagnosticError.self) { try render("{{ config(materialized='table', surrogate_key={'name': 'k'}) }}select 1 as id") }
        let u = try render("{{ config(materialized='table', surrogate_key={'name': 'k', 'columns': ['id'], 'kind': 'uuid5'}) }}select 1 as id")
        #expect(u.extensions == ["uuid-ossp"])
    }

    @Test func uuid5SurrogateKeyNeedsTheExtension() throws {
        let n = try render("select {{ surrogate_key(['a', 'b'], kind='uuid5') }}")
        #expect(n.compiledSQL == "select uuid_generate_v5(uuid_ns_url(), coalesce(cast(a as TEXT), '_dbt_utils_surrogate_key_null_') || '-' || coalesce(cast(b as TEXT), '_dbt_utils_surrogate_key_null_'))")
        #expect(n.extensions == ["uuid-ossp"])
    }

    @Test func surrogateKeyRejectsAString() {
        #expect(throws: DiagnosticError.self) { try render("select {{ surrogate_key('a') }}") }
    }

    /// Byte for byte what dbt-postgres renders for each call in Tests/Fixtures/dbt-macros/calls.txt (recorded with dbt
    /// by scripts/record-dbt-macros), called as `dbt.name()` and bare.
    @Test func crossDatabaseMacrosRenderAsDbtPostgres() throws {
        let dir = repositoryRoot + "/Tests/Fixtures/dbt-macros"
        let calls = try String(contentsOfFile: dir + "/calls.txt", encoding: .utf8).split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        #expect(calls.count == 50)
        for (i, call) in calls.enumerated() {
            let expected = try String(contentsOfFile: dir + "/expected/" + String(format: "m%02d.sql", i), encoding: .utf8)
            #expect(try render("{{ dbt.\(call) }}").compiledSQL == expected, "dbt.\(call)")
            #expect(try render("{{ \(call) }}").compiledSQL == expected, "\(call)")
        }
    }

    /// A project macro of the same name overrides the bare global, as in dbt; `dbt.` still reaches dbt's.
    @Test func projectMacrosOverrideBareGlobalMacros() throws {
        let p = try compile(["strata.yml": "name: p\n", "templates/t.sql": "{% macro type_string() %}varchar{% endmacro %}",
                             "models/m.sql": "select {{ type_string() }}, {{ dbt.type_string() }}"])
        #expect(sql(p, "m") == "select varchar, TEXT")
    }

    @Test func adapterDispatchPrefersPostgresThenDefault() throws {
        let macros = """
        {% macro my_cast(x) %}{{ return(adapter.dispatch('my_cast')(x)) }}{% endmacro %}
        {% macro default__my_cast(x) %}cast({{ x }} as text){% endmacro %}
        {% macro other(x) %}{{ return(adapter.dispatch('other')(x)) }}{% endmacro %}
        {% macro default__other(x) %}default {{ x }}{% endmacro %}
        {% macro postgres__other(x) %}postgres {{ x }}{% endmacro %}
        """
        let n = try render("{{ my_cast('a') }} / {{ other('b') }} / {{ adapter.quote('Mixed Case') }} / {{ adapter.dispatch('hash', 'dbt')('z') }}",
                           files: ["templates/m.sql": macros])
        #expect(n.compiledSQL == "cast(a as text) / postgres b / \"Mixed Case\" / md5(cast(z as TEXT))")
        #expect(throws: DiagnosticError.self) { try render("{{ adapter.dispatch('nothing')() }}") }
        #expect(throws: DiagnosticError.self) { try render("{{ adapter.get_relation(this) }}") }
    }

    @Test func runStartedAtInvocationIdAndDatetime() throws {
        let n = try render("""
        {{ run_started_at }}|{{ run_started_at.strftime('%Y-%m-%d %H:%M') }}|{{ invocation_id }}|{{ (modules.datetime.datetime(2024, 1, 31) + modules.datetime.timedelta(days=1)).strftime('%Y-%m-%d') }}|{{ modules.datetime.date(2024, 2, 1) }}|{{ run_started_at > modules.datetime.datetime(2020, 1, 1) }}
        """)
        #expect(n.compiledSQL == "2023-11-14 22:13:20.250000+00:00|2023-11-14 22:13|inv-1|2024-02-01|2024-02-01|True")
    }

    @Test func jsonAndYamlHelpers() throws {
        let n = try render("""
        {%- set d = fromyaml('a: 1\\nb: [x, y]\\nc: {d: true}') -%}
        {{ d.b[1] }}|{{ d.c.d }}|{{ tojson(d) }}|{{ fromjson('{"k": [1, 2]}').k | length }}|{{ toyaml({'name': 'x', 'cols': ['a', 'b'], 'n': none}) }}
        """)
        #expect(n.compiledSQL == "y|True|{\"a\": 1, \"b\": [\"x\", \"y\"], \"c\": {\"d\": true}}|2|name: x\ncols:\n- a\n- b\nn: null\n")
    }

    @Test func targetVarsEnvThisConfigAndModel() throws {
        let n = try render("""
        {{ config(materialized='table', tags=['x']) }}{{ target.name }} {{ target.schema }} {{ target.database }} {{ target.user }} {{ target.threads }} {{ target.type }} {{ var('flag') }} {{ var('absent', 'dflt') }} {{ env_var('HOME_REGION') }} {{ this.identifier }} {{ config.get('materialized') }} {{ config.get('nope', 'dflt') }} {{ model.name }} {{ is_incremental() }} {{ execute }}
        """)
        #expect(n.compiledSQL == "dev analytics wh ada 3 postgres True dflt eu m table dflt m False True")
    }

    @Test func logPrintsOnlyWithInfo() throws {
        let lines = CapturingOutputSink()
        _ = try render("{{ log('quiet') }}{{ log('loud', info=true) }}select 1") { $0.log = { lines.info($0) } }
        #expect(lines.lines == ["loud"])
    }

    /// Relations, columns, `modules.re` and the built-in generic tests as dbt renders them: each line of Tests/Fixtures/dbt-macros/context.txt is a
    /// model `c<n>`, compiled by dbt into expected/c<n>.sql (scripts/record-dbt-macros) and here by Strata, with the
    /// same target (database `strata`, schema `analytics`).
    @Test func relationsColumnsAndReRenderAsDbt() throws {
        let dir = repositoryRoot + "/Tests/Fixtures/dbt-macros"
        let lines = try String(contentsOfFile: dir + "/context.txt", encoding: .utf8).split(separator: "\n").map(String.init).filter { !$0.isEmpty }
        #expect(lines.count == 8)
        var files = ["strata.yml": "name: p\n", "models/schema.yml": try String(contentsOfFile: dir + "/schema.yml", encoding: .utf8)]
        for (i, line) in lines.enumerated() { files[String(format: "models/c%02d.sql", i)] = line }
        let tp = try TempProject(files)
        defer { tp.remove() }
        let options = CompileOptions(target: TargetInfo(name: "dev", schema: "analytics", database: "strata", user: "postgres", threads: 1), environment: [:])
        let compiled = try Compiler(project: try ProjectLoader().load(directory: tp.root), options: options).compile()
        for i in lines.indices {
            let name = String(format: "c%02d", i)
            let expected = try String(contentsOfFile: dir + "/expected/\(name).sql", encoding: .utf8)
            #expect(compiled.nodes[.model("p", name)]?.compiledSQL == expected, "\(name): \(lines[i])")
        }
        // dbt's built-in generic tests (schema.yml), byte for byte as dbt renders them
        let testsDir = dir + "/expected/tests"
        let testFiles = try FileManager.default.contentsOfDirectory(atPath: testsDir).sorted()
        #expect(testFiles.count == 5)
        // each under the name dbt gave its file, at the path dbt writes it (models/schema.yml/<name>.sql)
        let tests = Dictionary(uniqueKeysWithValues: compiled.nodes.values.filter { $0.kind == .test }.map { ($0.compiledPath ?? "", $0.compiledSQL ?? "") })
        for file in testFiles {
            #expect(tests["p/models/schema.yml/\(file)"] == (try String(contentsOfFile: testsDir + "/" + file, encoding: .utf8)), "\(file)")
        }
    }

    @Test func runQueryNeedsADatabaseOfflineAndUsesTheRunnerOtherwise() throws {
        do {
            _ = try render("{% set r = run_query('select 1') %}")
            Issue.record("expected an error")
        } catch let e as DiagnosticError {
            #expect(e.diagnostics.first?.message.contains("run_query() needs a database") == true)
        }
        let n = try render("{% set r = run_query('select 1') %}{{ r.columns[0].values() }} {{ r.rows }} {{ r[1][1] }} {{ r.column_names }}") {
            $0.connection = CannedConnection(QueryResult(columns: ["a", "b"], rows: [["1", "x"], ["2", nil]]))
        }
        #expect(n.compiledSQL == "[1, 2] [[1, 'x'], [2, None]] None ['a', 'b']")
    }

    /// dbt's `return()` inside a `{% call %}` body returns from the macro that called `caller()` (dbt_utils'
    /// get_column_values returns its default that way, from inside `{% call statement() %}`).
    @Test func returnInsideACallBlockReturnsFromTheCallee() throws {
        let n = try render("{{ m() }}", files: ["templates/m.sql": "{% macro wrap() %}{{ caller() }}tail{% endmacro %}{% macro m() %}{% call wrap() %}{{ return('r') }}{% endcall %}rest{% endmacro %}"])
        #expect(n.compiledSQL == "rrest")
        let s = try render("{{ m() }}", files: ["templates/m.sql": "{% macro m() %}{% call statement('x') %}{{ return([1]) }}{% endcall %}{{ return(load_result('x')) }}{% endmacro %}"]) {
            $0.connection = CannedConnection(QueryResult(columns: ["a"], rows: [["1"]]))
        }
        #expect(s.compiledSQL == "None")
    }

    @Test func pythonSetsCompareWithoutOrder() throws {
        let n = try render("{% set a = set([1, 2, 2]) %}{% set b = set([2, 1]) %}{{ a == b }} {{ a | length }} {{ a - set([1]) }} {{ 2 in a }} {{ set() }} {{ a.union([3]) | list }}")
        #expect(n.compiledSQL == "True 2 {2} True set() [1, 2, 3]")
    }

    /// dbt's `graph`: every node as the manifest describes it, known before rendering (literal refs as depends_on).
    @Test func graphDescribesTheProjectsNodes() throws {
        let n = try render("""
            {%- for node in graph.nodes.values() | selectattr('resource_type', 'equalto', 'model') | sort(attribute='name') -%}
            {{ node.name }}:{{ node.config.materialized }}:{{ node.depends_on.nodes }}:{{ node.fqn }};
            {% endfor -%}
            {{ graph.sources | length }} {{ zip_strict([1, 2], ['a', 'b']) }}
            """, files: ["models/up.sql": "{{ config(materialized='table') }}select 1 as id", "models/other.sql": "select * from {{ ref('up') }}"])
        #expect(n.compiledSQL == "m:view:[]:['p', 'm'];\nother:view:['model.p.up']:['p', 'other'];\nup:table:[]:['p', 'up'];\n0 [(1, 'a'), (2, 'b')]")
    }

    @Test func testBlocksAreMacrosNamedTestName() throws {
        let n = try render("{{ test_positive('t', 'c') }}", files: ["templates/tests.sql": "{% test positive(model, column_name) %}select * from {{ model }} where {{ column_name }} <= 0{% endtest %}"])
        #expect(n.compiledSQL == "select * from t where c <= 0")
    }

    @Test func yamlConfigValuesAreRendered() throws {
        let tp = try TempProject([
            "strata.yml": "name: p\nvars:\n  env_schema: staging\nmodels:\n  p:\n    +schema: \"{{ var('env_schema') }}\"\n",
            "models/m.sql": "select 1",
        ])
        defer { tp.remove() }
        let c = try Compiler(project: try ProjectLoader().load(directory: tp.root), options: CompileOptions(target: TargetInfo(schema: "a", database: "d"), environment: [:])).compile()
        #expect(c.nodes[.model("p", "m")]?.relation?.schema == "a_staging")
    }
}

/// Environment globals are shared by every render; a model that changes one must neither crash a parallel compile
/// nor leak into another model (dbt gives every node a context of its own).
@Suite struct SharedGlobalsTests {
    @Test func parallelRendersMutatingGlobalsStayIsolated() throws {
        var files = ["strata.yml": "name: p\n"]
        for i in 0..<400 {
            files["models/m\(i).sql"] = "{% for j in range(200) %}{% do exceptions.update({'k_' ~ j: j}) %}{% endfor %}"
                + "{% do modules.update({'mine': \(i)}) %}select {{ exceptions | length }} as n, {{ modules.mine }} as mine"
        }
        let p = try compile(files)
        for i in 0..<400 {
            // the built-in entries of `exceptions` (raise_compiler_error, raise_not_implemented, warn) plus this model's
            // 200; `modules.mine` is its own
            #expect(sql(p, "m\(i)") == "select 203 as n, \(i) as mine")
        }
    }
}

@Suite struct VarScopeTests {
    /// dbt scopes vars by project: `vars: {p: {k: v}}` applies to project p's nodes and wins over a top-level `k`;
    /// `--vars` wins over both.
    @Test func varsUnderTheProjectsNameApplyToItsNodes() throws {
        let files = [
            "dbt_project.yml": "name: p\nversion: '1'\nconfig-version: 2\nvars:\n  region: eu\n  tier: gold\n  p:\n    tier: silver\n  other_package:\n    tier: bronze\n",
            "models/m.sql": "select '{{ var('region') }}' as r, '{{ var('tier') }}' as t",
        ]
        #expect(sql(try compile(files), "m") == "select 'eu' as r, 'silver' as t")
        let tp = try TempProject(files)
        defer { tp.remove() }
        let project = try ProjectLoader().load(directory: tp.root)
        let withCLI = try Compiler(project: project, options: CompileOptions(vars: ["tier": .string("platinum")], environment: [:])).compile()
        #expect(sql(withCLI, "m") == "select 'eu' as r, 'platinum' as t")
    }
}

@Suite struct FlagsAndWarningsTests {
    /// `flags.WHICH`/`flags.FULL_REFRESH` as dbt sets them, and `exceptions.warn` printing a located warning.
    @Test func flagsAndWarn() throws {
        let tp = try TempProject(["strata.yml": "name: p\n",
                                  "models/m.sql": "select '{{ flags.WHICH }}' as w, {{ flags.FULL_REFRESH }} as f{{ exceptions.warn('careful') }}",
                                  "models/n.sql": "{{ config(full_refresh=false) }}select {{ should_full_refresh() }} as f, '{{ dbt_version }}' as v"])
        defer { tp.remove() }
        let logged = CapturingOutputSink()
        var options = CompileOptions(environment: [:], fullRefresh: true, log: { logged.info($0) })
        options.command = "run"
        let p = try Compiler(project: try ProjectLoader().load(directory: tp.root), options: options).compile()
        #expect(sql(p, "m") == "select 'run' as w, True as f")
        // the model's full_refresh config wins over --full-refresh, as in dbt
        #expect(sql(p, "n") == "select False as f, '1.12.6' as v")
        #expect(logged.lines == ["models/m.sql:1:66: warning: careful"])
    }
}

extension FlagsAndWarningsTests {
    @Test func shouldStoreFailuresFollowsTheTestsConfig() throws {
        let p = try compile(["strata.yml": "name: p\n", "models/m.sql": "select 1 as id",
                             "templates/t.sql": "{% test stored(model) %}select {{ should_store_failures() }} as x{% endtest %}",
                             "models/schema.yml": "models:\n  - name: m\n    data_tests:\n      - stored:\n          config: {store_failures: true}\n      - stored:\n          config: {alias: plain}\n"])
        let tests = p.nodes.values.filter { $0.kind == .test }.sorted { $0.name < $1.name }
        #expect(tests.map(\.compiledSQL) == ["select False as x", "select True as x"])
    }
}

/// A connection that answers every statement with one result (for the context's query plumbing, not the database's
/// behaviour: that is tested against PostgreSQL).
final class CannedConnection: WarehouseConnection {
    let result: QueryResult
    init(_ result: QueryResult) { self.result = result }
    func execute(_ sql: String, parameters: [String?]) throws -> QueryResult { result }
    func copyIn(_ sql: String, chunks: AnySequence<[UInt8]>) throws -> Int { 0 }
    func cancel() {}
    var isOpen: Bool { true }
    func close() {}
}
