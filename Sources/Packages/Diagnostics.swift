import Basics

/// The diagnostic codes Packages reports: each means one thing (the README lists them all).
extension DiagnosticCode {
    public static let packageUnavailable = DiagnosticCode("S1501", "a declared local package has no dbt project, or two packages share a name")
    public static let packageSourceUnsupported = DiagnosticCode("S1502", "a git, tarball or hub package: `strata deps` installs only local packages yet")
    public static let cannotInstall = DiagnosticCode("S1503", "the packages folder cannot be written; the previous install is kept")
}
