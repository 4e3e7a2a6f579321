/// What a graph node is.
public enum NodeKind: String, Sendable, Codable, Hashable {
    case model, seed, source, test, snapshot, exposure
}

/// A unique node id in dbt's spelling: `model.<project>.<name>`, `source.<project>.<source>.<table>`.
public struct NodeID: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public var rawValue: String
    public init(_ rawValue: String) { self.rawValue = rawValue }
    public static func model(_ project: String, _ name: String) -> NodeID { NodeID("model.\(project).\(name)") }
    public static func seed(_ project: String, _ name: String) -> NodeID { NodeID("seed.\(project).\(name)") }
    public static func source(_ project: String, _ source: String, _ table: String) -> NodeID { NodeID("source.\(project).\(source).\(table)") }
    public var description: String { rawValue }
    /// The package (or root project) the node belongs to: the id's second part (`model.<package>.<name>`).
    public var package: String {
        guard let first = rawValue.firstIndex(of: ".") else { return "" }
        let rest = rawValue[rawValue.index(after: first)...]
        return String(rest.prefix { $0 != "." })
    }
    public static func < (a: NodeID, b: NodeID) -> Bool { a.rawValue < b.rawValue }
    public func encode(to encoder: Encoder) throws { var c = encoder.singleValueContainer(); try c.encode(rawValue) }
    public init(from decoder: Decoder) throws { rawValue = try decoder.singleValueContainer().decode(String.self) }
}
