import Basics
import ProjectModel
import Yams

/// Reads YAML into located values: every mapping key keeps its file, line and column.
struct YAMLReader {
    let path: String

    /// Parses `text`; a syntax error becomes a located diagnostic.
    func parse(_ text: String) throws -> Node? {
        do {
            // No implicit tag resolution in the parser (Yams does it with a regex per scalar); see `scalar(_:)`.
            let node = try Yams.compose(yaml: text, .basic)
            if let node, !Self.withinSize(node, limit: Self.maxValues) {
                // aliases share subtrees, so a small file can stand for billions of values ("billion laughs")
                throw Diagnostic(code: .invalidYAML, "invalid YAML: it expands to more than \(Self.maxValues) values (aliases nested in aliases?)",
                                 at: SourceLocation(file: path, line: 1, column: 1))
            }
            return node
        } catch let e as YamlError {
            throw DiagnosticError(diagnostic(for: e))
        }
    }

    /// The most values one YAML file may expand to (a 10,000-model properties file is far below it).
    static let maxValues = 2_000_000

    /// Whether the tree, with aliases expanded, has at most `limit` nodes; stops counting at the limit.
    static func withinSize(_ node: Node, limit: Int) -> Bool {
        var budget = limit
        func walk(_ n: Node) -> Bool {
            budget -= 1
            if budget < 0 { return false }
            switch n {
            case .sequence(let seq): for x in seq where !walk(x) { return false }
            case .mapping(let m): for (k, v) in m where !walk(k) || !walk(v) { return false }
            default: break
            }
            return true
        }
        return walk(node)
    }

    func location(_ node: Node) -> SourceLocation? {
        node.mark.map { SourceLocation(file: path, line: $0.line, column: $0.column) }
    }

    func location(_ mark: Mark?) -> SourceLocation? {
        mark.map { SourceLocation(file: path, line: $0.line, column: $0.column) }
    }

    private func diagnostic(for e: YamlError) -> Diagnostic {
        switch e {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _), .composer(let context, let problem, let mark, _):
            var msg = "invalid YAML: \(problem)"
            if let context { msg += " (\(context.text))" }
            return Diagnostic(code: .invalidYAML, msg, at: SourceLocation(file: path, line: mark.line, column: mark.column))
        case .duplicatedKeysInMapping(let duplicates, let context):
            return Diagnostic(code: .invalidYAML, "invalid YAML: duplicate keys \(duplicates.joined(separator: ", ")) (\(context.text))",
                              at: SourceLocation(file: path, line: context.mark.line, column: context.mark.column))
        case .reader(let problem, _, _, _):
            return Diagnostic(code: .invalidYAML, "invalid YAML: \(problem)", at: SourceLocation(file: path, line: 1, column: 1))
        default:
            return Diagnostic(code: .invalidYAML, "invalid YAML: \(e)", at: SourceLocation(file: path, line: 1, column: 1))
        }
    }

    /// Converts a node to a config value, resolving plain scalars as YAML 1.1 core types.
    func value(_ node: Node) -> ConfigValue {
        switch node {
        case .scalar(let s):
            return s.style == .plain ? Self.resolvePlain(s.string) : .string(s.string)
        case .sequence(let seq):
            return .list(seq.map { value($0) })
        case .mapping(let m):
            return .dict(m.map { k, v in ConfigEntry(k.string ?? "\(k)", value(v), at: location(k)) })
        case .alias:
            return .null
        }
    }

    /// YAML 1.1 resolution of a plain scalar (null, bool, int, float), as PyYAML does for dbt.
    static func resolvePlain(_ s: String) -> ConfigValue {
        switch s {
        case "", "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": return .bool(true)
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .double(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .double(-.infinity)
        case ".nan", ".NaN", ".NAN": return .double(.nan)
        default: break
        }
        guard let first = s.utf8.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".") || (first >= 0x30 && first <= 0x39) else {
            return .string(s)
        }
        let digits = s.replacingOccurrences(of: "_", with: "")
        if let i = Int(digits) { return .int(i) }
        if digits.hasPrefix("0x"), let i = Int(digits.dropFirst(2), radix: 16) { return .int(i) }
        if digits.contains("."), digits.allSatisfy({ $0.isNumber || "+-.eE".contains($0) }), let d = Double(digits) { return .double(d) }
        return .string(s)
    }

    /// The entries of a mapping node with key locations, or a diagnostic if it is not a mapping.
    func mapping(_ node: Node, what: String) throws -> [(key: String, node: Node, location: SourceLocation?)] {
        guard case .mapping(let m) = node else {
            throw Diagnostic(code: .wrongYAMLShape, "\(what) must be a mapping", at: location(node))
        }
        return m.map { (k, v) in (k.string ?? "\(k)", v, location(k)) }
    }

    func sequence(_ node: Node, what: String) throws -> [Node] {
        if case .scalar(let s) = node, s.style == .plain, Self.resolvePlain(s.string) == .null { return [] }
        guard case .sequence(let seq) = node else {
            throw Diagnostic(code: .wrongYAMLShape, "\(what) must be a list", at: location(node))
        }
        return Array(seq)
    }

    func string(_ node: Node, what: String) throws -> String {
        guard case .scalar(let s) = node else {
            throw Diagnostic(code: .wrongYAMLShape, "\(what) must be a string", at: location(node))
        }
        return s.string
    }

    func stringList(_ node: Node, what: String) throws -> [String] {
        if case .scalar(let s) = node { return [s.string] }
        return try sequence(node, what: what).map { try string($0, what: what) }
    }

    /// An unknown key: a diagnostic with a did-you-mean suggestion.
    func unknownKey(_ key: String, at location: SourceLocation?, known: [String], in what: String, severity: Severity = .error) -> Diagnostic {
        var msg = "unknown key '\(key)' in \(what)"
        if let s = Suggestion.closest(to: key, in: known) { msg += "; did you mean '\(s)'?" }
        return Diagnostic(severity, code: .unknownProjectKey, msg, at: location)
    }
}
