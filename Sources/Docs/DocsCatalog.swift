import Compilation
import ProjectModel
import Warehouse

/// What the database knows about the documented relations: columns with types and comments, row estimates,
/// sizes, comments. One query for all schemas.
public enum DocsCatalog {
    public static func read(schemas: Set<String>, on connection: any WarehouseConnection, database: String) throws -> [Relation: LineageGraph.CatalogEntry] {
        guard !schemas.isEmpty else { return [:] }
        let array = "{" + schemas.sorted().map { "\"" + $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\"" }.joined(separator: ",") + "}"
        let rows = try connection.execute("""
            SELECT n.nspname, c.relname, c.relkind::text, c.reltuples::float8, pg_catalog.pg_total_relation_size(c.oid),
                   pg_catalog.obj_description(c.oid, 'pg_class'), a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod),
                   pg_catalog.col_description(c.oid, a.attnum)
            FROM pg_catalog.pg_class c
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
            WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
            ORDER BY n.nspname, c.relname, a.attnum
            """, parameters: [array]).rows
        var out: [Relation: LineageGraph.CatalogEntry] = [:]
        for r in rows {
            let relation = Relation(database: database, schema: r[0] ?? "", identifier: r[1] ?? "")
            var e = out[relation] ?? LineageGraph.CatalogEntry(columns: [], rows: r[3].flatMap(Double.init).flatMap { $0 < 0 ? nil : $0 },
                                                              bytes: r[4].flatMap { Int($0) }, comment: r[5], kind: r[2] ?? "")
            if e.kind == "v" { e.rows = nil; e.bytes = nil }
            e.columns.append((r[6] ?? "", r[7] ?? "", r[8]))
            out[relation] = e
        }
        return out
    }
}
