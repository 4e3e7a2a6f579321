import ArgumentParser
import Foundation
import Basics

struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "compile", abstract: "Render models and write target/compiled and target/manifest.json.")

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: SelectionOptions

    func run() throws {
        try runReporting {
            let clock = ContinuousClock.now
            let ws = try Workspace.load(global)
            let connection = try ws.resolveConnection()
            let (compiled, selected) = try ws.compile(connection: connection, selection: selection)
            let models = compiled.nodes.values.filter { $0.kind == .model && selected.contains($0.id) }.count
            let elapsed = ContinuousClock.now - clock
            ws.console.print("Compiled \(models) model\(models == 1 ? "" : "s") (\(compiled.nodes.count) nodes in the graph) in \(format(elapsed)) → \(ws.project.paths.target)/compiled, \(ws.project.paths.target)/manifest.json")
        }
    }
}

func format(_ d: Duration) -> String {
    let s = Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    return String(format: "%.2fs", s)
}
