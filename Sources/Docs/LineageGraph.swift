import Foundation
import Basics
import Compilation
import DependencyGraph
import ProjectModel

/// The documented graph: models, seeds, sources and snapshots (tests are attached to what they test), their
/// edges, column-level lineage where the SQL could be read, and a layered layout. Built from the compiled project
/// only (what the manifest holds), plus optional facts from the database and the last run.
public struct LineageGraph: Sendable {
    public struct Node: Sendable {
        public var id: NodeID
        public var node: CompiledNode
        public var upstream: [Int] = []
        public var downstream: [Int] = []
        /// Output column → upstream (node index, column), for models whose SQL could be read.
        public var columnLineage: [(column: String, origins: [(node: Int, column: String)])] = []
        public var tests: [CompiledNode] = []
        /// The node's columns as far as known: its SQL's output, a seed's header, the catalog, its YAML.
        public var columnNames: [String] = []
        public var layer = 0
        public var row = 0
    }

    public var projectName: String
    public var nodes: [Node]
    /// Whether each node is in the selection.
    public var visible: [Bool]
    public var index: [NodeID: Int]

    /// Facts about a relation read from the database.
    public struct CatalogEntry: Sendable {
        public var columns: [(name: String, type: String, comment: String?)]
        public var rows: Double?
        public var bytes: Int?
        public var comment: String?
        public var kind: String
        public init(columns: [(name: String, type: String, comment: String?)], rows: Double?, bytes: Int?, comment: String?, kind: String) {
            self.columns = columns
            self.rows = rows
            self.bytes = bytes
            self.comment = comment
            self.kind = kind
        }
    }

    /// The last run's outcome of a node (`target/run_results.json`).
    public struct LastRun: Sendable {
        public var status: String
        public var completedAt: String?
        public var executionTime: Double
        public var failures: Int?
        public init(status: String, completedAt: String?, executionTime: Double, failures: Int?) {
            self.status = status
            self.completedAt = completedAt
            self.executionTime = executionTime
            self.failures = failures
        }
    }

    /// `selected` restricts the graph (nil: everything); `catalog` supplies columns of relations for `select *`.
    public init(_ compiled: CompiledProject, selected: Set<NodeID>? = nil, catalog: [Relation: CatalogEntry] = [:], seedColumns: [NodeID: [String]] = [:],
                columns: Bool = true, exposures: [Exposure] = []) {
        projectName = compiled.projectName
        // every node is analysed (lineage crosses the selection's edge); `visible` says what the formats print
        var kept = compiled.order.filter { compiled.nodes[$0].map { $0.kind != .test } ?? false }
        var extra: [NodeID: CompiledNode] = [:]
        var extraParents: [NodeID: [NodeID]] = [:]
        // exposures come last: they read models, nothing reads them
        for e in exposures {
            let id = NodeID("exposure.\(compiled.projectName).\(e.name)")
            extra[id] = CompiledNode(id: id, name: e.name, path: e.location?.file ?? "", relation: nil, description: e.description,
                                     payload: .exposure(ExposureSpec(type: e.type, owner: e.owner, url: e.url, maturity: e.maturity)))
            extraParents[id] = e.dependsOn.compactMap { Self.resolve($0, in: compiled) }
            kept.append(id)
        }
        nodes = kept.map { Node(id: $0, node: compiled.nodes[$0] ?? extra[$0]!) }
        index = Dictionary(uniqueKeysWithValues: kept.enumerated().map { ($1, $0) })
        visible = kept.map { selected?.contains($0) ?? true }
        // edges through ephemeral models that are not shown stay edges of their own
        for (i, n) in nodes.enumerated() {
            let ups = (compiled.graph.parents[n.id] ?? extraParents[n.id] ?? []).compactMap { index[$0] }
            nodes[i].upstream = Array(Set(ups)).sorted()
            for u in nodes[i].upstream { nodes[u].downstream.append(i) }
        }
        for id in compiled.order {
            guard let t = compiled.nodes[id], t.kind == .test else { continue }
            let target = t.test?.testedNode ?? compiled.graph.parents[id]?.first
            if let target, let i = index[target] { nodes[i].tests.append(t) }
        }
        layout()
        if columns { analyzeColumns(compiled, catalog: catalog, seedColumns: seedColumns) }
    }

    /// `ref('m')` or `source('s', 't')`, as an exposure's depends_on writes them, to a node.
    static func resolve(_ text: String, in compiled: CompiledProject) -> NodeID? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let args = t.drop { $0 != "(" }.dropFirst().dropLast().split(separator: ",").map {
            $0.trimmingCharacters(in: CharacterSet(charactersIn: " '\""))
        }
        if t.hasPrefix("ref("), let name = args.last {
            return compiled.nodes.values.first { [.model, .seed, .snapshot].contains($0.kind) && $0.name == name }?.id
        }
        if t.hasPrefix("source("), args.count == 2 {
            return compiled.nodes.values.first { $0.kind == .source && $0.name == "\(args[0]).\(args[1])" }?.id
        }
        return nil
    }

    /// Layers by longest path from the roots; rows by the mean row of the parents (one sweep), so edges run mostly
    /// left to right and straight.
    mutating func layout() {
        for i in nodes.indices {   // nodes are in topological order
            nodes[i].layer = (nodes[i].upstream.map { nodes[$0].layer + 1 }.max()) ?? 0
        }
        var byLayer: [Int: [Int]] = [:]
        for i in nodes.indices { byLayer[nodes[i].layer, default: []].append(i) }
        for layer in byLayer.keys.sorted() {
            let members = byLayer[layer]!
            let keyed = members.map { i -> (Double, Int) in
                let ups = nodes[i].upstream
                let mean = ups.isEmpty ? Double(i) : Double(ups.map { nodes[$0].row }.reduce(0, +)) / Double(ups.count)
                return (mean, i)
            }.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            for (row, (_, i)) in keyed.enumerated() { nodes[i].row = row }
        }
    }

    mutating func analyzeColumns(_ compiled: CompiledProject, catalog: [Relation: CatalogEntry], seedColumns: [NodeID: [String]]) {
        var byRelation: [String: NodeID] = [:]
        // two nodes may name one relation (a source over a seed's table): the later kind wins, deterministically
        let rank: [NodeKind: Int] = [.seed: 0, .source: 1, .snapshot: 2, .model: 3]
        let named = compiled.nodes.values.filter { $0.kind != .test && $0.relation != nil }
            .sorted { (rank[$0.kind] ?? 0, $0.id.rawValue) < (rank[$1.kind] ?? 0, $1.id.rawValue) }
        for n in named {
            let r = n.relation!
            byRelation["\(r.schema).\(r.identifier)"] = n.id
            byRelation[r.identifier] = n.id
        }
        var known: [NodeID: [String]] = seedColumns
        for (id, _) in index {
            guard let n = compiled.nodes[id], let r = n.relation, let c = catalog[r] else { continue }
            known[id] = c.columns.map(\.name)
        }
        for n in nodes where known[n.id] == nil && !n.node.columns.isEmpty && n.node.kind == .source { known[n.id] = n.node.columns.map(\.name) }
        // A node reads only nodes of lower layers, so the models of one layer are read in parallel, layer by layer,
        // against what the layers below found (read-only while a layer runs).
        var byLayer: [Int: [Int]] = [:]
        for (i, n) in nodes.enumerated() where (n.node.kind == .model || n.node.kind == .snapshot) && n.node.compiledSQL != nil { byLayer[n.layer, default: []].append(i) }
        let relations = byRelation
        for layer in byLayer.keys.sorted() {
            let frozen = known
            let results = byLayer[layer]!.concurrentMap { i -> (Int, ColumnLineage.Columns) in
                let reader = ColumnLineage(relation: { schema, name in relations[schema.map { "\($0).\(name)" } ?? name] ?? relations[name] },
                                           columnsOf: { frozen[$0] })
                return (i, reader.analyze(nodes[i].node.compiledSQL!))
            }
            for (i, columns) in results where !columns.isEmpty {
                known[nodes[i].id] = columns.map(\.name)
                nodes[i].columnLineage = columns.map { c in
                    (c.name, c.origins.sorted().compactMap { o in index[o.node].map { ($0, o.column) } })
                }
            }
        }
        for i in nodes.indices { nodes[i].columnNames = known[nodes[i].id] ?? nodes[i].node.columns.map(\.name) }
    }
}
