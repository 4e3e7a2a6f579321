import ArgumentParser
import Foundation
import Basics
import Artifacts
import Materialization
import ProjectModel
import Warehouse

/// `strata clone --state DIR`: the selected models, seeds and snapshots of another environment (its artifacts)
/// made readable in this target, as views over that environment's relations (dbt-postgres' clone).
struct CloneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clone",
        abstract: "Make the selected relations of the --state run readable in this target, as views over them (dbt's clone on PostgreSQL).",
        discussion: "A table already in the target stays (unless --full-refresh); views are replaced in place, keeping what depends on them.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: SelectionOptions

    @Flag(name: .customLong("full-refresh"), help: "Replace tables already in the target too.")
    var fullRefresh = false

    func run() throws {
        try runReporting {
            let clock = ContinuousClock.now
            var ws = try Workspace.load(global)
            ws.command = "clone"
            let selection = try selection.withEnvironment(ws.environment)
            guard let state = selection.deferState ?? selection.state else {
                throw ws.console.fail(Diagnostic(code: .missingFlag, "clone needs the artifacts of the run to clone from: give --state DIR (a target/ folder)"))
            }
            var connection = try ws.resolveConnection()
            let conninfo: String
            do { conninfo = try connection.connectionString(log: ws.console.print) } catch { throw ws.console.fail(error) }
            let (compiled, selected) = try ws.compile(connection: connection, selection: selection, conninfo: conninfo)
            let path = URL(fileURLWithPath: state, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).path
            let sources: [NodeID: Relation]
            do {
                sources = try StateComparison.deferredRelations(path, compiled: compiled, selected: [], existing: nil, favorState: true)
            } catch { throw ws.console.fail(error) }
            let items = compiled.order.compactMap { id -> Cloner.Item? in
                guard selected.contains(id), let node = compiled.nodes[id], let source = sources[id], let target = node.writtenRelation ?? node.relation else { return nil }
                return Cloner.Item(id: id, target: target, source: source)
            }
            ws.console.print("Cloning \(items.count) relation\(items.count == 1 ? "" : "s") from \(state) into \(connection.target.database)/\(connection.target.schema)")
            let conn: any WarehouseConnection
            do { conn = try connection.adapter(conninfo).open() } catch { throw ws.console.fail(error) }
            defer { conn.close() }
            let outcomes = Cloner(fullRefresh: fullRefresh).clone(items, on: conn)
            var failures: [Diagnostic] = []
            for (i, (item, outcome)) in outcomes.enumerated() {
                let at = "\(i + 1) of \(outcomes.count)"
                switch outcome {
                case .cloned: ws.console.print("\(at) OK cloned view \(item.target) → \(item.source)")
                case .kept: ws.console.print("\(at) OK kept table \(item.target) (it exists; --full-refresh replaces it)")
                case .failed(let why):
                    ws.console.print("\(at) ERROR cloning \(item.target)")
                    failures.append(Diagnostic(code: .cloneFailed, "cannot clone \(item.target) from \(item.source): \(why)"))
                }
            }
            ws.console.print("")
            ws.console.print("Finished cloning \(outcomes.count) relation\(outcomes.count == 1 ? "" : "s") in \(format(ContinuousClock.now - clock)): \(outcomes.count - failures.count) OK, \(failures.count) error\(failures.count == 1 ? "" : "s").")
            if !failures.isEmpty {
                ws.console.report(failures)
                throw ReportedFailure(status: .failures)
            }
        }
    }
}
