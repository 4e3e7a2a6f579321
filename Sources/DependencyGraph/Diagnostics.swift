import Basics

/// The diagnostic codes DependencyGraph reports: each means one thing (the README lists them all).
extension DiagnosticCode {
    public static let dependencyCycle = DiagnosticCode("G2001", "the models' refs form a cycle")
    public static let emptySelector = DiagnosticCode("G3001", "a selector is empty")
    public static let invalidSelector = DiagnosticCode("G3002", "a selector matches no node or uses an unknown method")
}
