import Basics
import DependencyGraph
import ProjectModel
import Templating
import Warehouse

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
    /// `"db"."schema"."name"`, as dbt renders relations on PostgreSQL.
    public func rendered(_ dialect: SQLDialect = .postgres) -> String { dialect.qualified(database, schema, identifier) }
    /// `"schema"."name"`, for DDL that must not name the database.
    public func schemaQualified(_ dialect: SQLDialect = .postgres) -> String { dialect.qualified(schema, identifier) }
    public var description: String { "\(schema).\(identifier)" }
}

/// How a model is built.
public enum Materialization: String, Sendable, Codable, CaseIterable {
    case view, table, ephemeral, incremental, seed, source, snapshot, test, exposure
}

/// A node after compilation: resolved config, relation, dependencies and (for models) compiled SQL.
public struct CompiledNode: Sendable {
    public var id: NodeID
    public var kind: NodeKind
    public var name: String
    /// Project-relative file path (`models/staging/x.sql`, `seeds/x.csv`); for sources, the YAML file.
    public var path: String
    public var config: [String: ConfigValue]
    public var materialization: Materialization
    public var tags: [String]
    /// nil for ephemeral models, which exist only as CTEs.
    public var relation: Relation?
    public var dependsOn: [NodeID]
    public var rawSQL: String
    public var compiledSQL: String?
    public var sourceMap: SourceMap?
    public var description: String
    public var columns: [ColumnProperties]
    /// sha256 of the file contents (dbt's checksum).
    public var checksum: String
    /// Path below `target/compiled/` where the compiled SQL is written.
    public var compiledPath: String?
    /// Source name and table, for `.source` nodes.
    public var sourceName: String?
    /// PostgreSQL extensions the compiled SQL needs (e.g. uuid-ossp for uuid5 surrogate keys).
    public var extensions: Set<String> = []
    /// For incremental models: whether this run loads into the existing table (what `is_incremental()` said).
    public var loadsIncrementally = false
    /// For unit tests: the given and expected rows.
    public var unitTest: UnitTestFixture? = nil
    /// Non-fatal problems found while compiling this node (configs Strata does not apply yet).
    public var warnings: [Diagnostic] = []
    /// The data contract governing this model (attached by the Contracts stage). Boxed: nodes are copied often,
    /// and a contract is a large value that most nodes do not have.
    public var contract: Contract? {
        get { contractBox?.value }
        set { contractBox = newValue.map(ContractBox.init) }
    }
    private var contractBox: ContractBox? = nil
    /// Rendered `pre_hook`/`post_hook` SQL, run in the model's build transaction before and after it.
    public var preHooks: [String] = []
    public var postHooks: [String] = []

    public init(id: NodeID, kind: NodeKind, name: String, path: String, config: [String: ConfigValue], materialization: Materialization, tags: [String],
                relation: Relation?, dependsOn: [NodeID], rawSQL: String, compiledSQL: String?, sourceMap: SourceMap?, description: String,
                columns: [ColumnProperties], checksum: String, compiledPath: String?, sourceName: String?) {
        self.id = id
        self.kind = kind
        self.name = name
        self.path = path
        self.config = config
        self.materialization = materialization
        self.tags = tags
        self.relation = relation
        self.dependsOn = dependsOn
        self.rawSQL = rawSQL
        self.compiledSQL = compiledSQL
        self.sourceMap = sourceMap
        self.description = description
        self.columns = columns
        self.checksum = checksum
        self.compiledPath = compiledPath
        self.sourceName = sourceName
    }

    /// Maps a 1-based character position in `compiledSQL` back to the model file.
    public func location(forCompiledPosition position: Int) -> SourceLocation? {
        guard let sql = compiledSQL, let map = sourceMap, position >= 1 else { return nil }
        let scalars = sql.unicodeScalars
        guard let idx = scalars.index(scalars.startIndex, offsetBy: position - 1, limitedBy: scalars.endIndex) else { return nil }
        let byteOffset = sql.utf8.distance(from: sql.utf8.startIndex, to: idx)
        guard let src = map.sourceOffset(forOutputOffset: byteOffset) else { return nil }
        return SourceFile(path: path, text: rawSQL).location(ofUTF8Offset: src)
    }
}

/// Everything `compile` produces: the nodes, the graph, and a topological order.
public struct CompiledProject: Sendable {
    public var projectName: String
    /// Native (`strata.yml`) or dbt (`dbt_project.yml`): dbt projects keep dbt's spellings where they differ.
    public var projectKind: Project.Kind = .strata
    public var target: TargetInfo
    public var nodes: [NodeID: CompiledNode]
    public var graph: Graph
    public var order: [NodeID]
    public var warnings: [Diagnostic]
    /// Rendered `on-run-start` / `on-run-end` hooks of the project.
    public var onRunStart: [String] = []
    public var onRunEnd: [String] = []
    /// Seconds spent in each compilation phase, in order (for STRATA_TIMINGS and the benchmark).
    public var timings: [(phase: String, seconds: Double)] = []

    public init(projectName: String, projectKind: Project.Kind = .strata, target: TargetInfo, nodes: [NodeID: CompiledNode], graph: Graph, order: [NodeID],
                warnings: [Diagnostic] = [], timings: [(phase: String, seconds: Double)] = []) {
        self.projectName = projectName
        self.projectKind = projectKind
        self.target = target
        self.nodes = nodes
        self.graph = graph
        self.order = order
        self.warnings = warnings
        self.timings = timings
    }
}

extension CompiledProject {
    /// The model of that name (what a contract's foreign key or `ref` by name points at).
    public func model(named name: String) -> CompiledNode? {
        nodes.values.first { $0.kind == .model && $0.name == name }
    }
}

extension Duration {
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

/// An immutable box, so copying a node copies a pointer instead of a whole contract.
final class ContractBox: Sendable {
    let value: Contract
    init(_ value: Contract) { self.value = value }
}
