import Basics

/// A data contract: the promise a model makes to its consumers. Declared in `contracts/<name>.yml`, or, for dbt
/// projects, by `contract: {enforced: true}` with `columns:` in a model's properties YAML. Pure data.
public struct Contract: Sendable, Hashable {
    public enum Origin: String, Sendable, Hashable {
        /// `contracts/<name>.yml`: column order is part of the promise.
        case contractFile
        /// dbt's `contract: {enforced: true}`: names and types, in any order (the table takes the YAML's order).
        case dbtModel
    }

    public var name: String
    public var origin: Origin
    /// The contract file (or the properties YAML of a dbt contract).
    public var path: String
    public var location: SourceLocation?
    public var version: String?
    public var status: String?
    public var owner: String?
    public var description: String
    /// The models it governs, with where each is named.
    public var models: [Located<String>]
    public var columns: [ContractColumn]
    /// Table-level primary key (in addition to any column marked `primary_key`).
    public var primaryKey: Located<[String]>?
    /// Table-level unique column sets.
    public var unique: [Located<[String]>]
    /// Table-level CHECK expressions.
    public var checks: [Located<String>]
    public var quality: [QualityRule]
    public var freshness: Freshness?

    public init(name: String, origin: Origin = .contractFile, path: String, location: SourceLocation? = nil, version: String? = nil, status: String? = nil,
                owner: String? = nil, description: String = "", models: [Located<String>] = [], columns: [ContractColumn] = [],
                primaryKey: Located<[String]>? = nil, unique: [Located<[String]>] = [], checks: [Located<String>] = [],
                quality: [QualityRule] = [], freshness: Freshness? = nil) {
        self.name = name
        self.origin = origin
        self.path = path
        self.location = location
        self.version = version
        self.status = status
        self.owner = owner
        self.description = description
        self.models = models
        self.columns = columns
        self.primaryKey = primaryKey
        self.unique = unique
        self.checks = checks
        self.quality = quality
        self.freshness = freshness
    }

    /// Whether the column order is part of the contract.
    public var ordered: Bool { origin == .contractFile }

    /// The primary key columns: the table-level key, or the columns marked `primary_key`, in column order.
    public var primaryKeyColumns: [String] {
        if let pk = primaryKey { return pk.value }
        return columns.filter { $0.constraints.contains { $0.kind == .primaryKey } }.map(\.name)
    }

    public func column(_ name: String) -> ContractColumn? { columns.first { $0.name == name } }
}

/// A value and where it is written.
public struct Located<Value: Sendable & Hashable>: Sendable, Hashable {
    public var value: Value
    public var location: SourceLocation?
    public init(_ value: Value, at location: SourceLocation? = nil) {
        self.value = value
        self.location = location
    }
}

public struct ContractColumn: Sendable, Hashable {
    public var name: String
    /// As written (`numeric(10,2)`, `text`); PostgreSQL canonicalizes it when checking.
    public var dataType: String
    public var nullable: Bool
    public var description: String
    public var constraints: [ColumnConstraint]
    public var location: SourceLocation?
    public var dataTypeLocation: SourceLocation?

    public init(name: String, dataType: String, nullable: Bool = true, description: String = "", constraints: [ColumnConstraint] = [],
                location: SourceLocation? = nil, dataTypeLocation: SourceLocation? = nil) {
        self.name = name
        self.dataType = dataType
        self.nullable = nullable
        self.description = description
        self.constraints = constraints
        self.location = location
        self.dataTypeLocation = dataTypeLocation
    }

    /// NOT NULL, from `nullable: false`, a `not_null` constraint or a primary key.
    public var notNull: Bool { !nullable || constraints.contains { $0.kind == .notNull || $0.kind == .primaryKey } }
}

/// A constraint on one column.
public struct ColumnConstraint: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case notNull = "not_null", unique, primaryKey = "primary_key", foreignKey = "foreign_key", check, acceptedValues = "accepted_values"
    }
    public var kind: Kind
    /// foreign_key: the model and column it references.
    public var referencedModel: String?
    public var referencedColumn: String?
    /// check: a SQL boolean expression.
    public var expression: String?
    /// accepted_values: the values (as text).
    public var values: [String]
    /// Model-level constraints (dbt's `constraints:` on a model): the columns they cover.
    public var columns: [String]
    public var location: SourceLocation?

    public init(_ kind: Kind, referencedModel: String? = nil, referencedColumn: String? = nil, expression: String? = nil, values: [String] = [],
                columns: [String] = [], at location: SourceLocation? = nil) {
        self.kind = kind
        self.columns = columns
        self.referencedModel = referencedModel
        self.referencedColumn = referencedColumn
        self.expression = expression
        self.values = values
        self.location = location
    }
}

/// A rule the data must satisfy, checked by `strata test contracts` (and `build`) on the live relation.
public struct QualityRule: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        /// The number of rows is within bounds.
        case rowCount(min: Int?, max: Int?)
        /// A SQL boolean expression that holds for every row.
        case expression(String)
        /// No two rows share these columns' values.
        case unique([String])
        /// At most this fraction (0…1) of the column's values are NULL.
        case nullFraction(column: String, max: Double)
    }
    public var name: String?
    public var kind: Kind
    /// `error` (default) or `warn`.
    public var severity: String
    public var description: String
    public var location: SourceLocation?

    public init(name: String? = nil, kind: Kind, severity: String = "error", description: String = "", at location: SourceLocation? = nil) {
        self.name = name
        self.kind = kind
        self.severity = severity
        self.description = description
        self.location = location
    }
}

/// How recent the newest row must be.
public struct Freshness: Sendable, Hashable {
    public var column: String
    /// Seconds; at least one is set.
    public var warnAfter: Int?
    public var errorAfter: Int?
    public var location: SourceLocation?

    public init(column: String, warnAfter: Int? = nil, errorAfter: Int? = nil, at location: SourceLocation? = nil) {
        self.column = column
        self.warnAfter = warnAfter
        self.errorAfter = errorAfter
        self.location = location
    }
}

extension ContractColumn {
    /// A type name as PostgreSQL writes one: words, a schema prefix, a (precision, scale) and array brackets. Anything
    /// else (a quote pair, a semicolon, a comment) is rejected, because types are spliced into DDL as written.
    public static func validateTypeSyntax(_ type: String, at location: SourceLocation?) throws {
        var ok = !type.isEmpty
        var depth = 0
        for ch in type.unicodeScalars {
            switch ch {
            case "a"..."z", "A"..."Z", "0"..."9", "_", " ", ".", "[", "]", "\"": break
            case "(": depth += 1; ok = ok && depth == 1
            case ")": depth -= 1; ok = ok && depth == 0
            case ",": ok = ok && depth == 1
            default: ok = false
            }
        }
        if type.contains("\"\"") || type.filter({ $0 == "\"" }).count % 2 != 0 { ok = false }
        if !ok || depth != 0 {
            var msg = "'\(type)' is not a PostgreSQL type name (like integer, numeric(10,2), text, timestamp with time zone)"
            // YAML's flow mappings split at commas: {data_type: numeric(6,1)} reads as "numeric(6"
            if depth > 0 { msg += "; inside { … } quote a type with a comma, like \"numeric(6,1)\"" }
            throw Diagnostic(code: .invalidContractType, msg, at: location)
        }
    }
}
