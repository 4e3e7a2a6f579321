import Foundation
import Testing
import Basics
@testable import Templating

/// Every Corpus/NN_*.sql renders to exactly its .expected file, which Python's Jinja2 produced
/// (scripts/record-template-corpus): the reference implementation is the oracle.
@Suite struct CorpusTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")

    static var cases: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".sql") && $0.first?.isNumber == true }.sorted()
    }

    static let globals: [String: Value] = [
        "x": .int(1),
        "items": .list([.string("a"), .string("b"), .string("c")]),
        "user": .dict([("name", .string("ada")), ("roles", .list([.string("admin"), .string("dev")]))]),
    ]

    @Test(arguments: cases)
    func rendersLikeJinja2(_ name: String) throws {
        let text = try String(contentsOf: Self.directory.appendingPathComponent(name), encoding: .utf8)
        let expected = try String(contentsOf: Self.directory.appendingPathComponent(String(name.dropLast(4)) + ".expected"), encoding: .utf8)
        let macros = try String(contentsOf: Self.directory.appendingPathComponent("_macros.sql"), encoding: .utf8)
        var env = Environment()
        try env.addMacros(from: [Template(path: "_macros.sql", text: macros)])
        // Jinja2's default Undefined is lenient; Strata is strict, so the one undefined name the corpus tests is defined-checked only.
        let out = try Renderer.render(Template(path: name, text: text), environment: env, globals: Self.globals).text
        #expect(out == expected)
    }

    @Test func corpusIsPresent() {
        #expect(Self.cases.count >= 20)
    }
}
