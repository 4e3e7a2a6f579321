import Foundation
import Basics

extension Renderer {
    func evaluate(_ e: Expr) throws -> Value {
        switch e.kind {
        case .literal(let v):
            return v
        case .name(let n):
            if let v = lookup(n) { return v }
            return undefined(n, at: e.offset)
        case .list(let items):
            return .list(try items.map { try evaluate($0) })
        case .tuple(let items):
            return .tuple(try items.map { try evaluate($0) })
        case .dict(let pairs):
            let d = DictBox()
            for (k, v) in pairs { d[try evaluate(k).stringValue] = try evaluate(v) }
            return .dict(d)
        case .attribute(let base, let name):
            let b = try evaluateDefined(base)
            if let v = try attribute(of: b, name, at: e.offset) { return v }
            // Jinja: a missing attribute is Undefined (empty when printed); using it further is the error
            if case .name(let ns) = base.kind, let macros = environment.namespacedMacros[ns], lookup(ns).map({ if case .dict = $0 { return true } else { return false } }) == true {
                var what = "package '\(ns)' has no macro '\(name)'"
                if let s = Suggestion.closest(to: name, in: macros.keys) { what += "; did you mean '\(ns).\(s)'?" }
                return undefined(name, at: e.offset, what: what)
            }
            if case .name(let ns) = base.kind, let hint = environment.hints["\(ns).\(name)"] {
                return undefined(name, at: e.offset, what: "'\(ns).\(name)' is undefined: \(hint)")
            }
            return undefined(name, at: e.offset, what: "\(b.typeName) has no attribute '\(name)'")
        case .item(let base, let key):
            let b = try evaluateDefined(base)
            let k = try evaluate(key)
            if case .dict(let d) = b, case .string(let name) = k, d[name] == nil {
                return undefined(name, at: key.offset, what: "dict has no key \(Value.string(name).repr)")
            }
            return try item(of: b, k, at: key.offset)
        case .slice(let base, let lo, let hi, let step):
            return try slice(try evaluate(base), lo.map(evaluate), hi.map(evaluate), step.map(evaluate), at: e.offset)
        case .call(let calleeExpr, let args, let kwargs, let star, let starStar):
            let callee = try evaluateDefined(calleeExpr)
            let arguments = try evaluateArguments(args, kwargs, star, starStar)
            return try call(callee, arguments, at: calleeExpr.offset, in: currentSource)
        case .filter(let base, let name, let args, let kwargs):
            // `undefined | default(x)` is the one place an undefined name is not an error.
            if name == "default" || name == "d", try !isDefined(base) {
                return try args.first.map(evaluate) ?? kwargs.first { $0.0 == "default_value" }.map { try evaluate($0.1) } ?? .string("")
            }
            let v = try evaluate(base)
            let arguments = Arguments(try args.map { try evaluate($0) }, keyword: try kwargs.map { ($0.0, try evaluate($0.1)) })
            return try Builtins.filter(name, v, arguments, site: CallSite(renderer: self, offset: e.offset, source: currentSource))
        case .test(let base, let name, let args, let negated):
            let result: Bool
            if name == "defined" || name == "undefined" {
                let defined = try isDefined(base)
                result = name == "defined" ? defined : !defined
            } else {
                let v = try evaluate(base)
                let argValues = try args.map { try evaluate($0) }
                result = try Builtins.test(name, v, argValues, site: CallSite(renderer: self, offset: e.offset, source: currentSource))
            }
            return .bool(negated ? !result : result)
        case .unary(let op, let operand):
            let v = try evaluate(operand)
            switch op {
            case "not": return .bool(!v.isTrue)
            case "-":
                if case .int(let i) = v { return .int(-i) }
                if let d = v.asDouble { return .double(-d) }
            case "+":
                if v.asDouble != nil { return v }
            default: break
            }
            throw error("bad operand type for unary \(op): '\(v.typeName)'", code: .wrongType, at: e.offset)
        case .binary(let op, let l, let r):
            return try binary(op, try evaluate(l), try evaluate(r), at: e.offset)
        case .and(let l, let r):
            let lv = try evaluate(l)
            return lv.isTrue ? try evaluate(r) : lv
        case .or(let l, let r):
            let lv = try evaluate(l)
            return lv.isTrue ? lv : try evaluate(r)
        case .conditional(let value, let condition, let otherwise):
            if try evaluate(condition).isTrue { return try evaluate(value) }
            // Jinja's missing else yields Undefined, which prints as nothing.
            return try otherwise.map(evaluate) ?? .string("")
        }
    }

    /// `x is defined`: true when every name and attribute along the path exists.
    func isDefined(_ e: Expr) throws -> Bool {
        switch e.kind {
        case .name(let n): return lookup(n).map { !$0.isUndefined } ?? false
        case .attribute(let base, let name):
            guard try isDefined(base) else { return false }
            return try attribute(of: evaluate(base), name, at: e.offset) != nil
        case .item(let base, let key):
            guard try isDefined(base) else { return false }
            let b = try evaluate(base), k = try evaluate(key)
            return (try? item(of: b, k, at: e.offset)) != nil
        default:
            return true
        }
    }

    /// Evaluates an expression whose value is used, not printed (called, or asked for an attribute or item): an
    /// undefined name or attribute there is an error, as in Jinja, with a did-you-mean for names.
    func evaluateDefined(_ e: Expr) throws -> Value {
        if case .name(let n) = e.kind {
            if let v = lookup(n), !v.isUndefined { return v }
            var msg = "'\(n)' is undefined"
            if let hint = environment.hints[n] { throw error(msg + ": " + hint, code: .undefinedName, at: e.offset) }
            // a macro of an installed package is called through its namespace
            if let package = environment.namespacedMacros.keys.sorted().first(where: { environment.namespacedMacros[$0]?[n] != nil }) {
                throw error(msg + ": it is a macro of package '\(package)'; call it as \(package).\(n)()", code: .undefinedName, at: e.offset)
            }
            if let s = Suggestion.closest(to: n, in: lookupCandidates) { msg += "; did you mean '\(s)'?" }
            else if let searched = environment.lookupDescription { msg += ": no variable, macro or package of that name (looked in \(searched))" }
            throw error(msg, code: .undefinedName, at: e.offset)
        }
        let v = try evaluate(e)
        if case .object(let u as UndefinedValue) = v { throw error(u.message, code: .undefinedName, at: e.offset) }
        return v
    }

    func attribute(of value: Value, _ name: String, at offset: Int) throws -> Value? {
        switch value {
        case .dict(let d):
            if let v = d[name] { return v }
        case .object(let o):
            if let v = o.attribute(name) { return v }
            return nil
        case .function(let f):
            return f.attributes[name]
        default:
            break
        }
        return Builtins.method(value, name)
    }

    func item(of value: Value, _ key: Value, at offset: Int) throws -> Value {
        switch value {
        case .list(let l):
            guard let i = key.asInt else { throw error("list indices must be integers, not \(key.typeName)", code: .wrongType, at: offset) }
            let idx = i < 0 ? l.items.count + i : i
            guard idx >= 0, idx < l.items.count else { throw error("list index \(i) out of range (length \(l.items.count))", code: .noSuchItem, at: offset) }
            return l.items[idx]
        case .string(let s):
            guard let i = key.asInt else { throw error("string indices must be integers", code: .wrongType, at: offset) }
            let chars = Array(s)
            let idx = i < 0 ? chars.count + i : i
            guard idx >= 0, idx < chars.count else { throw error("string index \(i) out of range", code: .noSuchItem, at: offset) }
            return .string(String(chars[idx]))
        case .dict(let d):
            if let v = d[key.stringValue] { return v }
            throw error("key \(key.repr) not found in dict", code: .noSuchItem, at: offset)
        case .object(let o):
            if let v = o.attribute(key.stringValue) { return v }
            throw error("\(o.typeName) has no item \(key.repr)", code: .noSuchItem, at: offset)
        default:
            throw error("'\(value.typeName)' object is not subscriptable", code: .wrongType, at: offset)
        }
    }

    func slice(_ value: Value, _ lo: Value?, _ hi: Value?, _ step: Value?, at offset: Int) throws -> Value {
        func bounds(_ count: Int) throws -> [Int] {
            let st = step?.asInt ?? 1
            guard st != 0 else { throw error("slice step cannot be zero", code: .wrongType, at: offset) }
            func norm(_ v: Value?, _ def: Int) -> Int {
                guard let v, let i = v.asInt else { return def }
                let j = i < 0 ? count + i : i
                return st > 0 ? min(max(j, 0), count) : min(max(j, -1), count - 1)
            }
            let start = norm(lo, st > 0 ? 0 : count - 1)
            let end = norm(hi, st > 0 ? count : -1)
            return Array(stride(from: start, to: end, by: st))
        }
        switch value {
        case .list(let l): return .list(try bounds(l.items.count).map { l.items[$0] })
        case .string(let s):
            let chars = Array(s)
            return .string(String(try bounds(chars.count).map { chars[$0] }))
        default: throw error("'\(value.typeName)' object cannot be sliced", code: .wrongType, at: offset)
        }
    }

    func binary(_ op: String, _ l: Value, _ r: Value, at offset: Int) throws -> Value {
        func typeError() -> Diagnostic {
            error("unsupported operand types for \(op): '\(l.typeName)' and '\(r.typeName)'", code: .wrongType, at: offset)
        }
        if case .object(let o as any OperandObject) = l {
            if let v = o.binary(op, r, reversed: false) { return v }
            if ["<", ">", "<=", ">="].contains(op), let c = o.compare(to: r) {
                return .bool(op == "<" ? c < 0 : op == ">" ? c > 0 : op == "<=" ? c <= 0 : c >= 0)
            }
        }
        if case .object(let o as any OperandObject) = r, let v = o.binary(op, l, reversed: true) { return v }
        switch op {
        case "~":
            return .string(l.stringValue + r.stringValue)
        case "==": return .bool(l.equals(r))
        case "!=": return .bool(!l.equals(r))
        case "in", "not in":
            let found: Bool
            switch r {
            case .string(let s):
                guard case .string(let needle) = l else { throw typeError() }
                found = s.contains(needle) || needle.isEmpty
            case .list(let items): found = items.items.contains { $0.equals(l) }
            case .dict(let d): found = d[l.stringValue] != nil
            case .object(let o): found = o.iterated?.contains { $0.equals(l) } ?? (o.attribute(l.stringValue) != nil)
            default: throw typeError()
            }
            return .bool(op == "in" ? found : !found)
        case "<", ">", "<=", ">=":
            let c: Int
            if case .string(let a) = l, case .string(let b) = r {
                c = a < b ? -1 : (a == b ? 0 : 1)
            } else if let a = l.asDouble, let b = r.asDouble {
                c = a < b ? -1 : (a == b ? 0 : 1)
            } else { throw typeError() }
            switch op {
            case "<": return .bool(c < 0)
            case ">": return .bool(c > 0)
            case "<=": return .bool(c <= 0)
            default: return .bool(c >= 0)
            }
        case "+":
            switch (l, r) {
            case (.string(let a), .string(let b)): return .string(a + b)
            case (.list(let a), .list(let b)): return .list(a.items + b.items)
            case (.int(let a), .int(let b)): return .int(a &+ b)
            default:
                guard let a = l.asDouble, let b = r.asDouble, !l.isString, !r.isString else { throw typeError() }
                return .double(a + b)
            }
        case "-", "*", "//", "%", "**":
            if op == "*" {
                if case .string(let s) = l, let n = r.asInt { return .string(String(repeating: s, count: max(0, n))) }
                if case .list(let a) = l, let n = r.asInt { return .list(Array(repeating: a.items, count: max(0, n)).flatMap { $0 }) }
            }
            if op == "%", case .string(let fmt) = l {
                return .string(Builtins.percentFormat(fmt, r.asList ?? [r]))
            }
            if let a = l.asInt, let b = r.asInt, case .int = l, case .int = r {
                switch op {
                case "-": return .int(a &- b)
                case "*": return .int(a &* b)
                case "//", "%":
                    guard b != 0 else { throw error("integer division or modulo by zero", code: .wrongType, at: offset) }
                    let q = Int((Double(a) / Double(b)).rounded(.down))
                    return op == "//" ? .int(q) : .int(a - q * b)
                default:
                    if b >= 0 { var x = 1; for _ in 0..<b { x = x &* a }; return .int(x) }
                    return .double(pow(Double(a), Double(b)))
                }
            }
            guard let a = l.asDouble, let b = r.asDouble, !l.isString, !r.isString else { throw typeError() }
            switch op {
            case "-": return .double(a - b)
            case "*": return .double(a * b)
            case "//":
                guard b != 0 else { throw error("float floor division by zero", code: .wrongType, at: offset) }
                return .double((a / b).rounded(.down))
            case "%":
                guard b != 0 else { throw error("float modulo by zero", code: .wrongType, at: offset) }
                return .double(a - (a / b).rounded(.down) * b)
            default: return .double(pow(a, b))
            }
        case "/":
            guard let a = l.asDouble, let b = r.asDouble, !l.isString, !r.isString else { throw typeError() }
            guard b != 0 else { throw error("division by zero", code: .wrongType, at: offset) }
            return .double(a / b)
        default:
            throw error("unknown operator '\(op)'", code: .wrongType, at: offset)
        }
    }
}
