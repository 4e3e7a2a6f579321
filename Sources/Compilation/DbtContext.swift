import Foundation
import Basics
import ProjectLoading
import ProjectModel
import Templating
import Warehouse

/// The parts of dbt's Jinja context that do not depend on the model being rendered:
/// `run_started_at`, `invocation_id`, `modules`, JSON/YAML helpers, `adapter`, the `dbt` cross-database
/// macros as dbt-postgres renders them, `surrogate_key` and `run_query`.
struct DbtContext {
    let options: CompileOptions
    let vars: [String: ConfigValue]
    /// How `adapter.dispatch` searches: the root project's name, its `dispatch:` orders and the installed packages.
    var dispatch = DispatchSearch()

    func globals(macros: @escaping @Sendable () -> Environment) -> [String: Value] {
        var g: [String: Value] = [:]
        g["run_started_at"] = .object(PyDateTime(options.runStartedAt, aware: true))
        g["invocation_id"] = .string(options.invocationID)
        g["modules"] = .dict([("datetime", PyDateTimeModule.module(now: options.runStartedAt)), ("re", PyRe.module())])
        g["fromjson"] = .function(Function("fromjson") { args, site in
            guard let s = args.positional.first?.asString else { throw site.error("fromjson() needs a string", code: .invalidSerialization) }
            do { return try JSON.decode(s) } catch {
                if let d = args.argument(1, "default") { return d }
                throw site.error("fromjson(): not valid JSON", code: .invalidSerialization)
            }
        })
        g["tojson"] = .function(Function("tojson") { args, _ in
            .string(JSON.encode(args.positional.first ?? .none, sortKeys: args.value("sort_keys")?.isTrue ?? false))
        })
        g["fromyaml"] = .function(Function("fromyaml") { args, site in
            guard let s = args.positional.first?.asString else { throw site.error("fromyaml() needs a string", code: .invalidSerialization) }
            do { return try YAMLCodec.parse(s).map(Value.init) ?? .none } catch {
                if let d = args.argument(1, "default") { return d }
                throw site.error("fromyaml(): not valid YAML", code: .invalidSerialization)
            }
        })
        g["toyaml"] = .function(Function("toyaml") { args, _ in
            .string(YAMLCodec.dump((args.positional.first ?? .none).configValue, sortKeys: args.value("sort_keys")?.isTrue ?? false))
        })
        let log = options.log, debugLog = options.debugLog, printer = options.printer ?? options.log
        g["log"] = .function(Function("log") { args, _ in
            let message = args.positional.first?.stringValue ?? ""
            if args.argument(1, "info")?.isTrue == true { log(message) } else { debugLog(message) }
            return .string("")
        })
        g["print"] = .function(Function("print") { args, _ in
            printer(args.positional.map(\.stringValue).joined(separator: " "))
            return .string("")
        })
        g["zip_strict"] = .function(Function("zip_strict") { args, site in
            let lists = args.positional.map { $0.iterated ?? [] }
            guard Set(lists.map(\.count)).count <= 1 else { throw site.error("zip_strict() of sequences of different lengths", code: .wrongArguments) }
            return .list((0..<(lists.first?.count ?? 0)).map { i in .tuple(lists.map { $0[i] }) })
        })
        g["local_md5"] = .function(Function("local_md5") { args, _ in .string(MD5.hex(Array((args.argument(0, "value")?.stringValue ?? "").utf8))) })
        g["set"] = .function(PySet.constructor)
        g["set_strict"] = .function(PySet.constructor)
        g["adapter"] = adapter(macros: macros, database: DatabaseContext(connection: options.connection, onQuery: {}, parsing: options.parseOnly))
        g["api"] = .dict([
            ("Relation", .dict([("create", .function(Function("create") { args, _ in .object(RelationObject.create(args)) }))])),
            ("Column", ColumnObject.api),
        ])
        g["dbt"] = .dict(Self.crossDatabaseMacros.map { ($0.key, .function($0.value)) }.sorted { $0.0 < $1.0 })
        g.merge(surrogateKeyGlobals(onUUID: {})) { $1 }
        for (k, v) in DatabaseContext(connection: options.connection, onQuery: {}, parsing: options.parseOnly).statementGlobals() { g[k] = v }
        return g
    }

    // MARK: adapter

    /// dbt's `adapter`: `type`, quoting, `dispatch`, and the catalog methods of `database`.
    func adapter(macros: @escaping @Sendable () -> Environment, database: DatabaseContext) -> Value {
        let dialect = SQLDialect.postgres
        let entries: [(String, Value)] = [
            ("type", .function(Function("type") { _, _ in .string("postgres") })),
            ("quote", .function(Function("quote") { args, site in
                guard let s = args.positional.first?.asString else { throw site.error("adapter.quote() needs a name", code: .invalidAdapterCall) }
                return .string(dialect.quote(s))
            })),
            ("dispatch", .function(Function("dispatch") { [dispatch] args, site in
                guard let name = args.argument(0, "macro_name")?.asString else { throw site.error("adapter.dispatch() needs a macro name", code: .invalidAdapterCall) }
                let namespace = args.argument(1, "macro_namespace")?.asString
                let env = macros()
                // dbt's order: the namespace's `dispatch:` search_order; else the root project then the namespace, when it
                // is an installed package; else the global namespace (the root project's macros and dbt's)
                var attempts: [String] = []
                for package in dispatch.searchPackages(for: namespace) {
                    for candidate in ["postgres__\(name)", "default__\(name)"] {
                        attempts.append(package.map { "\($0).\(candidate)" } ?? candidate)
                        let found = package.map { p in p == dispatch.rootProject ? env.namespacedMacros[p]?[candidate] ?? env.macros[candidate]
                                                                                   : env.namespacedMacros[p]?[candidate] } ?? env.macros[candidate]
                        if let m = found { return .macro(MacroValue(definition: m)) }
                    }
                }
                if namespace == nil || namespace == "dbt", let f = Self.crossDatabaseMacros[name] { return .function(f) }
                throw site.error("adapter.dispatch('\(name)'): no macro named '\(name)' found within namespace '\(namespace ?? "")'; searched for \(attempts.joined(separator: ", "))",
                                 code: .dispatchNotFound)
            })),
        ]
        return .dict(entries + database.adapterMethods())
    }

    // MARK: surrogate keys

    /// `surrogate_key` and `dbt_utils.generate_surrogate_key`; `onUUID` is told when a render needs uuid-ossp.
    func surrogateKeyGlobals(onUUID: @escaping @Sendable () -> Void) -> [String: Value] {
        let f = surrogateKey(onUUID: onUUID)
        // the built-in stand-in for dbt_utils' key macros steps aside when the real package is installed
        if dispatch.packages.contains("dbt_utils") { return ["surrogate_key": .function(f)] }
        return ["surrogate_key": .function(f), "dbt_utils": .dict([("generate_surrogate_key", .function(f)), ("surrogate_key", .function(f))])]
    }

    /// `surrogate_key(['a', 'b'])`: byte-for-byte dbt_utils.generate_surrogate_key on PostgreSQL;
    /// `kind='uuid5'` hashes the same text with `uuid_generate_v5(uuid_ns_url(), …)`.
    func surrogateKey(onUUID: @escaping @Sendable () -> Void) -> Function {
        let treatNullsAsEmpty = vars["surrogate_key_treat_nulls_as_empty_strings"]?.asBool ?? false
        return Function("surrogate_key") { args, site in
            guard let list = args.argument(0, "field_list"), case .list(let box) = list else {
                throw site.error("surrogate_key() takes a list of column names, e.g. surrogate_key(['order_id', 'line'])", code: .invalidSurrogateKey)
            }
            guard !box.items.isEmpty else { throw site.error("surrogate_key() needs at least one column", code: .invalidSurrogateKey) }
            let nullValue = treatNullsAsEmpty ? "" : "_dbt_utils_surrogate_key_null_"
            var fields: [String] = []
            for (i, f) in box.items.enumerated() {
                fields.append("coalesce(cast(\(f.stringValue) as TEXT), '\(nullValue)')")
                if i < box.items.count - 1 { fields.append("'-'") }
            }
            let concatenated = fields.joined(separator: " || ")
            switch args.value("kind")?.asString ?? "md5" {
            case "md5": return .string("md5(cast(\(concatenated) as TEXT))")
            case "uuid5":
                onUUID()
                return .string("uuid_generate_v5(uuid_ns_url(), \(concatenated))")
            case let other:
                throw site.error("surrogate_key kind '\(other)' is not one of md5, uuid5", code: .invalidSurrogateKey)
            }
        }
    }

}

/// A query result as dbt's agate table: `.rows`, `.columns[i].values()`, `.column_names`, `[i]`, iteration over rows
/// that answer to their column names (`row.table_name`, `row['table_name']`) and positions.
final class QueryTable: TemplateObject {
    let columns: [String]
    let rows: [[Value]]

    init(_ r: QueryResult) {
        columns = r.columns
        let types = r.columnTypes
        rows = r.rows.map { row in row.enumerated().map { i, s in QueryTable.value(s, type: i < types.count ? types[i] : nil) } }
    }

    /// Numbers come back as numbers (agate's Number), booleans as booleans (agate's Boolean), NULL as none,
    /// everything else as text.
    static func value(_ s: String?, type: UInt32? = nil) -> Value {
        guard let s else { return .none }
        if type == 16 { return .bool(s == "t") }
        if let i = Int(s) { return .int(i) }
        if s.contains("."), let d = Double(s), s.allSatisfy({ $0.isNumber || $0 == "." || $0 == "-" }) { return .double(d) }
        return .string(s)
    }

    var typeName: String { "Table" }
    var stringValue: String { "<Table \(rows.count) rows>" }
    var rowValues: [Value] { rows.map { .object(MappedSequence.row(columns: columns, values: $0)) } }
    var iterated: [Value]? { rowValues }
    var isTrue: Bool { true }

    func attribute(_ name: String) -> Value? {
        switch name {
        case "rows": return .list(rowValues)
        case "column_names": return .list(columns.map { .string($0) })
        case "columns": return .object(MappedSequence.columns(names: columns, values: columns.indices.map { i in rows.map { $0[i] } }))
        case "print_table": return .function(Function("print_table") { _, _ in .string("") })
        default:
            if let i = Int(name), i >= 0, i < rows.count { return .object(MappedSequence.row(columns: columns, values: rows[i])) }
            return nil
        }
    }
}

/// agate's MappedSequence: values by position (`xs[0]`, `xs[-1]`), by key (`xs.name`, `xs['name']`), iterable, with
/// `keys()`, `values()`, `items()`. A query result's rows (keyed by column name, printed as the list of their values)
/// and its `columns` (each with `name` and `values()`) are ones.
final class MappedSequence: TemplateObject {
    let keys: [String]
    let values: [Value]
    let typeName: String
    let stringValue: String

    init(keys: [String], values: [Value], typeName: String, printed: String) {
        self.keys = keys
        self.values = values
        self.typeName = typeName
        self.stringValue = printed
    }

    static func row(columns: [String], values: [Value]) -> MappedSequence {
        MappedSequence(keys: columns, values: values, typeName: "Row", printed: Value.list(values).repr)
    }

    static func columns(names: [String], values: [[Value]]) -> MappedSequence {
        let columns: [Value] = zip(names, values).map { name, values in
            .dict([("name", .string(name)), ("values", .function(Function("values") { _, _ in .list(values) }))])
        }
        return MappedSequence(keys: names, values: columns, typeName: "MappedSequence",
                              printed: "<agate.MappedSequence: (\(names.map { Value.string($0).repr }.joined(separator: ", ")))>")
    }

    var iterated: [Value]? { values }

    func attribute(_ name: String) -> Value? {
        if let i = Int(name) {
            let index = i < 0 ? values.count + i : i
            return values.indices.contains(index) ? values[index] : nil
        }
        if let i = keys.firstIndex(of: name) { return values[i] }
        switch name {
        case "keys": return .function(Function("keys") { [keys] _, _ in .list(keys.map(Value.string)) })
        case "values": return .function(Function("values") { [values] _, _ in .list(values) })
        case "items": return .function(Function("items") { [keys, values] _, _ in .list(zip(keys, values).map { .tuple([.string($0), $1]) }) })
        default: return nil
        }
    }
}

/// Where `adapter.dispatch(name, macro_namespace)` looks for `postgres__name` and `default__name`, as dbt does.
struct DispatchSearch: Sendable {
    var rootProject = ""
    var orders: [String: [String]] = [:]
    var packages: Set<String> = []

    /// nil stands for the global namespace (the root project's macros, then dbt's own).
    func searchPackages(for namespace: String?) -> [String?] {
        guard let namespace else { return [nil] }
        if let order = orders[namespace], !order.isEmpty { return order }
        if packages.contains(namespace) { return [rootProject, namespace] }
        return [nil]
    }
}
