import Foundation
import Testing
import Basics
import Compilation
import DependencyGraph
import Docs
import ProjectModel
import StrataTestSupport

/// The generated docs site as headless Chromium renders it.
@Suite struct DocsSiteTests {
    static func nodeIndex(_ name: String, in dataJS: String) throws -> Int {
        let json = String(dataJS.dropFirst("window.STRATA_DOCS = ".count).dropLast(2))
        let data = try JSONSerialization.jsonObject(with: Data(json.utf8)) as! [String: Any]
        return try #require((data["nodes"] as! [[String: Any]]).firstIndex { $0["n"] as? String == name })
    }

    @Test func exampleProjectSiteRendersSearchesAndShowsNodePages() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let p = try TempProject.copying(repositoryRoot, only: EndToEndTests.exampleItems)
        defer { p.remove() }
        let url = ["--project-dir", p.root, "--database-url", db.conninfo]
        #expect(try StrataBinary.run(["build"] + url).status == 0)
        let docs = try StrataBinary.run(["docs", "generate"] + url)
        #expect(docs.status == 0, "\(docs.all)")
        #expect(docs.stdout.contains("Wrote target/docs/index.html: 10 nodes (6 with column lineage), catalog of"))
        // dbt's catalog.json beside the site: each built relation with its kind and typed columns
        let catalog = try JSONSerialization.jsonObject(with: Data(p.read("target/catalog.json").utf8)) as? [String: Any]
        let customersEntry = (catalog?["nodes"] as? [String: Any])?["model.shop.customers"] as? [String: Any]
        #expect((customersEntry?["metadata"] as? [String: Any])?["type"] as? String == "BASE TABLE")
        #expect(((customersEntry?["columns"] as? [String: Any])?["lifetime_value"] as? [String: Any])?["type"] as? String == "numeric")
        #expect(((customersEntry?["columns"] as? [String: Any])?["customer_id"] as? [String: Any])?["index"] as? Int == 1)
        let index = "file://" + p.root + "/target/docs/index.html"

        // the list filters as the search says, and the graph draws every node
        let searched = try Chromium.dumpDOM(index + "#search=orders")
        #expect(searched.contains("data-nodes=\"10\""))
        #expect(searched.contains("data-matches=\"4\""))
        #expect(searched.contains("data-drawn=\"10\""))

        // a node page: columns with types and lineage, contract, tests, last run, upstream
        let customers = try Self.nodeIndex("customers", in: try p.read("target/docs/data.js"))
        let page = try Chromium.dumpDOM(index + "#!/node/\(customers)")
        #expect(page.contains("<h1>customers</h1>"))
        #expect(page.contains("<code>lifetime_value</code></a></td><td>numeric</td>"))
        #expect(page.contains(">orders</a>.<code>amount</code>"))
        #expect(page.contains("last run: success"))
        #expect(page.contains("contract_customers_schema"))
        #expect(page.contains("<h2>Compiled SQL</h2>"))   // loaded from sql/chunk-0.js

        // a column's lineage in the graph: lifetime_value ← orders.amount ← stg_payments.amount ← the source
        let column = try Chromium.dumpDOM(index + "#!/node/\(customers)/column/lifetime_value")
        #expect(column.contains("data-column-nodes=\"4\""))

        // the graph filtered by selection syntax: orders and everything upstream of it
        let selected = try Chromium.dumpDOM(index + "#select=%2Borders")
        #expect(selected.contains("data-drawn=\"7\""))
        #expect(selected.contains("data-matches=\"7\""))

        // a screenshot for the CI artifacts
        let shot = repositoryRoot + "/target/docs-screenshot.png"
        try FileManager.default.createDirectory(atPath: repositoryRoot + "/target", withIntermediateDirectories: true)
        try? FileManager.default.removeItem(atPath: shot)
        try Chromium.screenshot(index + "#!/node/\(customers)", to: shot)
        let size = (try FileManager.default.attributesOfItem(atPath: shot)[.size] as? Int) ?? 0
        #expect(size > 10_000)
    }

    @Test func tenThousandNodeSiteRendersEveryNode() throws {
        // a layered DAG of 10,000 models, each reading one or two earlier ones
        var nodes: [NodeID: CompiledNode] = [:]
        var graph = Graph()
        var order: [NodeID] = []
        for i in 0..<10_000 {
            let id = NodeID.model("big", "m\(i)")
            let node = CompiledNode(id: id, name: "m\(i)", path: "models/layer_\(i / 1000)/m\(i).sql",
                                    relation: Relation(database: "db", schema: "s", identifier: "m\(i)"), description: "Model \(i).",
                                    tags: i % 10 == 0 ? ["ten"] : [], rawSQL: "select 1 as id", compiledSQL: "select 1 as id",
                                    payload: .model(ModelSpec(materialization: .view)))
            nodes[id] = node
            graph.add(GraphNode(id: id, kind: .model, name: node.name, path: node.path, tags: node.tags, config: [:]))
            if i >= 1000 {
                graph.add(Edge(from: .model("big", "m\(i - 1000)"), to: id, location: nil))
                if i % 3 == 0 { graph.add(Edge(from: .model("big", "m\(i - 1000 + (i % 7))"), to: id, location: nil)) }
            }
            order.append(id)
        }
        let compiled = CompiledProject(projectName: "big", target: TargetInfo(), nodes: nodes, graph: graph)
        _ = order
        let site = Site(graph: LineageGraph(compiled), generatedAt: "2026-11-23T00:00:00Z")
        let dir = try TempProject([:])
        defer { dir.remove() }
        for f in site.files() { try dir.write("docs/" + f.path, f.contents) }
        let dom = try Chromium.dumpDOM("file://" + dir.root + "/docs/index.html")
        #expect(dom.contains("data-nodes=\"10000\""))
        #expect(dom.contains("data-drawn=\"10000\""))
        #expect(dom.contains("data-matches=\"10000\""))
        let selected = try Chromium.dumpDOM("file://" + dir.root + "/docs/index.html#select=tag:ten")
        #expect(selected.contains("data-drawn=\"1000\""))
    }
}

@Suite struct PersistDocsTests {
    @Test func descriptionsBecomeCommentsWhenConfigured() throws {
        let h = try Harness([
            "strata.yml": "name: p\nmodels:\n  p:\n    +persist_docs: {relation: true, columns: true}\n",
            "models/t.sql": "{{ config(materialized='table') }}select 1 as id, 'x' as name",
            "models/v.sql": "select id from {{ ref('t') }}",
            "models/u.sql": "{{ config(persist_docs={'relation': false}) }}select 1 as id",
            "models/props.yml": """
                version: 2
                models:
                  - name: t
                    description: "The customer's table."
                    columns:
                      - name: id
                        description: Primary key.
                      - name: missing
                        description: Not in the table, so no comment.
                  - name: v
                    description: A view.
                  - name: u
                    description: Not persisted.
                """,
        ])
        defer { h.cleanup() }
        #expect(try h.run().allSatisfy { $0.status == .success })
        #expect(try h.query("select obj_description('analytics.t'::regclass, 'pg_class'), col_description('analytics.t'::regclass, 1), col_description('analytics.t'::regclass, 2)")
                == [["The customer's table.", "Primary key.", nil]])
        #expect(try h.query("select obj_description('analytics.v'::regclass, 'pg_class'), obj_description('analytics.u'::regclass, 'pg_class')") == [["A view.", nil]])
        // a rebuild keeps them (the swap carries the comment over, then it is written again)
        #expect(try h.run(select: ["t"]).first?.status == .success)
        #expect(try h.query("select obj_description('analytics.t'::regclass, 'pg_class')") == [["The customer's table."]])
    }
}
