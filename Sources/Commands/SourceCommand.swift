import ArgumentParser
import Foundation
import Basics
import Artifacts
import Contracts
import ProjectModel
import Warehouse

/// `strata source freshness`: dbt's source freshness, with `target/sources.json`.
struct SourceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "source", abstract: "Work with sources.", subcommands: [Freshness.self])

    struct Freshness: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "How old the newest row of each selected source is (loaded_at_field), against its freshness warn_after/error_after; writes target/sources.json.",
            discussion: "Exit status 1 when a source is past error_after or cannot be checked; warn_after only warns.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var selection: SelectionOptions

        @Option(name: [.customLong("output"), .customShort("o")], help: "Where sources.json goes (default: target/sources.json).")
        var output: String?

        func run() throws {
            try runReporting {
                let clock = ContinuousClock.now
                var ws = try Workspace.load(global)
                ws.command = "freshness"
                var connection = try ws.resolveConnection()
                let conninfo: String
                do { conninfo = try connection.connectionString(log: ws.console.print) } catch { throw ws.console.fail(error) }
                let (compiled, selected) = try ws.compile(connection: connection, selection: selection, conninfo: conninfo, writingArtifacts: false)
                let sources = SourceFreshness.sources(in: compiled, ids: selected)
                ws.console.print("Checking the freshness of \(sources.count) source\(sources.count == 1 ? "" : "s")")
                let conn: any WarehouseConnection
                do { conn = try connection.adapter(conninfo).open() } catch { throw ws.console.fail(error) }
                defer { conn.close() }
                let checker = SourceFreshness()
                var outcomes: [SourceFreshness.Outcome] = []
                for (i, (node, freshness, filter)) in sources.enumerated() {
                    let o = checker.check(node, freshness, filter: filter, on: conn)
                    outcomes.append(o)
                    let word = o.status == .runtimeError ? "ERROR" : o.status.rawValue.uppercased()
                    ws.console.sink.event("LogFreshnessResult", "\(i + 1) of \(sources.count) \(word) freshness of \(node.name) ... [\(word) in \(String(format: "%.2fs", o.seconds))]: \(o.message)",
                                          level: .info, data: [("unique_id", node.id.rawValue), ("status", o.status.rawValue)])
                }
                let elapsed = (ContinuousClock.now - clock).seconds
                let path = output.map { URL(fileURLWithPath: $0, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).path }
                    ?? ws.targetDirectory.appendingPathComponent("sources.json").path
                try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
                if let problem = FileWriter.write(SourcesJSON.json(outcomes, generatedAt: ws.startedAt, invocationID: ws.invocationID, elapsed: elapsed), to: path) {
                    throw ws.console.fail(Diagnostic(code: .cannotWrite, "cannot write sources.json: \(problem)"))
                }
                func count(_ s: SourceFreshness.Status) -> Int { outcomes.filter { $0.status == s }.count }
                ws.console.print("")
                ws.console.print("Finished \(outcomes.count) source freshness check\(outcomes.count == 1 ? "" : "s") in \(format(ContinuousClock.now - clock)): \(count(.pass)) pass, \(count(.warn)) warn, \(count(.error)) error, \(count(.runtimeError)) runtime error\(count(.runtimeError) == 1 ? "" : "s").")
                let failed = outcomes.filter { $0.status == .error || $0.status == .runtimeError }
                if !failed.isEmpty {
                    ws.console.report(failed.map { o in
                        Diagnostic(code: .sourceStale, "source '\(o.name)' " + (o.status == .error ? "is stale: \(o.message), past error_after" : "could not be checked: \(o.message)"),
                                   at: o.freshness.location)
                    })
                    throw ReportedFailure(status: .failures)
                }
            }
        }
    }
}
