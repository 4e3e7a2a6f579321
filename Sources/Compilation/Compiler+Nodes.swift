import Foundation
import Basics
import DependencyGraph
import ProjectModel
import Templating

extension Compiler {
    static let materializations = ["view", "table", "ephemeral", "incremental"]

    static let hookKeys = ["pre_hook": "pre_hook", "pre-hook": "pre_hook", "post_hook": "post_hook", "post-hook": "post_hook"]

    /// Merges configs in precedence order; `tags` accumulate as in dbt.
    func merge(_ layers: [[ConfigEntry]]) -> (values: [String: ConfigValue], locations: [String: SourceLocation]) {
        var values: [String: ConfigValue] = [:]
        var locations: [String: SourceLocation] = [:]
        var tags: [String] = []
        var hooks: [String: [ConfigValue]] = [:]
        for layer in layers {
            for e in layer {
                if e.key == "tags" {
                    for t in e.value.stringList where !tags.contains(t) { tags.append(t) }
                    continue
                }
                // hooks accumulate from the project down to the model, as in dbt; each keeps where it was written
                if let hook = Self.hookKeys[e.key] {
                    let items: [ConfigValue] = e.value.asList ?? [e.value]
                    for item in items {
                        let sql = item.asString ?? item["sql"]?.asString
                        guard let sql, !sql.trimmedWhitespace.isEmpty else { continue }
                        hooks[hook, default: []].append(.dict([ConfigEntry("sql", .string(sql), at: e.location)]))
                    }
                    if let l = e.location { locations[hook] = l }
                    continue
                }
                values[e.key] = e.value
                if let l = e.location { locations[e.key] = l }
            }
        }
        if !tags.isEmpty { values["tags"] = .list(tags.map { .string($0) }) }
        for (k, v) in hooks { values[k] = .list(v) }
        return (values, locations)
    }

    func folderPath(_ pathInFolder: String, name: String) -> [String] {
        [project.name] + pathInFolder.split(separator: "/").dropLast().map(String.init) + [name]
    }

    /// Renders `{{ … }}` in YAML config values (dbt renders them with var, env_var, target and macros).
    func rendered(_ entries: [ConfigEntry], environment: Environment) throws -> [ConfigEntry] {
        try entries.map { e in
            // hooks are SQL rendered when they run (they use `this`), not when configs are read
            guard !e.key.contains("hook"), case .string(let text) = e.value, text.contains("{{") || text.contains("{%") else { return e }
            do {
                let t = try Template(path: e.location?.file ?? "config", text: text)
                return ConfigEntry(e.key, try Renderer.evaluate(t, environment: environment).configValue, at: e.location)
            } catch var d as Diagnostic {
                // positions inside the value are relative to it; point at the YAML key instead
                d.location = e.location ?? d.location
                d.message = "in config '\(e.key)': \(d.message)"
                throw d
            }
        }
    }

    func modelNode(_ pm: ParsedModel, environment: Environment) throws -> CompiledNode {
        if pm.kind == .snapshot { return try snapshotNode(pm, environment: environment) }
        let file = pm.file
        let (config, locations) = merge([
            try rendered(project.modelConfigs.resolve(along: folderPath(file.pathInModels, name: file.name)), environment: environment),
            try rendered(file.properties?.config ?? [], environment: environment),
            pm.config,
        ])
        let materializedText = config["materialized"]?.asString ?? "view"
        guard let mat = Materialization(rawValue: materializedText), Self.materializations.contains(materializedText) else {
            var msg = "unknown materialization '\(materializedText)' for model '\(file.name)'"
            if let s = Suggestion.closest(to: materializedText, in: Self.materializations) { msg += "; did you mean '\(s)'?" }
            else { msg += " (expected one of: \(Self.materializations.joined(separator: ", ")))" }
            throw Diagnostic(code: "C3001", msg, at: locations["materialized"] ?? SourceLocation(file: file.path, line: 1, column: 1))
        }
        var values = config
        values["materialized"] = .string(materializedText)
        if mat == .incremental {
            let allowed: [(String, [String])] = [("incremental_strategy", ["append", "merge", "delete+insert", "microbatch"]),
                                                 ("on_schema_change", ["ignore", "fail", "append_new_columns", "sync_all_columns"])]
            for (key, options) in allowed {
                guard let v = config[key] else { continue }
                guard let text = v.asString, options.contains(text) else {
                    var msg = "\(key) '\(v.asString ?? "\(v)")' for model '\(file.name)' is not one of \(options.joined(separator: ", "))"
                    if let s = v.asString.flatMap({ Suggestion.closest(to: $0, in: options) }) { msg += "; did you mean '\(s)'?" }
                    throw Diagnostic(code: "C3002", msg, at: locations[key] ?? SourceLocation(file: file.path, line: 1, column: 1))
                }
            }
        }
        let node = environment.macros["generate_schema_name"] != nil || environment.macros["generate_alias_name"] != nil
            ? nodeValue(name: file.name, kind: .model, path: file.path, config: values) : .none
        var relation: Relation?
        if mat != .ephemeral {
            let schema = try schemaName(custom: config["schema"]?.asString, node: node, environment: environment, location: locations["schema"])
            let alias = try aliasName(custom: config["alias"]?.asString, name: file.name, node: node, environment: environment)
            relation = Relation(database: config["database"]?.asString ?? options.target.database, schema: schema, identifier: alias)
        }
        let compiledPath = "\(project.name)/\(file.path)"
        let compiled = CompiledNode(id: pm.id, kind: .model, name: file.name, path: file.path, config: values, materialization: mat,
                            tags: values["tags"]?.stringList ?? [], relation: relation, dependsOn: [], rawSQL: file.rawSQL,
                            compiledSQL: nil, sourceMap: nil, description: file.properties?.description ?? "",
                            columns: file.properties?.columns ?? [], checksum: SHA256.hex(file.rawSQL.trimmedWhitespace),
                            compiledPath: compiledPath, sourceName: nil)
        return compiled
    }

    /// A snapshot: dbt's `target_schema` is used as written; otherwise `schema` goes through schema naming.
    func snapshotNode(_ pm: ParsedModel, environment: Environment) throws -> CompiledNode {
        let file = pm.file
        let (config, locations) = merge([
            try rendered(project.snapshotConfigs.resolve(along: folderPath(file.pathInModels, name: file.name)), environment: environment),
            pm.config,
        ])
        let at = { (key: String) in locations[key] ?? SourceLocation(file: file.path, line: 1, column: 1) }
        let strategy = config["strategy"]?.asString
        guard let strategy, ["timestamp", "check"].contains(strategy) else {
            throw Diagnostic(code: "C3006", "snapshot '\(file.name)' needs strategy='timestamp' or strategy='check'\(strategy.map { " (got '\($0)')" } ?? "")", at: at("strategy"))
        }
        guard config["unique_key"] != nil else { throw Diagnostic(code: "C3006", "snapshot '\(file.name)' needs a unique_key", at: at("strategy")) }
        if strategy == "timestamp", config["updated_at"]?.asString == nil {
            throw Diagnostic(code: "C3006", "snapshot '\(file.name)' uses strategy='timestamp' and needs updated_at='<column>'", at: at("strategy"))
        }
        if strategy == "check", config["check_cols"] == nil {
            throw Diagnostic(code: "C3006", "snapshot '\(file.name)' uses strategy='check' and needs check_cols (a list, or 'all')", at: at("strategy"))
        }
        var values = config
        values["materialized"] = .string("snapshot")
        let schema: String
        if let target = config["target_schema"]?.asString { schema = target }
        else { schema = try schemaName(custom: config["schema"]?.asString, node: .none, environment: environment, location: locations["schema"]) }
        let relation = Relation(database: config["target_database"]?.asString ?? config["database"]?.asString ?? options.target.database,
                                schema: schema, identifier: config["alias"]?.asString ?? file.name)
        let node = CompiledNode(id: pm.id, kind: .snapshot, name: file.name, path: file.path, config: values, materialization: .snapshot,
                            tags: values["tags"]?.stringList ?? [], relation: relation, dependsOn: [], rawSQL: file.rawSQL, compiledSQL: nil,
                            sourceMap: nil, description: "", columns: [], checksum: SHA256.hex(file.rawSQL.trimmedWhitespace),
                            compiledPath: file.path.hasSuffix(".sql") ? "\(project.name)/\(file.path)"
                                : "\(project.name)/\((file.path as NSString).deletingLastPathComponent)/\(file.name).sql", sourceName: nil)
        return node
    }

    func seedNode(_ seed: SeedFile, environment: Environment) throws -> CompiledNode {
        let (config, locations) = merge([
            try rendered(project.seedConfigs.resolve(along: folderPath(seed.pathInSeeds, name: seed.name)), environment: environment),
            try rendered(seed.properties?.config ?? [], environment: environment),
        ])
        var values = config
        values["materialized"] = .string("seed")
        let value = nodeValue(name: seed.name, kind: .seed, path: seed.path, config: values)
        let schema = try schemaName(custom: config["schema"]?.asString, node: value, environment: environment, location: locations["schema"])
        let alias = try aliasName(custom: config["alias"]?.asString, name: seed.name, node: value, environment: environment)
        // as dbt: seeds over 1 MiB are identified by path, not hashed
        let size = (try? FileManager.default.attributesOfItem(atPath: project.root + "/" + seed.path)[.size] as? Int) ?? 0
        let checksum = size > 1 << 20 ? "" : (FileManager.default.contents(atPath: project.root + "/" + seed.path)).map { SHA256.hex(Array($0)) } ?? ""
        let node = CompiledNode(id: .seed(project.name, seed.name), kind: .seed, name: seed.name, path: seed.path, config: values, materialization: .seed,
                            tags: values["tags"]?.stringList ?? [], relation: Relation(database: config["database"]?.asString ?? options.target.database, schema: schema, identifier: alias),
                            dependsOn: [], rawSQL: "", compiledSQL: nil, sourceMap: nil, description: seed.properties?.description ?? "",
                            columns: seed.properties?.columns ?? [], checksum: checksum, compiledPath: nil, sourceName: nil)
        return node
    }

    func sourceNode(_ table: SourceTable, environment: Environment) throws -> CompiledNode {
        // schema and database may be templated: `"{{ target.schema }}_raw"`
        func renderField(_ text: String) throws -> String {
            guard text.contains("{") else { return text }
            let path = table.location?.file ?? "sources"
            let t = try Template(path: path, text: text)
            return try Renderer.render(t, environment: environment).text
        }
        let schema = try renderField(table.schema ?? table.sourceName)
        let database = try table.database.map(renderField) ?? options.target.database
        let relation = Relation(database: database, schema: schema, identifier: table.identifier ?? table.tableName)
        return CompiledNode(id: .source(project.name, table.sourceName, table.tableName), kind: .source, name: "\(table.sourceName).\(table.tableName)",
                            path: table.location?.file ?? "", config: [:], materialization: .source, tags: [], relation: relation, dependsOn: [],
                            rawSQL: "", compiledSQL: nil, sourceMap: nil, description: table.description, columns: [], checksum: "",
                            compiledPath: nil, sourceName: table.sourceName)
    }
}

/// Resolves ref/source names to node ids, with did-you-mean suggestions.
struct NameResolver: Sendable {
    let models: [String: NodeID]
    let seeds: [String: NodeID]
    let sources: [String: NodeID]
    let disabled: Set<String>
    let projectName: String

    func ref(_ name: String, package: String? = nil, at location: SourceLocation?) throws -> NodeID {
        if let package, package != projectName {
            throw Diagnostic(code: "C2005", "ref('\(package)', '\(name)'): package '\(package)' is not installed (packages are not supported yet)", at: location)
        }
        if let id = models[name] ?? seeds[name] { return id }
        if disabled.contains(name) {
            throw Diagnostic(code: "C2003", "ref('\(name)') points to a disabled node", at: location)
        }
        var msg = "ref('\(name)') does not match any model or seed"
        if let s = Suggestion.closest(to: name, in: Array(models.keys) + Array(seeds.keys)) { msg += "; did you mean '\(s)'?" }
        throw Diagnostic(code: "C2003", msg, at: location)
    }

    func source(_ source: String, _ table: String, at location: SourceLocation?) throws -> NodeID {
        if let id = sources["\(source).\(table)"] { return id }
        var msg = "source('\(source)', '\(table)') is not declared in any sources: YAML"
        if let s = Suggestion.closest(to: "\(source).\(table)", in: sources.keys) {
            let parts = s.split(separator: ".", maxSplits: 1)
            msg += "; did you mean source('\(parts[0])', '\(parts[1])')?"
        }
        throw Diagnostic(code: "C2004", msg, at: location)
    }
}
