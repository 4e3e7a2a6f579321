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
        let nodes: [ConfigValue] = Array(graph.nodes.enumerated()).concurrentMap { i, n in node(i, n) }
        return .dict([
            ConfigEntry("project", .string(graph.projectName)), ConfigEntry("generated_at", .string(generatedAt)),
            ConfigEntry("chunk", .int(Self.sqlChunkSize)), ConfigEntry("nodes", .list(nodes)),
        ])
    }

    func node(_ i: Int, _ n: LineageGraph.Node) -> ConfigValue {
        let c = n.node
        var e: [ConfigEntry] = [
            ConfigEntry("i", .string(n.id.rawValue)), ConfigEntry("n", .string(c.name)), ConfigEntry("k", .string(c.kind.rawValue)),
            ConfigEntry("m", .string(c.materializationName)), ConfigEntry("p", .string(c.path)),
            ConfigEntry("r", c.relation.map { .string($0.rendered()) } ?? .null), ConfigEntry("t", .list(c.tags.map { .string($0) })),
            ConfigEntry("L", .int(n.layer)), ConfigEntry("R", .int(n.row)), ConfigEntry("u", .list(n.upstream.map { .int($0) })),
        ]
        if !c.description.isEmpty { e.append(ConfigEntry("d", .string(Markdown.html(c.description)))) }
        var owner = c.contract?.owner ?? c.meta.last { $0.key == "owner" }?.value.asString
        // one "mt" list: an exposure's facts, then meta (two "mt" keys once lost an exposure's type, maturity and URL)
        var facts: [String] = []
        if case .exposure(let x) = c.payload {
            if !x.owner.isEmpty { owner = owner ?? x.owner }
            facts = [("type", x.type), ("maturity", x.maturity), ("url", x.url)].compactMap { k, v in v.map { "\(k): \($0)" } }
        }
        facts += c.meta.map { "\($0.key): \(Self.plain($0.value))" }
        if let owner { e.append(ConfigEntry("o", .string(owner))) }
        if let group = c.group { e.append(ConfigEntry("g", .string(group))) }
        if let access = c.access { e.append(ConfigEntry("a", .string(access))) }
        if !facts.isEmpty { e.append(ConfigEntry("mt", .list(facts.map { .string($0) }))) }
        if let ct = c.contract {
            e.append(ConfigEntry("ct", .dict([ConfigEntry("name", .string(ct.name)), ConfigEntry("version", ct.version.map { .string($0) } ?? .null),
                                              ConfigEntry("file", .string(ct.path)), ConfigEntry("status", ct.status.map { .string($0) } ?? .null),
                                              ConfigEntry("d", .string(Markdown.html(ct.description)))])))
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
        let columns: [ConfigValue] = names.map { name in
            var col = [ConfigEntry("n", .string(name))]
            let yaml = c.columns.first { $0.name == name }
            let contracted = c.contract?.column(name)
            if let t = cat?.columns.first(where: { $0.name == name })?.type ?? contracted?.dataType ?? yaml?.dataType { col.append(ConfigEntry("t", .string(t))) }
            let description = yaml?.description.isEmpty == false ? yaml!.description : (contracted?.description ?? cat?.columns.first { $0.name == name }?.comment ?? "")
            if !description.isEmpty { col.append(ConfigEntry("d", .string(Markdown.html(description)))) }
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
                col.append(ConfigEntry("k", .string(parts.joined(separator: ", "))))
            }
            let tests = n.tests.filter { $0.columns.first?.name == name }.map { ConfigValue.string($0.test?.name ?? $0.name) }
            if !tests.isEmpty { col.append(ConfigEntry("x", .list(tests))) }
            if let origins = lineage[name], !origins.isEmpty {
                col.append(ConfigEntry("l", .list(origins.map { .list([.int($0.node), .string($0.column)]) })))
            }
            return .dict(col)
        }
        if !columns.isEmpty { e.append(ConfigEntry("c", .list(columns))) }
        if !n.tests.isEmpty {
            e.append(ConfigEntry("ts", .list(n.tests.map { t in
                let r = lastRun[t.id]
                return .list([.string(t.name), .string(t.test?.type.rawValue ?? "generic"), r.map { .string($0.status) } ?? .null,
                              r?.failures.map { .int($0) } ?? .null])
            })))
        }
        if let r = lastRun[n.id] {
            e.append(ConfigEntry("run", .list([.string(r.status), r.completedAt.map { .string($0) } ?? .null, .double((r.executionTime * 1000).rounded() / 1000)])))
        }
        if let cat {
            e.append(ConfigEntry("cat", .list([cat.rows.map { .double($0) } ?? .null, cat.bytes.map { .int($0) } ?? .null, cat.comment.map { .string($0) } ?? .null])))
        }
        return .dict(e)
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
