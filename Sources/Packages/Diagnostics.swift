import Basics

/// The diagnostic codes Packages reports: each means one thing (the README lists them all).
extension DiagnosticCode {
    public static let packageUnavailable = DiagnosticCode("S1501", "a declared local package has no dbt project, or two packages share a name")
    public static let packageSourceUnsupported = DiagnosticCode("S1502", "a tarball or hub package: `strata deps` installs only local and git packages yet")
    public static let packageDownloadFailed = DiagnosticCode("S1504", "a git package cannot be cloned or checked out (git's own message follows)")
    public static let cannotInstall = DiagnosticCode("S1503", "the packages folder cannot be written; the previous install is kept")
}
