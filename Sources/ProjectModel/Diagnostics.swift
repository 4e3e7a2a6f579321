import Basics

/// The diagnostic codes ProjectModel reports: each means one thing (the README lists them all).
extension DiagnosticCode {
    public static let invalidContractType = DiagnosticCode("K6008", "a contract's data_type is not written like a PostgreSQL type name")
}
