import Foundation
import Basics
import DependencyGraph
import ProjectModel
import Templating

/// A unit test's inputs and expectations, carried by its test node to the executor.
public struct UnitTestFixture: Sendable {
    /// The CTE the model's SQL reads instead of the real input, the real input (for its column types), and the rows.
    public var inputs: [(cte: String, relation: Relation, data: UnitTestDeclaration.Data)]
    public var expect: UnitTestDeclaration.Data
}

extension Compiler {
    /// dbt 1.8 unit tests: the model renders with each given input replaced by a CTE of the given rows
    /// (typed like the real input at run time); the result is compared with the expected rows.
    func compileUnitTests(nodes: inout [NodeID: CompiledNode], graph: inout Graph, resolver: NameResolver, environments: Environments, bag: inout DiagnosticBag) {
        let snapshot = nodes
        for decl in project.unitTests {
            let owner = decl.package ?? project.name
            let environment = environments[decl.package], resolver = resolver.from(owner)
            let loc = decl.location ?? SourceLocation(file: project.projectFile, line: 1, column: 1)
            bag.capture {
                // a versioned model's unit test runs on its latest version
                guard let file = project.models.first(where: { $0.name == decl.model && $0.package == decl.package && $0.version == $0.latestVersion }),
                      let model = snapshot[.model(owner, decl.model + (file.version.map { ".v\($0)" } ?? ""))] else {
                    var msg = "unit test '\(decl.name)' is for model '\(decl.model)', which does not exist"
                    if let s = Suggestion.closest(to: decl.model, in: project.models.map(\.name)) { msg += "; did you mean '\(s)'?" }
                    throw Diagnostic(code: .unitTestModelMissing, msg, at: loc)
                }
                // resolve the given inputs to nodes and CTE names
                var cteNames: [NodeID: String] = [:]
                var inputs: [(cte: String, relation: Relation, data: UnitTestDeclaration.Data)] = []
                // `input: this`: the model's own relation (for an incremental model's `is_incremental()` branch)
                var thisCTE: String?
                for g in decl.given {
                    let text = g.input.trimmingCharacters(in: .whitespaces)
                    if text == "this" {
                        guard let relation = model.relation else { throw Diagnostic(code: .invalidUnitTestInput, "unit test '\(decl.name)': input this needs a model with a relation", at: loc) }
                        thisCTE = "__dbt__cte__this"
                        inputs.append((thisCTE!, relation, g.data))
                        continue
                    }
                    let recorder = RenderRecorder()
                    let globals = testGlobals(nodes: snapshot, resolver: resolver, recorder: recorder, environment: environment, connection: nil)
                    _ = try Renderer.evaluate(try Template(path: loc.file, text: "{{ \(text) }}"), environment: environment, globals: globals)
                    let id: NodeID
                    if let r = recorder.refs.first { id = try resolver.ref(r.ref, at: loc) }
                    else if let s = recorder.sources.first { id = try resolver.source(s.source, s.table, at: loc) }
                    else { throw Diagnostic(code: .invalidUnitTestInput, "unit test '\(decl.name)': input must be ref('…') or source('…', '…')", at: loc) }
                    guard let relation = snapshot[id]?.relation else { throw Diagnostic(code: .invalidUnitTestInput, "unit test '\(decl.name)': input \(text) has no relation", at: loc) }
                    let cte = "__dbt__cte__" + (snapshot[id]!.name.replacingOccurrences(of: ".", with: "_"))
                    cteNames[id] = cte
                    inputs.append((cte, relation, g.data))
                }
                // render the model with its inputs replaced
                let ctes = cteNames
                let template = try Template(path: file.path, text: file.rawSQL, stripFile: true)
                let nodeConfig = model.config
                let testName = decl.name
                var globals = refAndSource(resolver: resolver, ref: { id, ref, site in
                    let name = ref.name
                    guard let cte = ctes[id] else {
                        throw site.error("unit test '\(testName)': the model reads ref('\(name)'), which is not among its given inputs", code: .unitTestInputMissing)
                    }
                    return .string(cte)
                }, source: { id, s, t, site in
                    guard let cte = ctes[id] else {
                        throw site.error("unit test '\(testName)': the model reads source('\(s)', '\(t)'), which is not among its given inputs", code: .unitTestInputMissing)
                    }
                    return .string(cte)
                })
                globals["config"] = .function(Function("config", attributes: ["get": .function(Function("get") { args, _ in
                    args.argument(0, "name")?.asString.flatMap { nodeConfig[$0] }.map(Value.init) ?? args.argument(1, "default") ?? .none
                })]) { _, _ in .string("") })
                globals["this"] = thisCTE.map { .string($0) } ?? .object(relationObject(model))
                globals["is_incremental"] = .function(Function("is_incremental") { _, _ in .bool(false) })
                globals["execute"] = .bool(options.executes)
                globals["model"] = nodeValue(name: model.name, kind: .model, path: model.path, config: nodeConfig, package: decl.package)
                // overrides: a macro's value (`is_incremental: true`), vars and env_vars, for this render only
                for m in decl.overrides.macros {
                    let value = Value(m.value)
                    globals[m.key] = .function(Function(m.key) { _, _ in value })
                }
                if !decl.overrides.vars.isEmpty {
                    var vars = effectiveVars(package: decl.package)
                    for v in decl.overrides.vars { vars[v.key] = v.value }
                    globals["var"] = .function(varFunction(vars))
                }
                if !decl.overrides.envVars.isEmpty {
                    var environ = options.environment
                    for e in decl.overrides.envVars { environ[e.key] = e.value.scalarText ?? "" }
                    globals["env_var"] = .function(.envVar(environ, allowSecrets: false))
                }
                let sql = try Renderer.render(template, environment: environment, globals: globals).text
                var node = testNode(name: "\(decl.model)_\(decl.name)", path: loc.file, sql: sql, config: [:], column: nil,
                                    payload: .unitTest(UnitTestSpec(testedNode: model.id, fixture: UnitTestFixture(inputs: inputs, expect: decl.expect))),
                                    id: NodeID("unit_test.\(owner).\(decl.model).\(decl.name)"))
                node.declaredAt = loc
                add(node, deps: Array(ctes.keys), at: loc, nodes: &nodes, graph: &graph)
            }
        }
    }
}
