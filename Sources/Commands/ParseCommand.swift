import ArgumentParser
import Foundation
import Basics
import Compilation
import ProjectModel

/// `strata parse`: loads and renders the project as `dbt parse` does — offline, `execute` false — reporting every
/// problem, and writes `target/manifest.json` and `target/perf_info.json` (how long each phase took).
struct ParseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse",
        abstract: "Parse the project as dbt parse does (offline, execute false) and write target/manifest.json and target/perf_info.json.")
    @OptionGroup var global: GlobalOptions

    func run() throws {
        try runReporting {
            let clock = ContinuousClock.now
            var ws = try Workspace.load(global)
            ws.command = "parse"
            ws.parsesOnly = true
            let connection = try ws.resolveConnection()
            let compileStart = ContinuousClock.now
            let (compiled, _, _) = try ws.compileReporting(connection: connection, selection: try SelectionOptions.parse([]), writingArtifacts: false)
            do { try ws.writeManifest(compiled) } catch { throw ws.console.fail(error) }
            let total = (ContinuousClock.now - clock).seconds
            let files = ws.project.models.count + ws.project.templateFiles.count + ws.project.seeds.count + ws.project.snapshotFiles.count
                + ws.project.singularTests.count + ws.project.packages.reduce(0) { $0 + $1.templateFiles.count }
            // dbt's perf_info.json keys, with Strata's phases beside them
            let phases = compiled.timings.map { ConfigEntry($0.phase, .double(Self.rounded($0.seconds))) }
            let macros = compiled.timings.first { $0.phase == "macros" }?.seconds ?? 0
            let info: ConfigValue = .dict([
                ConfigEntry("path_count", .int(files)),
                ConfigEntry("parsed_path_count", .int(files)),
                ConfigEntry("is_partial_parse_enabled", .bool(false)),
                ConfigEntry("read_files_elapsed", .double(Self.rounded(ws.loadTime.seconds))),
                ConfigEntry("load_macros_elapsed", .double(Self.rounded(macros))),
                ConfigEntry("parse_project_elapsed", .double(Self.rounded((ContinuousClock.now - compileStart).seconds - macros))),
                ConfigEntry("load_all_elapsed", .double(Self.rounded(total))),
                ConfigEntry("projects", .list([.dict([ConfigEntry("project_name", .string(ws.project.name)),
                                                      ConfigEntry("elapsed", .double(Self.rounded(total))),
                                                      ConfigEntry("parsed_path_count", .int(files))])])),
                ConfigEntry("strata_phases", .dict(phases)),
            ])
            if let f = FileWriter.write(JSONWriter.write(info), to: ws.targetDirectory.appendingPathComponent("perf_info.json").path) {
                throw ws.console.fail(Diagnostic(code: .cannotWrite, "cannot write perf_info.json: \(f)"))
            }
            ws.console.print("Parsed \(compiled.nodes.count) nodes from \(files) files in \(format(ContinuousClock.now - clock)) → \(ws.project.paths.target)/manifest.json, \(ws.project.paths.target)/perf_info.json")
        }
    }

    static func rounded(_ s: Double) -> Double { (s * 1e6).rounded() / 1e6 }
}
