import ProjectModel
import Templating

extension Value {
    /// Converts a config value from YAML into a template value.
    public init(_ c: ConfigValue) {
        switch c {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .list(let l): self = .list(l.map(Value.init))
        case .dict(let d): self = .dict(d.map { ($0.key, Value($0.value)) })
        }
    }

    /// Converts a template value into a config value (functions and objects become their text).
    public var configValue: ConfigValue {
        switch self {
        case .none: return .null
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .double(let d): return .double(d)
        case .string(let s): return .string(s)
        case .list(let l): return .list(l.items.map(\.configValue))
        case .dict(let d): return .dict(d.pairs.map { ConfigEntry($0.0, $0.1.configValue) })
        default: return .string(stringValue)
        }
    }
}
