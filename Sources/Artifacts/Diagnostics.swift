import Basics

/// The diagnostic codes Artifacts reports: each means one thing (the README lists them all).
extension DiagnosticCode {
    public static let unreadableState = DiagnosticCode("K6034", "--state is not a folder with a previous build's manifest")
}
