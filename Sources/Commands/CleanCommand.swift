import ArgumentParser
import Foundation
import Basics

struct CleanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "clean", abstract: "Delete the folders listed in clean-targets (default: target).")

    @OptionGroup var global: GlobalOptions

    func run() throws {
        try runReporting {
            let ws = try Workspace.load(global, loadingPackages: false)
            let root = URL(fileURLWithPath: ws.project.root).standardizedFileURL
            for t in ws.project.paths.cleanTargets {
                let url = root.appendingPathComponent(t).standardizedFileURL
                // Never delete outside the project, the project itself, or the private server.
                guard url.path.hasPrefix(root.path + "/"), !url.path.hasPrefix(root.path + "/.strata") else {
                    throw ws.console.fail(Diagnostic(code: .unsafeClean, "refusing to clean '\(t)': it is not a folder inside the project"))
                }
                if FileManager.default.fileExists(atPath: url.path) {
                    try FileManager.default.removeItem(at: url)
                    ws.console.print("Removed \(t)")
                }
            }
        }
    }
}
