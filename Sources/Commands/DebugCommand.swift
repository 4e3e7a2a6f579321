import ArgumentParser
import Foundation
import Basics
import PostgresAdapter

struct DebugCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "debug", abstract: "Show the configuration and check the connection.")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        try runReporting {
            let ws = try Workspace.load(global)
            let p = ws.project
            ws.console.print("strata 0.1.0")
            ws.console.print("project: \(p.name) (\(p.projectFile) in \(p.root))")
            ws.console.print("  models: \(p.models.count), seeds: \(p.seeds.count), sources: \(p.sources.count), template files: \(p.templateFiles.count)")
            if !p.packages.isEmpty {
                ws.console.print("  packages: " + p.packages.map { pkg in
                    let models = p.models.filter { $0.package == pkg.name }.count, seeds = p.seeds.filter { $0.package == pkg.name }.count
                    return "\(pkg.name) (\(pkg.templateFiles.count) macro files" + (models > 0 ? ", \(models) model\(models == 1 ? "" : "s")" : "") + (seeds > 0 ? ", \(seeds) seed\(seeds == 1 ? "" : "s")" : "") + ")"
                }.joined(separator: ", "))
            }
            var connection = try ws.resolveConnection()
            ws.console.print("connection: \(connection.source.description)")
            ws.console.print("  target: \(connection.target.name), database: \(connection.target.database), schema: \(connection.target.schema), user: \(connection.target.user), threads: \(connection.target.threads)")
            do {
                let conninfo = try connection.connectionString(log: ws.console.print)
                ws.console.print("  conninfo: \(Redaction.connectionString(conninfo.isEmpty ? "(from PG* environment)" : conninfo))")
                let conn = try connection.adapter(conninfo).open()
                defer { conn.close() }
                let version = try conn.execute("SHOW server_version").scalar ?? "?"
                ws.console.print("  server: PostgreSQL \(version), encrypted: \(conn.isEncrypted ? "yes" : "no")")
                ws.console.print("Connection OK")
            } catch {
                ws.console.print("Connection FAILED")
                throw ws.console.fail(error)
            }
        }
    }
}
