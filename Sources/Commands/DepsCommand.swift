import ArgumentParser
import Foundation
import Basics
import Packages
import ProjectLoading

struct DepsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deps", abstract: "Install the packages packages.yml (or dependencies.yml) declares into dbt_packages/.",
        discussion: "Local packages (`local: path`) are installed as links and git packages (`git:`, `revision:`, `subdirectory:`) as shallow clones, as dbt does; package-lock.yml pins git packages to their commits. Tarball and hub packages are not supported yet: the command says so and changes nothing.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Resolve again and rewrite package-lock.yml instead of installing the commits it pins.")
    var upgrade = false

    func run() throws {
        try runReporting {
            let ws = try Workspace.load(global, loadingPackages: false)
            var project = ws.project
            do {
                (project.packagesFile, project.packageDeclarations) = try ProjectLoader().packageDeclarations(root: project.root)
            } catch {
                throw ws.console.fail(error)
            }
            guard let file = project.packagesFile, !project.packageDeclarations.isEmpty else {
                ws.console.print("No packages to install: the project has no packages.yml or dependencies.yml listing packages.")
                return
            }
            let installed: [PackageInstaller.Installed]
            do {
                installed = try PackageInstaller(project: project).install(upgrade: upgrade)
            } catch {
                throw ws.console.fail(error)
            }
            for p in installed { ws.console.print("Installed \(p.name) (\(p.source)) → \(project.paths.packages)/\(p.name)") }
            ws.console.print("Installed \(installed.count) package\(installed.count == 1 ? "" : "s") from \(file) into \(project.paths.packages)/")
        }
    }
}
