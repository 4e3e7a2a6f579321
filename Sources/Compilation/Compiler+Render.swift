import Foundation
import Basics
import DependencyGraph
import ProjectModel
import Templating
import Warehouse

extension Compiler {
    struct RenderOutput {
        var text: RenderedText
        var dynamicEdges: [(NodeID, SourceLocation)]
        var extensions: Set<String>
        var incremental: Bool
        var preHooks: [String] = []
        var postHooks: [String] = []
        var runTimeRender: RunTimeRender? = nil
    }

    func render(_ models: [ParsedModel], nodes: [NodeID: CompiledNode], resolver: NameResolver, environments: Environments) -> [Result<RenderOutput, Error>] {
        models.concurrentMap { m in Result { try renderModel(m, nodes: nodes, resolver: resolver.from(m.package), environment: environments[m.package]) } }
    }

    /// The project's `quoting:` as the quote policy of the relations nodes render.
    var quotePolicy: RelationObject.Policy {
        RelationObject.Policy(database: project.quoting.database, schema: project.quoting.schema, identifier: project.quoting.identifier)
    }

    func relationObject(_ node: CompiledNode) -> RelationObject {
        if node.isEphemeral { return .ephemeral(node.name) }
        guard let relation = node.writtenRelation ?? node.relation else { return RelationObject(path: .init(identifier: node.name)) }
        return RelationObject(relation, quote: quotePolicy)
    }

    /// What `ref()` to `node` is: its relation, or the state's under `--defer`.
    func referencedRelation(_ node: CompiledNode) -> RelationObject {
        if let deferred = options.deferredRelations[node.id] { return RelationObject(deferred, quote: quotePolicy, empty: options.empty) }
        let relation = relationObject(node)
        guard options.empty, !node.isEphemeral, let r = node.writtenRelation ?? node.relation else { return relation }
        return RelationObject(r, quote: quotePolicy, empty: true)
    }

    /// The context a model renders in: `this`, `ref`/`source` (recorded for the graph), `config`, `is_incremental`,
    /// `model`, and, with a database, the members that ask it (each question noted in `recorder`).
    func modelGlobals(_ pm: ParsedModel, _ me: CompiledNode, nodes: [NodeID: CompiledNode], resolver: NameResolver, environment: Environment,
                      recorder: RenderRecorder, connection: (any WarehouseConnection)?) -> (globals: [String: Value], incremental: Bool) {
        let staticUpstream = Set(pm.staticRefs.map(\.ref))
        let nodeConfig = me.config
        let isMicrobatch: Bool
        if case .microbatch? = me.model?.materialization { isMicrobatch = true } else { isMicrobatch = false }
        /// In a microbatch model, refs to nodes with an event_time are filtered to the batch (dbt 1.9).
        @Sendable func related(_ id: NodeID) -> RelationObject {
            let node = nodes[id]!
            if isMicrobatch, let column = node.config["event_time"]?.asString, let relation = options.deferredRelations[id] ?? node.writtenRelation ?? node.relation {
                return RelationObject(relation, quote: quotePolicy, eventTimeFilter: column, empty: options.empty)
            }
            return referencedRelation(node)
        }
        var globals = refAndSource(resolver: resolver, ref: { id, ref, site in
            if !staticUpstream.contains(ref) { recorder.update { $0.refs.append((ref, site.offset)) } }
            return .object(related(id))
        }, source: { id, s, t, site in
            recorder.update { $0.sources.append((s, t, site.offset)) }
            return .object(referencedRelation(nodes[id]!))
        })
        let get = Function("get") { args, _ in
            guard let key = args.argument(0, "name")?.asString else { return .none }
            return nodeConfig[key].map(Value.init) ?? args.argument(1, "default") ?? .none
        }
        let require = Function("require") { args, site in
            guard let key = args.argument(0, "name")?.asString, let v = nodeConfig[key] else {
                throw site.error("config '\(args.positional.first?.stringValue ?? "")' is required for model '\(me.name)' but not set", code: .requiredConfigMissing)
            }
            return Value(v)
        }
        globals["config"] = .function(Function("config", attributes: ["get": .function(get), "require": .function(require)]) { _, _ in .string("") })
        globals["this"] = .object(relationObject(me))
        // dbt: a model's `full_refresh` config, when set, wins over --full-refresh
        let fullRefresh = nodeConfig["full_refresh"]?.asBool ?? options.fullRefresh
        let incremental = me.model?.materialization.isIncremental == true && !fullRefresh
            && (me.relation.map { options.existingTables?.contains($0) ?? false } ?? false)
        globals["is_incremental"] = .function(Function("is_incremental") { _, _ in .bool(incremental) })
        globals["should_full_refresh"] = .function(Function("should_full_refresh") { _, _ in .bool(fullRefresh) })
        globals["execute"] = .bool(options.executes)
        globals["model"] = nodeValue(name: me.name, kind: .model, path: me.path, config: nodeConfig, package: pm.package)
        globals.merge(dbtContext()
            .surrogateKeyGlobals(onUUID: { recorder.update { $0.extensions.insert("uuid-ossp") } })) { $1 }
        if let connection {
            globals.merge(databaseGlobals(DatabaseContext(connection: connection, onQuery: { recorder.update { $0.queriedDatabase = true } }),
                                          environment: environment)) { $1 }
        }
        return (globals, incremental)
    }

    /// `adapter` and the statement members over one render's database context.
    func databaseGlobals(_ database: DatabaseContext, environment: Environment) -> [String: Value] {
        var g = database.statementGlobals()
        g["adapter"] = dbtContext().adapter(macros: { environment }, database: database)
        return g
    }

    func renderModel(_ pm: ParsedModel, nodes: [NodeID: CompiledNode], resolver: NameResolver, environment: Environment) throws -> RenderOutput {
        let me = nodes[pm.id]!
        let source = pm.template.source
        let recorder = RenderRecorder()
        let (globals, incremental) = modelGlobals(pm, me, nodes: nodes, resolver: resolver, environment: environment, recorder: recorder, connection: options.connection)
        let text: RenderedText
        do {
            text = try renderSQL(pm, me, environment: environment, globals: globals, recorder: recorder)
        } catch where options.rendersAgainWhenBuilt && recorder.queriedDatabase {
            // left to the build: its upstream may create what the render asked for
            text = RenderedText(text: "", sourceMap: SourceMap())
        }
        var edges: [(NodeID, SourceLocation)] = []
        for (ref, offset) in recorder.refs {
            let loc = source.location(ofUTF8Offset: offset)
            edges.append((try resolver.ref(ref, at: loc), loc))
        }
        for (s, t, offset) in recorder.sources {
            let loc = source.location(ofUTF8Offset: offset)
            edges.append((try resolver.source(s, t, at: loc), loc))
        }
        var output = RenderOutput(text: text, dynamicEdges: edges, extensions: recorder.extensions, incremental: incremental)
        // Hooks are rendered when the node is built, as dbt renders them (they may call the adapter); those without
        // Jinja are plain SQL now. A model whose SQL asked the database renders again then too, on the build's
        // connection, seeing what its upstream builds changed.
        let hooks = try hookTemplates(of: me)
        output.preHooks = hooks.pre.compactMap(\.plain)
        output.postHooks = hooks.post.compactMap(\.plain)
        let sqlAtRunTime = recorder.queriedDatabase
        if sqlAtRunTime || hooks.templated {
            output.runTimeRender = RunTimeRender(rendersSQL: sqlAtRunTime, rendersHooks: hooks.templated) { [self] part, connection in
                let again = RenderRecorder()
                let (globals, _) = modelGlobals(pm, me, nodes: nodes, resolver: resolver, environment: environment, recorder: again, connection: connection)
                switch part {
                case .sql: return [try renderSQL(pm, me, environment: environment, globals: globals, recorder: again).text]
                case .preHooks: return try render(hooks.pre, of: me, environment: environment, globals: globals)
                case .postHooks: return try render(hooks.post, of: me, environment: environment, globals: globals)
                }
            }
        }
        return output
    }

    /// The model's SQL: its template rendered, with the surrogate-key column when configured.
    func renderSQL(_ pm: ParsedModel, _ me: CompiledNode, environment: Environment, globals: [String: Value], recorder: RenderRecorder) throws -> RenderedText {
        let text = try Renderer.render(pm.template, environment: environment, globals: globals)
        guard let spec = me.config["surrogate_key"] else { return text }
        var keyed = try addSurrogateKey(spec, to: text, node: me, onUUID: { recorder.update { $0.extensions.insert("uuid-ossp") } })
        keyed.macros = text.macros
        return keyed
    }

    /// One `pre_hook`/`post_hook` entry: plain SQL, or a template rendered when the node is built.
    struct HookTemplate: Sendable {
        var plain: String?
        var template: Template?
        var location: SourceLocation?
        var key: String
    }

    /// A node's hooks (merged from the project down), parsed now so template errors are located at compile time.
    func hookTemplates(of node: CompiledNode) throws -> (pre: [HookTemplate], post: [HookTemplate], templated: Bool) {
        func parse(_ key: String) throws -> [HookTemplate] {
            try (node.config[key]?.asList ?? []).compactMap { item -> HookTemplate? in
                guard case .dict(let entries) = item, let e = entries.first(where: { $0.key == "sql" }), let sql = e.value.asString else { return nil }
                guard sql.contains("{{") || sql.contains("{%") || sql.contains("{#") else { return HookTemplate(plain: sql, location: e.location, key: key) }
                do {
                    return HookTemplate(template: try Template(path: e.location?.file ?? node.path, text: sql), location: e.location, key: key)
                } catch var d as Diagnostic {
                    throw Self.hookDiagnostic(&d, e.location, key, node)
                }
            }
        }
        let pre = try parse("pre_hook"), post = try parse("post_hook")
        return (pre, post, (pre + post).contains { $0.template != nil })
    }

    /// Renders hooks with `globals` (the node's context, on the build's connection).
    func render(_ hooks: [HookTemplate], of node: CompiledNode, environment: Environment, globals: [String: Value]) throws -> [String] {
        try hooks.map { h in
            guard let template = h.template else { return h.plain ?? "" }
            do {
                return try Renderer.render(template, environment: environment, globals: globals).text
            } catch var d as Diagnostic {
                throw Self.hookDiagnostic(&d, h.location, h.key, node)
            }
        }
    }

    static func hookDiagnostic(_ d: inout Diagnostic, _ location: SourceLocation?, _ key: String, _ node: CompiledNode) -> Diagnostic {
        if let location { d.location = location }
        d.message = "in \(key.replacingOccurrences(of: "_", with: "-")) of '\(node.name)': \(d.message)"
        return d
    }

    /// Seeds are not rendered, but their hooks are, when the seed is loaded: with `this` and the project's context.
    func renderSeedHooks(_ nodes: inout [NodeID: CompiledNode], environments: Environments, bag: inout DiagnosticBag) {
        for id in nodes.keys.sorted() where nodes[id]!.kind == .seed {
            let node = nodes[id]!
            let environment = environments[id.package]
            guard node.config["pre_hook"] != nil || node.config["post_hook"] != nil, var settings = node.buildSettings,
                  let hooks = bag.capture({ try hookTemplates(of: node) }) else { continue }
            settings.preHooks = hooks.pre.compactMap(\.plain)
            settings.postHooks = hooks.post.compactMap(\.plain)
            nodes[id]!.buildSettings = settings
            guard hooks.templated else { continue }
            nodes[id]!.runTimeRender = RunTimeRender(rendersSQL: false, rendersHooks: true) { [self] part, connection in
                var globals: [String: Value] = ["this": .object(relationObject(node)), "execute": .bool(options.executes),
                                                "model": nodeValue(name: node.name, kind: .seed, path: node.path, config: node.config, package: id.package)]
                globals.merge(databaseGlobals(DatabaseContext(connection: connection, onQuery: {}), environment: environment)) { $1 }
                return try render(part == .preHooks ? hooks.pre : hooks.post, of: node, environment: environment, globals: globals)
            }
        }
    }
}

extension Compiler {
    /// `surrogate_key: {name: customer_sk, columns: [...], kind: md5|uuid5}` on a table or incremental model:
    /// the model's query is wrapped to add the key column, computed exactly as `surrogate_key([...])` renders it.
    func addSurrogateKey(_ spec: ConfigValue, to rendered: RenderedText, node: CompiledNode, onUUID: @escaping @Sendable () -> Void) throws -> RenderedText {
        let at = SourceLocation(file: node.path, line: 1, column: 1)
        guard let m = node.model?.materialization, m == .table || m.isIncremental else {
            throw Diagnostic(code: .invalidSurrogateKeyConfig, "the surrogate_key config adds a column to table and incremental models; '\(node.name)' is a \(node.materializationName)", at: at)
        }
        guard let name = spec["name"]?.asString, !name.isEmpty, let columns = spec["columns"]?.asList, !columns.isEmpty,
              columns.allSatisfy({ $0.asString != nil }) else {
            throw Diagnostic(code: .invalidSurrogateKeyConfig, "surrogate_key for '\(node.name)' needs {name: <column>, columns: [<column>, …], kind: md5|uuid5}", at: at)
        }
        var arguments = Arguments([.list(columns.map { Value($0) })])
        if let kind = spec["kind"]?.asString { arguments.keyword = [("kind", .string(kind))] }
        let function = dbtContext().surrogateKey(onUUID: onUUID)
        let template = try Template(path: node.path, text: "{{ key(*args, **kwargs) }}")
        let expression: String
        do {
            expression = try Renderer.render(template, environment: Environment(), globals: [
                "key": .function(function), "args": .list(arguments.positional), "kwargs": .dict(arguments.keyword),
            ]).text
        } catch var d as Diagnostic {
            d.location = at
            throw d
        }
        let prefix = "select *, \(expression) as \(SQLDialect.postgres.quote(name)) from (\n"
        return RenderedText(text: prefix + rendered.text + "\n) as __strata_surrogate_key",
                            sourceMap: rendered.sourceMap.inserting(length: prefix.utf8.count, at: 0))
    }
}
