import ArgumentParser
import Foundation
import Basics
import Compilation
import ProjectLoading
import ProjectModel
import Warehouse

/// `strata run-operation MACRO --args '{…}'`: calls a macro against the database, as dbt's run-operation (grants,
/// vacuum, maintenance, codegen). What it runs is one transaction: committed when the macro returns, rolled back
/// when it fails.
struct RunOperationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run-operation",
        abstract: "Call a macro (name or package.name) against the database, with --args as its keyword arguments.")
    @OptionGroup var global: GlobalOptions

    @Argument(help: "The macro: name, or package.name.")
    var macro: String

    @Option(name: .customLong("args"), help: "Keyword arguments as YAML, e.g. '{table: orders, days: 7}'.")
    var args: String?

    func run() throws {
        try runReporting {
            var ws = try Workspace.load(global)
            ws.command = "run-operation"
            let arguments: [String: ConfigValue]
            do { arguments = try args.map(ProjectLoader.parseVars) ?? [:] } catch { throw ws.console.fail(error) }
            var connection = try ws.resolveConnection()
            let conninfo: String
            do { conninfo = try connection.connectionString(log: ws.console.print) } catch { throw ws.console.fail(error) }
            // the project compiles first: the macro sees dbt's `graph`
            let (compiled, _) = try ws.compile(connection: connection, selection: try SelectionOptions.parse([]), conninfo: conninfo, writingArtifacts: false)
            let sink = ws.console.sink
            var options = CompileOptions(target: connection.target, profileName: ws.project.profileName ?? ws.project.name, vars: try ws.cliVars(),
                                         environment: ws.environment, runStartedAt: ws.startedAt, invocationID: ws.invocationID, log: { sink.info($0) })
            options.command = "run-operation"
            let printing = ws.console.printing
            options.printer = { @Sendable line in if printing { sink.output(line) } }
            options.debugLog = { sink.debug($0) }
            let conn: any WarehouseConnection
            do { conn = try connection.adapter(conninfo).open() } catch { throw ws.console.fail(error) }
            defer { conn.close() }
            do {
                _ = try conn.transaction {
                    try Compiler(project: ws.project, options: options).runOperation(macro, arguments: arguments, compiled: compiled, connection: conn)
                }
            } catch let d as Diagnostic where d.code == DiagnosticCode.unknownOperation.rawValue {
                throw ws.console.fail(d)
            } catch {
                // a failing macro is a failed run (exit 1), what it ran rolled back
                _ = ws.console.fail(error)
                ws.console.print("Encountered an error while running operation \(macro): nothing it ran was kept")
                throw ReportedFailure(status: .failures)
            }
        }
    }
}
