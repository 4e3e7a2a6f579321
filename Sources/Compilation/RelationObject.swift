import Foundation
import ProjectModel
import Templating
import Warehouse

/// dbt's Relation (`this`, `ref()`, `source()`, `api.Relation.create()`, adapter answers): a path of optional parts
/// with an include policy and a quote policy, rendered as dbt-postgres renders it. Immutable: `include()`,
/// `quote()`, `incorporate()` and `without_identifier()` return new relations. A mapping, as dbt's is.
final class RelationObject: TemplateObject {
    struct Path: Sendable, Equatable {
        var database: String?
        var schema: String?
        var identifier: String?
    }
    struct Policy: Sendable, Equatable {
        var database = true, schema = true, identifier = true
    }

    let path: Path
    /// dbt's relation type: table, view, cte, materialized_view, external; nil when unknown (as for `this` and
    /// `ref()`, whose type dbt does not know before the database is asked).
    let type: String?
    let includePolicy: Policy
    let quotePolicy: Policy
    /// For microbatch models: the upstream's event_time column; the relation then renders filtered to the batch.
    let eventTimeFilter: String?
    /// `--empty`: a ref or source renders as a subquery with no rows (dbt's `limit` of 0).
    let empty: Bool

    init(path: Path, type: String? = nil, include: Policy = Policy(), quote: Policy = Policy(), eventTimeFilter: String? = nil, empty: Bool = false) {
        self.path = path
        self.type = type
        self.includePolicy = include
        self.quotePolicy = quote
        self.eventTimeFilter = eventTimeFilter
        self.empty = empty
    }

    convenience init(_ relation: Relation, type: String? = nil, quote: Policy = Policy(), eventTimeFilter: String? = nil, empty: Bool = false) {
        self.init(path: Path(database: relation.database, schema: relation.schema, identifier: relation.identifier), type: type,
                  quote: quote, eventTimeFilter: eventTimeFilter, empty: empty)
    }

    /// An ephemeral model as its dependents see it: the CTE `__dbt__cte__<name>`, unquoted (dbt's `create_ephemeral_from`).
    static func ephemeral(_ name: String) -> RelationObject {
        RelationObject(path: Path(identifier: "__dbt__cte__\(name)"), type: "cte", quote: Policy(identifier: false))
    }

    /// `"db"."schema"."name"`: the included parts, quoted where the policy says.
    func render() -> String {
        var parts: [String] = []
        func add(_ part: String?, _ include: Bool, _ quote: Bool) {
            guard include, let part else { return }
            parts.append(quote ? SQLDialect.postgres.quote(part) : part)
        }
        add(path.database, includePolicy.database, quotePolicy.database)
        add(path.schema, includePolicy.schema, quotePolicy.schema)
        add(path.identifier, includePolicy.identifier, quotePolicy.identifier)
        return parts.joined(separator: ".")
    }

    var typeName: String { "Relation" }
    var isMapping: Bool { true }
    var stringValue: String {
        var name = render()
        // as dbt: the empty subquery inside, the batch filter around it
        if empty { name = "(select * from \(name) where false limit 0) _dbt_limit_subq_\(path.identifier ?? "")" }
        guard let column = eventTimeFilter else { return name }
        // as dbt renders refs inside a microbatch model; the executor puts each batch's bounds in
        return "(select * from \(name) where \(column) >= '\(Microbatch.startPlaceholder)' and \(column) < '\(Microbatch.endPlaceholder)') _dbt_et_filter_subq_\(path.identifier ?? "")"
    }

    private func with(path: Path? = nil, type: String?? = nil, include: Policy? = nil, quote: Policy? = nil) -> RelationObject {
        RelationObject(path: path ?? self.path, type: type ?? self.type, include: include ?? includePolicy, quote: quote ?? quotePolicy,
                       eventTimeFilter: eventTimeFilter, empty: empty)
    }

    /// Applies `database=`, `schema=`, `identifier=` booleans (positional or keyword; none leaves a part alone).
    private static func policy(_ base: Policy, _ args: Arguments) -> Policy {
        var p = base
        if let v = args.argument(0, "database"), case .bool(let b) = v { p.database = b }
        if let v = args.argument(1, "schema"), case .bool(let b) = v { p.schema = b }
        if let v = args.argument(2, "identifier"), case .bool(let b) = v { p.identifier = b }
        return p
    }

    private var pathValue: Value {
        .dict([("database", path.database.map(Value.string) ?? .none), ("schema", path.schema.map(Value.string) ?? .none),
               ("identifier", path.identifier.map(Value.string) ?? .none)])
    }

    private func policyValue(_ p: Policy) -> Value {
        .dict([("database", .bool(p.database)), ("schema", .bool(p.schema)), ("identifier", .bool(p.identifier))])
    }

    func attribute(_ name: String) -> Value? {
        switch name {
        case "database": return path.database.map(Value.string) ?? Value.none
        case "schema": return path.schema.map(Value.string) ?? Value.none
        case "identifier", "name", "table": return path.identifier.map(Value.string) ?? Value.none
        case "type": return type.map(Value.string) ?? Value.none
        case "is_table": return .bool(type == "table")
        case "is_view": return .bool(type == "view")
        case "is_cte": return .bool(type == "cte")
        case "is_materialized_view": return .bool(type == "materialized_view")
        case "path": return pathValue
        case "include_policy": return policyValue(includePolicy)
        case "quote_policy": return policyValue(quotePolicy)
        case "quote_character": return .string("\"")
        case "render": return .function(Function("render") { [self] _, _ in .string(render()) })
        case "include": return .function(Function("include") { [self] args, _ in .object(with(include: Self.policy(includePolicy, args))) })
        case "quote": return .function(Function("quote") { [self] args, _ in .object(with(quote: Self.policy(quotePolicy, args))) })
        case "without_identifier":
            return .function(Function("without_identifier") { [self] _, _ in
                var p = path
                p.identifier = nil
                var i = includePolicy
                i.identifier = false
                return .object(with(path: p, include: i))
            })
        case "incorporate": return .function(Function("incorporate") { [self] args, site in try incorporate(args, site) })
        case "replace_path":
            return .function(Function("replace_path") { [self] args, site in try incorporate(Arguments([], keyword: [("path", .dict(args.keyword))]), site) })
        case "get":
            // dbt's Relation answers `.get('metadata')` with its class, which dbt_utils' `_is_relation` checks
            return .function(Function("get") { [self] args, _ in
                let key = args.argument(0, "key")?.asString ?? ""
                let fallback = args.argument(1, "default") ?? .none
                switch key {
                case "metadata": return .dict([("type", .string("PostgresRelation"))])
                case "path", "type", "include_policy", "quote_policy", "quote_character": return attribute(key) ?? fallback
                default: return fallback
                }
            })
        case "information_schema":
            // as dbt-postgres renders it: "db".INFORMATION_SCHEMA.columns (the schema and view unquoted)
            return .function(Function("information_schema") { [self] args, _ in
                let view = args.argument(0, "view_name")?.asString
                return .object(RelationObject(path: Path(database: path.database, schema: "INFORMATION_SCHEMA", identifier: view), type: "view",
                                              include: Policy(database: includePolicy.database, identifier: view != nil),
                                              quote: Policy(database: quotePolicy.database, schema: false, identifier: false)))
            })
        default: return nil
        }
    }

    /// `incorporate(path={...}, type='table')`: a copy with those fields replaced.
    private func incorporate(_ args: Arguments, _ site: CallSite) throws -> Value {
        var p = path
        var t = type
        for (key, value) in args.keyword {
            switch key {
            case "path":
                guard case .dict(let d) = value else { throw site.error("incorporate(path=…) takes a dict of database, schema, identifier", code: .invalidRelation) }
                for (k, v) in d.pairs {
                    let s: String? = v.asString
                    switch k {
                    case "database": p.database = s
                    case "schema": p.schema = s
                    case "identifier": p.identifier = s
                    default: throw site.error("a relation's path has no part '\(k)' (database, schema, identifier)", code: .invalidRelation)
                    }
                }
            case "type": t = value.asString
            default: throw site.error("incorporate() got an unexpected argument '\(key)'", code: .invalidRelation)
            }
        }
        return .object(with(path: p, type: .some(t)))
    }

    /// `api.Relation.create(database=, schema=, identifier=, type=)`.
    static func create(_ args: Arguments) -> RelationObject {
        func part(_ i: Int, _ name: String) -> String? {
            guard let v = args.argument(i, name) else { return nil }
            if case .none = v { return nil }
            return v.stringValue
        }
        var quote = Policy()
        if case .dict(let q)? = args.value("quote_policy") {
            if let v = q["database"] { quote.database = v.isTrue }
            if let v = q["schema"] { quote.schema = v.isTrue }
            if let v = q["identifier"] { quote.identifier = v.isTrue }
        }
        return RelationObject(path: Path(database: part(0, "database"), schema: part(1, "schema"), identifier: part(2, "identifier")),
                              type: args.argument(3, "type")?.asString, quote: quote)
    }
}

/// dbt-postgres' Column: a name, a type and its size, with dbt's type predicates.
final class ColumnObject: TemplateObject {
    let column: String
    let dtype: String
    let charSize: Int?
    let numericPrecision: Int?
    let numericScale: Int?

    init(column: String, dtype: String, charSize: Int? = nil, numericPrecision: Int? = nil, numericScale: Int? = nil) {
        self.column = column
        self.dtype = dtype
        self.charSize = charSize
        self.numericPrecision = numericPrecision
        self.numericScale = numericScale
    }

    /// dbt's `Column.from_description`: `numeric(12,2)` → numeric with precision 12 and scale 2.
    static func fromDescription(name: String, type: String) -> ColumnObject {
        guard let open = type.firstIndex(of: "("), let close = type[open...].firstIndex(of: ")") else { return ColumnObject(column: name, dtype: type) }
        let base = String(type[..<open])
        let parts = type[type.index(after: open)..<close].split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        if parts.count == 1 { return ColumnObject(column: name, dtype: base, charSize: parts[0]) }
        if parts.count == 2 { return ColumnObject(column: name, dtype: base, numericPrecision: parts[0], numericScale: parts[1]) }
        return ColumnObject(column: name, dtype: base)
    }

    var lowered: String { dtype.lowercased() }
    var isString: Bool { ["text", "character varying", "character", "varchar"].contains(lowered) }
    var isInteger: Bool {
        ["smallint", "integer", "bigint", "smallserial", "serial", "bigserial", "int2", "int4", "int8", "serial2", "serial4", "serial8"].contains(lowered)
    }
    var isFloat: Bool { ["real", "float4", "float", "double precision", "float8", "double"].contains(lowered) }
    var isNumeric: Bool { ["numeric", "decimal"].contains(lowered) }
    var stringSize: Int { dtype == "text" || charSize == nil ? 256 : charSize! }

    /// dbt-postgres: text and unsized varchar stay as they are; strings get their size, numerics precision and scale.
    var dataType: String {
        if lowered == "text" || (lowered == "character varying" && charSize == nil) { return dtype }
        if isString { return "character varying(\(stringSize))" }
        if isNumeric, let p = numericPrecision, let s = numericScale { return "\(dtype)(\(p),\(s))" }
        return dtype
    }

    var typeName: String { "Column" }
    var stringValue: String {
        func opt(_ i: Int?) -> String { i.map(String.init) ?? "None" }
        return "PostgresColumn(column=\(Value.string(column).repr), dtype=\(Value.string(dtype).repr), char_size=\(opt(charSize)), numeric_precision=\(opt(numericPrecision)), numeric_scale=\(opt(numericScale)))"
    }

    func attribute(_ name: String) -> Value? {
        func predicate(_ b: Bool) -> Value { .function(Function(name) { _, _ in .bool(b) }) }
        switch name {
        case "name", "column": return .string(column)
        case "quoted": return .string("\"\(column)\"")
        case "dtype": return .string(dtype)
        case "data_type", "expanded_data_type": return .string(dataType)
        case "char_size": return charSize.map(Value.int) ?? Value.none
        case "numeric_precision": return numericPrecision.map(Value.int) ?? Value.none
        case "numeric_scale": return numericScale.map(Value.int) ?? Value.none
        case "is_string": return predicate(isString)
        case "is_integer": return predicate(isInteger)
        case "is_float": return predicate(isFloat)
        case "is_numeric": return predicate(isNumeric)
        case "is_number": return predicate(isInteger || isNumeric || isFloat)
        case "string_size":
            return .function(Function(name) { [self] _, site in
                guard isString else { throw site.error("Called string_size() on non-string field!", code: .invalidColumn) }
                return .int(stringSize)
            })
        case "can_expand_to":
            return .function(Function(name) { [self] args, _ in
                guard isString, case .object(let o as ColumnObject)? = args.argument(0, "other_column"), o.isString else { return .bool(false) }
                return .bool(o.stringSize > stringSize)
            })
        case "literal":
            return .function(Function(name) { [self] args, _ in .string("\(args.argument(0, "value")?.stringValue ?? "")::\(dataType)") })
        default: return nil
        }
    }

    /// `api.Column`: `api.Column(name, dtype)`, `api.Column.create(name, dtype)`, `api.Column.from_description(name, type)`,
    /// and the class methods `translate_type`, `string_type`, `numeric_type`.
    static var api: Value {
        @Sendable func make(_ args: Arguments, _ site: CallSite) throws -> Value {
            guard let name = args.argument(0, "name")?.asString ?? args.value("column")?.asString else { throw site.error("Column needs a name", code: .invalidColumn) }
            let type = args.argument(1, "dtype")?.stringValue ?? args.value("label_or_dtype")?.stringValue ?? ""
            return .object(ColumnObject(column: name, dtype: type.uppercased() == "STRING" ? "TEXT" : type,
                                        charSize: args.argument(2, "char_size")?.asInt, numericPrecision: args.argument(3, "numeric_precision")?.asInt,
                                        numericScale: args.argument(4, "numeric_scale")?.asInt))
        }
        let create = Function("create") { args, site in try make(args, site) }
        let describe = Function("from_description") { args, site in
            guard let name = args.argument(0, "name")?.asString, let type = args.argument(1, "raw_data_type")?.asString else {
                throw site.error("Column.from_description needs a name and a type", code: .invalidColumn)
            }
            return .object(ColumnObject.fromDescription(name: name, type: type))
        }
        // the class methods dbt's macros call on api.Column (contracts, dbt_utils' casts)
        let translate = Function("translate_type") { args, _ in
            let type = args.argument(0, "dtype")?.stringValue ?? ""
            return .string(type.uppercased() == "STRING" ? "TEXT" : type)
        }
        let stringType = Function("string_type") { args, _ in .string("character varying(\(args.argument(0, "size")?.stringValue ?? ""))") }
        let numericType = Function("numeric_type") { args, _ in
            let type = args.argument(0, "dtype")?.stringValue ?? ""
            func given(_ v: Value?) -> Value? { if case .none? = v { return nil }; return v }
            guard let p = given(args.argument(1, "precision")), let s = given(args.argument(2, "scale")) else { return .string(type) }
            return .string("\(type)(\(p.stringValue),\(s.stringValue))")
        }
        return .function(Function("Column", attributes: [
            "create": .function(create), "from_description": .function(describe), "translate_type": .function(translate),
            "string_type": .function(stringType), "numeric_type": .function(numericType),
        ]) { args, site in try make(args, site) })
    }
}
