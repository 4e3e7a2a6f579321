import Basics
import DependencyGraph
import ProjectModel
import Templating
import Warehouse

/// A node after compilation: a header every node has, and a payload typed by what the node is. Every payload is
/// resolved once, here in Compilation, with located diagnostics for invalid values; later stages read the payload
/// and never the raw config (which is kept for the manifest only).
public struct CompiledNode: Sendable {
    public var id: NodeID
    public var name: String
    /// Project-relative file path (`models/staging/x.sql`, `seeds/x.csv`); for sources and YAML-declared nodes, the YAML file.
    public var path: String
    /// nil for ephemeral models (which exist only as CTEs) and for tests.
    public var relation: Relation?
    public var description: String
    public var columns: [ColumnProperties]
    public var tags: [String]
    /// The merged config as the project wrote it, for `manifest.json`. Not read after Compilation: use `payload`.
    public var config: [String: ConfigValue]
    /// `meta`, `group` and `access`: shown by the docs site.
    public var meta: [ConfigEntry] = []
    public var group: String? = nil
    public var access: String? = nil
    public var rawSQL: String
    public var compiledSQL: String?
    public var sourceMap: SourceMap?
    /// sha256 of the file contents (dbt's checksum); empty for seeds identified by path.
    public var checksum: String
    /// Path below `target/compiled/` where the compiled SQL is written.
    public var compiledPath: String?
    /// For a node of an installed package, the package's folder (`dbt_packages/p/`); `path` starts with it.
    public var packagePrefix: String? = nil
    /// The relation's name as the project writes it, when `quoting:` leaves parts unquoted and PostgreSQL folds them
    /// (`relation` is then the folded, existing one): templates render this one, as dbt does.
    public var writtenRelation: Relation? = nil
    /// A version of a versioned model: its `v` and the model's latest version (dbt's `version`, `latest_version`).
    public var version: String? = nil
    public var latestVersion: String? = nil
    /// Where a node declared in YAML is declared: a generic test's or a unit test's entry (messages point there).
    public var declaredAt: SourceLocation? = nil
    /// PostgreSQL extensions the compiled SQL needs (e.g. uuid-ossp for uuid5 surrogate keys).
    public var extensions: Set<String> = []
    /// The template macros its render called, as dbt ids (`macro.dbt_utils.star`): the manifest's
    /// `depends_on.macros`, and what `state:modified.macros` compares.
    public var macroDependencies: [String] = []
    /// Non-fatal problems found while compiling this node.
    public var warnings: [Diagnostic] = []
    public var payload: NodePayload
    /// Set when the node must render again when it is built: its hooks use Jinja, or its SQL asked the database.
    public var runTimeRender: RunTimeRender? = nil

    public init(id: NodeID, name: String, path: String, relation: Relation?, description: String = "", columns: [ColumnProperties] = [],
                tags: [String] = [], config: [String: ConfigValue] = [:], rawSQL: String = "", compiledSQL: String? = nil,
                checksum: String = "", compiledPath: String? = nil, payload: NodePayload) {
        self.id = id
        self.name = name
        self.path = path
        self.relation = relation
        self.description = description
        self.columns = columns
        self.tags = tags
        self.config = config
        self.rawSQL = rawSQL
        self.compiledSQL = compiledSQL
        self.checksum = checksum
        self.compiledPath = compiledPath
        self.payload = payload
    }

    /// Path below `target/run/` where the statements the node ran are written: its compiled path, or for a seed
    /// `<package>/seeds/<file>.csv` as dbt writes it.
    public var runPath: String? {
        if let compiledPath { return compiledPath }
        return kind == .seed ? "\(id.package)/\(originalFilePath)" : nil
    }

    /// What the node is, in dbt's resource-type words.
    public var kind: NodeKind { payload.kind }

    /// The model's spec, for model nodes.
    public var model: ModelSpec? {
        get { if case .model(let m) = payload { return m } else { return nil } }
        set { if let newValue { payload = .model(newValue) } }
    }

    public var isEphemeral: Bool {
        if case .ephemeral? = model?.materialization { return true }
        return false
    }

    /// dbt's `materialized` word for the node: view, table, incremental, ephemeral, seed, snapshot, test, source, exposure.
    public var materializationName: String {
        switch payload {
        case .model(let m): return m.materialization.name
        case .seed: return "seed"
        case .snapshot: return "snapshot"
        case .source: return "source"
        case .dataTest, .unitTest, .contractCheck: return "test"
        case .exposure: return "exposure"
        }
    }

    /// Hooks, grants and persist_docs of a model, seed or snapshot.
    public var buildSettings: BuildSettings? {
        get {
            switch payload {
            case .model(let m): return m.build
            case .seed(let s): return s.build
            case .snapshot(let s): return s.build
            default: return nil
            }
        }
        set {
            guard let newValue else { return }
            switch payload {
            case .model(var m): m.build = newValue; payload = .model(m)
            case .seed(var s): s.build = newValue; payload = .seed(s)
            case .snapshot(var s): s.build = newValue; payload = .snapshot(s)
            default: break
            }
        }
    }

    /// The data contract governing a model or seed (attached by the contract pass of compilation).
    public var contract: Contract? {
        get {
            switch payload {
            case .model(let m): return m.contract
            case .seed(let s): return s.contract
            default: return nil
            }
        }
        set {
            switch payload {
            case .model(var m): m.contract = newValue; payload = .model(m)
            case .seed(var s): s.contract = newValue; payload = .seed(s)
            default: break
            }
        }
    }

    /// What every kind of test shares: its kind, its name, the node it tests and how it is judged.
    public var test: TestInfo? {
        switch payload {
        case .dataTest(let t): return TestInfo(type: t.isSingular ? .singular : .generic, name: t.testName ?? name, testedNode: t.testedNode, judgement: t.judgement)
        case .unitTest(let u): return TestInfo(type: .unit, name: "unit", testedNode: u.testedNode, judgement: TestJudgement())
        case .contractCheck(let c): return TestInfo(type: .contract, name: c.testName, testedNode: c.testedNode, judgement: c.judgement)
        default: return nil
        }
    }

    /// A test's alias (its compiled file's and store_failures table's name): dbt's short name for generic tests.
    public var testAlias: String {
        if case .dataTest(let t) = payload, let alias = t.alias { return alias }
        return name
    }

    /// Maps a 1-based character position in `compiledSQL` back to the model file.
    public func location(forCompiledPosition position: Int) -> SourceLocation? {
        SQLOrigin(path: path, rawSQL: rawSQL, compiledSQL: compiledSQL, sourceMap: sourceMap).location(forCompiledPosition: position)
    }
}

/// Where compiled SQL came from: enough to map a database error position back to the template that produced it.
public struct SQLOrigin: Sendable {
    public var path: String
    public var rawSQL: String
    public var compiledSQL: String?
    public var sourceMap: SourceMap?
    /// Where a node declared in YAML is declared (a generic or unit test's entry).
    public var declaredAt: SourceLocation?

    public init(path: String, rawSQL: String = "", compiledSQL: String? = nil, sourceMap: SourceMap? = nil, declaredAt: SourceLocation? = nil) {
        self.path = path
        self.rawSQL = rawSQL
        self.compiledSQL = compiledSQL
        self.sourceMap = sourceMap
        self.declaredAt = declaredAt
    }

    /// Where a message about the node points when no position in it is known: its YAML entry, else its file's start.
    public var fileStart: SourceLocation? { declaredAt ?? (path.isEmpty ? nil : SourceLocation(file: path, line: 1, column: 1)) }

    /// Maps a 1-based character position in `compiledSQL` back to the file.
    public func location(forCompiledPosition position: Int) -> SourceLocation? {
        guard let sql = compiledSQL, let map = sourceMap, position >= 1 else { return nil }
        let scalars = sql.unicodeScalars
        guard let idx = scalars.index(scalars.startIndex, offsetBy: position - 1, limitedBy: scalars.endIndex) else { return nil }
        let byteOffset = sql.utf8.distance(from: sql.utf8.startIndex, to: idx)
        guard let src = map.sourceOffset(forOutputOffset: byteOffset) else { return nil }
        return SourceFile(path: path, text: rawSQL).location(ofUTF8Offset: src)
    }
}

extension CompiledNode {
    /// What selectors see of the node.
    var graphNode: GraphNode {
        // selectors derive the fqn from the path; a package's node or a model version says its own
        GraphNode(id: id, kind: kind, name: name, path: path, tags: tags, config: config, testType: test?.type.rawValue,
                  fqn: packagePrefix != nil || version != nil ? fqn : [])
    }

    /// The file as dbt names it: relative to the folder of the package the node comes from (the project's for its own).
    public var originalFilePath: String {
        guard let prefix = packagePrefix, path.hasPrefix(prefix) else { return path }
        return String(path.dropFirst(prefix.count))
    }

    /// dbt's fully qualified name: the package (or project), the folders under the model path, the node's name.
    public var fqn: [String] {
        let package = id.package
        if kind == .source { return [package] + name.split(separator: ".").map(String.init) }
        let comps = originalFilePath.split(separator: "/").map(String.init)
        return [package] + comps.dropFirst().dropLast() + [name] + (version.map { ["v\($0)"] } ?? [])
    }

    public var sqlOrigin: SQLOrigin { SQLOrigin(path: path, rawSQL: rawSQL, compiledSQL: compiledSQL, sourceMap: sourceMap, declaredAt: declaredAt) }
}

/// The part of a node that depends on what it is. Indirect: nodes are copied often, and a copy then retains one box
/// instead of copying every field of a spec.
public indirect enum NodePayload: Sendable {
    case model(ModelSpec)
    case seed(SeedSpec)
    case snapshot(SnapshotSpec)
    case source(SourceSpec)
    case dataTest(DataTestSpec)
    case unitTest(UnitTestSpec)
    case contractCheck(ContractCheckSpec)
    case exposure(ExposureSpec)

    public var kind: NodeKind {
        switch self {
        case .model: return .model
        case .seed: return .seed
        case .snapshot: return .snapshot
        case .source: return .source
        case .dataTest, .unitTest, .contractCheck: return .test
        case .exposure: return .exposure
        }
    }
}

/// An immutable box, so copying a node copies a pointer instead of a whole contract.
final class ContractBox: Sendable {
    let value: Contract
    init(_ value: Contract) { self.value = value }
}

/// A node rendered again when it is built, on the build's connection: dbt renders a node just before running it
/// and its hooks when they run (inside the build's transaction), so `adapter.drop_relation(this)` in a post-hook
/// drops what the build made, and SQL whose render asked the database (`adapter.get_columns_in_relation(ref('x'))`)
/// sees what the upstream builds made.
public struct RunTimeRender: Sendable {
    public enum Part: Sendable { case sql, preHooks, postHooks }
    /// Whether the SQL renders again (it asked the database).
    public let rendersSQL: Bool
    /// Whether the hooks render again (some use Jinja); otherwise the compiled hooks stand.
    public let rendersHooks: Bool
    let body: @Sendable (Part, any WarehouseConnection) throws -> [String]

    init(rendersSQL: Bool, rendersHooks: Bool, _ body: @escaping @Sendable (Part, any WarehouseConnection) throws -> [String]) {
        self.rendersSQL = rendersSQL
        self.rendersHooks = rendersHooks
        self.body = body
    }

    /// The SQL rendered again, or nil when the compiled SQL stands.
    public func sql(on connection: any WarehouseConnection) throws -> String? {
        rendersSQL ? try body(.sql, connection).first : nil
    }

    public func hooks(_ part: Part, on connection: any WarehouseConnection) throws -> [String] { try body(part, connection) }

    /// The same render, its SQL changed by `transform` (ephemeral CTEs put in front, as at compile time).
    func mappingSQL(_ transform: @escaping @Sendable (String) -> String) -> RunTimeRender {
        RunTimeRender(rendersSQL: rendersSQL, rendersHooks: rendersHooks) { part, connection in
            let out = try body(part, connection)
            return part == .sql ? out.map(transform) : out
        }
    }
}
