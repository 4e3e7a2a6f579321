import Compilation
import ProjectModel
import Warehouse

/// What the database knows about the documented relations (from the warehouse catalog), in the lineage graph's terms.
public enum DocsCatalog {
    public static func read(schemas: Set<String>, on connection: any WarehouseConnection, database: String) throws -> [Relation: LineageGraph.CatalogEntry] {
        try WarehouseCatalog(connection).relations(in: schemas, database: database).mapValues { info in
            LineageGraph.CatalogEntry(columns: info.columns, rows: info.rows, bytes: info.bytes, comment: info.comment, kind: info.kind)
        }
    }
}
