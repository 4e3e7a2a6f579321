import Foundation
import Testing
import StrataTestSupport

/// The commands a dbt user inspects a project with: compile printing one node, compile --inline, show,
/// run-operation, parse and docs serve.
@Suite struct InspectionCommandTests {
    static let files = [
        "dbt_project.yml": "name: p\nprofile: p\n",
        "models/base.sql": "select n as id, 'row ' || n as label from generate_series(1, 8) as n",
        "models/eph.sql": "{{ config(materialized='ephemeral') }}select id from {{ ref('base') }} where id > 2",
        "models/wide.sql": "select * from {{ ref('eph') }}",
        "macros/ops.sql": """
            {% macro make_audit(name, rows=1) %}
              {% do run_query("create table public." ~ name ~ " as select generate_series(1, " ~ rows ~ ") as n") %}
              {{ log("created " ~ name ~ " (" ~ (graph.nodes | length) ~ " nodes in the graph)", info=True) }}
            {% endmacro %}
            {% macro half_done() %}
              {% do run_query("create table public.half as select 1 as x") %}
              {% do run_query("select nope") %}
            {% endmacro %}
            """,
    ]

    @Test func compileShowAndRunOperation() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let tp = try TempProject(Self.files)
        defer { tp.remove() }
        let url = ["--project-dir", tp.root, "--database-url", db.conninfo]
        // compile -s NAME prints that node's SQL, ephemeral CTEs included, as dbt does
        let one = try StrataBinary.run(["compile", "-s", "wide"] + url)
        #expect(one.status == 0, "\(one.all)")
        #expect(one.stdout.hasPrefix("Compiled node 'wide' is:\nwith __dbt__cte__eph as ("), "\(one.all)")
        let inline = try StrataBinary.run(["compile", "--inline", "select count(*) from {{ ref('base') }}", "--output", "json"] + url)
        #expect(inline.status == 0, "\(inline.all)")
        #expect(inline.stdout.contains("\"compiled\": \"select count(*) from \\\"\(db.name)\\\".\\\"public\\\".\\\"base\\\"\""), "\(inline.all)")
        let badInline = try StrataBinary.run(["compile", "--inline", "select * from {{ ref('bsae') }}"] + url)
        #expect(badInline.status == 2)
        #expect(badInline.stderr.contains("/inline:1:18: error[C2003]: ref('bsae') does not match any model or seed; did you mean 'base'?"), "\(badInline.all)")
        // show runs the compiled SQL without building: base must exist for wide to read it
        #expect(try StrataBinary.run(["run", "-s", "base"] + url).status == 0)
        let show = try StrataBinary.run(["show", "-s", "wide", "--limit", "2"] + url)
        #expect(show.status == 0, "\(show.all)")
        #expect(show.stdout == "Previewing node 'wide':\n| id  |\n| --- |\n|   3 |\n|   4 |\n", "\(show.all)")
        let json = try StrataBinary.run(["show", "--inline", "select id, label from {{ ref('base') }} order by id", "--limit", "1", "--output", "json"] + url)
        #expect(json.stdout == "{\n  \"show\": [\n    {\n      \"id\": 1,\n      \"label\": \"row 1\"\n    }\n  ]\n}\n", "\(json.all)")
        let failing = try StrataBinary.run(["show", "--inline", "select nope from {{ ref('base') }}"] + url)
        #expect(failing.status == 1)
        #expect(failing.stderr.contains("error[R4011]: cannot preview the inline query: column \"nope\" does not exist"), "\(failing.all)")
        #expect(try StrataBinary.run(["show"] + url).status == 2)
        // run-operation: the macro runs against the database with dbt's context; a failure keeps nothing it ran
        let op = try StrataBinary.run(["run-operation", "make_audit", "--args", "{name: audit_x, rows: 3}"] + url)
        #expect(op.status == 0, "\(op.all)")
        #expect(op.stdout.contains("created audit_x (3 nodes in the graph)"), "\(op.all)")
        let c = try db.connect()
        defer { c.close() }
        #expect(try c.execute("SELECT count(*) FROM public.audit_x").scalar == "3")
        let half = try StrataBinary.run(["run-operation", "half_done"] + url)
        #expect(half.status == 1)
        #expect(half.stderr.contains("column \"nope\" does not exist"), "\(half.all)")
        #expect(try c.execute("SELECT to_regclass('public.half') IS NULL").scalar == "t")
        let typo = try StrataBinary.run(["run-operation", "make_audt"] + url)
        #expect(typo.status == 2)
        #expect(typo.stderr.contains("error[C2010]: run-operation: there is no macro 'make_audt'; did you mean 'make_audit'?"), "\(typo.all)")
    }

    @Test func parseWritesTheManifestAndTimingsAndDocsServeServesTheSite() throws {
        let tp = try TempProject(Self.files)
        defer { tp.remove() }
        let parse = try StrataBinary.run(["parse", "--project-dir", tp.root, "--database-url", "postgresql:///x?host=/nonexistent"])
        #expect(parse.status == 0, "\(parse.all)")
        #expect(parse.stdout.contains("Parsed 3 nodes"), "\(parse.all)")
        let perf = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tp.root + "/target/perf_info.json"))) as? [String: Any]
        #expect(perf?["path_count"] as? Int == 4)
        #expect(perf?["load_all_elapsed"] is Double)
        #expect(FileManager.default.fileExists(atPath: tp.root + "/target/manifest.json"))
        #expect(!FileManager.default.fileExists(atPath: tp.root + "/target/compiled"))
        // serving before generating says what to do
        let early = try StrataBinary.run(["docs", "serve", "--project-dir", tp.root])
        #expect(early.status == 2)
        #expect(early.stderr.contains("run `strata docs generate` first"), "\(early.all)")
        #expect(try StrataBinary.run(["docs", "generate", "--no-catalog", "--project-dir", tp.root]).status == 0)
        let server = try StrataBinary.start(["docs", "serve", "--port", "0", "--project-dir", tp.root])
        defer { server.signal(SIGTERM); _ = try? server.wait() }
        let line = try #require(server.waitForLine(containing: "Serving"), "\(server.stdoutSoFar)")
        let port = try #require(line.split(separator: ":").last.flatMap { UInt16($0.split(separator: "/").first ?? "") })
        let index = try httpGet(port: port, path: "/")
        #expect(index.status == "HTTP/1.1 200 OK")
        #expect(index.body.contains("<html"))
        #expect(try httpGet(port: port, path: "/missing.js").status == "HTTP/1.1 404 Not Found")
        #expect(try httpGet(port: port, path: "/../../../etc/passwd").status == "HTTP/1.1 404 Not Found")
    }
}

/// `strata source freshness`: dbt's loaded_at_field and freshness (source level, table level, `config:`, `null`),
/// statuses as dbt gives them, `target/sources.json`, and the exit status.
@Suite struct SourceFreshnessTests {
    @Test func freshnessJudgesEachSourceAndWritesSourcesJSON() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let tp = try TempProject([
            "dbt_project.yml": "name: p\nprofile: p\n",
            "models/src.yml": """
                sources:
                  - name: raw
                    schema: public
                    loaded_at_field: loaded_at
                    freshness:
                      warn_after: {count: 1, period: hour}
                      error_after: {count: 1, period: day}
                    tables:
                      - name: fresh
                      - name: stale
                      - name: warm
                        config:
                          freshness:
                            warn_after: {count: 1, period: minute}
                      - name: filtered
                        freshness:
                          error_after: {count: 1, period: day}
                          filter: "kind = 'kept'"
                      - name: nofresh
                        freshness: null
                """,
        ])
        defer { tp.remove() }
        let c = try db.connect()
        defer { c.close() }
        try c.execute("""
            CREATE TABLE fresh AS SELECT now() AS loaded_at;
            CREATE TABLE stale AS SELECT now() - interval '3 days' AS loaded_at;
            CREATE TABLE warm AS SELECT now() - interval '5 minutes' AS loaded_at;
            CREATE TABLE filtered AS SELECT now() - interval '3 days' AS loaded_at, 'kept' AS kind UNION ALL SELECT now(), 'other';
            CREATE TABLE nofresh (x int)
            """)
        let url = ["--project-dir", tp.root, "--database-url", db.conninfo]
        let out = try StrataBinary.run(["source", "freshness"] + url)
        #expect(out.status == 1, "\(out.all)")
        #expect(out.stdout.contains("Finished 4 source freshness checks") && out.stdout.contains("1 pass, 1 warn, 2 error"), "\(out.all)")
        #expect(out.stderr.contains("models/src.yml:5:5: error[R4014]: source 'raw.stale' is stale: the newest row is 3d 0h old, past error_after"), "\(out.all)")
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tp.root + "/target/sources.json"))) as? [String: Any]
        let results = (json?["results"] as? [[String: Any]]) ?? []
        let status = Dictionary(results.map { ($0["unique_id"] as? String ?? "", $0["status"] as? String ?? "") }, uniquingKeysWith: { a, _ in a })
        #expect(status == ["source.p.raw.fresh": "pass", "source.p.raw.stale": "error", "source.p.raw.warm": "warn", "source.p.raw.filtered": "error"])
        let warm = results.first { $0["unique_id"] as? String == "source.p.raw.warm" }
        #expect(((warm?["criteria"] as? [String: Any])?["warn_after"] as? [String: Any])?["period"] as? String == "minute")
        // only the fresh one selected: exit 0
        #expect(try StrataBinary.run(["source", "freshness", "-s", "source:raw.fresh"] + url).status == 0)
        // freshness without a loaded_at_field is a located error
        try tp.write("models/src.yml", "sources:\n  - name: raw\n    tables:\n      - name: t\n        freshness:\n          warn_after: {count: 1, period: hour}\n")
        let missing = try StrataBinary.run(["source", "freshness"] + url)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("models/src.yml:5:9: error") && missing.stderr.contains("has freshness but no loaded_at_field"), "\(missing.all)")
    }
}
