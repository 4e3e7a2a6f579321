import Foundation
import Testing
import Warehouse
import Basics
import DependencyGraph
import ProjectLoading
import ProjectModel
import StrataTestSupport
@testable import Compilation

func compile(_ files: [String: String], target: TargetInfo = TargetInfo(schema: "analytics", database: "warehouse"),
             env: [String: String] = [:]) throws -> CompiledProject {
    let tp = try TempProject(files)
    defer { tp.remove() }
    let project = try ProjectLoader().load(directory: tp.root)
    return try Compiler(project: project, options: CompileOptions(target: target, environment: env)).compile()
}

func sql(_ p: CompiledProject, _ name: String) -> String? {
    p.nodes[NodeID.model(p.projectName, name)]?.compiledSQL
}

@Suite struct CompilerTests {
    @Test func exampleProjectMatchesGoldenFiles() throws {
        let project = try ProjectLoader().load(directory: repositoryRoot)
        let compiled = try Compiler(project: project, options: CompileOptions(target: TargetInfo(schema: "public", database: "strata"), environment: [:])).compile()
        let goldenDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/shop")
        let record = ProcessInfo.processInfo.environment["STRATA_RECORD_GOLDEN"] == "1"
        for node in compiled.nodes.values where node.kind == .model {
            let url = goldenDir.appendingPathComponent(node.name + ".sql")
            if record {
                try FileManager.default.createDirectory(at: goldenDir, withIntermediateDirectories: true)
                try Data(node.compiledSQL!.utf8).write(to: url)
                continue
            }
            let expected = try String(contentsOf: url, encoding: .utf8)
            #expect(node.compiledSQL == expected, "\(node.name) differs from Golden/shop/\(node.name).sql (re-record with STRATA_RECORD_GOLDEN=1)")
        }
    }

    @Test func relationsFollowDbtSchemaNaming() throws {
        let p = try compile([
            "strata.yml": "name: p\nmodels:\n  p:\n    marts:\n      +schema: marts\n      +materialized: table\n",
            "models/staging/stg.sql": "select 1 as id",
            "models/marts/fct.sql": "{{ config(alias='fact_orders') }}select * from {{ ref('stg') }}",
        ])
        #expect(sql(p, "fct") == "select * from \"warehouse\".\"analytics\".\"stg\"")
        let fct = try #require(p.nodes[.model("p", "fct")])
        #expect(fct.relation == Relation(database: "warehouse", schema: "analytics_marts", identifier: "fact_orders"))
        #expect(fct.model?.materialization == .table)
        #expect(p.dependsOn(fct.id) == [.model("p", "stg")])
    }

    @Test func projectMacroOverridesSchemaNaming() throws {
        let p = try compile([
            "strata.yml": "name: p\n",
            "templates/naming.sql": "{% macro generate_schema_name(custom_schema_name, node) -%}{{ custom_schema_name or target.schema }}{%- endmacro %}",
            "models/a.sql": "{{ config(schema='reporting') }}select 1",
        ])
        #expect(p.nodes[.model("p", "a")]?.relation?.schema == "reporting")
    }

    @Test func sourcesVarsEnvVarsAndThis() throws {
        let p = try compile([
            "strata.yml": "name: p\nvars:\n  min_id: 10\n",
            "models/sources.yml": "sources:\n  - name: raw\n    schema: \"{{ target.schema }}_raw\"\n    tables:\n      - name: events\n        identifier: evt\n",
            "models/a.sql": "select * from {{ source('raw', 'events') }} where id > {{ var('min_id') }} and x = '{{ env_var('REGION', 'eu') }}' -- {{ this }}",
        ], env: ["REGION": "us"])
        #expect(sql(p, "a") == "select * from \"warehouse\".\"analytics_raw\".\"evt\" where id > 10 and x = 'us' -- \"warehouse\".\"analytics\".\"a\"")
        #expect(p.dependsOn(.model("p", "a")) == [.source("p", "raw", "events")])
    }

    @Test func ephemeralModelsBecomeCTEsAsInDbt() throws {
        let p = try compile([
            "strata.yml": "name: p\n",
            "models/base.sql": "select 1 as id",
            "models/eph.sql": "{{ config(materialized='ephemeral') }}select id from {{ ref('base') }}",
            "models/eph2.sql": "{{ config(materialized='ephemeral') }}select * from {{ ref('eph') }}",
            "models/with_cte.sql": "with x as (select * from {{ ref('eph2') }})\nselect * from x",
            "models/plain.sql": "\nselect * from {{ ref('eph') }}",
        ])
        // as dbt-core 1.12.6 writes them (recorded): sqlparse inserts past the whitespace after `with`
        #expect(sql(p, "with_cte") == """
        with  __dbt__cte__eph as (
        select id from "warehouse"."analytics"."base"
        ),  __dbt__cte__eph2 as (
        select * from __dbt__cte__eph
        ), x as (select * from __dbt__cte__eph2)
        select * from x
        """)
        // the file's leading newline is not part of the model (dbt strips files)
        #expect(sql(p, "plain") == "with __dbt__cte__eph as (\nselect id from \"warehouse\".\"analytics\".\"base\"\n) select * from __dbt__cte__eph")
        #expect(p.nodes[.model("p", "eph")]?.relation == nil)
    }

    @Test func nonLiteralRefIsResolvedAtRenderTimeAndJoinsTheGraph() throws {
        let p = try compile([
            "strata.yml": "name: p\n",
            "models/a.sql": "select 1",
            "models/b.sql": "{% set up = 'a' %}select * from {{ ref(up) }}",
        ])
        #expect(p.dependsOn(.model("p", "b")) == [.model("p", "a")])
        #expect(p.order.firstIndex(of: .model("p", "a"))! < p.order.firstIndex(of: .model("p", "b"))!)
    }

    @Test func errorsCarryLocationsAndAreAllReported() throws {
        do {
            _ = try compile([
                "strata.yml": "name: p\n",
                "models/a.sql": "select *\nfrom {{ ref('stg_ordrs') }}",
                "models/b.sql": "select {{ var('missing') }}",
                "models/c.sql": "{{ config(materialized='tabel') }}select 1",
                "models/stg_orders.sql": "select 1",
            ])
            Issue.record("expected errors")
        } catch let e as DiagnosticError {
            let byCode = Dictionary(grouping: e.diagnostics, by: \.code)
            let ref = try #require(byCode["C2003"]?.first)
            #expect(ref.location == SourceLocation(file: "models/a.sql", line: 2, column: 9))
            #expect(ref.message.contains("did you mean 'stg_orders'?"))
            let mat = try #require(byCode["C3001"]?.first)
            #expect(mat.message.contains("did you mean 'table'?"))
            #expect(mat.location?.file == "models/c.sql")
            // the undefined var is reported in the same run only after the graph is valid; here the graph errors come first
            #expect(e.diagnostics.count >= 2)
        }
    }

    /// Plain hooks are SQL at compile time; templated ones render when the node is built (as dbt's run_hooks).
    @Test func hooksAreRenderedForModelsAndSeeds() throws {
        let p = try compile([
            "strata.yml": "name: p\nseeds:\n  p:\n    +post-hook: \"grant select on {{ this }} to reporter\"\n",
            "seeds/s.csv": "id\n1\n",
            "models/a.sql": "{{ config(materialized='table', post_hook='select 1') }}select 1 as id",
        ])
        #expect(p.warnings.isEmpty)
        #expect(p.nodes[.model("p", "a")]?.buildSettings?.postHooks == ["select 1"])
        #expect(p.nodes[.model("p", "a")]?.runTimeRender == nil)
        let seed = try #require(p.nodes[.seed("p", "s")])
        #expect(seed.buildSettings?.postHooks == [])
        let render = try #require(seed.runTimeRender)
        #expect(!render.rendersSQL)
        let connection = CannedConnection(QueryResult())
        #expect(try render.hooks(.postHooks, on: connection) == ["grant select on \"warehouse\".\"analytics\".\"s\" to reporter"])
        #expect(try render.hooks(.preHooks, on: connection) == [])
    }

    /// Generic tests carry dbt's ids; the same test declared twice would take one id twice, which dbt refuses too.
    @Test func theSameTestTwiceIsAnError() throws {
        do {
            _ = try compile(["strata.yml": "name: p\n", "models/m.sql": "select 1 as id",
                             "models/s.yml": "models:\n  - name: m\n    columns:\n      - name: id\n        data_tests: [unique, unique]\n"])
            Issue.record("expected an error")
        } catch let e as DiagnosticError {
            #expect(e.diagnostics.map(\.code) == ["C4006"])
            #expect(e.diagnostics.first?.location?.file == "models/s.yml")
        }
        let p = try compile(["strata.yml": "name: p\n", "models/m.sql": "select 1 as id",
                             "models/s.yml": "models:\n  - name: m\n    columns:\n      - name: id\n        data_tests: [unique, not_null]\n"])
        // two different tests: two ids of dbt's shape, test.<project>.<name>.<10 hex digits>
        let ids = p.nodes.keys.map(\.rawValue).filter { $0.hasPrefix("test.") }.sorted()
        #expect(ids.count == 2)
        #expect(ids.allSatisfy { $0.range(of: #"^test\.p\.(not_null|unique)_m_id\.[0-9a-f]{10}$"#, options: .regularExpression) != nil }, "\(ids)")
    }

    @Test func undefinedVarIsLocated() throws {
        do {
            _ = try compile(["strata.yml": "name: p\n", "models/b.sql": "select\n  {{ var('missing') }}"])
            Issue.record("expected an error")
        } catch let e as DiagnosticError {
            #expect(e.diagnostics.first?.location == SourceLocation(file: "models/b.sql", line: 2, column: 6))
            #expect(e.diagnostics.first?.message.contains("required var 'missing'") == true)
        }
    }

    @Test func compiledPositionsMapBackToTheTemplate() throws {
        let p = try compile(["strata.yml": "name: p\n", "models/a.sql": "{{ config(materialized='table') }}\nselect\n  1 as id,\n  nosuch + 1"])
        let node = try #require(p.nodes[.model("p", "a")])
        let compiled = try #require(node.compiledSQL)
        let pos = compiled.distance(from: compiled.startIndex, to: compiled.range(of: "nosuch")!.lowerBound) + 1
        #expect(node.location(forCompiledPosition: pos) == SourceLocation(file: "models/a.sql", line: 4, column: 3))
    }

    @Test func manifestChecksumsAreStable() throws {
        let p = try compile(["strata.yml": "name: p\n", "models/a.sql": "select 1"])
        #expect(p.nodes[.model("p", "a")]?.checksum == SHA256.hex("select 1"))
        // as dbt: the checksum is of the file without surrounding whitespace
        let q = try compile(["strata.yml": "name: p\n", "models/a.sql": "\n  select 1\n\n"])
        #expect(q.nodes[.model("p", "a")]?.checksum == SHA256.hex("select 1"))
        #expect(q.nodes[.model("p", "a")]?.compiledSQL == "select 1")
    }
}

/// Huge inputs: a 10,000-model chain (each model reads the one before) and a model of 1 MB of SQL compile without
/// deep recursion anywhere (graph order, selection, rendering, ephemeral injection).
@Suite struct HugeInputTests {
    @Test func tenThousandModelChain() throws {
        var files = ["strata.yml": "name: chain\n", "models/m0.sql": "select 1 as id"]
        for i in 1..<10_000 { files["models/m\(i).sql"] = "select id + 1 as id from {{ ref('m\(i - 1)') }}" }
        let p = try compile(files)
        #expect(p.order.count == 10_000)
        #expect(p.order.first == .model("chain", "m0"))
        #expect(p.order.last == .model("chain", "m9999"))
        #expect(try p.graph.select(["+m9999"], exclude: [], projectName: "chain").count == 10_000)
        #expect(try p.graph.select(["m0+"], exclude: [], projectName: "chain").count == 10_000)
        #expect(sql(p, "m9999") == "select id + 1 as id from \"warehouse\".\"analytics\".\"m9998\"")
    }

    @Test func oneMegabyteModel() throws {
        let literal = String(repeating: "abcdefghij", count: 100_000)
        let body = "select '\(literal)' as big, {{ 1 + 1 }} as two\n" + String(repeating: "-- a comment line to make the file longer\n", count: 1000)
        let p = try compile(["strata.yml": "name: big\n", "models/big.sql": body])
        let compiled = try #require(sql(p, "big"))
        #expect(compiled.utf8.count > 1_000_000)
        #expect(compiled.contains("as big, 2 as two"))
    }
}

@Suite struct DocsBlockTests {
    @Test func descriptionsUseDocsBlocks() throws {
        let p = try compile([
            "dbt_project.yml": "name: d\nprofile: d\n",
            "models/m.sql": "select 1 as id",
            "models/docs.md": "{% docs m_doc %}\n**The** model.\n{% enddocs %}\n\n{%- docs id_doc -%}The id.{%- enddocs -%}\n",
            "models/m.yml": "version: 2\nmodels:\n  - name: m\n    description: \"{{ doc('m_doc') }}\"\n    meta: {owner: ada}\n    columns:\n      - name: id\n        description: \"Key. {{ doc('id_doc') }}\"\n",
        ])
        let m = try #require(p.nodes[.model("d", "m")])
        #expect(m.description == "**The** model.")
        #expect(m.columns.first?.description == "Key. The id.")
        #expect(m.config["meta"]?["owner"]?.asString == "ada")
        do {
            _ = try compile([
                "dbt_project.yml": "name: d\nprofile: d\n",
                "models/m.sql": "select 1 as id",
                "models/docs.md": "{% docs m_doc %}x{% enddocs %}",
                "models/m.yml": "version: 2\nmodels:\n  - name: m\n    columns:\n      - name: id\n        description: \"{{ doc('m_dco') }}\"\n",
            ])
            Issue.record("expected an error")
        } catch let e as DiagnosticError {
            let d = try #require(e.diagnostics.first { $0.code == "C2007" })
            #expect(d.message.hasPrefix("doc('m_dco') names no docs block; did you mean 'm_doc'?"))
            #expect(d.location?.file == "models/m.yml")
            #expect(d.location?.line == 5)
        }
    }
}

@Suite struct DiagnosticRegistryTests {
    /// Every module's codes (its `Diagnostics.swift`): each code is declared once, means one thing, and the README's
    /// table lists exactly the registered codes with their meanings.
    @Test func registeredCodesAreUniqueAndDocumented() throws {
        let sources = repositoryRoot + "/Sources"
        var codes: [(code: String, summary: String)] = []
        for module in try FileManager.default.contentsOfDirectory(atPath: sources).sorted() {
            guard let text = try? String(contentsOfFile: "\(sources)/\(module)/Diagnostics.swift", encoding: .utf8) else { continue }
            let pattern = try Regex(#"DiagnosticCode\("([A-Z][0-9]{4})", "((?:[^"\\]|\\.)*)"\)"#)
            for m in text.matches(of: pattern) {
                codes.append((String(m.output[1].substring!), String(m.output[2].substring!).replacingOccurrences(of: "\\\"", with: "\"")))
            }
        }
        #expect(codes.count > 100)
        #expect(Set(codes.map(\.code)).count == codes.count, "a code is declared twice")
        #expect(Set(codes.map(\.summary)).count == codes.count, "two codes share a meaning")
        let readme = try String(contentsOfFile: repositoryRoot + "/README.md", encoding: .utf8)
        let row = try Regex(#"^\| `[A-Z][0-9]{4}` \| "#)
        let table = readme.split(separator: "\n").filter { $0.prefixMatch(of: row) != nil }
        #expect(table.count == codes.count, "README lists \(table.count) codes, the registries \(codes.count)")
        for c in codes { #expect(readme.contains("| `\(c.code)` | \(c.summary) |"), "\(c.code) missing from the README's table") }
    }
}

/// dbt model versions: the files of each version, the latest as the bare ref, errors that name the versions there are.
@Suite struct ModelVersionTests {
    static let files = [
        "dbt_project.yml": "name: p\nversion: '1.0'\nconfig-version: 2\n",
        "models/orders_v1.sql": "select 1 as id",
        "models/orders_v2.sql": "select 1 as id, 2 as amount",
        "models/latest.sql": "select * from {{ ref('orders') }}",
        "models/first.sql": "select * from {{ ref('orders', version=1) }}",
        "models/s.yml": "models:\n  - name: orders\n    versions:\n      - v: 1\n      - v: 2\n",
    ]

    @Test func theLatestVersionIsTheHighestUnlessSaid() throws {
        let p = try compile(Self.files)
        #expect(sql(p, "latest") == "select * from \"warehouse\".\"analytics\".\"orders_v2\"")
        #expect(sql(p, "first") == "select * from \"warehouse\".\"analytics\".\"orders_v1\"")
        #expect(p.nodes[NodeID("model.p.orders.v2")]?.fqn == ["p", "orders", "v2"])
        var files = Self.files
        files["models/s.yml"] = "models:\n  - name: orders\n    latest_version: 1\n    versions:\n      - v: 1\n      - v: 2\n"
        #expect(sql(try compile(files), "latest") == "select * from \"warehouse\".\"analytics\".\"orders_v1\"")
        // a unit test of a versioned model runs on its latest version
        files["models/u.yml"] = "unit_tests:\n  - name: u\n    model: orders\n    given: []\n    expect: {rows: [{id: 1}]}\n"
        let withUnit = try compile(files)
        #expect(withUnit.nodes[NodeID("unit_test.p.orders.u")]?.compiledSQL == "select 1 as id")
    }

    @Test func aVersionThatDoesNotExistNamesTheVersionsThereAre() throws {
        var files = Self.files
        files["models/first.sql"] = "select * from {{ ref('orders', v=3) }}"
        let error = #expect(throws: DiagnosticError.self) { try compile(files) }
        #expect(error?.diagnostics.first?.message == "ref('orders', v=3): model 'orders' has no version 3 (versions: 1, 2)")
        #expect(error?.diagnostics.first?.location == SourceLocation(file: "models/first.sql", line: 1, column: 18))
        // a version whose file is missing
        files["models/first.sql"] = "select 1 as x"
        files["models/s.yml"] = "models:\n  - name: orders\n    versions:\n      - v: 1\n      - v: 3\n"
        let missing = #expect(throws: DiagnosticError.self) { try compile(files) }
        #expect(missing?.diagnostics.contains { $0.message.hasPrefix("version 3 of model 'orders' is defined in orders_v3.sql, which does not exist") } == true)
    }

}

@Suite struct NameMessageTests {
    /// Messages for names that exist elsewhere: a disabled node in dbt's words, a macro of a package that is not
    /// installed, a package macro called without its namespace, and no did-you-mean to an unrelated name.
    @Test func messagesNameWhereANameReallyIs() throws {
        func messages(_ model: String, extra: [String: String] = [:]) throws -> [String] {
            let error = #expect(throws: DiagnosticError.self) {
                try compile(["dbt_project.yml": "name: p\nprofile: p\n", "models/b.sql": "{{ config(enabled=false) }}select 1", "models/a.sql": model]
                    .merging(extra) { $1 })
            }
            return error?.diagnostics.map(\.message) ?? []
        }
        let disabled = #expect(throws: DiagnosticError.self) {
            try compile(["dbt_project.yml": "name: p\nprofile: p\n", "models/b.sql": "{{ config(enabled=false) }}select 1",
                         "models/a.sql": "select * from {{ ref('b') }}"])
        }
        #expect(disabled?.diagnostics.first?.message == "ref('b') depends on a node named 'b' which is disabled")
        #expect(disabled?.diagnostics.first?.notes.first?.location?.file == "models/b.sql")
        #expect(try messages("select {{ dbt_utils.date_spine('day', '1', '2') }}")
                == ["'dbt_utils.date_spine' is undefined: it is a macro of the package dbt_utils, which is not installed: declare it in packages.yml (`- package: dbt-labs/dbt_utils`) and run `strata deps`"])
        #expect(try messages("select {{ date_spine('day', '1', '2') }}").first?.hasSuffix("then call it as dbt_utils.date_spine()") == true)
        #expect(try messages("select {{ dbt_date.today() }}").first?.hasPrefix("'dbt_date' is undefined: it is the package dbt_date, which is not installed") == true)
        // dbt's safe_cast exists (it was offered as "did you mean 'safe_add'"), and a typo finds it
        #expect(try messages("select {{ safe_castt('1', 'int') }}") == ["'safe_castt' is undefined; did you mean 'safe_cast'?"])
        // a macro of an installed package called bare
        let bare = try messages("select {{ helper() }}", extra: [
            "packages.yml": "packages:\n  - local: pkg\n",
            "pkg/dbt_project.yml": "name: pkg\n", "dbt_packages/pkg/dbt_project.yml": "name: pkg\n", "dbt_packages/pkg/macros/h.sql": "{% macro helper() %}1{% endmacro %}",
        ])
        #expect(bare == ["'helper' is undefined: it is a macro of package 'pkg'; call it as pkg.helper()"])
    }

    /// A package's macros render with the project's limits: they cannot read secret variables, and a runaway
    /// recursion in one is the same located error.
    @Test func packageMacrosCannotReadSecretsOrRecurseForever() throws {
        let files = [
            "dbt_project.yml": "name: p\nprofile: p\n", "packages.yml": "packages:\n  - local: pkg\n",
            "pkg/dbt_project.yml": "name: pkg\n", "dbt_packages/pkg/dbt_project.yml": "name: pkg\n",
            "dbt_packages/pkg/macros/m.sql": "{% macro leak() %}'{{ env_var('DBT_ENV_SECRET_TOKEN') }}'{% endmacro %}{% macro loop() %}{{ pkg.loop() }}{% endmacro %}",
        ]
        let leak = #expect(throws: DiagnosticError.self) {
            try compile(files.merging(["models/a.sql": "select {{ pkg.leak() }} as t"]) { $1 }, env: ["DBT_ENV_SECRET_TOKEN": "s3cret"])
        }
        #expect(leak?.diagnostics.first?.code == "C2006", "\(leak?.diagnostics.map(\.message) ?? [])")
        #expect(leak?.diagnostics.contains { $0.message.contains("s3cret") } == false)
        let loop = #expect(throws: DiagnosticError.self) { try compile(files.merging(["models/a.sql": "select {{ pkg.loop() }}"]) { $1 }) }
        #expect(loop?.diagnostics.first?.message.contains("recursed more than 200 levels deep") == true)
    }

    /// A config key close to one dbt knows is a located warning with a did-you-mean (once for a project-file key,
    /// however many models it applies to); a key of the project's own stays silent.
    @Test func misspeltConfigKeysWarn() throws {
        let p = try compile(["dbt_project.yml": "name: p\nprofile: p\nmodels:\n  p:\n    +materialised: table\n",
                             "models/a.sql": "{{ config(uniqe_key='id', my_flag=true) }}select 1 as id", "models/b.sql": "select 2 as id"])
        let messages = p.warnings.filter { $0.code == "C3020" }.map { "\($0.location!.file):\($0.location!.line):\($0.location!.column) \($0.message)" }
        #expect(messages.sorted() == ["dbt_project.yml:5:5 config 'materialised' is not one dbt knows; did you mean 'materialized'?",
                                      "models/a.sql:1:21 config 'uniqe_key' is not one dbt knows; did you mean 'unique_key'?"])
    }
}
