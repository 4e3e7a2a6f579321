import Foundation
import Basics
import Compilation
import ProjectModel
import Warehouse

/// SCD type 2 in one transaction, as dbt's snapshots on PostgreSQL: new and changed rows get a new version,
/// the version they replace is closed (`valid_to`), and hard deletes are ignored, invalidated, or recorded.
/// Running it again on unchanged data adds nothing.
struct SnapshotLoad {
    let connection: any WarehouseConnection
    let dialect: SQLDialect

    func load(relation: Relation, sql: String, spec: SnapshotSpec, now: Date) throws -> (rows: Int, message: String) {
        let q = dialect.quote
        let target = dialect.qualified(relation.schema, relation.identifier)
        let src = q(RelationSwap.stagingName(relation.identifier).replacingOccurrences(of: "__strata_new", with: "__strata_src"))
        let nowLiteral = "cast('\(Self.timestamp(now))' as timestamp)"
        let (scdID, updatedAt, validFrom, validTo, isDeleted) = (q(spec.column("scd_id")), q(spec.column("updated_at")), q(spec.column("valid_from")),
                                                                 q(spec.column("valid_to")), q(spec.column("is_deleted")))
        return try connection.transaction {
            let prefix = "CREATE TEMPORARY TABLE \(src) ON COMMIT DROP AS (\n"
            do { try connection.execute(prefix + sql + "\n)") } catch let e as WarehouseError {
                throw RelationSwap.StatementFailure(error: e, bodyOffset: prefix.unicodeScalars.count)
            }
            let loader = IncrementalLoad(connection: connection, dialect: dialect)
            let sourceColumns = try loader.columns(of: "pg_temp.\(src)")
            let names = Set(sourceColumns.map(\.name))
            for k in spec.uniqueKey + [spec.updatedAt].compactMap({ $0 }) + (spec.checkColumns ?? []) where !names.contains(k) {
                throw RelationSwap.StatementFailure(error: WarehouseError(kind: .statement, message: "the snapshot's query has no column '\(k)' (named in its config)"), bodyOffset: nil)
            }
            for meta in SnapshotSpec.metaColumns where names.contains(spec.column(meta)) {
                throw RelationSwap.StatementFailure(error: WarehouseError(kind: .statement,
                    message: "the snapshot's query has a column '\(spec.column(meta))', which is also the name of a snapshot meta column",
                    hint: "rename it in the query, or set snapshot_meta_column_names: {dbt_\(meta): <another name>}"), bodyOffset: nil)
            }
            // dbt: the version's time is the row's updated_at (timestamp), or the snapshot's run time (check)
            let versionTime: (String) -> String = { alias in
                spec.strategy == .timestamp ? "cast(\(alias).\(q(spec.updatedAt!)) as timestamp)" : nowLiteral
            }
            let hashArgs = spec.uniqueKey.map { "coalesce(cast(s.\(q($0)) as varchar), '')" } + ["coalesce(cast(\(versionTime("s")) as varchar), '')"]
            let scdExpr = "md5(" + hashArgs.joined(separator: " || '|' || ") + ")"
            let cols = sourceColumns.map { q($0.name) }
            let exists = try WarehouseCatalog(connection).exists(target)
            if !exists {
                let deleted = spec.hardDeletes == .newRecord ? ", 'False'::text AS \(isDeleted)" : ""
                let r = try run("CREATE TABLE \(target) AS SELECT \(cols.map { "s.\($0)" }.joined(separator: ", ")), \(scdExpr) AS \(scdID), \(versionTime("s")) AS \(updatedAt), \(versionTime("s")) AS \(validFrom), CAST(NULL AS timestamp) AS \(validTo)\(deleted) FROM \(src) s")
                return (r.affectedRows ?? 0, "INSERT \(r.affectedRows ?? 0)")
            }
            // new source columns join the snapshot table (dbt does the same)
            let existing = Set(try loader.columns(of: target).map(\.name))
            for c in sourceColumns where !existing.contains(c.name) {
                _ = try run("ALTER TABLE \(target) ADD COLUMN \(q(c.name)) \(c.type)")
            }
            let keyJoin = { (a: String, b: String) in spec.uniqueKey.map { "\(a).\(q($0)) = \(b).\(q($0))" }.joined(separator: " AND ") }
            let current = "cur.\(validTo) IS NULL" + (spec.hardDeletes == .newRecord ? " AND cur.\(isDeleted) = 'False'" : "")
            let changed: String
            switch spec.strategy {
            case .timestamp:
                changed = "\(versionTime("s")) > cur.\(updatedAt)"
            case .check:
                let checked = spec.checkColumns ?? sourceColumns.map(\.name).filter { !spec.uniqueKey.contains($0) }
                changed = checked.isEmpty ? "FALSE" : checked.map { "s.\(q($0)) IS DISTINCT FROM cur.\(q($0))" }.joined(separator: " OR ")
            }
            let changes = q("__strata_changes")
            _ = try run("""
                CREATE TEMPORARY TABLE \(changes) ON COMMIT DROP AS
                SELECT s.*, \(versionTime("s")) AS __strata_version_time, \(scdExpr) AS __strata_scd_id
                FROM \(src) s LEFT JOIN \(target) cur ON \(keyJoin("s", "cur")) AND \(current)
                WHERE cur.\(q(spec.uniqueKey[0])) IS NULL OR \(changed)
                """)
            // close the versions being replaced (and deletion markers of keys that came back)
            let closed = try run("UPDATE \(target) t SET \(validTo) = c.__strata_version_time FROM \(changes) c WHERE \(keyJoin("t", "c")) AND t.\(validTo) IS NULL").affectedRows ?? 0
            let deletedColumn = spec.hardDeletes == .newRecord ? ", \(isDeleted)" : ""
            let deletedValue = spec.hardDeletes == .newRecord ? ", 'False'" : ""
            let inserted = try run("""
                INSERT INTO \(target) (\(cols.joined(separator: ", ")), \(scdID), \(updatedAt), \(validFrom), \(validTo)\(deletedColumn))
                SELECT \(cols.map { "c.\($0)" }.joined(separator: ", ")), c.__strata_scd_id, c.__strata_version_time, c.__strata_version_time, NULL\(deletedValue) FROM \(changes) c
                """).affectedRows ?? 0
            var deletedCount = 0
            if spec.hardDeletes != .ignore {
                let gone = "t.\(validTo) IS NULL" + (spec.hardDeletes == .newRecord ? " AND t.\(isDeleted) = 'False'" : "") + " AND NOT EXISTS (SELECT 1 FROM \(src) s WHERE \(keyJoin("s", "t")))"
                if spec.hardDeletes == .newRecord {
                    // a deletion record: the last version's values, flagged, current from now on
                    deletedCount = try run("""
                        INSERT INTO \(target) (\(cols.joined(separator: ", ")), \(scdID), \(updatedAt), \(validFrom), \(validTo), \(isDeleted))
                        SELECT \(cols.map { "t.\($0)" }.joined(separator: ", ")), md5(t.\(scdID) || '|deleted|' || \(nowLiteral)), \(nowLiteral), \(nowLiteral), NULL, 'True'
                        FROM \(target) t WHERE \(gone)
                        """).affectedRows ?? 0
                    _ = try run("UPDATE \(target) t SET \(validTo) = \(nowLiteral) WHERE t.\(validTo) IS NULL AND t.\(isDeleted) = 'False' AND NOT EXISTS (SELECT 1 FROM \(src) s WHERE \(keyJoin("s", "t")))")
                } else {
                    deletedCount = try run("UPDATE \(target) t SET \(validTo) = \(nowLiteral) WHERE \(gone)").affectedRows ?? 0
                }
            }
            return (inserted, "INSERT \(inserted), CLOSED \(closed), DELETED \(deletedCount)")
        }
    }

    private func run(_ sql: String) throws -> QueryResult {
        do { return try connection.execute(sql) } catch let e as WarehouseError {
            throw RelationSwap.StatementFailure(error: e, bodyOffset: nil)
        }
    }

    static func timestamp(_ d: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss.SSSSSS"
        return f.string(from: d)
    }
}
