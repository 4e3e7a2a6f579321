import Foundation
import Testing
import StrataTestSupport

/// The example project with each fixture under Tests/Fixtures/contracts applied: golden diagnostics for every way a
/// contract fails (see the README there).
@Suite struct ContractFixtureTests {
    static let root = repositoryRoot + "/Tests/Fixtures/contracts"
    static let cases = ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter {
        FileManager.default.fileExists(atPath: root + "/" + $0 + "/steps")
    }.sorted()

    @Test(arguments: cases)
    func fixture(_ name: String) throws {
        let dir = Self.root + "/" + name
        let db = try TestPostgres.freshDatabase()
        defer { db.drop() }
        let p = try TempProject.copying(repositoryRoot, only: EndToEndTests.exampleItems)
        defer { p.remove() }
        let steps = try String(contentsOfFile: dir + "/steps", encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(!steps.isEmpty)
        var last: CommandOutput?
        for (i, step) in steps.enumerated() {
            switch step {
            case "overlay":
                let overlay = dir + "/overlay"
                let files = FileManager.default.enumerator(atPath: overlay)?.allObjects as? [String] ?? []
                for f in files where !f.hasPrefix(".") {
                    var isDir: ObjCBool = false
                    _ = FileManager.default.fileExists(atPath: overlay + "/" + f, isDirectory: &isDir)
                    if !isDir.boolValue { try p.write(f, try String(contentsOfFile: overlay + "/" + f, encoding: .utf8)) }
                }
            case "save-state":
                try FileManager.default.copyItem(atPath: p.root + "/target", toPath: p.root + "/previous")
            default:
                let out = try StrataBinary.run(step.split(separator: " ").map(String.init) + ["--database-url", db.conninfo], workingDirectory: p.root)
                if i < steps.count - 1 { #expect(out.status == 0, "\(name): `\(step)` failed:\n\(out.all)") }
                last = out
            }
        }
        let output = try #require(last)
        let actual = "exit \(output.status)\n" + output.stderr
        let expectedPath = dir + "/expected.txt"
        if ProcessInfo.processInfo.environment["STRATA_RECORD_GOLDEN"] == "1" {
            try actual.write(toFile: expectedPath, atomically: true, encoding: .utf8)
        }
        let expected = (try? String(contentsOfFile: expectedPath, encoding: .utf8)) ?? "(no expected.txt: record it with STRATA_RECORD_GOLDEN=1)"
        #expect(actual == expected, "\(name): stderr differs from expected.txt\n\(output.stdout)")
        #expect(output.status != 0)
    }
}
