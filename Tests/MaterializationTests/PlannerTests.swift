import Foundation
import Basics
import Testing
import Compilation
import ProjectLoading
import ProjectModel
import StrataTestSupport
@testable import Materialization

/// The planner is pure: these tests need no database.
@Suite struct PlannerTests {
    func compiled(_ files: [String: String]) throws -> CompiledProject {
        let tp = try TempProject(files)
        defer { tp.remove() }
        let p = try ProjectLoader().load(directory: tp.root)
        return try Compiler(project: p, options: CompileOptions(target: TargetInfo(schema: "s", database: "d"), environment: [:])).compile()
    }

    static let files = [
        "strata.yml": "name: p\nmodels:\n  p:\n    marts:\n      +materialized: table\n",
        "models/stg.sql": "select 1 as id",
        "models/eph.sql": "{{ config(materialized='ephemeral') }}select * from {{ ref('stg') }}",
        "models/marts/fct.sql": "select * from {{ ref('eph') }}",
        "models/marts/inc.sql": "{{ config(materialized='incremental') }}select 1 as id",
        "seeds/raw.csv": "a\n1\n",
    ]

    @Test func plansModelsInOrderLookingThroughEphemerals() throws {
        let c = try compiled(Self.files)
        let plan = Planner().plan(c, selected: Set(c.nodes.keys))
        #expect(plan.description == """
        1. table s.inc
        2. view s.stg
        3. table s.fct after stg
        """)
        #expect(plan.schemas == ["s"])
    }

    @Test func incrementalLoadsOnlyWhenTheTableExists() throws {
        var c = try compiled([
            "strata.yml": "name: p\n",
            "models/inc.sql": "{{ config(materialized='incremental', unique_key=['id', 'day'], incremental_strategy='delete+insert') }}select 1 as id",
            "models/mb.sql": "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='ts', batch_size='day') }}select 1 as id",
        ])
        #expect(Planner().plan(c, selected: Set(c.nodes.keys)).description == "1. table s.inc\n2. unsupported (microbatch needs begin='YYYY-MM-DD' (where the first build starts)) s.mb")
        for id in c.nodes.keys { c.nodes[id]!.model!.loadsIncrementally = true }
        let now = MicrobatchConfig.parseDate("2024-01-03")!
        #expect(Planner(now: now).plan(c, selected: Set(c.nodes.keys)).description == """
        1. incremental delete+insert on id, day s.inc
        2. microbatch 2 day batches s.mb
        """)
    }

    /// Invalid microbatch, grants and seed configs are located compile errors, not failures at build time.
    @Test func invalidConfigsAreLocatedCompileErrors() throws {
        let cases: [(String, String, String)] = [
            ("models/mb.sql", "{{ config(materialized='incremental', incremental_strategy='microbatch') }}select 1", "C3009"),
            ("models/mb.sql", "{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='t', batch_size='week') }}select 1", "C3009"),
            ("models/g.sql", "{{ config(grants={'selct': ['x']}) }}select 1", "C3010"),
            ("models/i.sql", "{{ config(materialized='incremental', on_schema_change='sometimes') }}select 1", "C3002"),
        ]
        for (path, text, code) in cases {
            let error = #expect(throws: DiagnosticError.self) { try compiled(["strata.yml": "name: p\n", path: text]) }
            let d = try #require(error?.diagnostics.first)
            #expect(d.code == code, "\(text): \(d)")
            #expect(d.location?.file == path)
            #expect(d.location?.column ?? 0 > 1, "\(d)")
        }
        let seed = #expect(throws: DiagnosticError.self) {
            try compiled(["strata.yml": "name: p\nseeds:\n  p:\n    +delimiter: ';;'\n", "seeds/s.csv": "a\n1\n"])
        }
        #expect(seed?.diagnostics.first?.code == "C3011")
        #expect(seed?.diagnostics.first?.location?.line == 4)
    }

    @Test func selectionLimitsThePlanAndSeedsHaveTheirOwn() throws {
        let c = try compiled(Self.files)
        let onlyFct = Planner().plan(c, selected: try c.graph.select(["fct"], exclude: [], projectName: "p"))
        #expect(onlyFct.steps.map(\.name) == ["fct"])
        #expect(onlyFct.steps[0].upstream.isEmpty)
        let seeds = Planner().planSeeds(c, selected: Set(c.nodes.keys))
        #expect(seeds.steps.map(\.name) == ["raw"])
        guard case .loadSeed(let input) = seeds.steps[0].action else { Issue.record("not a seed step"); return }
        #expect(input.path == "seeds/raw.csv")
        #expect(input.spec.delimiter == UInt8(ascii: ","))
    }

    @Test func stagingNamesStayWithinPostgresLimits() {
        #expect(RelationSwap.stagingName("orders") == "orders__strata_new")
        let long = String(repeating: "x", count: 60)
        let a = RelationSwap.stagingName(long), b = RelationSwap.stagingName(long + "y")
        #expect(a.utf8.count <= 63)
        #expect(a != b)
    }

    @Test func aclItemsBecomeGrants() {
        let grants = RelationSwap.grants(fromACL: "owner=arwdDxt/owner\n\"odd \"\"role\"=r*/owner\n=r/owner", on: "\"s\".\"v\"", dialect: .postgres)
        #expect(grants == [
            "GRANT INSERT, SELECT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON \"s\".\"v\" TO \"owner\"",
            "GRANT SELECT ON \"s\".\"v\" TO \"odd \"\"role\" WITH GRANT OPTION",
            "GRANT SELECT ON \"s\".\"v\" TO PUBLIC",
        ])
    }

    @Test func csvParsingAndTypeInference() throws {
        let t = try CSVTable.parse(Array("id,amount,day,flag,name\r\n1,2.5,2024-01-02,true,\"a,b\"\r\n2,,2024-02-03,false,\r\n".utf8), path: "s.csv", keepRows: true)
        #expect(t.header == ["id", "amount", "day", "flag", "name"])
        #expect(t.rows == [["1", "2.5", "2024-01-02", "true", "a,b"], ["2", nil, "2024-02-03", "false", nil]])
        #expect(t.inferredTypes() == ["integer", "numeric", "date", "boolean", "text"])
        #expect(throws: (any Error).self) { try CSVTable.parse(Array("a,b\n\"open\n".utf8), path: "s.csv") }
        #expect(throws: (any Error).self) { try CSVTable.parse([0x61, 0x0A, 0xFF, 0x0A], path: "s.csv") }
        let big = try CSVTable.parse(Array("a,b,c\n3000000000,x,2024-01-01 10:00:00\n\"q\"\"\",,2024-01-02T11:00:00\n".utf8), path: "s.csv", keepRows: true)
        #expect(big.rowCount == 2 && big.line(ofRow: 1) == 2 && big.line(ofRow: 2) == 3)
        // rows after a quoted newline and a blank line keep their true lines
        let multi = try CSVTable.parse(Array("a,b\n1,\"x\ny\"\n2,z\n\n3,w\n".utf8), path: "s.csv")
        #expect((1...3).map(multi.line(ofRow:)) == [2, 4, 6])
        #expect(big.inferredTypes() == ["text", "text", "timestamp"])
        #expect(big.rows[1][0] == "q\"")
        #expect(try CSVTable.parse(Array("a\n-5\n12345678901\n".utf8), path: "s.csv").inferredTypes() == ["bigint"])
        #expect(try CSVTable.parse(Array("a\n1\n\n".utf8), path: "s.csv").rowCount == 1)
        #expect(throws: (any Error).self) { try CSVTable.parse(Array("a,b\n1,2,3\n".utf8), path: "s.csv") }
        // a last row ending in an empty field, without a newline (dbt-utils' data_safe_divide_denominator_expressions.csv)
        let trailing = try CSVTable.parse(Array("a,b\n1,\n2,".utf8), path: "s.csv", keepRows: true)
        #expect(trailing.rows == [["1", nil], ["2", nil]])
    }
}

/// Bounded fuzzing of the CSV reader: CSV-shaped noise and random bytes parse or fail with a located error.
@Suite struct CSVFuzzTests {
    static let iterations = Int(ProcessInfo.processInfo.environment["STRATA_FUZZ_ITERATIONS"] ?? "") ?? 3000

    @Test func csvShapedNoiseAndRandomBytes() throws {
        var rng = SplitMix(seed: 3)
        let pieces = ["a", "b", ",", "\"", "\"\"", "\n", "\r\n", "1", "-2.5", "2024-01-01", "true", " ", "é", "\u{0}", ";", "\t", "x\"y", "2024-01-01 10:00:00"]
        for i in 0..<Self.iterations {
            let bytes: [UInt8]
            if i % 2 == 0 {
                bytes = Array((0..<Int(rng.next() % 60)).map { _ in pieces[Int(rng.next() % UInt64(pieces.count))] }.joined().utf8)
            } else {
                bytes = (0..<Int(rng.next() % 60)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            }
            do {
                let t = try CSVTable.parse(bytes, path: "seeds/s.csv", keepRows: true)
                #expect(t.rows.allSatisfy { $0.count == t.header.count })
                #expect(t.inferredTypes().count == t.header.count)
            } catch let d as Diagnostic {
                #expect(d.location?.file == "seeds/s.csv")
                #expect((d.location?.line ?? 0) >= 1)
            }
        }
    }
}
