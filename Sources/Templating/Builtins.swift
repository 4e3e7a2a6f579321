import Foundation
import Basics

extension Function {
    /// dbt's `env_var('NAME', default)`: reads `environment`; a missing variable without a default is an error.
    /// Prefixes of environment variables that hold secrets (dbt's, and Strata's): readable in profiles.yml only.
    public static let secretPrefixes = ["DBT_ENV_SECRET_", "STRATA_ENV_SECRET_"]

    /// `env_var(name, default)`. With `allowSecrets: false` (models, tests, macros), a secret variable is an error,
    /// so it can never reach compiled SQL, artifacts or logs.
    public static func envVar(_ environment: [String: String], allowSecrets: Bool = true) -> Function {
        Function("env_var") { args, site in
            guard let name = args.argument(0, "var")?.asString else { throw site.error("env_var() needs a variable name", code: .envVar) }
            if !allowSecrets, secretPrefixes.contains(where: name.hasPrefix) {
                throw site.error("'\(name)' is a secret: variables starting with \(secretPrefixes.joined(separator: " or ")) can be read only in profiles.yml, never in SQL", code: .secretEnvVar)
            }
            if let v = environment[name] { return .string(v) }
            if let d = args.argument(1, "default") { return d }
            throw site.error("environment variable '\(name)' is not set and no default was given", code: .envVar)
        }
    }
}

/// Jinja's built-in globals, filters, tests and methods of strings, lists and dicts.
enum Builtins {
    static func global(_ name: String) -> Value? {
        switch name {
        case "range":
            return .function(Function("range") { args, site in
                let ints = args.positional.compactMap(\.asInt)
                guard ints.count == args.positional.count, (1...3).contains(ints.count) else { throw site.error("range() expects 1 to 3 integers", code: .wrongArguments) }
                let (start, end, step) = ints.count == 1 ? (0, ints[0], 1) : (ints[0], ints[1], ints.count == 3 ? ints[2] : 1)
                guard step != 0 else { throw site.error("range() step must not be zero", code: .wrongArguments) }
                guard abs((end - start) / step) <= 1_000_000 else { throw site.error("range() of more than 1,000,000 items", code: .wrongArguments) }
                return .list(Array(stride(from: start, to: end, by: step)).map { .int($0) })
            })
        case "dict":
            return .function(Function("dict") { args, _ in
                let d = DictBox()
                if case .dict(let base)? = args.positional.first { for (k, v) in base.pairs { d[k] = v } }
                for (k, v) in args.keyword { d[k] = v }
                return .dict(d)
            })
        case "namespace":
            return .function(Function("namespace") { args, _ in
                let d = DictBox()
                if case .dict(let base)? = args.positional.first { for (k, v) in base.pairs { d[k] = v } }
                for (k, v) in args.keyword { d[k] = v }
                return .dict(d)
            })
        case "return":
            return .function(Function("return") { args, _ in
                throw MacroReturn(value: args.positional.first ?? .none)
            })
        case "zip":
            return .function(Function("zip") { args, _ in
                let lists = args.positional.map { $0.iterated ?? [] }
                let n = lists.map(\.count).min() ?? 0
                return .list((0..<n).map { i in .tuple(lists.map { $0[i] }) })
            })
        case "caller":
            return nil
        default:
            return nil
        }
    }

    // MARK: tests (`x is name`)

    static func test(_ name: String, _ v: Value, _ args: [Value], site: CallSite) throws -> Bool {
        switch name {
        case "none": if case .none = v { return true }; return false
        case "string": return v.isString
        case "number": if case .int = v { return true }; if case .double = v { return true }; return false
        case "integer": if case .int = v { return true }; return false
        case "float": if case .double = v { return true }; return false
        case "boolean": if case .bool = v { return true }; return false
        case "true": if case .bool(true) = v { return true }; return false
        case "false": if case .bool(false) = v { return true }; return false
        case "mapping":
            switch v {
            case .dict: return true
            case .object(let o): return o.isMapping
            default: return false
            }
        case "sequence", "iterable": return v.iterated != nil
        case "callable": switch v { case .function, .macro: return true; default: return false }
        case "odd": return (v.asInt ?? 0) % 2 != 0
        case "even": return (v.asInt ?? 1) % 2 == 0
        case "divisibleby": return args.first?.asInt.map { $0 != 0 && (v.asInt ?? 1) % $0 == 0 } ?? false
        case "lower": return v.asString.map { $0 == $0.lowercased() } ?? false
        case "upper": return v.asString.map { $0 == $0.uppercased() } ?? false
        case "eq", "equalto", "==", "sameas": return args.first.map { v.equals($0) } ?? false
        case "ne", "!=": return args.first.map { !v.equals($0) } ?? false
        case "in": return args.first.map { c in (c.iterated ?? []).contains { $0.equals(v) } || (c.asString.map { s in v.asString.map { s.contains($0) } ?? false } ?? false) } ?? false
        case "lt", "lessthan", "<", "gt", "greaterthan", ">", "le", "<=", "ge", ">=":
            guard let a = v.asDouble ?? nil, let b = args.first?.asDouble else {
                if let a = v.asString, let b = args.first?.asString {
                    switch name { case "lt", "lessthan", "<": return a < b; case "gt", "greaterthan", ">": return a > b; case "le", "<=": return a <= b; default: return a >= b }
                }
                throw site.error("test '\(name)' needs comparable values", code: .wrongType)
            }
            switch name { case "lt", "lessthan", "<": return a < b; case "gt", "greaterthan", ">": return a > b; case "le", "<=": return a <= b; default: return a >= b }
        default:
            throw site.error("unknown test '\(name)'", code: .unknownTest)
        }
    }

    // MARK: methods

    static func method(_ value: Value, _ name: String) -> Value? {
        func bound(_ body: @escaping @Sendable (Arguments, CallSite) throws -> Value) -> Value {
            .function(Function(name, body))
        }
        switch value {
        case .string(let s):
            switch name {
            case "upper": return bound { _, _ in .string(s.uppercased()) }
            case "lower": return bound { _, _ in .string(s.lowercased()) }
            case "strip", "lstrip", "rstrip":
                return bound { a, _ in
                    let chars = a.positional.first?.asString.map { CharacterSet(charactersIn: $0) } ?? .whitespacesAndNewlines
                    return .string(strip(s, chars, leading: name != "rstrip", trailing: name != "lstrip"))
                }
            case "title": return bound { _, _ in .string(s.capitalized) }
            case "capitalize": return bound { _, _ in .string(s.prefix(1).uppercased() + s.dropFirst().lowercased()) }
            case "split":
                return bound { a, _ in
                    if let sep = a.argument(0, "sep")?.asString {
                        var parts = s.components(separatedBy: sep)
                        if let max = a.argument(1, "maxsplit")?.asInt, max >= 0, parts.count > max + 1 {
                            parts = Array(parts[..<max]) + [parts[max...].joined(separator: sep)]
                        }
                        return .list(parts.map { .string($0) })
                    }
                    return .list(s.split(whereSeparator: { $0.isWhitespace }).map { .string(String($0)) })
                }
            case "replace":
                return bound { a, site in
                    guard let old = a.argument(0, "old")?.asString, let new = a.argument(1, "new") else { throw site.error("replace() expects two strings", code: .wrongArguments) }
                    return .string(s.replacingOccurrences(of: old, with: new.stringValue))
                }
            case "startswith", "endswith":
                return bound { a, _ in
                    let prefixes = a.positional.first.flatMap { $0.asList ?? [$0] } ?? []
                    return .bool(prefixes.contains { p in p.asString.map { name == "startswith" ? s.hasPrefix($0) : s.hasSuffix($0) } ?? false })
                }
            case "join":
                return bound { a, _ in .string((a.positional.first?.iterated ?? []).map(\.stringValue).joined(separator: s)) }
            case "format":
                return bound { a, _ in .string(braceFormat(s, a)) }
            case "count":
                return bound { a, _ in .int(a.positional.first?.asString.map { s.components(separatedBy: $0).count - 1 } ?? 0) }
            case "find":
                return bound { a, _ in
                    guard let n = a.positional.first?.asString, let r = s.range(of: n) else { return .int(-1) }
                    return .int(s.distance(from: s.startIndex, to: r.lowerBound))
                }
            case "isdigit": return bound { _, _ in .bool(!s.isEmpty && s.allSatisfy(\.isNumber)) }
            case "isalpha": return bound { _, _ in .bool(!s.isEmpty && s.allSatisfy(\.isLetter)) }
            case "isupper": return bound { _, _ in .bool(s.contains(where: \.isLetter) && s == s.uppercased()) }
            case "islower": return bound { _, _ in .bool(s.contains(where: \.isLetter) && s == s.lowercased()) }
            default: return nil
            }
        case .list(let l):
            switch name {
            case "append": return bound { a, _ in l.mutate { $0.append(a.positional.first ?? .none) }; return .none }
            case "extend": return bound { a, _ in let more = a.positional.first?.iterated ?? []; l.mutate { $0 += more }; return .none }
            case "insert":
                return bound { a, _ in
                    let item = a.positional.count > 1 ? a.positional[1] : .none
                    l.mutate { $0.insert(item, at: min(max(a.positional.first?.asInt ?? 0, 0), $0.count)) }; return .none
                }
            case "pop":
                return bound { a, site in
                    let i = a.positional.first?.asInt ?? -1
                    let popped: Value?? = l.mutate { items in
                        guard !items.isEmpty else { return nil }
                        let idx = i < 0 ? items.count + i : i
                        guard idx >= 0, idx < items.count else { return .some(nil) }
                        return .some(items.remove(at: idx))
                    }
                    guard let popped else { throw site.error("pop from empty list", code: .noSuchItem) }
                    guard let popped else { throw site.error("pop index out of range", code: .noSuchItem) }
                    return popped
                }
            case "remove":
                return bound { a, site in
                    guard let v = a.positional.first else { throw site.error("list.remove(x): x not in list", code: .noSuchItem) }
                    let removed = l.mutate { items -> Bool in
                        guard let i = items.firstIndex(where: { $0.equals(v) }) else { return false }
                        items.remove(at: i)
                        return true
                    }
                    guard removed else { throw site.error("list.remove(x): x not in list", code: .noSuchItem) }
                    return .none
                }
            case "index":
                return bound { a, site in
                    guard let v = a.positional.first, let i = l.items.firstIndex(where: { $0.equals(v) }) else { throw site.error("value is not in list", code: .noSuchItem) }
                    return .int(i)
                }
            case "count": return bound { a, _ in .int(l.items.filter { $0.equals(a.positional.first ?? .none) }.count) }
            case "reverse": return bound { _, _ in l.mutate { $0.reverse() }; return .none }
            case "sort": return bound { _, _ in l.mutate { $0.sort { compare($0, $1) < 0 } }; return .none }
            case "copy": return bound { _, _ in .list(l.items) }
            default: return nil
            }
        case .dict(let d):
            switch name {
            case "items": return bound { _, _ in .list(d.pairs.map { .tuple([.string($0.0), $0.1]) }) }
            case "keys": return bound { _, _ in .list(d.keys.map { .string($0) }) }
            case "values": return bound { _, _ in .list(d.pairs.map(\.1)) }
            case "get": return bound { a, _ in d[a.positional.first?.stringValue ?? ""] ?? (a.positional.count > 1 ? a.positional[1] : .none) }
            case "update":
                return bound { a, _ in
                    if case .dict(let other)? = a.positional.first { for (k, v) in other.pairs { d[k] = v } }
                    for (k, v) in a.keyword { d[k] = v }
                    return .none
                }
            case "pop":
                return bound { a, site in
                    let k = a.positional.first?.stringValue ?? ""
                    if let v = d[k] { d[k] = nil; return v }
                    if a.positional.count > 1 { return a.positional[1] }
                    throw site.error("key '\(k)' not found", code: .noSuchItem)
                }
            case "setdefault":
                return bound { a, _ in
                    let k = a.positional.first?.stringValue ?? ""
                    if let v = d[k] { return v }
                    let v = a.positional.count > 1 ? a.positional[1] : .none
                    d[k] = v
                    return v
                }
            case "copy": return bound { _, _ in .dict(DictBox(d.pairs)) }
            default: return nil
            }
        default:
            return nil
        }
    }

    static func strip(_ s: String, _ chars: CharacterSet, leading: Bool, trailing: Bool) -> String {
        var scalars = Substring.UnicodeScalarView(s.unicodeScalars)
        if leading { while let f = scalars.first, chars.contains(f) { scalars.removeFirst() } }
        if trailing { while let l = scalars.last, chars.contains(l) { scalars.removeLast() } }
        return String(scalars)
    }

    /// Orders values as Python's sort does for same-typed values.
    static func compare(_ a: Value, _ b: Value) -> Int {
        if let x = a.asString, let y = b.asString { return x < y ? -1 : (x == y ? 0 : 1) }
        if let x = a.asDouble, let y = b.asDouble { return x < y ? -1 : (x == y ? 0 : 1) }
        if case .none = a { return -1 }
        if case .none = b { return 1 }
        let x = a.stringValue, y = b.stringValue
        return x < y ? -1 : (x == y ? 0 : 1)
    }

    /// Python `"{} {name}".format(...)`.
    static func braceFormat(_ fmt: String, _ args: Arguments) -> String {
        var out = "", auto = 0
        var i = fmt.startIndex
        while i < fmt.endIndex {
            let c = fmt[i]
            if c == "{" {
                let n = fmt.index(after: i)
                if n < fmt.endIndex, fmt[n] == "{" { out.append("{"); i = fmt.index(after: n); continue }
                guard let close = fmt[n...].firstIndex(of: "}") else { out.append(c); i = n; continue }
                let field = String(fmt[n..<close]).split(separator: ":", maxSplits: 1).first.map(String.init) ?? ""
                if field.isEmpty {
                    out += auto < args.positional.count ? args.positional[auto].stringValue : ""
                    auto += 1
                } else if let idx = Int(field) {
                    out += idx < args.positional.count ? args.positional[idx].stringValue : ""
                } else {
                    out += args.value(field)?.stringValue ?? ""
                }
                i = fmt.index(after: close)
            } else if c == "}" {
                let n = fmt.index(after: i)
                out.append("}")
                i = n < fmt.endIndex && fmt[n] == "}" ? fmt.index(after: n) : n
            } else {
                out.append(c); i = fmt.index(after: i)
            }
        }
        return out
    }

    /// Python `"%s and %d" % (a, b)`.
    static func percentFormat(_ fmt: String, _ values: [Value]) -> String {
        var out = "", idx = 0
        var it = fmt.makeIterator()
        while let c = it.next() {
            guard c == "%" else { out.append(c); continue }
            guard let spec = it.next() else { out.append("%"); break }
            switch spec {
            case "%": out.append("%")
            case "s", "d", "i", "f", "r":
                let v = idx < values.count ? values[idx] : .none
                idx += 1
                switch spec {
                case "r": out += v.repr
                case "d", "i": out += v.asDouble.map { String(Int($0)) } ?? v.stringValue
                case "f": out += v.asDouble.map { String(format: "%f", $0) } ?? v.stringValue
                default: out += v.stringValue
                }
            default: out.append("%"); out.append(spec)
            }
        }
        return out
    }
}
