import Basics
import ProjectModel
import Warehouse

/// `strata clone --state DIR`: each selected relation made to read the state's (another environment's) relation,
/// as dbt-postgres clones — PostgreSQL has no zero-copy table clone, so each becomes a view over the other one. A
/// table already in the target is left alone unless `fullRefresh` (dbt's rule); each relation is one transaction.
public struct Cloner: Sendable {
    public struct Item: Sendable {
        public var id: NodeID
        public var target: Relation
        public var source: Relation
        public init(id: NodeID, target: Relation, source: Relation) {
            self.id = id
            self.target = target
            self.source = source
        }
    }

    public enum Outcome: Sendable, Equatable {
        case cloned
        /// A table was there and stays (without --full-refresh).
        case kept
        case failed(String)
    }

    public let fullRefresh: Bool
    public init(fullRefresh: Bool) { self.fullRefresh = fullRefresh }

    public func clone(_ items: [Item], on connection: any WarehouseConnection) -> [(Item, Outcome)] {
        let sql = SQLDialect.postgres
        return items.map { item in
            do {
                guard item.target != item.source else { return (item, .failed("the state's relation is the target itself: give the artifacts of another target to --state")) }
                let kind = try connection.execute("""
                    SELECT c.relkind FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                    WHERE n.nspname = $1 AND c.relname = $2
                    """, parameters: [item.target.schema, item.target.identifier]).scalar
                if let kind, kind != "v", !fullRefresh { return (item, .kept) }
                guard item.source.database == item.target.database else {
                    return (item, .failed("the state's relation is in database '\(item.source.database)': a view cannot read another database"))
                }
                let target = sql.qualified(item.target.schema, item.target.identifier)
                try connection.transaction {
                    try connection.execute("CREATE SCHEMA IF NOT EXISTS \(sql.quote(item.target.schema))")
                    // a view is replaced in place (its dependents stay); a table or materialized view, under
                    // --full-refresh, is dropped first (not CASCADE: dependents make it fail and keep everything)
                    switch kind {
                    case "m"?: try connection.execute("DROP MATERIALIZED VIEW \(target)")
                    case nil, "v"?: break
                    default: try connection.execute("DROP TABLE \(target)")
                    }
                    try connection.execute("CREATE OR REPLACE VIEW \(target) AS SELECT * FROM \(sql.qualified(item.source.schema, item.source.identifier))")
                }
                return (item, .cloned)
            } catch {
                return (item, .failed("\(error)"))
            }
        }
    }
}
