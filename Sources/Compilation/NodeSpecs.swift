import Foundation
import Basics
import ProjectModel

/// A model: how it is materialized and what runs around its build.
public struct ModelSpec: Sendable {
    /// How a model is built.
    public enum Materialization: Sendable, Equatable {
        case view, table, ephemeral
        case incremental(IncrementalSpec)
        case microbatch(MicrobatchConfig)

        /// An incremental model, microbatch included (what `is_incremental()` can be true for).
        public var isIncremental: Bool {
            switch self {
            case .incremental, .microbatch: return true
            default: return false
            }
        }

        /// dbt's `materialized` word.
        public var name: String {
            switch self {
            case .view: return "view"
            case .table: return "table"
            case .ephemeral: return "ephemeral"
            case .incremental, .microbatch: return "incremental"
            }
        }
    }
    public var materialization: Materialization
    public var build: BuildSettings
    /// For incremental models: whether this run loads into the existing table (what `is_incremental()` said).
    public var loadsIncrementally = false
    /// The data contract governing the model. Boxed: nodes are copied often, and most have no contract.
    public var contract: Contract? {
        get { contractBox?.value }
        set { contractBox = newValue.map(ContractBox.init) }
    }
    private var contractBox: ContractBox? = nil

    public init(materialization: Materialization, build: BuildSettings = BuildSettings()) {
        self.materialization = materialization
        self.build = build
    }
}

/// How an incremental model loads into its existing table (dbt's incremental configs).
public struct IncrementalSpec: Sendable, Equatable {
    public enum Strategy: String, Sendable, CaseIterable { case append, merge, deleteInsert = "delete+insert" }
    public enum SchemaChange: String, Sendable, CaseIterable { case ignore, fail, appendNewColumns = "append_new_columns", syncAllColumns = "sync_all_columns" }

    public var strategy: Strategy
    public var uniqueKey: [String]
    public var onSchemaChange: SchemaChange
    public var predicates: [String]
    public var mergeUpdateColumns: [String]?
    public var mergeExcludeColumns: [String]

    public init(strategy: Strategy, uniqueKey: [String] = [], onSchemaChange: SchemaChange = .ignore, predicates: [String] = [],
                mergeUpdateColumns: [String]? = nil, mergeExcludeColumns: [String] = []) {
        self.strategy = strategy
        self.uniqueKey = uniqueKey
        self.onSchemaChange = onSchemaChange
        self.predicates = predicates
        self.mergeUpdateColumns = mergeUpdateColumns
        self.mergeExcludeColumns = mergeExcludeColumns
    }
}

/// A microbatch model's configs (dbt 1.9's `incremental_strategy='microbatch'`); the planner turns them into batches.
public struct MicrobatchConfig: Sendable, Equatable {
    public enum BatchSize: String, Sendable, CaseIterable { case hour, day, month, year }
    /// The model's own event_time column: what each batch replaces.
    public var eventTime: String
    public var batchSize: BatchSize
    /// Where the first build starts; nil when not set (then only an explicit event-time range can build it).
    public var begin: Date?
    /// How many batches before the current one an incremental run reprocesses.
    public var lookback: Int

    public init(eventTime: String, batchSize: BatchSize, begin: Date?, lookback: Int = 1) {
        self.eventTime = eventTime
        self.batchSize = batchSize
        self.begin = begin
        self.lookback = lookback
    }

    public static func parseDate(_ s: String) -> Date? {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        for format in ["yyyy-MM-dd'T'HH:mm:ss", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm", "yyyy-MM-dd"] {
            f.dateFormat = format
            if let d = f.date(from: s) { return d }
        }
        return nil
    }
}

/// What runs around the build of a model, seed or snapshot: dbt's hooks, grants and persist_docs.
public struct BuildSettings: Sendable, Equatable {
    /// Rendered `pre_hook`/`post_hook` SQL, run in the build transaction before and after the build.
    public var preHooks: [String] = []
    public var postHooks: [String] = []
    /// `grants: {select: [role, …]}`: each privilege named is held by exactly these roles after the build.
    public var grants: [Grant] = []
    /// `persist_docs`: descriptions become comments on the relation and its columns.
    public var persistDocs = PersistDocs()
    public init() {}
}

/// One privilege of a `grants:` config and the roles that hold it.
public struct Grant: Sendable, Equatable {
    public static let privileges = ["select", "insert", "update", "delete", "truncate", "references", "trigger"]
    public var privilege: String
    public var roles: [String]
    public init(privilege: String, roles: [String]) {
        self.privilege = privilege
        self.roles = roles
    }
}

/// dbt's `persist_docs: {relation: true, columns: true}`.
public struct PersistDocs: Sendable, Equatable {
    public var relation = false
    public var columns = false
    public init(relation: Bool = false, columns: Bool = false) {
        self.relation = relation
        self.columns = columns
    }
    public var any: Bool { relation || columns }
}

/// A CSV seed: how its file is read and what table it becomes.
public struct SeedSpec: Sendable {
    /// One ASCII byte (default comma).
    public var delimiter: UInt8
    /// `quote_columns: false` folds header names to lower case, as PostgreSQL folds unquoted names.
    public var quoteColumns: Bool
    /// `column_types` overrides, in the order written.
    public var columnTypes: [ColumnType]
    public var build: BuildSettings
    /// Column types as dbt-postgres infers them (a dbt project's seeds), rather than Strata's own inference.
    public var dbtTypes = false
    public var contract: Contract? {
        get { contractBox?.value }
        set { contractBox = newValue.map(ContractBox.init) }
    }
    private var contractBox: ContractBox? = nil

    public struct ColumnType: Sendable, Equatable {
        public var column: String
        public var type: String
        public var location: SourceLocation?
        public init(column: String, type: String, location: SourceLocation? = nil) {
            self.column = column
            self.type = type
            self.location = location
        }
    }

    public init(delimiter: UInt8 = UInt8(ascii: ","), quoteColumns: Bool = true, columnTypes: [ColumnType] = [], build: BuildSettings = BuildSettings()) {
        self.delimiter = delimiter
        self.quoteColumns = quoteColumns
        self.columnTypes = columnTypes
        self.build = build
    }
}

/// A snapshot's configuration (dbt's snapshot configs).
public struct SnapshotSpec: Sendable, Equatable {
    public enum Strategy: String, Sendable, CaseIterable { case timestamp, check }
    public enum HardDeletes: String, Sendable, CaseIterable { case ignore, invalidate, newRecord = "new_record" }

    public var strategy: Strategy
    public var uniqueKey: [String]
    public var updatedAt: String?
    /// nil means `check_cols='all'`.
    public var checkColumns: [String]?
    public var hardDeletes: HardDeletes
    /// `scd_id`, `updated_at`, `valid_from`, `valid_to`, `is_deleted`; dbt projects use the `dbt_` prefix.
    public var columnPrefix: String
    /// dbt 1.9's `snapshot_meta_column_names` (keys `dbt_valid_from` …): explicit names for the meta columns.
    public var columnNames: [String: String] = [:]
    public var build = BuildSettings()

    public init(strategy: Strategy, uniqueKey: [String], updatedAt: String? = nil, checkColumns: [String]? = nil, hardDeletes: HardDeletes = .ignore,
                columnPrefix: String = "", columnNames: [String: String] = [:]) {
        self.strategy = strategy
        self.uniqueKey = uniqueKey
        self.updatedAt = updatedAt
        self.checkColumns = checkColumns
        self.hardDeletes = hardDeletes
        self.columnPrefix = columnPrefix
        self.columnNames = columnNames
    }

    public func column(_ name: String) -> String { columnNames["dbt_" + name] ?? columnPrefix + name }
    public static let metaColumns = ["scd_id", "updated_at", "valid_from", "valid_to", "is_deleted"]
}

/// One table of a declared source.
public struct SourceSpec: Sendable {
    public var sourceName: String
    public var tableName: String
    /// What `strata source freshness` checks (dbt's `freshness` and `loaded_at_field`), and its `filter`.
    public var freshness: Freshness? = nil
    public var freshnessFilter: String? = nil
    public init(sourceName: String, tableName: String) {
        self.sourceName = sourceName
        self.tableName = tableName
    }
}

/// How a test's failing rows are judged: severity, and the `warn_if`/`error_if` thresholds on their count.
public struct TestJudgement: Sendable, Equatable {
    public enum Severity: String, Sendable, CaseIterable { case error, warn }
    public var severity: Severity = .error
    /// Comparisons such as `!=0` or `>10` (validated when compiling).
    public var warnIf = "!=0"
    public var errorIf = "!=0"
    public var limit: Int? = nil
    /// `fail_calc`: what counts as the failures of the test's rows (`count(*)`, or e.g. `sum(diff)`).
    public var failCalc = "count(*)"
    /// `store_failures`: nil follows `--store-failures`.
    public var storeFailures: Bool? = nil
    public init(severity: Severity = .error, warnIf: String = "!=0", errorIf: String = "!=0", limit: Int? = nil, storeFailures: Bool? = nil) {
        self.severity = severity
        self.warnIf = warnIf
        self.errorIf = errorIf
        self.limit = limit
        self.storeFailures = storeFailures
    }
}

/// A generic test declared in YAML, or a singular test file.
public struct DataTestSpec: Sendable {
    /// The generic test's name (`unique`, `dbt_utils.expression_is_true`); nil for a singular test.
    public var testName: String?
    public var testedNode: NodeID?
    public var judgement: TestJudgement
    /// dbt's alias: the name of its compiled file and of its store_failures table (a long name shortened with a hash).
    public var alias: String? = nil
    public var isSingular: Bool { testName == nil }
    public init(testName: String?, testedNode: NodeID?, judgement: TestJudgement) {
        self.testName = testName
        self.testedNode = testedNode
        self.judgement = judgement
    }
}

/// A dbt unit test: the model's SQL on given rows, compared with expected rows.
public struct UnitTestSpec: Sendable {
    public var testedNode: NodeID
    public var fixture: UnitTestFixture
    public init(testedNode: NodeID, fixture: UnitTestFixture) {
        self.testedNode = testedNode
        self.fixture = fixture
    }
}

/// One verification of a contract on its model's live relation (schema, constraints, a quality rule, freshness).
public struct ContractCheckSpec: Sendable {
    public var contractName: String
    /// Where the contract is declared (failures point there).
    public var contractLocation: SourceLocation?
    /// `contract_schema`, `contract_constraints`, `contract_quality`, `contract_freshness`.
    public var testName: String
    public var testedNode: NodeID
    public var judgement: TestJudgement
    public init(contractName: String, contractLocation: SourceLocation?, testName: String, testedNode: NodeID, judgement: TestJudgement) {
        self.contractName = contractName
        self.contractLocation = contractLocation
        self.testName = testName
        self.testedNode = testedNode
        self.judgement = judgement
    }
}

/// A dbt exposure: a dashboard, application or analysis downstream of the project.
public struct ExposureSpec: Sendable {
    public var type: String
    public var owner: String
    public var url: String?
    public var maturity: String?
    public init(type: String, owner: String, url: String?, maturity: String?) {
        self.type = type
        self.owner = owner
        self.url = url
        self.maturity = maturity
    }
}

/// What kind of test a node is, as `test_type` says in dbt's words.
public enum TestType: String, Sendable {
    case generic, singular, unit, contract
}

/// The facts every kind of test shares.
public struct TestInfo: Sendable {
    public var type: TestType
    /// The generic test's name (`unique`), `unit`, `contract_schema`, … or the node's own name for singular tests.
    public var name: String
    public var testedNode: NodeID?
    public var judgement: TestJudgement
}
