/// The diagnostic codes Basics reports: each means one thing (the README lists them all).
extension DiagnosticCode {
    public static let unexpected = DiagnosticCode("S0000", "an unexpected error, shown as it was raised (please report it)")
}
