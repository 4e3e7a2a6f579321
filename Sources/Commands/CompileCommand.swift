import ArgumentParser
import Foundation
import Basics
import PostgresAdapter
import ProjectModel

struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compile", abstract: "Render models and write target/compiled and target/manifest.json.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: SelectionOptions

    @Flag(name: .customLong("offline"), help: "Do not connect, even when a database is reachable (is_incremental() is false, run_query() fails).")
    var offline = false

    @Option(name: .customLong("inline"), help: "Compile this SQL (with ref(), source(), macros) as a model of the project and print it; nothing is written.")
    var inline: String?

    @Option(name: .customLong("output"), help: "How the compiled SQL of one node (-s NAME or --inline) is printed: text (default) or json.")
    var output: OutputFormat = .text

    enum OutputFormat: String, ExpressibleByArgument { case text, json }

    func run() throws {
        try runReporting {
            let clock = ContinuousClock.now
            var ws = try Workspace.load(global)
            var selection = selection
            if let inline { (ws, selection) = ws.addingInline(inline, to: selection) }
            let connection = try ws.resolveConnection()
            // Like dbt, use the database when there is one (is_incremental(), run_query()), but never start one to compile.
            let (compiled, selected, conninfo) = try ws.compileReporting(connection: connection, selection: selection,
                                                                         conninfo: offline ? nil : connection.conninfoWithoutStarting, offlineIfUnreachable: true,
                                                                         writingArtifacts: inline == nil)
            // dbt prints the compiled SQL of an inline query, and of the one node a single name selects
            let shown = inline != nil ? compiled.nodes.values.first { selected.contains($0.id) }
                : self.selection.select.count == 1 ? compiled.nodes.values.first { selected.contains($0.id) && $0.name == self.selection.select[0] } : nil
            if let node = shown {
                let sql = node.compiledSQL ?? ""
                switch output {
                case .json:
                    var o: [ConfigEntry] = []
                    if inline == nil { o.append(ConfigEntry("node", .string(node.name))) }
                    o.append(ConfigEntry("compiled", .string(sql)))
                    ws.console.output(json: .dict(o))
                case .text:
                    ws.console.output((inline != nil ? "Compiled inline node is:" : "Compiled node '\(node.name)' is:") + "\n" + sql)
                }
                if inline != nil { return }
            }
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
