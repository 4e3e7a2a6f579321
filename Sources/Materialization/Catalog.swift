import Compilation
import ProjectModel
import Warehouse

/// What exists in the warehouse before a run, for `is_incremental()`.
public enum Catalog {
    /// Every table (plain or partitioned) outside the system schemas, in the connected database.
    public static func existingTables(on connection: any WarehouseConnection, database: String) throws -> Set<Relation> {
        let rows = try connection.execute("""
            SELECT n.nspname, c.relname
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\\\_%'
            """).rows
        return Set(rows.map { Relation(database: database, schema: $0[0]!, identifier: $0[1]!) })
    }
}
