import Foundation
import Basics
import DependencyGraph
import ProjectModel
import Templating

extension Compiler {
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

    func folderPath(_ pathInFolder: String, name: String, package: String?) -> [String] {
        [package ?? project.name] + pathInFolder.split(separator: "/").dropLast().map(String.init) + [name]
    }

    /// The folder configs that apply to a node, outermost first: for a package's node, what the package's own
    /// project file says, then what the root project says about it (keyed by the package's name), as dbt layers them.
    func folderConfigs(_ configs: (Project) -> FolderConfig, _ packageConfigs: (InstalledPackage) -> FolderConfig,
                       path pathInFolder: String, name: String, package: String?) -> [ConfigEntry] {
        let path = folderPath(pathInFolder, name: name, package: package)
        return (project.package(named: package).map { packageConfigs($0).resolve(along: path) } ?? []) + configs(project).resolve(along: path)
    }

    /// `data_tests:` configs of the project files for a test declared in `file` (a properties YAML or a singular
    /// test's SQL), by the folders under the model or test path it sits in, as dbt resolves them by fqn.
    func projectTestConfigs(file: String, name: String, package: String?) -> [ConfigEntry] {
        guard !project.testConfigs.isEmpty || !(project.package(named: package)?.testConfigs.isEmpty ?? true) else { return [] }
        let inPackage = project.pathInPackage(file, package: package)
        let inFolder = inPackage.split(separator: "/").dropFirst().joined(separator: "/")
        return folderConfigs(\.testConfigs, \.testConfigs, path: inFolder, name: name, package: package)
    }

    /// What every new node learns from the project: the folder of the package its id names (dbt writes its paths
    /// relative to it), and under `quoting: {identifier: false}` (or schema, database) the relation PostgreSQL
    /// folds its unquoted name to — templates keep the name as written.
    func placeInPackageAndFoldNames(_ node: inout CompiledNode) {
        node.packagePrefix = project.package(named: node.id.package)?.prefix
        guard let written = node.relation else { return }
        let folded = project.quoting.relation(database: written.database, schema: written.schema, identifier: written.identifier)
        guard folded != written else { return }
        node.relation = folded
        node.writtenRelation = written
    }

    /// Where a node's compiled SQL goes below target/compiled: `<package>/<path in the package>`.
    func compiledPath(_ path: String, package: String?) -> String {
        "\(package ?? project.name)/\(project.pathInPackage(path, package: package))"
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
            try rendered(folderConfigs(\.modelConfigs, \.modelConfigs, path: file.pathInModels, name: file.name, package: file.package), environment: environment),
            try rendered(file.properties?.config ?? [], environment: environment),
            pm.config,
        ])
        let reader = SpecReader(config: config, locations: locations, name: file.name, path: file.path)
        let materialization = try reader.materialization()
        var values = config
        values["materialized"] = .string(materialization.name)
        let node = environment.macros["generate_schema_name"] != nil || environment.macros["generate_alias_name"] != nil
            ? nodeValue(name: file.name, kind: .model, path: file.path, config: values, package: file.package) : .none
        var relation: Relation?
        if materialization != .ephemeral {
            let schema = try schemaName(custom: config["schema"]?.asString, node: node, environment: environment, location: locations["schema"])
            // dbt's default alias of a version: `<name>_v<v>`
            let alias = try aliasName(custom: config["alias"]?.asString, name: file.name + (file.version.map { "_v" + $0.replacingOccurrences(of: ".", with: "_") } ?? ""),
                                      node: node, environment: environment)
            relation = Relation(database: config["database"]?.asString ?? options.target.database, schema: schema, identifier: alias)
        }
        var compiled = CompiledNode(id: pm.id, name: file.name, path: file.path, relation: relation, description: file.properties?.description ?? "",
                                    columns: file.properties?.columns ?? [], tags: values["tags"]?.stringList ?? [], config: values, rawSQL: file.rawSQL,
                                    checksum: SHA256.hex(file.rawSQL.trimmedWhitespace), compiledPath: compiledPath(file.path, package: file.package),
                                    payload: .model(ModelSpec(materialization: materialization, build: try reader.buildSettings())))
        reader.docsFields(into: &compiled)
        compiled.warnings += ConfigKeys.misspellings(config, locations, path: file.path)
        (compiled.version, compiled.latestVersion) = (file.version, file.latestVersion)
        placeInPackageAndFoldNames(&compiled)
        return compiled
    }

    /// A snapshot: dbt's `target_schema` is used as written; otherwise `schema` goes through schema naming.
    func snapshotNode(_ pm: ParsedModel, environment: Environment) throws -> CompiledNode {
        let file = pm.file
        let (config, locations) = merge([
            try rendered(folderConfigs(\.snapshotConfigs, \.snapshotConfigs, path: file.pathInModels, name: file.name, package: file.package), environment: environment),
            pm.config,
        ])
        let spec = try SpecReader(config: config, locations: locations, name: file.name, path: file.path).snapshot(dbtNames: project.kind == .dbt)
        var values = config
        values["materialized"] = .string("snapshot")
        let schema: String
        if let target = config["target_schema"]?.asString { schema = target }
        else { schema = try schemaName(custom: config["schema"]?.asString, node: .none, environment: environment, location: locations["schema"]) }
        let relation = Relation(database: config["target_database"]?.asString ?? config["database"]?.asString ?? options.target.database,
                                schema: schema, identifier: config["alias"]?.asString ?? file.name)
        var node = CompiledNode(id: pm.id, name: file.name, path: file.path, relation: relation, tags: values["tags"]?.stringList ?? [], config: values,
                            rawSQL: file.rawSQL, checksum: SHA256.hex(file.rawSQL.trimmedWhitespace),
                            compiledPath: compiledPath(file.path.hasSuffix(".sql") ? file.path : "\((file.path as NSString).deletingLastPathComponent)/\(file.name).sql",
                                                       package: file.package),
                            payload: .snapshot(spec))
        node.warnings += ConfigKeys.misspellings(config, locations, path: file.path)
        placeInPackageAndFoldNames(&node)
        return node
    }

    func seedNode(_ seed: SeedFile, environment: Environment) throws -> CompiledNode {
        let (config, locations) = merge([
            try rendered(folderConfigs(\.seedConfigs, \.seedConfigs, path: seed.pathInSeeds, name: seed.name, package: seed.package), environment: environment),
            try rendered(seed.properties?.config ?? [], environment: environment),
        ])
        let reader = SpecReader(config: config, locations: locations, name: seed.name, path: seed.path)
        let spec = try reader.seed(dbtTypes: project.kind == .dbt)
        var values = config
        values["materialized"] = .string("seed")
        let value = nodeValue(name: seed.name, kind: .seed, path: seed.path, config: values, package: seed.package)
        let schema = try schemaName(custom: config["schema"]?.asString, node: value, environment: environment, location: locations["schema"])
        let alias = try aliasName(custom: config["alias"]?.asString, name: seed.name, node: value, environment: environment)
        // as dbt: seeds over 1 MiB are identified by path, not hashed
        let size = (try? FileManager.default.attributesOfItem(atPath: project.root + "/" + seed.path)[.size] as? Int) ?? 0
        let checksum = size > 1 << 20 ? "" : (FileManager.default.contents(atPath: project.root + "/" + seed.path)).map { SHA256.hex(Array($0)) } ?? ""
        var node = CompiledNode(id: .seed(seed.package ?? project.name, seed.name), name: seed.name, path: seed.path,
                                relation: Relation(database: config["database"]?.asString ?? options.target.database, schema: schema, identifier: alias),
                                description: seed.properties?.description ?? "", columns: seed.properties?.columns ?? [],
                                tags: values["tags"]?.stringList ?? [], config: values, checksum: checksum, payload: .seed(spec))
        reader.docsFields(into: &node)
        node.warnings += ConfigKeys.misspellings(config, locations, path: seed.path)
        placeInPackageAndFoldNames(&node)
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
        var spec = SourceSpec(sourceName: table.sourceName, tableName: table.tableName)
        (spec.freshness, spec.freshnessFilter) = (table.freshness, table.freshnessFilter)
        var node = CompiledNode(id: .source(table.package ?? project.name, table.sourceName, table.tableName), name: "\(table.sourceName).\(table.tableName)",
                                path: table.location?.file ?? "", relation: relation, description: table.description,
                                payload: .source(spec))
        placeInPackageAndFoldNames(&node)
        return node
    }
}

/// Resolves ref/source names to node ids, with did-you-mean suggestions. Nodes of installed packages are found as
/// dbt finds them: `ref('p', 'm')` in package `p` only; a bare `ref('m')` in the root project first, then in the
/// package of the node that calls it, then in any package (and sources the same way).
struct NameResolver: Sendable {
    /// package → name → node, for what ref() finds: models, snapshots, seeds.
    let nodes: [String: [String: NodeID]]
    /// package → "source.table" → node.
    let sources: [String: [String: NodeID]]
    /// name → file of the nodes switched off with `enabled: false`.
    let disabled: [String: String]
    let projectName: String
    /// Installed packages.
    var packages: Set<String> = []
    /// The package of the node whose refs this resolves (nil: the root project).
    var currentPackage: String? = nil

    /// The resolver as a node of `package` sees names.
    func from(_ package: String) -> NameResolver {
        var r = self
        r.currentPackage = package
        return r
    }

    private func find(_ key: String, in table: [String: [String: NodeID]]) -> NodeID? {
        if let id = table[projectName]?[key] { return id }
        if let p = currentPackage, let id = table[p]?[key] { return id }
        for p in table.keys.sorted() { if let id = table[p]?[key] { return id } }
        return nil
    }

    /// The key a node is registered under: its name, or `name.v<v>` for a version of a versioned model (whose bare
    /// name is registered for its latest version).
    static func key(_ name: String, version: String?) -> String { version.map { "\(name).v\($0)" } ?? name }

    func ref(_ name: String, package: String? = nil, at location: SourceLocation?) throws -> NodeID {
        try ref(RefName(name: name, package: package), at: location)
    }

    func ref(_ ref: RefName, at location: SourceLocation?) throws -> NodeID {
        let key = Self.key(ref.name, version: ref.version)
        if let package = ref.package {
            if let id = nodes[package]?[key] { return id }
            guard package == projectName || packages.contains(package) else {
                throw Diagnostic(code: .unknownPackage, "\(ref.written): package '\(package)' is not installed (declare it in packages.yml, then run `strata deps`)", at: location)
            }
            if let path = disabled[ref.name] { throw disabledError(ref, path, at: location) }
            throw Diagnostic(code: .unknownRef, notFound(ref, in: nodes[package] ?? [:], what: " of \(package == projectName ? "project" : "package") '\(package)'"), at: location)
        }
        if let id = find(key, in: nodes) { return id }
        if let path = disabled[ref.name] { throw disabledError(ref, path, at: location) }
        throw Diagnostic(code: .unknownRef, notFound(ref, in: nodes.values.reduce(into: [:]) { $0.merge($1) { a, _ in a } }, what: ""), at: location)
    }

    /// dbt's words for a ref to a node switched off, and where it was switched off.
    private func disabledError(_ ref: RefName, _ path: String, at location: SourceLocation?) -> Diagnostic {
        Diagnostic(code: .unknownRef, "\(ref.written) depends on a node named '\(ref.name)' which is disabled",
                   at: location, notes: [.init("'\(ref.name)' is switched off by enabled: false (its config() or a config in YAML or the project file)",
                                               at: SourceLocation(file: path, line: 1, column: 1))])
    }

    /// "does not match": for a version that does not exist, the versions there are; else a did-you-mean.
    private func notFound(_ ref: RefName, in known: [String: NodeID], what: String) -> String {
        if let version = ref.version, known[ref.name] != nil {
            let versions = known.keys.filter { $0.hasPrefix(ref.name + ".v") }.map { String($0.dropFirst(ref.name.count + 2)) }.sorted()
            return "\(ref.written): model '\(ref.name)'\(what) has no version \(version)" + (versions.isEmpty ? " (it is not versioned)" : " (versions: \(versions.joined(separator: ", ")))")
        }
        var msg = "\(ref.written) does not match any model or seed\(what)"
        if let s = Suggestion.closest(to: ref.name, in: known.keys.filter { !$0.contains(".v") }) { msg += "; did you mean '\(s)'?" }
        return msg
    }

    func source(_ source: String, _ table: String, at location: SourceLocation?) throws -> NodeID {
        if let id = find("\(source).\(table)", in: sources) { return id }
        var msg = "source('\(source)', '\(table)') is not declared in any sources: YAML"
        if let s = Suggestion.closest(to: "\(source).\(table)", in: sources.values.flatMap(\.keys)) {
            let parts = s.split(separator: ".", maxSplits: 1)
            msg += "; did you mean source('\(parts[0])', '\(parts[1])')?"
        }
        throw Diagnostic(code: .unknownSource, msg, at: location)
    }
}
