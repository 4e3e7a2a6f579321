import Basics
import ProjectModel

/// What selectors can see of a node.
public struct GraphNode: Sendable {
    public var id: NodeID
    public var kind: NodeKind
    public var name: String
    /// Project-relative file path (empty for sources declared in YAML).
    public var path: String
    public var tags: [String]
    /// Resolved config, for `config.<key>:<value>` selectors (the user names the key).
    public var config: [String: ConfigValue]
    /// For tests: `generic`, `singular`, `unit` or `contract`, for `test_type:` selectors.
    public var testType: String?
    /// dbt's fully qualified name (`[package, folders…, name]`), for fqn selectors; empty: derived from `path`.
    public var fqn: [String]

    public init(id: NodeID, kind: NodeKind, name: String, path: String, tags: [String] = [], config: [String: ConfigValue] = [:], testType: String? = nil,
                fqn: [String] = []) {
        self.fqn = fqn
        self.id = id
        self.kind = kind
        self.name = name
        self.path = path
        self.tags = tags
        self.config = config
        self.testType = testType
    }
}

/// A dependency edge and where it was written (for cycle reports).
public struct Edge: Sendable, Hashable {
    public var from: NodeID   // the upstream node
    public var to: NodeID     // the node that depends on it
    public var location: SourceLocation?
    public init(from: NodeID, to: NodeID, location: SourceLocation? = nil) {
        self.from = from
        self.to = to
        self.location = location
    }
}

/// The project's DAG: nodes, parent/child adjacency, topological order.
public struct Graph: Sendable {
    public private(set) var nodes: [NodeID: GraphNode] = [:]
    public private(set) var parents: [NodeID: [NodeID]] = [:]
    public private(set) var children: [NodeID: [NodeID]] = [:]
    private var edgeLocations: [NodeID: [NodeID: SourceLocation]] = [:]

    public init() {}

    public mutating func add(_ node: GraphNode) {
        nodes[node.id] = node
        if parents[node.id] == nil { parents[node.id] = [] }
        if children[node.id] == nil { children[node.id] = [] }
    }

    /// Adds `edge` once; both ends must already be nodes.
    public mutating func add(_ edge: Edge) {
        if edgeLocations[edge.to]?[edge.from] != nil { return }
        parents[edge.to, default: []].append(edge.from)
        children[edge.from, default: []].append(edge.to)
        if let l = edge.location { edgeLocations[edge.to, default: [:]][edge.from] = l } else { edgeLocations[edge.to, default: [:]][edge.from] = SourceLocation(file: "", line: 0, column: 0) }
    }

    public func location(of from: NodeID, to: NodeID) -> SourceLocation? {
        guard let l = edgeLocations[to]?[from], l.line > 0 else { return nil }
        return l
    }

    /// Kahn's algorithm; ties broken by id (a min-heap) so the order is deterministic. Throws on a cycle, naming its edges.
    public func topologicalOrder() throws -> [NodeID] {
        var indegree: [NodeID: Int] = [:]
        indegree.reserveCapacity(parents.count)
        for (id, ps) in parents { indegree[id] = ps.count }
        var ready = MinHeap<NodeID>()
        for (id, d) in indegree where d == 0 { ready.push(id) }
        var order: [NodeID] = []
        order.reserveCapacity(nodes.count)
        while let id = ready.pop() {
            order.append(id)
            for c in children[id] ?? [] {
                indegree[c]! -= 1
                if indegree[c] == 0 { ready.push(c) }
            }
        }
        if order.count < nodes.count {
            throw cycleDiagnostic(among: Set(indegree.filter { $0.value > 0 }.map(\.key)))
        }
        return order
    }

    /// Finds one cycle among the nodes left over by Kahn's algorithm and reports it edge by edge.
    func cycleDiagnostic(among remaining: Set<NodeID>) -> Diagnostic {
        // Walk parents inside the remaining set until a node repeats.
        var path: [NodeID] = []
        var seen: [NodeID: Int] = [:]
        var cur = remaining.min()!
        while seen[cur] == nil {
            seen[cur] = path.count
            path.append(cur)
            cur = (parents[cur] ?? []).filter { remaining.contains($0) }.min()!
        }
        // path[i]'s parent is path[i+1]; the cycle is path[seen[cur]...]
        var cycle = Array(path[seen[cur]!...]).reversed() as [NodeID]
        // Start at the smallest id so the same cycle is always reported the same way.
        let start = cycle.firstIndex(of: cycle.min()!)!
        cycle = Array(cycle[start...] + cycle[..<start])
        cycle.append(cycle[0])
        let names = cycle.map { nodes[$0]?.name ?? $0.rawValue }
        var notes: [Diagnostic.Note] = []
        for i in 0..<(cycle.count - 1) {
            let up = cycle[i], down = cycle[i + 1]
            notes.append(.init("'\(nodes[down]?.name ?? down.rawValue)' depends on '\(nodes[up]?.name ?? up.rawValue)' here", at: location(of: up, to: down)))
        }
        let first = notes.first?.location
        return Diagnostic(code: .dependencyCycle, "dependency cycle: \(names.joined(separator: " -> "))", at: first, notes: notes)
    }

    /// All ancestors of `id` up to `depth` levels (nil: all).
    public func ancestors(of id: NodeID, depth: Int? = nil) -> Set<NodeID> { walk(from: id, along: parents, depth: depth) }
    public func descendants(of id: NodeID, depth: Int? = nil) -> Set<NodeID> { walk(from: id, along: children, depth: depth) }

    private func walk(from id: NodeID, along adjacency: [NodeID: [NodeID]], depth: Int?) -> Set<NodeID> {
        var seen = Set<NodeID>()
        var frontier = [id]
        var level = 0
        while !frontier.isEmpty, depth.map({ level < $0 }) ?? true {
            var next: [NodeID] = []
            for n in frontier {
                for p in adjacency[n] ?? [] where seen.insert(p).inserted { next.append(p) }
            }
            frontier = next
            level += 1
        }
        return seen
    }
}

/// A binary min-heap.
struct MinHeap<T: Comparable> {
    private var items: [T] = []

    mutating func push(_ x: T) {
        items.append(x)
        var i = items.count - 1
        while i > 0 {
            let p = (i - 1) / 2
            guard items[i] < items[p] else { break }
            items.swapAt(i, p)
            i = p
        }
    }

    mutating func pop() -> T? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < items.count, items[l] < items[m] { m = l }
            if r < items.count, items[r] < items[m] { m = r }
            if m == i { break }
            items.swapAt(i, m)
            i = m
        }
        return top
    }
}
