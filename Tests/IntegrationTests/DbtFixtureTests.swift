import Foundation
import Testing
import PostgresAdapter
import StrataTestSupport

/// dbt projects written for these tests (Tests/Fixtures/dbt-projects), built with Strata as a dbt user would.
/// `scripts/compare-with-dbt` builds the same projects with dbt-core too and compares every relation.
@Suite struct DbtFixtureTests {
    @Test func shopkeeperBuildsTwiceWithTheSameTables() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let p = try TempProject.copying(repositoryRoot + "/Tests/Fixtures/dbt-projects/shopkeeper",
                                        only: ["dbt_project.yml", "models", "macros", "seeds", "snapshots", "tests"])
        defer { p.remove() }
        let url = ["--project-dir", p.root, "--database-url", db.conninfo]
        let compat = try StrataBinary.run(["compat-check"] + url)
        #expect(compat.status == 0, "\(compat.all)")
        #expect(compat.stdout.contains("Compatible: Strata supports everything this project uses."))
        for round in 1...2 {
            let build = try StrataBinary.run(["build"] + url)
            #expect(build.status == 0, "round \(round): \(build.all)")
            #expect(build.stdout.contains("Ran 2 project hooks"))
        }
        let c = try db.connect()
        defer { c.close() }
        // the ephemeral model, the Jinja loop over vars, the macro: one customer's totals
        #expect(try c.execute("SELECT full_name, orders, total_cents, completed_orders FROM public_marts.customers WHERE customer_id = 3").rows
                == [["Grace Hopper", "2", "29000", "1"]])
        // the contract: enforced types and the primary key
        #expect(try c.execute("SELECT count(*) FROM pg_constraint WHERE conrelid = 'public_marts.customers'::regclass AND contype = 'p'").scalar == "1")
        // persist_docs and the post-hook's ANALYZE
        #expect(try c.execute("SELECT obj_description('public_marts.customers'::regclass, 'pg_class')").scalar == "One row per customer, with what they ordered.")
        #expect(try c.execute("SELECT col_description('public_marts.customers'::regclass, 1)").scalar == "The customer's id.")
        // a description from a docs block
        #expect(try c.execute("SELECT obj_description('public_marts.orders'::regclass, 'pg_class')").scalar
                == "Orders, loaded incrementally: each run merges the orders placed since the last one.")
        #expect(try c.execute("SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE relid = 'public_marts.customers'::regclass").scalar == "t")
        // the incremental model kept its rows, the snapshot did not duplicate unchanged rows, hooks logged each run
        #expect(try c.execute("SELECT count(*), count(DISTINCT order_key) FROM public_marts.orders").rows == [["6", "6"]])
        #expect(try c.execute("SELECT count(*) FROM public_snapshots.customers_snapshot").scalar == "4")
        #expect(try c.execute("SELECT count(*) FROM public_meta_log WHERE event = 'built public_marts'").scalar == "2")
        // the exposure is part of the lineage, downstream of what it reads
        let mermaid = try StrataBinary.run(["lineage", "--format", "mermaid"] + url)
        #expect(mermaid.status == 0, "\(mermaid.all)")
        #expect(mermaid.stdout.contains(">\"weekly_revenue\"]"))
        let json = try StrataBinary.run(["lineage"] + url).stdout
        #expect(json.contains("\"from\": \"model.shopkeeper.orders\",\n      \"to\": \"exposure.shopkeeper.weekly_revenue\""))
        // test nodes as dbt names them (Strata's own contract checks aside): the ids and compiled paths scripts/compare-with-dbt recorded from dbt-core
        let recorded = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: repositoryRoot + "/Tests/Fixtures/dbt-projects/shopkeeper.test-ids.json"))) as! [String: String]
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: p.root + "/target/manifest.json"))) as! [String: Any]
        var ours: [String: String] = [:]
        for (id, node) in manifest["nodes"] as! [String: [String: Any]] where node["resource_type"] as? String == "test"
            && (node["config"] as? [String: Any])?["test_type"] as? String != "contract" {
            ours[id] = (node["compiled_path"] as? String).map { String($0.dropFirst("target/compiled/".count)) }
        }
        #expect(recorded.count == 7)
        #expect(ours == recorded)
        // target/run holds what each of them ran, at the same paths (dbt's layout): the test's query wrapped to count failures
        for path in recorded.values {
            let ran = try String(contentsOfFile: p.root + "/target/run/" + path, encoding: .utf8)
            let compiled = try String(contentsOfFile: p.root + "/target/compiled/" + path, encoding: .utf8)
            #expect(ran.contains(compiled.trimmingCharacters(in: .whitespacesAndNewlines)), "\(path)")
        }
        // and each model's build: the statements that made it
        let ranModel = try String(contentsOfFile: p.root + "/target/run/shopkeeper/models/marts/customers.sql", encoding: .utf8)
        #expect(ranModel.contains("CREATE TABLE"), "\(ranModel)")
        #expect(FileManager.default.fileExists(atPath: p.root + "/target/run/shopkeeper/seeds/raw_orders.csv"))
    }

    /// Seed column types as dbt-postgres infers them, and the rows it loads (`null` words, percentages, currency,
    /// group commas, whole decimals, empty columns): the tables equal what dbt-core built, as scripts/compare-with-dbt
    /// recorded them (columns with types, row count, checksum of the rows).
    @Test func seedTypesAndRowsAreDbts() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let p = try TempProject.copying(repositoryRoot + "/Tests/Fixtures/dbt-projects/seed_types", only: ["dbt_project.yml", "seeds"])
        defer { p.remove() }
        let seed = try StrataBinary.run(["seed", "--project-dir", p.root, "--database-url", db.conninfo])
        #expect(seed.status == 0, "\(seed.all)")
        struct Recorded: Decodable { var columns: [[String]]; var rows: Int; var checksum: String }
        let recorded = try JSONDecoder().decode([String: Recorded].self, from: Data(contentsOf: URL(fileURLWithPath: repositoryRoot + "/Tests/Fixtures/dbt-projects/seed_types.relations.json")))
        #expect(recorded.count == 3)
        let c = try db.connect()
        defer { c.close() }
        for (key, want) in recorded {
            let table = String(key.split(separator: ".").last!)
            let columns = try c.execute("""
                SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                WHERE a.attrelid = ('public.' || quote_ident($1))::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
                """, parameters: [table]).rows.map { $0.map { $0 ?? "" } }
            #expect(columns == want.columns, "\(table)")
            let list = want.columns.map { "t.\"\($0[0])\"" }.joined(separator: ", ")
            let got = try c.execute("SELECT count(*), md5(coalesce(string_agg(h, '' ORDER BY h), '')) FROM (SELECT md5(row(\(list))::text) AS h FROM public.\"\(table)\" t) x").rows
            #expect(got == [[String(want.rows), want.checksum]], "\(table)")
        }
    }

    /// Compiled SQL byte for byte as dbt-core compiled it (target schema dbt_out), and dbt's test ids and compiled
    /// paths, as compare-with-dbt recorded them: `quoting:` from the project file (names as written, unquoted) and
    /// model versions (`ref('m')` is the latest version, `ref('m', v=1)`, tests made per version).
    @Test(arguments: ["quoted_names", "versioned"])
    func compiledSQLAndTestIdsAreDbts(_ name: String) throws {
        let fixture = repositoryRoot + "/Tests/Fixtures/dbt-projects/"
        let p = try TempProject.copying(fixture + name, only: ["dbt_project.yml", "models", "seeds"])
        defer { p.remove() }
        let compiled = try StrataBinary.run(["compile", "--offline", "--schema", "dbt_out", "--project-dir", p.root])
        #expect(compiled.status == 0, "\(compiled.all)")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: p.root + "/target/manifest.json"))) as! [String: Any]
        let nodes = manifest["nodes"] as! [String: [String: Any]]
        let recorded = try JSONDecoder().decode([String: String].self, from: Data(contentsOf: URL(fileURLWithPath: fixture + name + ".compiled.json")))
        #expect(!recorded.isEmpty)
        for (id, sql) in recorded { #expect(nodes[id]?["compiled_code"] as? String == sql, "\(id)") }
        if let ids = try? Data(contentsOf: URL(fileURLWithPath: fixture + name + ".test-ids.json")) {
            let expected = try JSONDecoder().decode([String: String].self, from: ids)
            let ours = nodes.filter { $0.value["resource_type"] as? String == "test" }.mapValues { ($0["compiled_path"] as? String).map { String($0.dropFirst("target/compiled/".count)) } ?? "" }
            #expect(ours == expected)
        }
    }

    /// `quoting: {schema: false, identifier: false}`: the relations dbt built, folded to lower case by PostgreSQL.
    @Test func unquotedNamesBuildTheFoldedRelations() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let p = try TempProject.copying(repositoryRoot + "/Tests/Fixtures/dbt-projects/quoted_names", only: ["dbt_project.yml", "models", "seeds"])
        defer { p.remove() }
        let build = try StrataBinary.run(["build", "--project-dir", p.root, "--database-url", db.conninfo])
        #expect(build.status == 0, "\(build.all)")
        let c = try db.connect()
        defer { c.close() }
        #expect(try c.execute("SELECT relname FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'v') ORDER BY 1").rows
                == [["mixedcase"], ["rawpeople"], ["reads_mixed"]])
        #expect(try c.execute("SELECT n FROM public.reads_mixed").scalar == "2")
    }

    @Test func compatCheckListsEveryUnsupportedConstruct() throws {
        let dir = repositoryRoot + "/Tests/Fixtures/compat/unsupported"
        let out = try StrataBinary.run(["compat-check", "--project-dir", dir, "--database-url", "host=/nonexistent"])
        #expect(out.status == 1)
        let expectedPath = repositoryRoot + "/Tests/Fixtures/compat/unsupported.expected"
        // paths print as the project folder was given
        let shown = out.stdout.replacingOccurrences(of: dir + "/", with: "")
        if ProcessInfo.processInfo.environment["STRATA_RECORD_GOLDEN"] == "1" { try shown.write(toFile: expectedPath, atomically: true, encoding: .utf8) }
        let expected = try String(contentsOfFile: expectedPath, encoding: .utf8)
        #expect(shown == expected, "\(out.all)")
    }

    /// compat-check tells the whole truth: every error `strata build` stops on is in its list (with the same place
    /// and code), whichever stage the build stops at, and it exits non-zero whenever the build fails.
    @Test func everyErrorABuildStopsOnIsInCompatChecksList() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        // as it is (the build stops while loading), then without the files that stop loading (it stops compiling)
        for removed in [[], ["models/broken.yml", "packages.yml", "models/uses_package.sql"]] {
            let p = try TempProject.copying(repositoryRoot + "/Tests/Fixtures/compat/unsupported", only: ["dbt_project.yml", "models", "macros", "packages.yml"])
            defer { p.remove() }
            for f in removed { try FileManager.default.removeItem(atPath: p.root + "/" + f) }
            let url = ["--project-dir", p.root, "--database-url", db.conninfo]
            let compat = try StrataBinary.run(["compat-check"] + url)
            let build = try StrataBinary.run(["build"] + url)
            #expect(build.status != 0 && compat.status != 0)
            // `path:line:col: error[CODE]: …` from the build; `path:line:col: error: [CODE] …` from compat-check
            let errors = try Regex(#"(?m)^(\S+:\d+:\d+): error\[([A-Z]\d{4})\]"#)
            let reported = build.stderr.matches(of: errors).map { "\($0.output[1].substring!): error: [\($0.output[2].substring!)]" }
            #expect(!reported.isEmpty, "\(build.all)")
            for r in reported { #expect(compat.stdout.contains(r), "build stopped on \(r), which compat-check did not list:\n\(compat.stdout)") }
        }
    }
}
