import Basics

/// The diagnostic codes Packages reports: each means one thing (the README lists them all).
extension DiagnosticCode {
    public static let hostilePackage = DiagnosticCode("S1507", "a package archive, URL or revision that could escape its folder or become a git option was refused")
    public static let packageUnavailable = DiagnosticCode("S1501", "a declared local package has no dbt project, or two packages share a name")
    public static let packageDownloadFailed = DiagnosticCode("S1504", "a package cannot be downloaded: a git clone, the hub's index or a tarball failed (the cause follows)")
    public static let packageVersionConflict = DiagnosticCode("S1505", "no release of a hub package satisfies every version range asked of it")
    public static let unpinnedPackage = DiagnosticCode("S1506", "a git package is not pinned to a revision (a warning, as in dbt; `warn-unpinned: false` silences it)")
    public static let cannotInstall = DiagnosticCode("S1503", "the packages folder cannot be written; the previous install is kept")
}
