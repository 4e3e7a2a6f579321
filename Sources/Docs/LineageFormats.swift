import Foundation
import Basics
import Compilation
import ProjectModel

/// `strata lineage` output: JSON, Graphviz DOT, Mermaid, and OpenLineage run events.
public enum LineageFormats {
    public static func json(_ g: LineageGraph, columns: Bool) -> String {
        let nodes: [ConfigValue] = g.shown.map { n in
            var e = [
                ConfigEntry("id", .string(n.id.rawValue)), ConfigEntry("name", .string(n.node.name)),
                ConfigEntry("resource_type", .string(n.node.kind.rawValue)), ConfigEntry("materialized", .string(n.node.materializationName)),
                ConfigEntry("relation", n.node.relation.map { .string($0.rendered()) } ?? .null), ConfigEntry("path", .string(n.node.path)),
            ]
            if columns {
                e.append(ConfigEntry("columns", .list(n.columnNames.map { .string($0) })))
            }
            return .dict(e)
        }
        var edges: [ConfigValue] = []
        for (i, n) in g.nodes.enumerated() where g.visible[i] {
            for u in n.upstream where g.visible[u] { edges.append(.dict([ConfigEntry("from", .string(g.nodes[u].id.rawValue)), ConfigEntry("to", .string(n.id.rawValue))])) }
        }
        var root = [ConfigEntry("project", .string(g.projectName)), ConfigEntry("nodes", .list(nodes)), ConfigEntry("edges", .list(edges))]
        if columns {
            var columnEdges: [ConfigValue] = []
            for (i, n) in g.nodes.enumerated() where g.visible[i] {
                for c in n.columnLineage {
                    for o in c.origins {
                        columnEdges.append(.dict([
                            ConfigEntry("from", .dict([ConfigEntry("node", .string(g.nodes[o.node].id.rawValue)), ConfigEntry("column", .string(o.column))])),
                            ConfigEntry("to", .dict([ConfigEntry("node", .string(n.id.rawValue)), ConfigEntry("column", .string(c.column))])),
                        ]))
                    }
                }
            }
            root.append(ConfigEntry("column_edges", .list(columnEdges)))
        }
        return JSONWriter.write(.dict(root))
    }

    static func dotQuote(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    public static func dot(_ g: LineageGraph, columns: Bool) -> String {
        var out = ["digraph \(dotQuote(g.projectName)) {", "  rankdir=LR;", "  node [shape=box, style=\"rounded,filled\", fontname=\"Helvetica\"];"]
        let colors: [NodeKind: String] = [.model: "#dbeafe", .seed: "#dcfce7", .source: "#fef9c3", .snapshot: "#f3e8ff", .exposure: "#fee2e2"]
        for n in g.shown {
            var label = n.node.name
            if columns, !n.columnLineage.isEmpty {
                // a record: the node, then one field per column
                let fields = n.columnLineage.map { "<\(portName($0.column))> \(recordEscape($0.column))" }.joined(separator: "|")
                out.append("  \(dotQuote(n.id.rawValue)) [shape=record, label=\(dotQuote("{\(recordEscape(label))|\(fields)}")), fillcolor=\(dotQuote(colors[n.node.kind] ?? "#eeeeee"))];")
                continue
            }
            if n.node.kind == .source { label = n.node.name }
            out.append("  \(dotQuote(n.id.rawValue)) [label=\(dotQuote(label)), fillcolor=\(dotQuote(colors[n.node.kind] ?? "#eeeeee"))];")
        }
        for (i, n) in g.nodes.enumerated() where g.visible[i] {
            for u in n.upstream where g.visible[u] { out.append("  \(dotQuote(g.nodes[u].id.rawValue)) -> \(dotQuote(n.id.rawValue));") }
        }
        if columns {
            for (i, n) in g.nodes.enumerated() where g.visible[i] {
                for c in n.columnLineage {
                    for o in c.origins where g.visible[o.node] && !g.nodes[o.node].columnLineage.isEmpty {
                        out.append("  \(dotQuote(g.nodes[o.node].id.rawValue)):\(portName(o.column)) -> \(dotQuote(n.id.rawValue)):\(portName(c.column)) [style=dashed, color=\"#94a3b8\"];")
                    }
                }
            }
        }
        out.append("}")
        return out.joined(separator: "\n") + "\n"
    }

    static func portName(_ s: String) -> String { "c_" + s.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) ? String($0) : "_" }.joined() }
    static func recordEscape(_ s: String) -> String {
        var out = ""
        for ch in s { if "{}|<>\\\" ".contains(ch) { out.append("\\") }; out.append(ch) }
        return out
    }

    public static func mermaid(_ g: LineageGraph, columns: Bool) -> String {
        var out = ["flowchart LR"]
        func id(_ i: Int) -> String { "n\(i)" }
        func label(_ s: String) -> String { "\"" + s.replacingOccurrences(of: "\"", with: "#quot;") + "\"" }
        for (i, n) in g.nodes.enumerated() where g.visible[i] {
            var text = n.node.name
            if columns, !n.columnLineage.isEmpty { text += "<br/>" + n.columnLineage.map(\.column).joined(separator: "<br/>") }
            switch n.node.kind {
            case .source: out.append("  \(id(i))[(\(label(text)))]")
            case .seed: out.append("  \(id(i))[/\(label(text))/]")
            case .snapshot: out.append("  \(id(i))[[\(label(text))]]")
            case .exposure: out.append("  \(id(i))>\(label(text))]")
            default: out.append("  \(id(i))[\(label(text))]")
            }
        }
        for (i, n) in g.nodes.enumerated() where g.visible[i] { for u in n.upstream where g.visible[u] { out.append("  \(id(u)) --> \(id(i))") } }
        for kind in [NodeKind.model, .seed, .source, .snapshot, .exposure] {
            let members = g.nodes.indices.filter { g.visible[$0] && g.nodes[$0].node.kind == kind }
            if !members.isEmpty { out.append("  class \(members.map(id).joined(separator: ",")) \(kind.rawValue)") }
        }
        out.append("  classDef model fill:#dbeafe;")
        out.append("  classDef seed fill:#dcfce7;")
        out.append("  classDef source fill:#fef9c3;")
        out.append("  classDef snapshot fill:#f3e8ff;")
        if g.nodes.contains(where: { $0.node.kind == .exposure }) { out.append("  classDef exposure fill:#fee2e2;") }
        return out.joined(separator: "\n") + "\n"
    }

    /// One outcome of a run, for OpenLineage events.
    public struct RunOutcome: Sendable {
        public var id: NodeID
        public var status: String
        public var startedAt: String?
        public var completedAt: String?
        public init(id: NodeID, status: String, startedAt: String?, completedAt: String?) {
            self.id = id
            self.status = status
            self.startedAt = startedAt
            self.completedAt = completedAt
        }
    }

    public static let openLineageProducer = "https://github.com/strata-dev/strata/tree/v\(StrataVersion.current)"
    public static let openLineageSchema = "https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent"

    /// OpenLineage RunEvents (one JSON object per line): START and COMPLETE/FAIL for each built node of a run, with
    /// its upstream relations as inputs, its relation as output, and a columnLineage facet where known.
    /// `namespace` names the database (`postgres://host:port`), `invocationID` seeds the run ids.
    public static func openLineage(_ g: LineageGraph, outcomes: [RunOutcome], namespace: String, invocationID: String) -> String {
        var lines: [String] = []
        for o in outcomes {
            guard let i = g.index[o.id], g.visible[i] else { continue }
            let n = g.nodes[i]
            guard let relation = n.node.relation else { continue }
            let runID = uuid5(invocationID + "/" + o.id.rawValue)
            func dataset(_ node: LineageGraph.Node, facets: [ConfigEntry] = []) -> ConfigValue? {
                guard let r = node.node.relation else { return nil }
                return .dict([ConfigEntry("namespace", .string(namespace)), ConfigEntry("name", .string("\(r.database).\(r.schema).\(r.identifier)")),
                              ConfigEntry("facets", .dict(facets))])
            }
            var outputFacets: [ConfigEntry] = []
            if !n.columnLineage.isEmpty {
                let fields = n.columnLineage.map { c in
                    ConfigEntry(c.column, .dict([ConfigEntry("inputFields", .list(c.origins.compactMap { origin in
                        g.nodes[origin.node].node.relation.map { r in
                            .dict([ConfigEntry("namespace", .string(namespace)), ConfigEntry("name", .string("\(r.database).\(r.schema).\(r.identifier)")),
                                   ConfigEntry("field", .string(origin.column))])
                        }
                    }))]))
                }
                outputFacets.append(ConfigEntry("columnLineage", .dict([ConfigEntry("_producer", .string(openLineageProducer)),
                                                                        ConfigEntry("_schemaURL", .string("https://openlineage.io/spec/facets/1-2-0/ColumnLineageDatasetFacet.json#/$defs/ColumnLineageDatasetFacet")),
                                                                        ConfigEntry("fields", .dict(fields))])))
            }
            // inputs are relations: look through ephemeral models (CTEs) to what they read
            var inputIDs: [Int] = [], stack = n.upstream, seen = Set<Int>()
            while let u = stack.popLast() {
                guard seen.insert(u).inserted else { continue }
                if g.nodes[u].node.relation == nil { stack += g.nodes[u].upstream } else { inputIDs.append(u) }
            }
            let inputs = inputIDs.sorted().compactMap { dataset(g.nodes[$0]) }
            let output = dataset(n, facets: outputFacets)
            _ = relation
            let job = ConfigValue.dict([ConfigEntry("namespace", .string("strata://\(g.projectName)")), ConfigEntry("name", .string(o.id.rawValue)), ConfigEntry("facets", .dict([]))])
            let run = ConfigValue.dict([ConfigEntry("runId", .string(runID)), ConfigEntry("facets", .dict([]))])
            let end = o.status == "success" || o.status == "pass" || o.status == "warn" ? "COMPLETE" : (o.status == "skipped" ? "ABORT" : "FAIL")
            for (type, time) in [("START", o.startedAt ?? o.completedAt), (end, o.completedAt ?? o.startedAt)] {
                guard let time else { continue }
                let event = ConfigValue.dict([
                    ConfigEntry("eventType", .string(type)), ConfigEntry("eventTime", .string(time)), ConfigEntry("producer", .string(openLineageProducer)),
                    ConfigEntry("schemaURL", .string(openLineageSchema)), ConfigEntry("run", run), ConfigEntry("job", job),
                    ConfigEntry("inputs", .list(inputs)), ConfigEntry("outputs", .list(output.map { [$0] } ?? [])),
                ])
                lines.append(JSONWriter.write(event, pretty: false).trimmingCharacters(in: .newlines))
            }
        }
        return lines.isEmpty ? "" : lines.joined(separator: "\n") + "\n"
    }

    /// A name-based UUID (version 5 layout over SHA-256's first bytes), stable for the same invocation and node.
    static func uuid5(_ name: String) -> String {
        var bytes = Array(SHA256.hex(name).utf8.prefix(32)).chunked(2).map { UInt8(String(decoding: $0, as: UTF8.self), radix: 16)! }
        bytes[6] = (bytes[6] & 0x0f) | 0x50
        bytes[8] = (bytes[8] & 0x3f) | 0x80
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let h = Array(hex)
        return "\(String(h[0..<8]))-\(String(h[8..<12]))-\(String(h[12..<16]))-\(String(h[16..<20]))-\(String(h[20..<32]))"
    }
}

extension LineageGraph {
    /// The nodes in the selection, in order.
    var shown: [Node] { nodes.indices.filter { visible[$0] }.map { nodes[$0] } }
}

extension Array {
    func chunked(_ n: Int) -> [[Element]] {
        stride(from: 0, to: count, by: n).map { Array(self[$0..<Swift.min($0 + n, count)]) }
    }
}
