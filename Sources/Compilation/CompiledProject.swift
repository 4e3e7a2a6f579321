import Basics
import DependencyGraph
import ProjectModel
import Templating
import Warehouse

/// Everything `compile` produces: the nodes, the graph, and a topological order.
public struct CompiledProject: Sendable {
    public var projectName: String
    /// Native (`strata.yml`) or dbt (`dbt_project.yml`): dbt projects keep dbt's spellings where they differ.
    public var projectKind: Project.Kind = .strata
    public var target: TargetInfo
    public var nodes: [NodeID: CompiledNode]
    /// The dependency graph. Changed only through `replaceGraph`, which keeps `order` derived from it.
    public private(set) var graph: Graph
    /// A topological order of `graph`, derived from it (never set on its own).
    public private(set) var order: [NodeID]
    public var warnings: [Diagnostic]
    /// Rendered `on-run-start` / `on-run-end` hooks of the project.
    public var onRunStart: [String] = []
    /// Every template macro of the project and its packages (the manifest's `macros`).
    public var macros: [MacroEntry] = []
    public var onRunEnd: [String] = []
    /// Seconds spent in each compilation phase, in order (for STRATA_TIMINGS and the benchmark).
    public var timings: [(phase: String, seconds: Double)] = []

    /// `graph` must be acyclic (compilation checks it first).
    public init(projectName: String, projectKind: Project.Kind = .strata, target: TargetInfo, nodes: [NodeID: CompiledNode], graph: Graph,
                warnings: [Diagnostic] = [], timings: [(phase: String, seconds: Double)] = []) {
        self.init(projectName: projectName, projectKind: projectKind, target: target, nodes: nodes, graph: graph,
                  order: (try? graph.topologicalOrder()) ?? [], warnings: warnings, timings: timings)
    }

    /// For the compiler, which has just derived `order` from `graph`.
    init(projectName: String, projectKind: Project.Kind, target: TargetInfo, nodes: [NodeID: CompiledNode], graph: Graph, order: [NodeID],
         warnings: [Diagnostic], timings: [(phase: String, seconds: Double)]) {
        self.projectName = projectName
        self.projectKind = projectKind
        self.target = target
        self.nodes = nodes
        self.graph = graph
        self.order = order
        self.warnings = warnings
        self.timings = timings
    }
}

extension CompiledProject {
    /// The model of that name (what a contract's foreign key or `ref` by name points at).
    public func model(named name: String) -> CompiledNode? {
        nodes.values.first { $0.kind == .model && $0.name == name }
    }

    /// Replaces the graph and derives the order from it; a cycle is an error with its edges.
    mutating func replaceGraph(_ newGraph: Graph) throws {
        order = try newGraph.topologicalOrder()
        graph = newGraph
    }

    /// The nodes `id` depends on, from the graph.
    public func dependsOn(_ id: NodeID) -> [NodeID] { (graph.parents[id] ?? []).sorted() }
}

extension Duration {
    public var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

