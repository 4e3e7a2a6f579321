import Foundation

/// Python's `re` module as dbt exposes it through `modules.re`: `sub`, `search`, `match`, `fullmatch`, `findall`,
/// `split`, `compile`, `escape` and the flags. Patterns run on ICU's engine, which reads Python's syntax for the
/// constructs templates use (classes, groups, anchors, quantifiers, `(?P<name>…)` is rewritten to `(?<name>…)`).
public enum PyRe {
    public static let flagValues: [(String, Int)] = [("I", 2), ("IGNORECASE", 2), ("M", 8), ("MULTILINE", 8), ("S", 16), ("DOTALL", 16), ("X", 64), ("VERBOSE", 64)]

    public static func module() -> Value {
        var entries: [(String, Value)] = flagValues.map { ($0.0, .int($0.1)) }
        for name in ["sub", "subn", "search", "match", "fullmatch", "findall", "split"] {
            entries.append((name, .function(Function(name) { args, site in
                guard let pattern = args.argument(0, "pattern") else { throw site.error("re.\(name)() needs a pattern", code: .wrongArguments) }
                let compiled = try PyPattern.make(pattern, flags: args.value("flags")?.asInt ?? 0, site: site)
                return try compiled.call(name, Arguments(Array(args.positional.dropFirst()), keyword: args.keyword.filter { $0.0 != "flags" }), site: site)
            })))
        }
        entries.append(("compile", .function(Function("compile") { args, site in
            guard let pattern = args.argument(0, "pattern") else { throw site.error("re.compile() needs a pattern", code: .wrongArguments) }
            return .object(try PyPattern.make(pattern, flags: args.argument(1, "flags")?.asInt ?? 0, site: site))
        })))
        entries.append(("escape", .function(Function("escape") { args, _ in
            let s = args.argument(0, "pattern")?.stringValue ?? ""
            var out = ""
            for ch in s {
                if ch.isLetter || ch.isNumber || ch == "_" || !ch.isASCII { out.append(ch) } else { out += "\\" + String(ch) }
            }
            return .string(out)
        })))
        return .dict(entries)
    }
}

/// A compiled pattern (`re.compile(...)`), whose methods take the string first.
final class PyPattern: TemplateObject {
    let pattern: String
    let flags: Int
    let regex: NSRegularExpression

    init(pattern: String, flags: Int, regex: NSRegularExpression) {
        self.pattern = pattern
        self.flags = flags
        self.regex = regex
    }

    static func make(_ value: Value, flags: Int, site: CallSite) throws -> PyPattern {
        if case .object(let p as PyPattern) = value { return p }
        let pattern = value.stringValue
        var options: NSRegularExpression.Options = []
        if flags & 2 != 0 { options.insert(.caseInsensitive) }
        if flags & 8 != 0 { options.insert(.anchorsMatchLines) }
        if flags & 16 != 0 { options.insert(.dotMatchesLineSeparators) }
        if flags & 64 != 0 { options.insert(.allowCommentsAndWhitespace) }
        do {
            let icu = pattern.replacingOccurrences(of: "(?P<", with: "(?<").replacingOccurrences(of: "\\Z", with: "\\z")
            return PyPattern(pattern: pattern, flags: flags, regex: try NSRegularExpression(pattern: icu, options: options))
        } catch {
            throw site.error("re: invalid pattern \(Value.string(pattern).repr)", code: .wrongArguments)
        }
    }

    var typeName: String { "Pattern" }
    var stringValue: String { "re.compile(\(Value.string(pattern).repr))" }

    func attribute(_ name: String) -> Value? {
        switch name {
        case "pattern": return .string(pattern)
        case "flags": return .int(flags)
        case "sub", "subn", "search", "match", "fullmatch", "findall", "split":
            return .function(Function(name) { [self] args, site in try call(name, args, site: site) })
        default: return nil
        }
    }

    func call(_ name: String, _ args: Arguments, site: CallSite) throws -> Value {
        switch name {
        case "sub", "subn":
            guard let repl = args.argument(0, "repl"), let string = args.argument(1, "string")?.stringValue else {
                throw site.error("re.\(name)() needs a replacement and a string", code: .wrongArguments)
            }
            let count = args.argument(2, "count")?.asInt ?? 0
            let (text, n) = try substitute(repl, in: string, count: count, site: site)
            return name == "sub" ? .string(text) : .tuple([.string(text), .int(n)])
        case "search", "match", "fullmatch":
            let string = args.argument(0, "string")?.stringValue ?? ""
            let ns = string as NSString
            var options: NSRegularExpression.MatchingOptions = []
            if name != "search" { options.insert(.anchored) }
            guard let m = regex.firstMatch(in: string, options: options, range: NSRange(location: 0, length: ns.length)) else { return .none }
            if name == "fullmatch", m.range.location + m.range.length != ns.length { return .none }
            return .object(PyMatch(m, in: string, regex: regex))
        case "findall":
            let string = args.argument(0, "string")?.stringValue ?? ""
            return .list(regex.matches(in: string, range: NSRange(location: 0, length: (string as NSString).length)).map { m in
                let groups = (1..<max(1, m.numberOfRanges)).map { PyMatch.group(m, $0, in: string) }
                if m.numberOfRanges <= 1 { return PyMatch.group(m, 0, in: string) }
                return groups.count == 1 ? groups[0] : .tuple(groups)
            })
        case "split":
            let string = args.argument(0, "string")?.stringValue ?? ""
            let maxsplit = args.argument(1, "maxsplit")?.asInt ?? 0
            let ns = string as NSString
            var parts: [Value] = []
            var last = 0
            for m in regex.matches(in: string, range: NSRange(location: 0, length: ns.length)) {
                if maxsplit > 0, parts.count / max(1, m.numberOfRanges) >= maxsplit { break }
                parts.append(.string(ns.substring(with: NSRange(location: last, length: m.range.location - last))))
                for g in 1..<max(1, m.numberOfRanges) { parts.append(PyMatch.group(m, g, in: string)) }
                last = m.range.location + m.range.length
            }
            parts.append(.string(ns.substring(from: last)))
            return .list(parts)
        default:
            throw site.error("re has no function '\(name)'", code: .wrongArguments)
        }
    }

    /// `re.sub`: a replacement string with Python's `\1`, `\g<1>`, `\g<name>` references, or a function of the match.
    func substitute(_ repl: Value, in string: String, count: Int, site: CallSite) throws -> (String, Int) {
        let ns = string as NSString
        var out = ""
        var last = 0
        var n = 0
        for m in regex.matches(in: string, range: NSRange(location: 0, length: ns.length)) {
            if count > 0, n >= count { break }
            out += ns.substring(with: NSRange(location: last, length: m.range.location - last))
            switch repl {
            case .function, .macro: out += try site.call(repl, Arguments([.object(PyMatch(m, in: string, regex: regex))])).stringValue
            default: out += expand(repl.stringValue, m, string)
            }
            last = m.range.location + m.range.length
            n += 1
        }
        out += ns.substring(from: last)
        return (out, n)
    }

    private func expand(_ template: String, _ m: NSTextCheckingResult, _ string: String) -> String {
        var out = ""
        var chars = Array(template)[...]
        while let c = chars.popFirst() {
            guard c == "\\", let next = chars.first else { out.append(c); continue }
            if next.isNumber {
                chars.removeFirst()
                var digits = String(next)
                if let d = chars.first, d.isNumber { digits.append(d); chars.removeFirst() }
                out += PyMatch.group(m, Int(digits)!, in: string).asString ?? ""
            } else if next == "g", chars.dropFirst().first == "<", let close = chars.firstIndex(of: ">") {
                let ref = String(chars[chars.index(chars.startIndex, offsetBy: 2)..<close])
                chars = chars[chars.index(after: close)...]
                if let i = Int(ref) { out += PyMatch.group(m, i, in: string).asString ?? "" }
                else { out += PyMatch.named(m, ref, in: string).asString ?? "" }
            } else {
                chars.removeFirst()
                switch next {
                case "n": out += "\n"
                case "t": out += "\t"
                case "\\": out += "\\"
                default: out += "\\" + String(next)
                }
            }
        }
        return out
    }
}

/// A match: `group(n)`, `groups()`, `start()`, `end()`, `span()`; truthy. Holds the group ranges (UTF-16, as
/// NSString counts; Python counts code points, which differ only beyond the Basic Multilingual Plane).
final class PyMatch: TemplateObject {
    let ranges: [NSRange]
    let named: [String: NSRange]
    let string: String

    init(_ match: NSTextCheckingResult, in string: String, regex: NSRegularExpression) {
        ranges = (0..<match.numberOfRanges).map { match.range(at: $0) }
        var named: [String: NSRange] = [:]
        for name in PyMatch.groupNames(regex.pattern) { named[name] = match.range(withName: name) }
        self.named = named
        self.string = string
    }

    /// The names of `(?<name>…)` groups in an ICU pattern.
    static func groupNames(_ pattern: String) -> [String] {
        var names: [String] = []
        var rest = pattern[...]
        while let r = rest.range(of: "(?<") {
            let after = rest[r.upperBound...]
            if let first = after.first, first != "=", first != "!", let close = after.firstIndex(of: ">") { names.append(String(after[..<close])) }
            rest = after
        }
        return names
    }

    static func group(_ m: NSTextCheckingResult, _ i: Int, in string: String) -> Value {
        guard i < m.numberOfRanges else { return .none }
        return text(m.range(at: i), string)
    }

    static func named(_ m: NSTextCheckingResult, _ name: String, in string: String) -> Value { text(m.range(withName: name), string) }

    static func text(_ r: NSRange?, _ string: String) -> Value {
        guard let r, r.location != NSNotFound else { return .none }
        return .string((string as NSString).substring(with: r))
    }

    func group(_ i: Int) -> Value { i < ranges.count ? Self.text(ranges[i], string) : .none }

    var typeName: String { "Match" }
    var stringValue: String {
        "<re.Match object; span=(\(ranges[0].location), \(ranges[0].location + ranges[0].length)), match=\(group(0).repr)>"
    }

    func attribute(_ name: String) -> Value? {
        @Sendable func range(_ args: Arguments) -> NSRange { ranges[min(max(0, args.positional.first?.asInt ?? 0), ranges.count - 1)] }
        switch name {
        case "group":
            return .function(Function(name) { [self] args, _ in
                let picks = args.positional.isEmpty ? [Value.int(0)] : args.positional
                let values = picks.map { p in p.asInt.map { group($0) } ?? Self.text(named[p.stringValue], string) }
                return values.count == 1 ? values[0] : .tuple(values)
            })
        case "groups": return .function(Function(name) { [self] _, _ in .tuple((1..<max(1, ranges.count)).map { group($0) }) })
        case "groupdict": return .function(Function(name) { [self] _, _ in .dict(named.keys.sorted().map { ($0, Self.text(named[$0], string)) }) })
        case "start": return .function(Function(name) { args, _ in .int(range(args).location) })
        case "end": return .function(Function(name) { args, _ in .int(range(args).location + range(args).length) })
        case "span": return .function(Function(name) { args, _ in .tuple([.int(range(args).location), .int(range(args).location + range(args).length)]) })
        case "string": return .string(string)
        default: return nil
        }
    }
}
