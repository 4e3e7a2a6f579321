import Foundation

/// Writes ConfigValue trees as JSON, keys in the order given: deterministic, and fast for 40 MB manifests
/// (it appends bytes and copies runs of characters that need no escaping in one go).
public enum JSONWriter {
    public static func write(_ v: ConfigValue, pretty: Bool = true) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(1 << 20)
        emit(v, &out, pretty ? 0 : nil)
        out.append(0x0A)
        return String(decoding: out, as: UTF8.self)
    }

    /// A pretty-printed object written member by member into a buffer, in the same format as `write`.
    package struct ObjectStream {
        package let level: Int
        package var empty = true

        package init(level: Int, into out: inout [UInt8]) {
            self.level = level
            out.append(UInt8(ascii: "{"))
        }

        /// Writes `"key": ` and then whatever `value` writes (a value at `level + 1`).
        package mutating func member(_ key: String, into out: inout [UInt8], _ value: (inout [UInt8]) -> Void) {
            if !empty { out.append(UInt8(ascii: ",")) }
            empty = false
            JSONWriter.newline(&out, level + 1)
            JSONWriter.quote(key, &out)
            out.append(contentsOf: ": ".utf8)
            value(&out)
        }

        package func end(into out: inout [UInt8]) {
            if !empty { JSONWriter.newline(&out, level) }
            out.append(UInt8(ascii: "}"))
        }
    }

    package static func newline(_ out: inout [UInt8], _ level: Int) {
        out.append(0x0A)
        out.append(contentsOf: repeatElement(0x20, count: level * 2))
    }

    package static func emit(_ v: ConfigValue, _ out: inout [UInt8], _ level: Int?) {
        switch v {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
        case .int(let i): out.append(contentsOf: String(i).utf8)
        case .double(let d): out.append(contentsOf: (d.isFinite ? String(d) : "null").utf8)
        case .string(let s): quote(s, &out)
        case .list(let l):
            if l.isEmpty { out.append(contentsOf: "[]".utf8); return }
            out.append(UInt8(ascii: "["))
            for (i, x) in l.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if let level { newline(&out, level + 1) }
                emit(x, &out, level.map { $0 + 1 })
            }
            if let level { newline(&out, level) }
            out.append(UInt8(ascii: "]"))
        case .dict(let d):
            if d.isEmpty { out.append(contentsOf: "{}".utf8); return }
            out.append(UInt8(ascii: "{"))
            for (i, e) in d.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                if let level { newline(&out, level + 1) }
                quote(e.key, &out)
                out.append(UInt8(ascii: ":"))
                if level != nil { out.append(0x20) }
                emit(e.value, &out, level.map { $0 + 1 })
            }
            if let level { newline(&out, level) }
            out.append(UInt8(ascii: "}"))
        }
    }

    package static func quote(_ s: String, _ out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        var s = s
        s.withUTF8 { buf in
            var runStart = 0
            for i in 0..<buf.count {
                let b = buf[i]
                guard b < 0x20 || b == 0x22 || b == 0x5C else { continue }
                if runStart < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[runStart..<i])) }
                switch b {
                case 0x22: out.append(contentsOf: "\\\"".utf8)
                case 0x5C: out.append(contentsOf: "\\\\".utf8)
                case 0x0A: out.append(contentsOf: "\\n".utf8)
                case 0x0D: out.append(contentsOf: "\\r".utf8)
                case 0x09: out.append(contentsOf: "\\t".utf8)
                default: out.append(contentsOf: String(format: "\\u%04x", b).utf8)
                }
                runStart = i + 1
            }
            if runStart < buf.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[runStart..<buf.count])) }
        }
        out.append(UInt8(ascii: "\""))
    }
}

/// Builds ordered JSON objects tersely.
package struct Obj {
    package var entries: [ConfigEntry] = []
    package init() {}
    package mutating func set(_ key: String, _ value: ConfigValue) { entries.append(ConfigEntry(key, value)) }
    package var value: ConfigValue { .dict(entries) }
}

extension ConfigValue {
    package static func str(_ s: String?) -> ConfigValue { s.map { .string($0) } ?? .null }
    package static func strings(_ xs: [String]) -> ConfigValue { .list(xs.map { .string($0) }) }
    /// The same value with dict keys sorted (config dicts come from hash maps).
    package var sortedKeys: ConfigValue {
        switch self {
        case .dict(let d): return .dict(d.sorted { $0.key < $1.key }.map { ConfigEntry($0.key, $0.value.sortedKeys) })
        case .list(let l): return .list(l.map(\.sortedKeys))
        default: return self
        }
    }
}
