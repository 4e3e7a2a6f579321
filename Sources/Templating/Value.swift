import Foundation
import Synchronization

/// A runtime value in a template, with Python/Jinja semantics for truthiness, printing and comparison.
public enum Value: Sendable {
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    /// Lists and dicts are references, as in Python: `{% do xs.append(1) %}` mutates `xs`.
    case list(ListBox)
    case dict(DictBox)
    case function(Function)
    case macro(MacroValue)
    case object(any TemplateObject)

    public static func list(_ items: [Value]) -> Value { .list(ListBox(items)) }
    /// A Python tuple: a list that prints with parentheses.
    public static func tuple(_ items: [Value]) -> Value { .list(ListBox(items, isTuple: true)) }
    public static func dict(_ pairs: [(String, Value)]) -> Value { .dict(DictBox(pairs)) }

    public var isTrue: Bool {
        switch self {
        case .none: return false
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .double(let d): return d != 0
        case .string(let s): return !s.isEmpty
        case .list(let l): return !l.items.isEmpty
        case .dict(let d): return !d.keys.isEmpty
        case .function, .macro: return true
        case .object(let o): return o.isTrue
        }
    }

    /// `str(value)` in Python, which is what `{{ value }}` prints.
    public var stringValue: String {
        switch self {
        case .none: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .int(let i): return String(i)
        case .double(let d): return Value.formatDouble(d)
        case .string(let s): return s
        case .list, .dict: return repr
        case .function(let f): return "<function \(f.name)>"
        case .macro(let m): return "<Macro \(m.definition.name)>"
        case .object(let o): return o.stringValue
        }
    }

    /// `repr(value)` in Python, used when containers are printed.
    public var repr: String {
        switch self {
        case .string(let s):
            // byte scans: Foundation's String.contains(String) is slow here (every repr of a string asks)
            let quote: Character = s.utf8.contains(UInt8(ascii: "'")) && !s.utf8.contains(UInt8(ascii: "\"")) ? "\"" : "'"
            var out = String(quote)
            for ch in s {
                switch ch {
                case "\\": out += "\\\\"
                case "\n": out += "\\n"
                case "\t": out += "\\t"
                case "\r": out += "\\r"
                case quote: out += "\\\(quote)"
                default: out.append(ch)
                }
            }
            out.append(quote)
            return out
        case .list(let l):
            if l.isTuple { return "(" + l.items.map(\.repr).joined(separator: ", ") + (l.items.count == 1 ? ",)" : ")") }
            return "[" + l.items.map(\.repr).joined(separator: ", ") + "]"
        case .dict(let d): return "{" + d.keys.map { "\(Value.string($0).repr): \(d.values[$0]!.repr)" }.joined(separator: ", ") + "}"
        default: return stringValue
        }
    }

    static func formatDouble(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        if d == d.rounded(), abs(d) < 1e16 { return String(format: "%.1f", d) }
        return "\(d)"
    }

    public var typeName: String {
        switch self {
        case .none: return "none"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string: return "string"
        case .list: return "list"
        case .dict: return "dict"
        case .function: return "function"
        case .macro: return "macro"
        case .object(let o): return o.typeName
        }
    }

    public var asString: String? { if case .string(let s) = self { return s } else { return nil } }
    public var asInt: Int? {
        switch self {
        case .int(let i): return i
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }
    public var asDouble: Double? {
        switch self {
        case .int(let i): return Double(i)
        case .double(let d): return d
        case .bool(let b): return b ? 1 : 0
        default: return nil
        }
    }
    public var asList: [Value]? { if case .list(let l) = self { return l.items } else { return nil } }

    /// Iterates like Python: lists, dict keys, string characters.
    public var iterated: [Value]? {
        switch self {
        case .list(let l): return l.items
        case .dict(let d): return d.keys.map { .string($0) }
        case .string(let s): return s.map { .string(String($0)) }
        case .object(let o): return o.iterated
        default: return nil
        }
    }

    /// Python `==`.
    public func equals(_ other: Value) -> Bool {
        switch (self, other) {
        case (.none, .none): return true
        case (.string(let a), .string(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.list(let a), .list(let b)): return a.items.count == b.items.count && zip(a.items, b.items).allSatisfy { $0.equals($1) }
        case (.dict(let a), .dict(let b)):
            return a.keys.count == b.keys.count && a.keys.allSatisfy { k in b.values[k].map { a.values[k]!.equals($0) } ?? false }
        case (.function(let a), .function(let b)): return a === b
        case (.object(let a), .object(let b)): return a === b || a.stringValue == b.stringValue
        default:
            if let x = asDouble, let y = other.asDouble, !(self.isString || other.isString) { return x == y }
            return false
        }
    }

    var isString: Bool { if case .string = self { return true } else { return false } }
}

/// A mutable list shared by reference, as Python lists are. Its storage sits behind a lock, so the compiler checks
/// that it is safe to share; renders still never share one (environment globals are copied per render).
public final class ListBox: Sendable {
    private let storage: Mutex<[Value]>
    public let isTuple: Bool
    public init(_ items: [Value], isTuple: Bool = false) {
        storage = Mutex(items)
        self.isTuple = isTuple
    }
    public var items: [Value] { storage.withLock { $0 } }
    /// Changes the items in place (`append`, `pop`, `sort`, …).
    public func mutate<R: Sendable>(_ body: (inout [Value]) throws -> R) rethrows -> R {
        try storage.withLock { items in try body(&items) }
    }
}

/// A mutable, insertion-ordered dict with string keys, shared by reference. Locked like `ListBox`.
public final class DictBox: Sendable {
    struct Storage: Sendable {
        var keys: [String] = []
        var values: [String: Value] = [:]
        mutating func set(_ key: String, _ newValue: Value?) {
            if let newValue {
                if values.updateValue(newValue, forKey: key) == nil { keys.append(key) }
            } else if values.removeValue(forKey: key) != nil {
                keys.removeAll { $0 == key }
            }
        }
    }
    private let storage: Mutex<Storage>
    public init(_ pairs: [(String, Value)] = []) {
        var s = Storage()
        for (k, v) in pairs { s.set(k, v) }
        storage = Mutex(s)
    }
    public var keys: [String] { storage.withLock { $0.keys } }
    public var values: [String: Value] { storage.withLock { $0.values } }
    public subscript(key: String) -> Value? {
        get { storage.withLock { $0.values[key] } }
        set { storage.withLock { $0.set(key, newValue) } }
    }
    public var pairs: [(String, Value)] { storage.withLock { s in s.keys.map { ($0, s.values[$0]!) } } }
}

extension Value {
    /// A copy that shares no list or dict with `self` (functions, macros and host objects are immutable and kept).
    /// Environment globals are copied like this once per render, so `{% do exceptions.update(…) %}` in one model
    /// is seen by that model only, as in dbt, where every node gets a context of its own.
    public var deepCopy: Value {
        switch self {
        case .list(let l): return .list(ListBox(l.items.map(\.deepCopy), isTuple: l.isTuple))
        case .dict(let d): return .dict(DictBox(d.pairs.map { ($0.0, $0.1.deepCopy) }))
        default: return self
        }
    }

    /// Whether the value holds a list or dict that a template could change.
    var isContainer: Bool {
        switch self {
        case .list, .dict: return true
        default: return false
        }
    }
}

/// Arguments of a call: positional, then keyword, in source order.
public struct Arguments: Sendable {
    public var positional: [Value]
    public var keyword: [(String, Value)]

    public init(_ positional: [Value] = [], keyword: [(String, Value)] = []) {
        self.positional = positional
        self.keyword = keyword
    }

    public func value(_ name: String) -> Value? { keyword.first { $0.0 == name }?.1 }

    /// The argument at `position` or named `name`.
    public func argument(_ position: Int, _ name: String) -> Value? {
        if position < positional.count { return positional[position] }
        return value(name)
    }
}

/// A built-in callable. Functions may also carry attributes (e.g. `config.get`).
public final class Function: Sendable {
    public let name: String
    public let attributes: [String: Value]
    let body: @Sendable (Arguments, CallSite) throws -> Value

    public init(_ name: String, attributes: [String: Value] = [:], _ body: @escaping @Sendable (Arguments, CallSite) throws -> Value) {
        self.name = name
        self.attributes = attributes
        self.body = body
    }
}

/// A macro bound to the environment it was defined in.
public struct MacroValue: Sendable {
    public let definition: MacroDefinition
    /// For `caller()`: the variables visible where the call block was written.
    let closure: [String: Value]?

    public init(definition: MacroDefinition) {
        self.definition = definition
        self.closure = nil
    }

    /// The body of a `{% call %}` block, passed as `caller`.
    var isCallBlockBody: Bool { closure != nil && definition.name == "caller" }

    init(definition: MacroDefinition, closure: [String: Value]?) {
        self.definition = definition
        self.closure = closure
    }
}

/// Host objects exposed to templates (relations, `target`, `this`).
public protocol TemplateObject: AnyObject, Sendable {
    var typeName: String { get }
    var stringValue: String { get }
    func attribute(_ name: String) -> Value?
    var isTrue: Bool { get }
    var iterated: [Value]? { get }
    /// Whether `x is mapping` holds: dbt's Relation is a Mapping, and packages test for it.
    var isMapping: Bool { get }
}

extension TemplateObject {
    public var isTrue: Bool { true }
    public var iterated: [Value]? { nil }
    public var isMapping: Bool { false }
    public func binary(_ op: String, _ other: Value, reversed: Bool) -> Value? { nil }
    public func compare(to other: Value) -> Int? { nil }
}

/// Host objects that take part in arithmetic and ordering (datetimes, timedeltas).
public protocol OperandObject: TemplateObject {
    /// `self op other` (or `other op self` when `reversed`); nil when unsupported.
    func binary(_ op: String, _ other: Value, reversed: Bool) -> Value?
    /// Ordering against another value; nil when not comparable.
    func compare(to other: Value) -> Int?
}

/// Jinja's Undefined: what an undefined name, a missing attribute or a missing macro argument evaluates to. It prints
/// as empty text, is false, iterates as empty and equals only another Undefined; calling it or asking it for an
/// attribute is the error `message` says.
public final class UndefinedValue: TemplateObject {
    public let name: String
    public let message: String
    public init(name: String, message: String) {
        self.name = name
        self.message = message
    }
    public var typeName: String { "Undefined" }
    public var stringValue: String { "" }
    public var isTrue: Bool { false }
    public var iterated: [Value]? { [] }
    public func attribute(_ name: String) -> Value? { nil }
}

extension Value {
    /// Whether this is Jinja's Undefined.
    public var isUndefined: Bool {
        if case .object(let o) = self { return o is UndefinedValue }
        return false
    }
}
