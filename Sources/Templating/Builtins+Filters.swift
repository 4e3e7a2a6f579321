import Foundation
import Basics

extension Builtins {
    static func filter(_ name: String, _ v: Value, _ args: Arguments, site: CallSite) throws -> Value {
        func arg(_ i: Int, _ n: String) -> Value? { args.argument(i, n) }
        func items() throws -> [Value] {
            // Jinja's map/select/reject/selectattr/rejectattr iterate only a truthy value: none gives nothing
            if !v.isTrue, ["map", "select", "reject", "selectattr", "rejectattr"].contains(name) { return [] }
            guard let xs = v.iterated else { throw site.error("filter '\(name)' expects a sequence, not \(v.typeName)", code: .wrongType) }
            return xs
        }
        switch name {
        case "default", "d":
            // Undefined operands are handled before evaluation (Renderer); here only `boolean=true` replaces falsy values.
            let fallback = arg(0, "default_value") ?? .string("")
            if v.isUndefined || (arg(1, "boolean")?.isTrue == true && !v.isTrue) { return fallback }
            return v
        case "join":
            let sep = arg(0, "d")?.stringValue ?? ""
            var xs = try items()
            if let attr = arg(1, "attribute")?.stringValue { xs = try xs.map { try attributeValue($0, attr, site) } }
            return .string(xs.map(\.stringValue).joined(separator: sep))
        case "length", "count":
            switch v {
            case .string(let s): return .int(s.count)
            case .dict(let d): return .int(d.keys.count)
            default: return .int(try items().count)
            }
        case "lower": return .string(v.stringValue.lowercased())
        case "upper": return .string(v.stringValue.uppercased())
        case "capitalize": let s = v.stringValue; return .string(s.prefix(1).uppercased() + s.dropFirst().lowercased())
        case "title": return .string(v.stringValue.capitalized)
        case "trim", "strip":
            let chars = arg(0, "chars")?.asString.map { CharacterSet(charactersIn: $0) } ?? .whitespacesAndNewlines
            return .string(strip(v.stringValue, chars, leading: true, trailing: true))
        case "replace":
            guard let old = arg(0, "old")?.stringValue, let new = arg(1, "new")?.stringValue else { throw site.error("replace expects two arguments", code: .wrongArguments) }
            return .string(v.stringValue.replacingOccurrences(of: old, with: new))
        case "list": return .list(try items())
        case "string", "as_text": return .string(v.stringValue)
        case "int":
            switch v {
            case .int: return v
            case .double(let d): return .int(Int(d))
            case .bool(let b): return .int(b ? 1 : 0)
            case .string(let s):
                let t = s.trimmingCharacters(in: .whitespaces)
                return .int(Int(t) ?? Double(t).map { Int($0) } ?? (arg(0, "default")?.asInt ?? 0))
            default: return arg(0, "default") ?? .int(0)
            }
        case "float":
            if let d = v.asDouble { return .double(d) }
            if case .string(let s) = v, let d = Double(s.trimmingCharacters(in: .whitespaces)) { return .double(d) }
            return arg(0, "default") ?? .double(0)
        case "abs":
            if case .int(let i) = v { return .int(abs(i)) }
            guard let d = v.asDouble else { throw site.error("abs expects a number, not \(v.typeName)", code: .wrongType) }
            return .double(abs(d))
        case "round":
            guard let d = v.asDouble else { throw site.error("round expects a number, not \(v.typeName)", code: .wrongType) }
            let precision = arg(0, "precision")?.asInt ?? 0
            let method = arg(1, "method")?.stringValue ?? "common"
            let m = pow(10.0, Double(precision))
            let scaled = d * m
            // Python's round(): exact ties go to the even neighbour
            let tie = abs(scaled - scaled.rounded(.towardZero)) == 0.5
            let rule: FloatingPointRoundingRule = method == "ceil" ? .up : method == "floor" ? .down : (tie ? .toNearestOrEven : .toNearestOrAwayFromZero)
            return .double(scaled.rounded(rule) / m)
        case "first":
            let xs = try items()
            guard let f = xs.first else { throw site.error("first of an empty sequence", code: .noSuchItem) }
            return f
        case "last":
            let xs = try items()
            guard let l = xs.last else { throw site.error("last of an empty sequence", code: .noSuchItem) }
            return l
        case "sort":
            var xs = try items()
            let reverse = arg(0, "reverse")?.isTrue ?? false
            if let attr = arg(2, "attribute")?.stringValue {
                let keyed = try xs.map { ($0, try attributeValue($0, attr, site)) }
                xs = keyed.sorted { compare($0.1, $1.1) < 0 }.map(\.0)
            } else {
                xs.sort { compare($0, $1) < 0 }
            }
            return .list(reverse ? xs.reversed() : xs)
        case "reverse":
            if case .string(let s) = v { return .string(String(s.reversed())) }
            return .list(try items().reversed())
        case "unique":
            var out: [Value] = []
            for x in try items() where !out.contains(where: { $0.equals(x) }) { out.append(x) }
            return .list(out)
        case "map":
            let xs = try items()
            if let attr = args.value("attribute")?.stringValue {
                return .list(try xs.map { try attributeValue($0, attr, site) })
            }
            guard let filterName = args.positional.first?.asString else { throw site.error("map expects a filter name or attribute=", code: .wrongArguments) }
            let rest = Arguments(Array(args.positional.dropFirst()), keyword: args.keyword)
            return .list(try xs.map { try filter(filterName, $0, rest, site: site) })
        case "select", "reject":
            let xs = try items()
            let keep = name == "select"
            guard let testName = args.positional.first?.asString else { return .list(xs.filter { $0.isTrue == keep }) }
            let rest = Array(args.positional.dropFirst())
            return .list(try xs.filter { try test(testName, $0, rest, site: site) == keep })
        case "selectattr", "rejectattr":
            let xs = try items()
            let keep = name == "selectattr"
            guard let attr = args.positional.first?.asString else { throw site.error("\(name) expects an attribute name", code: .wrongArguments) }
            let testName = args.positional.count > 1 ? args.positional[1].asString : nil
            let rest = Array(args.positional.dropFirst(2))
            return .list(try xs.filter { x in
                let a = try attributeValue(x, attr, site)
                let r = try testName.map { try test($0, a, rest, site: site) } ?? a.isTrue
                return r == keep
            })
        case "tojson":
            return .string(JSON.encode(v, indent: arg(0, "indent")?.asInt, sortKeys: false))
        case "indent":
            let width = arg(0, "width")?.asInt ?? 4
            let first = arg(1, "first")?.isTrue ?? false
            let blank = arg(2, "blank")?.isTrue ?? false
            let pad = String(repeating: " ", count: width)
            let lines = v.stringValue.components(separatedBy: "\n")
            return .string(lines.enumerated().map { i, l in
                (i == 0 && !first) || (l.isEmpty && !blank) ? l : pad + l
            }.joined(separator: "\n"))
        case "as_bool":
            if case .string(let s) = v {
                switch s.lowercased() { case "true": return .bool(true); case "false": return .bool(false); default: return v }
            }
            return v
        case "as_number":
            if case .string(let s) = v {
                if let i = Int(s) { return .int(i) }
                if let d = Double(s) { return .double(d) }
            }
            return v
        case "as_native":
            if case .string(let s) = v, let parsed = try? JSON.decode(s) { return parsed }
            return v
        case "dictsort":
            guard case .dict(let d) = v else { throw site.error("dictsort expects a dict", code: .wrongType) }
            return .list(d.pairs.sorted { $0.0 < $1.0 }.map { .tuple([.string($0.0), $0.1]) })
        case "batch":
            let size = max(1, arg(0, "linecount")?.asInt ?? 1)
            let xs = try items()
            return .list(stride(from: 0, to: xs.count, by: size).map { .list(Array(xs[$0..<min($0 + size, xs.count)])) })
        case "sum":
            let xs = try items()
            var total: Value = arg(1, "start") ?? .int(0)
            for x in xs {
                let item = try arg(0, "attribute").map { try attributeValue(x, $0.stringValue, site) } ?? x
                if case .int(let a) = total, case .int(let b) = item { total = .int(a + b) } else { total = .double((total.asDouble ?? 0) + (item.asDouble ?? 0)) }
            }
            return total
        case "min", "max":
            let xs = try items()
            let sorted = xs.sorted { compare($0, $1) < 0 }
            return (name == "min" ? sorted.first : sorted.last) ?? .none
        case "wordcount": return .int(v.stringValue.split(whereSeparator: \.isWhitespace).count)
        case "items":
            guard case .dict(let d) = v else { throw site.error("items expects a dict", code: .wrongType) }
            return .list(d.pairs.map { .tuple([.string($0.0), $0.1]) })
        case "e", "escape", "safe", "striptags":
            return v
        case "format":
            return .string(percentFormat(v.stringValue, args.positional))
        case "center":
            let w = arg(0, "width")?.asInt ?? 80
            let s = v.stringValue
            let pad = max(0, w - s.count)
            return .string(String(repeating: " ", count: pad / 2) + s + String(repeating: " ", count: pad - pad / 2))
        default:
            throw site.error("unknown filter '\(name)'", code: .unknownFilter)
        }
    }

    static func attributeValue(_ v: Value, _ path: String, _ site: CallSite) throws -> Value {
        var cur = v
        for part in path.split(separator: ".") {
            let key = String(part)
            switch cur {
            case .dict(let d): cur = d[key] ?? .none
            case .object(let o): cur = o.attribute(key) ?? .none
            case .list(let l): cur = Int(key).flatMap { $0 < l.items.count ? l.items[$0] : nil } ?? .none
            default: throw site.error("\(cur.typeName) has no attribute '\(key)'", code: .noAttribute)
            }
        }
        return cur
    }
}
