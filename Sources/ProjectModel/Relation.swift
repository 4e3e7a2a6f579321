/// A relation in the warehouse: `database.schema.identifier`.
public struct Relation: Sendable, Hashable, Codable, CustomStringConvertible {
    public var database: String
    public var schema: String
    public var identifier: String
    public init(database: String, schema: String, identifier: String) {
        self.database = database
        self.schema = schema
        self.identifier = identifier
    }
    public var description: String { "\(schema).\(identifier)" }
}

/// dbt's `quoting:` in the project file: which parts of a relation's name are quoted in SQL. A part that is not
/// quoted is folded to lower case by PostgreSQL, so the relation it names is the lower-cased one.
public struct Quoting: Sendable, Equatable {
    public var database = true, schema = true, identifier = true
    public init(database: Bool = true, schema: Bool = true, identifier: Bool = true) {
        self.database = database
        self.schema = schema
        self.identifier = identifier
    }

    /// The relation PostgreSQL creates for these names under this quoting.
    public func relation(database: String, schema: String, identifier: String) -> Relation {
        Relation(database: self.database ? database : database.lowercased(), schema: self.schema ? schema : schema.lowercased(),
                 identifier: self.identifier ? identifier : identifier.lowercased())
    }
}

