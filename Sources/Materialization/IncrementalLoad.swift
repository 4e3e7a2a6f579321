import Foundation
import Basics
import Compilation
import ProjectModel
import Warehouse

/// Loads the model's new rows into the existing table in one transaction: a failure leaves the table as it was.
/// The SQL follows dbt-postgres: a temporary table of new rows, schema-change handling, then append,
/// delete+insert (a join-based DELETE … USING) or PostgreSQL 15's MERGE.
struct IncrementalLoad {
    let connection: any WarehouseConnection
    let dialect: SQLDialect

    typealias Column = WarehouseCatalog.Column

    func load(relation: Relation, sql: String, spec: IncrementalSpec) throws -> (rows: Int, message: String) {
        let target = dialect.qualified(relation.schema, relation.identifier)
        let tmpName = RelationSwap.stagingName(relation.identifier).replacingOccurrences(of: "__strata_new", with: "__strata_tmp")
        let tmp = dialect.quote(tmpName)
        return try connection.transaction {
            let prefix = "CREATE TEMPORARY TABLE \(tmp) ON COMMIT DROP AS (\n"
            do {
                try connection.execute(prefix + sql + "\n)")
            } catch let e as WarehouseError {
                throw RelationSwap.StatementFailure(error: e, bodyOffset: prefix.unicodeScalars.count)
            }
            let source = try columns(of: "pg_temp.\(tmp)")
            let dest = try columns(of: target)
            let columnsToLoad = try reconcile(source: source, dest: dest, target: target, spec: spec, relation: relation)
            let cols = columnsToLoad.map { dialect.quote($0) }
            let colList = cols.joined(separator: ", ")
            let predicates = spec.predicates.map { " AND (\($0))" }.joined()
            let keyMatch = spec.uniqueKey.map { "DBT_INTERNAL_SOURCE.\(dialect.quote($0)) = DBT_INTERNAL_DEST.\(dialect.quote($0))" }.joined(separator: " AND ")
            switch spec.strategy {
            case .append:
                let r = try run("INSERT INTO \(target) (\(colList)) SELECT \(colList) FROM \(tmp)")
                return (r.affectedRows ?? 0, "INSERT \(r.affectedRows ?? 0)")
            case .deleteInsert:
                var deleted = 0
                if !spec.uniqueKey.isEmpty {
                    deleted = try run("DELETE FROM \(target) AS DBT_INTERNAL_DEST USING \(tmp) AS DBT_INTERNAL_SOURCE WHERE (\(keyMatch))\(predicates)").affectedRows ?? 0
                }
                let r = try run("INSERT INTO \(target) (\(colList)) SELECT \(colList) FROM \(tmp)")
                return (r.affectedRows ?? 0, "DELETE \(deleted), INSERT \(r.affectedRows ?? 0)")
            case .merge:
                let on = spec.uniqueKey.isEmpty ? "FALSE" : keyMatch
                var update = spec.mergeUpdateColumns ?? columnsToLoad
                update.removeAll { spec.mergeExcludeColumns.contains($0) }
                var statement = "MERGE INTO \(target) AS DBT_INTERNAL_DEST USING \(tmp) AS DBT_INTERNAL_SOURCE ON (\(on))\(predicates)"
                if !spec.uniqueKey.isEmpty, !update.isEmpty {
                    statement += " WHEN MATCHED THEN UPDATE SET " + update.map { "\(dialect.quote($0)) = DBT_INTERNAL_SOURCE.\(dialect.quote($0))" }.joined(separator: ", ")
                }
                statement += " WHEN NOT MATCHED THEN INSERT (\(colList)) VALUES (" + cols.map { "DBT_INTERNAL_SOURCE.\($0)" }.joined(separator: ", ") + ")"
                let r = try run(statement)
                return (r.affectedRows ?? 0, "MERGE \(r.affectedRows ?? 0)")
            }
        }
    }

    private func run(_ sql: String) throws -> QueryResult {
        do { return try connection.execute(sql) } catch let e as WarehouseError {
            throw RelationSwap.StatementFailure(error: e, bodyOffset: nil)
        }
    }

    func columns(of relation: String) throws -> [Column] {
        do { return try WarehouseCatalog(connection).columns(of: relation) } catch let e as WarehouseError {
            throw RelationSwap.StatementFailure(error: e, bodyOffset: nil)
        }
    }

    /// Applies `on_schema_change`; returns the columns to load.
    func reconcile(source: [Column], dest: [Column], target: String, spec: IncrementalSpec, relation: Relation) throws -> [String] {
        let destNames = Set(dest.map(\.name)), sourceNames = Set(source.map(\.name))
        let added = source.filter { !destNames.contains($0.name) }
        let removed = dest.filter { !sourceNames.contains($0.name) }
        let changed = source.filter { s in dest.contains { $0.name == s.name && $0.type != s.type } }
        let differs = !added.isEmpty || !removed.isEmpty || !changed.isEmpty
        switch spec.onSchemaChange {
        case .ignore:
            // dbt loads the target's columns; a target column the new rows lack fails in the database
            return dest.map(\.name)
        case .fail:
            if differs {
                var parts: [String] = []
                if !added.isEmpty { parts.append("new columns " + added.map { "\($0.name) \($0.type)" }.joined(separator: ", ")) }
                if !removed.isEmpty { parts.append("missing columns " + removed.map(\.name).joined(separator: ", ")) }
                if !changed.isEmpty { parts.append("changed types " + changed.map { "\($0.name) → \($0.type)" }.joined(separator: ", ")) }
                throw RelationSwap.StatementFailure(error: WarehouseError(kind: .statement,
                    message: "the model's columns no longer match \(relation) (on_schema_change='fail'): \(parts.joined(separator: "; "))",
                    hint: "run with --full-refresh to rebuild the table, or set on_schema_change"), bodyOffset: nil)
            }
            return dest.map(\.name)
        case .appendNewColumns:
            for c in added { _ = try run("ALTER TABLE \(target) ADD COLUMN \(dialect.quote(c.name)) \(c.type)") }
            return dest.filter { sourceNames.contains($0.name) }.map(\.name) + added.map(\.name)
        case .syncAllColumns:
            for c in added { _ = try run("ALTER TABLE \(target) ADD COLUMN \(dialect.quote(c.name)) \(c.type)") }
            for c in removed { _ = try run("ALTER TABLE \(target) DROP COLUMN \(dialect.quote(c.name))") }
            for c in changed {
                _ = try run("ALTER TABLE \(target) ALTER COLUMN \(dialect.quote(c.name)) TYPE \(c.type) USING \(dialect.quote(c.name))::\(c.type)")
            }
            return source.map(\.name)
        }
    }
}
