import Foundation
import Testing
import Basics
import ProjectModel
import StrataTestSupport
@testable import ProjectLoading

/// Bounded fuzzing of the YAML loaders (a longer run: `STRATA_FUZZ_ITERATIONS=200000 swift test --filter FuzzTests`):
/// generated input either loads or fails with a located diagnostic in the file; nothing crashes or hangs.
@Suite struct YAMLFuzzTests {
    static let iterations = Int(ProcessInfo.processInfo.environment["STRATA_FUZZ_ITERATIONS"] ?? "") ?? 1500

    static let pieces = ["models:", "sources:", "seeds:", "columns:", "tests:", "- name:", "name:", "  ", "    ", "\n", "\n  ", "\n    - ", ":", " ",
                         "[", "]", "{", "}", ",", "'", "\"", "x", "orders", "1", "-1", "1.5", "null", "~", "yes", "no", "&a ", "*a", "!!str ",
                         "# c", "- ", "version: 2", "data_type:", "constraints:", "unique", "not_null", "quality:", "row_count:", "{min: 1}",
                         "freshness:", "warn_after:", "12h", "config:", "materialized:", "tables:", "description:", "|", ">", "\t", "é", "\u{0}",
                         "accepted_values:", "values:", "arguments:", "foreign_key:", "models: [m]", "primary_key: [id]", "unit_tests:", "given:"]


    static func noise(_ rng: inout SplitMix) -> String {
        let n = Int(rng.next() % 40)
        return (0..<n).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined()
    }

    /// Every diagnostic points into the file it came from.
    static func check(_ body: () throws -> Void, file: String) {
        do { try body() } catch let e as DiagnosticError {
            #expect(e.diagnostics.allSatisfy { $0.location?.file == file || $0.location == nil })
        } catch let d as Diagnostic {
            #expect(d.location?.file == file || d.location == nil, "\(d)")
        } catch {
            Issue.record("not a diagnostic: \(error)")
        }
    }

    @Test func propertiesAndContractFilesNeverCrash() {
        var rng = SplitMix(seed: 11)
        for _ in 0..<Self.iterations {
            let text = Self.noise(&rng)
            Self.check({ _ = try PropertiesParser(reader: YAMLReader(path: "models/p.yml")).parse(text) }, file: "models/p.yml")
            Self.check({ _ = try ContractParser(reader: YAMLReader(path: "contracts/c.yml")).parse(text, defaultName: "c") }, file: "contracts/c.yml")
        }
    }

    @Test func randomBytesNeverCrash() {
        var rng = SplitMix(seed: 5)
        for _ in 0..<Self.iterations {
            let bytes = (0..<Int(rng.next() % 80)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let text = String(decoding: bytes, as: UTF8.self)
            Self.check({ _ = try PropertiesParser(reader: YAMLReader(path: "models/p.yml")).parse(text) }, file: "models/p.yml")
        }
    }

    @Test func aliasBombsAreRefusedQuickly() throws {
        // "billion laughs": 10 levels of 10 aliases each would be 10^9 values
        var lines = ["version: 2", "models:", "  - name: m", "    config:", "      a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        for i in 1...9 { lines.append("      a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]") }
        let start = ContinuousClock.now
        do {
            _ = try PropertiesParser(reader: YAMLReader(path: "models/p.yml")).parse(lines.joined(separator: "\n"))
            Issue.record("expected the file to be refused")
        } catch let d as Diagnostic {
            #expect(d.message.contains("expands to more than"))
            #expect(d.location?.file == "models/p.yml")
        }
        #expect(ContinuousClock.now - start < .seconds(5))
        // a few aliases are fine
        let ok = try PropertiesParser(reader: YAMLReader(path: "models/p.yml")).parse("version: 2\nmodels:\n  - name: m\n    config: &c {materialized: table}\n  - name: n\n    config: *c\n")
        #expect(ok.models.count == 2)
    }
}
