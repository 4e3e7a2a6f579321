import Basics

/// The diagnostic codes Materialization reports: each means one thing (the README lists them all).
extension DiagnosticCode {
    public static let unexpectedBuildError = DiagnosticCode("R4000", "a build failed with an unexpected error (please report it)")
    public static let statementFailed = DiagnosticCode("R4001", "a model's SQL failed on the database (located through the source map)")
    public static let databaseError = DiagnosticCode("R4002", "a database error outside the model's own SQL")
    public static let buildNotPossible = DiagnosticCode("R4003", "a step that cannot run (an unsupported configuration, a missing extension)")
    public static let contractViolated = DiagnosticCode("R4004", "a build violates its contract; the previous relation stays")
    public static let projectHookFailed = DiagnosticCode("R4005", "an on-run-start or on-run-end hook failed")
    public static let unexpectedSeedError = DiagnosticCode("R5000", "a seed failed with an unexpected error (please report it)")
    public static let invalidUTF8 = DiagnosticCode("R5001", "a seed file is not valid UTF-8 text")
    public static let invalidCSVQuoting = DiagnosticCode("R5002", "a seed file's quoting is malformed")
    public static let invalidCSVHeader = DiagnosticCode("R5003", "a seed file's header is missing, has an empty name or repeats a column")
    public static let wrongFieldCount = DiagnosticCode("R5004", "a seed row has a different number of fields than the header")
    public static let unreadableSeed = DiagnosticCode("R5005", "a seed file cannot be read")
    public static let unknownSeedColumn = DiagnosticCode("R5006", "column_types names a column the seed file does not have")
    public static let seedLoadFailed = DiagnosticCode("R5007", "loading a seed failed on the database (located at the row)")
}
