import Basics

/// A loaded project: its settings and every file that defines a node. Pure data, no I/O.
public struct Project: Sendable {
    public enum Kind: String, Sendable { case strata, dbt }

    public var name: String
    public var kind: Kind
    /// Absolute path of the project folder.
    public var root: String
    /// `strata.yml` or `dbt_project.yml`.
    public var projectFile: String
    public var profileName: String?
    public var paths: Paths
    public var vars: [String: ConfigValue]
    /// Per-folder model configs (`models:` in the project file), keyed from the project name down.
    public var modelConfigs: FolderConfig
    public var seedConfigs: FolderConfig
    public var snapshotConfigs: FolderConfig = FolderConfig()
    /// `data_tests:` (or `tests:`) in the project file: data tests' configs by the folder they are declared in.
    public var testConfigs: FolderConfig = FolderConfig()
    public var models: [ModelFile]
    /// SQL files under the snapshot paths (each holds a `{% snapshot name %}` block).
    public var snapshotFiles: [TextFile] = []
    /// Snapshots declared in YAML (dbt 1.9): `snapshots: - name, relation: source(…)|ref(…), config`.
    public var yamlSnapshots: [YAMLSnapshot] = []
    /// Generic tests from properties YAML, and singular tests (SQL files under the test paths).
    public var testDeclarations: [TestDeclaration] = []
    /// dbt 1.8 unit tests (`unit_tests:` in properties YAML).
    public var unitTests: [UnitTestDeclaration] = []
    /// dbt exposures (dashboards, applications, … that use models): shown in the docs and lineage.
    public var exposures: [Exposure] = []
    /// dbt's `selectors.yml`: named selections for `--selector` (the one with `default: true` when nothing is selected).
    public var selectors: [SelectorDefinition] = []
    public var singularTests: [TextFile] = []
    public var seeds: [SeedFile]
    public var sources: [SourceTable]
    public var templateFiles: [TextFile]
    /// Contracts from the contract paths (`contracts/*.yml`). dbt's model contracts are derived from model properties later.
    public var contracts: [Contract] = []
    /// `{% docs name %}…{% enddocs %}` blocks from Markdown files, for `doc('name')` in descriptions.
    public var docBlocks: [String: Located<String>] = [:]
    /// `on-run-start` / `on-run-end` SQL (templated), in order, with where each is written.
    public var onRunStart: [Located<String>] = []
    public var onRunEnd: [Located<String>] = []
    /// Packages declared in `packages.yml`/`dependencies.yml`, and those installed under `paths.packages`.
    public var packageDeclarations: [PackageDeclaration] = []
    public var packagesFile: String? = nil
    public var packages: [InstalledPackage] = []
    /// `quoting:` of the project file.
    public var quoting = Quoting()
    /// `dispatch:` of the project file.
    public var dispatch: [DispatchOrder] = []
    /// `require-dbt-version`: the ranges as written, and where.
    public var requiredDbtVersion: Located<[String]>? = nil

    public init(name: String, kind: Kind, root: String, projectFile: String, profileName: String? = nil, paths: Paths = Paths(),
                vars: [String: ConfigValue] = [:], modelConfigs: FolderConfig = FolderConfig(), seedConfigs: FolderConfig = FolderConfig(),
                models: [ModelFile] = [], seeds: [SeedFile] = [], sources: [SourceTable] = [], templateFiles: [TextFile] = []) {
        self.name = name
        self.kind = kind
        self.root = root
        self.projectFile = projectFile
        self.profileName = profileName
        self.paths = paths
        self.vars = vars
        self.modelConfigs = modelConfigs
        self.seedConfigs = seedConfigs
        self.models = models
        self.seeds = seeds
        self.sources = sources
        self.templateFiles = templateFiles
    }

    /// Folder names, relative to the project root.
    public struct Paths: Sendable {
        public var models = ["models"]
        public var seeds = ["seeds"]
        public var templates = ["templates"]
        public var contracts = ["contracts"]
        public var tests = ["tests"]
        public var snapshots = ["snapshots"]
        public var target = "target"
        /// `log-path`: where `strata.log` is written.
        public var logs = "logs"
        public var cleanTargets = ["target"]
        /// `packages-install-path`: where `strata deps` installs packages.
        public var packages = "dbt_packages"
        public init() {}
    }
}

/// A file's path relative to the project root and its text.
public struct TextFile: Sendable {
    public var path: String
    public var text: String
    /// The installed package the file comes from; nil for the root project's own.
    public var package: String? = nil
    public init(path: String, text: String, package: String? = nil) {
        self.path = path
        self.text = text
        self.package = package
    }
}

/// A model's SQL file, with what properties YAML says about it.
public struct ModelFile: Sendable {
    public var name: String
    /// Relative to the project root, e.g. `models/staging/stg_orders.sql`.
    public var path: String
    /// Path below its model folder, e.g. `staging/stg_orders.sql` (for per-folder configs and `target/compiled`).
    public var pathInModels: String
    public var rawSQL: String
    public var properties: ModelProperties?
    /// The installed package the model comes from; nil for the root project's own.
    public var package: String? = nil
    /// For a version of a versioned model (`versions:` in its properties): its `v`, and the model's latest version.
    public var version: String? = nil
    public var latestVersion: String? = nil

    public init(name: String, path: String, pathInModels: String, rawSQL: String, properties: ModelProperties? = nil) {
        self.name = name
        self.path = path
        self.pathInModels = pathInModels
        self.rawSQL = rawSQL
        self.properties = properties
    }
}

/// What a properties YAML file (`models: - name: …`) declares for a model or seed.
public struct ModelProperties: Sendable {
    public var description: String
    public var config: [ConfigEntry]
    public var columns: [ColumnProperties]
    /// dbt model contracts: model-level `constraints:` (primary_key, unique, check, foreign_key over `columns:`).
    public var constraints: [ColumnConstraint] = []
    /// dbt model versions: `versions:` and `latest_version` (nil: the highest `v`).
    public var versions: [ModelVersion] = []
    public var latestVersion: String? = nil
    public var location: SourceLocation?

    public init(description: String = "", config: [ConfigEntry] = [], columns: [ColumnProperties] = [], location: SourceLocation? = nil) {
        self.description = description
        self.config = config
        self.columns = columns
        self.location = location
    }
}

public struct ColumnProperties: Sendable, Hashable {
    public var name: String
    public var description: String
    public var dataType: String?
    /// dbt model contracts: `constraints: [{type: not_null}, …]` on the column.
    public var constraints: [ColumnConstraint] = []
    public var location: SourceLocation?
    public var dataTypeLocation: SourceLocation?
    public init(name: String, description: String = "", dataType: String? = nil, constraints: [ColumnConstraint] = [], location: SourceLocation? = nil) {
        self.name = name
        self.description = description
        self.dataType = dataType
        self.constraints = constraints
        self.location = location
    }
}

/// One entry of a model's `versions:`: its `v`, the file that defines it (`defined_in`, default `<name>_v<v>`),
/// its own config, and its columns (the model's, as `include`/`exclude` select them, and its own).
public struct ModelVersion: Sendable {
    public var v: String
    public var definedIn: String?
    public var config: [ConfigEntry] = []
    public var columns: [ColumnProperties] = []
    public var location: SourceLocation?
    public init(v: String, definedIn: String? = nil, location: SourceLocation? = nil) {
        self.v = v
        self.definedIn = definedIn
        self.location = location
    }
}

/// A CSV seed file.
public struct SeedFile: Sendable {
    public var name: String
    public var path: String
    public var pathInSeeds: String
    public var properties: ModelProperties?
    /// The installed package the seed comes from; nil for the root project's own.
    public var package: String? = nil
    public init(name: String, path: String, pathInSeeds: String, properties: ModelProperties? = nil) {
        self.name = name
        self.path = path
        self.pathInSeeds = pathInSeeds
        self.properties = properties
    }
}

/// One table of a declared source (`sources:` in properties YAML).
public struct SourceTable: Sendable {
    public var sourceName: String
    public var tableName: String
    /// May contain templating (`{{ target.schema }}_raw`); rendered by compilation. nil means the source name.
    public var schema: String?
    public var database: String?
    public var identifier: String?
    public var description: String
    public var location: SourceLocation?
    /// The installed package that declares the source; nil for the root project.
    public var package: String? = nil
    /// dbt's `freshness` with `loaded_at_field` (the table's, else the source's): what `strata source freshness` checks.
    public var freshness: Freshness? = nil
    /// dbt's `freshness.filter`: a SQL condition on the rows that count.
    public var freshnessFilter: String? = nil

    public init(sourceName: String, tableName: String, schema: String? = nil, database: String? = nil, identifier: String? = nil, description: String = "", location: SourceLocation? = nil) {
        self.sourceName = sourceName
        self.tableName = tableName
        self.schema = schema
        self.database = database
        self.identifier = identifier
        self.description = description
        self.location = location
    }
}

/// Nested per-folder configuration: `+key: value` entries and subfolders.
public struct FolderConfig: Sendable {
    public var entries: [ConfigEntry] = []
    public var children: [String: FolderConfig] = [:]
    public init(entries: [ConfigEntry] = [], children: [String: FolderConfig] = [:]) {
        self.entries = entries
        self.children = children
    }

    /// Nothing configured (the project file has no such section).
    public var isEmpty: Bool { entries.isEmpty && children.isEmpty }

    /// The entries that apply along `path` (folder names, then the file's base name), outermost first.
    public func resolve(along path: [String]) -> [ConfigEntry] {
        var out = entries
        var node = self
        for part in path {
            guard let next = node.children[part] else { break }
            out += next.entries
            node = next
        }
        return out
    }
}

/// What templates see as `target`: the connection target's names, never its secrets.
public struct TargetInfo: Sendable, Codable {
    public var name: String
    public var type: String
    public var schema: String
    public var database: String
    public var user: String
    public var threads: Int

    public init(name: String = "dev", type: String = "postgres", schema: String = "public", database: String = "strata", user: String = "postgres", threads: Int = 4) {
        self.name = name
        self.type = type
        self.schema = schema
        self.database = database
        self.user = user
        self.threads = threads
    }
}

/// A snapshot declared in properties YAML.
public struct YAMLSnapshot: Sendable {
    public var name: String
    /// `source('s', 't')` or `ref('m')`, as written.
    public var relation: String
    /// Where the relation expression is written.
    public var relationLocation: SourceLocation
    public var config: [ConfigEntry]
    public var location: SourceLocation?
    /// The installed package that declares the snapshot; nil for the root project.
    public var package: String? = nil

    public init(name: String, relation: String, relationLocation: SourceLocation, config: [ConfigEntry], location: SourceLocation?) {
        self.name = name
        self.relation = relation
        self.relationLocation = relationLocation
        self.config = config
        self.location = location
    }
}

/// A generic data test declared in properties YAML (`tests:`/`data_tests:` on a model, seed, source or column).
public struct TestDeclaration: Sendable {
    /// `unique`, `not_null`, `accepted_values`, `relationships`, or a custom generic test's name.
    public var testName: String
    public var arguments: [ConfigEntry]
    public var config: [ConfigEntry]
    /// The node it tests: a model or seed name, or `source.table` for sources.
    public var targetKind: NodeKind
    public var targetName: String
    public var column: String?
    /// `quote: true` on the column: its name is quoted in the test's SQL.
    public var quoteColumn = false
    public var location: SourceLocation?
    /// The installed package whose properties declare the test; nil for the root project.
    public var package: String? = nil
    /// The version of a versioned model the test is for (dbt makes one test per version).
    public var targetVersion: String? = nil

    public init(testName: String, arguments: [ConfigEntry], config: [ConfigEntry], targetKind: NodeKind, targetName: String, column: String?, location: SourceLocation?) {
        self.testName = testName
        self.arguments = arguments
        self.config = config
        self.targetKind = targetKind
        self.targetName = targetName
        self.column = column
        self.location = location
    }
}

/// A unit test: the model's SQL run on given rows instead of its real inputs, compared with expected rows.
public struct UnitTestDeclaration: Sendable {
    /// Rows as column → value (nil for NULL); values keep their YAML text.
    public typealias Rows = [[(String, String?)]]
    /// Rows of a given input or of the expectation: written in YAML (`rows:`, as a list or `format: csv`), a
    /// query (`format: sql`), or a file under the test paths' `fixtures/` (`fixture:`, read when the project loads).
    public enum Data: Sendable {
        case rows(Rows)
        case sql(String)
        case fixture(name: String, format: String, location: SourceLocation?)
    }
    public var name: String
    public var model: String
    /// `ref('x')` / `source('a', 'b')` / `this` as written, and its rows.
    public var given: [(input: String, data: Data)]
    public var expect: Data
    /// `overrides:` — `macros` (e.g. `is_incremental: true`), `vars` and `env_vars` for this test's render.
    public var overrides: (macros: [ConfigEntry], vars: [ConfigEntry], envVars: [ConfigEntry]) = ([], [], [])
    public var location: SourceLocation?
    /// The installed package that declares the unit test; nil for the root project.
    public var package: String? = nil

    public init(name: String, model: String, given: [(input: String, data: Data)], expect: Data, location: SourceLocation?) {
        self.name = name
        self.model = model
        self.given = given
        self.expect = expect
        self.location = location
    }
}

/// A dbt exposure: something downstream of the project (a dashboard, an application) and what it reads.
public struct Exposure: Sendable {
    public var name: String
    public var type: String
    public var owner: String
    public var description: String
    public var url: String?
    public var maturity: String?
    /// `ref('m')` / `source('s', 't')` as written.
    public var dependsOn: [String]
    public var location: SourceLocation?

    public init(name: String, type: String, owner: String, description: String, url: String?, maturity: String?, dependsOn: [String], location: SourceLocation?) {
        self.name = name
        self.type = type
        self.owner = owner
        self.description = description
        self.url = url
        self.maturity = maturity
        self.dependsOn = dependsOn
        self.location = location
    }
}

extension Project {
    /// The installed package named `name`.
    public func package(named name: String?) -> InstalledPackage? {
        guard let name, name != self.name else { return nil }
        return packages.first { $0.name == name }
    }

    /// A path as dbt writes it for its node: relative to the folder of the package the node comes from (the root
    /// project's own paths are unchanged).
    public func pathInPackage(_ path: String, package: String?) -> String {
        self.package(named: package)?.pathInPackage(path) ?? path
    }
}

/// One selector of `selectors.yml`: its name and definition in dbt's grammar (evaluated by DependencyGraph).
public struct SelectorDefinition: Sendable {
    public var name: String
    public var description: String?
    public var isDefault: Bool
    public var definition: ConfigValue
    public var location: SourceLocation?
    public init(name: String, description: String? = nil, isDefault: Bool = false, definition: ConfigValue, location: SourceLocation? = nil) {
        self.name = name
        self.description = description
        self.isDefault = isDefault
        self.definition = definition
        self.location = location
    }
}
