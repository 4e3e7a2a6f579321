import Foundation
import Basics
import Compilation
import ProjectModel

/// The static documentation site: `index.html`, the app (`strata-docs.js`, `strata-docs.css`), the graph
/// (`data.js`) and the SQL in chunks (`sql/chunk-N.js`, loaded when a node page opens). Everything is local and
/// loads from `file://` (data files are scripts, not fetched), with no network, CDN or external font.
public struct Site: Sendable {
    public static let sqlChunkSize = 250

    public let graph: LineageGraph
    public let catalog: [Relation: LineageGraph.CatalogEntry]
    public let lastRun: [NodeID: LineageGraph.LastRun]
    public let generatedAt: String

    public init(graph: LineageGraph, catalog: [Relation: LineageGraph.CatalogEntry] = [:], lastRun: [NodeID: LineageGraph.LastRun] = [:], generatedAt: String) {
        self.graph = graph
        self.catalog = catalog
        self.lastRun = lastRun
        self.generatedAt = generatedAt
    }

    /// Relative path → contents.
    public func files() -> [(path: String, contents: String)] {
        var out: [(String, String)] = [
            ("index.html", Self.indexHTML(project: graph.projectName)),
            ("strata-docs.css", Self.css),
            ("strata-docs.js", Self.app),
            ("data.js", "window.STRATA_DOCS = " + Self.scriptSafe(JSONWriter.write(data(), pretty: false)) + ";\n"),
        ]
        let chunks = Array(graph.nodes.chunked(Self.sqlChunkSize).enumerated())
        out += chunks.concurrentMap { k, chunk -> (String, String) in
            let rows: [ConfigValue] = chunk.map { n in .list([.string(n.node.rawSQL), n.node.compiledSQL.map { .string($0) } ?? .null]) }
            return ("sql/chunk-\(k).js", "strataSQL(\(k), " + Self.scriptSafe(JSONWriter.write(.list(rows), pretty: false)) + ");\n")
        }
        return out
    }

    /// JSON that can sit inside a script: every `<` becomes `\u003c` (so `</script` and `<!--` cannot occur) and the
    /// line separators JavaScript once rejected are escaped. One pass over the bytes.
    static func scriptSafe(_ json: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(json.utf8.count + 1024)
        let bytes = Array(json.utf8)
        var i = 0
        while i < bytes.count {
            let b = bytes[i]
            if b == 0x3C {
                out.append(contentsOf: Array("\\u003c".utf8))
            } else if b == 0xE2, i + 2 < bytes.count, bytes[i + 1] == 0x80, bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9 {
                out.append(contentsOf: Array((bytes[i + 2] == 0xA8 ? "\\u2028" : "\\u2029").utf8))
                i += 2
            } else {
                out.append(b)
            }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    func data() -> ConfigValue {
        let nodes = Array(graph.nodes.enumerated()).concurrentMap { i, n in ConfigValueEncoder().tree(node(i, n)) }
        return ConfigValueEncoder().tree(SitePayload(project: graph.projectName, generatedAt: generatedAt, chunk: Self.sqlChunkSize, nodes: nodes))
    }

    func node(_ i: Int, _ n: LineageGraph.Node) -> DocsNode {
        let c = n.node
        var d = DocsNode(id: n.id.rawValue, name: c.name, kind: c.kind.rawValue, materialized: c.materializationName, path: c.path,
                         relation: c.relation?.rendered(), tags: c.tags, layer: n.layer, row: n.row, upstream: n.upstream)
        if !c.description.isEmpty { d.description = Markdown.html(c.description) }
        var owner = c.contract?.owner ?? c.meta.last { $0.key == "owner" }?.value.asString
        // an exposure's facts, then meta
        var facts: [String] = []
        if case .exposure(let x) = c.payload {
            if !x.owner.isEmpty { owner = owner ?? x.owner }
            facts = [("type", x.type), ("maturity", x.maturity), ("url", x.url)].compactMap { k, v in v.map { "\(k): \($0)" } }
        }
        facts += c.meta.map { "\($0.key): \(Self.plain($0.value))" }
        d.owner = owner
        d.group = c.group
        d.access = c.access
        if !facts.isEmpty { d.facts = facts }
        if let ct = c.contract {
            d.contract = DocsNode.Contract(name: ct.name, version: ct.version, file: ct.path, status: ct.status, description: Markdown.html(ct.description))
        }
        // columns: the catalog's order when there is one, then the contract's, the SQL's, the YAML's
        var names: [String] = []
        let cat = c.relation.flatMap { catalog[$0] }
        func add(_ name: String) { if !names.contains(name) { names.append(name) } }
        cat?.columns.forEach { add($0.name) }
        c.contract?.columns.forEach { add($0.name) }
        n.columnLineage.forEach { add($0.column) }
        c.columns.forEach { add($0.name) }
        let lineage = Dictionary(n.columnLineage.map { ($0.column, $0.origins) }, uniquingKeysWith: { a, _ in a })
        let columns: [DocsNode.Column] = names.map { name in
            var col = DocsNode.Column(name: name)
            let yaml = c.columns.first { $0.name == name }
            let contracted = c.contract?.column(name)
            col.type = cat?.columns.first(where: { $0.name == name })?.type ?? contracted?.dataType ?? yaml?.dataType
            let description = yaml?.description.isEmpty == false ? yaml!.description : (contracted?.description ?? cat?.columns.first { $0.name == name }?.comment ?? "")
            if !description.isEmpty { col.description = Markdown.html(description) }
            if let k = contracted {
                var parts = [k.dataType + (k.notNull ? " not null" : "")]
                parts += k.constraints.filter { $0.kind != .notNull }.map { x in
                    switch x.kind {
                    case .foreignKey: return "→ \(x.referencedModel ?? "").\(x.referencedColumn ?? "")"
                    case .check: return "check (\(x.expression ?? ""))"
                    case .acceptedValues: return "in (\(x.values.joined(separator: ", ")))"
                    default: return x.kind.rawValue
                    }
                }
                col.contract = parts.joined(separator: ", ")
            }
            let tests = n.tests.filter { $0.columns.first?.name == name }.map { $0.test?.name ?? $0.name }
            if !tests.isEmpty { col.tests = tests }
            if let origins = lineage[name], !origins.isEmpty { col.lineage = origins.map { DocsNode.Origin(node: $0.node, column: $0.column) } }
            return col
        }
        if !columns.isEmpty { d.columns = columns }
        if !n.tests.isEmpty {
            d.tests = n.tests.map { t in
                let r = lastRun[t.id]
                return DocsNode.Test(name: t.name, type: t.test?.type.rawValue ?? "generic", status: r?.status, failures: r?.failures)
            }
        }
        if let r = lastRun[n.id] {
            d.lastRun = DocsNode.LastRun(status: r.status, completedAt: r.completedAt, seconds: (r.executionTime * 1000).rounded() / 1000)
        }
        if let cat { d.catalog = DocsNode.Catalog(rows: cat.rows, bytes: cat.bytes, comment: cat.comment) }
        return d
    }

    /// A config value as short text for a page.
    static func plain(_ v: ConfigValue) -> String {
        switch v {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return s
        case .list(let l): return "[" + l.map(plain).joined(separator: ", ") + "]"
        case .dict(let d): return "{" + d.map { "\($0.key): \(plain($0.value))" }.joined(separator: ", ") + "}"
        }
    }

    static func indexHTML(project: String) -> String {
        let title = Markdown.escape(project)
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · Strata docs</title>
            <link rel="stylesheet" href="strata-docs.css">
            </head>
            <body>
            <header>
              <strong class="brand">\(title)</strong>
              <input id="search" type="search" placeholder="Search models, sources, seeds, columns…" autocomplete="off">
              <input id="select" type="text" placeholder="Graph selection, e.g. +orders tag:marts" autocomplete="off">
              <span id="count"></span>
            </header>
            <main>
              <nav id="list"></nav>
              <section id="graph-pane"><canvas id="graph"></canvas><div id="legend"></div></section>
              <article id="page" hidden></article>
            </main>
            <noscript>This documentation needs JavaScript.</noscript>
            <script src="data.js"></script>
            <script src="strata-docs.js"></script>
            </body>
            </html>

            """
    }

    /// The site's stylesheet and app, kept as files under `Resources/` and embedded in the binary at build time
    /// (the site stays self-contained and the binary needs no resource bundle beside it).
    static let css = String(decoding: PackageResources.strata_docs_css, as: UTF8.self)
    static let app = String(decoding: PackageResources.strata_docs_js, as: UTF8.self)
}
