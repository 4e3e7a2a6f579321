import Basics

/// The diagnostic codes Commands reports: each means one thing (the README lists them all).
extension DiagnosticCode {
    public static let breakingChange = DiagnosticCode("K6030", "contracts diff: a breaking change")
    public static let allowedBreakingChange = DiagnosticCode("K6031", "contracts diff: a breaking change allowed by a major version bump (note)")
    public static let unverifiedChange = DiagnosticCode("K6032", "contracts diff: a change that could not be verified against the data (warning)")
    public static let nonBreakingChange = DiagnosticCode("K6033", "contracts diff: a non-breaking change (note)")
    public static let cancelled = DiagnosticCode("R4010", "the command was cancelled by SIGINT or SIGTERM")
    public static let cannotWrite = DiagnosticCode("S1201", "an output file (compiled SQL, manifest, docs) cannot be written")
    public static let noRunResults = DiagnosticCode("S1202", "there is no run_results.json to read")
    public static let cannotRetry = DiagnosticCode("S1203", "retry: the last invocation recorded is not one that can be retried")
    public static let nothingToShow = DiagnosticCode("S1204", "show: the selection matches no model, seed or snapshot")
    public static let lockLost = DiagnosticCode("R4013", "a run lost its schema lock (its session ended) and stopped")
    public static let sourceStale = DiagnosticCode("R4014", "source freshness: a source is past error_after, or could not be checked")
    public static let cloneFailed = DiagnosticCode("R4012", "clone: a relation could not be made to read the state's")
    public static let showFailed = DiagnosticCode("R4011", "show: the preview query failed on the database")
    public static let noDocsSite = DiagnosticCode("S1205", "docs serve: there is no generated site, or the address cannot be listened on")
    public static let selectsNothing = DiagnosticCode("G3010", "a selection criterion matches no enabled node (warning)")
    public static let serverError = DiagnosticCode("S1301", "the private PostgreSQL server cannot be started or stopped")
    public static let cannotConnect = DiagnosticCode("S1302", "the database cannot be reached")
    public static let invalidEnvironment = DiagnosticCode("S1402", "an environment variable that sets a flag has an invalid value")
    public static let missingFlag = DiagnosticCode("S1403", "a flag needs another one that was not given (--defer without --state)")
    public static let invalidLogFlag = DiagnosticCode("S1404", "--warn-error-options is not the JSON object dbt reads")
    public static let unsafeClean = DiagnosticCode("S1401", "a clean-targets entry is not a folder inside the project")
    public static let testFailed = DiagnosticCode("T5001", "a data test failed (its failing rows are shown)")
}
