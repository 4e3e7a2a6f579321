import Basics

/// A configuration value from YAML or a template's `config(...)`: JSON-shaped, ordered, Sendable.
public indirect enum ConfigValue: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case list([ConfigValue])
    case dict([ConfigEntry])

    public var asString: String? { if case .string(let s) = self { return s } else { return nil } }
    public var asBool: Bool? {
        switch self {
        case .bool(let b): return b
        case .string(let s): return ["true", "yes", "on"].contains(s.lowercased()) ? true : ["false", "no", "off"].contains(s.lowercased()) ? false : nil
        default: return nil
        }
    }
    public var asInt: Int? { if case .int(let i) = self { return i } else { return nil } }
    public var asList: [ConfigValue]? { if case .list(let l) = self { return l } else { return nil } }
    public var asDict: [ConfigEntry]? { if case .dict(let d) = self { return d } else { return nil } }

    public subscript(key: String) -> ConfigValue? {
        asDict?.last { $0.key == key }?.value
    }

    /// A single value as YAML writes it (`1.3.0`, `12`, `true`); nil for null, lists and dicts.
    public var scalarText: String? {
        switch self {
        case .string(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .bool(let b): return b ? "true" : "false"
        default: return nil
        }
    }

    /// A list of strings from a string or a list (dbt accepts both for tags).
    public var stringList: [String] {
        switch self {
        case .string(let s): return [s]
        case .list(let l): return l.compactMap(\.asString)
        default: return []
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .int(let i): try c.encode(i)
        case .double(let d): try c.encode(d)
        case .string(let s): try c.encode(s)
        case .list(let l): try c.encode(l)
        case .dict(let d):
            var keyed = encoder.container(keyedBy: DynamicKey.self)
            for e in d { try keyed.encode(e.value, forKey: DynamicKey(e.key)) }
        }
    }

    public init(from decoder: Decoder) throws {
        if let keyed = try? decoder.container(keyedBy: DynamicKey.self) {
            self = .dict(try keyed.allKeys.map { ConfigEntry($0.stringValue, try keyed.decode(ConfigValue.self, forKey: $0)) })
            return
        }
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let i = try? c.decode(Int.self) { self = .int(i) }
        else if let d = try? c.decode(Double.self) { self = .double(d) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else { self = .list(try c.decode([ConfigValue].self)) }
    }
}

/// One key of a config dict, with where it was written (for diagnostics).
public struct ConfigEntry: Sendable, Hashable, Codable {
    public var key: String
    public var value: ConfigValue
    public var location: SourceLocation?
    public init(_ key: String, _ value: ConfigValue, at location: SourceLocation? = nil) {
        self.key = key
        self.value = value
        self.location = location
    }
    public static func == (a: ConfigEntry, b: ConfigEntry) -> Bool { a.key == b.key && a.value == b.value }
    public func hash(into h: inout Hasher) { h.combine(key); h.combine(value) }
}

struct DynamicKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(_ s: String) { stringValue = s }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
