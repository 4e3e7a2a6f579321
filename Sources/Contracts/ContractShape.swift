import Basics
import Compilation
import ProjectModel
import Warehouse

/// Compares the columns a relation (or a described query) has with the columns its contract declares.
/// Types compare by their base type as PostgreSQL canonicalizes it (`int4` is `integer`, `varchar(20)` is
/// `character varying`); lengths, precision and scale are applied when an enforced table is built.
public struct ContractShape: Sendable {
    public struct Column: Sendable, Equatable {
        public var name: String
        /// `format_type(oid, NULL)`: the base type.
        public var baseType: String
        public init(name: String, baseType: String) {
            self.name = name
            self.baseType = baseType
        }
    }

    /// One way a relation differs from its contract.
    public enum Problem: Sendable, Equatable, CustomStringConvertible {
        case missing(column: String)
        case extra(column: String)
        case mistyped(column: String, contract: String, actual: String)
        case misordered(column: String, contractPosition: Int, actualPosition: Int)

        public var column: String {
            switch self {
            case .missing(let c), .extra(let c), .mistyped(let c, _, _), .misordered(let c, _, _): return c
            }
        }

        public var description: String {
            switch self {
            case .missing(let c): return "column '\(c)' is in the contract but not in the model's query"
            case .extra(let c): return "column '\(c)' is in the model's query but not in the contract"
            case .mistyped(let c, let contract, let actual): return "column '\(c)' is \(actual) in the model's query, but the contract declares \(contract)"
            case .misordered(let c, let cp, let ap): return "column '\(c)' is column \(ap) of the model's query, but column \(cp) of the contract"
            }
        }
    }

    /// The problems, in contract column order, then extra columns in query order.
    public static func compare(actual: [Column], expected: [Column], ordered: Bool) -> [Problem] {
        var problems: [Problem] = []
        let actualByName = Dictionary(actual.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let expectedNames = Set(expected.map(\.name))
        for e in expected {
            guard let a = actualByName[e.name] else { problems.append(.missing(column: e.name)); continue }
            if a.baseType != e.baseType { problems.append(.mistyped(column: e.name, contract: e.baseType, actual: a.baseType)) }
        }
        for a in actual where !expectedNames.contains(a.name) { problems.append(.extra(column: a.name)) }
        if ordered, problems.isEmpty {
            for (i, (a, e)) in zip(actual, expected).enumerated() where a.name != e.name {
                let cp = (expected.firstIndex { $0.name == a.name } ?? i) + 1
                problems.append(.misordered(column: a.name, contractPosition: cp, actualPosition: i + 1))
                break
            }
        }
        return problems
    }

    /// The columns of a relation, by name (schema-qualified, quoted).
    public static func columns(of qualifiedName: String, on connection: any WarehouseConnection) throws -> [Column] {
        try WarehouseCatalog(connection).columns(of: qualifiedName, typmods: false).map { Column(name: $0.name, baseType: $0.type) }
    }

    /// The contract's columns with their canonical base types, and the declared types PostgreSQL does not know.
    public static func expected(_ contract: Contract, on connection: any WarehouseConnection) throws -> (columns: [Column], unknown: [ContractColumn]) {
        guard !contract.columns.isEmpty else { return ([], []) }
        var out: [Column] = [], unknown: [ContractColumn] = []
        // one round trip: each declared type through to_regtype (NULL when PostgreSQL has no such type)
        let values = contract.columns.enumerated().map { i, c in "(\(i), \(SQLDialect.postgres.literal(c.dataType)))" }.joined(separator: ", ")
        let rows = try connection.execute("SELECT x.i, pg_catalog.format_type(to_regtype(x.t), NULL) FROM (VALUES \(values)) AS x(i, t) ORDER BY x.i").rows
        for (c, row) in zip(contract.columns, rows) {
            if let base = row[1] { out.append(Column(name: c.name, baseType: base)) } else { unknown.append(c) }
        }
        return (out, unknown)
    }

    /// A diagnostic for each declared type PostgreSQL does not know, at the contract's data_type.
    public static func unknownTypeDiagnostics(_ unknown: [ContractColumn], contract: Contract) -> [Diagnostic] {
        unknown.map { c in
            var msg = "contract '\(contract.name)': column '\(c.name)' has type '\(c.dataType)', which PostgreSQL does not know"
            if let s = Suggestion.closest(to: c.dataType, in: commonTypes) { msg += "; did you mean '\(s)'?" }
            return Diagnostic(code: .unknownContractType, msg, at: c.dataTypeLocation ?? c.location)
        }
    }

    static let commonTypes = ["integer", "bigint", "smallint", "numeric", "real", "double precision", "text", "varchar", "character varying", "char",
                              "boolean", "date", "timestamp", "timestamptz", "timestamp with time zone", "timestamp without time zone", "time",
                              "interval", "uuid", "json", "jsonb", "bytea", "int", "int4", "int8", "float8", "bool"]
}
