import Basics

/// The diagnostic codes Contracts reports: each means one thing (the README lists them all).
extension DiagnosticCode {
    public static let unknownContractType = DiagnosticCode("K6019", "a contract's data_type is not a type PostgreSQL knows")
    public static let contractCheckFailed = DiagnosticCode("K6020", "a contracted model cannot be checked before the build (a database error)")
    public static let contractCheckDeferred = DiagnosticCode("K6021", "a contract checked when built, because an input does not exist yet (note)")
    public static let contractBroken = DiagnosticCode("K6022", "a model's SQL breaks its contract, found before anything is built")
}
