import ArgumentParser
import Foundation
import Basics
import Compilation
import Contracts
import PostgresAdapter
import ProjectModel
import Warehouse

struct ContractsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "contracts", abstract: "Work with data contracts.", subcommands: [Diff.self])

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Classify contract changes since a previous build as breaking or non-breaking.",
            discussion: """
                DIR holds the target/ folder of a previous build (its manifest.json records the contracts in force).
                A breaking change is allowed when the contract's major version went up. Added constraints are checked \
                against today's data when a database is reachable.
                """)
        @OptionGroup var global: GlobalOptions
        @Option(name: .customLong("state"), help: "Folder holding the previous build's manifest.json (a previous target/).")
        var state: String
        @Option(name: .customLong("fail-on"), help: "`breaking`: exit 1 when a breaking change is not allowed by a version bump; `never` (default): report only.")
        var failOn: String = "never"

        func validate() throws {
            guard ["breaking", "never"].contains(failOn) else { throw ValidationError("--fail-on must be breaking or never") }
        }

        func run() throws {
            try runReporting {
                let ws = try Workspace.load(global)
                let old = try previousContracts(ws)
                let connection = try ws.resolveConnection()
                let (compiled, _, conninfo) = try ws.compileReporting(connection: connection, selection: try SelectionOptions.parse([]),
                                                                      conninfo: connection.conninfoWithoutStarting, offlineIfUnreachable: true)
                let current = Dictionary(compiled.nodes.values.compactMap { $0.contract.map { ($0.name, $0) } }, uniquingKeysWith: { a, _ in a })
                let conn = conninfo.flatMap { try? connection.adapter($0).open() }
                defer { conn?.close() }
                let relations = Dictionary(compiled.nodes.values.filter { $0.kind == .model }.compactMap { n in n.relation.map { (n.name, $0) } },
                                           uniquingKeysWith: { a, _ in a })
                let differ = ContractDiff(violations: conn.map { c in { contract, constraint in
                    guard let model = contract.models.first?.value, let relation = relations[model] else { return nil }
                    guard (try? WarehouseCatalog(c).exists(relation.schemaQualified())) == true else { return nil }
                    guard let q = ContractSQL().violations(of: constraint, in: contract, relation: relation, referenced: { relations[$0] }) else { return nil }
                    return (try? c.execute("SELECT count(*) FROM (\n\(q)\n) v").scalar).flatMap { $0 }.flatMap { Int($0) }
                } })
                let changes = differ.diff(old: old, new: current.values.sorted { $0.name < $1.name }, models: Set(relations.keys))
                var diagnostics: [Diagnostic] = []
                for c in changes {
                    switch (c.kind, c.allowedByVersion) {
                    case (.breaking, nil):
                        diagnostics.append(Diagnostic(failOn == "breaking" ? .error : .warning, code: .breakingChange, "breaking: \(c)", at: c.location,
                                                      notes: [.init("bump the contract's major version to make this change on purpose")]))
                    case (.breaking, let v?):
                        diagnostics.append(Diagnostic(.note, code: .allowedBreakingChange, "breaking, allowed by the version change \(v): \(c)", at: c.location))
                    case (.unverified, _):
                        diagnostics.append(Diagnostic(.warning, code: .unverifiedChange, "unverified: \(c)", at: c.location))
                    case (.nonBreaking, _):
                        diagnostics.append(Diagnostic(.note, code: .nonBreakingChange, "non-breaking: \(c)", at: c.location))
                    }
                }
                ws.console.report(diagnostics)
                let breaking = changes.filter { $0.kind == .breaking }
                let allowed = breaking.filter { $0.allowedByVersion != nil }.count
                ws.console.print("Contracts diff against \(state): \(breaking.count) breaking (\(allowed) allowed by a version bump), \(changes.filter { $0.kind == .nonBreaking }.count) non-breaking, \(changes.filter { $0.kind == .unverified }.count) unverified.")
                if failOn == "breaking", breaking.count > allowed { throw ReportedFailure(status: .failures) }
            }
        }

        func previousContracts(_ ws: Workspace) throws -> [Contract] {
            // Strata's contracts.json beside the manifest; a state from before it kept them in the manifest
            let own = (state as NSString).appendingPathComponent("contracts.json")
            let path = FileManager.default.fileExists(atPath: own) ? own : (state as NSString).appendingPathComponent("manifest.json")
            guard let data = FileManager.default.contents(atPath: path) else {
                throw ws.console.fail(Diagnostic(code: .unreadableState, "cannot read \(path): --state must be a folder holding a previous build's manifest.json (a copy of target/)"))
            }
            guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw ws.console.fail(Diagnostic(code: .unreadableState, "\(path) is not a JSON manifest"))
            }
            guard let contracts = root["contracts"] else { return [] }   // a manifest from before contracts: nothing was promised
            let value = try JSONDecoder().decode(ConfigValue.self, from: JSONSerialization.data(withJSONObject: contracts))
            return (value.asDict ?? []).compactMap { ContractCodec.decode($0.value) }
        }
    }
}
