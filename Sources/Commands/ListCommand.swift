import ArgumentParser
import Foundation
import Basics
import Compilation
import ProjectModel

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the selected nodes.", aliases: ["list"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: SelectionOptions

    @Option(name: .customLong("output"), help: "name, path, id or selector (dbt's fqn form; default).")
    var output: String = "selector"

    func validate() throws {
        guard ["name", "path", "id", "selector"].contains(output) else { throw ValidationError("--output must be one of name, path, id, selector") }
    }

    func run() throws {
        try runReporting {
            let ws = try Workspace.load(global)
            let connection = try ws.resolveConnection()
            let (compiled, selected) = try ws.compile(connection: connection, selection: selection)
            for id in compiled.order where selected.contains(id) {
                let n = compiled.nodes[id]!
                switch output {
                case "name": ws.console.output(n.name)
                case "path": ws.console.output(n.originalFilePath)
                case "id": ws.console.output(n.id.rawValue)
                default: ws.console.output((n.kind == .source ? "source:" : "") + n.fqn.joined(separator: "."))
                }
            }
        }
    }
}
