import ProjectModel

/// The docs site's data (`data.js`), as the app in `Resources/strata-docs.js` reads it. Short keys keep 10,000-node
/// sites small; they are `CodingKeys`, so a key cannot be written twice (an exposure's facts once were, and lost).
struct SitePayload: Encodable {
    var project: String
    var generatedAt: String
    /// Nodes per SQL chunk file (`sql/chunk-N.js`).
    var chunk: Int
    /// `DocsNode`s, each encoded on its own (in parallel).
    var nodes: [ConfigValue]

    enum CodingKeys: String, CodingKey {
        case project, generatedAt = "generated_at", chunk, nodes
    }
}

/// One node of the site.
struct DocsNode: Encodable {
    var id: String
    var name: String
    var kind: String
    var materialized: String
    var path: String
    /// The rendered relation; written as null when the node has none (ephemeral models, exposures).
    var relation: String?
    var tags: [String]
    /// Graph layout: layer and row.
    var layer: Int
    var row: Int
    /// Indexes of upstream nodes.
    var upstream: [Int]
    /// Description as HTML.
    var description: String?
    var owner: String?
    var group: String?
    var access: String?
    /// Facts shown as `key: value` lines: an exposure's type, maturity and URL, then `meta`.
    var facts: [String]?
    var contract: Contract?
    var columns: [Column]?
    var tests: [Test]?
    var lastRun: LastRun?
    var catalog: Catalog?

    enum CodingKeys: String, CodingKey {
        case id = "i", name = "n", kind = "k", materialized = "m", path = "p", relation = "r", tags = "t", layer = "L", row = "R"
        case upstream = "u", description = "d", owner = "o", group = "g", access = "a", facts = "mt", contract = "ct", columns = "c"
        case tests = "ts", lastRun = "run", catalog = "cat"
    }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(name, forKey: .name)
        try c.encode(kind, forKey: .kind)
        try c.encode(materialized, forKey: .materialized)
        try c.encode(path, forKey: .path)
        if let relation { try c.encode(relation, forKey: .relation) } else { try c.encodeNil(forKey: .relation) }
        try c.encode(tags, forKey: .tags)
        try c.encode(layer, forKey: .layer)
        try c.encode(row, forKey: .row)
        try c.encode(upstream, forKey: .upstream)
        try c.encodeIfPresent(description, forKey: .description)
        try c.encodeIfPresent(owner, forKey: .owner)
        try c.encodeIfPresent(group, forKey: .group)
        try c.encodeIfPresent(access, forKey: .access)
        try c.encodeIfPresent(facts, forKey: .facts)
        try c.encodeIfPresent(contract, forKey: .contract)
        try c.encodeIfPresent(columns, forKey: .columns)
        try c.encodeIfPresent(tests, forKey: .tests)
        try c.encodeIfPresent(lastRun, forKey: .lastRun)
        try c.encodeIfPresent(catalog, forKey: .catalog)
    }

    struct Contract: Encodable {
        var name: String
        var version: String?
        var file: String
        var status: String?
        /// Description as HTML.
        var description: String
        enum CodingKeys: String, CodingKey { case name, version, file, status, description = "d" }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(name, forKey: .name)
            if let version { try c.encode(version, forKey: .version) } else { try c.encodeNil(forKey: .version) }
            try c.encode(file, forKey: .file)
            if let status { try c.encode(status, forKey: .status) } else { try c.encodeNil(forKey: .status) }
            try c.encode(description, forKey: .description)
        }
    }

    struct Column: Encodable {
        var name: String
        var type: String?
        /// Description as HTML.
        var description: String?
        /// The contract's terms: type, not null, constraints.
        var contract: String?
        /// Names of the tests on this column.
        var tests: [String]?
        /// Where its values come from: (node index, column).
        var lineage: [Origin]?
        enum CodingKeys: String, CodingKey { case name = "n", type = "t", description = "d", contract = "k", tests = "x", lineage = "l" }
    }

    /// A column origin, written as `[node index, column]`.
    struct Origin: Encodable {
        var node: Int
        var column: String
        func encode(to encoder: any Encoder) throws {
            var c = encoder.unkeyedContainer()
            try c.encode(node)
            try c.encode(column)
        }
    }

    /// A test of the node, written as `[name, type, last status, failures]`.
    struct Test: Encodable {
        var name: String
        var type: String
        var status: String?
        var failures: Int?
        func encode(to encoder: any Encoder) throws {
            var c = encoder.unkeyedContainer()
            try c.encode(name)
            try c.encode(type)
            if let status { try c.encode(status) } else { try c.encodeNil() }
            if let failures { try c.encode(failures) } else { try c.encodeNil() }
        }
    }

    /// The node's last run, written as `[status, completed at, seconds]`.
    struct LastRun: Encodable {
        var status: String
        var completedAt: String?
        var seconds: Double
        func encode(to encoder: any Encoder) throws {
            var c = encoder.unkeyedContainer()
            try c.encode(status)
            if let completedAt { try c.encode(completedAt) } else { try c.encodeNil() }
            try c.encode(seconds)
        }
    }

    /// Catalog facts, written as `[estimated rows, bytes, comment]`.
    struct Catalog: Encodable {
        var rows: Double?
        var bytes: Int?
        var comment: String?
        func encode(to encoder: any Encoder) throws {
            var c = encoder.unkeyedContainer()
            if let rows { try c.encode(rows) } else { try c.encodeNil() }
            if let bytes { try c.encode(bytes) } else { try c.encodeNil() }
            if let comment { try c.encode(comment) } else { try c.encodeNil() }
        }
    }
}
