import Basics
import ProjectModel

/// The config keys dbt (and dbt-postgres) know, so that a key one edit or two away from one of them
/// (`materialised`, `uniqe_key`) is a located warning with a did-you-mean, as dbt warns about unexpected config. Other
/// keys are the project's own (dbt passes them through to templates), and stay silent.
enum ConfigKeys {
    static let known: Set<String> = [
        "materialized", "enabled", "tags", "pre_hook", "post_hook", "database", "schema", "alias", "persist_docs", "full_refresh",
        "unique_key", "on_schema_change", "incremental_strategy", "incremental_predicates", "meta", "docs", "contract", "grants",
        "indexes", "unlogged", "sql_header", "column_types", "quote_columns", "delimiter", "strategy", "updated_at", "check_cols",
        "target_schema", "target_database", "invalidate_hard_deletes", "hard_deletes", "snapshot_meta_column_names",
        "dbt_valid_to_current", "severity", "error_if", "warn_if", "store_failures", "store_failures_as", "where", "limit",
        "fail_calc", "group", "access", "event_time", "batch_size", "begin", "lookback", "concurrent_batches", "packages",
        "merge_update_columns", "merge_exclude_columns", "on_configuration_change", "quoting", "labels", "freshness",
        "loaded_at_field", "identifier", "transient", "copy_grants", "sort", "dist", "file_format", "location_root",
    ]

    /// A warning for each key that looks like a misspelt known key.
    static func misspellings(_ config: [String: ConfigValue], _ locations: [String: SourceLocation], path: String) -> [Diagnostic] {
        config.keys.sorted().compactMap { key in
            let normalized = key.replacingOccurrences(of: "-", with: "_")
            guard !known.contains(normalized), let suggestion = Suggestion.closest(to: normalized, in: known), suggestion != normalized else { return nil }
            return Diagnostic(.warning, code: .unknownConfigKey, "config '\(key)' is not one dbt knows; did you mean '\(suggestion)'?",
                              at: locations[key] ?? SourceLocation(file: path, line: 1, column: 1))
        }
    }
}
