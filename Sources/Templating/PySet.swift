/// Python's `set`, as dbt's context gives it (`set(xs)`): unique items in first-seen order, compared without order,
/// with `-`, `|`, `&`, `^`, `in`, `length` and the set methods. Printed with its items sorted (Python prints sets in
/// hash order, which no template can rely on), so equal sets print alike.
public final class PySet: OperandObject {
    public let items: [Value]

    public init(_ values: [Value]) {
        var unique: [Value] = []
        for v in values where !unique.contains(where: { $0.equals(v) }) { unique.append(v) }
        items = unique
    }

    public static var constructor: Function {
        Function("set") { args, site in
            guard let first = args.positional.first else { return .object(PySet([])) }
            guard let values = first.iterated else { throw site.error("set() needs something iterable, not \(first.typeName)", code: .wrongType) }
            return .object(PySet(values))
        }
    }

    func contains(_ v: Value) -> Bool { items.contains { $0.equals(v) } }

    public var typeName: String { "set" }
    public var stringValue: String { items.isEmpty ? "set()" : "{" + items.map(\.repr).sorted().joined(separator: ", ") + "}" }
    public var isTrue: Bool { !items.isEmpty }
    public var iterated: [Value]? { items }

    public func binary(_ op: String, _ other: Value, reversed: Bool) -> Value? {
        guard case .object(let o as PySet) = other else { return nil }
        let (a, b) = reversed ? (o, self) : (self, o)
        switch op {
        case "-": return .object(PySet(a.items.filter { !b.contains($0) }))
        case "|": return .object(PySet(a.items + b.items))
        case "&": return .object(PySet(a.items.filter { b.contains($0) }))
        case "^": return .object(PySet(a.items.filter { !b.contains($0) } + b.items.filter { !a.contains($0) }))
        default: return nil
        }
    }

    public func compare(to other: Value) -> Int? { nil }

    public func attribute(_ name: String) -> Value? {
        func withOther(_ body: @escaping @Sendable (PySet) -> Value) -> Value {
            .function(Function(name) { args, site in
                guard let v = args.positional.first?.iterated else { throw site.error("set.\(name)() needs something iterable", code: .wrongType) }
                return body(PySet(v))
            })
        }
        switch name {
        case "union": return withOther { [self] o in .object(PySet(items + o.items)) }
        case "difference": return withOther { [self] o in .object(PySet(items.filter { !o.contains($0) })) }
        case "intersection": return withOther { [self] o in .object(PySet(items.filter { o.contains($0) })) }
        case "issubset": return withOther { [self] o in .bool(items.allSatisfy { o.contains($0) }) }
        case "issuperset": return withOther { [self] o in .bool(o.items.allSatisfy { contains($0) }) }
        default: return nil
        }
    }
}
