import Foundation
import Basics
import DependencyGraph
import ProjectModel
import Templating

extension Compiler {
    struct RenderOutput {
        var text: RenderedText
        var dynamicEdges: [(NodeID, SourceLocation)]
        var extensions: Set<String>
        var incremental: Bool
    }

    func render(_ models: [ParsedModel], nodes: [NodeID: CompiledNode], resolver: NameResolver, environment: Environment) -> [Result<RenderOutput, Error>] {
        models.concurrentMap { m in Result { try renderModel(m, nodes: nodes, resolver: resolver, environment: environment) } }
    }

    func relationObject(_ node: CompiledNode) -> RelationObject {
        if node.materialization == .ephemeral {
            return RelationObject(relation: nil, cteName: "__dbt__cte__\(node.name)", materialization: .ephemeral)
        }
        return RelationObject(relation: node.relation, materialization: node.materialization)
    }

    func renderModel(_ pm: ParsedModel, nodes: [NodeID: CompiledNode], resolver: NameResolver, environment: Environment) throws -> RenderOutput {
        let me = nodes[pm.id]!
        let source = pm.template.source
        let staticUpstream = Set(pm.staticRefs.map(\.0))
        let recorder = RenderRecorder()
        let nodeConfig = me.config
        var globals: [String: Value] = [:]
        globals["ref"] = .function(Function("ref") { args, site in
            let names = args.positional.compactMap(\.asString)
            guard names.count == args.positional.count, (1...2).contains(names.count) else {
                throw site.error("ref() takes a model name, or a package and a model name", code: "C2003")
            }
            let id = try resolver.ref(names.last!, package: names.count == 2 ? names[0] : nil, at: site.location)
            if !staticUpstream.contains(names.last!) {
                recorder.refs.append((names.last!, site.offset))
            }
            return .object(relationObject(nodes[id]!))
        })
        globals["source"] = .function(Function("source") { args, site in
            guard let s = args.argument(0, "source_name")?.asString, let t = args.argument(1, "table_name")?.asString else {
                throw site.error("source() takes a source name and a table name", code: "C2004")
            }
            let id = try resolver.source(s, t, at: site.location)
            recorder.sources.append((s, t, site.offset))
            return .object(relationObject(nodes[id]!))
        })
        let get = Function("get") { args, _ in
            guard let key = args.argument(0, "name")?.asString else { return .none }
            return nodeConfig[key].map(Value.init) ?? args.argument(1, "default") ?? .none
        }
        let require = Function("require") { args, site in
            guard let key = args.argument(0, "name")?.asString, let v = nodeConfig[key] else {
                throw site.error("config '\(args.positional.first?.stringValue ?? "")' is required for model '\(me.name)' but not set", code: "C2006")
            }
            return Value(v)
        }
        globals["config"] = .function(Function("config", attributes: ["get": .function(get), "require": .function(require)]) { _, _ in .string("") })
        globals["this"] = .object(relationObject(me))
        // dbt: a model's `full_refresh` config, when set, wins over --full-refresh
        let fullRefresh = nodeConfig["full_refresh"]?.asBool ?? options.fullRefresh
        let incremental = me.materialization == .incremental && !fullRefresh
            && (me.relation.map { options.existingTables?.contains($0) ?? false } ?? false)
        globals["is_incremental"] = .function(Function("is_incremental") { _, _ in .bool(incremental) })
        globals["execute"] = .bool(true)
        globals["model"] = nodeValue(name: me.name, kind: .model, path: me.path, config: nodeConfig)
        globals.merge(DbtContext(options: options, vars: project.vars.merging(options.vars) { $1 })
            .surrogateKeyGlobals(onUUID: { recorder.extensions.insert("uuid-ossp") })) { $1 }

        let text = try Renderer.render(pm.template, environment: environment, globals: globals)
        var edges: [(NodeID, SourceLocation)] = []
        for (name, offset) in recorder.refs {
            let loc = source.location(ofUTF8Offset: offset)
            edges.append((try resolver.ref(name, at: loc), loc))
        }
        for (s, t, offset) in recorder.sources {
            let loc = source.location(ofUTF8Offset: offset)
            edges.append((try resolver.source(s, t, at: loc), loc))
        }
        return RenderOutput(text: text, dynamicEdges: edges, extensions: recorder.extensions, incremental: incremental)
    }
}
