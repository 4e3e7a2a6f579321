import Testing
import Basics
import ProjectModel
import StrataTestSupport
@testable import ProjectLoading

@Suite struct ContractParserTests {
    func load(_ contract: String) throws -> Project {
        let tp = try TempProject(["strata.yml": "name: p\n", "contracts/orders.yml": contract])
        defer { tp.remove() }
        return try ProjectLoader().load(directory: tp.root)
    }

    func errors(_ contract: String) -> [Diagnostic] {
        do { _ = try load(contract); return [] } catch let e as DiagnosticError { return e.diagnostics } catch { return [] }
    }

    @Test func readsTheExampleProjectsContracts() throws {
        let p = try ProjectLoader().load(directory: repositoryRoot)
        #expect(p.contracts.map(\.name).sorted() == ["customers", "orders"])
        let orders = try #require(p.contracts.first { $0.name == "orders" })
        #expect(orders.version == "1.0.0")
        #expect(orders.primaryKeyColumns == ["order_id"])
        #expect(orders.column("amount")?.notNull == true)
        #expect(orders.column("status")?.constraints.first?.values.count == 5)
    }

    @Test func acceptsODCSSpellings() throws {
        let p = try load("""
            apiVersion: v3.0.2
            kind: DataContract
            id: 53581432
            name: orders
            team: sales
            description: {purpose: Orders, usage: Reporting}
            model: orders
            columns:
              - name: id
                physicalType: bigint
                required: true
                primaryKey: true
                unique: true
            """)
        let c = try #require(p.contracts.first)
        #expect(c.owner == "sales")
        #expect(c.description == "purpose: Orders\nusage: Reporting")
        #expect(c.models.map(\.value) == ["orders"])
        #expect(c.columns.first?.dataType == "bigint")
        #expect(c.columns.first?.nullable == false)
        #expect(c.columns.first?.constraints.map(\.kind) == [.primaryKey, .unique])
    }

    @Test func reportsEveryProblemAtOnceWithLocations() {
        let ds = errors("""
            name: orders
            models: [orders]
            colums: []
            columns:
              - name: id
                data_type: integer
                nulable: false
              - name: id
                data_type: integer
              - name: amount
                data_type: "numeric); drop table x; --"
              - name: status
              - name: code
                data_type: text
                constraints: [uniq, {foreign_key: customers}]
            quality:
              - row_count: {min: 5, max: 1}
              - expression: a > 0
                unique: [a]
              - null_fraction: {column: a, max: 2}
            freshness:
              column: updated_at
              warn_after: 12 hours
            """)
        let rendered = ds.map { "\($0.location.map { "\($0.line):\($0.column)" } ?? "-") \($0.code) \($0.message)" }
        #expect(rendered.contains("3:1 S1004 unknown key 'colums' in contract; did you mean 'columns'?"))
        #expect(rendered.contains("7:5 S1004 unknown key 'nulable' in contract column; did you mean 'nullable'?"))
        #expect(rendered.contains { $0.hasPrefix("11:16 K6008 'numeric); drop table x; --' is not a PostgreSQL type name") })
        #expect(rendered.contains("12:5 K6003 column 'status' needs a data_type"))
        #expect(rendered.contains { $0.hasPrefix("15:19 K6004 unknown constraint 'uniq'; did you mean 'unique'?") })
        #expect(rendered.contains("15:39 K6004 foreign_key 'customers' must name a model and its column, like customers.customer_id"))
        #expect(rendered.contains("17:16 K6005 row_count min 5 is above max 1"))
        #expect(rendered.contains("18:5 K6005 a quality rule checks one thing; split it into one entry per rule"))
        #expect(rendered.contains("20:37 K6005 null_fraction max must be a number from 0 to 1"))
        #expect(rendered.contains("23:15 K6006 '12 hours' is not a duration like 30m, 12h or 2d"))
        #expect(ds.count == 10)
    }

    @Test func contractsNeedModelsAndUniqueNames() throws {
        #expect(errors("name: orders\ncolumns: []\n").map(\.code) == ["K6001"])
        let dup = errors("models: [orders]\ncolumns:\n  - {name: id, data_type: int}\n  - {name: id, data_type: int}\n")
        #expect(dup.map(\.code) == ["K6002"])
        #expect(dup.first?.location?.line == 4)
        #expect(dup.first?.notes.first?.location?.line == 3)
        let tp = try TempProject(["strata.yml": "name: p\n", "contracts/a.yml": "name: x\nmodels: [a]\n", "contracts/b.yml": "name: x\nmodels: [b]\n"])
        defer { tp.remove() }
        #expect(throws: DiagnosticError.self) { try ProjectLoader().load(directory: tp.root) }
        // the file name is the default contract name
        #expect(try load("models: [orders]\n").contracts.first?.name == "orders")
    }

    @Test func invalidYAMLIsLocated() {
        let ds = errors("name: orders\nmodels: [orders\n")
        #expect(ds.first?.code == "S1002")
        #expect(ds.first?.location?.file == "contracts/orders.yml")
    }
}
