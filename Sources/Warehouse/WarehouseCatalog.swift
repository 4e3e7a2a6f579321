import ProjectModel

/// The one place the database's catalog is asked about relations: what exists, their kinds, columns and types,
/// comments, sizes and grants. Every stage that needs a catalog fact asks it (the swap's capture of dependent
/// views stays in `RelationSwap`, being part of how a swap rebuilds them). PostgreSQL's system catalogs, read over
/// any connection; relation names are bound as parameters.
public struct WarehouseCatalog: Sendable {
    public let connection: any WarehouseConnection
    public init(_ connection: any WarehouseConnection) { self.connection = connection }

    /// A column's name and its type as PostgreSQL spells it (`numeric(12,2)`, `character varying(20)`).
    public struct Column: Sendable, Equatable {
        public var name: String
        public var type: String
        public init(name: String, type: String) {
            self.name = name
            self.type = type
        }
    }

    /// A relation with its kind, size and comments, and its columns' types and comments.
    public struct RelationInfo: Sendable {
        /// pg_class.relkind: `r` table, `p` partitioned table, `v` view, `m` materialized view, `f` foreign table.
        public var kind: String
        /// Estimated rows and total bytes (nil for views and never-analysed tables).
        public var rows: Double?
        public var bytes: Int?
        public var comment: String?
        public var columns: [(name: String, type: String, comment: String?)]
    }

    /// Every table (plain or partitioned) outside the system schemas, for `is_incremental()`; with views
    /// (plain and materialized) and foreign tables too, every relation (for `--defer`).
    public func existingTables(database: String, includingViews: Bool = false) throws -> Set<Relation> {
        let rows = try connection.execute("""
            SELECT n.nspname, c.relname
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN (\(includingViews ? "'r', 'p', 'v', 'm', 'f'" : "'r', 'p'")) AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\\\_%'
            """).rows
        return Set(rows.map { Relation(database: database, schema: $0[0]!, identifier: $0[1]!) })
    }

    /// The relations of `schemas` with their columns, in one query (for the docs site).
    public func relations(in schemas: Set<String>, database: String) throws -> [Relation: RelationInfo] {
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
        var out: [Relation: RelationInfo] = [:]
        for r in rows {
            let relation = Relation(database: database, schema: r[0] ?? "", identifier: r[1] ?? "")
            var e = out[relation] ?? RelationInfo(kind: r[2] ?? "", rows: r[3].flatMap(Double.init).flatMap { $0 < 0 ? nil : $0 },
                                                  bytes: r[4].flatMap { Int($0) }, comment: r[5], columns: [])
            if e.kind == "v" { e.rows = nil; e.bytes = nil }
            e.columns.append((r[6] ?? "", r[7] ?? "", r[8]))
            out[relation] = e
        }
        return out
    }

    /// The columns of a relation (schema-qualified and quoted, or `pg_temp.x`), in order. `typmods: false` gives base
    /// types (`numeric` for `numeric(12,2)`), as contracts compare them.
    public func columns(of qualifiedName: String, typmods: Bool = true) throws -> [Column] {
        try connection.execute("""
            SELECT a.attname::text, pg_catalog.format_type(a.atttypid, \(typmods ? "a.atttypmod" : "NULL"))
            FROM pg_catalog.pg_attribute a
            WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """, parameters: [qualifiedName]).rows.map { Column(name: $0[0] ?? "", type: $0[1] ?? "") }
    }

    /// pg_class.relkind of a relation, or nil when it does not exist.
    public func kind(of qualifiedName: String) throws -> String? {
        try connection.execute("SELECT c.relkind::text FROM pg_catalog.pg_class c WHERE c.oid = to_regclass($1)", parameters: [qualifiedName]).scalar
    }

    /// The indexes of `qualifiedNames` that name no relation, in one round trip.
    public func missing(_ qualifiedNames: [String]) throws -> Set<Int> {
        guard !qualifiedNames.isEmpty else { return [] }
        let values = qualifiedNames.enumerated().map { i, name in "(\(i), \(SQLDialect.postgres.literal(name)))" }.joined(separator: ", ")
        let rows = try connection.execute("SELECT x.i FROM (VALUES \(values)) AS x(i, name) WHERE to_regclass(x.name) IS NULL").rows
        return Set(rows.compactMap { $0[0].flatMap(Int.init) })
    }

    /// Whether the relation exists.
    public func exists(_ qualifiedName: String) throws -> Bool {
        try connection.execute("SELECT to_regclass($1) IS NOT NULL", parameters: [qualifiedName]).scalar == "t"
    }

    /// Roles other than the owner holding a privilege on the relation: (role, privilege in lower case).
    public func grantees(of qualifiedName: String) throws -> [(role: String, privilege: String)] {
        try connection.execute("""
            SELECT r.rolname::text, lower(a.privilege_type)
            FROM pg_catalog.pg_class c, LATERAL aclexplode(c.relacl) a JOIN pg_catalog.pg_roles r ON r.oid = a.grantee
            WHERE c.oid = to_regclass($1) AND a.grantee <> c.relowner
            """, parameters: [qualifiedName]).rows.compactMap { r in r[0].flatMap { role in r[1].map { (role, $0) } } }
    }

    // MARK: what dbt's adapter methods ask

    /// The relations of the schemas matching `schema` (case-insensitively, as dbt-postgres lists them), with dbt's
    /// type words (table, view, materialized_view); only `name` when given.
    public func relations(inSchema schema: String, named name: String? = nil) throws -> [(schema: String, name: String, type: String)] {
        try connection.execute("""
            SELECT n.nspname::text, c.relname::text,
                   CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized_view' ELSE 'table' END
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE c.relkind IN ('r', 'p', 'v', 'm') AND n.nspname ILIKE $1 AND ($2::text IS NULL OR c.relname = $2)
            ORDER BY 1, 2
            """, parameters: [schema, name]).rows.map { ($0[0] ?? "", $0[1] ?? "", $0[2] ?? "table") }
    }

    /// A column as information_schema.columns describes it: what dbt-postgres' get_columns_in_relation reads.
    public struct DescribedColumn: Sendable, Equatable {
        public var name: String
        public var dataType: String
        public var characterMaximumLength: Int?
        public var numericPrecision: Int?
        public var numericScale: Int?
    }

    /// The columns of `table` (in `schema`, or any schema when nil), in order, from information_schema.columns.
    public func describedColumns(schema: String?, table: String) throws -> [DescribedColumn] {
        try connection.execute("""
            SELECT column_name::text, data_type::text, character_maximum_length, numeric_precision, numeric_scale
            FROM information_schema.columns
            WHERE table_name = $1 AND ($2::text IS NULL OR table_schema = $2)
            ORDER BY ordinal_position
            """, parameters: [table, schema]).rows.map {
            DescribedColumn(name: $0[0] ?? "", dataType: $0[1] ?? "", characterMaximumLength: $0[2].flatMap { Int($0) },
                            numericPrecision: $0[3].flatMap { Int($0) }, numericScale: $0[4].flatMap { Int($0) })
        }
    }

    /// Every schema of the database.
    public func schemas() throws -> [String] {
        try connection.execute("SELECT nspname::text FROM pg_catalog.pg_namespace ORDER BY 1").rows.compactMap { $0[0] }
    }
}
