/// Strata's own version, written into artifacts.
public enum StrataVersion {
    public static let current = "0.1.0"
}
