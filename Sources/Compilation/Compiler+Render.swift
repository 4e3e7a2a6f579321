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
    }

    func render(_ models: [ParsedModel], nodes: [NodeID: CompiledNode], resolver: NameResolver, environment: Environment) -> [Result<RenderOutput, Error>] {
        models.concurrentMap { m in Result { try renderModel(m, nodes: nodes, resolver: resolver, environment: environment) } }
    }

    func relationObject(_ node: CompiledNode) -> RelationObject {
        if node.isEphemeral {
            return RelationObject(relation: nil, cteName: "__dbt__cte__\(node.name)", materialization: "ephemeral")
        }
        return RelationObject(relation: node.relation, materialization: node.materializationName)
    }

    func renderModel(_ pm: ParsedModel, nodes: [NodeID: CompiledNode], resolver: NameResolver, environment: Environment) throws -> RenderOutput {
        let me = nodes[pm.id]!
        let source = pm.template.source
        let staticUpstream = Set(pm.staticRefs.map(\.0))
        let recorder = RenderRecorder()
        let nodeConfig = me.config
        let isMicrobatch: Bool
        if case .microbatch? = me.model?.materialization { isMicrobatch = true } else { isMicrobatch = false }
        /// In a microbatch model, refs to nodes with an event_time are filtered to the batch (dbt 1.9).
        @Sendable func related(_ id: NodeID) -> RelationObject {
            let node = nodes[id]!
            if isMicrobatch, let column = node.config["event_time"]?.asString {
                return RelationObject(relation: node.relation, materialization: node.materializationName, eventTimeFilter: column)
            }
            return relationObject(node)
        }
        var globals = refAndSource(resolver: resolver, ref: { id, name, site in
            if !staticUpstream.contains(name) { recorder.update { $0.refs.append((name, site.offset)) } }
            return .object(related(id))
        }, source: { id, s, t, site in
            recorder.update { $0.sources.append((s, t, site.offset)) }
            return .object(relationObject(nodes[id]!))
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
        globals["execute"] = .bool(true)
        globals["model"] = nodeValue(name: me.name, kind: .model, path: me.path, config: nodeConfig)
        globals.merge(dbtContext()
            .surrogateKeyGlobals(onUUID: { recorder.update { $0.extensions.insert("uuid-ossp") } })) { $1 }

        var text = try Renderer.render(pm.template, environment: environment, globals: globals)
        if let spec = nodeConfig["surrogate_key"] {
            text = try addSurrogateKey(spec, to: text, node: me, onUUID: { recorder.update { $0.extensions.insert("uuid-ossp") } })
        }
        var edges: [(NodeID, SourceLocation)] = []
        for (name, offset) in recorder.refs {
            let loc = source.location(ofUTF8Offset: offset)
            edges.append((try resolver.ref(name, at: loc), loc))
        }
        for (s, t, offset) in recorder.sources {
            let loc = source.location(ofUTF8Offset: offset)
            edges.append((try resolver.source(s, t, at: loc), loc))
        }
        // hooks render in the model's context (`this`, config, vars, macros), after the model
        return RenderOutput(text: text, dynamicEdges: edges, extensions: recorder.extensions, incremental: incremental,
                            preHooks: try renderHooks("pre_hook", of: me, environment: environment, globals: globals),
                            postHooks: try renderHooks("post_hook", of: me, environment: environment, globals: globals))
    }

    /// A node's `pre_hook` or `post_hook` SQL (merged from the project down), rendered with `globals`.
    func renderHooks(_ key: String, of node: CompiledNode, environment: Environment, globals: [String: Value]) throws -> [String] {
        try (node.config[key]?.asList ?? []).compactMap { item -> String? in
            guard case .dict(let entries) = item, let e = entries.first(where: { $0.key == "sql" }), let sql = e.value.asString else { return nil }
            do {
                let template = try Template(path: e.location?.file ?? node.path, text: sql)
                return try Renderer.render(template, environment: environment, globals: globals).text
            } catch var d as Diagnostic {
                if let l = e.location { d.location = l }
                d.message = "in \(key.replacingOccurrences(of: "_", with: "-")) of '\(node.name)': \(d.message)"
                throw d
            }
        }
    }

    /// Seeds are not rendered, but their hooks are: with `this` and the project's context.
    func renderSeedHooks(_ nodes: inout [NodeID: CompiledNode], environment: Environment, bag: inout DiagnosticBag) {
        for id in nodes.keys.sorted() where nodes[id]!.kind == .seed {
            let node = nodes[id]!
            guard node.config["pre_hook"] != nil || node.config["post_hook"] != nil, var settings = node.buildSettings else { continue }
            let globals: [String: Value] = ["this": .object(relationObject(node)), "execute": .bool(true),
                                            "model": nodeValue(name: node.name, kind: .seed, path: node.path, config: node.config)]
            bag.capture {
                settings.preHooks = try renderHooks("pre_hook", of: node, environment: environment, globals: globals)
                settings.postHooks = try renderHooks("post_hook", of: node, environment: environment, globals: globals)
                nodes[id]!.buildSettings = settings
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
