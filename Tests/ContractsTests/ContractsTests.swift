import Foundation
import Testing
import Basics
@testable import Compilation
import ProjectLoading
import ProjectModel
import StrataTestSupport
@testable import Contracts

/// Loads and compiles a temp project and attaches its contracts (no database).
func resolve(_ files: [String: String]) throws -> CompiledProject {
    let tp = try TempProject(files)
    defer { tp.remove() }
    let project = try ProjectLoader().load(directory: tp.root)
    let compiled = try Compiler(project: project, options: CompileOptions(target: TargetInfo(schema: "analytics", database: "warehouse"), environment: [:])).compile()
    return compiled
}

func diagnostics(_ body: () throws -> Void) -> [Diagnostic] {
    do { try body(); return [] } catch let e as DiagnosticError { return e.diagnostics } catch let d as Diagnostic { return [d] } catch { return [Diagnostic(code: .unexpected, "\(error)")] }
}

let ordersContract = """
    name: orders
    version: 1.0.0
    models: [orders]
    columns:
      - name: order_id
        data_type: integer
        constraints: [primary_key]
      - name: customer_id
        data_type: integer
        constraints:
          - foreign_key: customers.customer_id
      - name: status
        data_type: text
        constraints:
          - accepted_values: [placed, "it's shipped"]
      - name: amount
        data_type: numeric(10,2)
        nullable: false
        constraints:
          - check: amount >= 0
    unique: [customer_id, status]
    quality:
      - name: has rows
        row_count: {min: 1, max: 10}
      - null_fraction: {column: status, max: 0.5}
        severity: warn
    freshness:
      column: amount
      warn_after: 12h
      error_after: {count: 2, period: day}
    """

let customersContract = """
    name: customers
    models: [customers]
    columns:
      - name: customer_id
        data_type: int
        primaryKey: true
    """

@Suite struct ContractResolverTests {
    let files: [String: String] = [
        "strata.yml": "name: p\nmodels:\n  p:\n    +materialized: table\n",
        "models/customers.sql": "select 1 as customer_id",
        "models/orders.sql": "select 1 as order_id, 1 as customer_id, 'placed' as status, 1.0 as amount",
        "contracts/orders.yml": ordersContract,
        "contracts/customers.yml": customersContract,
    ]

    @Test func attachesContractsAddsForeignKeyEdgesAndCheckNodes() throws {
        let p = try resolve(files)
        let orders = try #require(p.nodes[.model("p", "orders")])
        #expect(orders.contract?.name == "orders")
        #expect(orders.contract?.freshness?.errorAfter == 2 * 86400)
        // the foreign key makes customers an upstream of orders, though orders' SQL never refs it
        #expect(p.graph.parents[orders.id]?.contains(.model("p", "customers")) == true)
        #expect(p.order.firstIndex(of: .model("p", "customers"))! < p.order.firstIndex(of: orders.id)!)
        let checks = p.nodes.values.filter { $0.config["test_type"]?.asString == "contract" }.map(\.name).sorted()
        #expect(checks == ["contract_customers_constraints", "contract_customers_schema", "contract_orders_constraints", "contract_orders_freshness",
                           "contract_orders_has_rows", "contract_orders_quality_2", "contract_orders_schema"])
        let freshness = try #require(p.nodes[NodeID("test.p.contract_orders_freshness")])
        #expect(freshness.config["warn_if"]?.asString == ">=1")
        #expect(freshness.config["error_if"]?.asString == ">=2")
        #expect(p.nodes[NodeID("test.p.contract_orders_quality_2")]?.config["severity"]?.asString == "warn")
        #expect(freshness.config["tested_node"]?.asString == "model.p.orders")
    }

    @Test func reportsEveryProblemWithLocationsAndSuggestions() {
        var broken = files
        broken["contracts/orders.yml"] = ordersContract
            .replacingOccurrences(of: "models: [orders]", with: "models: [ordrs]")
            .replacingOccurrences(of: "unique: [customer_id, status]", with: "unique: [customer_id, stat]")
        broken["contracts/extra.yml"] = "name: extra\nmodels: [customers]\ncolumns:\n  - name: customer_id\n    data_type: integer\n"
        let ds = diagnostics { _ = try resolve(broken) }
        let byCode = Dictionary(grouping: ds, by: \.code)
        #expect(byCode["K6010"]?.first?.message == "contract 'orders' governs model 'ordrs', which does not exist; did you mean 'orders'?")
        #expect(byCode["K6010"]?.first?.location == SourceLocation(file: "contracts/orders.yml", line: 3, column: 10))
        #expect(byCode["K6011"]?.first?.message == "contract 'orders' has no column 'stat'; did you mean 'status'?")
        #expect(byCode["K6015"]?.first?.message.contains("governed by two contracts") == true)
    }

    @Test func foreignKeysNeedAContractedUniqueTarget() {
        var broken = files
        broken["contracts/customers.yml"] = customersContract.replacingOccurrences(of: "    primaryKey: true", with: "")
        let ds = diagnostics { _ = try resolve(broken) }
        #expect(ds.map(\.code) == ["K6016"])
        #expect(ds.first?.message == "foreign key on 'customer_id' points at customers.customer_id, which contract 'customers' does not declare primary_key or unique")
        #expect(ds.first?.location?.line == 11)
        broken["contracts/customers.yml"] = nil
        #expect(diagnostics { _ = try resolve(broken) }.first?.message.contains("'customers', which has no contract") == true)
    }

    @Test func foreignKeyCyclesAreReported() {
        var cyclic = files
        cyclic["models/customers.sql"] = "select customer_id from {{ ref('orders') }}"
        let ds = diagnostics { _ = try resolve(cyclic) }
        #expect(ds.contains { $0.message.contains("cycle") })
    }

    @Test func ephemeralAndMicrobatchModelsCannotHoldContracts() {
        var f = files
        f["models/customers.sql"] = "{{ config(materialized='ephemeral') }}select 1 as customer_id"
        #expect(diagnostics { _ = try resolve(f) }.contains { $0.code == "K6014" })
        f["models/customers.sql"] = "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='t', batch_size='day', begin='2024-01-01') }}select 1 as customer_id"
        #expect(diagnostics { _ = try resolve(f) }.contains { $0.code == "K6018" })
    }

    @Test func dbtModelContractsComeFromPropertiesYAML() throws {
        let p = try resolve([
            "dbt_project.yml": "name: d\nprofile: d\nmodels:\n  d:\n    +materialized: table\n    +contract: {enforced: true}\n",
            "models/m.sql": "select 1 as id, 'x' as name",
            "models/m.yml": """
            version: 2
            models:
              - name: m
                constraints:
                  - type: unique
                    columns: [id, name]
                columns:
                  - name: name
                    data_type: text
                  - name: id
                    data_type: int
                    constraints:
                      - type: not_null
                      - type: check
                        expression: id > 0
            """,
        ])
        let c = try #require(p.nodes[.model("d", "m")]?.contract)
        #expect(c.origin == .dbtModel)
        #expect(!c.ordered)
        #expect(c.columns.map(\.name) == ["name", "id"])
        #expect(c.column("id")?.notNull == true)
        #expect(c.unique.map(\.value) == [["id", "name"]])
        // a column without data_type under an enforced contract is an error, as in dbt
        let ds = diagnostics { _ = try resolve([
            "dbt_project.yml": "name: d\nprofile: d\n",
            "models/m.sql": "{{ config(materialized='table', contract={'enforced': true}) }}select 1 as id",
            "models/m.yml": "version: 2\nmodels:\n  - name: m\n    columns:\n      - name: id\n",
        ]) }
        #expect(ds.map(\.code) == ["K6012"])
        #expect(ds.first?.location == SourceLocation(file: "models/m.yml", line: 5, column: 9))
    }
}

@Suite struct ContractSQLTests {
    let contract: Contract = {
        var c = Contract(name: "orders", path: "contracts/orders.yml", models: [Located("orders")])
        c.columns = [
            ContractColumn(name: "order_id", dataType: "integer", constraints: [ColumnConstraint(.primaryKey)]),
            ContractColumn(name: "customer_id", dataType: "integer", constraints: [ColumnConstraint(.foreignKey, referencedModel: "customers", referencedColumn: "id")]),
            ContractColumn(name: "status", dataType: "text", constraints: [ColumnConstraint(.acceptedValues, values: ["a", "it's"])]),
            ContractColumn(name: "amount", dataType: "numeric(10,2)", nullable: false, constraints: [ColumnConstraint(.check, expression: "amount >= 0")]),
        ]
        c.unique = [Located(["customer_id", "status"])]
        return c
    }()

    @Test func enforcedTableDDL() {
        let ddl = ContractSQL().createTable(contract, schema: "s", staging: "orders__strata_new", final: "orders") { _ in
            Relation(database: "db", schema: "s", identifier: "customers")
        }
        #expect(ddl.create == """
            CREATE TABLE "s"."orders__strata_new" (
                "order_id" integer NOT NULL,
                "customer_id" integer CONSTRAINT "customer_id_fkey" REFERENCES "s"."customers" ("id"),
                "status" text CONSTRAINT "status_accepted_values" CHECK ("status"::text IN ('a', 'it''s')),
                "amount" numeric(10,2) NOT NULL CONSTRAINT "amount_check" CHECK (amount >= 0),
                CONSTRAINT "orders__strata_new_pkey" PRIMARY KEY ("order_id"),
                CONSTRAINT "orders__strata_new_customer_id_status_key" UNIQUE ("customer_id", "status")
            )
            """)
        #expect(ddl.renames.map { "\($0.from)>\($0.to)" } == ["orders__strata_new_pkey>orders_pkey", "orders__strata_new_customer_id_status_key>orders_customer_id_status_key"])
        let insert = ContractSQL().insert(into: "orders__strata_new", schema: "s", columns: ddl.columns)
        #expect(insert.prefix.hasPrefix("INSERT INTO \"s\".\"orders__strata_new\" (\"order_id\", \"customer_id\", \"status\", \"amount\")\nSELECT"))
    }

    @Test func longConstraintNamesStayWithinPostgresLimit() {
        let base = String(repeating: "x", count: 70)
        let a = ContractSQL.name(base, "pkey"), b = ContractSQL.name(base + "y", "pkey")
        #expect(a.utf8.count <= 63 && b.utf8.count <= 63)
        #expect(a != b)
        #expect(a.hasSuffix("_pkey"))
    }

    @Test func checksQuoteIdentifiersAndLiterals() {
        let relation = Relation(database: "db", schema: "we\"ird", identifier: "or'ders")
        let drift = ContractSQL().schemaDrift(contract, relation: relation)
        #expect(drift.contains("to_regclass('\"we\"\"ird\".\"or''ders\"')"))
        #expect(drift.contains("(3, 'status', 'text', false)"))
        #expect(drift.contains("e.rank <> a.rank"))   // order matters for contract files
        let views = ContractSQL().constraints(contract, relation: relation, isView: true) { _ in Relation(database: "db", schema: "s", identifier: "customers") }!
        #expect(views.contains("where \"status\"::text not in ('a', 'it''s')"))
        #expect(views.components(separatedBy: "union all").count == 7)   // not nulls (2), pk, unique, accepted, check, fk
    }
}

@Suite struct ContractShapeTests {
    typealias C = ContractShape.Column
    @Test func comparesNamesTypesAndOrder() {
        let expected = [C(name: "a", baseType: "integer"), C(name: "b", baseType: "text")]
        #expect(ContractShape.compare(actual: expected, expected: expected, ordered: true).isEmpty)
        #expect(ContractShape.compare(actual: [C(name: "b", baseType: "text"), C(name: "a", baseType: "integer")], expected: expected, ordered: true)
                == [.misordered(column: "b", contractPosition: 2, actualPosition: 1)])
        #expect(ContractShape.compare(actual: [C(name: "b", baseType: "text"), C(name: "a", baseType: "integer")], expected: expected, ordered: false).isEmpty)
        #expect(ContractShape.compare(actual: [C(name: "a", baseType: "numeric"), C(name: "c", baseType: "text")], expected: expected, ordered: true)
                == [.mistyped(column: "a", contract: "integer", actual: "numeric"), .missing(column: "b"), .extra(column: "c")])
    }

    @Test func redirectsRelationsAndMapsPositionsBack() {
        let sql = #"select x from "db"."s"."a" join "db"."s"."b" on true where y = "db"."s"."a".z and q"#
        let r = StaticContractCheck.redirect(sql, [#""db"."s"."a""#: #""db"."strata_check_1_1"."a""#])
        #expect(r.text == #"select x from "db"."strata_check_1_1"."a" join "db"."s"."b" on true where y = "db"."strata_check_1_1"."a".z and q"#)
        // the final "q" is at the same distance from the end in both texts
        let newPos = r.text.unicodeScalars.count, oldPos = sql.unicodeScalars.count
        #expect(r.originalPosition(newPos) == oldPos)
        #expect(r.originalPosition(8) == 8)   // before any replacement
    }
}

@Suite struct ContractDiffTests {
    func contract(_ yaml: String) throws -> Contract {
        let tp = try TempProject(["strata.yml": "name: p\n", "contracts/c.yml": yaml])
        defer { tp.remove() }
        return try #require(try ProjectLoader().load(directory: tp.root).contracts.first)
    }

    @Test func classifiesChanges() throws {
        let old = try contract("name: c\nversion: 1.0.0\nmodels: [m]\ncolumns:\n  - {name: id, data_type: int, primary_key: true}\n  - {name: a, data_type: varchar(10)}\n  - {name: b, data_type: integer}\n  - {name: gone, data_type: text}\n")
        let new = try contract("name: c\nversion: 1.1.0\nmodels: [m]\ncolumns:\n  - {name: id, data_type: integer}\n  - {name: a, data_type: text, nullable: false}\n  - {name: b, data_type: smallint, unique: true}\n  - {name: added, data_type: text}\n")
        let changes = ContractDiff(violations: { _, constraint in constraint == "unique(b)" ? 3 : 0 }).diff(old: [old], new: [new], models: ["m"])
        let byMessage = Dictionary(changes.map { ($0.message, $0.kind) }, uniquingKeysWith: { a, _ in a })
        #expect(byMessage["column 'id' lost its primary_key constraint"] == .breaking)
        #expect(byMessage["column 'a' type widened from varchar(10) to text"] == .nonBreaking)
        #expect(byMessage["column 'a' is now NOT NULL (nullability tightened)"] == .breaking)
        #expect(byMessage["column 'b' type changed from integer to smallint"] == .breaking)
        #expect(byMessage["column 'b' gained a unique constraint (today's data violates it: 3 rows)"] == .breaking)
        #expect(byMessage["column 'gone' was renamed to 'added'"] == .breaking)
        #expect(changes.allSatisfy { $0.allowedByVersion == nil })   // a minor bump allows nothing breaking
        let bumped = try contract("name: c\nversion: 2.0.0\nmodels: [m]\ncolumns:\n  - {name: id, data_type: int}\n")
        #expect(ContractDiff().diff(old: [old], new: [bumped], models: ["m"]).filter { $0.kind == .breaking }.allSatisfy { $0.allowedByVersion == "1.0.0 → 2.0.0" })
        #expect(ContractDiff().diff(old: [old], new: [], models: []).map(\.message) == ["contract removed (it governed m)"])
        // offline, an added constraint cannot be judged
        #expect(ContractDiff().diff(old: [old], new: [new], models: ["m"]).contains { $0.kind == .unverified })
    }

    @Test func typeWidening() {
        #expect(TypeName("bigint").widens(TypeName("int4")))
        #expect(!TypeName("int").widens(TypeName("bigint")))
        #expect(TypeName("numeric(12,2)").widens(TypeName("numeric(10,2)")))
        #expect(!TypeName("numeric(12,4)").widens(TypeName("numeric(10,0)")))
        #expect(TypeName("numeric").widens(TypeName("integer")))
        #expect(TypeName("varchar(20)").widens(TypeName("character varying(10)")))
        #expect(!TypeName("varchar(5)").widens(TypeName("varchar(10)")))
        #expect(TypeName("timestamptz") == TypeName("timestamp with time zone"))
        #expect(!TypeName("timestamptz").widens(TypeName("timestamp")))
    }

    @Test func codecRoundTrip() throws {
        let tp = try TempProject(["strata.yml": "name: p\n", "contracts/orders.yml": ordersContract])
        defer { tp.remove() }
        let c = try #require(try ProjectLoader().load(directory: tp.root).contracts.first)
        let back = try #require(ContractCodec.decode(ContractCodec.encode(c)))
        #expect(back.columns.map(\.name) == c.columns.map(\.name))
        #expect(back.columns.map(\.notNull) == c.columns.map(\.notNull))
        #expect(back.quality.map(\.kind) == c.quality.map(\.kind))
        #expect(back.freshness?.warnAfter == 12 * 3600)
        #expect(ContractDiff().diff(old: [back], new: [c], models: ["orders"]).isEmpty)
    }
}
