/// Python's `json.dumps` string quoting with `ensure_ascii` (its default): what dbt writes and hashes.
public enum PythonJSON {
    public static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || u.value > 0x7E {
                    // beyond the BMP, Python writes the UTF-16 surrogate pair
                    for unit in String(u).utf16 { out += "\\u" + String(repeating: "0", count: 4 - String(unit, radix: 16).count) + String(unit, radix: 16) }
                } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }
}
