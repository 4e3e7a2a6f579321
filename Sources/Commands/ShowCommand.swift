import ArgumentParser
import Foundation
import Basics
import Compilation
import ProjectModel
import Warehouse

/// `strata show`: the first rows of a model's compiled SQL (or a seed's or snapshot's relation, or inline SQL), run
/// against the database without building anything, as dbt's `show`.
struct ShowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show",
        abstract: "Preview the rows of the selected model (its compiled SQL, run without building it) or of --inline SQL.",
        discussion: "Refs read the relations as they are in the database; ephemeral models are inlined as CTEs. Seeds and snapshots show their tables.")
    @OptionGroup var global: GlobalOptions
    @OptionGroup var selection: SelectionOptions

    @Option(name: .customLong("inline"), help: "SQL to preview (with ref(), source(), macros), instead of a selected node.")
    var inline: String?

    @Option(name: .customLong("limit"), help: "Rows to show (default 5; -1: all).")
    var limit = 5

    @Option(name: .customLong("output"), help: "text (a table, default) or json.")
    var output: CompileCommand.OutputFormat = .text

    func validate() throws {
        if inline == nil, selection.select.isEmpty { throw ValidationError("give the node to preview with -s NAME, or SQL with --inline \"select …\"") }
        if limit < -1 { throw ValidationError("--limit must be -1 (all rows) or more") }
    }

    func run() throws {
        try runReporting {
            var ws = try Workspace.load(global)
            ws.command = "show"
            var selection = selection
            if let inline { (ws, selection) = ws.addingInline(inline, to: selection) }
            var connection = try ws.resolveConnection()
            let conninfo: String
            do { conninfo = try connection.connectionString(log: ws.console.print) } catch { throw ws.console.fail(error) }
            let (compiled, selected) = try ws.compile(connection: connection, selection: selection, conninfo: conninfo, writingArtifacts: false)
            let nodes = compiled.nodes.values.filter { selected.contains($0.id) && [.model, .seed, .snapshot].contains($0.kind) }.sorted { $0.id.rawValue < $1.id.rawValue }
            guard !nodes.isEmpty else {
                throw ws.console.fail(Diagnostic(code: .nothingToShow, "--select \(self.selection.select.joined(separator: " ")) matches no model, seed or snapshot to preview"))
            }
            let conn: any WarehouseConnection
            do { conn = try connection.adapter(conninfo).open() } catch { throw ws.console.fail(error) }
            defer { conn.close() }
            for node in nodes {
                // dbt's get_limit_subquery_sql
                let body = node.kind == .model ? node.compiledSQL ?? "" : "select * from \(node.relation?.rendered() ?? node.name)"
                let sql = "select * from (\n\(body)\n) as model_limit_subq" + (limit >= 0 ? "\nlimit \(limit)" : "")
                let result: QueryResult
                do {
                    result = try conn.execute(sql)
                } catch let e as WarehouseError {
                    let what = inline != nil ? "the inline query" : "'\(node.name)'"
                    ws.console.report([Diagnostic(code: .showFailed, "cannot preview \(what): \(e.description)",
                                                  at: inline != nil ? nil : SourceLocation(file: node.path, line: 1, column: 1))])
                    throw ReportedFailure(status: .failures)
                }
                switch output {
                case .text:
                    ws.console.output((inline != nil ? "Previewing inline node:" : "Previewing node '\(node.name)':") + "\n" + Self.table(result))
                case .json:
                    var o: [ConfigEntry] = inline != nil ? [] : [ConfigEntry("node", .string(node.name))]
                    o.append(ConfigEntry("show", .list(result.rows.map { row in
                        .dict(zip(result.columns.indices, row).map { i, v in ConfigEntry(result.columns[i], Self.value(v, type: i < result.columnTypes.count ? result.columnTypes[i] : 0)) })
                    })))
                    ws.console.output(json: .dict(o))
                }
            }
        }
    }

    /// Integer, numeric and float type OIDs, whose values print right-aligned and as JSON numbers.
    static let numericTypes: Set<UInt32> = [20, 21, 23, 26, 700, 701, 1700]

    static func value(_ text: String?, type: UInt32) -> ConfigValue {
        guard let text else { return .null }
        if type == 16 { return .bool(text == "t") }
        if numericTypes.contains(type) {
            if let i = Int(text) { return .int(i) }
            if let d = Double(text), d.isFinite { return .double(d) }
        }
        return .string(text)
    }

    /// A Markdown-style table, as dbt prints a preview: numbers right-aligned, NULL for nulls.
    static func table(_ r: QueryResult) -> String {
        let cells = r.rows.map { $0.map { $0 ?? "NULL" } }
        let widths = r.columns.indices.map { i in max(r.columns[i].count, cells.map { i < $0.count ? $0[i].count : 0 }.max() ?? 0, 3) }
        func line(_ values: [String], numeric: Bool) -> String {
            "| " + values.enumerated().map { i, v in
                let pad = String(repeating: " ", count: max(0, widths[i] - v.count))
                let right = numeric && i < r.columnTypes.count && numericTypes.contains(r.columnTypes[i])
                return right ? pad + v : v + pad
            }.joined(separator: " | ") + " |"
        }
        var lines = [line(r.columns, numeric: false), "| " + widths.map { String(repeating: "-", count: $0) }.joined(separator: " | ") + " |"]
        lines += cells.map { line($0, numeric: true) }
        return lines.joined(separator: "\n")
    }
}
