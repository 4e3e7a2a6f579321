import Foundation
import Basics
import ProjectModel

/// Typed specs from merged configs: the one place config keys are read and their values checked. Every invalid value
/// is a diagnostic at the line and column where it is written (or the node's file when it has no location).
struct SpecReader {
    let config: [String: ConfigValue]
    let locations: [String: SourceLocation]
    /// The node's name and file, for messages and fallback locations.
    let name: String
    let path: String

    func at(_ key: String) -> SourceLocation { locations[key] ?? SourceLocation(file: path, line: 1, column: 1) }

    func string(_ key: String) -> String? { config[key]?.asString }

    /// A string that must be one of `options` (nil when unset).
    func choice<T: RawRepresentable & CaseIterable>(_ key: String, _ type: T.Type, code: DiagnosticCode) throws -> T? where T.RawValue == String {
        guard let v = config[key] else { return nil }
        let options = T.allCases.map(\.rawValue)
        guard let text = v.asString, let value = T(rawValue: text) else {
            var msg = "\(key) '\(v.asString ?? "\(v)")' for '\(name)' is not one of \(options.joined(separator: ", "))"
            if let s = v.asString.flatMap({ Suggestion.closest(to: $0, in: options) }) { msg += "; did you mean '\(s)'?" }
            throw Diagnostic(code: code, msg, at: at(key))
        }
        return value
    }

    /// A column list from a string (`'a, b'`) or a list.
    func columns(_ key: String) -> [String] {
        config[key]?.stringList.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
    }

    func bool(_ key: String, code: DiagnosticCode) throws -> Bool? {
        guard let v = config[key] else { return nil }
        guard let b = v.asBool else { throw Diagnostic(code: code, "\(key) for '\(name)' must be true or false", at: at(key)) }
        return b
    }

    // MARK: specs

    /// A model's materialization, with its incremental or microbatch configs.
    func materialization() throws -> ModelSpec.Materialization {
        let text = string("materialized") ?? "view"
        switch text {
        case "view": return .view
        case "table": return .table
        case "ephemeral": return .ephemeral
        case "incremental": break
        default:
            let known = ["view", "table", "ephemeral", "incremental"]
            var msg = "unknown materialization '\(text)' for model '\(name)'"
            if let s = Suggestion.closest(to: text, in: known) { msg += "; did you mean '\(s)'?" }
            else { msg += " (expected one of: \(known.joined(separator: ", ")))" }
            throw Diagnostic(code: .unknownMaterialization, msg, at: at("materialized"))
        }
        let onSchemaChange = try choice("on_schema_change", IncrementalSpec.SchemaChange.self, code: .invalidIncrementalConfig) ?? .ignore
        if string("incremental_strategy") == "microbatch" { return .microbatch(try microbatch()) }
        let strategy = try choice("incremental_strategy", IncrementalSpec.Strategy.self, code: .invalidIncrementalConfig)
            ?? (config["unique_key"] == nil ? .append : .merge)
        return .incremental(IncrementalSpec(strategy: strategy, uniqueKey: columns("unique_key"), onSchemaChange: onSchemaChange,
                                            predicates: config["incremental_predicates"]?.stringList ?? [],
                                            mergeUpdateColumns: config["merge_update_columns"]?.stringList,
                                            mergeExcludeColumns: config["merge_exclude_columns"]?.stringList ?? []))
    }

    func microbatch() throws -> MicrobatchConfig {
        guard let eventTime = string("event_time"), !eventTime.isEmpty else {
            throw Diagnostic(code: .invalidMicrobatchConfig, "microbatch model '\(name)' needs event_time='<column>'", at: at("incremental_strategy"))
        }
        guard let size = try choice("batch_size", MicrobatchConfig.BatchSize.self, code: .invalidMicrobatchConfig) else {
            throw Diagnostic(code: .invalidMicrobatchConfig, "microbatch model '\(name)' needs batch_size='hour', 'day', 'month' or 'year'", at: at("incremental_strategy"))
        }
        var begin: Date?
        if let v = config["begin"] {
            guard let text = v.asString, let d = MicrobatchConfig.parseDate(text) else {
                throw Diagnostic(code: .invalidMicrobatchConfig, "begin for '\(name)' must be a date like '2024-01-01' or '2024-01-01 00:00:00'", at: at("begin"))
            }
            begin = d
        }
        var lookback = 1
        if let v = config["lookback"] {
            guard let n = v.asInt, n >= 0 else {
                throw Diagnostic(code: .invalidMicrobatchConfig, "lookback for '\(name)' must be a whole number of batches (0 or more)", at: at("lookback"))
            }
            lookback = n
        }
        return MicrobatchConfig(eventTime: eventTime, batchSize: size, begin: begin, lookback: lookback)
    }

    /// Grants and persist_docs (hooks are rendered later, in the node's context).
    func buildSettings() throws -> BuildSettings {
        var settings = BuildSettings()
        if let g = config["grants"] {
            guard let entries = g.asDict else {
                throw Diagnostic(code: .invalidGrants, "grants on '\(name)' must be a mapping of privilege to roles, like {select: [reporter]}", at: at("grants"))
            }
            for e in entries {
                let privilege = e.key.lowercased()
                guard Grant.privileges.contains(privilege) else {
                    var msg = "grants on '\(name)': '\(e.key)' is not a table privilege (\(Grant.privileges.joined(separator: ", ")))"
                    if let s = Suggestion.closest(to: privilege, in: Grant.privileges) { msg += "; did you mean '\(s)'?" }
                    throw Diagnostic(code: .invalidGrants, msg, at: e.location ?? at("grants"))
                }
                settings.grants.append(Grant(privilege: privilege, roles: e.value.stringList))
            }
        }
        if let docs = config["persist_docs"] {
            settings.persistDocs = PersistDocs(relation: docs["relation"]?.asBool == true, columns: docs["columns"]?.asBool == true)
        }
        return settings
    }

    func seed(dbtTypes: Bool) throws -> SeedSpec {
        var delimiter = UInt8(ascii: ",")
        if let d = config["delimiter"] {
            guard let s = d.asString, s.utf8.count == 1, let b = s.utf8.first, b != 0x22, b != 0x0A, b != 0x0D else {
                throw Diagnostic(code: .invalidSeedConfig, "seed '\(name)': delimiter must be a single character other than a quote or a newline", at: at("delimiter"))
            }
            delimiter = b
        }
        var types: [SeedSpec.ColumnType] = []
        if let v = config["column_types"] {
            guard let entries = v.asDict else {
                throw Diagnostic(code: .invalidSeedConfig, "column_types for seed '\(name)' must map column names to types, like {amount: 'numeric(12,2)'}", at: at("column_types"))
            }
            for e in entries {
                guard let t = e.value.asString else {
                    throw Diagnostic(code: .invalidSeedConfig, "column_types for seed '\(name)': the type of '\(e.key)' must be a string", at: e.location ?? at("column_types"))
                }
                types.append(SeedSpec.ColumnType(column: e.key, type: t, location: e.location ?? locations["column_types"]))
            }
        }
        var spec = SeedSpec(delimiter: delimiter, quoteColumns: try bool("quote_columns", code: .invalidSeedConfig) ?? true, columnTypes: types,
                            build: try buildSettings())
        spec.dbtTypes = dbtTypes
        return spec
    }

    /// dbt's snapshot configs; `dbtNames` picks dbt's `dbt_`-prefixed meta columns (dbt projects).
    func snapshot(dbtNames: Bool) throws -> SnapshotSpec {
        guard let strategy = try choice("strategy", SnapshotSpec.Strategy.self, code: .invalidSnapshotConfig) else {
            throw Diagnostic(code: .invalidSnapshotConfig, "snapshot '\(name)' needs strategy='timestamp' or strategy='check'", at: at("strategy"))
        }
        guard config["unique_key"] != nil else { throw Diagnostic(code: .invalidSnapshotConfig, "snapshot '\(name)' needs a unique_key", at: at("strategy")) }
        if strategy == .timestamp, string("updated_at") == nil {
            throw Diagnostic(code: .invalidSnapshotConfig, "snapshot '\(name)' uses strategy='timestamp' and needs updated_at='<column>'", at: at("strategy"))
        }
        if strategy == .check, config["check_cols"] == nil {
            throw Diagnostic(code: .invalidSnapshotConfig, "snapshot '\(name)' uses strategy='check' and needs check_cols (a list, or 'all')", at: at("strategy"))
        }
        var hardDeletes = try choice("hard_deletes", SnapshotSpec.HardDeletes.self, code: .invalidSnapshotConfig) ?? .ignore
        if try bool("invalidate_hard_deletes", code: .invalidSnapshotConfig) == true { hardDeletes = .invalidate }
        var names: [String: String] = [:]
        for e in config["snapshot_meta_column_names"]?.asDict ?? [] { if let v = e.value.asString { names[e.key] = v } }
        var spec = SnapshotSpec(strategy: strategy, uniqueKey: columns("unique_key"), updatedAt: string("updated_at"),
                                checkColumns: string("check_cols") == "all" ? nil : config["check_cols"]?.stringList, hardDeletes: hardDeletes,
                                columnPrefix: dbtNames ? "dbt_" : "", columnNames: names)
        spec.build = try buildSettings()
        return spec
    }

    /// dbt puts `warn_if`/`error_if` into SQL after `fail_calc`: any SQL comparison with a number.
    static let thresholdPattern = #"^\s*(=|!=|<>|>=|<=|>|<)\s*-?[0-9]+(\.[0-9]+)?\s*$"#

    /// A data test's severity, thresholds, limit and store_failures.
    func judgement(at loc: SourceLocation) throws -> TestJudgement {
        var j = TestJudgement()
        if let sev = config["severity"] {
            guard let s = sev.asString.flatMap({ TestJudgement.Severity(rawValue: $0.lowercased()) }) else {
                throw Diagnostic(code: .invalidTestConfig, "severity must be 'error' or 'warn'", at: loc)
            }
            j.severity = s
        }
        for key in ["warn_if", "error_if"] {
            guard let v = config[key] else { continue }
            guard let text = v.asString, text.range(of: Self.thresholdPattern, options: .regularExpression) != nil else {
                var message = "\(key) must be an SQL comparison with a number, like \">10\", \"=0\" or \"!=0\""
                if v.asString?.trimmedWhitespace.hasPrefix("==") == true { message += "; SQL compares with '=', not '=='" }
                throw Diagnostic(code: .invalidTestConfig, message, at: locations[key] ?? loc)
            }
            if key == "warn_if" { j.warnIf = text } else { j.errorIf = text }
        }
        if let l = config["limit"] {
            guard let n = l.asInt else { throw Diagnostic(code: .invalidTestConfig, "limit must be a number", at: loc) }
            j.limit = n
        }
        if let f = config["fail_calc"] {
            guard let text = f.asString, !text.trimmedWhitespace.isEmpty else {
                throw Diagnostic(code: .invalidTestConfig, "fail_calc must be an SQL expression over the test's rows, like \"count(*)\" or \"sum(n)\"", at: loc)
            }
            j.failCalc = text
        }
        if let s = config["store_failures"] {
            guard let b = s.asBool else { throw Diagnostic(code: .invalidTestConfig, "store_failures must be true or false", at: loc) }
            j.storeFailures = b
        }
        return j
    }

    /// `meta`, `group` and `access`, for the docs.
    func docsFields(into node: inout CompiledNode) {
        node.meta = config["meta"]?.asDict ?? []
        node.group = string("group")
        node.access = string("access")
    }
}
