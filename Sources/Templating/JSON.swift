import Basics
import Foundation

/// JSON conversion for `tojson`/`fromjson`, keeping dict order.
public enum JSON {
    public static func encode(_ v: Value, indent: Int? = nil, sortKeys: Bool = false) -> String {
        var out = ""
        write(v, into: &out, indent: indent, level: 0, sortKeys: sortKeys)
        return out
    }

    static func write(_ v: Value, into out: inout String, indent: Int?, level: Int, sortKeys: Bool) {
        let nl = indent.map { "\n" + String(repeating: " ", count: $0 * (level + 1)) } ?? ""
        let close = indent.map { "\n" + String(repeating: " ", count: $0 * level) } ?? ""
        switch v {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += d.isFinite ? (d == d.rounded() && abs(d) < 1e16 ? String(format: "%.1f", d) : "\(d)") : "null"
        case .string(let s): out += quote(s)
        case .list(let l):
            if l.items.isEmpty { out += "[]"; return }
            out += "["
            for (i, x) in l.items.enumerated() {
                if i > 0 { out += indent == nil ? ", " : "," }
                out += nl
                write(x, into: &out, indent: indent, level: level + 1, sortKeys: sortKeys)
            }
            out += close + "]"
        case .dict(let d):
            if d.keys.isEmpty { out += "{}"; return }
            out += "{"
            let keys = sortKeys ? d.keys.sorted() : d.keys
            for (i, k) in keys.enumerated() {
                if i > 0 { out += indent == nil ? ", " : "," }
                out += nl + quote(k) + ": "
                write(d[k]!, into: &out, indent: indent, level: level + 1, sortKeys: sortKeys)
            }
            out += close + "}"
        default: out += quote(v.stringValue)
        }
    }

    public static func quote(_ s: String) -> String { PythonJSON.quote(s) }

    public static func decode(_ s: String) throws -> Value {
        let obj = try JSONSerialization.jsonObject(with: Data(s.utf8), options: [.fragmentsAllowed])
        return fromFoundation(obj)
    }

    public static func fromFoundation(_ obj: Any) -> Value {
        switch obj {
        case let s as String: return .string(s)
        case let n as NSNumber:
            if String(cString: n.objCType) == "c" { return .bool(n.boolValue) }
            if n.doubleValue == Double(n.intValue), !"\(n)".contains(".") { return .int(n.intValue) }
            return .double(n.doubleValue)
        case let a as [Any]: return .list(a.map(fromFoundation))
        case let d as [String: Any]: return .dict(d.keys.sorted().map { ($0, fromFoundation(d[$0]!)) })
        default: return .none
        }
    }
}
