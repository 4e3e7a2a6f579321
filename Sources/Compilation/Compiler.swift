import Foundation
import Basics
import DependencyGraph
import ProjectModel
import Templating
import Warehouse

/// Options that change what compilation produces.
public struct CompileOptions: Sendable {
    public var target: TargetInfo
    public var profileName: String
    /// `--vars` from the command line; they override the project's `vars:`.
    public var vars: [String: ConfigValue]
    public var environment: [String: String]
    /// Relations that exist in the warehouse (for `is_incremental()`); nil when compiling offline.
    public var existingTables: Set<Relation>?
    public var fullRefresh: Bool
    /// The command being run (`flags.WHICH`): compile, run, build, test, seed, snapshot, docs …
    public var command = "compile"
    /// `run_started_at` and `modules.datetime.datetime.now()`: fixed for the whole invocation.
    public var runStartedAt: Date
    public var invocationID: String
    /// Where `log(msg, info=True)` and `print()` write.
    public var log: @Sendable (String) -> Void
    /// Where `print()` writes, when not to `log` (the terminal, as is; `--no-print` silences it).
    public var printer: (@Sendable (String) -> Void)? = nil
    /// Where `log(msg)` without `info=True` writes (dbt's debug log).
    public var debugLog: @Sendable (String) -> Void = { _ in }
    /// The database templates ask (`run_query`, statements, `adapter.get_columns_in_relation` …); nil when compiling
    /// offline (then those are clear errors). Renders run in parallel: it must take turns (`SharedConnection`).
    public var connection: (any WarehouseConnection)?
    /// For commands that build after compiling: a render that fails after asking the database (a relation an
    /// upstream build will create) does not fail the compile; the node renders again when it is built, and only it
    /// fails (skipping its descendants) if the error remains, as in dbt.
    public var rendersAgainWhenBuilt = false
    /// Render as dbt parses (`strata compat-check`): `execute` is false, calls that need the database answer None or
    /// empty lists offline, and the compile reports every problem it can reach (in every file, each template past
    /// its first error, every stage) instead of stopping at the end of the first stage that failed.
    public var parseOnly = false
    /// `--defer`: the relations refs to these (unselected) nodes resolve to instead of their own, from the state's
    /// manifest (`StateComparison.deferredRelations`).
    public var deferredRelations: [NodeID: Relation] = [:]
    /// `--empty`: refs and sources in models render as subqueries with no rows (dbt's `limit 0`), so a build
    /// checks the SQL and creates every relation empty.
    public var empty = false
    /// dbt's `execute`: true except when parsing.
    public var executes: Bool { !parseOnly }

    public init(target: TargetInfo = TargetInfo(), profileName: String = "default", vars: [String: ConfigValue] = [:],
                environment: [String: String] = ProcessInfo.processInfo.environment, existingTables: Set<Relation>? = nil, fullRefresh: Bool = false,
                runStartedAt: Date = Date(), invocationID: String = UUID().uuidString.lowercased(),
                log: @escaping @Sendable (String) -> Void = { _ in }, connection: (any WarehouseConnection)? = nil) {
        self.target = target
        self.profileName = profileName
        self.vars = vars
        self.environment = environment
        self.existingTables = existingTables
        self.fullRefresh = fullRefresh
        self.runStartedAt = runStartedAt
        self.invocationID = invocationID
        self.log = log
        self.connection = connection
    }
}

/// The root project's environment and each installed package's (`Compiler.packageEnvironment`).
struct Environments: Sendable {
    let root: Environment
    let packages: [String: Environment]
    /// The environment a node of `package` renders in (the root project's for its own nodes).
    subscript(package: String?) -> Environment { package.flatMap { packages[$0] } ?? root }
}

/// Project → compiled nodes and graph. Renders every enabled model; reports every problem at once.
public struct Compiler: Sendable {
    public let project: Project
    public let options: CompileOptions

    public init(project: Project, options: CompileOptions) {
        self.project = project
        self.options = options
    }

    /// A model after parsing and config resolution, before rendering.
    struct ParsedModel {
        var kind: NodeKind = .model
        var file: ModelFile
        var template: Template
        var id: NodeID
        var config: [ConfigEntry]
        /// `ref('m')` / `ref('package', 'm')` with literal arguments, and where.
        var staticRefs: [(ref: RefName, offset: Int)]
        var staticSources: [(String, String, Int)]
        /// The package (or root project) the node comes from.
        var package: String { id.package }
    }

    /// Each installed package's environment (its macros first, its vars), over `base`.
    func packageEnvironments(_ base: Environment) -> Environments {
        Environments(root: base, packages: Dictionary(project.packages.map { ($0.name, packageEnvironment(base, package: $0.name)) }, uniquingKeysWith: { a, _ in a }))
    }

    public func compile() throws -> CompiledProject {
        var bag = DiagnosticBag()
        var timings: [(String, Double)] = []
        var mark = ContinuousClock.now
        func lap(_ phase: String) {
            let now = ContinuousClock.now
            timings.append((phase, (now - mark).seconds))
            mark = now
        }
        var environment = try makeEnvironment(problems: &bag)
        var environments = packageEnvironments(environment)
        let macroCatalog = MacroCatalog(environment, project: project)
        lap("macros")

        // 1. Parse every model (in parallel) and find its static refs, sources and config.
        let parsed = parseModels(environments: environments, bag: &bag) + parseSnapshots(environments: environments, bag: &bag)
        lap("parse")

        // 2. Nodes: models, seeds, sources with relations.
        var nodes: [NodeID: CompiledNode] = [:]
        var graph = Graph()
        // what ref() finds (models, snapshots, seeds) and what source() finds, by package
        var refable: [String: [String: NodeID]] = [:]
        // name → the file of a node switched off with enabled: false, for dbt's "which is disabled" message
        var disabled: [String: String] = [:]
        // Config resolution, naming and checksums are independent per model: on all cores.
        let modelNodes = parsed.concurrentMap { pm in Result { try modelNode(pm, environment: environments[pm.package]) } }
        for result in modelNodes {
            guard let node = bag.capture({ try result.get() }) else { continue }
            if node.config["enabled"]?.asBool == false { disabled[node.name] = node.path; continue }
            let key = NameResolver.key(node.name, version: node.version)
            if let other = refable[node.id.package]?[key] {
                bag.append(Diagnostic(code: .snapshotNameClash, "'\(node.name)' names both \(other.rawValue.hasPrefix("snapshot") ? "a snapshot" : "a model") and \(node.kind == .snapshot ? "a snapshot" : "a model"); ref('\(node.name)') would be ambiguous",
                                      at: SourceLocation(file: node.path, line: 1, column: 1)))
                continue
            }
            nodes[node.id] = node
            refable[node.id.package, default: [:]][key] = node.id
            // ref('m') without a version is the latest version
            if let v = node.version, v == node.latestVersion { refable[node.id.package, default: [:]][node.name] = node.id }
            bag.appendOnce(node.warnings)
        }
        for seed in project.seeds {
            guard let node = bag.capture({ try seedNode(seed, environment: environments[seed.package]) }) else { continue }
            if node.config["enabled"]?.asBool == false { disabled[node.name] = node.path; continue }
            nodes[node.id] = node
            if refable[node.id.package]?[seed.name] != nil {
                bag.append(Diagnostic(code: .seedNameClash, "seed '\(seed.name)' has the same name as a model; ref('\(seed.name)') would be ambiguous",
                                      at: SourceLocation(file: seed.path, line: 1, column: 1)))
            } else {
                refable[node.id.package, default: [:]][node.name] = node.id
            }
            bag.appendOnce(node.warnings)
        }
        var sourcesByKey: [String: [String: NodeID]] = [:]
        for table in project.sources {
            guard let node = bag.capture({ try sourceNode(table, environment: environments[table.package]) }) else { continue }
            nodes[node.id] = node
            sourcesByKey[node.id.package, default: [:]]["\(table.sourceName).\(table.tableName)"] = node.id
        }
        renderDescriptions(&nodes, environment: environment, bag: &bag)
        renderSeedHooks(&nodes, environments: environments, bag: &bag)
        for node in nodes.values {
            graph.add(node.graphNode)
        }

        // A source that names a seed's table (a seed loaded into a raw schema and read through `source()`) waits for
        // the seed, so a `build` on an empty database loads it first.
        let seedRelations = Dictionary(nodes.values.filter { $0.kind == .seed }.compactMap { n in n.relation.map { ($0, n.id) } }, uniquingKeysWith: { a, _ in a })
        for id in sourcesByKey.values.flatMap(\.values) {
            if let r = nodes[id]?.relation, let seed = seedRelations[r] { graph.add(Edge(from: seed, to: id, location: nil)) }
        }

        // 3. Static edges.
        let resolver = NameResolver(nodes: refable, sources: sourcesByKey, disabled: disabled, projectName: project.name,
                                    packages: Set(project.packages.map(\.name)))
        for pm in parsed where nodes[pm.id] != nil {
            let names = resolver.from(pm.package)
            for (ref, offset) in pm.staticRefs {
                let loc = pm.template.source.location(ofUTF8Offset: offset)
                if let up = bag.capture({ try names.ref(ref, at: loc) }) {
                    graph.add(Edge(from: up, to: pm.id, location: loc))
                }
            }
            for (s, t, offset) in pm.staticSources {
                let loc = pm.template.source.location(ofUTF8Offset: offset)
                if let up = bag.capture({ try names.source(s, t, at: loc) }) {
                    graph.add(Edge(from: up, to: pm.id, location: loc))
                }
            }
        }
        try barrier(bag)
        bag.capture { _ = try graph.topologicalOrder() }
        lap("graph")

        // 4. Render every model with real relations (in parallel), with dbt's `graph` of what is known now.
        environment.globals["graph"] = .object(graphObject(nodes: nodes, graph: graph))
        environments = packageEnvironments(environment)
        let enabled = parsed.filter { nodes[$0.id] != nil }
        let rendered = render(enabled, nodes: nodes, resolver: resolver, environments: environments)
        for (pm, result) in zip(enabled, rendered) {
            switch result {
            case .failure(let e):
                if let d = e as? DiagnosticError { bag.append(contentsOf: d.diagnostics) }
                else if let d = e as? Diagnostic { bag.append(d) }
                else { bag.append(Diagnostic(code: .unexpectedRenderError, "\(e)", at: SourceLocation(file: pm.file.path, line: 1, column: 1))) }
            case .success(let r):
                bag.appendOnce(r.text.warnings)
                nodes[pm.id]!.compiledSQL = r.text.text
                nodes[pm.id]!.sourceMap = r.text.sourceMap
                nodes[pm.id]!.macroDependencies = macroCatalog.ids(of: r.text.macros)
                // snapshots render like models; what the render found goes to the node's payload
                var settings = nodes[pm.id]!.buildSettings ?? BuildSettings()
                settings.preHooks = r.preHooks
                settings.postHooks = r.postHooks
                nodes[pm.id]!.buildSettings = settings
                nodes[pm.id]!.extensions = r.extensions
                nodes[pm.id]!.runTimeRender = r.runTimeRender
                if var model = nodes[pm.id]!.model {
                    model.loadsIncrementally = r.incremental
                    nodes[pm.id]!.model = model
                }
                // refs only known at render time (non-literal arguments) join the graph
                for (up, loc) in r.dynamicEdges { graph.add(Edge(from: up, to: pm.id, location: loc)) }
            }
        }
        try barrier(bag)
        compileTests(nodes: &nodes, graph: &graph, resolver: resolver, environments: environments, macros: macroCatalog, bag: &bag)
        compileUnitTests(nodes: &nodes, graph: &graph, resolver: resolver, environments: environments, bag: &bag)
        try barrier(bag)
        lap("render")
        // (a cycle is reported above when parsing; the order is then empty)
        let order = options.parseOnly ? ((try? graph.topologicalOrder()) ?? []) : try graph.topologicalOrder()

        // 5. Ephemeral models become CTEs in their dependents.
        bag.capture { try injectEphemeralCTEs(into: &nodes, order: order, graph: graph) }
        try barrier(bag)
        // 6. Project hooks, with dbt's `schemas` (every schema the project builds into) and `database`.
        let schemas = Array(Set(nodes.values.filter { [.model, .seed, .snapshot].contains($0.kind) && !$0.isEphemeral }
            .compactMap { $0.relation?.schema })).sorted()
        let hookGlobals: [String: Value] = ["schemas": .list(schemas.map { .string($0) }), "database": .string(options.target.database), "execute": .bool(options.executes)]
        // every package's hooks (in package-name order) before the root project's, each in its package's environment
        func renderHooks(_ hooks: (InstalledPackage) -> [Located<String>], _ own: [Located<String>], _ what: String) throws -> [String] {
            let all = project.packages.sorted { $0.name < $1.name }.flatMap { p in hooks(p).map { ($0, environments[p.name]) } }
                + own.map { ($0, environment) }
            return try all.map { h, environment in
                do {
                    return try Renderer.render(try Template(path: h.location?.file ?? project.projectFile, text: h.value), environment: environment, globals: hookGlobals).text
                } catch var d as Diagnostic {
                    if let l = h.location { d.location = l }
                    d.message = "in \(what): \(d.message)"
                    throw d
                }
            }
        }
        let onRunStart = bag.capture { try renderHooks(\.onRunStart, project.onRunStart, "on-run-start") } ?? []
        let onRunEnd = bag.capture { try renderHooks(\.onRunEnd, project.onRunEnd, "on-run-end") } ?? []
        try barrier(bag)
        lap("link")
        var compiled = CompiledProject(projectName: project.name, projectKind: project.kind, target: options.target, nodes: nodes, graph: graph,
                                       order: order, warnings: bag.diagnostics, timings: timings)
        compiled.onRunStart = onRunStart
        compiled.onRunEnd = onRunEnd
        compiled.macros = macroCatalog.entries
        // 7. Contracts: attached to the models and seeds they govern, with the edges foreign keys imply and their checks.
        bag.capture { try ContractResolver(project: project).attach(to: &compiled) }
        // when parsing, everything found in every stage
        try bag.throwIfErrors()
        return compiled
    }

    /// The end of a stage: its errors stop the compile, except when parsing, where the next stages go on with
    /// what did compile (and the errors are thrown together at the end).
    func barrier(_ bag: DiagnosticBag) throws {
        if !options.parseOnly { try bag.throwIfErrors() }
    }

    /// `barrier` for a stage with its own bag, whose problems join `problems` when parsing.
    func barrier(_ bag: inout DiagnosticBag, into problems: inout DiagnosticBag) throws {
        try barrier(bag)
        problems.append(contentsOf: bag.diagnostics)
        bag = DiagnosticBag()
    }

    /// `run-operation`: calls `macro` (`name` or `package.name`) with `arguments` as keyword arguments, with dbt's
    /// context (`graph` of `compiled`, `execute` true) and the database through `connection`. Returns what the macro
    /// rendered (dbt discards it; what it logs is printed as it renders).
    public func runOperation(_ macro: String, arguments: [String: ConfigValue], compiled: CompiledProject?,
                             connection: any WarehouseConnection) throws -> String {
        var bag = DiagnosticBag()
        var environment = try makeEnvironment(problems: &bag)
        try bag.throwIfErrors()
        let parts = macro.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } }) else {
            throw Diagnostic(code: .unknownOperation, "run-operation: '\(macro)' is not a macro name (name, or package.name)")
        }
        let known = parts.count == 1 ? environment.macros[macro] != nil || environment.fallbackGlobals[macro] != nil
            : environment.namespacedMacros[parts[0]]?[parts[1]] != nil
        guard known else {
            let candidates = parts.count == 1 ? Array(environment.macros.keys) : (environment.namespacedMacros[parts[0]]?.keys).map(Array.init) ?? []
            var msg = "run-operation: there is no macro '\(macro)'"
            if let s = Suggestion.closest(to: parts.last!, in: candidates) { msg += "; did you mean '\(parts.count == 2 ? parts[0] + "." : "")\(s)'?" }
            throw Diagnostic(code: .unknownOperation, msg)
        }
        if let compiled { environment.globals["graph"] = .object(graphObject(nodes: compiled.nodes, graph: compiled.graph)) }
        var globals: [String: Value] = ["__strata_arguments": .dict(arguments.sorted { $0.key < $1.key }.map { ($0.key, Value($0.value)) }),
                                        "execute": .bool(true)]
        globals.merge(databaseGlobals(DatabaseContext(connection: connection, onQuery: {}), environment: environment)) { $1 }
        let template = try Template(path: "<run-operation>", text: "{{ \(macro)(**__strata_arguments) }}")
        return try Renderer.render(template, environment: environment, globals: globals).text
    }

    /// dbt's `graph` context variable over the nodes known before rendering.
    func graphObject(nodes: [NodeID: CompiledNode], graph: Graph) -> GraphObject {
        GraphObject {
            var byKind: [String: [(String, Value)]] = [:]
            for id in nodes.keys.sorted() {
                let node = nodes[id]!
                let key = node.kind == .source ? "sources" : node.kind == .exposure ? "exposures" : "nodes"
                let entry = node.manifestEntry(dependsOn: (graph.parents[id] ?? []).sorted())
                byKind[key, default: []].append((id.rawValue, Value(entry)))
            }
            var members: [String: Value] = [:]
            for key in ["nodes", "sources", "exposures", "metrics", "groups", "semantic_models", "saved_queries", "unit_tests"] {
                members[key] = .dict(byKind[key] ?? [])
            }
            return members
        }
    }

    // MARK: parsing

    func parseModels(environments: Environments, bag: inout DiagnosticBag) -> [ParsedModel] {
        let files = project.models
        let results = files.concurrentMap { f in Result { try parseModel(f, environment: environments[f.package]) } }
        var out: [ParsedModel] = []
        for (f, r) in zip(files, results) {
            switch r {
            case .success(let pm): out.append(pm)
            case .failure(let e):
                _ = bag.capture { throw e }
                // the model stays in the graph, empty, so that refs to it do not add "does not match" errors
                if let empty = try? Template(path: f.path, text: ""), let pm = try? parseModel(f, environment: environments[f.package], template: empty) {
                    out.append(pm)
                }
            }
        }
        return out
    }

    /// Snapshot files: each holds one `{% snapshot name %}` block, rendered like a model. YAML snapshots become
    /// `select * from <relation>`, with the relation placed at its YAML line and column (the padding sits in a
    /// Jinja comment), so errors about it point into the YAML file.
    func parseSnapshots(environments: Environments, bag: inout DiagnosticBag) -> [ParsedModel] {
        let fromYAML: [ParsedModel] = project.yamlSnapshots.compactMap { y in
            bag.capture {
                let l = y.relationLocation
                var text = "select * from "
                if l.column >= 6 {
                    text += "{#" + String(repeating: "\n", count: max(0, l.line - 1)) + String(repeating: " ", count: l.column - 6) + "#}"
                }
                text += "{{ \(y.relation) }}"
                let template = try Template(path: l.file, text: text)
                var file = ModelFile(name: y.name, path: l.file, pathInModels: y.name + ".yml", rawSQL: text)
                file.package = y.package
                var pm = try parseModel(file, environment: environments[y.package], template: template)
                pm.kind = .snapshot
                pm.id = NodeID("snapshot.\(y.package ?? project.name).\(y.name)")
                pm.config = y.config
                return pm
            }
        }
        return fromYAML + project.snapshotFiles.compactMap { f in
            bag.capture {
                let template = try Template(path: f.path, text: f.text, stripFile: true)
                let blocks = template.snapshotBlocks
                guard blocks.count == 1 else {
                    throw Diagnostic(code: .snapshotBlocks, blocks.isEmpty ? "\(f.path) has no {% snapshot name %} block" : "\(f.path) defines \(blocks.count) snapshots; put each in its own file",
                                     at: template.source.location(ofUTF8Offset: blocks.dropFirst().first?.offset ?? 0))
                }
                let folder = (project.package(named: f.package)?.paths ?? project.paths).snapshots.first { f.path.hasPrefix($0 + "/") } ?? ""
                var file = ModelFile(name: blocks[0].name, path: f.path, pathInModels: String(f.path.dropFirst(folder.isEmpty ? 0 : folder.count + 1)), rawSQL: f.text)
                file.package = f.package
                var pm = try parseModel(file, environment: environments[f.package], template: template)
                pm.kind = .snapshot
                pm.id = NodeID("snapshot.\(f.package ?? project.name).\(file.name)")
                return pm
            }
        }
    }

    func parseModel(_ file: ModelFile, environment: Environment, template parsed: Template? = nil) throws -> ParsedModel {
        let template = try parsed ?? Template(path: file.path, text: file.rawSQL, stripFile: true)
        var refs: [(ref: RefName, offset: Int)] = [], sources: [(String, String, Int)] = [], config: [ConfigEntry] = []
        let source = template.source
        for call in template.calls(named: ["ref", "source", "config"]) {
            let loc = source.location(ofUTF8Offset: call.offset)
            switch call.name {
            case "ref":
                // ref('name') or ref('package', 'name'); non-literal arguments resolve at render time
                if let args = call.literalStrings, (1...2).contains(args.count) { refs.append((RefName(literal: args, version: call.literalKeyword("v") ?? call.literalKeyword("version")), call.offset)) }
            case "source":
                if let args = call.literalStrings {
                    guard args.count == 2 else { throw Diagnostic(code: .unknownSource, "source() takes a source name and a table name", at: loc) }
                    sources.append((args[0], args[1], call.offset))
                }
            default:
                // config(...) is evaluated now, so the model's name and schema are known before rendering
                let globals = staticGlobals()
                for (key, expr) in call.keyword {
                    if let v = try? Renderer.evaluate(expr, of: template, environment: environment, globals: globals) {
                        config.append(ConfigEntry(key, v.configValue, at: source.location(ofUTF8Offset: expr.offset)))
                    }
                }
                if let first = call.positional.first, let v = try? Renderer.evaluate(first, of: template, environment: environment, globals: globals), case .dict(let d) = v {
                    for (k, val) in d.pairs { config.append(ConfigEntry(k, val.configValue, at: loc)) }
                }
            }
        }
        let id = NodeID.model(file.package ?? project.name, file.name + (file.version.map { ".v\($0)" } ?? ""))
        return ParsedModel(file: file, template: template, id: id, config: config, staticRefs: refs, staticSources: sources)
    }

    /// Descriptions that use Jinja — dbt's `{{ doc('name') }}` above all — rendered once, with the docs blocks.
    func renderDescriptions(_ nodes: inout [NodeID: CompiledNode], environment: Environment, bag: inout DiagnosticBag) {
        let blocks = project.docBlocks
        let globals: [String: Value] = ["doc": .function(Function("doc") { args, site in
            guard let name = args.positional.last?.asString else { throw site.error("doc() needs the name of a docs block", code: .unknownDocsBlock) }
            if let block = blocks[name] { return .string(block.value) }
            var msg = "doc('\(name)') names no docs block"
            if let s = Suggestion.closest(to: name, in: blocks.keys) { msg += "; did you mean '\(s)'?" }
            throw site.error(msg + " ({% docs \(name) %}…{% enddocs %} in a .md file under the model or macro paths)", code: .unknownDocsBlock)
        })]
        func render(_ text: String, at location: SourceLocation) throws -> String {
            guard text.contains("{{") || text.contains("{%") else { return text }
            do {
                return try Renderer.render(try Template(path: location.file, text: text), environment: environment, globals: globals).text
            } catch var d as Diagnostic {
                d.location = location
                throw d
            }
        }
        for id in nodes.keys.sorted() {
            let node = nodes[id]!
            let at = SourceLocation(file: node.path, line: 1, column: 1)
            if let d = bag.capture({ try render(node.description, at: at) }) { nodes[id]!.description = d }
            for (i, c) in node.columns.enumerated() {
                if let d = bag.capture({ try render(c.description, at: c.location ?? at) }) { nodes[id]!.columns[i].description = d }
            }
        }
    }

    func staticGlobals() -> [String: Value] {
        ["config": .function(Function("config") { _, _ in .string("") }), "execute": .bool(false)]
    }
}
