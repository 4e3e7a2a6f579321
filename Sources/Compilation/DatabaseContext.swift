import Foundation
import Synchronization
import Basics
import ProjectModel
import Templating
import Warehouse

/// The members of dbt's context that ask or change the database: `adapter`'s catalog methods, `run_query`,
/// `{% call statement(…) %}` with `load_result`. Built for each render that has a database (statement results belong
/// to one render), over the connection the render has: at compile time one shared connection, when a node is built
/// the build's own, inside its transaction. `onQuery` is told whenever the render asks the database something: that
/// node renders again when it is built, as dbt renders a node just before running it.
struct DatabaseContext {
    let connection: (any WarehouseConnection)?
    let onQuery: @Sendable () -> Void
    /// Offline and parsing (`CompileOptions.parseOnly`): the calls answer as at dbt's parse (None, empty lists)
    /// instead of failing, so a template that guards them with `if execute` renders as dbt parses it.
    var parsing = false

    /// `adapter`'s members that need the database, by name. Without a connection each is a clear error.
    func adapterMethods() -> [(String, Value)] {
        let names = ["get_relation", "load_relation", "get_columns_in_relation", "get_missing_columns", "list_relations_without_caching",
                     "list_schemas", "check_schema_exists", "create_schema", "drop_schema", "drop_relation", "rename_relation",
                     "truncate_relation", "expand_target_column_types", "already_exists", "get_columns_in_query", "execute"]
        guard let connection else {
            if parsing {
                let lists: Set<String> = ["get_columns_in_relation", "get_missing_columns", "list_relations_without_caching", "list_schemas", "get_columns_in_query"]
                return names.map { name in (name, .function(Function(name) { _, _ in lists.contains(name) ? .list([]) : .none })) }
            }
            return names.map { name in
                (name, .function(Function(name) { _, site in
                    throw site.error("adapter.\(name)() needs the database: it runs with `strata compile` or `strata run` against one, not offline", code: .adapterCallFailed)
                }))
            }
        }
        let db = Session(connection: connection, onQuery: onQuery)
        let methods: [String: @Sendable (Arguments, CallSite) throws -> Value] = [
            "get_relation": { a, s in try db.getRelation(schema: a.argument(1, "schema")?.asString, identifier: a.argument(2, "identifier")?.asString, database: a.argument(0, "database") ?? .none, s) },
            "load_relation": { a, s in
                let r = try Session.relation(a.argument(0, "relation"), s)
                return try db.getRelation(schema: r.path.schema, identifier: r.path.identifier, database: r.path.database.map(Value.string) ?? .none, s)
            },
            "get_columns_in_relation": { a, s in .list(try db.columns(of: Session.relation(a.argument(0, "relation"), s), s).map { .object($0) }) },
            "get_missing_columns": { a, s in
                let from = try db.columns(of: Session.relation(a.argument(0, "from_relation"), s), s)
                let to = Set(try db.columns(of: Session.relation(a.argument(1, "to_relation"), s), s).map { $0.column.lowercased() })
                return .list(from.filter { !to.contains($0.column.lowercased()) }.map { .object($0) })
            },
            "list_relations_without_caching": { a, s in
                let r = try Session.relation(a.argument(0, "schema_relation"), s)
                return .list(try db.catalog(s) { try $0.relations(inSchema: r.path.schema ?? "") }.map {
                    .object(RelationObject(path: .init(database: r.path.database, schema: $0.schema, identifier: $0.name), type: $0.type))
                })
            },
            "list_schemas": { _, s in .list(try db.catalog(s) { try $0.schemas() }.map(Value.string)) },
            "check_schema_exists": { a, s in
                let schema = a.argument(1, "schema")?.stringValue ?? ""
                return .bool(try db.catalog(s) { try $0.schemas() }.contains(schema))
            },
            "already_exists": { a, s in
                .bool(try db.getRelation(schema: a.argument(0, "schema")?.asString, identifier: a.argument(1, "name")?.asString, database: .none, s).isTrue)
            },
            "create_schema": { a, s in
                let r = try Session.relation(a.argument(0, "relation"), s)
                try db.run("create schema if not exists \(r.schemaOnly.render())", s)
                return .none
            },
            "drop_schema": { a, s in
                let r = try Session.relation(a.argument(0, "relation"), s)
                try db.run("drop schema if exists \(r.schemaOnly.render()) cascade", s)
                return .none
            },
            "drop_relation": { a, s in
                let r = try Session.relation(a.argument(0, "relation"), s)
                // dbt drops by the relation's type; one dbt does not know yet is looked up (nothing to drop when absent)
                guard let type = try r.type ?? db.getRelation(schema: r.path.schema, identifier: r.path.identifier, database: .none, s).relationType else { return .none }
                try db.run("drop \(type == "materialized_view" ? "materialized view" : type) if exists \(r.render()) cascade", s)
                return .none
            },
            "truncate_relation": { a, s in
                try db.run("truncate table \(try Session.relation(a.argument(0, "relation"), s).render())", s)
                return .none
            },
            "rename_relation": { a, s in
                let from = try Session.relation(a.argument(0, "from_relation"), s), to = try Session.relation(a.argument(1, "to_relation"), s)
                let kind = from.type == "view" ? "view" : from.type == "materialized_view" ? "materialized view" : "table"
                try db.run("alter \(kind) \(from.render()) rename to \(SQLDialect.postgres.quote(to.path.identifier ?? ""))", s)
                return .none
            },
            "expand_target_column_types": { a, s in
                // widen the target's varchar columns that are narrower than the source's (dbt's alter_column_type)
                let from = try Session.relation(a.argument(0, "from_relation"), s), to = try Session.relation(a.argument(1, "to_relation"), s)
                let wanted = Dictionary(try db.columns(of: from, s).map { ($0.column, $0) }, uniquingKeysWith: { a, _ in a })
                for column in try db.columns(of: to, s) {
                    guard let source = wanted[column.column], column.isString, source.isString, source.stringSize > column.stringSize else { continue }
                    try db.run("alter table \(to.render()) alter column \(SQLDialect.postgres.quote(column.column)) type character varying(\(source.stringSize))", s)
                }
                return .none
            },
            "get_columns_in_query": { a, s in
                let sql = a.argument(0, "select_sql")?.stringValue ?? ""
                return .list(try db.query("select * from (\n\(sql)\n) as __dbt_sbq\nwhere false\nlimit 0\n", s).columns.map(Value.string))
            },
            "execute": { a, s in
                let result = try db.query(a.argument(0, "sql")?.stringValue ?? "", s)
                let fetch = a.argument(2, "fetch")?.isTrue ?? false
                return .tuple([.object(AdapterResponse(result)), .object(QueryTable(fetch ? result : QueryResult(columns: result.columns)))])
            },
        ]
        return names.map { name in (name, .function(Function(name, methods[name]!))) }
    }

    /// `run_query(sql)`, `{% call statement(name, fetch_result=…) %}` and `load_result(name)`.
    func statementGlobals() -> [String: Value] {
        guard let connection else {
            if parsing {
                return ["run_query": .function(Function("run_query") { _, _ in .none }), "statement": .function(Function("statement") { _, _ in .string("") }),
                        "load_result": .function(Function("load_result") { _, _ in .none })]
            }
            let offline: (String) -> Value = { name in
                .function(Function(name) { _, site in
                    throw site.error("\(name)() needs a database: it runs with `strata compile` or `strata run` against one, not offline", code: .runQueryFailed)
                })
            }
            return ["run_query": offline("run_query"), "statement": offline("statement"),
                    "load_result": .function(Function("load_result") { _, _ in .none })]
        }
        let db = Session(connection: connection, onQuery: onQuery)
        let results = StatementResults()
        return [
            "run_query": .function(Function("run_query") { args, site in
                guard let sql = args.argument(0, "sql")?.stringValue else { throw site.error("run_query() needs SQL", code: .runQueryFailed) }
                return .object(QueryTable(try db.query(sql, site, code: .runQueryFailed)))
            }),
            "statement": .function(Function("statement") { args, site in
                guard let caller = args.value("caller") else { throw site.error("statement() is called as {% call statement('name') %}SQL{% endcall %}", code: .unknownStatement) }
                let sql = try site.call(caller, Arguments()).stringValue
                let result = try db.query(sql, site, code: .runQueryFailed)
                if let name = args.argument(0, "name"), case .string(let n) = name {
                    let fetch = args.argument(1, "fetch_result")?.isTrue ?? false
                    results.store(n, result: result, fetch: fetch)
                }
                return .string("")
            }),
            "load_result": .function(Function("load_result") { args, _ in
                results.load(args.argument(0, "name")?.stringValue ?? "")
            }),
        ]
    }

    /// One render's use of the connection: every question goes through here, so `onQuery` hears of it and database
    /// errors become located diagnostics.
    struct Session: Sendable {
        let connection: any WarehouseConnection
        let onQuery: @Sendable () -> Void

        func query(_ sql: String, _ site: CallSite, code: DiagnosticCode = .adapterCallFailed) throws -> QueryResult {
            onQuery()
            do { return try connection.execute(sql) } catch let e as WarehouseError {
                throw site.error("the database refused the query: \(e.message)", code: code)
            }
        }

        func run(_ sql: String, _ site: CallSite) throws { _ = try query(sql, site) }

        func catalog<T>(_ site: CallSite, _ body: (WarehouseCatalog) throws -> T) throws -> T {
            onQuery()
            do { return try body(WarehouseCatalog(connection)) } catch let e as WarehouseError {
                throw site.error("the database refused a catalog query: \(e.message)", code: .adapterCallFailed)
            }
        }

        func getRelation(schema: String?, identifier: String?, database: Value, _ site: CallSite) throws -> Value {
            guard let schema, let identifier else { throw site.error("adapter.get_relation() needs a schema and an identifier", code: .invalidAdapterCall) }
            guard let found = try catalog(site, { try $0.relations(inSchema: schema, named: identifier) }).first(where: { $0.schema == schema }) else { return .none }
            return .object(RelationObject(path: .init(database: database.asString, schema: found.schema, identifier: found.name), type: found.type))
        }

        func columns(of relation: RelationObject, _ site: CallSite) throws -> [ColumnObject] {
            guard let table = relation.path.identifier else { return [] }
            return try catalog(site) { try $0.describedColumns(schema: relation.path.schema, table: table) }.map {
                ColumnObject(column: $0.name, dtype: $0.dataType, charSize: $0.characterMaximumLength, numericPrecision: $0.numericPrecision, numericScale: $0.numericScale)
            }
        }

        static func relation(_ value: Value?, _ site: CallSite) throws -> RelationObject {
            guard case .object(let o as RelationObject)? = value else {
                throw site.error("expected a Relation (ref(), source(), this or api.Relation.create()), got \(value.map { $0.typeName } ?? "nothing")", code: .invalidAdapterCall)
            }
            return o
        }
    }
}

extension Value {
    /// The `type` of a Relation value; nil for none.
    var relationType: String? {
        guard case .object(let o as RelationObject) = self else { return nil }
        return o.type ?? "table"
    }
}

extension RelationObject {
    /// The relation's schema alone, for schema DDL (`create schema "s"`: PostgreSQL takes no database there).
    var schemaOnly: RelationObject {
        RelationObject(path: .init(schema: path.schema), include: Policy(database: false, schema: true, identifier: false), quote: quotePolicy)
    }
}

/// What `{% call statement('name') %}` stored, for `load_result('name')`: `response`, `data` and `table`, as dbt's.
final class StatementResults: Sendable {
    private let results = Mutex<[String: Value]>([:])
    func store(_ name: String, result: QueryResult, fetch: Bool) {
        let table = QueryTable(fetch ? result : QueryResult(columns: result.columns))
        let value = Value.dict([("response", .object(AdapterResponse(result))), ("data", .list(table.rows.map { .tuple($0) })), ("table", .object(table))])
        results.withLock { $0[name] = value }
    }
    func load(_ name: String) -> Value { results.withLock { $0[name] } ?? .none }
}

/// dbt's AdapterResponse: `code` (`SELECT`), `rows_affected`, `_message` (`SELECT 3`), printed as its message.
final class AdapterResponse: TemplateObject {
    let message: String
    let rowsAffected: Int
    init(_ r: QueryResult) {
        message = r.commandTag
        rowsAffected = r.affectedRows ?? r.rows.count
    }
    var typeName: String { "AdapterResponse" }
    var stringValue: String { message }
    func attribute(_ name: String) -> Value? {
        switch name {
        case "_message": return .string(message)
        case "rows_affected": return .int(rowsAffected)
        case "code":
            let parts = message.split(separator: " ")
            if let last = parts.last, Int(last) != nil { return .string(parts.dropLast().joined(separator: " ")) }
            return .string(message)
        default: return nil
        }
    }
}
