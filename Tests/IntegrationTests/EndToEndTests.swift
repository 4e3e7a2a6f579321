import Foundation
import Testing
import Basics
import PostgresAdapter
import StrataTestSupport

/// Runs the built binary on copies of the example project, as a user would.
@Suite struct EndToEndTests {
    static let exampleItems = ["strata.yml", "models", "seeds", "templates", "contracts"]

    @Test func exampleProjectOnTheDefaultPrivateServer() throws {
        let p = try TempProject.copying(repositoryRoot, only: Self.exampleItems)
        defer {
            _ = try? StrataBinary.run(["server", "stop", "--project-dir", p.root])
            p.remove()
        }
        let seed = try StrataBinary.run(["seed", "--project-dir", p.root])
        let serverLogs = { ["server.log", "ctl.log"].map { (try? String(contentsOfFile: p.root + "/.strata/postgres/" + $0, encoding: .utf8)) ?? "" }.joined(separator: "\n") }
        #expect(seed.status == 0, "\(seed.all)\n\(serverLogs())")
        #expect(seed.stdout.contains("Initializing a private PostgreSQL"))
        #expect(seed.stdout.contains("OK loaded seed public_raw.raw_orders"))
        let compile = try StrataBinary.run(["compile", "--project-dir", p.root])
        #expect(compile.status == 0, "\(compile.all)")
        #expect(FileManager.default.fileExists(atPath: p.root + "/target/manifest.json"))
        #expect(FileManager.default.fileExists(atPath: p.root + "/target/compiled/shop/models/marts/orders.sql"))
        #expect(compile.stdout.contains("Contract check: 2 contracted models match their contracts"))
        let run = try StrataBinary.run(["run", "--project-dir", p.root])
        #expect(run.status == 0, "\(run.all)")
        #expect(run.stdout.contains("Contract check: 2 contracted models match their contracts"))
        #expect(run.stdout.contains("of 5 OK created table public.customers"))
        #expect(run.stdout.contains("Finished 5 models"))
        let results = try p.read("target/run_results.json")
        #expect(results.contains("\"unique_id\": \"model.shop.customers\""))
        #expect(results.contains("\"status\": \"success\""))
        let status = try StrataBinary.run(["server", "status", "--project-dir", p.root])
        #expect(status.stdout.hasPrefix("running"))
        let ls = try StrataBinary.run(["ls", "--project-dir", p.root, "--select", "+customers", "--resource-type", "model"])
        #expect(ls.stdout.split(separator: "\n") == ["shop.staging.stg_customers", "shop.staging.stg_orders", "shop.staging.stg_payments",
                                                     "shop.intermediate.int_order_payments", "shop.marts.orders", "shop.marts.customers"])
    }

    /// A project copied with its .strata/ (cp -r) gets a server of its own on the copied data, instead of talking
    /// to (or failing to stop) the original project's server.
    @Test func aCopiedProjectStartsItsOwnServer() throws {
        let a = try TempProject(["strata.yml": "name: p\n", "models/m.sql": "select 1 as id"])
        let b = a.root + "-copy"
        defer {
            _ = try? StrataBinary.run(["server", "stop", "--project-dir", b])
            _ = try? StrataBinary.run(["server", "stop", "--project-dir", a.root])
            try? FileManager.default.removeItem(atPath: b)
            a.remove()
        }
        #expect(try StrataBinary.run(["run", "--project-dir", a.root]).status == 0)
        let copy = Process()
        copy.executableURL = URL(fileURLWithPath: "/bin/cp")
        copy.arguments = ["-r", a.root, b]
        try copy.run()
        copy.waitUntilExit()
        let status = try StrataBinary.run(["server", "status", "--project-dir", b])
        #expect(status.stdout.contains("was copied from another project's (its pid file names \(a.root)/.strata/postgres/data)"), "\(status.all)")
        let run = try StrataBinary.run(["run", "--project-dir", b])
        #expect(run.status == 0, "\(run.all)")
        #expect(run.stdout.contains("copied from another project's"), "\(run.all)")
        let pids = try [a.root, b].map { try StrataBinary.run(["server", "status", "--project-dir", $0]).stdout }
        #expect(pids.allSatisfy { $0.hasPrefix("running, pid ") } && pids[0] != pids[1], "\(pids)")
        #expect(try StrataBinary.run(["server", "stop", "--project-dir", b]).status == 0)
        #expect(try StrataBinary.run(["server", "status", "--project-dir", a.root]).stdout.hasPrefix("running"))
    }

    @Test func contractsFromTheCommandLine() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let p = try TempProject.copying(repositoryRoot, only: Self.exampleItems)
        defer { p.remove() }
        let url = ["--project-dir", p.root, "--database-url", db.conninfo]
        // on an empty database: the staging view that reads a seed through source() waits for the seed
        let build = try StrataBinary.run(["build"] + url)
        #expect(build.status == 0, "\(build.all)")
        #expect(build.stdout.contains("PASS contract_orders_payments_add_up"))
        #expect(build.stdout.contains("2 checked when built"))
        try FileManager.default.copyItem(atPath: p.root + "/target", toPath: p.root + "/previous")
        // `test contracts` runs only the contract checks
        let checks = try StrataBinary.run(["test", "contracts"] + url)
        #expect(checks.status == 0, "\(checks.all)")
        #expect(checks.stdout.contains("Finished 7 tests"))
        #expect(!checks.stdout.contains("not_null"))
        // a contract the model no longer keeps: located errors, exit 1, and nothing is built
        let contract = try p.read("contracts/orders.yml")
        try p.write("contracts/orders.yml", contract.replacingOccurrences(of: "  - name: amount\n    data_type: numeric(12,2)", with: "  - name: amount\n    data_type: integer"))
        let run = try StrataBinary.run(["run"] + url)
        #expect(run.status == 1)
        #expect(run.stderr.contains("contracts/orders.yml:31:5: error[K6022]: model 'orders' breaks contract 'orders': column 'amount' is numeric in the model's query, but the contract declares integer"))
        #expect(run.stdout.contains("nothing was built"))
        #expect(!run.stdout.contains("Running"))
        // the same change as seen by `contracts diff`: a narrowed type is breaking without a major version bump
        let diff = try StrataBinary.run(["contracts", "diff", "--state", p.root + "/previous", "--fail-on", "breaking"] + url)
        #expect(diff.status == 1, "\(diff.all)")
        #expect(diff.stderr.contains("error[K6030]: breaking: orders: column 'amount' type changed from numeric(12,2) to integer"))
        try p.write("contracts/orders.yml", contract.replacingOccurrences(of: "version: 1.0.0", with: "version: 2.0.0")
            .replacingOccurrences(of: "  - name: amount\n    data_type: numeric(12,2)", with: "  - name: amount\n    data_type: integer"))
        let bumped = try StrataBinary.run(["contracts", "diff", "--state", p.root + "/previous", "--fail-on", "breaking"] + url)
        #expect(bumped.status == 0, "\(bumped.all)")
        #expect(bumped.stdout.contains("1 breaking (1 allowed by a version bump)"))
        // a failing quality rule shows its rows
        try p.write("contracts/orders.yml", contract.replacingOccurrences(of: "row_count: {min: 1}", with: "row_count: {min: 100}"))
        let failing = try StrataBinary.run(["test", "contracts", "--select", "orders"] + url)
        #expect(failing.status == 1)
        #expect(failing.stderr.contains("contracts/orders.yml:2:1: error[T5001]: test 'contract_orders_has_orders' failed: 1 failing row"))
        #expect(failing.stderr.contains("row_count"))
    }

    @Test func exitCodesAndLocatedMessages() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let p = try TempProject([
            "strata.yml": "name: e\n",
            "models/good.sql": "select 1 as id",
            "models/bad.sql": "{{ config(materialized='table') }}\nselect\n  nope as x",
            "models/after_bad.sql": "select * from {{ ref('bad') }}",
        ])
        defer { p.remove() }
        let url = ["--database-url", db.conninfo]
        let run = try StrataBinary.run(["run", "--project-dir", p.root] + url)
        #expect(run.status == 1)
        #expect(run.stderr.contains("/models/bad.sql:3:3: error[R4001]: model 'bad' failed: column \"nope\" does not exist"))
        #expect(run.stdout.contains("SKIP view public.after_bad"))
        #expect(run.stdout.contains("1 OK, 1 error, 1 skipped"))

        try p.write("models/bad.sql", "select {{ oops( }}")
        let compile = try StrataBinary.run(["compile", "--project-dir", p.root] + url)
        #expect(compile.status == 2)
        #expect(compile.stderr.contains("models/bad.sql:1:17: error[T1002]"))
        #expect(compile.stderr.contains("^"))

        let usage = try StrataBinary.run(["run", "--threads", "0", "--project-dir", p.root])
        #expect(usage.status != 0)
    }

    /// A built project whose model `t` (`select n as id`) blocks on advisory lock 4242 when run with
    /// `{wait: true}`, and a connection holding that lock.
    static func blockingProject() throws -> (db: TestDatabase, project: TempProject, url: [String], holder: PostgresConnection) {
        let db = try TestPostgres.freshDatabase()
        let p = try TempProject([
            "strata.yml": "name: c\n",
            "models/t.sql": "{{ config(materialized='table') }}select {{ var('n', 1) }} as id{% if var('wait', false) %} from (select pg_advisory_lock(4242)) w{% endif %}",
        ])
        let url = ["--database-url", db.conninfo, "--project-dir", p.root]
        #expect(try StrataBinary.run(["run"] + url).status == 0)
        let holder = try db.connect()
        try holder.execute("SELECT pg_advisory_lock(4242)")
        return (db, p, url, holder)
    }

    @Test func sigintCancelsTheStatementInFlightAndKeepsTheOldTable() throws {
        let (db, p, url, holder) = try Self.blockingProject()
        defer { holder.close(); p.remove(); db.drop() }
        let running = try StrataBinary.start(["run", "--vars", "{wait: true}"] + url)
        // wait (bounded) until the build is blocked on the lock, then interrupt it
        #expect(try holder.blockedOnAdvisoryLock() != nil)
        running.signal(SIGINT)
        let out = try running.wait()
        #expect(out.status == 130, "\(out.all)")
        #expect(out.stderr.contains("run cancelled by SIGINT"))
        #expect(out.stdout.contains("Finished 1 model"))
        #expect(try holder.execute("SELECT count(*) FROM public.t").scalar == "1")
        #expect(try holder.execute("SELECT count(*) FROM pg_class WHERE relname LIKE '%strata_new%'").scalar == "0")
        #expect(try holder.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())").scalar == "0")
    }

    @Test func aSecondProcessWaitsForTheSchemaLockAndSIGTERMStopsTheFirst() throws {
        let (db, p, url, holder) = try Self.blockingProject()
        defer { holder.close(); p.remove(); db.drop() }
        let first = try StrataBinary.start(["run", "--vars", "{wait: true, n: 2}"] + url)
        #expect(try holder.blockedOnAdvisoryLock() != nil)
        // a second run on the same schema gives up after --lock-timeout instead of interleaving
        let second = try StrataBinary.run(["run", "--lock-timeout", "0.3", "--vars", "{n: 3}"] + url)
        #expect(second.status != 0)
        #expect(second.stderr.contains("another Strata run holds the lock on schema 'public'"))
        #expect(try holder.execute("SELECT id FROM public.t").scalar == "1")
        // SIGTERM: the statement in flight is cancelled and rolled back, exit 143, the old table stays
        first.signal(SIGTERM)
        let out = try first.wait()
        #expect(out.status == 143, "\(out.all)")
        #expect(out.stderr.contains("run cancelled by SIGTERM"))
        #expect(try holder.execute("SELECT id FROM public.t").scalar == "1")
        try holder.execute("SELECT pg_advisory_unlock_all()")
        #expect(try StrataBinary.run(["run", "--lock-timeout", "5", "--vars", "{n: 3}"] + url).status == 0)
        #expect(try holder.execute("SELECT id FROM public.t").scalar == "3")
    }

    @Test func deadDatabaseAndSecretsAreHandled() throws {
        let p = try TempProject(["strata.yml": "name: s\n", "models/m.sql": "select 1"])
        defer { p.remove() }
        let secret = "pl4nted-s3cret-\(UUID().uuidString.prefix(6))"
        let out = try StrataBinary.run(["run", "--project-dir", p.root], environment: ["STRATA_DATABASE_URL": "postgresql://ada:\(secret)@127.0.0.1:1/x?connect_timeout=2"])
        #expect(out.status == 2)
        #expect(out.stderr.contains("error[S1302]: cannot connect: connection to server at \"127.0.0.1\", port 1 failed"))
        #expect(!out.all.contains(secret))
        let debug = try StrataBinary.run(["debug", "--project-dir", p.root], environment: ["STRATA_DATABASE_URL": "postgresql://ada:\(secret)@127.0.0.1:1/x?connect_timeout=2"])
        #expect(debug.status == 2)
        #expect(debug.stdout.contains("postgresql://ada:****@127.0.0.1:1/x"))
        #expect(!debug.all.contains(secret))
        let artifacts = (try? FileManager.default.subpathsOfDirectory(atPath: p.root + "/target")) ?? []
        for f in artifacts {
            let text = (try? String(contentsOfFile: p.root + "/target/" + f, encoding: .utf8)) ?? ""
            #expect(!text.contains(secret), "\(f) contains the secret")
        }
    }

    @Test func aPlantedSecretNeverLeavesTheProfile() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let secret = "pl4nted-\(UUID().uuidString.prefix(8))"
        let kw = try PostgresAdapter.parseConninfo(db.conninfo)
        // the test server trusts local connections, so the password is sent and ignored: the run succeeds
        let p = try TempProject([
            "strata.yml": "name: s\nprofile: s\n",
            "profiles.yml": """
                s:
                  target: dev
                  outputs:
                    dev:
                      type: postgres
                      host: "\(kw["host"] ?? "")"
                      port: \(kw["port"] ?? "5432")
                      user: postgres
                      password: "{{ env_var('DBT_ENV_SECRET_PW') }}"
                      dbname: \(db.name)
                      schema: public
                """,
            "models/m.sql": "{{ config(materialized='table') }}select 1 as id",
            "models/m.yml": "version: 2\nmodels:\n  - name: m\n    description: A model.\n    columns:\n      - name: id\n        tests: [unique]\n",
        ])
        defer { p.remove() }
        let env = ["DBT_ENV_SECRET_PW": secret]
        var outputs: [CommandOutput] = []
        for args in [["build"], ["compile"], ["debug"], ["docs", "generate"], ["lineage", "--format", "openlineage"], ["ls"]] {
            let out = try StrataBinary.run(args + ["--project-dir", p.root], environment: env)
            #expect(out.status == 0, "\(args): \(out.all)")
            outputs.append(out)
        }
        for out in outputs { #expect(!out.all.contains(secret)) }
        let files = (try? FileManager.default.subpathsOfDirectory(atPath: p.root + "/target")) ?? []
        #expect(files.contains("docs/data.js") && files.contains("manifest.json") && files.contains("run_results.json"))
        for f in files {
            let text = (try? String(contentsOfFile: p.root + "/target/" + f, encoding: .utf8)) ?? ""
            #expect(!text.contains(secret), "\(f) contains the secret")
        }
        // a model cannot read a secret variable at all
        try p.write("models/leak.sql", "select '{{ env_var('DBT_ENV_SECRET_PW') }}' as x")
        let leak = try StrataBinary.run(["compile", "--project-dir", p.root], environment: env)
        #expect(leak.status == 2)
        #expect(leak.stderr.contains("error[C2006]: 'DBT_ENV_SECRET_PW' is a secret"))
        #expect(!leak.all.contains(secret))
    }

    @Test func initScaffoldsARunnableProject() throws {
        let dir = try TempProject([:])
        try FileManager.default.createDirectory(atPath: dir.root, withIntermediateDirectories: true)
        defer { dir.remove() }
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        // init writes into its working directory (the child's: never change this process's, tests run in parallel)
        let initOut = try StrataBinary.run(["init", "demo"], workingDirectory: dir.root)
        #expect(initOut.status == 0, "\(initOut.all)")
        // the starter builds and passes its tests and contract as it is
        let build = try StrataBinary.run(["build", "--project-dir", dir.root + "/demo", "--database-url", db.conninfo])
        #expect(build.status == 0, "\(build.all)")
        #expect(build.stdout.contains("OK created table public.customer_revenue"), "\(build.all)")
        #expect(build.stdout.contains("Contract check: ") && build.stdout.contains("1 checked when built"), "\(build.all)")
        #expect(build.stdout.contains(" 0 fail, 0 errors, 0 skipped."), "\(build.all)")
        #expect(FileManager.default.fileExists(atPath: dir.root + "/demo/profiles.example.yml"))
    }
}

/// `strata deps` from the command line, on the package fixture.
@Suite struct DepsCommandTests {
    @Test func depsInstallsLocalPackagesAndRefusesWhatItCannotInstall() throws {
        let tp = try TempProject.copying(repositoryRoot + "/Tests/Fixtures/packages", only: ["app", "pkg_a", "pkg_b"])
        defer { tp.remove() }
        let app = tp.root + "/app"
        let before = try StrataBinary.run(["compile", "--offline", "--project-dir", app])
        #expect(before.status == 2)
        #expect(before.stderr.contains("error[S1018]: package 'pkg_a' (local: ../pkg_a) is not installed in dbt_packages/: run `strata deps`"))
        let deps = try StrataBinary.run(["deps", "--project-dir", app])
        #expect(deps.status == 0, "\(deps.all)")
        #expect(deps.stdout.contains("Installed 2 packages from packages.yml into dbt_packages/"))
        let compile = try StrataBinary.run(["compile", "--offline", "--project-dir", app])
        #expect(compile.status == 0, "\(compile.all)")
        #expect(try tp.read("app/target/compiled/app/models/m.sql").contains("'greet_a(helper_a,helper_root)' as a"))
        // --add-package writes the entry into packages.yml and installs it
        try tp.write("app/packages.yml", "packages:\n  - local: ../pkg_a\n")
        let added = try StrataBinary.run(["deps", "--project-dir", app, "--add-package", "../pkg_b", "--source", "local"])
        #expect(added.status == 0, "\(added.all)")
        #expect(try tp.read("app/packages.yml") == "packages:\n  - local: ../pkg_a\n  - local: ../pkg_b\n")
        #expect(added.stdout.contains("Installed 2 packages"))
        let debug = try StrataBinary.run(["debug", "--project-dir", app, "--database-url", "postgresql:///nowhere?host=/nonexistent"])
        #expect(debug.stdout.contains("packages: pkg_a (1 macro files, 2 models, 1 seed), pkg_b (1 macro files)"), "\(debug.all)")
        // a tarball that cannot be downloaded (nothing listens on 127.0.0.1:9): exit 2, the message names it, the install stays
        try tp.write("app/packages.yml", "packages:\n  - local: ../pkg_a\n  - tarball: http://127.0.0.1:9/pkg_c.tgz\n    name: pkg_c\n")
        let refused = try StrataBinary.run(["deps", "--project-dir", app])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("packages.yml:3:5: error[S1504]: package (tarball: http://127.0.0.1:9/pkg_c.tgz): cannot download http://127.0.0.1:9/pkg_c.tgz"), "\(refused.all)")
        // a git package that cannot be cloned: the same, with git's own words
        try tp.write("app/packages.yml", "packages:\n  - local: ../pkg_a\n  - git: \(tp.root)/no-such-repo.git\n    revision: v1\n")
        let unreachable = try StrataBinary.run(["deps", "--project-dir", app])
        #expect(unreachable.status == 2)
        #expect(unreachable.stderr.contains("packages.yml:3:5: error[S1504]: package (git: \(tp.root)/no-such-repo.git): `git clone` failed"), "\(unreachable.all)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: app + "/dbt_packages").sorted() == ["pkg_a", "pkg_b"])
    }
}

/// Slim CI: `--state` with `state:` and `result:` selectors, against the artifacts of an earlier build.
@Suite struct StateSelectionTests {
    @Test func stateModifiedBuildsExactlyTheChangedModelAndItsChildren() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let tp = try TempProject([
            "strata.yml": "name: p\n",
            "models/a.sql": "select 1 as id",
            "models/b.sql": "select id from {{ ref('a') }}",
            "models/c.sql": "select id * 2 as id from {{ ref('b') }}",
            "models/other.sql": "select 2 as id",
            "models/s.yml": "models:\n  - name: c\n    columns:\n      - name: id\n        tests: [not_null]\n",
        ])
        defer { tp.remove() }
        let url = ["--project-dir", tp.root, "--database-url", db.conninfo]
        #expect(try StrataBinary.run(["build"] + url).status == 0)
        // the production artifacts, then a change to one model and a new one
        try FileManager.default.copyItem(atPath: tp.root + "/target", toPath: tp.root + "/prod-artifacts")
        try tp.write("models/b.sql", "select id + 0 as id from {{ ref('a') }}")
        try tp.write("models/d.sql", "select 4 as id")
        let state = ["--state", tp.root + "/prod-artifacts"]
        let build = try StrataBinary.run(["build", "-s", "state:modified+"] + state + url)
        #expect(build.status == 0, "\(build.all)")
        #expect(build.stdout.contains("Finished 4 nodes"), "\(build.all)")   // b, c, c's test, and the new d
        #expect(build.stdout.contains("public.b") && build.stdout.contains("public.c") && build.stdout.contains("public.d"))
        #expect(!build.stdout.contains("public.a ") && !build.stdout.contains("public.other"), "\(build.all)")
        let new = try StrataBinary.run(["ls", "-s", "state:new"] + state + url)
        #expect(new.stdout == "p.d\n", "\(new.all)")
        let body = try StrataBinary.run(["ls", "-s", "state:modified.body", "--resource-type", "model"] + state + url)
        #expect(body.stdout == "p.b\n", "\(body.all)")
        // a changed macro modifies the nodes whose render called it (directly or through another macro)
        try tp.write("templates/m.sql", "{% macro twice(x) %}{{ x }} * 2{% endmacro %}{% macro inner() %}1{% endmacro %}{% macro outer() %}{{ inner() }}{% endmacro %}")
        try tp.write("models/other.sql", "select {{ twice('2') }} as id, {{ outer() }} as one")
        #expect(try StrataBinary.run(["compile", "--offline"] + url).status == 0)
        try? FileManager.default.removeItem(atPath: tp.root + "/macro-state")
        try FileManager.default.copyItem(atPath: tp.root + "/target", toPath: tp.root + "/macro-state")
        let manifest = try String(contentsOfFile: tp.root + "/macro-state/manifest.json", encoding: .utf8)
        #expect(manifest.contains("\"macro_sql\": \"{% macro twice(x) %}{{ x }} * 2{% endmacro %}\""), "\(manifest.prefix(3000))")
        try tp.write("templates/m.sql", "{% macro twice(x) %}{{ x }} * 2{% endmacro %}{% macro inner() %}2 - 1{% endmacro %}{% macro outer() %}{{ inner() }}{% endmacro %}")
        let macros = try StrataBinary.run(["ls", "-s", "state:modified.macros", "--state", tp.root + "/macro-state"] + url)
        #expect(macros.stdout == "p.other\n", "\(macros.all)")
        // result:error from the last run's run_results.json
        try tp.write("models/other.sql", "select 2 as id from nowhere")
        #expect(try StrataBinary.run(["run"] + url).status == 1)
        try FileManager.default.copyItem(atPath: tp.root + "/target", toPath: tp.root + "/last-run")
        try tp.write("models/other.sql", "select 2 as id")
        let retry = try StrataBinary.run(["run", "-s", "result:error", "--state", tp.root + "/last-run"] + url)
        #expect(retry.status == 0, "\(retry.all)")
        #expect(retry.stdout.contains("Finished 1 model"), "\(retry.all)")
        // without --state: a located message saying what to give
        let missing = try StrataBinary.run(["ls", "-s", "state:modified"] + url)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("state:modified compares with a previous run: give its artifacts with --state DIR"), "\(missing.all)")
    }
}

/// Slim CI as dbt users run it: production built once, then a CI schema that builds only what changed and reads
/// the rest from production (`--defer --state`).
@Suite struct SlimCITests {
    @Test func deferBuildsTheChangedModelAndItsChildrenReadingTheRestFromProduction() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let tp = try TempProject([
            "dbt_project.yml": "name: p\nprofile: p\n",
            "seeds/raw.csv": "id\n1\n2\n",
            "models/stg.sql": "select id from {{ ref('raw') }}",
            "models/mart.sql": "select id * 10 as id from {{ ref('stg') }}",
            "models/other.sql": "select id from {{ ref('raw') }}",
            "models/s.yml": "models:\n  - name: mart\n    columns:\n      - name: id\n        data_tests: [not_null]\n",
        ])
        defer { tp.remove() }
        let url = ["--project-dir", tp.root, "--database-url", db.conninfo]
        let prod = try StrataBinary.run(["build", "--schema", "prod"] + url)
        #expect(prod.status == 0, "\(prod.all)")
        try FileManager.default.copyItem(atPath: tp.root + "/target", toPath: tp.root + "/prod-artifacts")
        try tp.write("models/stg.sql", "select id + 100 as id from {{ ref('raw') }}")
        let state = ["--state", tp.root + "/prod-artifacts"]
        let ci = try StrataBinary.run(["build", "-s", "state:modified+", "--defer", "--schema", "ci"] + state + url)
        #expect(ci.status == 0, "\(ci.all)")
        #expect(ci.stdout.contains("Finished 3 nodes"), "\(ci.all)")   // stg, mart and mart's test
        // the changed model read the seed from production, which CI did not load
        let compiled = try String(contentsOfFile: tp.root + "/target/compiled/p/models/stg.sql", encoding: .utf8)
        #expect(compiled.contains("\"prod\".\"raw\""), "\(compiled)")
        let c = try db.connect()
        defer { c.close() }
        #expect(try c.execute("SELECT relname FROM pg_class WHERE relnamespace = 'ci'::regnamespace AND relkind IN ('r', 'v') ORDER BY 1").rows
                == [["mart"], ["stg"]])
        #expect(try c.execute("SELECT sum(id) FROM ci.mart").scalar == "2030")
        // what exists in the target is read there unless --favor-state says otherwise
        try tp.write("models/mart.sql", "select id * 20 as id from {{ ref('stg') }}")
        let local = try StrataBinary.run(["compile", "-s", "mart", "--defer", "--schema", "ci"] + state + url)
        #expect(local.status == 0, "\(local.all)")
        #expect(try String(contentsOfFile: tp.root + "/target/compiled/p/models/mart.sql", encoding: .utf8).contains("\"ci\".\"stg\""))
        let favored = try StrataBinary.run(["compile", "-s", "mart", "--defer", "--favor-state", "--schema", "ci"] + state + url)
        #expect(favored.status == 0, "\(favored.all)")
        #expect(try String(contentsOfFile: tp.root + "/target/compiled/p/models/mart.sql", encoding: .utf8).contains("\"prod\".\"stg\""))
        // DBT_DEFER and DBT_STATE do what the flags do; --defer without a state says what to give
        let env = try StrataBinary.run(["compile", "-s", "mart", "--favor-state", "--schema", "ci"] + url,
                                       environment: ["DBT_DEFER": "true", "DBT_STATE": tp.root + "/prod-artifacts"])
        #expect(env.status == 0, "\(env.all)")
        #expect(try String(contentsOfFile: tp.root + "/target/compiled/p/models/mart.sql", encoding: .utf8).contains("\"prod\".\"stg\""))
        let missing = try StrataBinary.run(["run", "--defer"] + url)
        #expect(missing.status == 2)
        #expect(missing.stderr.contains("--defer needs the artifacts to defer to"), "\(missing.all)")
    }
}

/// `clone --state` (views over another environment's relations) and `--empty` (every relation built, no rows).
@Suite struct CloneAndEmptyTests {
    @Test func cloneMakesTheStatesRelationsReadableAndEmptyBuildsWithoutRows() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let tp = try TempProject([
            "dbt_project.yml": "name: p\nprofile: p\n",
            "seeds/raw.csv": "id\n1\n2\n",
            "models/stg.sql": "select id from {{ ref('raw') }}",
            "models/mart.sql": "{{ config(materialized='table') }}select id * 10 as id from {{ ref('stg') }}",
        ])
        defer { tp.remove() }
        let url = ["--project-dir", tp.root, "--database-url", db.conninfo]
        #expect(try StrataBinary.run(["build", "--schema", "prod"] + url).status == 0)
        try FileManager.default.copyItem(atPath: tp.root + "/target", toPath: tp.root + "/prod-artifacts")
        let c = try db.connect()
        defer { c.close() }
        // a table already in the target stays; the rest become views over production
        try c.execute("CREATE SCHEMA dev; CREATE TABLE dev.mart AS SELECT 7 AS id")
        let clone = try StrataBinary.run(["clone", "--state", tp.root + "/prod-artifacts", "--schema", "dev"] + url)
        #expect(clone.status == 0, "\(clone.all)")
        #expect(clone.stdout.contains("OK kept table dev.mart") && clone.stdout.contains("OK cloned view dev.stg → prod.stg"), "\(clone.all)")
        #expect(try c.execute("SELECT relname, relkind FROM pg_class WHERE relnamespace = 'dev'::regnamespace AND relkind IN ('r', 'v') ORDER BY 1").rows
                == [["mart", "r"], ["raw", "v"], ["stg", "v"]])
        #expect(try c.execute("SELECT sum(id) FROM dev.stg").scalar == "3")
        let full = try StrataBinary.run(["clone", "--state", tp.root + "/prod-artifacts", "--schema", "dev", "--full-refresh", "-s", "mart"] + url)
        #expect(full.status == 0, "\(full.all)")
        #expect(try c.execute("SELECT sum(id) FROM dev.mart").scalar == "30")
        let noState = try StrataBinary.run(["clone"] + url)
        #expect(noState.status == 2)
        #expect(noState.stderr.contains("clone needs the artifacts of the run to clone from"), "\(noState.all)")
        // --empty: every relation is built from refs that read no rows
        let empty = try StrataBinary.run(["build", "--empty", "--schema", "ci"] + url)
        #expect(empty.status == 0, "\(empty.all)")
        #expect(try c.execute("SELECT count(*) FROM ci.mart").scalar == "0")
        let compiled = try String(contentsOfFile: tp.root + "/target/compiled/p/models/stg.sql", encoding: .utf8)
        #expect(compiled.contains("(select * from \"\(db.name)\".\"ci\".\"raw\" where false limit 0) _dbt_limit_subq_raw"), "\(compiled)")
    }
}

/// `strata retry`: the last invocation again, for what failed and what it skipped, with its flags.
@Suite struct RetryTests {
    @Test func retryRerunsTheFailedAndSkippedNodesWithTheSameFlags() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let tp = try TempProject([
            "dbt_project.yml": "name: p\nprofile: p\n",
            "models/a.sql": "select 1 as id",
            "models/b.sql": "select id from {{ ref('a') }} where nope",
            "models/c.sql": "select id from {{ ref('b') }}",
            "models/other.sql": "select 2 as id",
            "models/s.yml": "models:\n  - name: c\n    columns:\n      - name: id\n        data_tests: [not_null]\n",
        ])
        defer { tp.remove() }
        let url = ["--project-dir", tp.root, "--database-url", db.conninfo]
        let none = try StrataBinary.run(["retry"] + url)
        #expect(none.status == 2)
        #expect(none.stderr.contains("there is no previous run to retry: "), "\(none.all)")
        let build = try StrataBinary.run(["build", "--schema", "analytics", "--full-refresh"] + url)
        #expect(build.status == 1, "\(build.all)")
        // the flags are recorded as dbt records them (the connection string never is)
        let results = try String(contentsOfFile: tp.root + "/target/run_results.json", encoding: .utf8)
        #expect(results.contains("\"schema\": \"analytics\"") && results.contains("\"full_refresh\": true"), "\(results)")
        #expect(!results.contains(db.conninfo))
        try tp.write("models/b.sql", "select id from {{ ref('a') }}")
        let retry = try StrataBinary.run(["retry"] + url)
        #expect(retry.status == 0, "\(retry.all)")
        // b (errored), c and its test (skipped because of it); a and other are not built again
        #expect(retry.stdout.contains("Retrying 3 nodes of the last `build`"), "\(retry.all)")
        #expect(retry.stdout.contains("Finished 3 nodes"), "\(retry.all)")
        #expect(retry.stdout.contains("analytics.b") && !retry.stdout.contains("analytics.other"), "\(retry.all)")
        let again = try StrataBinary.run(["retry"] + url)
        #expect(again.status == 0)
        #expect(again.stdout.contains("Nothing to retry: the last `build`"), "\(again.all)")
    }
}

/// Logging as dbt users read it: timestamps, JSON events, --quiet, the log file, colours, print(), --warn-error.
@Suite struct LoggingTests {
    @Test func logFormatsLevelsFileAndWarnError() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let tp = try TempProject([
            "dbt_project.yml": "name: p\nprofile: p\n",
            "models/a.sql": "{% do print('printed at render') %}select 1 as id",
            "models/s.yml": "models:\n  - name: a\n    columns:\n      - name: id\n        data_tests:\n          - accepted_values: {values: [2], config: {severity: warn}}\n",
        ])
        defer { tp.remove() }
        let url = ["--project-dir", tp.root, "--database-url", db.conninfo]
        // text: dbt's timestamp on each log line; print() output as is; the log file has every line at debug level
        let text = try StrataBinary.run(["build"] + url)
        #expect(text.status == 0, "\(text.all)")
        let lines = text.stdout.split(separator: "\n").map(String.init)
        #expect(lines.contains("printed at render"), "\(text.all)")
        let stamped = try Regex(#"^\d\d:\d\d:\d\d  "#)
        #expect(lines.filter { $0 != "printed at render" }.allSatisfy { $0.prefixMatch(of: stamped) != nil }, "\(text.all)")
        #expect(lines.contains { $0.hasSuffix("  1 of 2 OK created view public.a ... [0.00s]") || $0.contains("OK created view public.a") })
        let log = try String(contentsOfFile: tp.root + "/logs/strata.log", encoding: .utf8)
        #expect(log.contains("[info ]") && log.contains("OK created view public.a") && log.contains("[debug]"), "\(log)")
        #expect(!log.contains(db.conninfo))
        // json: one event per line with dbt's info fields, node results with their ids
        let json = try StrataBinary.run(["build", "--log-format", "json", "--no-print", "--log-path", "elsewhere"] + url)
        #expect(json.status == 0, "\(json.all)")
        #expect(!json.stdout.contains("printed at render"))
        var results: [[String: Any]] = []
        for line in json.stdout.split(separator: "\n") {
            let event = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            let info = try #require(event["info"] as? [String: Any])
            #expect(info["msg"] is String && info["level"] is String && info["invocation_id"] is String && info["ts"] is String)
            if info["name"] as? String == "LogNodeResult", let data = event["data"] as? [String: Any] { results.append(data) }
        }
        #expect(results.compactMap { $0["unique_id"] as? String }.sorted().first == "model.p.a")
        #expect(results.contains { $0["status"] as? String == "warn" })
        #expect(FileManager.default.fileExists(atPath: tp.root + "/elsewhere/strata.log"))
        // --quiet: errors and results only
        let quiet = try StrataBinary.run(["build", "-q"] + url)
        #expect(quiet.status == 0 && !quiet.stdout.contains("OK created"), "\(quiet.all)")
        let quietList = try StrataBinary.run(["ls", "--project-dir", tp.root], environment: ["DBT_QUIET": "true", "DBT_PRINT": "false"])
        #expect(quietList.stdout == "p.a\np.accepted_values_a_id__2\n", "\(quietList.all)")
        // colours when asked (stdout is not a terminal here), and none by default
        #expect(try StrataBinary.run(["build", "--use-colors"] + url).stdout.contains("\u{1B}[32mOK\u{1B}[0m"))
        #expect(!text.stdout.contains("\u{1B}["))
        // --warn-error: the test's warning fails the build; a selection that matches nothing stops the command
        let warnError = try StrataBinary.run(["build", "--warn-error"] + url)
        #expect(warnError.status == 1, "\(warnError.all)")
        #expect(warnError.stderr.contains("warned (1 failing row), an error under --warn-error"), "\(warnError.all)")
        let nothing = try StrataBinary.run(["ls", "-s", "zz", "--warn-error", "--project-dir", tp.root])
        #expect(nothing.status == 2)
        #expect(nothing.stderr.contains("error[G3010]: The selection criterion 'zz' does not match any enabled nodes"), "\(nothing.all)")
        let allowed = try StrataBinary.run(["ls", "-s", "zz", "--project-dir", tp.root, "--warn-error-options", #"{"error": "all", "warn": ["NoNodesForSelectionCriteria"]}"#])
        #expect(allowed.status == 0, "\(allowed.all)")
        #expect(allowed.stderr.contains("warning[G3010]"))
        #expect(try StrataBinary.run(["ls", "--project-dir", tp.root, "--warn-error-options", "{nope"]).status == 2)
    }

    /// On a terminal (util-linux `script` gives the run one), a step still running after two seconds gets dbt's
    /// START line before its result; off a terminal there is none.
    @Test func longStepsGetAStartLineOnATerminal() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let tp = try TempProject(["dbt_project.yml": "name: p\nprofile: p\n",
                                  "models/slow.sql": "{{ config(materialized='table') }}select 1 as x from pg_sleep(2.5)"])
        defer { tp.remove() }
        let command = [StrataBinary.path, "run", "--project-dir", tp.root, "--database-url", db.conninfo, "--no-use-colors"]
            .map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let terminal = Process()
        terminal.executableURL = URL(fileURLWithPath: "/usr/bin/script")
        terminal.arguments = ["-qec", command, "/dev/null"]
        let out = Pipe()
        terminal.standardOutput = out
        terminal.standardInput = FileHandle.nullDevice
        try terminal.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        terminal.waitUntilExit()
        #expect(terminal.terminationStatus == 0, "\(text)")
        #expect(text.contains("1 of 1 START table public.slow ... [RUN]"), "\(text)")
        #expect(text.range(of: "START")!.lowerBound < text.range(of: "OK created table public.slow")!.lowerBound)
        let piped = try StrataBinary.run(["run", "--project-dir", tp.root, "--database-url", db.conninfo])
        #expect(piped.status == 0 && !piped.stdout.contains("START"), "\(piped.all)")
    }
}

/// The flags and environment variables a dbt user's habits bring: usage errors exit 2, dbt's aliases, DBT_* variables.
@Suite struct FlagHabitsTests {
    @Test func usageErrorsExit2AndDbtSpellingsWork() throws {
        let tp = try TempProject(["strata.yml": "name: p\n", "models/a.sql": "select 1 as id", "models/b.sql": "select 2 as id"])
        defer { tp.remove() }
        let unknown = try StrataBinary.run(["run", "--no-such-flag", "--project-dir", tp.root])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("Unknown option '--no-such-flag'"))
        #expect(try StrataBinary.run(["run", "--threads", "0", "--project-dir", tp.root]).status == 2)
        #expect(try StrataBinary.run(["--version"]).status == 0)
        // `list` and -m/--models, as dbt spells them
        let list = try StrataBinary.run(["list", "-m", "a", "--project-dir", tp.root])
        #expect(list.status == 0, "\(list.all)")
        #expect(list.stdout == "p.a\n")
        #expect(try StrataBinary.run(["ls", "--models", "b", "--project-dir", tp.root]).stdout == "p.b\n")
        // DBT_TARGET_PATH (and --target-path) move the artifacts; an invalid DBT_THREADS is a clear error
        let compiled = try StrataBinary.run(["compile", "--offline", "--project-dir", tp.root], environment: ["DBT_TARGET_PATH": "ci-target"])
        #expect(compiled.status == 0, "\(compiled.all)")
        #expect(FileManager.default.fileExists(atPath: tp.root + "/ci-target/manifest.json"))
        #expect(compiled.stdout.contains("→ ci-target/compiled, ci-target/manifest.json"), "\(compiled.all)")
        let threads = try StrataBinary.run(["ls", "--project-dir", tp.root], environment: ["DBT_THREADS": "many"])
        #expect(threads.status == 2)
        #expect(threads.stderr.contains("error[S1402]: DBT_THREADS (or STRATA_THREADS) must be a whole number of at least 1, not 'many'"))
        let debug = try StrataBinary.run(["debug", "--project-dir", tp.root, "--database-url", "postgresql:///x?host=/nonexistent"],
                                         environment: ["DBT_TARGET": "ci", "DBT_THREADS": "3"])
        #expect(debug.stdout.contains("target: ci,") && debug.stdout.contains("threads: 3"), "\(debug.all)")
        // -x is --fail-fast; seed --help lists only what seeds take
        #expect(try StrataBinary.run(["run", "-x", "--dry-run", "--project-dir", tp.root]).status == 0)
        let seedHelp = try StrataBinary.run(["seed", "--help"]).stdout
        #expect(seedHelp.contains("--full-refresh") && !seedHelp.contains("--store-failures") && !seedHelp.contains("--event-time-start") && !seedHelp.contains("--empty "))
        #expect(try StrataBinary.run(["build", "--help"]).stdout.contains("--store-failures"))
    }

    /// selectors.yml, --selector, the default selector, --indirect-selection, --resource-type, and dbt's warning
    /// for a criterion that matches nothing.
    @Test func selectorsIndirectSelectionAndResourceTypes() throws {
        let tp = try TempProject([
            "dbt_project.yml": "name: p\nprofile: p\n",
            "models/a.sql": "select 1 as id", "models/b.sql": "select id from {{ ref('a') }}", "models/c.sql": "select 2 as id",
            "models/s.yml": "models:\n  - name: b\n    columns:\n      - name: id\n        data_tests:\n          - not_null\n          - relationships: {to: ref('c'), field: id}\n",
            "selectors.yml": """
                selectors:
                  - name: upstream_of_b
                    default: true
                    definition:
                      union:
                        - method: fqn
                          value: b
                          parents: true
                          indirect_selection: cautious
                  - name: just_c
                    definition: "c"
                """,
        ])
        defer { tp.remove() }
        func ls(_ args: [String], environment: [String: String] = [:]) throws -> CommandOutput {
            try StrataBinary.run(["ls", "--output", "name", "--project-dir", tp.root] + args, environment: environment)
        }
        #expect(try ls([]).stdout == "a\nb\nnot_null_b_id\n")   // the default selector
        #expect(try ls(["--selector", "just_c"]).stdout == "c\nrelationships_b_id__id__ref_c_\n")   // eager: a test reading c joins
        #expect(try ls(["-s", "b"]).stdout == "b\nnot_null_b_id\nrelationships_b_id__id__ref_c_\n")
        #expect(try ls(["-s", "b"], environment: ["DBT_INDIRECT_SELECTION": "empty"]).stdout == "b\n")
        // --output json as tools (astronomer-cosmos) call it: one object per line with the keys asked for
        let json = try StrataBinary.run(["ls", "--project-dir", tp.root, "--output", "json", "--output-keys", "name unique_id resource_type depends_on", "-s", "a"])
        let objects = try json.stdout.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(objects.count == 1 && objects[0]?["unique_id"] as? String == "model.p.a" && objects[0]?["config"] == nil, "\(json.all)")
        #expect((objects[0]?["depends_on"] as? [String: Any])?["nodes"] as? [String] == [], "\(json.all)")
        #expect(try ls(["-s", "b", "c", "--indirect-selection", "cautious", "--resource-type", "test"]).stdout
                == "not_null_b_id\nrelationships_b_id__id__ref_c_\n")
        let nothing = try ls(["-s", "bb"])
        #expect(nothing.status == 0 && nothing.stdout.isEmpty)
        #expect(nothing.stderr.contains("warning[G3010]: The selection criterion 'bb' does not match any enabled nodes; did you mean 'b'?"), "\(nothing.all)")
        let unknown = try ls(["--selector", "upstream"])
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("--selector upstream: selectors.yml has no selector of that name"), "\(unknown.all)")
        #expect(try ls(["--resource-type", "table"]).status == 2)
        try tp.write("selectors.yml", "selectors:\n  - name: x\n")
        let broken = try ls([])
        #expect(broken.status == 2)
        #expect(broken.stderr.contains("selectors.yml:2:5: error[S1030]: a selector needs `name:` and `definition:`"), "\(broken.all)")
    }
}

/// Failing tests declared in YAML are reported at their entries, not at the top of the file.
@Suite struct TestFailureLocationTests {
    @Test func failingGenericAndUnitTestsPointAtTheirEntries() throws {
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let tp = try TempProject([
            "strata.yml": "name: p\n",
            "models/m.sql": "select * from (values (1), (1)) as t(id)",
            "models/s.yml": """
            models:
              - name: m
                columns:
                  - name: id
                    tests: [unique]
            unit_tests:
              - name: doubles
                model: m
                given: []
                expect:
                  rows: [{id: 2}]
            """,
        ])
        defer { tp.remove() }
        let out = try StrataBinary.run(["build", "--project-dir", tp.root, "--database-url", db.conninfo])
        #expect(out.status == 1, "\(out.all)")
        #expect(out.stderr.contains("models/s.yml:5:17: error[T5001]: test 'unique_m_id' failed: 1 failing row"), "\(out.all)")
        #expect(out.stderr.contains("models/s.yml:7:5: error[T5001]: test 'm_doubles' failed"), "\(out.all)")
    }
}

/// A package's own nodes built from the command line: in the same run as the project's, selectable as `package:`.
@Suite struct PackageNodesTests {
    @Test func packageModelsSeedsAndTestsBuildWithTheProjects() throws {
        let tp = try TempProject.copying(repositoryRoot + "/Tests/Fixtures/packages", only: ["app", "pkg_a", "pkg_b"])
        defer { tp.remove() }
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let app = tp.root + "/app"
        let url = ["--project-dir", app, "--database-url", db.conninfo]
        #expect(try StrataBinary.run(["deps", "--project-dir", app]).status == 0)
        let build = try StrataBinary.run(["build"] + url)
        #expect(build.status == 0, "\(build.all)")
        #expect(build.stdout.contains("Finished 10 nodes"), "\(build.all)")
        #expect(build.stdout.contains("OK created table public_from_pkg.pkg_a_base"))
        let c = try db.connect()
        defer { c.close() }
        // the package's model, rendered with its own helper() and the root project's var for it, read by the root's model
        #expect(try c.execute("SELECT helper, greeting, farewell FROM public_from_pkg.pkg_a_base WHERE id = 1").rows == [["helper_a", "app says hello", "pkg_a farewell"]])
        #expect(try c.execute("SELECT label FROM public.uses_pkg_a WHERE id = 2").scalar == "two")
        // the package's on-run-start made the log; its on-run-end wrote before the root project's
        #expect(build.stdout.contains("Ran 3 project hooks"), "\(build.all)")
        #expect(try c.execute("SELECT what FROM public.hook_log ORDER BY n").rows == [["helper_a"], ["helper_root"]])
        // package:pkg_a selects the package's nodes, listed by dbt's fqn; building them leaves the root's alone
        let ls = try StrataBinary.run(["ls", "-s", "package:pkg_a", "--resource-type", "model"] + url)
        #expect(ls.stdout == "pkg_a.pkg_a_base\npkg_a.pkg_a_sourced\n", "\(ls.all)")
        let only = try StrataBinary.run(["run", "-s", "package:pkg_a"] + url)
        #expect(only.status == 0, "\(only.all)")
        #expect(only.stdout.contains("Finished 2 models"), "\(only.all)")
        // target/compiled and the manifest: the package's nodes under its own name, paths relative to it
        #expect(try tp.read("app/target/compiled/pkg_a/models/pkg_a_base.sql").contains("'helper_a' as helper"))
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: app + "/target/manifest.json"))) as! [String: Any]
        let node = (manifest["nodes"] as! [String: [String: Any]])["model.pkg_a.pkg_a_base"]
        #expect(node?["package_name"] as? String == "pkg_a")
        #expect(node?["original_file_path"] as? String == "models/pkg_a_base.sql")
    }
}

/// dbt-utils' own integration suite (../shared/third_party/dbt-utils), run unchanged from the CLI: `deps`, `seed`,
/// `run`, `test` all pass; every compiled model and test is byte for byte what dbt-core 1.12.6 compiled, at the same
/// path under target/compiled, and the tests have dbt's unique_ids (hashes and ids in Tests/Fixtures/dbt-utils-suite.json,
/// recorded by scripts/record-dbt-utils-suite; database names aside).
@Suite struct DbtUtilsSuiteTests {
    static let suite = repositoryRoot + "/../shared/third_party/dbt-utils"

    struct Expected: Decodable {
        var counts: [String: Int]
        var models: [String: String]
        var tests: [String: String]
        var test_ids: [String]
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: suite + "/integration_tests/dbt_project.yml"), "needs ../shared/third_party/dbt-utils"))
    func dbtUtilsIntegrationSuitePassesWithDbtsCompiledSQL() throws {
        let expected = try JSONDecoder().decode(Expected.self, from: Data(contentsOf: URL(fileURLWithPath: repositoryRoot + "/Tests/Fixtures/dbt-utils-suite.json")))
        let tp = try TempProject.copying(Self.suite, only: ["dbt_project.yml", "macros", "integration_tests"])
        defer { tp.remove() }
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let dir = tp.root + "/integration_tests"
        let connection = ["--project-dir", dir, "--database-url", db.conninfo, "--target", "postgres"]
        let compiled = dir + "/target/compiled/dbt_utils_integration_tests"
        func hashes(_ include: (String) -> Bool) throws -> [String: String] {
            var out: [String: String] = [:]
            let files = FileManager.default.enumerator(atPath: compiled)?.compactMap { $0 as? String } ?? []
            for path in files where path.hasSuffix(".sql") && include(path) {
                let text = try String(contentsOfFile: compiled + "/" + path, encoding: .utf8).replacingOccurrences(of: "\"\(db.name)\"", with: "\"__database__\"")
                out[path] = SHA256.hex(text)
            }
            return out
        }

        let deps = try StrataBinary.run(["deps", "--project-dir", dir])
        #expect(deps.status == 0, "\(deps.all)")
        let seed = try StrataBinary.run(["seed"] + connection)
        #expect(seed.status == 0, "\(seed.all)")
        #expect(seed.stdout.contains("Finished \(expected.counts["seed"]!) seeds"), "\(seed.stdout.suffix(300))")
        #expect(seed.stdout.contains("\(expected.counts["seed"]!) OK, 0 errors"))
        let run = try StrataBinary.run(["run"] + connection)
        #expect(run.status == 0, "\(run.all)")
        #expect(run.stdout.contains("\(expected.counts["run"]!) OK, 0 errors"), "\(run.stdout.suffix(300))")
        let models = try hashes { $0.hasPrefix("models/") && !$0.contains(".yml/") }
        #expect(models.count == expected.models.count)
        for (path, hash) in expected.models.sorted(by: { $0.key < $1.key }) {
            #expect(models[path] == hash, "compiled \(path) differs from dbt's")
        }
        let test = try StrataBinary.run(["test"] + connection)
        #expect(test.status == 0, "\(test.all)")
        #expect(test.stdout.contains("Finished \(expected.counts["test"]!) tests"), "\(test.stdout.suffix(300))")
        #expect(test.stdout.contains("\(expected.counts["test"]!) pass, 0 warn, 0 fail, 0 errors"))
        let tests = try hashes { $0.contains(".yml/") || $0.hasPrefix("tests/") }
        #expect(tests.count == expected.tests.count)
        for (path, hash) in expected.tests.sorted(by: { $0.key < $1.key }) {
            #expect(tests[path] == hash, "compiled test \(path) differs from dbt's (or is missing)")
        }
        let runResults = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/target/run_results.json"))) as? [String: Any]
        let ids = ((runResults?["results"] as? [[String: Any]]) ?? []).compactMap { $0["unique_id"] as? String }.sorted()
        #expect(ids == expected.test_ids)
    }
}
