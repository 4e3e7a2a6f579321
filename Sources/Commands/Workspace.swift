import Foundation
import Synchronization
import Basics
import Artifacts
import Compilation
import Contracts
import Materialization
import DependencyGraph
import PostgresAdapter
import ProjectLoading
import ProjectModel
import Warehouse

/// Exit codes: 0 ok, 1 a node failed, 2 usage, configuration or connection errors.
enum ExitStatus: Int32 {
    case ok = 0, failures = 1, usage = 2
}

/// A failure already reported to the user; carries the exit status.
struct ReportedFailure: Error {
    let status: ExitStatus
}

/// The composition root of one command: project, connection target, compilation, artifacts.
struct Workspace {
    let options: GlobalOptions
    let console: Console
    var project: Project
    let environment: [String: String]
    /// How long loading the project took (reported with STRATA_TIMINGS=1).
    var loadTime: Duration = .zero
    let invocationID: String
    /// The command being run (templates see it as `flags.WHICH`).
    var command = "compile"
    /// Whether the command builds what it compiles (run, build, seed, snapshot, test): renders that fail on a database
    /// answer are then retried when the node is built.
    var buildsAfterCompile = false
    /// `--empty`: refs and sources render with no rows.
    var empty = false
    /// `parse`: render as dbt parses (execute false, nothing asked of the database), reporting every problem.
    var parsesOnly = false
    let startedAt = Date()

    /// Loads the project, printing diagnostics and failing with exit 2 on errors.
    /// `loadingPackages: false` for commands that must work before packages are installed (`deps`, `clean`).
    static func load(_ options: GlobalOptions, sink: (any OutputSink)? = nil, loadingPackages: Bool = true) throws -> Workspace {
        let (ws, warnings) = try load(options, sink: sink, loader: ProjectLoader(), loadingPackages: loadingPackages)
        ws.console.report(warnings)
        try ws.console.stopIfWarningsWereErrors()
        return ws
    }

    /// The project as `loader` loads it, and what the load reported (not printed: warnings, and errors when the
    /// loader keeps going).
    /// Without a `sink`, output goes where the logging flags say (`LogSink`), and to the project's `logs/strata.log`.
    static func load(_ options: GlobalOptions, sink: (any OutputSink)? = nil, loader: ProjectLoader,
                     loadingPackages: Bool = true) throws -> (Workspace, [Diagnostic]) {
        let start = ContinuousClock.now
        let environment = ProcessInfo.processInfo.environment
        let invocationID = UUID().uuidString.lowercased()
        let resolved: GlobalOptions, logSink: LogSink?
        do {
            resolved = try options.withEnvironment(environment)
            logSink = sink == nil ? LogSink(settings: try resolved.logSettings(environment, terminal: isatty(1) == 1), invocationID: invocationID) : nil
        } catch {
            throw Console(sink: sink ?? StandardOutputSink(), displayPrefix: "").fail(error)
        }
        let dir = resolved.projectDir
        let prefix = dir == "." ? "" : (dir.hasSuffix("/") ? dir : dir + "/")
        let console = Console(sink: sink ?? logSink!, displayPrefix: prefix, logSink: logSink)
        do {
            var (project, diagnostics) = try loader.loadWithWarnings(directory: dir, loadingPackages: loadingPackages)
            if let path = resolved.targetPath { project.paths.target = path }
            if let logSink {
                let logs = resolved.logPath ?? project.paths.logs
                logSink.attachFile((logs.hasPrefix("/") ? logs : project.root + "/" + logs) + "/strata.log")
                logSink.debug("Running with strata=\(StrataVersion.current) (dbt \(ProjectLoader.dbtVersion) behaviour): \(CommandLine.arguments.dropFirst().count) arguments, invocation \(invocationID)")
            }
            var ws = Workspace(options: resolved, console: console, project: project, environment: environment, invocationID: invocationID)
            ws.loadTime = ContinuousClock.now - start
            return (ws, diagnostics)
        } catch {
            throw console.fail(error)
        }
    }

    /// `--inline "select …"`: the project with the SQL as one more model, `inline_query` as dbt names it, and the
    /// selection that picks just it. Its messages point at `inline`.
    func addingInline(_ sql: String, to selection: SelectionOptions) -> (Workspace, SelectionOptions) {
        var ws = self
        var name = "inline_query"
        while ws.project.models.contains(where: { $0.name == name }) { name = "_" + name }
        ws.project.models.append(ModelFile(name: name, path: "inline", pathInModels: name + ".sql", rawSQL: sql))
        var selection = selection
        selection.select = ["unique_id:model.\(project.name).\(name)"]
        selection.exclude = []
        return (ws, selection)
    }

    var targetDirectory: URL { URL(fileURLWithPath: project.root).appendingPathComponent(project.paths.target) }

    func resolveConnection() throws -> ResolvedConnection {
        do {
            return try ConnectionResolver(options: options, project: project, environment: environment).resolve()
        } catch {
            throw console.fail(error)
        }
    }

    func cliVars() throws -> [String: ConfigValue] {
        guard let v = options.vars else { return [:] }
        do { return try ProjectLoader.parseVars(v) } catch { throw console.fail(error) }
    }

    /// Compiles every model; writes `target/compiled/**` for the selected ones and `target/manifest.json`.
    /// `conninfo` enables `run_query()` (a connection is opened on first use); nil compiles offline.
    /// With `offlineIfUnreachable`, a database that cannot be reached only makes the compile offline (with a note).
    func compile(connection: ResolvedConnection, selection: SelectionOptions, existingTables: Set<Relation>? = nil, fullRefresh: Bool = false,
                 conninfo: String? = nil, offlineIfUnreachable: Bool = false, writingArtifacts: Bool = true) throws -> (CompiledProject, Set<NodeID>) {
        let (compiled, selected, _) = try compileReporting(connection: connection, selection: selection, existingTables: existingTables, fullRefresh: fullRefresh,
                                                           conninfo: conninfo, offlineIfUnreachable: offlineIfUnreachable, writingArtifacts: writingArtifacts)
        return (compiled, selected)
    }

    /// `compile`, also returning the connection it actually used: nil when it compiled offline (a database that
    /// could not be reached is not tried a second time by the caller).
    func compileReporting(connection: ResolvedConnection, selection: SelectionOptions, existingTables: Set<Relation>? = nil, fullRefresh: Bool = false,
                          conninfo: String? = nil, offlineIfUnreachable: Bool = false,
                          writingArtifacts: Bool = true) throws -> (CompiledProject, Set<NodeID>, conninfo: String?) {
        do {
            let sink = console.sink
            var existingTables = existingTables
            var conninfo = conninfo
            if existingTables == nil, let info = conninfo {
                do {
                    let conn = try connection.adapter(info).open()
                    defer { conn.close() }
                    existingTables = try WarehouseCatalog(conn).existingTables(database: connection.target.database)
                } catch let e as WarehouseError where offlineIfUnreachable {
                    console.sink.error("note: compiling offline (the database is not reachable: \(e.message)); is_incremental() is false and run_query() is unavailable")
                    conninfo = nil
                }
            }
            var compileOptions = CompileOptions(target: connection.target, profileName: project.profileName ?? project.name, vars: try cliVars(),
                                                environment: environment, existingTables: existingTables, fullRefresh: fullRefresh,
                                                runStartedAt: startedAt, invocationID: invocationID, log: { sink.info($0) },
                                                connection: conninfo.map { [buildsAfterCompile] info in
                                                    SharedConnection(readOnly: buildsAfterCompile) { try connection.adapter(info).open() }
                                                })
            compileOptions.command = command
            let printing = console.printing
            compileOptions.printer = { @Sendable line in if printing { sink.output(line) } }
            compileOptions.debugLog = { sink.debug($0) }
            compileOptions.rendersAgainWhenBuilt = buildsAfterCompile
            compileOptions.parseOnly = parsesOnly
            compileOptions.empty = empty
            let selection = try selection.withEnvironment(environment)
            let t0 = ContinuousClock.now
            var compiled = try Compiler(project: project, options: compileOptions).compile()
            var t1 = ContinuousClock.now
            console.report(compiled.warnings.filter { $0.severity != .error })
            func absolute(_ path: String) -> String { URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).path }
            let state = try selection.state.map { try StateComparison.load(absolute($0), compiled: compiled) }
            let result = try compiled.graph.select(selection.request, selectors: project.selectors, projectName: project.name, state: state)
            let selected = result.nodes
            // dbt's warning for each criterion that picked nothing, with the nearest name
            console.report(result.unmatched.map { criterion, suggestion in
                Diagnostic(.warning, code: .selectsNothing, "The selection criterion '\(criterion)' does not match any enabled nodes" + (suggestion.map { "; did you mean '\($0)'?" } ?? ""))
            })
            try console.stopIfWarningsWereErrors()
            // --defer: what the selected nodes read from unselected ones is known now; they render again with it
            if selection.deferring == true, let deferState = selection.deferState ?? selection.state {
                let favorState = selection.favorState ?? false
                var existing: Set<Relation>? = nil
                if !favorState, let info = conninfo {
                    let conn = try connection.adapter(info).open()
                    defer { conn.close() }
                    existing = try WarehouseCatalog(conn).existingTables(database: connection.target.database, includingViews: true)
                }
                compileOptions.deferredRelations = try StateComparison.deferredRelations(
                    absolute(deferState), compiled: compiled, selected: selected, existing: existing, favorState: favorState)
                if !compileOptions.deferredRelations.isEmpty {
                    compiled = try Compiler(project: project, options: compileOptions).compile()
                    t1 = ContinuousClock.now
                }
            }
            if writingArtifacts { try writeArtifacts(compiled, selected: selected) }
            if environment["STRATA_TIMINGS"] != nil {
                let phases = compiled.timings.map { "\($0.phase) \(String(format: "%.3f", $0.seconds))" }.joined(separator: ", ")
                console.sink.error(String(format: "timings: load %.3f, compile %.3f (%@), write %.3f", loadTime.seconds, (t1 - t0).seconds, phases, (ContinuousClock.now - t1).seconds))
            }
            return (compiled, selected, conninfo)
        } catch let e as ReportedFailure {
            throw e
        } catch {
            throw console.fail(error)
        }
    }

    /// Checks the contracted models among `ids` against their contracts on the database, without building anything.
    /// Prints what it found; contract errors fail the command (exit 1) before anything is built.
    func checkContracts(_ compiled: CompiledProject, ids: Set<NodeID>, adapter: PostgresAdapter) throws {
        let count = ids.filter { compiled.nodes[$0]?.contract != nil }.count
        guard count > 0 else { return }
        let start = ContinuousClock.now
        let outcome: StaticContractCheck.Outcome
        do {
            let conn = try adapter.open()
            defer { conn.close() }
            outcome = try StaticContractCheck(connection: conn).check(compiled, selected: ids)
        } catch {
            throw console.fail(error)
        }
        console.report(outcome.diagnostics)
        let errors = outcome.diagnostics.filter { $0.severity == .error }.count
        let elapsed = format(ContinuousClock.now - start)
        if errors > 0 {
            console.print("Contract check: \(errors) error\(errors == 1 ? "" : "s") in \(outcome.checked.count) contracted model\(outcome.checked.count == 1 ? "" : "s") (\(elapsed)); nothing was built")
            throw ReportedFailure(status: .failures)
        }
        var line = "Contract check: \(outcome.checked.count) contracted model\(outcome.checked.count == 1 ? "" : "s") match their contracts (\(elapsed))"
        if !outcome.skipped.isEmpty { line += "; \(outcome.skipped.count) checked when built" }
        console.print(line)
    }

    func writeArtifacts(_ compiled: CompiledProject, selected: Set<NodeID>) throws {
        try FileManager.default.createDirectory(at: targetDirectory, withIntermediateDirectories: true)
        let compiledRoot = targetDirectory.appendingPathComponent("compiled")
        let files = compiled.nodes.values.compactMap { n -> (String, String)? in
            guard selected.contains(n.id), let sql = n.compiledSQL, let path = n.compiledPath else { return nil }
            return (sql, compiledRoot.appendingPathComponent(path).path)
        }
        if let f = Self.write(files).first { throw Diagnostic(code: .cannotWrite, "cannot write compiled SQL: \(f)") }
        try writeManifest(compiled)
    }

    func writeManifest(_ compiled: CompiledProject) throws {
        try FileManager.default.createDirectory(at: targetDirectory, withIntermediateDirectories: true)
        if let f = FileWriter.write(Manifest.contractsJSON(compiled), to: targetDirectory.appendingPathComponent("contracts.json").path) {
            throw Diagnostic(code: .cannotWrite, "cannot write contracts.json: \(f)")
        }
        let manifest = Manifest.json(compiled, generatedAt: startedAt, invocationID: invocationID)
        if let f = FileWriter.write(manifest, to: targetDirectory.appendingPathComponent("manifest.json").path) {
            throw Diagnostic(code: .cannotWrite, "cannot write the manifest: \(f)")
        }
    }
}

extension Workspace {
    /// Writes (text, absolute path) pairs, creating their folders; returns a message for each that failed.
    /// Writing thousands of small files is I/O bound, so it is spread over the cores.
    static func write(_ files: [(text: String, path: String)]) -> [String] {
        var created = Set<String>(), failures: [String] = []
        for f in files {
            let dir = (f.path as NSString).deletingLastPathComponent
            guard created.insert(dir).inserted else { continue }
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) } catch { failures.append("\(dir): \(error.localizedDescription)") }
        }
        return failures + files.concurrentMap { FileWriter.write($0.text, to: $0.path) }.compactMap { $0 }
    }
}

extension Console {
    /// Prints an error and returns the failure to throw (exit 2).
    func fail(_ error: Error, status: ExitStatus = .usage) -> ReportedFailure {
        switch error {
        case let r as ReportedFailure: return r
        case let d as DiagnosticError: report(d.diagnostics)
        case let d as Diagnostic: report([d])
        case let e as ServerError: report([Diagnostic(code: .serverError, e.description)])
        case let e as WarehouseError: report([Diagnostic(code: .cannotConnect, "cannot connect: \(e.description)")])
        default: report([Diagnostic(code: .unexpected, String(describing: error))])
        }
        return ReportedFailure(status: status)
    }
}
