import Foundation
import Basics
import Compilation
import Contracts
import ProjectModel

/// `target/manifest.json`: every node with config, dependencies, paths and checksums.
/// Versioned (`strata_schema_version`) and shaped like dbt's manifest v12 where the fields overlap.
public enum Manifest {
    public static let schemaVersion = "https://strata.dev/schemas/manifest/v1.json"
    public static let dbtSchemaVersion = "https://schemas.getdbt.com/dbt/manifest/v12.json"

    public static func json(_ project: CompiledProject, generatedAt: Date, invocationID: String) -> String {
        var meta = Obj()
        meta.set("strata_schema_version", .string(schemaVersion))
        meta.set("dbt_schema_version", .string(dbtSchemaVersion))
        meta.set("strata_version", .string(StrataVersion.current))
        meta.set("generated_at", .string(timestamp(generatedAt)))
        meta.set("invocation_id", .string(invocationID))
        meta.set("project_name", .string(project.projectName))
        meta.set("adapter_type", .string(project.target.type))
        var nodes = Obj(), sources = Obj(), parentMap = Obj(), childMap = Obj()
        for id in project.nodes.keys.sorted() {
            let n = project.nodes[id]!
            if n.kind == .source { sources.set(id.rawValue, node(n, project)) } else { nodes.set(id.rawValue, node(n, project)) }
            parentMap.set(id.rawValue, .strings((project.graph.parents[id] ?? []).sorted().map(\.rawValue)))
            childMap.set(id.rawValue, .strings((project.graph.children[id] ?? []).sorted().map(\.rawValue)))
        }
        var root = Obj()
        root.set("metadata", meta.value)
        root.set("nodes", nodes.value)
        root.set("sources", sources.value)
        root.set("macros", .dict([]))
        root.set("parent_map", parentMap.value)
        root.set("child_map", childMap.value)
        // Strata's own: the contracts in force, for `strata contracts diff --state`
        var contracts: [String: Contract] = [:]
        for n in project.nodes.values { if let c = n.contract { contracts[c.name] = c } }
        var contractsObj = Obj()
        for name in contracts.keys.sorted() { contractsObj.set(name, ContractCodec.encode(contracts[name]!)) }
        root.set("contracts", contractsObj.value)
        return JSONWriter.write(root.value)
    }

    static func node(_ n: CompiledNode, _ project: CompiledProject) -> ConfigValue {
        var o = Obj()
        o.set("unique_id", .string(n.id.rawValue))
        o.set("resource_type", .string(n.kind.rawValue))
        o.set("name", .string(n.kind == .source ? String(n.name.split(separator: ".").last ?? "") : n.name))
        if let s = n.sourceName { o.set("source_name", .string(s)) }
        o.set("package_name", .string(project.projectName))
        o.set("original_file_path", .string(n.path))
        o.set("fqn", .strings(fqn(n, project.projectName)))
        o.set("database", .str(n.relation?.database))
        o.set("schema", .str(n.relation?.schema))
        if n.kind == .source { o.set("identifier", .str(n.relation?.identifier)) } else { o.set("alias", .str(n.relation?.identifier ?? n.name)) }
        o.set("relation_name", .str(n.relation?.rendered()))
        o.set("description", .string(n.description))
        var cols = Obj()
        for c in n.columns {
            cols.set(c.name, .dict([ConfigEntry("name", .string(c.name)), ConfigEntry("description", .string(c.description)), ConfigEntry("data_type", .str(c.dataType))]))
        }
        o.set("columns", cols.value)
        if n.kind != .source {
            o.set("config", ConfigValue.dict(n.config.map { ConfigEntry($0.key, $0.value) }).sortedKeys)
            o.set("tags", .strings(n.tags))
            o.set("depends_on", .dict([ConfigEntry("macros", .list([])), ConfigEntry("nodes", .strings(n.dependsOn.map(\.rawValue)))]))
            o.set("checksum", n.checksum.isEmpty
                  ? .dict([ConfigEntry("name", .string("path")), ConfigEntry("checksum", .string(n.path))])
                  : .dict([ConfigEntry("name", .string("sha256")), ConfigEntry("checksum", .string(n.checksum))]))
        }
        if n.kind == .model {
            o.set("contract", .dict([ConfigEntry("enforced", .bool(n.contract != nil)), ConfigEntry("alias_types", .bool(true)),
                                     ConfigEntry("checksum", .null), ConfigEntry("name", .str(n.contract?.name))]))
            o.set("language", .string("sql"))
            // as dbt stores it: the file without leading and trailing whitespace
            o.set("raw_code", .string(n.rawSQL.trimmedWhitespace))
            o.set("compiled", .bool(n.compiledSQL != nil))
            o.set("compiled_code", .str(n.compiledSQL))
            o.set("compiled_checksum", n.compiledSQL.map { .dict([ConfigEntry("name", .string("sha256")), ConfigEntry("checksum", .string(SHA256.hex($0)))]) } ?? .null)
            o.set("compiled_path", .str(n.compiledPath.map { "target/compiled/\($0)" }))
        }
        return o.value
    }

    static func fqn(_ n: CompiledNode, _ project: String) -> [String] {
        if n.kind == .source { return [project] + n.name.split(separator: ".").map(String.init) }
        let comps = n.path.split(separator: "/").map(String.init)
        return [project] + comps.dropFirst().dropLast() + [n.name]
    }

    static func timestamp(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: d)
    }
}

/// Strata's own version, written into artifacts.
public enum StrataVersion {
    public static let current = "0.1.0"
}
