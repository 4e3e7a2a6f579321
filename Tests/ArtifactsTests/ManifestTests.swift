import Foundation
import Testing
import Compilation
import Contracts
import ProjectLoading
import ProjectModel
import StrataTestSupport
import Warehouse
@testable import Artifacts

@Suite struct ManifestTests {
    @Test func manifestOfTheExampleProjectMatchesItsGoldenFile() throws {
        let project = try ProjectLoader().load(directory: repositoryRoot)
        let compiled = try Compiler(project: project, options: CompileOptions(target: TargetInfo(schema: "public", database: "strata"), environment: [:])).compile()
        let json = Manifest.json(compiled, generatedAt: Date(timeIntervalSince1970: 1_790_000_000), invocationID: "00000000-test")
        let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/manifest.json")
        if ProcessInfo.processInfo.environment["STRATA_RECORD_GOLDEN"] == "1" {
            try Data(json.utf8).write(to: golden)
        }
        let expected = try String(contentsOf: golden, encoding: .utf8)
        #expect(json == expected, "manifest differs from Golden/manifest.json (re-record with STRATA_RECORD_GOLDEN=1)")
        // and it is valid JSON with the versioned metadata
        let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
        let meta = parsed?["metadata"] as? [String: Any]
        #expect(meta?["dbt_schema_version"] as? String == Manifest.dbtSchemaVersion)
        // dbt's keys only (dbt-artifacts-parser's manifest v12 reads it): nothing of Strata's in the metadata
        #expect(meta?.keys.contains { $0.hasPrefix("strata") } == false)
        for key in ["docs", "exposures", "metrics", "groups", "selectors", "disabled", "group_map", "saved_queries", "semantic_models", "unit_tests"] {
            #expect(parsed?[key] is [String: Any], "\(key)")
        }
        let nodes = parsed?["nodes"] as? [String: Any]
        let customers = nodes?["model.shop.customers"] as? [String: Any]
        let dependsOn = (customers?["depends_on"] as? [String: Any])?["nodes"] as? [String]
        #expect(dependsOn == ["model.shop.orders", "model.shop.stg_customers"])
        #expect((customers?["contract"] as? [String: Any])?["enforced"] as? Bool == true)
        // the contracts in force are Strata's own file, contracts.json
        let own = try JSONSerialization.jsonObject(with: Data(Manifest.contractsJSON(compiled).utf8)) as? [String: Any]
        #expect(own?["strata_schema_version"] as? String == Manifest.schemaVersion)
        #expect((own?["contracts"] as? [String: Any])?.keys.sorted() == ["customers", "orders"])
        #expect(parsed?["contracts"] == nil)
    }

    @Test func jsonWriterEscapesEverythingItMust() {
        let v = ConfigValue.dict([ConfigEntry("k\"", .string("line\nbreak\ttab \\ \u{1} é")), ConfigEntry("n", .list([.int(1), .null, .bool(false)]))])
        #expect(JSONWriter.write(v, pretty: false) == "{\"k\\\"\":\"line\\nbreak\\ttab \\\\ \\u0001 é\",\"n\":[1,null,false]}\n")
    }

    @Test func dialectQuotesIdentifiersAndLiterals() {
        let d = SQLDialect.postgres
        #expect(d.quote("Order \"Items\"") == "\"Order \"\"Items\"\"\"")
        #expect(d.literal("it's") == "'it''s'")
        #expect(d.literal("a\\b") == "E'a\\\\b'")
        #expect(d.qualified("db", "s", "t") == "\"db\".\"s\".\"t\"")
    }
}
