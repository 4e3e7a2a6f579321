import Foundation
import Testing
import Artifacts
import Basics
import Compilation
import Contracts
import Materialization
import PostgresAdapter
import ProjectModel
import StrataTestSupport
import Warehouse

extension Harness {
    func staticCheck(select: [String] = []) throws -> StaticContractCheck.Outcome {
        let compiled = try compile()
        let selected = try compiled.graph.select(select, exclude: [], projectName: compiled.projectName)
        let c = try db.connect()
        defer { c.close() }
        return try StaticContractCheck(connection: c).check(compiled, selected: selected)
    }

    func result(_ results: [StepResult], _ name: String) -> StepResult? {
        results.first { $0.id.rawValue.hasSuffix("." + name) }
    }
}

let contractedProject: [String: String] = [
    "strata.yml": "name: p\nmodels:\n  p:\n    +materialized: table\n",
    "models/src.sql": "{{ config(materialized='view') }}select g as id, 'n' || g as name, g * 1.5 as amount, g % 2 + 1 as customer_id from generate_series(1, 4) g",
    "models/customers.sql": "select g as customer_id from generate_series(1, 2) g",
    "models/orders.sql": "select id, name, amount, customer_id from {{ ref('src') }}",
    "models/downstream.sql": "{{ config(materialized='view') }}select id, amount * 2 as doubled from {{ ref('orders') }}",
    "models/report.sql": "select count(*) as orders, sum(doubled) as total from {{ ref('downstream') }}",
    "contracts/orders.yml": """
        name: orders
        version: 1.0.0
        models: [orders]
        columns:
          - name: id
            data_type: integer
            constraints: [primary_key]
          - name: name
            data_type: text
            nullable: false
          - name: amount
            data_type: numeric(10,2)
            constraints:
              - check: amount >= 0
          - name: customer_id
            data_type: integer
            constraints:
              - foreign_key: customers.customer_id
        """,
    "contracts/customers.yml": "name: customers\nmodels: [customers]\ncolumns:\n  - {name: customer_id, data_type: integer, primary_key: true}\n",
    "contracts/report.yml": "name: report\nmodels: [report]\ncolumns:\n  - {name: orders, data_type: bigint}\n  - {name: total, data_type: numeric}\n",
]

@Suite struct ContractIntegrationTests {
    @Test func staticCheckDescribesQueriesWithoutDataAndLeavesNothingBehind() throws {
        let h = try Harness(contractedProject)
        defer { h.cleanup() }
        // before anything exists: every model is described over stand-ins
        var outcome = try h.staticCheck()
        #expect(outcome.diagnostics.isEmpty)
        #expect(outcome.checked.count == 3)
        try h.run()
        let before = try h.query("select count(*) from analytics.orders")
        // the query drifts: a column dropped, another retyped, another moved
        try h.project.write("models/orders.sql", "select id, customer_id, amount::text as amount from {{ ref('src') }}")
        outcome = try h.staticCheck()
        let messages = outcome.diagnostics.map { "\($0.location?.file ?? ""):\($0.location?.line ?? 0) \($0.code) \($0.message)" }
        #expect(messages.contains("contracts/orders.yml:8 K6022 model 'orders' breaks contract 'orders': column 'name' is in the contract but not in the model's query"))
        #expect(messages.contains("contracts/orders.yml:11 K6022 model 'orders' breaks contract 'orders': column 'amount' is text in the model's query, but the contract declares numeric"))
        #expect(outcome.diagnostics.first?.notes.first?.location?.file == "models/orders.sql")
        // downstream models are described against orders' contracted shape, so they still check
        #expect(outcome.checked.contains(NodeID("model.p.report")))
        // nothing was built, dropped or left over
        #expect(try h.query("select count(*) from analytics.orders") == before)
        #expect(try h.query("select count(*) from pg_namespace where nspname like 'strata_check%'") == [["0"]])
        // columns in another order break a contract file's promise
        try h.project.write("models/orders.sql", "select name, id, amount, customer_id from {{ ref('src') }}")
        #expect(try h.staticCheck().diagnostics.map(\.message) == ["model 'orders' breaks contract 'orders': column 'name' is column 1 of the model's query, but column 2 of the contract"])
    }

    @Test func staticCheckLocatesSQLErrorsAndNotesWhatCannotBeCheckedYet() throws {
        var files = contractedProject
        files["models/orders.sql"] = "select id,\n  nme as name, amount, customer_id from {{ ref('src') }}"
        let h = try Harness(files)
        defer { h.cleanup() }
        let outcome = try h.staticCheck()
        let error = try #require(outcome.diagnostics.first { $0.code == "K6020" })
        #expect(error.location == SourceLocation(file: "models/orders.sql", line: 2, column: 3))
        #expect(error.message.contains("column \"nme\" does not exist"))
        // a model reading a seed that is not loaded yet is checked when it is built
        let s = try Harness(["strata.yml": "name: p\n", "seeds/raw.csv": "id\n1\n", "models/m.sql": "select id from {{ ref('raw') }}",
                             "contracts/m.yml": "models: [m]\ncolumns:\n  - {name: id, data_type: integer}\n"])
        defer { s.cleanup() }
        let skipped = try s.staticCheck()
        #expect(skipped.diagnostics.map(\.code) == ["K6021"])
        #expect(skipped.diagnostics.first?.severity == .note)
        #expect(skipped.skipped == [NodeID("model.p.m")])
    }

    @Test func enforcedTablesCarryTheirConstraintsAndAViolationKeepsTheOldTable() throws {
        let h = try Harness(contractedProject)
        defer { h.cleanup() }
        #expect(try h.run().allSatisfy { $0.status == .success })
        let constraints = try h.query("select conname, contype::text from pg_constraint where conrelid = 'analytics.orders'::regclass order by conname")
        #expect(constraints == [["amount_check", "c"], ["customer_id_fkey", "f"], ["orders_pkey", "p"]])
        #expect(try h.query("select attname from pg_attribute where attrelid = 'analytics.orders'::regclass and attnotnull and attnum > 0 order by attnum") == [["id"], ["name"]])
        #expect(try h.query("select format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'analytics.orders'::regclass and attname = 'amount'") == [["numeric(10,2)"]])
        // a rebuild reuses the final constraint names (the staging table's are renamed after the swap)
        #expect(try h.run(select: ["orders"]).allSatisfy { $0.status == .success })
        // duplicate keys: the model fails naming the constraint, the old table stays, downstream is skipped
        try h.project.write("models/orders.sql", "select 1 as id, name, amount, customer_id from {{ ref('src') }}")
        let results = try h.run()
        let orders = try #require(h.result(results, "orders"))
        #expect(orders.status == .error)
        #expect(orders.diagnostic?.code == "R4004")
        #expect(orders.message.contains("violates contract 'orders': duplicate key value violates unique constraint \"orders_pkey\""))
        #expect(h.result(results, "downstream")?.status == .skipped)
        #expect(try h.query("select count(*), count(distinct id) from analytics.orders") == [["4", "4"]])
        // a check constraint: a negative amount
        try h.project.write("models/orders.sql", "select id, name, -amount as amount, customer_id from {{ ref('src') }}")
        #expect(try h.run(select: ["orders"]).first?.message.contains("violates check constraint \"amount_check\"") == true)
        #expect(try h.query("select min(amount) from analytics.orders") == [["1.50"]])
        // no staging relation is left behind
        #expect(try h.query("select count(*) from pg_class where relname like '%strata_new%'") == [["0"]])
    }

    @Test func foreignKeysSurviveAParentRebuildAndAParentLosingKeysFails() throws {
        let h = try Harness(contractedProject)
        defer { h.cleanup() }
        try h.run()
        // the parent is rebuilt (dropped and swapped): the child's foreign key is added back against the new table
        #expect(try h.run(select: ["customers"]).first?.status == .success)
        #expect(try h.query("select confrelid::regclass::text from pg_constraint where conrelid = 'analytics.orders'::regclass and contype = 'f'") == [["analytics.customers"]])
        // the parent loses a referenced key: the swap fails on the foreign key and the old parent stays
        try h.project.write("models/customers.sql", "select 1 as customer_id")
        let r = try #require(try h.run(select: ["customers"]).first)
        #expect(r.status == .error)
        #expect(r.message.contains("violates foreign key constraint \"customer_id_fkey\""))
        #expect(try h.query("select count(*) from analytics.customers") == [["2"]])
    }

    @Test func contractedViewsAreCheckedBeforeTheSwap() throws {
        var files = contractedProject
        files["contracts/downstream.yml"] = "name: downstream\nmodels: [downstream]\ncolumns:\n  - {name: id, data_type: integer}\n  - {name: doubled, data_type: numeric}\n"
        let h = try Harness(files)
        defer { h.cleanup() }
        #expect(try h.run().allSatisfy { $0.status == .success })
        try h.project.write("models/downstream.sql", "{{ config(materialized='view') }}select id, (amount * 2)::text as doubled from {{ ref('orders') }}")
        // bypass the static check (as a race with another writer would): the build itself refuses
        let r = try #require(try h.run(select: ["downstream"]).first)
        #expect(r.status == .error)
        #expect(r.message == "model 'downstream' breaks contract 'downstream': column 'doubled' is text in the model's query, but the contract declares numeric")
        #expect(try h.query("select format_type(atttypid, null) from pg_attribute where attrelid = 'analytics.downstream'::regclass and attname = 'doubled'") == [["numeric"]])
    }

    @Test func incrementalModelsKeepTheirConstraints() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "models/events.sql": """
                {{ config(materialized='incremental', unique_key='id', incremental_strategy='append') }}
                select g as id from generate_series(1, {{ var('n', 3) }}) g
                {% if is_incremental() %}where g > {{ var('from', 0) }}{% endif %}
                """,
            "contracts/events.yml": "models: [events]\ncolumns:\n  - {name: id, data_type: integer, primary_key: true}\n",
        ])
        defer { h.cleanup() }
        #expect(try h.run().first?.status == .success)
        try h.project.write("strata.yml", "name: p\nvars: {n: 5, from: 3}\n")
        #expect(try h.run().first?.status == .success)
        #expect(try h.query("select count(*) from analytics.events") == [["5"]])
        // appending rows that repeat a key fails on the primary key; the table keeps its rows
        try h.project.write("strata.yml", "name: p\nvars: {n: 6, from: 2}\n")
        let r = try #require(try h.run().first)
        #expect(r.status == .error)
        #expect(r.message.contains("events_pkey"))
        #expect(try h.query("select count(*) from analytics.events") == [["5"]])
        #expect(try h.query("select count(*) from pg_constraint where conrelid = 'analytics.events'::regclass and contype = 'p'") == [["1"]])
        // a new column (contract and model together): on_schema_change adds it, the key stays
        try h.project.write("strata.yml", "name: p\nvars: {n: 7, from: 5}\n")
        try h.project.write("models/events.sql", """
            {{ config(materialized='incremental', unique_key='id', incremental_strategy='append', on_schema_change='append_new_columns') }}
            select g as id, 'e' || g as label from generate_series(1, {{ var('n', 3) }}) g
            {% if is_incremental() %}where g > {{ var('from', 0) }}{% endif %}
            """)
        try h.project.write("contracts/events.yml", "models: [events]\ncolumns:\n  - {name: id, data_type: integer, primary_key: true}\n  - {name: label, data_type: text}\n")
        #expect(try h.staticCheck().diagnostics.isEmpty)
        #expect(try h.run().first?.status == .success)
        #expect(try h.query("select count(*), count(label) from analytics.events") == [["7", "2"]])
        #expect(try h.query("select count(*) from pg_constraint where conrelid = 'analytics.events'::regclass and contype = 'p'") == [["1"]])
    }

    @Test func contractChecksFindDriftConstraintsQualityAndFreshness() throws {
        var files = contractedProject
        files["contracts/orders.yml"]! += """

            quality:
              - name: enough rows
                row_count: {min: 10}
              - expression: amount > 0
              - unique: [customer_id]
                severity: warn
            freshness:
              column: seen_at
              warn_after: 1h
              error_after: 1d
            """
        files["contracts/orders.yml"] = files["contracts/orders.yml"]!.replacingOccurrences(of: "      - foreign_key: customers.customer_id", with: "      - foreign_key: customers.customer_id\n  - {name: seen_at, data_type: timestamptz}")
        files["models/orders.sql"] = "select id, name, amount, customer_id, now() - interval '2 hours' as seen_at from {{ ref('src') }}"
        let h = try Harness(files)
        defer { h.cleanup() }
        try h.run()
        var results = try h.run(tests: true)
        func status(_ name: String) -> StepResult.Status? { h.result(results, "contract_orders_" + name)?.status }
        #expect(status("schema") == .pass)
        #expect(status("constraints") == .pass)
        #expect(status("enough_rows") == .fail)
        #expect(status("quality_2") == .pass)
        #expect(status("quality_3") == .warn)
        #expect(status("freshness") == .warn)
        #expect(h.result(results, "contract_orders_quality_3")?.sample?.columns == ["customer_id", "duplicates"])
        // drift made by hand: a column added, a constraint dropped, NOT NULL removed
        _ = try h.query("alter table analytics.orders add column extra int, drop constraint amount_check, alter column name drop not null")
        results = try h.run(tests: true)
        #expect(status("schema") == .fail)
        let drift = try #require(h.result(results, "contract_orders_schema")?.sample)
        #expect(Set(drift.rows.map { "\($0[0]!):\($0[1]!)" }) == ["extra:added", "name:nullable"])
        #expect(status("constraints") == .fail)
        #expect(Set(h.result(results, "contract_orders_constraints")!.sample!.rows.map { $0[0]! }) == ["not_null(name)", "check(amount >= 0)"])
    }
}

@Suite struct SeedContractTests {
    @Test func contractedSeedsTakeTheContractsTypesAndConstraints() throws {
        let h = try Harness([
            "strata.yml": "name: p\n",
            "seeds/countries.csv": "code,name,population\nFR,France,68\nDE,Germany,84\n",
            "contracts/countries.yml": """
                models: [countries]
                columns:
                  - {name: code, data_type: char(2), primary_key: true}
                  - {name: name, data_type: text, nullable: false}
                  - {name: population, data_type: "numeric(6,1)"}
                """,
        ])
        defer { h.cleanup() }
        #expect(try h.run(seeds: true).first?.status == .success)
        #expect(try h.query("select format_type(atttypid, atttypmod) from pg_attribute where attrelid = 'analytics.countries'::regclass and attnum > 0 order by attnum")
                == [["character(2)"], ["text"], ["numeric(6,1)"]])
        #expect(try h.query("select conname from pg_constraint where conrelid = 'analytics.countries'::regclass") == [["countries_pkey"]])
        // a duplicate key: the reload fails naming the constraint and the old rows stay (same table: truncate path)
        try h.project.write("seeds/countries.csv", "code,name,population\nFR,France,68\nFR,Francia,68\n")
        let r = try #require(try h.run(seeds: true).first)
        #expect(r.status == .error)
        #expect(r.message.contains("violates contract 'countries': duplicate key value violates unique constraint \"countries_pkey\""))
        #expect(try h.query("select count(*) from analytics.countries") == [["2"]])
        // a column the contract does not have
        try h.project.write("seeds/countries.csv", "code,label,population\nFR,France,68\n")
        #expect(try h.run(seeds: true).first?.message.contains("breaks contract 'countries': the file's columns are code, label, population") == true)
        // the contract checks run on the seed like on a model
        try h.project.write("seeds/countries.csv", "code,name,population\nFR,France,68\nDE,Germany,84\n")
        #expect(try h.run(seeds: true).first?.status == .success)
        let checks = try h.run(tests: true)
        #expect(checks.count == 2)
        #expect(checks.allSatisfy { $0.status == .pass })
    }
}
