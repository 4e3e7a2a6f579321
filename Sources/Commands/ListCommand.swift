import ArgumentParser
import Foundation
import Basics
import Compilation
import ProjectModel

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List the selected nodes.", aliases: ["list"])

    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: SelectionOptions

    @Option(name: [.customLong("output"), .customShort("o")], help: "name, path, id, json (one object per node, as dbt prints them) or selector (dbt's fqn form; default).")
    var output: String = "selector"

    @Option(name: .customLong("output-keys"), parsing: .upToNextOption,
            help: "With --output json: the keys of each object (any of the manifest's node keys; space or comma separated).")
    var outputKeys: [String] = []

    /// dbt's keys for `ls --output json` without --output-keys.
    static let defaultKeys = ["alias", "name", "package_name", "depends_on", "tags", "config", "resource_type", "source_name", "original_file_path", "unique_id"]

    func validate() throws {
        guard ["name", "path", "id", "selector", "json"].contains(output) else { throw ValidationError("--output must be one of name, path, id, json, selector") }
        if !outputKeys.isEmpty, output != "json" { throw ValidationError("--output-keys goes with --output json") }
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
                case "json": ws.console.output(json: json(n, compiled), pretty: false)
                default: ws.console.output((n.kind == .source ? "source:" : "") + n.fqn.joined(separator: "."))
                }
            }
        }
    }

    /// One node as dbt's `ls --output json` prints it: the manifest entry's keys asked for, on one line.
    func json(_ n: CompiledNode, _ compiled: CompiledProject) -> ConfigValue {
        let keys = outputKeys.flatMap { $0.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init) }
        let wanted = keys.isEmpty ? Self.defaultKeys : keys
        guard case .dict(let entries) = n.manifestEntry(dependsOn: compiled.dependsOn(n.id)) else { return .dict([]) }
        var values = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { a, _ in a })
        if n.kind == .source { values["source_name"] = values["source_name"] ?? .string(n.fqn.dropLast().last ?? "") }
        // dbt prints the keys in its order of the node's fields, leaving out those the node lacks
        let kept = entries.map(\.key).filter { wanted.contains($0) } + wanted.filter { k in values[k] != nil && !entries.contains { $0.key == k } }
        return .dict(kept.map { ConfigEntry($0, values[$0]!) })
    }
}
