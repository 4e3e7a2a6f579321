/// Removes secrets from connection strings before they are printed or written anywhere.
public enum Redaction {
    /// Redacts the password in a `postgresql://user:secret@host/db` URL or a `password=secret` keyword string.
    public static func connectionString(_ s: String) -> String {
        var result = s
        if let schemeEnd = result.range(of: "://") {
            let afterScheme = result[schemeEnd.upperBound...]
            if let at = afterScheme.lastIndex(of: "@") {
                let userinfo = result[schemeEnd.upperBound..<at]
                if let colon = userinfo.firstIndex(of: ":") {
                    result.replaceSubrange(result.index(after: colon)..<at, with: "****")
                }
            }
        }
        // keyword=value form, and ?password= in URLs
        for key in ["password=", "password ="] {
            var searchStart = result.startIndex
            while let r = result.range(of: key, options: .caseInsensitive, range: searchStart..<result.endIndex) {
                var end = r.upperBound
                if end < result.endIndex, result[end] == "'" {
                    end = result.index(after: end)
                    while end < result.endIndex, result[end] != "'" { end = result.index(after: end) }
                    if end < result.endIndex { end = result.index(after: end) }
                } else {
                    while end < result.endIndex, !" &".contains(result[end]) { end = result.index(after: end) }
                }
                result.replaceSubrange(r.upperBound..<end, with: "****")
                searchStart = result.index(r.upperBound, offsetBy: 4, limitedBy: result.endIndex) ?? result.endIndex
            }
        }
        return result
    }
}
