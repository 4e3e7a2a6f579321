import Testing
import Basics
import ProjectModel
@testable import DependencyGraph

/// raw → stg_a, stg_b → int_x (tag:finance) → fct_y ; stg_b → dim_z (table, in marts)
func sampleGraph() -> Graph {
    var g = Graph()
    func node(_ name: String, _ kind: NodeKind = .model, path: String, tags: [String] = [], mat: String = "view") -> GraphNode {
        let id = kind == .source ? NodeID.source("p", "raw", name) : NodeID.model("p", name)
        return GraphNode(id: id, kind: kind, name: kind == .source ? "raw.\(name)" : name, path: path, tags: tags, config: ["materialized": .string(mat)])
    }
    g.add(node("orders", .source, path: "models/staging/_sources.yml"))
    g.add(node("stg_a", path: "models/staging/stg_a.sql"))
    g.add(node("stg_b", path: "models/staging/stg_b.sql"))
    g.add(node("int_x", path: "models/intermediate/int_x.sql", tags: ["finance"]))
    g.add(node("fct_y", path: "models/marts/fct_y.sql", mat: "table"))
    g.add(node("dim_z", path: "models/marts/dim_z.sql", mat: "table"))
    let edges = [("source.p.raw.orders", "model.p.stg_a"), ("source.p.raw.orders", "model.p.stg_b"), ("model.p.stg_a", "model.p.int_x"),
                 ("model.p.stg_b", "model.p.int_x"), ("model.p.int_x", "model.p.fct_y"), ("model.p.stg_b", "model.p.dim_z")]
    for (a, b) in edges { g.add(Edge(from: NodeID(a), to: NodeID(b))) }
    return g
}

@Suite struct GraphTests {
    @Test func topologicalOrderRespectsEveryEdgeAndIsDeterministic() throws {
        let g = sampleGraph()
        let order = try g.topologicalOrder()
        let pos = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        for (child, parents) in g.parents { for p in parents { #expect(pos[p]! < pos[child]!) } }
        #expect(try g.topologicalOrder() == order)
    }

    @Test func cycleReportsThePathAndEachEdgeLocation() {
        var g = Graph()
        for n in ["a", "b", "c"] { g.add(GraphNode(id: .model("p", n), kind: .model, name: n, path: "models/\(n).sql")) }
        g.add(Edge(from: .model("p", "a"), to: .model("p", "b"), location: SourceLocation(file: "models/b.sql", line: 1, column: 18)))
        g.add(Edge(from: .model("p", "b"), to: .model("p", "c"), location: SourceLocation(file: "models/c.sql", line: 2, column: 5)))
        g.add(Edge(from: .model("p", "c"), to: .model("p", "a"), location: SourceLocation(file: "models/a.sql", line: 3, column: 7)))
        do {
            _ = try g.topologicalOrder()
            Issue.record("expected a cycle")
        } catch let d as Diagnostic {
            #expect(d.code == "G2001")
            #expect(d.message == "dependency cycle: a -> b -> c -> a")
            #expect(d.notes.compactMap(\.location) == [SourceLocation(file: "models/b.sql", line: 1, column: 18),
                                                        SourceLocation(file: "models/c.sql", line: 2, column: 5),
                                                        SourceLocation(file: "models/a.sql", line: 3, column: 7)])
        } catch { Issue.record("unexpected \(error)") }
    }
}

@Suite struct SelectorTests {
    func names(_ select: [String], exclude: [String] = []) throws -> [String] {
        try sampleGraph().select(select, exclude: exclude, projectName: "p").map { $0.rawValue.split(separator: ".").last.map(String.init)! }.sorted()
    }

    @Test(arguments: [
        (["int_x"], [], ["int_x"]),
        (["+int_x"], [], ["int_x", "orders", "stg_a", "stg_b"]),
        (["int_x+"], [], ["fct_y", "int_x"]),
        (["1+int_x"], [], ["int_x", "stg_a", "stg_b"]),
        (["+fct_y+"], [], ["fct_y", "int_x", "orders", "stg_a", "stg_b"]),
        (["@stg_a"], [], ["fct_y", "int_x", "orders", "stg_a", "stg_b"]),
        (["tag:finance"], [], ["int_x"]),
        (["path:models/marts"], [], ["dim_z", "fct_y"]),
        (["config.materialized:table"], [], ["dim_z", "fct_y"]),
        (["marts"], [], ["dim_z", "fct_y"]),
        (["stg_*"], [], ["stg_a", "stg_b"]),
        (["source:raw"], [], ["orders"]),
        (["stg_a stg_b"], [], ["stg_a", "stg_b"]),
        (["stg_b+,config.materialized:table"], [], ["dim_z", "fct_y"]),
        (["stg_b+,path:models/marts/dim_z.sql"], [], ["dim_z"]),
        (["stg_b+"], ["dim_z"], ["int_x", "fct_y", "stg_b"].sorted()),
        ([], ["path:models/staging"], ["dim_z", "fct_y", "int_x"]),
    ] as [([String], [String], [String])])
    func selects(select: [String], exclude: [String], expected: [String]) throws {
        #expect(try names(select, exclude: exclude) == expected)
    }

    @Test func unknownMethodSuggests() {
        #expect(throws: Diagnostic.self) { try Selector("tags:x") }
        do { _ = try Selector("tags:x") } catch let d as Diagnostic { #expect(d.message.contains("did you mean 'tag'")) } catch {}
    }
}

@Suite struct TestTypeSelectorTests {
    /// `test_type:` reads each test node's typed kind: `data` is generic or singular, as in dbt.
    @Test func testTypeSelectsByTheTestsKind() throws {
        var g = Graph()
        for (name, type) in [("g", "generic"), ("s", "singular"), ("u", "unit"), ("c", "contract")] {
            g.add(GraphNode(id: NodeID("test.p.\(name)"), kind: .test, name: name, path: "", testType: type))
        }
        #expect(try g.select(["test_type:unit"], exclude: [], projectName: "p") == [NodeID("test.p.u")])
        #expect(try g.select(["test_type:data"], exclude: [], projectName: "p") == [NodeID("test.p.g"), NodeID("test.p.s"), NodeID("test.p.c")])
    }
}
