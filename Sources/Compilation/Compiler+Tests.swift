import Foundation
import Basics
import DependencyGraph
import ProjectModel
import Templating
import Warehouse

extension Compiler {
    /// Generic tests from YAML and singular tests from the test paths become test nodes whose SQL returns the failing
    /// rows, with dbt's ids (`test.<project>.<name>.<hash>` for generic tests, `test.<project>.<name>` for singular
    /// ones) and compiled paths; each depends on the nodes it reads.
    func compileTests(nodes: inout [NodeID: CompiledNode], graph: inout Graph, resolver: NameResolver, environments: Environments, macros: MacroCatalog,
                      bag: inout DiagnosticBag) {
        var used = Set<String>()
        func uniqueName(_ base: String) -> String {
            var name = String(base.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
            if name.count > 64 { name = String(name.prefix(55)) + "_" + String(SHA256.hex(base).prefix(8)) }
            if used.contains(name) { name += "_" + String(SHA256.hex(base + String(used.count)).prefix(8)) }
            used.insert(name)
            return name
        }
        let snapshot = nodes
        var warnings: [Diagnostic] = []
        defer { bag.appendOnce(warnings) }
        // each declaration renders on its own (in parallel); names are made unique and nodes added in declaration order
        let prepared = project.testDeclarations.concurrentMap { decl in
            Result { try prepareGenericTest(decl, snapshot: snapshot, resolver: resolver.from(decl.package ?? project.name), environment: environments[decl.package]) }
        }
        for result in prepared {
            bag.capture {
                guard var test = try result.get() else { return }
                if nodes[test.node.id] != nil {
                    throw Diagnostic(code: .duplicateTest, "test '\(test.node.name)' is declared twice with the same arguments (its unique_id \(test.node.id) would be taken twice)", at: test.location)
                }
                warnings.append(contentsOf: test.warnings)
                let alias = uniqueName(test.alias)
                if case .dataTest(var spec) = test.node.payload {
                    spec.alias = alias
                    test.node.payload = .dataTest(spec)
                }
                test.node.compiledPath = compiledPath(test.location.file, package: test.node.id.package) + "/\(alias).sql"
                test.node.macroDependencies = macros.ids(of: test.macros)
                test.node.declaredAt = test.location
                add(test.node, deps: test.deps, at: test.location, nodes: &nodes, graph: &graph)
            }
        }
        for file in project.singularTests {
            let environment = environments[file.package], resolver = resolver.from(file.package ?? project.name)
            bag.capture {
                let template = try Template(path: file.path, text: file.text, stripFile: true)
                // `{{ config(enabled=false) }}` switches the test off before anything renders, as dbt's parse does
                let name = ((file.path as NSString).lastPathComponent as NSString).deletingPathExtension
                let projectConfig = try rendered(projectTestConfigs(file: file.path, name: name, package: file.package), environment: environment)
                var disabled = merge([projectConfig]).values["enabled"]?.asBool == false
                for call in template.calls(named: ["config"]) {
                    for (key, expr) in call.keyword where key == "enabled" {
                        if let v = try? Renderer.evaluate(expr, of: template, environment: environment, globals: staticGlobals()) { disabled = !v.isTrue }
                    }
                }
                if disabled { return }
                @Sendable func globals(_ recorder: RenderRecorder, _ connection: (any WarehouseConnection)?) -> [String: Value] {
                    testGlobals(nodes: snapshot, resolver: resolver, recorder: recorder, environment: environment, connection: connection)
                }
                let recorder = RenderRecorder()
                let out: RenderedText
                do {
                    out = try Renderer.render(template, environment: environment, globals: globals(recorder, options.connection))
                } catch where options.rendersAgainWhenBuilt && recorder.queriedDatabase {
                    out = RenderedText(text: "", sourceMap: SourceMap())   // left to the run, after what the test reads is built
                }
                warnings.append(contentsOf: out.warnings)
                let (merged, locations) = merge([projectConfig, recorder.config])
                let judgement = try SpecReader(config: merged, locations: locations, name: file.path, path: file.path)
                    .judgement(at: SourceLocation(file: file.path, line: 1, column: 1))
                let uniqueName = uniqueName(name)
                // dbt writes a singular test where it sits under the test paths: <project>/tests/sub/x.sql
                let compiledPath = compiledPath(file.path, package: file.package)
                // what the render called, and the literal ref()/source() calls it may not have reached
                var refs = recorder.refs, sources = recorder.sources
                for call in template.calls(named: ["ref", "source"]) {
                    guard let args = call.literalStrings else { continue }
                    if call.name == "ref", (1...2).contains(args.count) { refs.append((RefName(literal: args, version: call.literalKeyword("v") ?? call.literalKeyword("version")), call.offset)) }
                    if call.name == "source", args.count == 2 { sources.append((args[0], args[1], call.offset)) }
                }
                var deps: [NodeID] = []
                for (r, offset) in refs { deps.append(try resolver.ref(r, at: template.source.location(ofUTF8Offset: offset))) }
                for (s, tbl, offset) in sources { deps.append(try resolver.source(s, tbl, at: template.source.location(ofUTF8Offset: offset))) }
                var seen = Set<NodeID>()
                deps = deps.filter { seen.insert($0).inserted }
                var node = testNode(name: uniqueName, path: file.path, sql: out.text, config: merged, column: nil,
                                    payload: .dataTest(DataTestSpec(testName: nil, testedNode: deps.first, judgement: judgement)),
                                    id: NodeID("test.\(file.package ?? project.name).\(uniqueName)"), compiledPath: compiledPath)
                node.rawSQL = file.text
                node.sourceMap = out.sourceMap
                node.macroDependencies = macros.ids(of: out.macros)
                if recorder.queriedDatabase {
                    node.runTimeRender = RunTimeRender(rendersSQL: true, rendersHooks: false) { part, connection in
                        part == .sql ? [try Renderer.render(template, environment: environment, globals: globals(RenderRecorder(), connection)).text] : []
                    }
                }
                add(node, deps: deps, at: nil, nodes: &nodes, graph: &graph)
            }
        }
    }

    /// A generic test declared in YAML, rendered: its node (alias and compiled path are set by the caller, which makes
    /// aliases unique), what it depends on, and the warnings its render printed; nil for a test that is switched off
    /// or tests a node that does not exist.
    struct PreparedTest {
        var node: CompiledNode
        var alias: String
        var deps: [NodeID]
        var location: SourceLocation
        var warnings: [Diagnostic]
        /// The template macros its render called.
        var macros: [MacroDefinition] = []
    }

    func prepareGenericTest(_ decl: TestDeclaration, snapshot: [NodeID: CompiledNode], resolver: NameResolver, environment: Environment) throws -> PreparedTest? {
        let loc = decl.location ?? SourceLocation(file: project.projectFile, line: 1, column: 1)
        var warnings: [Diagnostic] = []
        // tests on nodes that do not exist are skipped: their properties already warned (S1008)
        let target: NodeID
        switch decl.targetKind {
        case .source:
            let parts = decl.targetName.split(separator: ".", maxSplits: 1).map(String.init)
            guard parts.count == 2, let id = try? resolver.source(parts[0], parts[1], at: loc) else { return nil }
            target = id
        default:
            guard let id = try? resolver.ref(RefName(name: decl.targetName, version: decl.targetVersion), at: loc) else { return nil }
            target = id
        }
        guard let targetNode = snapshot[target] else { return nil }
        // config values may be templated, as dbt renders them: severity: "{{ 'warn' if target.name == 'dev' else 'error' }}"
        // dbt's names: the full one (name, unique_id, fqn) and the short one under 64 characters (file, alias)
        let names = Self.dbtTestNames(decl)
        let declaredConfig = try rendered(projectTestConfigs(file: loc.file, name: names.full, package: decl.package)
                                          + decl.config, environment: environment)
        let (declared, _) = merge([declaredConfig])
        if declared["enabled"]?.asBool == false { return nil }
        let macro = try testMacro(decl.testName, environment: environment, at: loc)
        // arguments: model (filtered by `where`), column_name, and the declared ones; ref()/source() strings become relations
        let storeFailures = declared["store_failures"]?.asBool ?? false
        @Sendable func globals(_ recorder: RenderRecorder, _ connection: (any WarehouseConnection)?) throws -> [String: Value] {
            var globals = testGlobals(nodes: snapshot, resolver: resolver, recorder: recorder, environment: environment, connection: connection)
            globals["should_store_failures"] = .function(Function("should_store_failures") { _, _ in .bool(storeFailures) })
            var modelValue: Value = .object(relationObject(targetNode))
            if let whereClause = declared["where"]?.asString {
                modelValue = .string("(select * from \(relationObject(targetNode).stringValue) where \(whereClause)) dbt_subquery")
            }
            var kwargs: [(String, Value)] = [("model", modelValue)]
            if let column = decl.column { kwargs.append(("column_name", .string(Self.testColumn(column, quote: decl.quoteColumn)))) }
            for a in decl.arguments where a.key != "column_name" {
                if let text = a.value.asString, text.hasPrefix("ref(") || text.hasPrefix("source("), text.hasSuffix(")") {
                    do {
                        let t = try Template(path: loc.file, text: "{{ \(text) }}")
                        kwargs.append((a.key, try Renderer.evaluate(t, environment: environment, globals: globals)))
                    } catch var d as Diagnostic {
                        d.location = a.location ?? loc   // not the generated template's own line 1
                        throw d
                    }
                } else {
                    kwargs.append((a.key, Value(a.value)))
                }
            }
            globals["__strata_kwargs"] = .dict(kwargs)
            globals["__strata_test"] = .macro(MacroValue(definition: macro))
            return globals
        }
        let t = try Template(path: loc.file, text: "{{ __strata_test(**__strata_kwargs) }}")
        @Sendable func render(_ globals: [String: Value]) throws -> RenderedText {
            do {
                return try Renderer.render(t, environment: environment, globals: globals)
            } catch var d as Diagnostic {
                if d.location?.file == loc.file {
                    // raised by the generated call itself (an argument the test does not take): point at the declaration
                    d.location = loc
                } else {
                    d.notes.insert(.init("while rendering test '\(decl.testName)' declared here", at: loc), at: 0)
                }
                throw d
            }
        }
        let recorder = RenderRecorder()
        let sql: String
        var called: [MacroDefinition] = []
        do {
            let out = try render(try globals(recorder, options.connection))
            warnings = out.warnings
            called = out.macros
            sql = out.text
        } catch where options.rendersAgainWhenBuilt && recorder.queriedDatabase {
            sql = ""   // left to the run, after what the test reads is built
        }
        let (config, locations) = merge([recorder.config, declaredConfig])
        let judgement = try SpecReader(config: config, locations: locations, name: decl.testName, path: loc.file).judgement(at: loc)
        let full = config["alias"]?.asString ?? names.full
        let alias = config["alias"]?.asString ?? names.short
        var deps = [target]
        for (s, tbl, _) in recorder.sources { if let id = try? resolver.source(s, tbl, at: loc) { deps.append(id) } }
        for (r, _) in recorder.refs { if let id = try? resolver.ref(r, at: loc) { deps.append(id) } }
        let spec = DataTestSpec(testName: decl.testName, testedNode: target, judgement: judgement)
        var node = testNode(name: full, path: loc.file, sql: sql, config: config, column: decl.column, payload: .dataTest(spec),
                            id: NodeID("test.\(decl.package ?? project.name).\(full).\(Self.dbtTestHash(full, decl))"))
        if recorder.queriedDatabase {
            // the test asked the database: it renders again when it runs, after what it tests was built
            node.runTimeRender = RunTimeRender(rendersSQL: true, rendersHooks: false) { part, connection in
                part == .sql ? [try render(try globals(RenderRecorder(), connection)).text] : []
            }
        }
        return PreparedTest(node: node, alias: alias, deps: deps, location: loc, warnings: warnings, macros: called)
    }

    /// The macro of a generic test: `unique` (built in or the project's own) or `package.name` from an installed package.
    func testMacro(_ testName: String, environment: Environment, at loc: SourceLocation) throws -> MacroDefinition {
        let parts = testName.split(separator: ".", maxSplits: 1).map(String.init)
        if parts.count == 2 {
            guard let namespace = environment.namespacedMacros[parts[0]] else {
                var msg = "unknown test '\(testName)': package '\(parts[0])' is not installed"
                if let s = Suggestion.closest(to: parts[0], in: environment.namespacedMacros.keys) { msg += "; did you mean '\(s)'?" }
                throw Diagnostic(code: .unknownGenericTest, msg + " (packages.yml, then `strata deps`)", at: loc)
            }
            if let m = namespace["test_\(parts[1])"] { return m }
            var msg = "unknown test '\(testName)': package '\(parts[0])' has no {% test \(parts[1])(model, …) %}"
            if let s = Suggestion.closest(to: "test_" + parts[1], in: namespace.keys.filter { $0.hasPrefix("test_") }) { msg += "; did you mean '\(parts[0]).\(s.dropFirst(5))'?" }
            throw Diagnostic(code: .unknownGenericTest, msg, at: loc)
        }
        if let m = environment.macros["test_\(testName)"] { return m }
        var msg = "unknown test '\(testName)': no built-in test and no {% test \(testName)(model, …) %} in the template paths"
        if let s = Suggestion.closest(to: "test_" + testName, in: environment.macros.keys.filter { $0.hasPrefix("test_") }) {
            msg += "; did you mean '\(s.dropFirst(5))'?"
        }
        throw Diagnostic(code: .unknownGenericTest, msg, at: loc)
    }

    /// dbt's names for accepted_values/relationships carry their arguments.
    /// dbt's names for a generic test (`synthesize_generic_test_names`): `<namespace>_<test>_<target>_<args>`, the
    /// arguments (column_name too) in name order, lists and dicts flattened to their values, each reduced to
    /// `[0-9a-zA-Z_]`, joined by `__`; sources are `source_<test>` on `<source>_<table>`. From 64 characters on, the
    /// short name is the first 30 characters of `<namespace>_<test>_<target>` and the MD5 of the full name.
    static func dbtTestNames(_ decl: TestDeclaration) -> (short: String, full: String) {
        let parts = decl.testName.split(separator: ".", maxSplits: 1).map(String.init)
        var test = parts.last!
        if decl.targetKind == .source { test = "source_" + test }
        if parts.count == 2 { test = parts[0] + "_" + test }
        // a version's tests are named for `<model>_v<v>`, as dbt names them
        let target = decl.targetName.replacingOccurrences(of: ".", with: "_") + (decl.targetVersion.map { "_v\($0)" } ?? "")
        var flat: [String] = []
        for (_, value) in testArguments(decl).sorted(by: { $0.0 < $1.0 }) {
            switch value {
            case .dict(let entries): flat += entries.map { pythonString($0.value) }
            case .list(let items): flat += items.map(pythonString)
            default: flat.append(pythonString(value))
            }
        }
        let clean = flat.map(Self.identifierCharacters)
        let identifier = "\(test)_\(target)"
        let full = "\(identifier)_\(clean.joined(separator: "__"))"
        guard full.count >= 64 else { return (full, full) }
        return ("\(identifier.prefix(30))_\(MD5.hex(Array(full.utf8)))", full)
    }

    /// The suffix of dbt's unique_id for a generic test: the last 10 hex digits of the MD5 of its full name and the
    /// repr of its test_metadata ({'kwargs': …, 'name': …, 'namespace': …}, keys sorted, every leaf as a string).
    static func dbtTestHash(_ full: String, _ decl: TestDeclaration) -> String {
        /// Python's repr of dbt's hashable metadata: dicts with sorted keys, lists, every leaf as a string.
        func repr(_ v: ConfigValue) -> String {
            switch v {
            case .dict(let entries):
                return "{" + entries.sorted { $0.key < $1.key }.map { Value.string($0.key).repr + ": " + repr($0.value) }.joined(separator: ", ") + "}"
            case .list(let items): return "[" + items.map(repr).joined(separator: ", ") + "]"
            default: return Value.string(pythonString(v)).repr
            }
        }
        let parts = decl.testName.split(separator: ".", maxSplits: 1).map(String.init)
        let relation: String
        if decl.targetKind == .source {
            relation = "source(" + decl.targetName.split(separator: ".", maxSplits: 1).map { Value.string(String($0)).repr }.joined(separator: ", ") + ")"
        } else {
            let version: String = decl.targetVersion.map { ", version=" + Value.string($0).repr } ?? ""
            relation = "ref(" + Value.string(decl.targetName).repr + version + ")"
        }
        var kwargs = testArguments(decl).map { ConfigEntry($0.0, $0.1) }
        kwargs.append(ConfigEntry("model", .string("{{ get_where_subquery(\(relation)) }}")))
        let metadata = ConfigValue.dict([ConfigEntry("kwargs", .dict(kwargs)), ConfigEntry("name", .string(parts.last!)),
                                         ConfigEntry("namespace", .string(parts.count == 2 ? parts[0] : "None"))])
        return String(MD5.hex(Array((full + repr(metadata)).utf8)).suffix(10))
    }

    /// `re.sub("[^0-9a-zA-Z_]+", "_", s)`: each run of other characters becomes one `_`.
    static func identifierCharacters(_ s: String) -> String {
        var out = ""
        var inRun = false
        for u in s.unicodeScalars {
            if ("a"..."z").contains(u) || ("A"..."Z").contains(u) || ("0"..."9").contains(u) || u == "_" {
                out.unicodeScalars.append(u)
                inRun = false
            } else if !inRun {
                out.append("_")
                inRun = true
            }
        }
        return out
    }

    /// A generic test's arguments as dbt passes them: the declared ones and `column_name`.
    static func testArguments(_ decl: TestDeclaration) -> [(String, ConfigValue)] {
        var args = decl.arguments.filter { $0.key != "column_name" }.map { ($0.key, $0.value) }
        if let column = decl.column { args.append(("column_name", .string(column))) }
        return args
    }

    /// Python's `str()` of a YAML scalar: `True`, `None`, `2`, `1.5`.
    static func pythonString(_ v: ConfigValue) -> String {
        switch v {
        case .null: return "None"
        case .bool(let b): return b ? "True" : "False"
        case .string(let s): return s
        case .list, .dict: return Value(v).repr
        default: return Value(v).stringValue
        }
    }

    func testGlobals(nodes: [NodeID: CompiledNode], resolver: NameResolver, recorder: RenderRecorder, environment: Environment,
                     connection: (any WarehouseConnection)?) -> [String: Value] {
        var g = refAndSource(resolver: resolver, ref: { id, ref, site in
            recorder.update { $0.refs.append((ref, site.offset)) }
            return .object(referencedRelation(nodes[id]!))
        }, source: { id, s, t, site in
            recorder.update { $0.sources.append((s, t, site.offset)) }
            return .object(relationObject(nodes[id]!))
        })
        g["execute"] = .bool(options.executes)
        // `{{ config(severity='warn') }}` in a test's body: its configs, recorded (under the YAML's for generic tests)
        g["config"] = .function(Function("config") { args, _ in
            for (k, v) in args.keyword { recorder.update { $0.config.append(ConfigEntry(k, v.configValue)) } }
            return .string("")
        })
        if let connection {
            g.merge(databaseGlobals(DatabaseContext(connection: connection, onQuery: { recorder.update { $0.queriedDatabase = true } }), environment: environment)) { $1 }
        }
        return g
    }

    /// A test node. Its manifest config records what the payload says (severity, test_type, test_name, tested_node), as
    /// dbt's manifest does; nothing reads those keys back.
    func testNode(name: String, path: String, sql: String, config: [String: ConfigValue], column: String?, payload: NodePayload,
                  id: NodeID? = nil, compiledPath: String? = nil) -> CompiledNode {
        var node = CompiledNode(id: id ?? NodeID("test.\(project.name).\(name)"), name: name, path: path, relation: nil,
                                columns: column.map { [ColumnProperties(name: $0)] } ?? [], rawSQL: sql, compiledSQL: sql,
                                checksum: SHA256.hex(sql), compiledPath: compiledPath ?? "\(project.name)/tests/\(name).sql", payload: payload)
        placeInPackageAndFoldNames(&node)
        var values = config
        if let test = node.test {
            values["severity"] = .string(test.judgement.severity.rawValue)
            values["test_type"] = .string(test.type.rawValue)
            if test.type != .singular { values["test_name"] = .string(test.name) }
            if let tested = test.testedNode { values["tested_node"] = .string(tested.rawValue) }
        }
        node.config = values
        node.tags = values["tags"]?.stringList ?? []
        return node
    }

    func add(_ node: CompiledNode, deps: [NodeID], at loc: SourceLocation?, nodes: inout [NodeID: CompiledNode], graph: inout Graph) {
        nodes[node.id] = node
        graph.add(node.graphNode)
        for d in Set(deps) where nodes[d] != nil { graph.add(Edge(from: d, to: node.id, location: loc)) }
    }

    /// A column name as a generic test writes it into SQL. Plain identifiers stay as written (PostgreSQL folds them, as
    /// in dbt); `quote: true` on the column, or any name that is not a plain identifier (spaces, quotes, SQL), is
    /// quoted, so a name from YAML can never become SQL.
    static func testColumn(_ name: String, quote: Bool) -> String {
        let plain = !name.isEmpty && name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
            && !("0"..."9").contains(name.unicodeScalars.first!)
        return quote || !plain ? SQLDialect.postgres.quote(name) : name
    }
}
