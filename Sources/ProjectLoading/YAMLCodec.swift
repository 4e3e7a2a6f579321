import Foundation
import Basics
import ProjectModel
import Yams

/// YAML text ↔ config values, for templates' `fromyaml`/`toyaml` (PyYAML's safe_dump layout).
public enum YAMLCodec {
    /// Parses YAML text; nil for an empty document.
    public static func parse(_ text: String, path: String = "fromyaml") throws -> ConfigValue? {
        let reader = YAMLReader(path: path)
        return try reader.parse(text).map(reader.value)
    }

    /// Block-style YAML as `yaml.safe_dump(value, sort_keys=…)` writes it.
    public static func dump(_ value: ConfigValue, sortKeys: Bool = false) -> String {
        var out = ""
        write(value, indent: 0, into: &out, sortKeys: sortKeys, inSequence: false)
        if !out.hasSuffix("\n") { out += "\n" }
        return out
    }

    static func scalar(_ v: ConfigValue) -> String? {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return d.isFinite ? String(d) : (d.isNaN ? ".nan" : (d < 0 ? "-.inf" : ".inf"))
        case .string(let s):
            let needsQuotes = s.isEmpty || YAMLReader.resolvePlain(s) != .string(s) || s.first.map { " -?:,[]{}#&*!|>'\"%@`".contains($0) } == true
                || s.last == " " || s.contains(": ") || s.contains(" #") || s.contains("\n")
            return needsQuotes ? "'" + s.replacingOccurrences(of: "'", with: "''") + "'" : s
        case .list(let l) where l.isEmpty: return "[]"
        case .dict(let d) where d.isEmpty: return "{}"
        default: return nil
        }
    }

    static func write(_ v: ConfigValue, indent: Int, into out: inout String, sortKeys: Bool, inSequence: Bool) {
        let pad = String(repeating: " ", count: indent)
        switch v {
        case .list(let items) where !items.isEmpty:
            for (i, item) in items.enumerated() {
                out += (i == 0 && inSequence ? "" : pad) + "- "
                if let s = scalar(item) { out += s + "\n" } else { write(item, indent: indent + 2, into: &out, sortKeys: sortKeys, inSequence: true) }
            }
        case .dict(let entries) where !entries.isEmpty:
            let ordered = sortKeys ? entries.sorted { $0.key < $1.key } : entries
            for (i, e) in ordered.enumerated() {
                out += (i == 0 && inSequence ? "" : pad) + (scalar(.string(e.key)) ?? e.key) + ":"
                if let s = scalar(e.value) { out += " " + s + "\n"; continue }
                out += "\n"
                // PyYAML does not indent a sequence under a mapping key
                if case .list = e.value { write(e.value, indent: indent, into: &out, sortKeys: sortKeys, inSequence: false) }
                else { write(e.value, indent: indent + 2, into: &out, sortKeys: sortKeys, inSequence: false) }
            }
        default:
            out += (inSequence ? "" : pad) + (scalar(v) ?? "") + "\n"
        }
    }
}
