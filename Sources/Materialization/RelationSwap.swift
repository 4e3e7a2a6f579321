import Foundation
import Basics
import Compilation
import ProjectModel
import Warehouse

/// Builds a relation aside and swaps it in, in one transaction, keeping every view that depends on the old one.
///
/// dbt drops the old relation with CASCADE, which silently deletes dependent views (dbt-core#2185).
/// Strata captures the dependent views (recursively, with owner, grants, comments and options), drops them and the
/// old relation without CASCADE (so anything else that depends on it — a foreign key, say — fails the swap loudly),
/// renames the new relation into place and recreates the views, all before COMMIT. Readers see the old or the new
/// relation, never neither; a failure anywhere rolls back and leaves the old relation untouched.
struct RelationSwap {
    let connection: any WarehouseConnection
    let dialect: SQLDialect

    enum Kind: String { case table, view }

    /// A statement that failed, and where the model's SQL begins in it (for mapping the error position).
    struct StatementFailure: Error {
        let error: WarehouseError
        /// Characters before the model's SQL in the failed statement; nil when the model's SQL is not in it.
        let bodyOffset: Int?
    }

    /// Statements around a build, inside its transaction: `before` (pre-hooks) runs first, `after` (post-hooks,
    /// grants) once the new relation has its final name; either failing rolls the whole build back.
    struct Around {
        var before: () throws -> Void = {}
        var after: () throws -> Void = {}

        /// For loads that run their own transaction: `before`, the load, then `after`, just outside it.
        func wrapping<T>(_ body: () throws -> T) throws -> T {
            try before()
            let result = try body()
            try after()
            return result
        }
    }

    /// Replaces `relation` with the result of `sql`. Returns the rows the build reported (tables).
    /// `verify` sees the new relation (by its schema-qualified name) before it replaces the old one; throwing keeps the old.
    func build(_ kind: Kind, relation: Relation, sql: String, verify: ((String) throws -> Void)? = nil, around: Around = Around()) throws -> Int? {
        if kind == .view, try replaceViewInPlace(relation: relation, sql: sql, verify: verify, around: around) { return nil }
        return try build(kind, relation: relation, around: around) { staging in
            let prefix = kind == .table ? "CREATE TABLE \(staging) AS (\n" : "CREATE VIEW \(staging) AS (\n"
            let rows: Int?
            do {
                let created = try connection.execute(prefix + sql + "\n)")
                rows = kind == .table ? created.affectedRows : nil
            } catch let e as WarehouseError {
                throw StatementFailure(error: e, bodyOffset: prefix.unicodeScalars.count)
            }
            try verify?(staging)
            return rows
        }
    }

    /// When the old relation is a view and the new one keeps its columns (PostgreSQL allows appending some), a plain
    /// CREATE OR REPLACE VIEW keeps every dependent by itself: no capture, no drop. Returns false when the shape
    /// changed (or there is no view), leaving the full swap to do the work.
    private func replaceViewInPlace(relation: Relation, sql: String, verify: ((String) throws -> Void)?, around: Around) throws -> Bool {
        let kind: String?
        do { kind = try WarehouseCatalog(connection).kind(of: dialect.qualified(relation.schema, relation.identifier)) } catch let e as WarehouseError {
            throw StatementFailure(error: e, bodyOffset: nil)
        }
        guard kind == "v" else { return false }
        let prefix = "CREATE OR REPLACE VIEW \(dialect.qualified(relation.schema, relation.identifier)) AS (\n"
        try run("BEGIN;\nSAVEPOINT strata_replace_view")
        do {
            let replaced = try replaceViewBody(relation: relation, prefix: prefix, sql: sql, verify: verify, around: around)
            try run("COMMIT")
            return replaced
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }

    private func replaceViewBody(relation: Relation, prefix: String, sql: String, verify: ((String) throws -> Void)?, around: Around) throws -> Bool {
        try around.before()
        do {
            try connection.execute(prefix + sql + "\n)")
        } catch let e as WarehouseError where ["42P16", "42804", "0A000"].contains(e.sqlState ?? "") {
            // the columns changed shape: not the model's error, the full swap's job
            try run("ROLLBACK TO SAVEPOINT strata_replace_view")
            return false
        } catch let e as WarehouseError {
            throw StatementFailure(error: e, bodyOffset: prefix.unicodeScalars.count)
        }
        try verify?(dialect.qualified(relation.schema, relation.identifier))
        try around.after()
        return true
    }

    /// Replaces `relation` with what `create` builds under the staging name it is given (schema-qualified).
    /// `renames` are constraints (with their indexes) to rename once the new relation has its final name.
    func build(_ kind: Kind, relation: Relation, renames: [(from: String, to: String)] = [], around: Around = Around(), create: (String) throws -> Int?) throws -> Int? {
        let staging = Self.stagingName(relation.identifier)
        let stagingQualified = dialect.qualified(relation.schema, staging)
        // One round trip opens the transaction and clears the staging name (names are reused across runs; a killed
        // run rolled back, but a stray object may still hold the name). Statements that return nothing are sent
        // together throughout: round trips are most of a small model's cost.
        try run("BEGIN;\nDROP VIEW IF EXISTS \(stagingQualified) CASCADE;\nDROP TABLE IF EXISTS \(stagingQualified) CASCADE")
        do {
            try around.before()
            let rows = try create(stagingQualified)
            let target = dialect.qualified(relation.schema, relation.identifier)
            try swapIn(staging: staging, kind: kind, relation: relation,
                       then: renames.map { "ALTER TABLE \(target) RENAME CONSTRAINT \(dialect.quote($0.from)) TO \(dialect.quote($0.to))" })
            try around.after()
            try run("COMMIT")
            return rows
        } catch {
            _ = try? connection.execute("ROLLBACK")
            throw error
        }
    }

    private func run(_ sql: String, _ params: [String?] = []) throws {
        do { try connection.execute(sql, parameters: params) } catch let e as WarehouseError {
            throw StatementFailure(error: e, bodyOffset: nil)
        }
    }

    private func query(_ sql: String, _ params: [String?] = []) throws -> QueryResult {
        do { return try connection.execute(sql, parameters: params) } catch let e as WarehouseError {
            throw StatementFailure(error: e, bodyOffset: nil)
        }
    }

    struct Dependent {
        var schema: String
        var name: String
        var kind: String   // v or m
        var definition: String
        var options: String?
        var owner: String
        var comment: String?
        var acl: String?
        var indexes: [String]
    }

    /// Swaps are serialized per database: two swaps may share dependent views, and each drops and recreates them.
    /// A transaction-scoped advisory lock (not an in-process mutex) so PostgreSQL's deadlock detector sees it.
    static let swapLockKey = "strata:swap"

    /// `then`: statements to run right after the rename (constraint renames), in the same round trip.
    private func swapIn(staging: String, kind: Kind, relation: Relation, then: [String] = []) throws {
        // Fully qualified definitions: with only pg_catalog on the path, pg_get_viewdef qualifies every name.
        // The path is restored before anything of the model's (post-hooks) runs.
        try run("SELECT pg_advisory_xact_lock(hashtextextended(\(dialect.literal(Self.swapLockKey)), 0));\nSET LOCAL search_path = pg_catalog")
        let existing = try query("""
            SELECT c.oid::text, c.relkind::text, array_to_string(c.relacl, E'\\n'), obj_description(c.oid, 'pg_class')
            FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = $1 AND c.relname = $2
            """, [relation.schema, relation.identifier]).rows.first
        let target = dialect.qualified(relation.schema, relation.identifier)
        let renameKeyword = kind == .table ? "TABLE" : "VIEW"
        let rename = "ALTER \(renameKeyword) \(dialect.qualified(relation.schema, staging)) RENAME TO \(dialect.quote(relation.identifier))"
        guard let old = existing, let oid = old[0], let relkind = old[1] else {
            try run((["SET LOCAL search_path TO DEFAULT", rename] + then).joined(separator: ";\n"))
            return
        }
        let dependents = try captureDependents(of: oid)
        // Foreign keys of other tables (contracts) that reference the old table: dropped here, added back against the
        // new table below, which checks every referencing row again; a row that lost its parent fails the swap.
        let foreignKeys = try query("""
            SELECT pg_catalog.format('%I.%I', n.nspname, c.relname), k.conname::text, pg_catalog.pg_get_constraintdef(k.oid)
            FROM pg_catalog.pg_constraint k JOIN pg_catalog.pg_class c ON c.oid = k.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            WHERE k.contype = 'f' AND k.confrelid = $1::oid AND k.conrelid <> $1::oid
            """, [oid]).rows.map { (table: $0[0]!, name: $0[1]!, definition: $0[2]!) }
        var batch = ["SET LOCAL search_path TO DEFAULT"]
        for fk in foreignKeys { batch.append("ALTER TABLE \(fk.table) DROP CONSTRAINT \(dialect.quote(fk.name))") }
        // one statement per kind drops every dependent (no CASCADE: anything else that depends fails the swap)
        for kind in ["v", "m"] {
            let names = dependents.filter { $0.kind == kind }.map { dialect.qualified($0.schema, $0.name) }
            if !names.isEmpty { batch.append("DROP \(kind == "m" ? "MATERIALIZED VIEW" : "VIEW") \(names.joined(separator: ", "))") }
        }
        let dropKeyword: String
        switch relkind {
        case "v": dropKeyword = "VIEW"
        case "m": dropKeyword = "MATERIALIZED VIEW"
        case "r", "p": dropKeyword = "TABLE"
        case "f": dropKeyword = "FOREIGN TABLE"
        default:
            throw StatementFailure(error: WarehouseError(kind: .statement, message: "\(relation) exists and is not a table or view (relkind '\(relkind)'); Strata will not replace it"), bodyOffset: nil)
        }
        batch += ["DROP \(dropKeyword) \(target)", rename] + then
        // The relation keeps the grants and comment it had.
        batch += Self.grants(fromACL: old[2], on: target, dialect: dialect)
        if let comment = old[3] { batch.append("COMMENT ON \(renameKeyword) \(target) IS \(dialect.literal(comment))") }
        try run(batch.joined(separator: ";\n"))
        try recreate(dependents)
        for fk in foreignKeys { try run("ALTER TABLE \(fk.table) ADD CONSTRAINT \(dialect.quote(fk.name)) \(fk.definition)") }
    }

    private func captureDependents(of oid: String) throws -> [Dependent] {
        let rows = try query("""
            WITH RECURSIVE dependents(oid, depth) AS (
                SELECT DISTINCT r.ev_class, 1
                FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid
                WHERE d.classid = 'pg_catalog.pg_rewrite'::regclass AND d.refclassid = 'pg_catalog.pg_class'::regclass
                  AND d.refobjid = $1::oid AND r.ev_class <> $1::oid
                UNION ALL
                SELECT r.ev_class, dep.depth + 1
                FROM dependents dep
                JOIN pg_catalog.pg_depend d ON d.refobjid = dep.oid AND d.classid = 'pg_catalog.pg_rewrite'::regclass
                     AND d.refclassid = 'pg_catalog.pg_class'::regclass
                JOIN pg_catalog.pg_rewrite r ON r.oid = d.objid
                WHERE r.ev_class <> dep.oid AND dep.depth < 1000
            )
            SELECT n.nspname, c.relname, c.relkind::text, pg_catalog.pg_get_viewdef(c.oid), max(dep.depth) AS depth,
                   array_to_string(c.reloptions, ','), pg_catalog.pg_get_userbyid(c.relowner),
                   obj_description(c.oid, 'pg_class'), array_to_string(c.relacl, E'\\n'),
                   (SELECT string_agg(pg_catalog.pg_get_indexdef(i.indexrelid), E'\\n') FROM pg_catalog.pg_index i WHERE i.indrelid = c.oid)
            FROM dependents dep
            JOIN pg_catalog.pg_class c ON c.oid = dep.oid
            JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
            GROUP BY c.oid, n.nspname, c.relname, c.relkind, c.reloptions, c.relowner, c.relacl
            ORDER BY depth, n.nspname, c.relname
            """, [oid]).rows
        return rows.map { r in
            Dependent(schema: r[0]!, name: r[1]!, kind: r[2]!, definition: r[3] ?? "", options: r[5].flatMap { $0.isEmpty ? nil : $0 },
                      owner: r[6] ?? "", comment: r[7], acl: r[8], indexes: (r[9] ?? "").split(separator: "\n").map(String.init))
        }
    }

    /// The statements that recreate one dependent view as it was.
    private func statements(recreating d: Dependent, currentUser: String) -> [String] {
        let name = dialect.qualified(d.schema, d.name)
        var definition = d.definition.trimmedWhitespace
        if definition.hasSuffix(";") { definition.removeLast() }
        let with = d.options.map { " WITH (\($0))" } ?? ""
        let keyword = d.kind == "m" ? "MATERIALIZED VIEW" : "VIEW"
        var out = ["CREATE \(keyword) \(name)\(with) AS \(definition)"]
        out += d.indexes
        if d.owner != currentUser, !d.owner.isEmpty { out.append("ALTER \(keyword) \(name) OWNER TO \(dialect.quote(d.owner))") }
        out += Self.grants(fromACL: d.acl, on: name, dialect: dialect)
        if let c = d.comment { out.append("COMMENT ON \(keyword) \(name) IS \(dialect.literal(c))") }
        return out
    }

    /// Recreates the dependents in order, in one round trip. If that fails, the batch is rolled back to a savepoint
    /// and replayed view by view, so the error names the view that no longer fits.
    private func recreate(_ dependents: [Dependent]) throws {
        guard !dependents.isEmpty else { return }
        let currentUser = try query("SELECT current_user").scalar ?? ""
        let batch = dependents.flatMap { statements(recreating: $0, currentUser: currentUser) }.joined(separator: ";\n")
        try run("SAVEPOINT strata_recreate")
        do {
            try connection.execute(batch)
            return
        } catch is WarehouseError {
            try run("ROLLBACK TO SAVEPOINT strata_recreate")
        }
        for d in dependents {
            for (i, statement) in statements(recreating: d, currentUser: currentUser).enumerated() {
                do {
                    try connection.execute(statement)
                } catch let e as WarehouseError {
                    var err = e
                    if i == 0 {
                        err.message = "dependent view \(d.schema).\(d.name) no longer fits the rebuilt relation: \(e.message)"
                        err.hint = "change or drop \(d.schema).\(d.name) so it matches the new columns; the old relation was kept"
                    }
                    throw StatementFailure(error: err, bodyOffset: nil)
                }
            }
        }
    }

    /// GRANT statements reproducing an `aclitem[]` rendered as text, one item per line (`grantee=arwdDxt/grantor`).
    static func grants(fromACL acl: String?, on relation: String, dialect: SQLDialect) -> [String] {
        guard let acl, !acl.isEmpty else { return [] }
        let names: [Character: String] = ["r": "SELECT", "a": "INSERT", "w": "UPDATE", "d": "DELETE", "D": "TRUNCATE", "x": "REFERENCES", "t": "TRIGGER"]
        var out: [String] = []
        for item in acl.split(separator: "\n") {
            guard let eq = item.lastIndex(of: "=") else { continue }
            var grantee = String(item[..<eq])
            if grantee.hasPrefix("\""), grantee.hasSuffix("\""), grantee.count >= 2 {
                grantee = String(grantee.dropFirst().dropLast()).replacingOccurrences(of: "\"\"", with: "\"")
            }
            let privsAndGrantor = item[item.index(after: eq)...]
            let privs = privsAndGrantor.split(separator: "/").first.map(String.init) ?? ""
            var plain: [String] = [], withOption: [String] = []
            var chars = Array(privs)
            var i = 0
            while i < chars.count {
                if let p = names[chars[i]] {
                    if i + 1 < chars.count, chars[i + 1] == "*" { withOption.append(p); i += 1 } else { plain.append(p) }
                }
                i += 1
            }
            chars.removeAll()
            let to = grantee.isEmpty ? "PUBLIC" : dialect.quote(grantee)
            if !plain.isEmpty { out.append("GRANT \(plain.joined(separator: ", ")) ON \(relation) TO \(to)") }
            if !withOption.isEmpty { out.append("GRANT \(withOption.joined(separator: ", ")) ON \(relation) TO \(to) WITH GRANT OPTION") }
        }
        return out
    }

    /// `<name>__strata_new`, shortened with a hash when it would pass PostgreSQL's 63-byte limit.
    static func stagingName(_ identifier: String) -> String {
        let suffix = "__strata_new"
        if identifier.utf8.count + suffix.utf8.count <= 63 { return identifier + suffix }
        let hash = String(SHA256.hex(identifier).prefix(8))
        var base = ""
        for ch in identifier {
            if (base + String(ch)).utf8.count + suffix.utf8.count + 9 > 63 { break }
            base.append(ch)
        }
        return base + "_" + hash + suffix
    }
}
