import ArgumentParser
import Foundation
import Basics
import Artifacts
import Compilation
import Materialization
import PostgresAdapter
import Warehouse
import ProjectModel

/// Flags shared by commands that build things (run, seed, snapshot, test, build).
struct BuildOptions: ParsableArguments {
    @Flag(name: .customLong("full-refresh"), help: "Rebuild incremental models and seeds from scratch.")
    var fullRefresh = false

    @Flag(name: [.customLong("fail-fast"), .customShort("x")], help: "Stop at the first failure.")
    var failFast = false

    @Option(name: .customLong("lock-timeout"), help: "Seconds to wait for another run on the same schema (default: wait).")
    var lockTimeout: Double?

    @Flag(name: .customLong("dry-run"), help: "Print the plan without touching the database.")
    var dryRun = false

    func validate() throws {
        if let l = lockTimeout, l < 0 { throw ValidationError("--lock-timeout must not be negative") }
    }
}

/// Flags of the commands that build models or run tests (run, test, build), which seeds and snapshots do not take.
struct NodeOptions: ParsableArguments {
    @Flag(name: .customLong("store-failures"), help: "Tests save their failing rows in <schema>_dbt_test__audit.<test>.")
    var storeFailures = false

    @Flag(name: .customLong("empty"), help: "Refs and sources read no rows (dbt's limit 0): checks the SQL and builds every relation empty (also DBT_EMPTY).")
    var empty = false

    @Option(name: .customLong("event-time-start"), help: "Microbatch models: first batch to (re)load, e.g. 2024-01-01 (UTC).")
    var eventTimeStart: String?

    @Option(name: .customLong("event-time-end"), help: "Microbatch models: end of the range (exclusive).")
    var eventTimeEnd: String?

    func validate() throws {
        for (flag, value) in [("--event-time-start", eventTimeStart), ("--event-time-end", eventTimeEnd)] {
            if let v = value, MicrobatchConfig.parseDate(v) == nil { throw ValidationError("\(flag) '\(v)' is not a date like 2024-01-01 or 2024-01-01T10:00:00") }
        }
        if eventTimeEnd != nil, eventTimeStart == nil { throw ValidationError("--event-time-end needs --event-time-start") }
    }
}

extension Optional where Wrapped == NodeOptions {
    var planner: Planner {
        Planner(now: Date(), eventTimeStart: self?.eventTimeStart.flatMap(MicrobatchConfig.parseDate), eventTimeEnd: self?.eventTimeEnd.flatMap(MicrobatchConfig.parseDate),
                storeFailures: self?.storeFailures ?? false)
    }
}

/// A command that plans some of the project's nodes and executes the plan; it only says what to plan.
protocol PlanCommand: ParsableCommand {
    var global: GlobalOptions { get }
    var selection: SelectionOptions { get }
    var build: BuildOptions { get }
    /// The model and test flags, for the commands that take them.
    var nodes: NodeOptions? { get }
    /// What one node is called in the summary ("model", "seed", …).
    static var noun: String { get }
    /// Positional arguments of the command itself (`test contracts`), for `retry`.
    var extraArguments: [String] { get }
    func plan(_ planner: Planner, _ compiled: CompiledProject, _ selected: Set<NodeID>) -> Plan
}

extension PlanCommand {
    var extraArguments: [String] { [] }
    var nodes: NodeOptions? { nil }

    func run() throws {
        try runReporting {
            let planner = nodes.planner
            try PlanRunner(global: global, selection: selection, build: build, nodes: nodes, command: Self.configuration.commandName ?? "run", noun: Self.noun,
                           extraArguments: extraArguments) {
                plan(planner, $0, $1)
            }.run()
        }
    }
}

struct RunCommand: PlanCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Build the selected models in PostgreSQL, in dependency order.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: SelectionOptions
    @OptionGroup var build: BuildOptions
    @OptionGroup var nodeOptions: NodeOptions
    var nodes: NodeOptions? { nodeOptions }
    static let noun = "model"
    func plan(_ planner: Planner, _ compiled: CompiledProject, _ selected: Set<NodeID>) -> Plan { planner.plan(compiled, selected: selected) }
}

struct SeedCommand: PlanCommand {
    static let configuration = CommandConfiguration(commandName: "seed", abstract: "Load the CSV files under the seed paths into tables (COPY).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: SelectionOptions
    @OptionGroup var build: BuildOptions
    static let noun = "seed"
    func plan(_ planner: Planner, _ compiled: CompiledProject, _ selected: Set<NodeID>) -> Plan { planner.planSeeds(compiled, selected: selected) }
}

struct TestCommand: PlanCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the tests of the selected nodes: data tests, unit tests and contract checks.",
        discussion: "`strata test contracts` runs only the contract checks: schema drift, constraints, quality rules and freshness of the live relations.")
    @Argument(help: "`contracts`: run only the contract checks.")
    var what: String?
    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: SelectionOptions
    @OptionGroup var build: BuildOptions
    @OptionGroup var nodeOptions: NodeOptions
    var nodes: NodeOptions? { nodeOptions }
    static let noun = "test"
    var extraArguments: [String] { what.map { [$0] } ?? [] }

    func validate() throws {
        if let what, what != "contracts" { throw ValidationError("unknown test kind '\(what)'; did you mean `strata test contracts`?") }
    }

    func plan(_ planner: Planner, _ compiled: CompiledProject, _ selected: Set<NodeID>) -> Plan {
        var plan = planner.planTests(compiled, selected: selected)
        if what == "contracts" { plan.steps = plan.steps.filter { compiled.nodes[$0.id]?.test?.type == .contract } }
        return plan
    }
}

struct BuildCommand: PlanCommand {
    static let configuration = CommandConfiguration(commandName: "build", abstract: "Seeds, models, snapshots and tests in one DAG; a failing test skips what depends on the node it tested.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: SelectionOptions
    @OptionGroup var build: BuildOptions
    @OptionGroup var nodeOptions: NodeOptions
    var nodes: NodeOptions? { nodeOptions }
    static let noun = "node"
    func plan(_ planner: Planner, _ compiled: CompiledProject, _ selected: Set<NodeID>) -> Plan {
        planner.planBuild(compiled, selected: selected)
    }
}

struct SnapshotCommand: PlanCommand {
    static let configuration = CommandConfiguration(commandName: "snapshot", abstract: "Record changes of the selected snapshots (SCD type 2).")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: SelectionOptions
    @OptionGroup var build: BuildOptions
    static let noun = "snapshot"
    /// dbt projects keep dbt's dbt_-prefixed snapshot columns, so existing snapshot tables keep working.
    func plan(_ planner: Planner, _ compiled: CompiledProject, _ selected: Set<NodeID>) -> Plan {
        planner.planSnapshots(compiled, selected: selected)
    }
}

/// Load → resolve connection → compile → plan → check contracts → execute → report, for any command that builds a plan.
struct PlanRunner {
    /// Rows as an aligned text table (for samples of failing rows).
    static func table(_ r: QueryResult) -> String {
        let cells = [r.columns] + r.rows.map { $0.map { v in v.map { $0.count > 40 ? String($0.prefix(39)) + "…" : $0 } ?? "NULL" } }
        let widths = r.columns.indices.map { i in cells.map { i < $0.count ? $0[i].count : 0 }.max() ?? 0 }
        return cells.map { row in
            String(("  " + row.enumerated().map { i, v in v.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(separator: " | "))
                .reversed().drop { $0 == " " }.reversed())
        }.joined(separator: "\n")
    }

    let global: GlobalOptions
    let selection: SelectionOptions
    let build: BuildOptions
    let nodes: NodeOptions?
    let command: String
    let noun: String
    /// The command's own arguments (`test contracts`), recorded for `retry`.
    let extraArguments: [String]
    let makePlan: (CompiledProject, Set<NodeID>) -> Plan

    init(global: GlobalOptions, selection: SelectionOptions, build: BuildOptions, nodes: NodeOptions?, command: String, noun: String, extraArguments: [String] = [],
         makePlan: @escaping (CompiledProject, Set<NodeID>) -> Plan) {
        self.global = global
        self.selection = selection
        self.build = build
        self.nodes = nodes
        self.command = command
        self.noun = noun
        self.extraArguments = extraArguments
        self.makePlan = makePlan
    }

    func run() throws {
        let clock = ContinuousClock.now
        var ws = try Workspace.load(global)
        ws.command = command
        ws.buildsAfterCompile = true
        ws.empty = try nodes?.empty == true || (nodes != nil && GlobalOptions.environmentFlag("EMPTY", ws.environment) == true)
        var connection = try ws.resolveConnection()
        if build.dryRun {
            // offline: nothing is started or connected
            let (compiled, selected) = try ws.compile(connection: connection, selection: selection, fullRefresh: build.fullRefresh)
            ws.console.print(makePlan(compiled, selected).description)
            return
        }
        let conninfo: String
        do {
            conninfo = try connection.connectionString(log: ws.console.print)
        } catch {
            throw ws.console.fail(error)
        }
        let (compiled, selected) = try ws.compile(connection: connection, selection: selection, fullRefresh: build.fullRefresh, conninfo: conninfo)
        let plan = makePlan(compiled, selected)
        // contracts are checked before anything is built
        let builds = Set(plan.steps.filter { step in
            switch step.action {
            case .buildView, .buildTable, .loadIncremental: return true
            default: return false
            }
        }.map(\.id))
        let adapter = connection.adapter(conninfo)
        try ws.checkContracts(compiled, ids: builds, adapter: adapter)
        let threads = connection.target.threads
        let plural = plan.steps.count == 1 ? noun : noun + "s"
        // the schemas the steps write (a seed's custom schema, public_raw, rather than the target's)
        let writtenSchemas = Set(plan.steps.filter { $0.kind != .test }.map(\.relation.schema)).filter { !$0.isEmpty }.sorted()
        let schemas = writtenSchemas.isEmpty || writtenSchemas == [connection.target.schema] ? connection.target.schema
            : writtenSchemas.count <= 3 ? writtenSchemas.joined(separator: ", ") : "\(writtenSchemas.prefix(3).joined(separator: ", ")) and \(writtenSchemas.count - 3) more schemas"
        ws.console.print("Running \(plan.steps.count) \(plural) on \(connection.target.database)/\(schemas) with \(threads) thread\(threads == 1 ? "" : "s")")
        let executor = Executor(adapter: adapter, projectRoot: ws.project.root, runStartedAt: ws.startedAt, fullRefresh: build.fullRefresh)
        // Ctrl-C and SIGTERM cancel the statements in flight (they roll back) and stop the run; the summary still prints.
        let cancellation = Cancellation()
        let signalSources = [SIGINT, SIGTERM].map { signo -> DispatchSourceSignal in
            signal(signo, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signo, queue: .global())
            source.setEventHandler { cancellation.cancel(signal: signo) }
            source.resume()
            return source
        }
        defer { signalSources.forEach { $0.cancel() } }
        let results: [StepResult]
        do {
            let options = ExecutionOptions(threads: threads, failFast: build.failFast, lockTimeout: build.lockTimeout, lockSchema: connection.target.schema)
            results = try executor.run(plan, options: options,
                                       observer: ProgressPrinter(sink: ws.console.sink, interactive: isatty(1) == 1), cancellation: cancellation)
        } catch let e as WarehouseError {
            throw ws.console.fail(Diagnostic(code: .cannotConnect, "cannot \(command): \(e.description) (connection: \(connection.source.description))"))
        } catch {
            throw ws.console.fail(error)
        }
        let elapsed = ContinuousClock.now - clock
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        // nodes rendered again when they ran: their compiled SQL is what ran, as dbt writes it
        // and target/run/ holds the statements each node ran (dbt's layout, the same paths as target/compiled)
        let compiledDirectory = ws.targetDirectory.appendingPathComponent("compiled"), runDirectory = ws.targetDirectory.appendingPathComponent("run")
        let written: [(String, String)] = results.flatMap { r -> [(String, String)] in
            guard let node = compiled.nodes[r.id] else { return [] }
            var files: [(String, String)] = []
            if let sql = r.renderedSQL, let path = node.compiledPath { files.append((sql, compiledDirectory.appendingPathComponent(path).path)) }
            if let sql = r.executedSQL, let path = node.runPath { files.append((sql, runDirectory.appendingPathComponent(path).path)) }
            return files
        }
        if let problem = Workspace.write(written).first {
            ws.console.report([Diagnostic(.warning, code: .cannotWrite, "cannot write what the nodes ran to target/: \(problem)")])
        }
        let json = RunResults.json(results, generatedAt: ws.startedAt, invocationID: ws.invocationID, elapsed: seconds, command: command, project: compiled,
                                   args: InvocationArguments(global: global, selection: selection, build: build, nodes: nodes, extra: extraArguments).entries)
        try? Data(json.utf8).write(to: ws.targetDirectory.appendingPathComponent("run_results.json"))
        // on-run-start/end hooks are results too (run_results.json), but not nodes in the summary's count
        let nodeResults = results.filter { !$0.isProjectHook }
        let count = { (s: StepResult.Status) in nodeResults.filter { $0.status == s }.count }
        let errors = results.filter { $0.status == .error }
        let failed = results.filter { $0.status == .fail }
        ws.console.print("")
        let hooks = results.count - nodeResults.count
        if hooks > 0 { ws.console.print("Ran \(hooks) project hook\(hooks == 1 ? "" : "s") (on-run-start/on-run-end)\(results.contains { $0.isProjectHook && $0.status == .error } ? ", one failed" : "").") }
        let what = "\(nodeResults.count) \(nodeResults.count == 1 ? noun : noun + "s")"
        if command == "test" || command == "build" {
            let built = command == "build" ? "\(count(.success)) OK, " : ""
            ws.console.print("Finished \(what) in \(format(elapsed)): \(built)\(count(.pass)) pass, \(count(.warn)) warn, \(failed.count) fail, \(errors.count) error\(errors.count == 1 ? "" : "s"), \(count(.skipped)) skipped.")
        } else {
            ws.console.print("Finished \(what) in \(format(elapsed)): \(count(.success)) OK, \(errors.count) error\(errors.count == 1 ? "" : "s"), \(count(.skipped)) skipped.")
        }
        let failures = failed.map { r -> Diagnostic in
            let node = compiled.nodes[r.id]
            let path = node?.compiledPath.map { "\(ws.project.paths.target)/compiled/\($0)" } ?? ""
            var notes: [Diagnostic.Note] = node?.test?.type == .unit && !r.message.isEmpty ? [.init(r.message)] : []
            if let sample = r.sample, !sample.rows.isEmpty { notes.append(.init("failing rows (up to 5):\n" + Self.table(sample))) }
            var location = node?.contract?.location ?? node?.sqlOrigin.fileStart
            if case .contractCheck(let check)? = node?.payload { location = check.contractLocation ?? location }
            return Diagnostic(code: .testFailed, "test '\(node?.name ?? r.id.rawValue)' failed: \(r.failures ?? 0) failing row\(r.failures == 1 ? "" : "s") (compiled SQL: \(path))",
                              at: location ?? node.flatMap { $0.path.isEmpty ? nil : SourceLocation(file: $0.path, line: 1, column: 1) }, notes: notes)
        }
        if let why = cancellation.lockLost {
            let done = nodeResults.filter { $0.status == .success || $0.status == .pass }.count
            ws.console.report([Diagnostic(code: .lockLost, "\(command) stopped: it lost its lock on schema '\(connection.target.schema)' (\(why)). No step started after that, statements in flight were cancelled and rolled back (their relations are as they were); \(done) step\(done == 1 ? "" : "s") had finished. Run again when no other run is using the schema")])
            throw ReportedFailure(status: .usage)
        }
        if let signo = cancellation.reason {
            ws.console.report([Diagnostic(code: .cancelled, "\(command) cancelled by \(signo == SIGINT ? "SIGINT" : "SIGTERM"): statements in flight were cancelled and rolled back; relations keep their previous state")])
            Foundation.exit(128 + signo)
        }
        if !errors.isEmpty || !failures.isEmpty {
            ws.console.report(failures + errors.compactMap(\.diagnostic))
            throw ReportedFailure(status: .failures)
        }
        // --warn-error: a test that warned fails the command, as in dbt
        let warned = nodeResults.filter { $0.status == .warn }
        if !warned.isEmpty, ws.console.logSink?.settings.warnError.all == true {
            ws.console.report(warned.map { r in
                Diagnostic(code: .testFailed, "test '\(compiled.nodes[r.id]?.name ?? r.id.rawValue)' warned (\(r.failures ?? 0) failing row\(r.failures == 1 ? "" : "s")), an error under --warn-error",
                           at: compiled.nodes[r.id]?.declaredAt)
            })
            throw ReportedFailure(status: .failures)
        }
    }
}
