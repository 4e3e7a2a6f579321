import Basics
import ProjectModel
import Yams

/// Parses a properties YAML file (`version: 2` with `models:`, `sources:`, `seeds:` …).
struct PropertiesParser {
    let reader: YAMLReader

    struct Result {
        var models: [(String, ModelProperties)] = []
        var seeds: [(String, ModelProperties)] = []
        var sources: [SourceTable] = []
        var snapshots: [YAMLSnapshot] = []
        var tests: [TestDeclaration] = []
        var unitTests: [UnitTestDeclaration] = []
        var exposures: [Exposure] = []
        var diagnostics: [Diagnostic] = []
    }

    /// CSV text as unit-test rows (an empty value is NULL).
    static func csvRows(_ text: String) -> UnitTestDeclaration.Rows {
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map(String.init).filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
        guard let header = lines.first?.split(separator: ",", omittingEmptySubsequences: false).map({ $0.trimmingCharacters(in: .whitespaces) }) else { return [] }
        return lines.dropFirst().map { line in
            let values = line.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            return header.enumerated().map { i, h in (h, i < values.count && !values[i].isEmpty ? values[i] : nil) }
        }
    }

    /// A given input's or the expectation's rows: `rows:` as a list of mappings, CSV text (`format: csv`), a query
    /// (`format: sql`), or `fixture: name` (a file under tests/fixtures, resolved when the project loads).
    func unitData(_ entries: [(key: String, node: Node, location: SourceLocation?)], what: String) throws -> UnitTestDeclaration.Data {
        let format = try entries.first { $0.key == "format" }.map { try reader.string($0.node, what: "format") } ?? "dict"
        guard ["dict", "csv", "sql"].contains(format) else {
            throw Diagnostic(code: .invalidUnitTest, "format '\(format)' of \(what) is not one of dict, csv, sql", at: entries.first { $0.key == "format" }?.location)
        }
        if let fixture = entries.first(where: { $0.key == "fixture" }) {
            guard format != "dict" else { throw Diagnostic(code: .invalidUnitTest, "a fixture needs format: csv or format: sql", at: fixture.location) }
            return .fixture(name: try reader.string(fixture.node, what: "fixture"), format: format, location: reader.location(fixture.node))
        }
        guard let node = entries.first(where: { $0.key == "rows" })?.node else { return .rows([]) }
        switch format {
        case "csv": return .rows(Self.csvRows(try reader.string(node, what: "rows")))
        case "sql": return .sql(try reader.string(node, what: "rows"))
        default: break
        }
        return .rows(try reader.sequence(node, what: "rows").map { row in
            try reader.mapping(row, what: "row").map { key, value, _ in
                guard case .scalar(let s) = value else { throw Diagnostic(code: .invalidUnitTest, "unit test values must be single values", at: reader.location(value)) }
                return (key, s.style == .plain && YAMLReader.resolvePlain(s.string) == .null ? nil : s.string)
            }
        })
    }

    func unitTest(_ node: Node) throws -> UnitTestDeclaration {
        var name: String?, model: String?, given: [(input: String, data: UnitTestDeclaration.Data)] = [], expect = UnitTestDeclaration.Data.rows([])
        var overrides: (macros: [ConfigEntry], vars: [ConfigEntry], envVars: [ConfigEntry]) = ([], [], [])
        for (key, value, loc) in try reader.mapping(node, what: "unit test") {
            switch key {
            case "name": name = try reader.string(value, what: "name")
            case "model": model = try reader.string(value, what: "model")
            case "given":
                for g in try reader.sequence(value, what: "given") {
                    let entries = try reader.mapping(g, what: "given input")
                    guard let input = entries.first(where: { $0.key == "input" }) else { throw Diagnostic(code: .invalidUnitTest, "a given entry needs an input: ref('…') or source('…', '…')", at: reader.location(g)) }
                    given.append((try reader.string(input.node, what: "input"), try unitData(entries, what: "a given input")))
                }
            case "expect":
                expect = try unitData(try reader.mapping(value, what: "expect"), what: "the expectation")
            case "overrides":
                for (kind, entries, kindLocation) in try reader.mapping(value, what: "overrides") {
                    guard case .dict(let d) = reader.value(entries) else { throw Diagnostic(code: .invalidUnitTest, "overrides: \(kind) must be a mapping", at: kindLocation) }
                    switch kind {
                    case "macros": overrides.macros = d
                    case "vars": overrides.vars = d
                    case "env_vars": overrides.envVars = d
                    default: throw reader.unknownKey(kind, at: kindLocation, known: ["macros", "vars", "env_vars"], in: "overrides")
                    }
                }
            case "description", "config", "versions": break
            default: throw reader.unknownKey(key, at: loc, known: ["name", "model", "given", "expect", "description", "config", "overrides"], in: "unit test")
            }
        }
        guard let name, let model else { throw Diagnostic(code: .invalidUnitTest, "a unit test needs a name and a model", at: reader.location(node)) }
        var test = UnitTestDeclaration(name: name, model: model, given: given, expect: expect, location: reader.location(node))
        test.overrides = overrides
        return test
    }

    /// Keys of a test entry that are test configs rather than arguments (dbt accepts both at the top level).
    static let testConfigKeys: Set<String> = ["severity", "where", "warn_if", "error_if", "limit", "enabled", "tags", "store_failures", "store_failures_as", "meta", "alias", "schema", "database"]

    /// `- unique`, `- accepted_values: {values: […]}`, `- relationships: {arguments: {to: …, field: …}, config: {severity: warn}}`.
    func tests(_ node: Node, kind: NodeKind, target: String, column: String?) throws -> [TestDeclaration] {
        try reader.sequence(node, what: "tests").map { item in
            if case .scalar(let s) = item {
                return TestDeclaration(testName: s.string, arguments: [], config: [], targetKind: kind, targetName: target, column: column, location: reader.location(item))
            }
            let entries = try reader.mapping(item, what: "test")
            guard entries.count == 1 || entries.contains(where: { $0.key == "test_name" }) else {
                throw Diagnostic(code: .invalidTestEntry, "a test entry names one test, like `- unique` or `- accepted_values: {values: [a, b]}`", at: reader.location(item))
            }
            var name = entries[0].key
            var body = reader.value(entries[0].node).asDict ?? []
            if let testName = entries.first(where: { $0.key == "test_name" }) {
                // the `- name: custom_name / test_name: unique / …` form
                name = try reader.string(testName.node, what: "test_name")
                body = entries.filter { $0.key != "test_name" }.map { ConfigEntry($0.key, reader.value($0.node), at: $0.location) }
            }
            var arguments: [ConfigEntry] = [], config: [ConfigEntry] = []
            for e in body {
                switch e.key {
                case "arguments": arguments += e.value.asDict ?? []
                case "config": config += e.value.asDict ?? []
                case "name": config.append(ConfigEntry("alias", e.value, at: e.location))
                case "column_name": arguments.append(e)
                default:
                    if Self.testConfigKeys.contains(e.key) { config.append(e) } else { arguments.append(e) }
                }
            }
            return TestDeclaration(testName: name, arguments: arguments, config: config, targetKind: kind, targetName: target,
                                   column: column ?? arguments.first { $0.key == "column_name" }?.value.asString, location: reader.location(item))
        }
    }

    static let topKeys = ["version", "models", "sources", "seeds", "snapshots", "macros", "exposures", "metrics", "groups",
                          "semantic_models", "saved_queries", "analyses", "unit_tests", "data_tests", "tests"]
    static let modelKeys = ["name", "description", "config", "columns", "tests", "data_tests", "docs", "meta", "access", "group",
                            "latest_version", "versions", "constraints", "deprecation_date", "tags", "time_spine"]
    static let columnKeys = ["name", "description", "data_type", "tests", "data_tests", "constraints", "meta", "quote", "tags", "policy_tags", "granularity", "config"]

    func parse(_ text: String) throws -> Result {
        var result = Result()
        guard let doc = try reader.parse(text) else { return result }
        guard case .mapping = doc else { return result }
        for (key, node, loc) in try reader.mapping(doc, what: "properties file") {
            switch key {
            case "models":
                for item in try reader.sequence(node, what: "models") {
                    var (name, p) = try modelProperties(item, what: "model")
                    let versions = try modelVersions(item, base: p)
                    p.versions = versions.map(\.0)
                    result.models.append((name, p))
                    let base = try declaredTests(item, kind: .model, target: name)
                    guard !versions.isEmpty else { result.tests += base; continue }
                    // dbt makes each test once per version: the version's own model-level tests when it has them,
                    // else the model's; the tests of the model's columns the version includes; its own columns' tests
                    for (version, versionNode) in versions {
                        let own = try declaredTests(versionNode, kind: .model, target: name)
                        let hasOwn = try reader.mapping(versionNode, what: "version").contains { $0.key == "tests" || $0.key == "data_tests" }
                        let included = Set(version.columns.map(\.name))
                        var tests = (hasOwn ? own : base).filter { $0.column == nil }
                        let redefined = Set(own.compactMap(\.column))
                        tests += base.filter { t in t.column.map { included.contains($0) && !redefined.contains($0) } ?? false }
                        tests += own.filter { $0.column != nil }
                        result.tests += tests.map { var t = $0; t.targetVersion = version.v; return t }
                    }
                }
            case "seeds":
                for item in try reader.sequence(node, what: "seeds") {
                    let (name, p) = try modelProperties(item, what: "seed")
                    result.seeds.append((name, p))
                    result.tests += try declaredTests(item, kind: .seed, target: name)
                }
            case "sources":
                for item in try reader.sequence(node, what: "sources") {
                    result.sources += try sources(item)
                    result.tests += try sourceTests(item)
                }
            case "exposures":
                for item in try reader.sequence(node, what: "exposures") { result.exposures.append(try exposure(item)) }
            case "unit_tests":
                for item in try reader.sequence(node, what: "unit_tests") { result.unitTests.append(try unitTest(item)) }
            case "snapshots":
                for item in try reader.sequence(node, what: "snapshots") {
                    if let s = try snapshot(item) { result.snapshots.append(s) }
                    if let nameNode = try reader.mapping(item, what: "snapshot").first(where: { $0.key == "name" })?.node {
                        result.tests += try declaredTests(item, kind: .snapshot, target: try reader.string(nameNode, what: "snapshot name"))
                    }
                }
            default:
                if !Self.topKeys.contains(key) {
                    result.diagnostics.append(reader.unknownKey(key, at: loc, known: Self.topKeys, in: "properties file", severity: .warning))
                }
            }
        }
        return result
    }

    private func modelProperties(_ node: Node, what: String) throws -> (String, ModelProperties) {
        var name: String?
        var p = ModelProperties(location: reader.location(node))
        for (key, value, loc) in try reader.mapping(node, what: what) {
            switch key {
            case "name": name = try reader.string(value, what: "\(what) name")
            case "description": p.description = try reader.string(value, what: "description")
            case "config": p.config = reader.value(value).asDict ?? []
            case "columns":
                p.columns = try reader.sequence(value, what: "columns").map(column)
            case "tags":
                p.config.append(ConfigEntry("tags", reader.value(value), at: loc))
            case "meta", "group", "access":
                // as dbt: these live in the node's config (meta merges with config(meta=…))
                p.config.append(ConfigEntry(key, reader.value(value), at: loc))
            case "constraints":
                p.constraints = try dbtConstraints(value, modelLevel: true)
            case "latest_version":
                guard let v = reader.value(value).scalarText else { throw Diagnostic(code: .wrongYAMLShape, "latest_version must be a version, like 2", at: reader.location(value)) }
                p.latestVersion = v
            default:
                if !Self.modelKeys.contains(key) { throw reader.unknownKey(key, at: loc, known: Self.modelKeys, in: what) }
            }
        }
        guard let name else { throw Diagnostic(code: .missingName, "a \(what) entry needs a name", at: reader.location(node)) }
        return (name, p)
    }

    /// One entry of `columns:`: name, description, data_type, constraints (the other keys dbt knows are accepted).
    func column(_ c: Node) throws -> ColumnProperties {
        var col = ColumnProperties(name: "", location: reader.location(c))
        for (ck, cv, cloc) in try reader.mapping(c, what: "column") {
            switch ck {
            case "name": col.name = try reader.string(cv, what: "column name")
            case "description": col.description = try reader.string(cv, what: "description")
            case "data_type":
                col.dataType = try reader.string(cv, what: "data_type")
                col.dataTypeLocation = reader.location(cv)
            case "constraints": col.constraints = try dbtConstraints(cv, modelLevel: false)
            default:
                if !Self.columnKeys.contains(ck) { throw reader.unknownKey(ck, at: cloc, known: Self.columnKeys, in: "column") }
            }
        }
        if col.name.isEmpty { throw Diagnostic(code: .missingName, "a column needs a name", at: reader.location(c)) }
        return col
    }

    static let versionKeys = ["v", "defined_in", "config", "columns", "tests", "data_tests", "description", "docs", "meta",
                              "constraints", "deprecation_date", "access", "group", "tags"]

    /// A model's `versions:`: each with its `v`, `defined_in`, config, and columns — the model's columns that
    /// `include`/`exclude` select (all by default), then its own — and the node its tests are declared under.
    func modelVersions(_ node: Node, base: ModelProperties) throws -> [(ModelVersion, Node)] {
        guard let versionsNode = try reader.mapping(node, what: "model").first(where: { $0.key == "versions" })?.node else { return [] }
        return try reader.sequence(versionsNode, what: "versions").map { item in
            var version = ModelVersion(v: "", location: reader.location(item))
            var own: [ColumnProperties] = []
            var include: Set<String>? = nil, exclude: Set<String> = []
            for (key, value, loc) in try reader.mapping(item, what: "version") {
                switch key {
                case "v":
                    guard let v = reader.value(value).scalarText else { throw Diagnostic(code: .wrongYAMLShape, "v must be a version, like 2", at: reader.location(value)) }
                    version.v = v
                case "defined_in": version.definedIn = try reader.string(value, what: "defined_in")
                case "config": version.config = reader.value(value).asDict ?? []
                case "columns":
                    for c in try reader.sequence(value, what: "columns") {
                        let entries = try reader.mapping(c, what: "column")
                        if let inc = entries.first(where: { $0.key == "include" }) {
                            let v = reader.value(inc.node)
                            include = v.asString == "all" || v.asString == "*" ? nil : Set(v.stringList)
                            if let exc = entries.first(where: { $0.key == "exclude" }) { exclude = Set(reader.value(exc.node).stringList) }
                            continue
                        }
                        own.append(try column(c))
                    }
                case "tags", "meta", "group", "access": version.config.append(ConfigEntry(key, reader.value(value), at: loc))
                default:
                    if !Self.versionKeys.contains(key) { throw reader.unknownKey(key, at: loc, known: Self.versionKeys, in: "version") }
                }
            }
            guard !version.v.isEmpty else { throw Diagnostic(code: .missingName, "a version needs a v", at: reader.location(item)) }
            let ownNames = Set(own.map(\.name))
            version.columns = base.columns.filter { (include?.contains($0.name) ?? true) && !exclude.contains($0.name) && !ownNames.contains($0.name) } + own
            return (version, item)
        }
    }

    static let dbtConstraintKeys = ["type", "expression", "name", "columns", "to", "to_columns", "warn_unenforced", "warn_unsupported"]

    /// dbt's `constraints: [{type: not_null}, {type: foreign_key, to: ref('x'), to_columns: [id]}, {type: check, expression: …}]`.
    func dbtConstraints(_ node: Node, modelLevel: Bool) throws -> [ColumnConstraint] {
        try reader.sequence(node, what: "constraints").map { item in
            let loc = reader.location(item)
            var type: String?, expression: String?, columns: [String] = [], to: String?, toColumns: [String] = []
            for (k, v, kl) in try reader.mapping(item, what: "constraint") {
                switch k {
                case "type": type = try reader.string(v, what: "type")
                case "expression": expression = try reader.string(v, what: "expression")
                case "columns": columns = try reader.stringList(v, what: "columns")
                case "to": to = try reader.string(v, what: "to")
                case "to_columns": toColumns = try reader.stringList(v, what: "to_columns")
                case "name", "warn_unenforced", "warn_unsupported": break
                default: throw reader.unknownKey(k, at: kl, known: Self.dbtConstraintKeys, in: "constraint")
                }
            }
            guard let type else { throw Diagnostic(code: .invalidDbtConstraint, "a constraint needs a type (not_null, unique, primary_key, foreign_key, check)", at: loc) }
            guard let kind = ColumnConstraint.Kind(rawValue: type), kind != .acceptedValues else {
                var msg = "unknown constraint type '\(type)'"
                if let s = Suggestion.closest(to: type, in: ["not_null", "unique", "primary_key", "foreign_key", "check"]) { msg += "; did you mean '\(s)'?" }
                throw Diagnostic(code: .invalidDbtConstraint, msg, at: loc)
            }
            var c = ColumnConstraint(kind, expression: expression, columns: columns, at: loc)
            if kind == .check, expression == nil { throw Diagnostic(code: .invalidDbtConstraint, "a check constraint needs an expression", at: loc) }
            if kind == .foreignKey {
                // dbt 1.9: to: ref('m'), to_columns: [c]; older projects wrote expression: "schema.table (column)"
                guard let to, let model = Self.refName(to), toColumns.count == 1 else {
                    throw Diagnostic(code: .invalidDbtConstraint, "a foreign_key constraint needs `to: ref('model')` and one `to_columns` entry (Strata does not read the older `expression:` form)", at: loc)
                }
                c.referencedModel = model
                c.referencedColumn = toColumns[0]
            }
            if modelLevel, kind != .check, columns.isEmpty { throw Diagnostic(code: .invalidDbtConstraint, "a model-level \(type) constraint needs `columns:`", at: loc) }
            return c
        }
    }

    /// `ref('name')` or `ref("name")` → name.
    static func refName(_ text: String) -> String? {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard t.hasPrefix("ref("), t.hasSuffix(")") else { return nil }
        let inner = t.dropFirst(4).dropLast().trimmingCharacters(in: .whitespaces)
        guard inner.count >= 2, let q = inner.first, q == "'" || q == "\"", inner.last == q else { return nil }
        return String(inner.dropFirst().dropLast())
    }

    static let exposureKeys = ["name", "label", "type", "owner", "description", "url", "maturity", "depends_on", "meta", "tags", "config"]

    func exposure(_ node: Node) throws -> Exposure {
        var e = Exposure(name: "", type: "", owner: "", description: "", url: nil, maturity: nil, dependsOn: [], location: reader.location(node))
        for (key, value, loc) in try reader.mapping(node, what: "exposure") {
            switch key {
            case "name": e.name = try reader.string(value, what: "exposure name")
            case "type": e.type = try reader.string(value, what: "type")
            case "description": e.description = try reader.string(value, what: "description")
            case "url": e.url = try reader.string(value, what: "url")
            case "maturity": e.maturity = try reader.string(value, what: "maturity")
            case "owner":
                let v = reader.value(value)
                e.owner = v["name"]?.asString ?? v["email"]?.asString ?? v.asString ?? ""
            case "depends_on": e.dependsOn = try reader.stringList(value, what: "depends_on")
            case "label", "meta", "tags", "config": break
            default: throw reader.unknownKey(key, at: loc, known: Self.exposureKeys, in: "exposure")
            }
        }
        guard !e.name.isEmpty else { throw Diagnostic(code: .missingName, "an exposure needs a name", at: e.location) }
        return e
    }

    /// Tests on a model or seed entry and on its columns.
    func declaredTests(_ node: Node, kind: NodeKind, target: String) throws -> [TestDeclaration] {
        var out: [TestDeclaration] = []
        for (key, value, _) in try reader.mapping(node, what: "entry") {
            switch key {
            case "tests", "data_tests": out += try tests(value, kind: kind, target: target, column: nil)
            case "columns":
                for c in try reader.sequence(value, what: "columns") {
                    let entries = try reader.mapping(c, what: "column")
                    guard let nameNode = entries.first(where: { $0.key == "name" })?.node else { continue }
                    let column = try reader.string(nameNode, what: "column name")
                    let quote = entries.first { $0.key == "quote" }.flatMap { reader.value($0.node).asBool } ?? false
                    for e in entries where e.key == "tests" || e.key == "data_tests" {
                        out += try tests(e.node, kind: kind, target: target, column: column).map { var t = $0; t.quoteColumn = quote; return t }
                    }
                }
            default: break
            }
        }
        return out
    }

    func sourceTests(_ node: Node) throws -> [TestDeclaration] {
        let entries = try reader.mapping(node, what: "source")
        guard let nameNode = entries.first(where: { $0.key == "name" })?.node, let tables = entries.first(where: { $0.key == "tables" })?.node else { return [] }
        let source = try reader.string(nameNode, what: "source name")
        var out: [TestDeclaration] = []
        for t in try reader.sequence(tables, what: "tables") {
            guard let tn = try reader.mapping(t, what: "table").first(where: { $0.key == "name" })?.node else { continue }
            out += try declaredTests(t, kind: .source, target: "\(source).\(try reader.string(tn, what: "table name"))")
        }
        return out
    }

    static let snapshotKeys = ["name", "relation", "config", "description", "columns", "meta", "docs", "tests", "data_tests", "group"]

    /// A dbt 1.9 snapshot; entries without `relation` only describe a snapshot defined in SQL (nil).
    private func snapshot(_ node: Node) throws -> YAMLSnapshot? {
        var name: String?, relation: String?, relationLocation: SourceLocation?, config: [ConfigEntry] = []
        for (key, value, loc) in try reader.mapping(node, what: "snapshot") {
            switch key {
            case "name": name = try reader.string(value, what: "snapshot name")
            case "relation":
                relation = try reader.string(value, what: "relation")
                relationLocation = reader.location(value)
            case "config": config = reader.value(value).asDict ?? []
            default:
                if !Self.snapshotKeys.contains(key) { throw reader.unknownKey(key, at: loc, known: Self.snapshotKeys, in: "snapshot") }
            }
        }
        guard let relation else { return nil }
        guard let name else { throw Diagnostic(code: .missingName, "a snapshot needs a name", at: reader.location(node)) }
        let trimmed = relation.trimmingCharacters(in: .whitespaces)
        guard trimmed.hasPrefix("source(") || trimmed.hasPrefix("ref("), trimmed.hasSuffix(")") else {
            throw Diagnostic(code: .invalidSnapshotRelation, "snapshot '\(name)': relation must be source('…', '…') or ref('…')", at: relationLocation)
        }
        return YAMLSnapshot(name: name, relation: trimmed, relationLocation: relationLocation ?? SourceLocation(file: reader.path, line: 1, column: 1),
                            config: config, location: reader.location(node))
    }

    static let sourceKeys = ["name", "description", "schema", "database", "tables", "loader", "loaded_at_field", "freshness", "meta", "tags", "config", "quoting", "overrides"]
    static let tableKeys = ["name", "description", "identifier", "columns", "tests", "data_tests", "loaded_at_field", "freshness", "meta", "tags", "config", "quoting", "external"]

    /// dbt's source freshness settings at one level (a source, or one of its tables): `loaded_at_field` and
    /// `freshness` there or under `config:`. `freshness: null` switches freshness off below it.
    struct FreshnessSettings {
        var loadedAtField: String?
        var freshness: Node??
        var location: SourceLocation?

        /// This level over the one above it.
        func over(_ parent: FreshnessSettings) -> FreshnessSettings {
            FreshnessSettings(loadedAtField: loadedAtField ?? parent.loadedAtField, freshness: freshness ?? parent.freshness, location: location ?? parent.location)
        }
    }

    /// Reads `loaded_at_field`/`freshness` (or their `config:` form) into `settings`; false for other keys.
    private func freshnessKey(_ key: String, _ value: Node, _ loc: SourceLocation?, into settings: inout FreshnessSettings) throws -> Bool {
        switch key {
        case "loaded_at_field": settings.loadedAtField = try reader.string(value, what: "loaded_at_field")
        case "freshness":
            if case .scalar(let s) = value, s.string == "null" || s.string == "~" || s.string.isEmpty { settings.freshness = .some(nil) }
            else { settings.freshness = .some(value) }
            settings.location = loc
        case "config":
            guard case .mapping = value else { return false }
            for (k, v, l) in try reader.mapping(value, what: "config") where k == "loaded_at_field" || k == "freshness" {
                _ = try freshnessKey(k, v, l, into: &settings)
            }
            return false   // the rest of config is read (or ignored) as before
        default: return false
        }
        return true
    }

    /// The resolved freshness of a table: `{warn_after, error_after, filter}` with the loaded_at_field.
    private func resolvedFreshness(_ s: FreshnessSettings, table: String) throws -> (Freshness, String?)? {
        guard case .some(.some(let node)) = s.freshness else { return nil }
        var warn: Int?, error: Int?, filter: String?
        let durations = ContractParser(reader: reader)
        for (k, v, l) in try reader.mapping(node, what: "freshness") {
            switch k {
            case "warn_after": if case .mapping = v { warn = try durations.duration(v) }
            case "error_after": if case .mapping = v { error = try durations.duration(v) }
            case "filter": filter = try reader.string(v, what: "filter")
            default: throw reader.unknownKey(k, at: l, known: ["warn_after", "error_after", "filter"], in: "freshness")
            }
        }
        guard warn != nil || error != nil else { return nil }
        guard let column = s.loadedAtField else {
            throw Diagnostic(code: .missingName, "source table '\(table)' has freshness but no loaded_at_field: name the timestamp column it checks", at: s.location)
        }
        return (Freshness(column: column, warnAfter: warn, errorAfter: error, at: s.location), filter)
    }

    private func sources(_ node: Node) throws -> [SourceTable] {
        var name: String?
        var schema: String?, database: String?, description = ""
        var tables: [Node] = []
        var sourceFreshness = FreshnessSettings()
        for (key, value, loc) in try reader.mapping(node, what: "source") {
            if try freshnessKey(key, value, loc, into: &sourceFreshness) { continue }
            switch key {
            case "name": name = try reader.string(value, what: "source name")
            case "schema": schema = try reader.string(value, what: "schema")
            case "database": database = try reader.string(value, what: "database")
            case "description": description = try reader.string(value, what: "description")
            case "tables": tables = try reader.sequence(value, what: "tables")
            default:
                if !Self.sourceKeys.contains(key) { throw reader.unknownKey(key, at: loc, known: Self.sourceKeys, in: "source") }
            }
        }
        guard let name else { throw Diagnostic(code: .missingName, "a source needs a name", at: reader.location(node)) }
        _ = description
        return try tables.map { t in
            var table = SourceTable(sourceName: name, tableName: "", schema: schema, database: database, location: reader.location(t))
            var tableFreshness = FreshnessSettings()
            for (key, value, loc) in try reader.mapping(t, what: "source table") {
                if try freshnessKey(key, value, loc, into: &tableFreshness) { continue }
                switch key {
                case "name": table.tableName = try reader.string(value, what: "table name")
                case "identifier": table.identifier = try reader.string(value, what: "identifier")
                case "description": table.description = try reader.string(value, what: "description")
                default:
                    if !Self.tableKeys.contains(key) { throw reader.unknownKey(key, at: loc, known: Self.tableKeys, in: "source table") }
                }
            }
            if table.tableName.isEmpty { throw Diagnostic(code: .missingName, "a source table needs a name", at: reader.location(t)) }
            if let (freshness, filter) = try resolvedFreshness(tableFreshness.over(sourceFreshness), table: "\(name).\(table.tableName)") {
                (table.freshness, table.freshnessFilter) = (freshness, filter)
            }
            return table
        }
    }
}
