import Foundation
import ProjectModel

/// Writes ConfigValue trees as JSON, keys in the order given: deterministic and fast for large manifests.
public enum JSONWriter {
    public static func write(_ v: ConfigValue, pretty: Bool = true) -> String {
        var out = ""
        out.reserveCapacity(1 << 16)
        emit(v, &out, pretty ? 0 : nil)
        out += "\n"
        return out
    }

    static func emit(_ v: ConfigValue, _ out: inout String, _ level: Int?) {
        let nl = level.map { "\n" + String(repeating: "  ", count: $0 + 1) } ?? ""
        let close = level.map { "\n" + String(repeating: "  ", count: $0) } ?? ""
        let next = level.map { $0 + 1 }
        switch v {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += d.isFinite ? String(d) : "null"
        case .string(let s): quote(s, &out)
        case .list(let l):
            if l.isEmpty { out += "[]"; return }
            out += "["
            for (i, x) in l.enumerated() {
                if i > 0 { out += "," }
                out += nl
                emit(x, &out, next)
            }
            out += close + "]"
        case .dict(let d):
            if d.isEmpty { out += "{}"; return }
            out += "{"
            for (i, e) in d.enumerated() {
                if i > 0 { out += "," }
                out += nl
                quote(e.key, &out)
                out += level == nil ? ":" : ": "
                emit(e.value, &out, next)
            }
            out += close + "}"
        }
    }

    static func quote(_ s: String, _ out: inout String) {
        out += "\""
        var needsEscape = false
        for b in s.utf8 where b < 0x20 || b == 0x22 || b == 0x5C { needsEscape = true; break }
        if !needsEscape { out += s; out += "\""; return }
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
            }
        }
        out += "\""
    }
}

/// Builds ordered JSON objects tersely.
struct Obj {
    var entries: [ConfigEntry] = []
    mutating func set(_ key: String, _ value: ConfigValue) { entries.append(ConfigEntry(key, value)) }
    var value: ConfigValue { .dict(entries) }
}

extension ConfigValue {
    static func str(_ s: String?) -> ConfigValue { s.map { .string($0) } ?? .null }
    static func strings(_ xs: [String]) -> ConfigValue { .list(xs.map { .string($0) }) }
    /// The same value with dict keys sorted (config dicts come from hash maps).
    var sortedKeys: ConfigValue {
        switch self {
        case .dict(let d): return .dict(d.sorted { $0.key < $1.key }.map { ConfigEntry($0.key, $0.value.sortedKeys) })
        case .list(let l): return .list(l.map(\.sortedKeys))
        default: return self
        }
    }
}
