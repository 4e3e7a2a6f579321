import ArgumentParser
import Foundation
import Basics
import Packages
import ProjectLoading

struct DepsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deps", abstract: "Install the packages packages.yml (or dependencies.yml) declares into dbt_packages/.",
        discussion: "As dbt deps: local packages are linked, git packages cloned at their revision, tarballs and hub packages (from $DBT_PACKAGE_HUB_URL, else dbt's hub) downloaded, with hub version ranges resolved together with what packages need. package-lock.yml pins git commits and hub versions until packages.yml changes or --upgrade. A failure changes nothing.")

    @OptionGroup var global: GlobalOptions
    @Flag(help: "Resolve again and rewrite package-lock.yml instead of installing the commits it pins.")
    var upgrade = false
    @Option(name: .customLong("add-package"), help: "Add a package to packages.yml first: owner/name@version (hub), url@revision (git) or a path (local).")
    var addPackage: String?
    @Option(help: "What --add-package names: hub, git or local.")
    var source: PackagesFile.Source = .hub

    func run() throws {
        try runReporting {
            let ws = try Workspace.load(global, loadingPackages: false)
            var project = ws.project
            do {
                (project.packagesFile, project.packageDeclarations) = try ProjectLoader().packageDeclarations(root: project.root)
                if let addPackage {
                    let file = project.packagesFile ?? "packages.yml"
                    let text = PackagesFile.adding(try PackagesFile.entry(addPackage, source: source), to: project.packageDeclarations)
                    try text.write(toFile: project.root + "/" + file, atomically: true, encoding: .utf8)
                    ws.console.print("Added \(addPackage) to \(file)")
                    (project.packagesFile, project.packageDeclarations) = try ProjectLoader().packageDeclarations(root: project.root)
                }
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
            ws.console.report(installed.compactMap(\.warning))
            for p in installed { ws.console.print("Installed \(p.name) (\(p.source)) → \(project.paths.packages)/\(p.name)") }
            ws.console.print("Installed \(installed.count) package\(installed.count == 1 ? "" : "s") from \(file) into \(project.paths.packages)/")
        }
    }
}

extension PackagesFile.Source: ExpressibleByArgument {}
