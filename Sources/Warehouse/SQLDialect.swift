import ProjectModel
import Foundation

/// SQL spelling for one warehouse: the one place identifiers and literals are quoted.
public struct SQLDialect: Sendable {
    public var name: String

    public init(name: String) { self.name = name }

    public static let postgres = SQLDialect(name: "postgres")

    /// `"name"` with embedded quotes doubled; always quoted, so reserved words and odd names are safe.
    public func quote(_ identifier: String) -> String {
        guard identifier.utf8.contains(UInt8(ascii: "\"")) else { return "\"" + identifier + "\"" }
        return "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `'text'` with embedded quotes doubled (for DDL that cannot take bound parameters).
    public func literal(_ value: String) -> String {
        if value.contains("\\") {
            return "E'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "''") + "'"
        }
        return "'" + value.replacingOccurrences(of: "'", with: "''") + "'"
    }

    /// A relation name: `"db"."schema"."name"`, leaving out empty parts.
    public func qualified(_ parts: String?...) -> String {
        parts.compactMap { $0 }.filter { !$0.isEmpty }.map(quote).joined(separator: ".")
    }
}

extension Relation {
    /// `"db"."schema"."name"`, as dbt renders relations on PostgreSQL.
    public func rendered(_ dialect: SQLDialect = .postgres) -> String { dialect.qualified(database, schema, identifier) }
    /// `"schema"."name"`, for DDL that must not name the database.
    public func schemaQualified(_ dialect: SQLDialect = .postgres) -> String { dialect.qualified(schema, identifier) }
}
