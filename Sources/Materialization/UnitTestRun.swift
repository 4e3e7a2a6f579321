import Foundation
import Basics
import Compilation
import ProjectModel
import Warehouse

/// Runs a unit test in a transaction that is rolled back: the given rows become typed CTEs (types from the real
/// inputs), the model's SQL runs on them, and its rows are compared with the expected ones (EXCEPT ALL both ways).
struct UnitTestRun {
    let connection: any WarehouseConnection
    let dialect: SQLDialect

    /// A `select … union all select …` of rows, each value cast to its column's type; NULL for columns not given.
    /// A `format: sql` fixture is its query as written.
    func fixture(_ data: UnitTestDeclaration.Data, columns: [IncrementalLoad.Column], what: String) throws -> String {
        let rows: UnitTestDeclaration.Rows
        switch data {
        case .rows(let r): rows = r
        case .sql(let query): return query.trimmingCharacters(in: .whitespacesAndNewlines).trimmingCharacters(in: CharacterSet(charactersIn: ";"))
        case .fixture(let name, _, _): throw ExecutionError("\(what): fixture '\(name)' was not read")
        }
        let known = Set(columns.map(\.name))
        for row in rows { for (c, _) in row where !known.contains(c) {
            throw ExecutionError("\(what) has a column '\(c)', which is not one of \(columns.map(\.name).joined(separator: ", "))")
        } }
        func select(_ row: [(String, String?)]?) -> String {
            "select " + columns.map { c in
                let value = row?.first { $0.0 == c.name }?.1
                return "cast(\(value.map(dialect.literal) ?? "null") as \(c.type)) as \(dialect.quote(c.name))"
            }.joined(separator: ", ")
        }
        if rows.isEmpty { return select(nil) + " where false" }
        return rows.map { select($0) }.joined(separator: "\nunion all\n")
    }

    func run(_ sql: String, _ fixture: UnitTestFixture) throws -> (failures: Int, message: String) {
        let loader = IncrementalLoad(connection: connection, dialect: dialect)
        try connection.execute("BEGIN")
        defer { _ = try? connection.execute("ROLLBACK") }
        var ctes: [String] = []
        for input in fixture.inputs {
            let columns = try loader.columns(of: input.relation.schemaQualified(dialect))
            ctes.append(" \(input.cte) as (\n\(try self.fixture(input.data, columns: columns, what: "a given row for \(input.relation)"))\n)")
        }
        let modelSQL = ctes.isEmpty ? sql : Compiler.inject(ctes.joined(separator: ", "), into: sql).0
        let actual = dialect.quote("__strata_unit_actual")
        do {
            try connection.execute("CREATE TEMPORARY TABLE \(actual) ON COMMIT DROP AS (\n\(modelSQL)\n)")
        } catch let e as WarehouseError {
            throw RelationSwap.StatementFailure(error: e, bodyOffset: nil)
        }
        let actualColumns = try loader.columns(of: "pg_temp.\(actual)")
        // compare only the columns the expected rows name (as dbt does)
        var named = Set<String>()
        if case .rows(let rows) = fixture.expect { named = Set(rows.flatMap { $0.map(\.0) }) }
        let compared = named.isEmpty ? actualColumns : actualColumns.filter { named.contains($0.name) }
        let expected = try self.fixture(fixture.expect, columns: compared, what: "an expected row")
        let list = compared.map { dialect.quote($0.name) }.joined(separator: ", ")
        let extra = try connection.execute("select \(list) from \(actual) except all select * from (\(expected)) e").rows
        let missing = try connection.execute("select * from (\(expected)) e except all select \(list) from \(actual)").rows
        if extra.isEmpty && missing.isEmpty { return (0, "") }
        func show(_ rows: [[String?]]) -> String {
            rows.prefix(10).map { "(" + zip(compared, $0).map { "\($0.name)=\($1 ?? "null")" }.joined(separator: ", ") + ")" }.joined(separator: " ")
                + (rows.count > 10 ? " …" : "")
        }
        var lines: [String] = []
        if !missing.isEmpty { lines.append("expected but missing: \(show(missing))") }
        if !extra.isEmpty { lines.append("returned but not expected: \(show(extra))") }
        return (extra.count + missing.count, lines.joined(separator: "; "))
    }
}
