/// Encodes `Encodable` values into `ConfigValue` trees, keeping keys in the order they are encoded, so typed
/// payloads (the docs site's data) are written by `JSONWriter` byte for byte as hand-built trees were.
public struct ConfigValueEncoder {
    public init() {}

    public func encode<T: Encodable>(_ value: T) throws -> ConfigValue {
        let root = Slot()
        try value.encode(to: TreeEncoder(slot: root, codingPath: []))
        return root.resolved
    }
}

/// Where one encoded value lands. Values encoded in one call are stored done; only containers handed out by
/// `nestedContainer` are filled in later, so only they stay pending until the tree is resolved.
private final class Slot {
    enum Part {
        case done(ConfigValue)
        case pending(Slot)
        var resolved: ConfigValue {
            switch self {
            case .done(let v): return v
            case .pending(let s): return s.resolved
            }
        }
    }
    var value: ConfigValue = .null
    var entries: [(String, Part)]? = nil
    var items: [Part]? = nil

    var resolved: ConfigValue {
        if let entries { return .dict(entries.map { ConfigEntry($0.0, $0.1.resolved) }) }
        if let items { return .list(items.map(\.resolved)) }
        return value
    }
}

private struct TreeEncoder: Encoder {
    let slot: Slot
    var codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if slot.entries == nil { slot.entries = [] }
        return KeyedEncodingContainer(Keyed<Key>(slot: slot, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if slot.items == nil { slot.items = [] }
        return Unkeyed(slot: slot, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { Single(slot: slot, codingPath: codingPath) }
}

private func encoded(_ value: some Encodable, at path: [any CodingKey]) throws -> Slot.Part {
    switch value {
    case let v as String: return .done(.string(v))
    case let v as Int: return .done(.int(v))
    case let v as Double: return .done(.double(v))
    case let v as Bool: return .done(.bool(v))
    case let v as [String]: return .done(.list(v.map { .string($0) }))
    case let v as [Int]: return .done(.list(v.map { .int($0) }))
    case let v as ConfigValue: return .done(v)
    default:
        let s = Slot()
        try value.encode(to: TreeEncoder(slot: s, codingPath: path))
        return .done(s.resolved)
    }
}

private struct Keyed<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let slot: Slot
    var codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws { slot.entries!.append((key.stringValue, .done(.null))) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        slot.entries!.append((key.stringValue, try encoded(value, at: codingPath + [key])))
    }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let s = Slot()
        slot.entries!.append((key.stringValue, .pending(s)))
        return TreeEncoder(slot: s, codingPath: codingPath + [key]).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let s = Slot()
        slot.entries!.append((key.stringValue, .pending(s)))
        return TreeEncoder(slot: s, codingPath: codingPath + [key]).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder { TreeEncoder(slot: slot, codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        let s = Slot()
        slot.entries!.append((key.stringValue, .pending(s)))
        return TreeEncoder(slot: s, codingPath: codingPath + [key])
    }
}

private struct IndexKey: CodingKey {
    var stringValue: String { String(intValue!) }
    var intValue: Int?
    init(_ i: Int) { intValue = i }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.intValue = intValue }
}

private struct Unkeyed: UnkeyedEncodingContainer {
    let slot: Slot
    var codingPath: [any CodingKey]
    var count: Int { slot.items!.count }

    mutating func encodeNil() throws { slot.items!.append(.done(.null)) }
    mutating func encode<T: Encodable>(_ value: T) throws { slot.items!.append(try encoded(value, at: codingPath + [IndexKey(count)])) }
    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let s = Slot()
        slot.items!.append(.pending(s))
        return TreeEncoder(slot: s, codingPath: codingPath).container(keyedBy: keyType)
    }
    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let s = Slot()
        slot.items!.append(.pending(s))
        return TreeEncoder(slot: s, codingPath: codingPath).unkeyedContainer()
    }
    mutating func superEncoder() -> any Encoder {
        let s = Slot()
        slot.items!.append(.pending(s))
        return TreeEncoder(slot: s, codingPath: codingPath)
    }
}

private struct Single: SingleValueEncodingContainer {
    let slot: Slot
    var codingPath: [any CodingKey]
    mutating func encodeNil() throws { slot.value = .null }
    mutating func encode<T: Encodable>(_ value: T) throws { slot.value = try encoded(value, at: codingPath).resolved }
}

extension ConfigValueEncoder {
    /// `encode` for values that cannot fail to encode (plain structs of strings, numbers and arrays).
    public func tree<T: Encodable>(_ value: T) -> ConfigValue {
        (try? encode(value)) ?? .null
    }
}
