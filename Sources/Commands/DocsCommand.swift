import ArgumentParser
import Foundation
import Basics
import Compilation
import Docs
import PostgresAdapter
import ProjectModel
import Warehouse

struct DocsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "docs", abstract: "Generate the documentation site, or serve it.", subcommands: [Generate.self, Serve.self])

    struct Serve: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve target/docs (what `docs generate` wrote) over HTTP on this machine, until stopped with Ctrl-C.")
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("port"), help: "The port (default 8080; 0: any free one).")
        var port: UInt16 = 8080
        @Option(name: .customLong("host"), help: "The address to listen on (default 127.0.0.1: this machine only).")
        var host = "127.0.0.1"

        func run() throws {
            try runReporting {
                let ws = try Workspace.load(global)
                let dir = ws.targetDirectory.appendingPathComponent("docs")
                let shown = ws.console.displayPath(ws.project.paths.target + "/docs")
                guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("index.html").path) else {
                    throw ws.console.fail(Diagnostic(code: .noDocsSite, "there is no site to serve: \(shown)/index.html does not exist (run `strata docs generate` first)"))
                }
                let server: SiteServer
                do { server = try SiteServer(root: dir.path, host: host, port: port) } catch let e as SiteServer.Failure {
                    throw ws.console.fail(Diagnostic(code: .noDocsSite, "docs serve: \(e.description)"))
                }
                ws.console.print("Serving \(shown) at http://\(host):\(server.port)/ (Ctrl-C to stop)")
                server.serve()
            }
        }
    }

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write target/docs/index.html: a self-contained site with every node, its columns, tests, contract and lineage.")
        @OptionGroup var global: GlobalOptions
        @Flag(name: .customLong("no-catalog"), help: "Do not read the database (columns, row estimates, sizes come from the project only).")
        var noCatalog = false

        func run() throws {
            try runReporting {
                let clock = ContinuousClock.now
                let ws = try Workspace.load(global)
                let (compiled, _, adapter) = try ws.compileForReading(offline: noCatalog)
                var mark = ContinuousClock.now
                var phases: [String] = []
                func lap(_ name: String) { let now = ContinuousClock.now; phases.append(String(format: "%@ %.3f", name, (now - mark).seconds)); mark = now }
                let catalog = noCatalog ? [:] : ws.readCatalog(compiled, adapter: adapter)
                lap("catalog")
                let graph = LineageGraph(compiled, catalog: catalog, seedColumns: ws.seedHeaders(compiled), exposures: ws.project.exposures)
                lap("lineage")
                let site = Site(graph: graph, catalog: catalog, lastRun: ws.lastRun(), generatedAt: ISO8601DateFormatter().string(from: ws.startedAt))
                defer { if ws.environment["STRATA_TIMINGS"] != nil { ws.console.sink.error("timings (docs): " + phases.joined(separator: ", ")) } }
                let dir = ws.targetDirectory.appendingPathComponent("docs")
                try? FileManager.default.removeItem(at: dir.appendingPathComponent("sql"))
                var bytes = 0
                do {
                    try FileManager.default.createDirectory(at: dir.appendingPathComponent("sql"), withIntermediateDirectories: true)
                    let files = site.files()
                    lap("site")
                    defer { lap("write") }
                    for f in files {
                        bytes += f.contents.utf8.count
                        if let problem = FileWriter.write(f.contents, to: dir.appendingPathComponent(f.path).path) { throw Diagnostic(code: .cannotWrite, "cannot write docs: \(problem)") }
                    }
                } catch {
                    throw ws.console.fail(error)
                }
                // dbt's catalog.json, for the tools that read it (from the database: not with --no-catalog)
                if !catalog.isEmpty {
                    let json = CatalogJSON.json(compiled, catalog: catalog, generatedAt: ISO8601DateFormatter().string(from: ws.startedAt), invocationID: ws.invocationID)
                    if let problem = FileWriter.write(json, to: ws.targetDirectory.appendingPathComponent("catalog.json").path) {
                        throw ws.console.fail(Diagnostic(code: .cannotWrite, "cannot write catalog.json: \(problem)"))
                    }
                }
                let withColumns = graph.nodes.filter { !$0.columnLineage.isEmpty }.count
                ws.console.print(String(format: "Wrote %@/docs/index.html: %d nodes (%d with column lineage), %@, %.1f MB in %@",
                                        ws.project.paths.target, graph.nodes.count, withColumns,
                                        catalog.isEmpty ? "no catalog" : "catalog of \(catalog.count) relations",
                                        Double(bytes) / 1_048_576, format(ContinuousClock.now - clock)))
            }
        }
    }
}

struct LineageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "lineage",
        abstract: "Print the lineage of the selected nodes as JSON, Graphviz DOT, Mermaid, or OpenLineage run events.",
        discussion: "--format openlineage turns the last run (target/run_results.json) into OpenLineage RunEvents, one JSON object per line.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: SelectionOptions
    @Option(name: .customLong("format"), help: "json, dot, mermaid or openlineage.")
    var format = "json"
    @Flag(name: .customLong("columns"), help: "Include column-level lineage.")
    var columns = false
    @Option(name: .customLong("output"), help: "Write to this file instead of standard output.")
    var output: String?

    func validate() throws {
        guard ["json", "dot", "mermaid", "openlineage"].contains(format) else { throw ValidationError("--format must be json, dot, mermaid or openlineage") }
    }

    func run() throws {
        try runReporting {
            let ws = try Workspace.load(global)
            let (compiled, conninfo, adapter) = try ws.compileForReading(offline: false, quiet: true)
            let selected = try { () throws -> Set<NodeID>? in
                if selection.select.isEmpty && selection.exclude.isEmpty { return nil }
                do { return try compiled.graph.select(selection.select, exclude: selection.exclude, projectName: compiled.projectName) } catch { throw ws.console.fail(error) }
            }()
            let needsColumns = columns || format == "openlineage"
            let catalog = needsColumns ? ws.readCatalog(compiled, adapter: adapter) : [:]
            let graph = LineageGraph(compiled, selected: selected, catalog: catalog, seedColumns: needsColumns ? ws.seedHeaders(compiled) : [:], columns: needsColumns,
                                     exposures: selected == nil ? ws.project.exposures : [])
            let text: String
            switch format {
            case "dot": text = LineageFormats.dot(graph, columns: columns)
            case "mermaid": text = LineageFormats.mermaid(graph, columns: columns)
            case "openlineage":
                let outcomes = ws.lastRunOutcomes()
                guard !outcomes.isEmpty else {
                    throw ws.console.fail(Diagnostic(code: .noRunResults, "no run to describe: \(ws.project.paths.target)/run_results.json is missing or empty (run `strata run` or `strata build` first)"))
                }
                text = LineageFormats.openLineage(graph, outcomes: outcomes, namespace: ws.openLineageNamespace(conninfo), invocationID: ws.lastInvocationID() ?? ws.invocationID)
            default: text = LineageFormats.json(graph, columns: columns)
            }
            if let output {
                if let problem = FileWriter.write(text, to: output) { throw ws.console.fail(Diagnostic(code: .cannotWrite, "cannot write \(output): \(problem)")) }
            } else {
                ws.console.output(text.hasSuffix("\n") ? String(text.dropLast()) : text)
            }
        }
    }
}

extension Workspace {
    /// Compiles for reading (docs, lineage): uses a configured or running database for the catalog, never starts one.
    /// Returns the connection string it reached and the adapter for it (nil when offline).
    func compileForReading(offline: Bool, quiet: Bool = false) throws -> (CompiledProject, conninfo: String?, adapter: PostgresAdapter?) {
        let connection = try resolveConnection()
        var conninfo = connection.conninfoWithoutStarting
        if offline { conninfo = nil }
        if let info = conninfo, (try? connection.adapter(info).open()).map({ $0.close() }) == nil {
            if !quiet { console.sink.error("note: the database is not reachable; documenting without a catalog") }
            conninfo = nil
        }
        let selection = try SelectionOptions.parse([])
        // the site and the lineage come from the compiled project itself: target/compiled and the manifest are left as they are
        let (compiled, _) = try compile(connection: connection, selection: selection, conninfo: conninfo, offlineIfUnreachable: true, writingArtifacts: false)
        return (compiled, conninfo, conninfo.map(connection.adapter))
    }

    func readCatalog(_ compiled: CompiledProject, adapter: PostgresAdapter?) -> [Relation: LineageGraph.CatalogEntry] {
        guard let conn = try? adapter?.open() else { return [:] }
        defer { conn.close() }
        let schemas = Set(compiled.nodes.values.compactMap { $0.kind == .test ? nil : $0.relation?.schema })
        return (try? DocsCatalog.read(schemas: schemas, on: conn, database: compiled.target.database)) ?? [:]
    }

    /// Seed columns from each CSV's header line (for `select *` in column lineage).
    func seedHeaders(_ compiled: CompiledProject) -> [NodeID: [String]] {
        var out: [NodeID: [String]] = [:]
        for n in compiled.nodes.values where n.kind == .seed {
            guard let handle = FileHandle(forReadingAtPath: project.root + "/" + n.path) else { continue }
            defer { try? handle.close() }
            let data = (try? handle.read(upToCount: 65536)) ?? Data()
            guard let text = String(data: data, encoding: .utf8), let line = text.split(separator: "\n").first else { continue }
            out[n.id] = String(line).trimmedWhitespace.split(separator: ",").map {
                $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")).lowercased()
            }
        }
        return out
    }

    private func runResults() -> [String: Any]? {
        let url = targetDirectory.appendingPathComponent("run_results.json")
        guard let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONSerialization.jsonObject(with: data) as? [String: Any]
    }

    /// The last run's outcome per node, from `target/run_results.json`.
    func lastRun() -> [NodeID: LineageGraph.LastRun] {
        var out: [NodeID: LineageGraph.LastRun] = [:]
        for r in (runResults()?["results"] as? [[String: Any]]) ?? [] {
            guard let id = r["unique_id"] as? String, let status = r["status"] as? String else { continue }
            let completed = ((r["timing"] as? [[String: Any]])?.first?["completed_at"]) as? String
            out[NodeID(id)] = LineageGraph.LastRun(status: status, completedAt: completed, executionTime: r["execution_time"] as? Double ?? 0,
                                                   failures: r["failures"] as? Int)
        }
        return out
    }

    func lastRunOutcomes() -> [LineageFormats.RunOutcome] {
        ((runResults()?["results"] as? [[String: Any]]) ?? []).compactMap { r in
            guard let id = r["unique_id"] as? String, let status = r["status"] as? String else { return nil }
            let timing = (r["timing"] as? [[String: Any]])?.first
            return LineageFormats.RunOutcome(id: NodeID(id), status: status, startedAt: timing?["started_at"] as? String, completedAt: timing?["completed_at"] as? String)
        }
    }

    func lastInvocationID() -> String? { (runResults()?["metadata"] as? [String: Any])?["invocation_id"] as? String }

    /// `postgres://host:port` as OpenLineage names PostgreSQL datasets (no user, no password).
    func openLineageNamespace(_ conninfo: String?) -> String {
        let kw = conninfo.flatMap { try? PostgresAdapter.parseConninfo($0) } ?? [:]
        var host = kw["host"] ?? "localhost"
        if host.hasPrefix("/") { host = "localhost" }
        return "postgres://\(host):\(kw["port"] ?? "5432")"
    }
}
