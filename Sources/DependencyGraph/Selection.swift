import Foundation
import Basics
import ProjectModel

/// dbt's `--indirect-selection`: which tests join a selection because of the nodes they test.
public enum IndirectSelection: String, Sendable, CaseIterable {
    /// A test joins when any node it reads is selected (dbt's default).
    case eager
    /// Only when every node it reads is selected.
    case cautious
    /// When every node it reads is selected or is an ancestor of a selected node.
    case buildable
    /// Never: only tests selected themselves.
    case empty
}

/// What to select: dbt's `--select`/`--exclude`, `--selector` (from selectors.yml), `--indirect-selection` and
/// `--resource-type`/`--exclude-resource-type`.
public struct SelectionRequest: Sendable {
    public var select: [String] = []
    public var exclude: [String] = []
    /// A selector of selectors.yml, in place of `select`/`exclude`.
    public var selector: String?
    public var indirect: IndirectSelection = .eager
    /// dbt's resource types to keep (`model`, `seed`, `snapshot`, `test`, `unit_test`, `source`, `exposure`); empty: all.
    public var resourceTypes: Set<String> = []
    public var excludeResourceTypes: Set<String> = []

    public init(select: [String] = [], exclude: [String] = [], selector: String? = nil, indirect: IndirectSelection = .eager,
                resourceTypes: Set<String> = [], excludeResourceTypes: Set<String> = []) {
        self.select = select
        self.exclude = exclude
        self.selector = selector
        self.indirect = indirect
        self.resourceTypes = resourceTypes
        self.excludeResourceTypes = excludeResourceTypes
    }

    /// dbt's names for the resource types Strata has.
    public static let resourceTypeNames = ["model", "seed", "snapshot", "test", "unit_test", "source", "exposure"]
}

/// The nodes a selection picked, and the criteria that matched nothing (dbt warns about each).
public struct SelectionResult: Sendable {
    public var nodes: Set<NodeID>
    public var unmatched: [(criterion: String, suggestion: String?)]
}

extension Graph {
    /// dbt's selection: the criteria (or the named selector, or the selectors file's default when nothing is
    /// given), the tests they bring in by `indirect`, minus the exclusions (and the tests of excluded nodes),
    /// restricted to the resource types asked for.
    public func select(_ request: SelectionRequest, selectors: [SelectorDefinition] = [], projectName: String,
                       state: SelectionState? = nil) throws -> SelectionResult {
        var unmatched: [(String, String?)] = []
        var chosen: Set<NodeID>
        var excluded: Set<NodeID> = []
        let definitions = Dictionary(selectors.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        if let name = request.selector ?? (request.select.isEmpty ? selectors.first(where: \.isDefault)?.name : nil) {
            guard let definition = definitions[name] else {
                var msg = selectors.isEmpty ? "--selector \(name): there is no selectors.yml in the project"
                    : "--selector \(name): selectors.yml has no selector of that name"
                if let s = Suggestion.closest(to: name, in: definitions.keys) { msg += "; did you mean '\(s)'?" }
                throw Diagnostic(code: .invalidSelector, msg)
            }
            var evaluator = SelectorEvaluator(graph: self, definitions: definitions, projectName: projectName, state: state, indirect: request.indirect)
            chosen = try evaluator.evaluate(definition)
            if chosen.isEmpty { unmatched.append(("--selector \(name)", nil)) }
        } else if request.select.isEmpty {
            chosen = Set(nodes.keys)
        } else {
            chosen = []
            for criterion in request.select {
                let picked = try Selector(criterion).select(in: self, projectName: projectName, state: state)
                if picked.isEmpty { unmatched.append((criterion, suggestion(for: criterion))) }
                chosen.formUnion(picked)
            }
            chosen = withTests(chosen, request.indirect)
        }
        if !request.exclude.isEmpty {
            excluded = try Selector(request.exclude.joined(separator: " ")).select(in: self, projectName: projectName, state: state)
            // the tests of what is excluded go with it
            excluded = withTests(excluded, .eager)
        }
        chosen.subtract(excluded)
        if !request.resourceTypes.isEmpty || !request.excludeResourceTypes.isEmpty {
            chosen = chosen.filter { id in
                guard let node = nodes[id] else { return false }
                let type = Self.resourceType(node)
                return (request.resourceTypes.isEmpty || request.resourceTypes.contains(type)) && !request.excludeResourceTypes.contains(type)
            }
        }
        return SelectionResult(nodes: chosen, unmatched: unmatched)
    }

    /// dbt's resource type of a node (unit tests are `unit_test`, other tests `test`).
    static func resourceType(_ node: GraphNode) -> String {
        node.kind == .test && node.testType == "unit" ? "unit_test" : node.kind.rawValue
    }

    /// `chosen` and the tests it brings in under `mode`.
    func withTests(_ chosen: Set<NodeID>, _ mode: IndirectSelection) -> Set<NodeID> {
        guard mode != .empty, !chosen.isEmpty else { return chosen }
        var out = chosen
        let upstream: Set<NodeID> = mode == .buildable ? chosen.reduce(into: []) { $0.formUnion(ancestors(of: $1)) } : []
        for node in nodes.values where node.kind == .test && !chosen.contains(node.id) {
            let reads = parents[node.id] ?? []
            guard reads.contains(where: chosen.contains) else { continue }
            switch mode {
            case .eager: out.insert(node.id)
            case .cautious: if reads.allSatisfy(chosen.contains) { out.insert(node.id) }
            case .buildable: if reads.allSatisfy({ chosen.contains($0) || upstream.contains($0) }) { out.insert(node.id) }
            case .empty: break
            }
        }
        return out
    }

    /// The node name closest to a plain name criterion (`stg_ordrs`), for the warning.
    func suggestion(for criterion: String) -> String? {
        let bare = criterion.trimmingCharacters(in: CharacterSet(charactersIn: "+@0123456789"))
        guard !bare.contains(":"), !bare.contains("*") else { return nil }
        return Suggestion.closest(to: bare, in: nodes.values.filter { $0.kind != .test }.map(\.name))
    }
}

/// Evaluates selectors.yml definitions (dbt's grammar: `union`, `intersection`, `exclude`, `method`/`value` with
/// `parents`/`children`/`childrens_parents`/`parents_depth`/`children_depth`/`indirect_selection`, CLI-style strings,
/// and `method: selector` to use another selector).
struct SelectorEvaluator {
    let graph: Graph
    let definitions: [String: SelectorDefinition]
    let projectName: String
    let state: SelectionState?
    let indirect: IndirectSelection
    var active: [String] = []

    init(graph: Graph, definitions: [String: SelectorDefinition], projectName: String, state: SelectionState?, indirect: IndirectSelection) {
        self.graph = graph
        self.definitions = definitions
        self.projectName = projectName
        self.state = state
        self.indirect = indirect
    }

    mutating func evaluate(_ selector: SelectorDefinition) throws -> Set<NodeID> {
        if active.contains(selector.name) {
            throw Diagnostic(code: .invalidSelector, "selector '\(selector.name)' uses itself (\((active + [selector.name]).joined(separator: " → ")))", at: selector.location)
        }
        active.append(selector.name)
        defer { active.removeLast() }
        do {
            return try evaluate(selector.definition, indirect: indirect)
        } catch var d as Diagnostic {
            if d.location == nil { d.location = selector.location; d.message = "selector '\(selector.name)': " + d.message }
            throw d
        }
    }

    mutating func evaluate(_ value: ConfigValue, indirect: IndirectSelection) throws -> Set<NodeID> {
        switch value {
        case .string(let criterion):
            return graph.withTests(try Selector(criterion).select(in: graph, projectName: projectName, state: state), indirect)
        case .list(let items):
            return try combine(items, union: true, indirect: indirect)
        case .dict(let entries):
            let keys = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
            if let items = keys["union"]?.asList { return try combine(items, union: true, indirect: indirect) }
            if let items = keys["intersection"]?.asList { return try combine(items, union: false, indirect: indirect) }
            if keys["exclude"] != nil {
                throw Diagnostic(code: .invalidSelector, "`exclude` belongs inside a union or intersection, next to what it excludes from")
            }
            return try leaf(keys, indirect: indirect)
        default:
            throw Diagnostic(code: .invalidSelector, "a selector definition is a string, a list, or a mapping with union, intersection or method/value")
        }
    }

    /// Items of a union or an intersection; `exclude:` items are taken away from the result.
    mutating func combine(_ items: [ConfigValue], union: Bool, indirect: IndirectSelection) throws -> Set<NodeID> {
        var result: Set<NodeID>?
        var excluded: Set<NodeID> = []
        for item in items {
            if case .dict(let entries) = item, entries.count == 1, entries[0].key == "exclude" {
                let parts = entries[0].value.asList ?? [entries[0].value]
                for p in parts { excluded.formUnion(graph.withTests(try evaluate(p, indirect: .empty), .eager)) }
                continue
            }
            let s = try evaluate(item, indirect: indirect)
            result = result.map { union ? $0.union(s) : $0.intersection(s) } ?? s
        }
        return (result ?? []).subtracting(excluded)
    }

    /// `method: tag, value: nightly, children: true, …`.
    mutating func leaf(_ keys: [String: ConfigValue], indirect: IndirectSelection) throws -> Set<NodeID> {
        guard let method = keys["method"]?.asString, let value = keys["value"].flatMap({ $0.asString ?? $0.asInt.map(String.init) }) else {
            throw Diagnostic(code: .invalidSelector, "a selector criterion needs `method:` and `value:` (or union/intersection)")
        }
        let known: Set<String> = ["method", "value", "parents", "children", "childrens_parents", "parents_depth", "children_depth", "indirect_selection", "description"]
        if let unknown = keys.keys.sorted().first(where: { !known.contains($0) }) {
            var msg = "unknown key '\(unknown)' in a selector criterion"
            if let s = Suggestion.closest(to: unknown, in: known) { msg += "; did you mean '\(s)'?" }
            throw Diagnostic(code: .invalidSelector, msg)
        }
        var mode = indirect
        if let text = keys["indirect_selection"]?.asString {
            guard let m = IndirectSelection(rawValue: text) else {
                throw Diagnostic(code: .invalidSelector, "indirect_selection must be eager, cautious, buildable or empty, not '\(text)'")
            }
            mode = m
        }
        if method == "selector" {
            guard let other = definitions[value] else { throw Diagnostic(code: .invalidSelector, "method: selector names '\(value)', which selectors.yml does not define") }
            return try evaluate(other)
        }
        func flag(_ k: String) -> Bool { keys[k]?.asBool == true }
        var criterion = (method == "fqn" ? "" : method + ":") + value
        let parents = keys["parents_depth"]?.asInt.map(String.init) ?? (flag("parents") ? "" : nil)
        let children = keys["children_depth"]?.asInt.map(String.init) ?? (flag("children") ? "" : nil)
        if flag("childrens_parents") { criterion = "@" + criterion }
        else {
            if let p = parents { criterion = p + "+" + criterion }
            if let c = children { criterion += "+" + c }
        }
        return graph.withTests(try Selector(criterion).select(in: graph, projectName: projectName, state: state), mode)
    }
}
