import Basics
import ProjectModel
import Warehouse

/// The SQL a contract turns into: the DDL of an enforced table, and the queries that verify a live relation.
/// Identifiers are quoted and values are literals made by the dialect; only `check` and `expression` texts are SQL,
/// written by the project's authors like the model's own SQL.
public struct ContractSQL: Sendable {
    public let dialect: SQLDialect
    public init(dialect: SQLDialect = .postgres) { self.dialect = dialect }

    /// A CREATE TABLE with the contract's columns and constraints, built under a staging name, and the renames that
    /// give index-backed constraints (primary key, unique) their final names once the table is swapped in
    /// (index names are unique per schema, so the staging table cannot use them while the old table exists).
    public struct TableDDL: Sendable, Equatable {
        public var create: String
        /// The column list for `INSERT INTO staging (…) SELECT … FROM (model SQL)`.
        public var columns: [String]
        public var renames: [(from: String, to: String)]
        public static func == (a: TableDDL, b: TableDDL) -> Bool {
            a.create == b.create && a.columns == b.columns && a.renames.map { [$0.from, $0.to] } == b.renames.map { [$0.from, $0.to] }
        }
    }

    /// `referenced(model)` gives the relation of a model a foreign key points at.
    public func createTable(_ contract: Contract, schema: String, staging: String, final: String, referenced: (String) -> Relation?) -> TableDDL {
        var lines: [String] = []
        var renames: [(String, String)] = []
        var checkNumber = 0
        for c in contract.columns {
            var line = "    \(dialect.quote(c.name)) \(c.dataType)"
            if c.notNull { line += " NOT NULL" }
            for k in c.constraints {
                switch k.kind {
                case .check:
                    checkNumber += 1
                    line += " CONSTRAINT \(dialect.quote(Self.name(c.name, "check\(checkNumber == 1 ? "" : String(checkNumber))"))) CHECK (\(k.expression ?? "true"))"
                case .acceptedValues:
                    line += " CONSTRAINT \(dialect.quote(Self.name(c.name, "accepted_values"))) CHECK (\(dialect.quote(c.name))::text IN (\(k.values.map(dialect.literal).joined(separator: ", "))))"
                case .foreignKey:
                    if let model = k.referencedModel, let column = k.referencedColumn, let r = referenced(model) {
                        line += " CONSTRAINT \(dialect.quote(Self.name(c.name, "fkey"))) REFERENCES \(r.schemaQualified(dialect)) (\(dialect.quote(column)))"
                    }
                case .notNull, .unique, .primaryKey: break
                }
            }
            lines.append(line)
        }
        let pk = contract.primaryKeyColumns
        if !pk.isEmpty {
            let stagingName = Self.name(staging, "pkey"), finalName = Self.name(final, "pkey")
            lines.append("    CONSTRAINT \(dialect.quote(stagingName)) PRIMARY KEY (\(pk.map(dialect.quote).joined(separator: ", ")))")
            renames.append((stagingName, finalName))
        }
        for set in uniqueSets(contract) {
            let suffix = set.joined(separator: "_") + "_key"
            let stagingName = Self.name(staging, suffix), finalName = Self.name(final, suffix)
            lines.append("    CONSTRAINT \(dialect.quote(stagingName)) UNIQUE (\(set.map(dialect.quote).joined(separator: ", ")))")
            renames.append((stagingName, finalName))
        }
        for (i, check) in contract.checks.enumerated() {
            lines.append("    CONSTRAINT \(dialect.quote("check_\(i + 1)")) CHECK (\(check.value))")
        }
        let create = "CREATE TABLE \(dialect.qualified(schema, staging)) (\n" + lines.joined(separator: ",\n") + "\n)"
        return TableDDL(create: create, columns: contract.columns.map(\.name), renames: renames)
    }

    /// Column sets with a UNIQUE constraint: columns marked unique, then table-level sets (the primary key excluded).
    func uniqueSets(_ contract: Contract) -> [[String]] {
        var sets = contract.columns.filter { $0.constraints.contains { $0.kind == .unique } }.map { [$0.name] } + contract.unique.map(\.value)
        let pk = contract.primaryKeyColumns
        sets = sets.filter { $0 != pk }
        var seen = Set<[String]>()
        return sets.filter { seen.insert($0).inserted }
    }

    /// `<base>_<suffix>`, at most 63 bytes (PostgreSQL's limit): a long base is cut and made unique with a hash.
    static func name(_ base: String, _ suffix: String) -> String {
        let full = base + "_" + suffix
        if full.utf8.count <= 63 { return full }
        let hash = String(SHA256.hex(full).prefix(8))
        var cut = ""
        for ch in base {
            if (cut + String(ch)).utf8.count + suffix.utf8.count + 10 > 63 { break }
            cut.append(ch)
        }
        return cut + "_" + hash + "_" + String(suffix.prefix(63 - cut.utf8.count - 10))
    }

    /// `INSERT INTO staging (cols) SELECT cols FROM (` + model SQL + `) AS model_subq`, as dbt builds contracted tables.
    public func insert(into staging: String, schema: String, columns: [String]) -> (prefix: String, suffix: String) {
        let list = columns.map(dialect.quote).joined(separator: ", ")
        return ("INSERT INTO \(dialect.qualified(schema, staging)) (\(list))\nSELECT \(list)\nFROM (\n", "\n) AS model_subq")
    }

    // MARK: verification queries (each returns one row per problem)

    /// Columns added, missing, retyped, moved (ordered contracts) or nullable where the contract says NOT NULL (tables).
    public func schemaDrift(_ contract: Contract, relation: Relation) -> String {
        let values = contract.columns.enumerated().map { i, c in
            "(\(i + 1), \(dialect.literal(c.name)), \(dialect.literal(c.dataType)), \(c.notNull))"
        }.joined(separator: ",\n        ")
        let moved = contract.ordered ? "\n   or e.rank <> a.rank" : ""
        return """
            with expected (position, column_name, declared_type, not_null) as (
                values \(values)
            ),
            rel as (select to_regclass(\(dialect.literal(relation.schemaQualified(dialect)))) as oid),
            e as (
                select x.*, row_number() over (order by x.position) as rank,
                       pg_catalog.format_type(to_regtype(x.declared_type), null) as base_type
                from expected x
            ),
            a as (
                select at.attname::text as column_name, pg_catalog.format_type(at.atttypid, null) as base_type,
                       pg_catalog.format_type(at.atttypid, at.atttypmod) as data_type, at.attnotnull as not_null,
                       c.relkind in ('r', 'p') as is_table, row_number() over (order by at.attnum) as rank
                from rel
                join pg_catalog.pg_class c on c.oid = rel.oid
                join pg_catalog.pg_attribute at on at.attrelid = rel.oid
                where at.attnum > 0 and not at.attisdropped
            )
            select coalesce(e.column_name, a.column_name) as column_name,
                   case when (select oid from rel) is null then 'relation missing'
                        when a.column_name is null then 'missing'
                        when e.column_name is null then 'added'
                        when e.base_type is distinct from a.base_type then 'retyped'
                        when e.not_null and a.is_table and not a.not_null then 'nullable'
                        else 'moved' end as drift,
                   e.declared_type as contract_type, a.data_type as actual_type, e.rank as contract_position, a.rank as actual_position
            from e full join a on a.column_name = e.column_name
            where a.column_name is null or e.column_name is null
               or e.base_type is distinct from a.base_type
               or (e.not_null and a.is_table and not a.not_null)\(moved)
            """
    }

    /// One entry per constraint the contract declares: what it is, the PostgreSQL constraint type and columns it
    /// shows as in the catalog, and the query that finds rows violating it.
    struct ConstraintCheck {
        var description: String
        var contype: String
        var columns: String?
        var name: String?
        var violations: String
    }

    func constraintChecks(_ contract: Contract, relation: Relation, referenced: (String) -> Relation?) -> [ConstraintCheck] {
        let r = relation.schemaQualified(dialect)
        var out: [ConstraintCheck] = []
        func q(_ c: String) -> String { dialect.quote(c) }
        for c in contract.columns where c.notNull {
            out.append(ConstraintCheck(description: "not_null(\(c.name))", contype: "n", columns: c.name, name: nil,
                                       violations: "select \(dialect.literal("not_null(\(c.name))")) as violated, null::text as value from \(r) where \(q(c.name)) is null"))
        }
        let pk = contract.primaryKeyColumns
        var keySets: [(String, String, [String])] = pk.isEmpty ? [] : [("primary_key", "p", pk)]
        keySets += uniqueSets(contract).map { ("unique", "u", $0) }
        for (what, contype, cols) in keySets {
            let d = "\(what)(\(cols.joined(separator: ", ")))"
            let concat = cols.count == 1 ? "\(q(cols[0]))::text" : "concat_ws(', ', \(cols.map { "\(q($0))::text" }.joined(separator: ", ")))"
            out.append(ConstraintCheck(description: d, contype: contype, columns: cols.joined(separator: ","), name: nil,
                                       violations: "select \(dialect.literal(d)) as violated, \(concat) as value from \(r) group by \(cols.map(q).joined(separator: ", ")) having count(*) > 1"))
        }
        var checkNumber: [String: Int] = [:]
        for c in contract.columns {
            for k in c.constraints {
                switch k.kind {
                case .check:
                    checkNumber[c.name, default: 0] += 1
                    let n = checkNumber[c.name]!
                    let d = "check(\(k.expression ?? ""))"
                    out.append(ConstraintCheck(description: d, contype: "c", columns: nil, name: Self.name(c.name, "check\(n == 1 ? "" : String(n))"),
                                               violations: "select \(dialect.literal(d)) as violated, \(q(c.name))::text as value from \(r) where not (\(k.expression ?? "true"))"))
                case .acceptedValues:
                    let d = "accepted_values(\(c.name))"
                    out.append(ConstraintCheck(description: d, contype: "c", columns: nil, name: Self.name(c.name, "accepted_values"),
                                               violations: "select \(dialect.literal(d)) as violated, \(q(c.name))::text as value from \(r) where \(q(c.name))::text not in (\(k.values.map(dialect.literal).joined(separator: ", ")))"))
                case .foreignKey:
                    guard let model = k.referencedModel, let column = k.referencedColumn, let parent = referenced(model) else { continue }
                    let d = "foreign_key(\(c.name) → \(model).\(column))"
                    out.append(ConstraintCheck(description: d, contype: "f", columns: c.name, name: nil, violations: """
                        select \(dialect.literal(d)) as violated, child.\(q(c.name))::text as value from \(r) as child
                        where child.\(q(c.name)) is not null
                          and not exists (select 1 from \(parent.schemaQualified(dialect)) as parent where parent.\(q(column)) = child.\(q(c.name)))
                        """))
                case .notNull, .unique, .primaryKey: break
                }
            }
        }
        for (i, check) in contract.checks.enumerated() {
            let d = "check(\(check.value))"
            out.append(ConstraintCheck(description: d, contype: "c", columns: nil, name: "check_\(i + 1)",
                                       violations: "select \(dialect.literal(d)) as violated, null::text as value from \(r) where not (\(check.value))"))
        }
        return out
    }

    /// Tables: each declared constraint is present in the catalog. Views cannot hold constraints, so their rows are
    /// checked instead. One row per missing constraint (tables) or violating value (views).
    public func constraints(_ contract: Contract, relation: Relation, isView: Bool, referenced: (String) -> Relation?) -> String? {
        let checks = constraintChecks(contract, relation: relation, referenced: referenced)
        guard !checks.isEmpty else { return nil }
        if isView { return checks.map(\.violations).joined(separator: "\nunion all\n") }
        let values = checks.map { c in
            "(\(dialect.literal(c.description)), \(dialect.literal(c.contype)), \(c.columns.map(dialect.literal) ?? "null"), \(c.name.map(dialect.literal) ?? "null"))"
        }.joined(separator: ",\n        ")
        return """
            with expected (description, contype, columns, name) as (
                values \(values)
            ),
            rel as (select to_regclass(\(dialect.literal(relation.schemaQualified(dialect)))) as oid),
            actual as (
                select c.contype::text as contype, c.conname::text as name,
                       (select string_agg(a.attname::text, ',' order by k.ord)
                        from unnest(c.conkey) with ordinality as k(attnum, ord)
                        join pg_catalog.pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.attnum) as columns
                from rel join pg_catalog.pg_constraint c on c.conrelid = rel.oid
                union all
                select 'n', null, a.attname::text
                from rel join pg_catalog.pg_attribute a on a.attrelid = rel.oid
                where a.attnum > 0 and not a.attisdropped and a.attnotnull
            )
            select e.description as missing_constraint
            from expected e
            where not exists (
                select 1 from actual a
                where a.contype = e.contype and (case when e.contype = 'c' then a.name = e.name else a.columns = e.columns end)
            )
            """
    }

    /// Rows of `relation` that violate one constraint (for `contracts diff`: would a new constraint hold on today's data?).
    public func violations(of constraint: String, in contract: Contract, relation: Relation, referenced: (String) -> Relation?) -> String? {
        constraintChecks(contract, relation: relation, referenced: referenced).first { $0.description == constraint }?.violations
    }

    public func quality(_ rule: QualityRule, relation: Relation) -> String {
        let r = relation.schemaQualified(dialect)
        switch rule.kind {
        case .rowCount(let min, let max):
            var conds: [String] = []
            if let min { conds.append("count(*) >= \(min)") }
            if let max { conds.append("count(*) <= \(max)") }
            return "select count(*) as row_count from \(r) having not (\(conds.joined(separator: " and ")))"
        case .expression(let e):
            return "select * from \(r) where not (\(e))"
        case .unique(let cols):
            let list = cols.map(dialect.quote).joined(separator: ", ")
            return "select \(list), count(*) as duplicates from \(r) group by \(list) having count(*) > 1"
        case .nullFraction(let column, let max):
            let c = dialect.quote(column)
            return """
                select count(*) as row_count, count(*) - count(\(c)) as nulls,
                       round((count(*) - count(\(c)))::numeric / nullif(count(*), 0), 4) as null_fraction
                from \(r)
                having (count(*) - count(\(c)))::float8 > \(max) * count(*)
                """
        }
    }

    /// One row per threshold passed: with both thresholds, 1 row warns and 2 rows fail.
    public func freshness(_ f: Freshness, relation: Relation) -> (sql: String, severity: String, warnIf: String, errorIf: String) {
        var thresholds: [String] = []
        if let w = f.warnAfter { thresholds.append("('warn_after', interval '\(w) seconds')") }
        if let e = f.errorAfter { thresholds.append("('error_after', interval '\(e) seconds')") }
        let c = dialect.quote(f.column)
        let sql = """
            select t.threshold, m.newest, now() - m.newest as age
            from (values \(thresholds.joined(separator: ", "))) as t(threshold, max_age)
            cross join (select max(\(c)) as newest from \(relation.schemaQualified(dialect))) as m
            where m.newest is null or m.newest < now() - t.max_age
            """
        switch (f.warnAfter, f.errorAfter) {
        case (.some, .some): return (sql, "error", ">=1", ">=2")
        case (.some, nil): return (sql, "warn", ">=1", ">=1")
        default: return (sql, "error", ">=1", ">=1")
        }
    }
}
