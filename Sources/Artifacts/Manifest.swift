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
        // Written as a stream: each node's value is built, written and dropped, so a 10,000-node manifest
        // never exists as one tree in memory (same bytes as writing the tree).
        let ids = project.nodes.keys.sorted()
        var out: [UInt8] = []
        out.reserveCapacity(4096 * max(1, ids.count))
        var root = JSONWriter.ObjectStream(level: 0, into: &out)
        root.member("metadata", into: &out) { JSONWriter.emit(meta.value, &$0, 1) }
        for (key, wantSources) in [("nodes", false), ("sources", true)] {
            root.member(key, into: &out) { out in
                var o = JSONWriter.ObjectStream(level: 1, into: &out)
                for id in ids where (project.nodes[id]!.kind == .source) == wantSources {
                    o.member(id.rawValue, into: &out) { JSONWriter.emit(node(project.nodes[id]!, project), &$0, 2) }
                }
                o.end(into: &out)
            }
        }
        root.member("macros", into: &out) { JSONWriter.emit(.dict([]), &$0, 1) }
        for (key, edges) in [("parent_map", project.graph.parents), ("child_map", project.graph.children)] {
            root.member(key, into: &out) { out in
                var o = JSONWriter.ObjectStream(level: 1, into: &out)
                for id in ids { o.member(id.rawValue, into: &out) { JSONWriter.emit(.strings((edges[id] ?? []).sorted().map(\.rawValue)), &$0, 2) } }
                o.end(into: &out)
            }
        }
        // Strata's own: the contracts in force, for `strata contracts diff --state`
        var contracts: [String: Contract] = [:]
        for n in project.nodes.values { if let c = n.contract { contracts[c.name] = c } }
        var contractsObj = Obj()
        for name in contracts.keys.sorted() { contractsObj.set(name, ContractCodec.encode(contracts[name]!)) }
        root.member("contracts", into: &out) { JSONWriter.emit(contractsObj.value, &$0, 1) }
        root.end(into: &out)
        out.append(0x0A)
        return String(decoding: out, as: UTF8.self)
    }

    static func node(_ n: CompiledNode, _ project: CompiledProject) -> ConfigValue {
        var o = Obj()
        o.set("unique_id", .string(n.id.rawValue))
        o.set("resource_type", .string(n.kind.rawValue))
        o.set("name", .string(n.kind == .source ? String(n.name.split(separator: ".").last ?? "") : n.name))
        if case .source(let s) = n.payload { o.set("source_name", .string(s.sourceName)) }
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
            o.set("depends_on", .dict([ConfigEntry("macros", .list([])), ConfigEntry("nodes", .strings(project.dependsOn(n.id).map(\.rawValue)))]))
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

