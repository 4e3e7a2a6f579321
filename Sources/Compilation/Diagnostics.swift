import Basics

/// The codes of the configuration problems Compilation reports when it resolves node specs.
extension DiagnosticCode {
    public static let unknownMaterialization = DiagnosticCode("C3001", "a model's `materialized` is not view, table, ephemeral or incremental")
    public static let invalidIncrementalConfig = DiagnosticCode("C3002", "an incremental model's incremental_strategy or on_schema_change is not one dbt knows")
    public static let invalidSnapshotConfig = DiagnosticCode("C3006", "a snapshot's strategy, unique_key, updated_at, check_cols or hard_deletes is missing or invalid")
    public static let invalidMicrobatchConfig = DiagnosticCode("C3009", "a microbatch model's event_time, batch_size, begin or lookback is missing or invalid")
    public static let invalidGrants = DiagnosticCode("C3010", "a `grants:` config is not a mapping of table privileges to roles")
    public static let invalidSeedConfig = DiagnosticCode("C3011", "a seed's delimiter, quote_columns or column_types is invalid")
    public static let invalidTestConfig = DiagnosticCode("C4002", "a test's severity, warn_if, error_if, limit or store_failures is invalid")

    /// Every code Compilation declares here (for the README's table and its test).
    public static let compilationCodes: [DiagnosticCode] = [
        .unknownMaterialization, .invalidIncrementalConfig, .invalidSnapshotConfig, .invalidMicrobatchConfig, .invalidGrants, .invalidSeedConfig,
        .invalidTestConfig,
    ]
}
