import Basics
import ProjectModel

/// What `state:` and `result:` selectors compare with: a previous invocation's artifacts (`--state DIR`).
public struct SelectionState: Sendable {
    /// Nodes the state's manifest does not have.
    public var new: Set<NodeID> = []
    /// Nodes it has.
    public var old: Set<NodeID> = []
    /// Nodes that changed since, by dbt's sub-selector: `body`, `configs`, `relation`, `persisted_descriptions`,
    /// `contract`, `macros`.
    public var modified: [String: Set<NodeID>] = [:]
    /// Each node's status in the state's `run_results.json` (`success`, `error`, `fail`, `warn`, `pass`, `skipped`).
    public var results: [NodeID: String] = [:]
    public init() {}

    /// dbt's sub-selectors of `state:modified`.
    public static let modifiedKinds = ["body", "configs", "relation", "persisted_descriptions", "contract", "macros"]

    /// The nodes `state:<value>` names, or nil for a value dbt does not have.
    func nodes(_ value: String) -> Set<NodeID>? {
        switch value {
        case "new": return new
        case "old": return old
        case "modified": return new.union(modified.values.reduce(into: Set<NodeID>()) { $0.formUnion($1) })
        case "unmodified": return old.subtracting(modified.values.reduce(into: Set<NodeID>()) { $0.formUnion($1) })
        default:
            guard value.hasPrefix("modified."), Self.modifiedKinds.contains(String(value.dropFirst("modified.".count))) else { return nil }
            return modified[String(value.dropFirst("modified.".count))] ?? []
        }
    }
}

/// dbt's node selection syntax: `name`, `+name`, `name+`, `2+name`, `+name+`, `@name`, `tag:x`,
/// `path:models/staging`, `config.materialized:table`, `source:raw`, globs; spaces union, commas intersect.
public struct Selector: Sendable {
    /// Union of intersections of atoms.
    let groups: [[Atom]]

    struct Atom: Sendable {
        var method: String   // fqn (name), tag, path, config.<key>, source, resource_type
        var value: String
        var parents: Int?    // nil none, Int.max all
        var children: Int?
        var at: Bool         // @: descendants and all their ancestors
    }

    public init(_ expression: String) throws {
        var groups: [[Atom]] = []
        for word in expression.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }) {
            groups.append(try word.split(separator: ",").map { try Selector.atom(String($0)) })
        }
        guard !groups.isEmpty else { throw Diagnostic(code: .emptySelector, "empty selector") }
        self.groups = groups
    }

    static func atom(_ raw: String) throws -> Atom {
        var s = Substring(raw)
        var at = false, parents: Int?, children: Int?
        if s.hasPrefix("@") { at = true; s = s.dropFirst() }
        if let plus = s.firstIndex(of: "+"), s[s.startIndex..<plus].allSatisfy(\.isNumber) {
            let digits = s[s.startIndex..<plus]
            parents = digits.isEmpty ? Int.max : Int(digits)!
            s = s[s.index(after: plus)...]
        }
        if let plus = s.lastIndex(of: "+"), s[s.index(after: plus)...].allSatisfy(\.isNumber), plus != s.startIndex {
            let digits = s[s.index(after: plus)...]
            children = digits.isEmpty ? Int.max : Int(digits)!
            s = s[..<plus]
        }
        guard !s.isEmpty else { throw Diagnostic(code: .emptySelector, "invalid selector '\(raw)'") }
        var method = "fqn", value = String(s)
        if let colon = s.firstIndex(of: ":") {
            method = String(s[..<colon])
            value = String(s[s.index(after: colon)...])
            let known = ["tag", "path", "source", "resource_type", "fqn", "file", "test_type", "package", "state", "result", "unique_id"]
            guard known.contains(method) || method.hasPrefix("config.") else {
                var msg = "unknown selector method '\(method)'"
                if let sug = Suggestion.closest(to: method, in: known + ["config.materialized"]) { msg += "; did you mean '\(sug)'?" }
                throw Diagnostic(code: .invalidSelector, msg)
            }
        }
        return Atom(method: method, value: value, parents: parents, children: children, at: at)
    }

    /// The ids this selector picks from `graph`.
    public func select(in graph: Graph, projectName: String, state: SelectionState? = nil) throws -> Set<NodeID> {
        var result = Set<NodeID>()
        for group in groups {
            var acc: Set<NodeID>?
            for atom in group {
                let s = try Selector.evaluate(atom, graph, projectName, state: state)
                acc = acc.map { $0.intersection(s) } ?? s
            }
            result.formUnion(acc ?? [])
        }
        return result
    }

    static func evaluate(_ atom: Atom, _ graph: Graph, _ project: String, state: SelectionState?) throws -> Set<NodeID> {
        var base: Set<NodeID>
        if atom.method == "state" || atom.method == "result" {
            guard let state else {
                throw Diagnostic(code: .invalidSelector, "\(atom.method):\(atom.value) compares with a previous run: give its artifacts with --state DIR (a target/ folder)")
            }
            if atom.method == "state" {
                guard let ids = state.nodes(atom.value) else {
                    let known = ["new", "old", "modified", "unmodified"] + SelectionState.modifiedKinds.map { "modified." + $0 }
                    var msg = "unknown state selector 'state:\(atom.value)'"
                    if let s = Suggestion.closest(to: atom.value, in: known) { msg += "; did you mean 'state:\(s)'?" }
                    throw Diagnostic(code: .invalidSelector, msg)
                }
                base = ids.filter { graph.nodes[$0] != nil }
            } else {
                base = Set(state.results.filter { $0.value == atom.value && graph.nodes[$0.key] != nil }.keys)
            }
        } else {
            base = Set(graph.nodes.values.filter { matches(atom, $0, project) }.map(\.id))
        }
        var out = base
        for id in base {
            if let p = atom.parents { out.formUnion(graph.ancestors(of: id, depth: p == Int.max ? nil : p)) }
            if let c = atom.children { out.formUnion(graph.descendants(of: id, depth: c == Int.max ? nil : c)) }
            if atom.at {
                let d = graph.descendants(of: id)
                out.formUnion(d)
                for x in d { out.formUnion(graph.ancestors(of: x)) }
                out.formUnion(graph.ancestors(of: id))
            }
        }
        base = out
        return base
    }

    static func matches(_ atom: Atom, _ node: GraphNode, _ project: String) -> Bool {
        switch atom.method {
        case "tag": return node.tags.contains { glob(atom.value, $0) }
        case "path", "file":
            let v = atom.value.hasSuffix("/") ? String(atom.value.dropLast()) : atom.value
            return !node.path.isEmpty && (node.path == v || node.path.hasPrefix(v + "/") || glob(v, node.path) || (atom.method == "file" && (node.path as String).hasSuffix("/" + v)))
        case "source":
            guard node.kind == .source else { return false }
            let parts = node.id.rawValue.split(separator: ".").dropFirst(2).map(String.init) // source, table
            let want = atom.value.split(separator: ".").map(String.init)
            return zip(want, parts).allSatisfy { glob($0, $1) } && want.count <= parts.count
        case "resource_type": return node.kind.rawValue == atom.value
        case "package": return glob(atom.value, node.id.package)
        case "unique_id": return glob(atom.value, node.id.rawValue)
        case "test_type":
            // dbt: unit, generic, singular; `data` means generic or singular
            guard node.kind == .test, let t = node.testType else { return false }
            return atom.value == "data" ? t != "unit" : t == atom.value
        default:
            if atom.method.hasPrefix("config.") {
                let key = String(atom.method.dropFirst("config.".count))
                guard let v = node.config[key] else { return false }
                switch v {
                case .string(let s): return glob(atom.value, s)
                case .bool(let b): return atom.value.lowercased() == (b ? "true" : "false")
                case .int(let i): return atom.value == String(i)
                case .list(let l): return l.contains { $0.asString.map { glob(atom.value, $0) } ?? false }
                default: return false
                }
            }
            // fqn / bare name: matches the node name, or a dotted fqn path (project.folder.name), or a folder
            if node.kind == .source { return false }
            if glob(atom.value, node.name) { return true }
            var fqn = node.fqn
            if fqn.isEmpty {
                fqn = [project]
                let comps = node.path.split(separator: "/").map(String.init)
                if comps.count > 1 { fqn += comps.dropFirst().dropLast() }
                fqn.append(node.name)
            }
            let want = atom.value.split(separator: ".").map(String.init)
            // dbt: the selector is a prefix of the fqn, with or without the project name
            if want.count <= fqn.count, zip(want, fqn).allSatisfy({ glob($0, $1) }) { return true }
            let rest = Array(fqn.dropFirst())
            if want.count <= rest.count, zip(want, rest).allSatisfy({ glob($0, $1) }) { return true }
            return false
        }
    }

    /// Shell-style glob with `*` and `?`.
    static func glob(_ pattern: String, _ s: String) -> Bool {
        if !pattern.contains("*") && !pattern.contains("?") { return pattern == s }
        let p = Array(pattern), t = Array(s)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "?" || p[pi] == t[ti] { pi += 1; ti += 1 }
            else if pi < p.count, p[pi] == "*" { star = pi; mark = ti; pi += 1 }
            else if star >= 0 { pi = star + 1; mark += 1; ti = mark }
            else { return false }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}

extension Graph {
    /// `--select` minus `--exclude`, with the tests of what is selected (dbt's eager indirect selection); no
    /// `--select` means every node.
    public func select(_ select: [String], exclude: [String], projectName: String, state: SelectionState? = nil) throws -> Set<NodeID> {
        try self.select(SelectionRequest(select: select, exclude: exclude), projectName: projectName, state: state).nodes
    }
}
