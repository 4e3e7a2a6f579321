import ArgumentParser
import Foundation
import Basics
import PostgresAdapter

struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compile", abstract: "Render models and write target/compiled and target/manifest.json.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: SelectionOptions

    @Flag(name: .customLong("offline"), help: "Do not connect, even when a database is reachable (is_incremental() is false, run_query() fails).")
    var offline = false

    func run() throws {
        try runReporting {
            let clock = ContinuousClock.now
            let ws = try Workspace.load(global)
            let connection = try ws.resolveConnection()
            // Like dbt, use the database when there is one (is_incremental(), run_query()), but never start one to compile.
            let (compiled, selected, conninfo) = try ws.compileReporting(connection: connection, selection: selection,
                                                                         conninfo: offline ? nil : connection.conninfoWithoutStarting, offlineIfUnreachable: true)
            let models = compiled.nodes.values.filter { $0.kind == .model && selected.contains($0.id) }.count
            let elapsed = ContinuousClock.now - clock
            ws.console.print("Compiled \(models) model\(models == 1 ? "" : "s") (\(compiled.nodes.count) nodes in the graph) in \(format(elapsed)) → \(ws.project.paths.target)/compiled, \(ws.project.paths.target)/manifest.json")
            let contracted = selected.filter { compiled.nodes[$0]?.contract != nil }
            if !contracted.isEmpty {
                if let info = conninfo {
                    try ws.checkContracts(compiled, ids: selected, adapter: connection.adapter(info))
                } else {
                    ws.console.print("Contract check: skipped for \(contracted.count) contracted model\(contracted.count == 1 ? "" : "s") (offline: it needs a database to describe the queries; contract files were validated)")
                }
            }
        }
    }
}

func format(_ d: Duration) -> String {
    let s = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    return String(format: "%.2fs", s)
}
