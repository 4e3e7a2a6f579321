/// Did-you-mean suggestions for unknown names.
public enum Suggestion {
    /// The closest candidate within a small edit distance, if any: one edit for names of up to four characters (so
    /// `doc` is not offered `dbt`), else one per three characters (at least two); a name cut short (`uniq`, `stat`)
    /// finds the name it starts.
    public static func closest(to name: String, in candidates: some Sequence<String>) -> String? {
        var best: (String, Int)?
        let lowered = name.lowercased()
        let limit = name.count <= 4 ? 1 : max(2, name.count / 3)
        for c in candidates {
            let other = c.lowercased()
            let d = distance(lowered, other)
            let truncated = lowered.count >= 3 && other.hasPrefix(lowered)
            // (ties go to the name that sorts first, so the suggestion does not depend on the candidates' order)
            if d <= limit || truncated, best == nil || d < best!.1 || (d == best!.1 && c < best!.0) { best = (c, d) }
        }
        return best?.0
    }

    /// Edits between `a` and `b`: insertions, deletions, substitutions and transpositions of neighbours (`bsae`
    /// is one edit from `base`), each counting one.
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var before = [Int](repeating: 0, count: b.count + 1)
        var prev = Array(0...b.count)
        var cur = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            cur[0] = i
            for j in 1...b.count {
                cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { cur[j] = min(cur[j], before[j - 2] + 1) }
            }
            (before, prev, cur) = (prev, cur, before)
        }
        return prev[b.count]
    }
}
