import Testing
import Basics
import ProjectModel
import StrataTestSupport
@testable import ProjectLoading

@Suite struct ProjectLoaderTests {
    @Test func loadsTheExampleProject() throws {
        let p = try ProjectLoader().load(directory: repositoryRoot)
        #expect(p.name == "shop")
        #expect(p.kind == .strata)
        #expect(p.models.map(\.name).sorted() == ["customers", "int_order_payments", "orders", "stg_customers", "stg_orders", "stg_payments"])
        #expect(p.seeds.map(\.name) == ["raw_customers", "raw_orders", "raw_payments"])
        #expect(p.sources.map { "\($0.sourceName).\($0.tableName)" } == ["shop_raw.raw_payments"])
        #expect(p.templateFiles.map(\.path) == ["templates/money.sql"])
        #expect(p.models.first { $0.name == "stg_customers" }?.properties?.description == "Customers, one row each.")
    }

    @Test func readsDbtProjectWithFolderConfigs() throws {
        let tp = try TempProject([
            "dbt_project.yml": """
            name: 'jaffle'
            config-version: 2
            profile: 'jaffle'
            macro-paths: ["macros"]
            models:
              jaffle:
                +materialized: view
                marts:
                  +materialized: table
                  +schema: analytics
                  finance:
                    +tags: ['finance']
            on-run-start: []
            """,
            "models/marts/finance/revenue.sql": "select 1",
            "macros/m.sql": "{% macro m() %}{% endmacro %}",
        ])
        defer { tp.remove() }
        let p = try ProjectLoader().load(directory: tp.root)
        #expect(p.kind == .dbt)
        #expect(p.profileName == "jaffle")
        #expect(p.templateFiles.map(\.path) == ["macros/m.sql"])
        let entries = p.modelConfigs.resolve(along: ["jaffle", "marts", "finance", "revenue"])
        #expect(entries.map(\.key) == ["materialized", "materialized", "schema", "tags"])
        #expect(entries.last?.value == .list([.string("finance")]))
    }

    @Test func yamlSyntaxErrorHasFileLineAndColumn() throws {
        let tp = try TempProject(["strata.yml": "name: x\nmodels:\n  x: [unclosed\n"])
        defer { tp.remove() }
        do {
            _ = try ProjectLoader().load(directory: tp.root)
            Issue.record("expected an error")
        } catch let e as DiagnosticError {
            let d = try #require(e.diagnostics.first)
            #expect(d.code == "S1002")
            #expect(d.location?.file == "strata.yml")
            #expect(d.location?.line == 4)
        }
    }

    @Test func reportsEveryProblemAtOnceWithDidYouMean() throws {
        let tp = try TempProject([
            "strata.yml": "name: x\nmodel-path: [models]\n",
            "models/a.sql": "select 1",
            "models/sub/a.sql": "select 2",
            "models/props.yml": "models:\n  - name: a\n    descripton: oops\n",
        ])
        defer { tp.remove() }
        do {
            _ = try ProjectLoader().load(directory: tp.root)
            Issue.record("expected errors")
        } catch let e as DiagnosticError {
            let messages = e.diagnostics.map(\.description)
            #expect(messages.contains { $0.contains("strata.yml:2:1: error[S1004]: unknown key 'model-path'") && $0.contains("did you mean 'model-paths'?") })
            #expect(messages.contains { $0.contains("models/props.yml:3:5") && $0.contains("did you mean 'description'?") })
            #expect(messages.contains { $0.contains("two models are named 'a'") })
        }
    }

    @Test func missingProjectFileIsAClearError() throws {
        let tp = try TempProject(["README": "nothing"])
        defer { tp.remove() }
        #expect(throws: Diagnostic.self) { try ProjectLoader().load(directory: tp.root) }
    }
}

@Suite struct ProfileLoaderTests {
    @Test func readsTargetAndRendersEnvVarsWithoutLeakingThePassword() throws {
        let tp = try TempProject(["profiles.yml": """
        shop:
          target: dev
          outputs:
            dev:
              type: postgres
              host: db.internal
              port: 5433
              user: "{{ env_var('SHOP_USER') }}"
              password: "{{ env_var('SHOP_PASSWORD') }}"
              dbname: analytics
              schema: dbt_ada
              threads: 8
              sslmode: require
              role: transformer
              search_path: "dbt_ada, public"
              retries: 3
        """])
        defer { tp.remove() }
        let loader = ProfileLoader(environment: ["SHOP_USER": "ada", "SHOP_PASSWORD": "pl4nted-secret"])
        let t = try #require(try loader.load(profileName: "shop", targetName: nil, searchPath: [tp.root], required: true))
        #expect(t.info.schema == "dbt_ada")
        #expect(t.info.threads == 8)
        #expect(t.info.user == "ada")
        #expect(t.keywords.contains { $0 == ("password", "pl4nted-secret") })
        #expect(t.keywords.contains { $0 == ("sslmode", "require") })
        #expect(t.keywords.contains { $0 == ("options", "-c search_path=dbt_ada,\\ public -c role=transformer") })
        #expect(t.retries == 3)
        #expect(!t.redactedDescription.contains("pl4nted-secret"))
    }

    @Test func missingEnvVarAndUnknownTargetAreErrors() throws {
        let tp = try TempProject(["profiles.yml": "p:\n  target: dev\n  outputs:\n    dev:\n      type: postgres\n      password: \"{{ env_var('NOPE') }}\"\n"])
        defer { tp.remove() }
        let loader = ProfileLoader(environment: [:])
        #expect(throws: Diagnostic.self) { try loader.load(profileName: "p", targetName: nil, searchPath: [tp.root], required: true) }
        #expect(throws: Diagnostic.self) { try loader.load(profileName: "p", targetName: "prod", searchPath: [tp.root], required: true) }
        #expect(try loader.load(profileName: "other", targetName: nil, searchPath: [tp.root], required: false) == nil)
    }

    @Test func parsesCommandLineVars() throws {
        let v = try ProjectLoader.parseVars("{start: '2024-01-01', n: 3}")
        #expect(v["start"] == .string("2024-01-01"))
        #expect(v["n"] == .int(3))
        #expect(throws: Diagnostic.self) { try ProjectLoader.parseVars("[1, 2]") }
    }
}
