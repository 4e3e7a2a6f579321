import Testing
import Basics
import ProjectModel
@testable import DependencyGraph

/// dbt's indirect selection, selectors.yml, resource types and the criteria that match nothing, on the sample graph
/// with three tests: one on int_x, one relationships test reading int_x and dim_z, and a unit test of fct_y.
@Suite struct SelectionTests {
    func graph() -> Graph {
        var g = sampleGraph()
        for (name, type, reads) in [("not_null_int_x", "generic", ["int_x"]), ("rel_int_x_dim_z", "generic", ["int_x", "dim_z"]),
                                    ("unit_fct_y", "unit", ["fct_y"])] {
            let id = NodeID("test.p.\(name)")
            g.add(GraphNode(id: id, kind: .test, name: name, path: "models/s.yml", testType: type))
            for r in reads { g.add(Edge(from: .model("p", r), to: id)) }
        }
        return g
    }

    func names(_ request: SelectionRequest, selectors: [SelectorDefinition] = []) throws -> [String] {
        try graph().select(request, selectors: selectors, projectName: "p").nodes.map { $0.rawValue.split(separator: ".").last.map(String.init)! }.sorted()
    }

    @Test func indirectSelectionModes() throws {
        #expect(try names(SelectionRequest(select: ["int_x"])) == ["int_x", "not_null_int_x", "rel_int_x_dim_z"])
        #expect(try names(SelectionRequest(select: ["int_x"], indirect: .cautious)) == ["int_x", "not_null_int_x"])
        #expect(try names(SelectionRequest(select: ["int_x"], indirect: .empty)) == ["int_x"])
        // buildable: dim_z is not an ancestor of int_x, so the relationships test stays out; with dim_z selected it joins
        #expect(try names(SelectionRequest(select: ["int_x"], indirect: .buildable)) == ["int_x", "not_null_int_x"])
        #expect(try names(SelectionRequest(select: ["int_x", "dim_z"], indirect: .cautious)) == ["dim_z", "int_x", "not_null_int_x", "rel_int_x_dim_z"])
        // excluding a node excludes its tests
        #expect(try names(SelectionRequest(select: ["int_x+"], exclude: ["int_x"])) == ["fct_y", "unit_fct_y"])
    }

    @Test func resourceTypesAndCriteriaThatMatchNothing() throws {
        #expect(try names(SelectionRequest(resourceTypes: ["unit_test"])) == ["unit_fct_y"])
        #expect(try names(SelectionRequest(select: ["+fct_y"], excludeResourceTypes: ["test", "unit_test", "source"])) == ["fct_y", "int_x", "stg_a", "stg_b"])
        let result = try graph().select(SelectionRequest(select: ["stg_c", "tag:nothing", "fct_y"]), projectName: "p")
        #expect(result.unmatched.map(\.criterion) == ["stg_c", "tag:nothing"])
        #expect(result.unmatched.first?.suggestion == "stg_a")
    }

    @Test func selectorsFileGrammar() throws {
        let selectors = [
            SelectorDefinition(name: "finance", isDefault: true, definition: .dict([ConfigEntry("union", .list([
                .dict([ConfigEntry("method", .string("tag")), ConfigEntry("value", .string("finance")), ConfigEntry("parents", .bool(true)),
                       ConfigEntry("indirect_selection", .string("cautious"))]),
                .dict([ConfigEntry("exclude", .list([.string("stg_a")]))]),
            ]))])),
            SelectorDefinition(name: "staging", definition: .string("path:models/staging")),
            SelectorDefinition(name: "both", definition: .dict([ConfigEntry("intersection", .list([
                .dict([ConfigEntry("method", .string("selector")), ConfigEntry("value", .string("staging"))]),
                .string("+int_x"),
            ]))])),
            SelectorDefinition(name: "loop", definition: .dict([ConfigEntry("method", .string("selector")), ConfigEntry("value", .string("loop"))])),
        ]
        // the default applies when nothing is selected: int_x and its parents but stg_a, and the test whose nodes
        // are all selected (cautious), not the relationships test that also reads dim_z
        let d = try names(SelectionRequest(), selectors: selectors)
        #expect(d == ["int_x", "not_null_int_x", "orders", "stg_b"], "\(d)")
        let b = try names(SelectionRequest(selector: "both"), selectors: selectors)
        #expect(b == ["orders", "stg_a", "stg_b"], "\(b)")
        let loop = #expect(throws: Diagnostic.self) { try names(SelectionRequest(selector: "loop"), selectors: selectors) }
        #expect(loop?.message.contains("selector 'loop' uses itself") == true)
        let typo = #expect(throws: Diagnostic.self) { try names(SelectionRequest(selector: "finanse"), selectors: selectors) }
        #expect(typo?.message == "--selector finanse: selectors.yml has no selector of that name; did you mean 'finance'?")
    }
}
