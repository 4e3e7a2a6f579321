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

