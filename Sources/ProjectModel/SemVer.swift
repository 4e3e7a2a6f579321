/// dbt's package versions (semver) and version ranges, as `dbt deps` reduces them: every specifier of a package,
/// from the project and from other packages, narrows one range; the highest installable version in it wins.
public struct SemVer: Comparable, Hashable, Sendable, CustomStringConvertible {
    public var major: Int, minor: Int, patch: Int
    public var prerelease: String?

    public init?(_ text: String) {
        var s = Substring(text.trimmingCharacters(in: .whitespaces))
        if s.hasPrefix("v") { s = s.dropFirst() }
        let build = s.split(separator: "+", maxSplits: 1).first ?? ""
        let parts = build.split(separator: "-", maxSplits: 1)
        let numbers = (parts.first ?? "").split(separator: ".")
        guard (1...3).contains(numbers.count), let major = Int(numbers[0]) else { return nil }
        self.major = major
        minor = numbers.count > 1 ? Int(numbers[1]) ?? -1 : 0
        patch = numbers.count > 2 ? Int(numbers[2]) ?? -1 : 0
        guard minor >= 0, patch >= 0 else { return nil }
        prerelease = parts.count > 1 ? String(parts[1]) : nil
    }

    public var description: String { "\(major).\(minor).\(patch)" + (prerelease.map { "-\($0)" } ?? "") }

    public static func < (a: SemVer, b: SemVer) -> Bool {
        if (a.major, a.minor, a.patch) != (b.major, b.minor, b.patch) { return (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch) }
        switch (a.prerelease, b.prerelease) {
        case (nil, nil), (nil, _?): return false
        case (_?, nil): return true
        case (let x?, let y?):
            // dot-separated identifiers: numbers by value, below words
            for (p, q) in zip(x.split(separator: "."), y.split(separator: ".")) where p != q {
                switch (Int(p), Int(q)) {
                case (let m?, let n?): return m < n
                case (_?, nil): return true
                case (nil, _?): return false
                default: return p < q
                }
            }
            return x.split(separator: ".").count < y.split(separator: ".").count
        }
    }
}

/// A range of versions with inclusive or exclusive ends; nil ends are open.
public struct VersionRange: Equatable, Sendable {
    public var lower: (SemVer, inclusive: Bool)?
    public var upper: (SemVer, inclusive: Bool)?

    public static func == (a: VersionRange, b: VersionRange) -> Bool {
        a.lower?.0 == b.lower?.0 && a.lower?.inclusive == b.lower?.inclusive && a.upper?.0 == b.upper?.0 && a.upper?.inclusive == b.upper?.inclusive
    }

    /// One specifier: `1.3.0` or `=1.3.0` (exactly), `>=1.0.0`, `>1.0`, `<2.0.0`, `<=1.9`.
    public init?(specifier: String) {
        let s = specifier.trimmingCharacters(in: .whitespaces)
        for op in [">=", "<=", ">", "<", "="] where s.hasPrefix(op) {
            guard let v = SemVer(String(s.dropFirst(op.count))) else { return nil }
            switch op {
            case ">=": lower = (v, true)
            case ">": lower = (v, false)
            case "<=": upper = (v, true)
            case "<": upper = (v, false)
            default: lower = (v, true); upper = (v, true)
            }
            return
        }
        guard let v = SemVer(s) else { return nil }
        lower = (v, true)
        upper = (v, true)
    }

    public init(lower: (SemVer, inclusive: Bool)? = nil, upper: (SemVer, inclusive: Bool)? = nil) {
        self.lower = lower
        self.upper = upper
    }

    /// The range both allow; nil when they do not overlap.
    public func intersecting(_ other: VersionRange) -> VersionRange? {
        var r = self
        if let l = other.lower, r.lower.map({ l.0 > $0.0 || (l.0 == $0.0 && !l.inclusive) }) ?? true { r.lower = l }
        if let u = other.upper, r.upper.map({ u.0 < $0.0 || (u.0 == $0.0 && !u.inclusive) }) ?? true { r.upper = u }
        if let l = r.lower, let u = r.upper, l.0 > u.0 || (l.0 == u.0 && !(l.inclusive && u.inclusive)) { return nil }
        return r
    }

    public func contains(_ v: SemVer) -> Bool {
        if let l = lower, v < l.0 || (v == l.0 && !l.inclusive) { return false }
        if let u = upper, v > u.0 || (v == u.0 && !u.inclusive) { return false }
        return true
    }

    public var description: String {
        [lower.map { ($0.inclusive ? ">=" : ">") + $0.0.description }, upper.map { ($0.inclusive ? "<=" : "<") + $0.0.description }]
            .compactMap { $0 }.joined(separator: ", ")
    }
}
