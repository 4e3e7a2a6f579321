import Foundation
import Testing
import Basics
import Compilation
import Contracts
import ProjectLoading
import ProjectModel
import StrataTestSupport
@testable import Docs

/// The example project compiled offline with its contracts, as `strata docs generate --no-catalog` sees it.
func exampleGraph(selected: [String] = []) throws -> LineageGraph {
    let project = try ProjectLoader().load(directory: repositoryRoot)
    let compiled = try Compiler(project: project, options: CompileOptions(target: TargetInfo(schema: "public", database: "strata"), environment: [:])).compile()
    var seeds: [NodeID: [String]] = [:]
    for s in project.seeds {
        let text = try String(contentsOfFile: repositoryRoot + "/" + s.path, encoding: .utf8)
        seeds[.seed(project.name, s.name)] = text.split(separator: "\n")[0].split(separator: ",").map(String.init)
    }
    let sel = selected.isEmpty ? nil : try compiled.graph.select(selected, exclude: [], projectName: compiled.projectName)
    return LineageGraph(compiled, selected: sel, seedColumns: seeds)
}

func golden(_ name: String, _ actual: String) throws {
    let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/" + name)
    if ProcessInfo.processInfo.environment["STRATA_RECORD_GOLDEN"] == "1" { try actual.write(to: url, atomically: true, encoding: .utf8) }
    let expected = (try? String(contentsOf: url, encoding: .utf8)) ?? "(missing golden \(name): record with STRATA_RECORD_GOLDEN=1)"
    #expect(actual == expected, "\(name) differs from its golden file (re-record with STRATA_RECORD_GOLDEN=1)")
}

@Suite struct LineageFormatTests {
    @Test func jsonDotAndMermaidMatchTheirGoldenFiles() throws {
        let g = try exampleGraph()
        try golden("lineage.json", LineageFormats.json(g, columns: true))
        try golden("lineage.dot", LineageFormats.dot(g, columns: false))
        try golden("lineage-columns.dot", LineageFormats.dot(g, columns: true))
        try golden("lineage.mmd", LineageFormats.mermaid(g, columns: false))
    }

    @Test func selectionKeepsLineageAcrossItsEdge() throws {
        let g = try exampleGraph(selected: ["customers"])
        let json = try JSONSerialization.jsonObject(with: Data(LineageFormats.json(g, columns: true).utf8)) as! [String: Any]
        #expect((json["nodes"] as! [[String: Any]]).map { $0["name"] as! String } == ["customers"])
        #expect((json["edges"] as! [Any]).isEmpty)
        let columnEdges = (json["column_edges"] as! [[String: [String: String]]]).map { "\($0["from"]!["node"]!).\($0["from"]!["column"]!)>\($0["to"]!["column"]!)" }
        #expect(columnEdges.contains("model.shop.orders.amount>lifetime_value"))
        #expect(columnEdges.contains("model.shop.stg_customers.customer_id>customer_id"))
    }

    @Test func openLineageEventsDescribeARun() throws {
        let g = try exampleGraph()
        let text = LineageFormats.openLineage(g, outcomes: [
            .init(id: .model("shop", "orders"), status: "success", startedAt: "2026-11-23T08:00:00Z", completedAt: "2026-11-23T08:00:01Z"),
            .init(id: .model("shop", "customers"), status: "error", startedAt: "2026-11-23T08:00:01Z", completedAt: "2026-11-23T08:00:02Z"),
        ], namespace: "postgres://localhost:5432", invocationID: "inv")
        let events = text.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
        #expect(events.map { $0["eventType"] as! String } == ["START", "COMPLETE", "START", "FAIL"])
        let complete = events[1]
        #expect((complete["job"] as! [String: Any])["name"] as? String == "model.shop.orders")
        #expect((complete["inputs"] as! [[String: Any]]).map { $0["name"] as! String }.sorted() == ["strata.public.stg_orders", "strata.public.stg_payments"])
        #expect((complete["outputs"] as! [[String: Any]]).first?["name"] as? String == "strata.public.orders")
        let run1 = (events[0]["run"] as! [String: Any])["runId"] as! String, run2 = (events[1]["run"] as! [String: Any])["runId"] as! String
        #expect(run1 == run2)
        #expect(run1.count == 36 && run1[run1.index(run1.startIndex, offsetBy: 14)] == "5")
        let facets = ((complete["outputs"] as! [[String: Any]])[0]["facets"] as! [String: Any])["columnLineage"] as! [String: Any]
        #expect((facets["fields"] as! [String: Any]).keys.contains("amount"))
    }
}

@Suite struct ColumnLineageTests {
    func analyze(_ sql: String, columns: [String: [String]] = [:]) -> [String: [String]] {
        let reader = ColumnLineage(relation: { _, name in ["a", "b", "c"].contains(name) ? NodeID("model.p.\(name)") : nil },
                                   columnsOf: { id in columns[id.rawValue.components(separatedBy: ".").last!] })
        var out: [String: [String]] = [:]
        for c in reader.analyze(sql) { out[c.name] = c.origins.sorted().map { "\($0.node.rawValue.components(separatedBy: ".").last!).\($0.column)" } }
        return out
    }

    @Test func followsAliasesCTEsStarsAndJoins() {
        let r = analyze("""
            with x as (select id, amount * 2 as doubled from "db"."s"."a"),
                 y as (select * from x)
            select y.id, y.doubled as twice, b.name, coalesce(c.v, 0) as v, count(*) as n, 'k' as k, cast(b.t as date) as t
            from y join "s"."b" b on b.id = y.id left join c on c.id = b.id
            group by 1
            """, columns: ["a": ["id", "amount"]])
        #expect(r["id"] == ["a.id"])
        #expect(r["twice"] == ["a.amount"])
        #expect(r["name"] == ["b.name"])
        #expect(r["v"] == ["c.v"])
        #expect(r["n"] == [])
        #expect(r["k"] == [])
        #expect(r["t"] == ["b.t"])
    }

    @Test func unionsSubqueriesAndUnqualifiedNames() {
        let r = analyze("""
            select id, total from (select id, sum(x) as total from a group by id) s
            union all
            select id, amount from b
            """, columns: ["b": ["id", "amount"]])
        #expect(r["id"] == ["a.id", "b.id"])
        #expect(r["total"] == ["a.x", "b.amount"])
        // an unqualified name two sources could hold is left out, not guessed
        let ambiguous = analyze("select id from a join b on a.id = b.id", columns: ["a": ["id"], "b": ["id"]])
        #expect(ambiguous["id"] == [])
        // names in comments and strings are not columns
        #expect(analyze("select /* secret */ 'x y' as label, -- z\n q::numeric(10, 2) as q from a")["q"] == ["a.q"])
    }

    @Test func casesAndWindowFunctions() {
        let r = analyze("""
            select case when status = 'a' then amount else 0 end as amt,
                   row_number() over (partition by customer_id order by ordered_at) as seq,
                   date '2024-01-01' as d
            from a
            """)
        #expect(r["amt"] == ["a.amount", "a.status"])
        #expect(r["seq"] == ["a.customer_id", "a.ordered_at"])
        #expect(r["d"] == [])
    }
}

@Suite struct SiteTests {
    @Test func markdownIsRenderedAndEscaped() {
        #expect(Markdown.html("# Title\nSome **bold** and `code <x>`.\n\n- one\n- two [link](https://x.org)") ==
                "<h3>Title</h3>\n<p>Some <strong>bold</strong> and <code>code &lt;x&gt;</code>.</p>\n<ul><li>one</li><li>two <a href=\"https://x.org\" rel=\"noopener\">link</a></li></ul>")
        #expect(Markdown.html("<script>alert(1)</script> [x](javascript:alert(1))") == "<p>&lt;script&gt;alert(1)&lt;/script&gt; x)</p>")   // no javascript: link
    }

    @Test func siteFilesAreSelfContainedAndScriptSafe() throws {
        var g = try exampleGraph()
        g.nodes[0].node.description = "ends </script><script>alert(1)</script>"
        let files = Site(graph: g, generatedAt: "2026-11-23T00:00:00Z").files()
        #expect(files.map(\.path) == ["index.html", "strata-docs.css", "strata-docs.js", "data.js", "sql/chunk-0.js"])
        for f in files {
            #expect(!f.contents.contains("http://") || f.path == "data.js", "\(f.path) refers to the network")
            #expect(!f.contents.contains("https://") || f.path == "data.js", "\(f.path) refers to the network")
        }
        let data = files.first { $0.path == "data.js" }!.contents
        #expect(!data.contains("</script"))
        #expect(data.hasPrefix("window.STRATA_DOCS = {"))
    }
}

@Suite struct SitePayloadTests {
    /// An exposure's page keeps its type, maturity and URL beside its owner (a second "mt" key once replaced them).
    @Test func exposureFactsSurviveNextToItsOwner() throws {
        let project = try ProjectLoader().load(directory: repositoryRoot)
        let compiled = try Compiler(project: project, options: CompileOptions(target: TargetInfo(schema: "public", database: "strata"), environment: [:])).compile()
        let exposure = Exposure(name: "weekly", type: "dashboard", owner: "ops", description: "", url: "https://bi.example/w", maturity: "high",
                                dependsOn: ["ref('customers')"], location: nil)
        let site = Site(graph: LineageGraph(compiled, exposures: [exposure]), generatedAt: "2026-12-02T00:00:00Z")
        let data = JSONWriter.write(site.data(), pretty: false)
        #expect(data.contains(#""n":"weekly","k":"exposure","m":"exposure""#))
        #expect(data.contains(#""o":"ops","mt":["type: dashboard","maturity: high","url: https://bi.example/w"]"#))
        #expect(data.components(separatedBy: #""mt":"#).count == 2)
    }

    /// The encoder keeps keys in encoding order and writes explicit nulls, so typed payloads write the same bytes.
    @Test func configValueEncoderKeepsOrderAndNulls() throws {
        struct Row: Encodable {
            var b = 1, a = "x"
            var none: String? = nil
            var list = [1.5, 2]
        }
        #expect(JSONWriter.write(try ConfigValueEncoder().encode([Row()]), pretty: false) == "[{\"b\":1,\"a\":\"x\",\"list\":[1.5,2.0]}]\n")
        let node = DocsNode(id: "m.p.a", name: "a", kind: "model", materialized: "view", path: "models/a.sql", relation: nil, tags: [],
                            layer: 0, row: 0, upstream: [])
        #expect(JSONWriter.write(try ConfigValueEncoder().encode(node), pretty: false)
                == "{\"i\":\"m.p.a\",\"n\":\"a\",\"k\":\"model\",\"m\":\"view\",\"p\":\"models/a.sql\",\"r\":null,\"t\":[],\"L\":0,\"R\":0,\"u\":[]}\n")
    }
}
