import Foundation
import Testing
import ProjectLoading
import ProjectModel
@testable import Compilation

/// Golden/dbt-parity/project is a 40-model project from ../shared/bench/gen_project.py; Golden/dbt-parity/expected
/// holds what dbt-core 1.12.6 with dbt-postgres 1.11.0 compiled from it (database `dbtparity`, schema `public`, no
/// tables yet). Strata must compile every model to the same bytes.
@Suite struct DbtParityTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/dbt-parity")

    @Test func compiledSQLIsByteForByteWhatDbtProduced() throws {
        let project = try ProjectLoader().load(directory: Self.root.appendingPathComponent("project").path)
        #expect(project.kind == .dbt)
        let compiled = try Compiler(project: project, options: CompileOptions(target: TargetInfo(name: "dev", schema: "public", database: "dbtparity"),
                                                                              environment: [:])).compile()
        let models = compiled.nodes.values.filter { $0.kind == .model }
        #expect(models.count == 40)
        for node in models {
            let relative = String(node.path.dropFirst("models/".count))
            let expected = try String(contentsOf: Self.root.appendingPathComponent("expected").appendingPathComponent(relative), encoding: .utf8)
            #expect(node.compiledSQL == expected, "\(node.path) differs from dbt's compiled SQL")
        }
    }
}
