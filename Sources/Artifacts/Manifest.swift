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
        // dbt's keys only: its schema (manifest v12) allows no others; Strata's contracts go to contracts.json
        var meta = Obj()
        meta.set("dbt_schema_version", .string(dbtSchemaVersion))
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
        // what dbt writes and Strata has nothing for yet (its exposures are in the docs site and lineage)
        for key in ["docs", "exposures", "metrics", "groups", "selectors", "disabled", "group_map", "saved_queries", "semantic_models", "unit_tests"] {
            root.member(key, into: &out) { JSONWriter.emit(.dict([]), &$0, 1) }
        }
        root.member("macros", into: &out) { out in
            var o = JSONWriter.ObjectStream(level: 1, into: &out)
            for m in project.macros { o.member(m.uniqueID, into: &out) { JSONWriter.emit(macro(m), &$0, 2) } }
            o.end(into: &out)
        }
        for (key, edges) in [("parent_map", project.graph.parents), ("child_map", project.graph.children)] {
            root.member(key, into: &out) { out in
                var o = JSONWriter.ObjectStream(level: 1, into: &out)
                for id in ids { o.member(id.rawValue, into: &out) { JSONWriter.emit(.strings((edges[id] ?? []).sorted().map(\.rawValue)), &$0, 2) } }
                o.end(into: &out)
            }
        }
        root.end(into: &out)
        out.append(0x0A)
        return String(decoding: out, as: UTF8.self)
    }

    /// A macro as dbt writes it (its own macro dependencies are not tracked: empty).
    static func macro(_ m: MacroEntry) -> ConfigValue {
        .dict([
            ConfigEntry("name", .string(m.name)), ConfigEntry("resource_type", .string("macro")), ConfigEntry("package_name", .string(m.package)),
            ConfigEntry("path", .string(m.path)), ConfigEntry("original_file_path", .string(m.path)), ConfigEntry("unique_id", .string(m.uniqueID)),
            ConfigEntry("macro_sql", .string(m.sql)), ConfigEntry("depends_on", .dict([ConfigEntry("macros", .list([]))])),
            ConfigEntry("description", .string("")), ConfigEntry("meta", .dict([])),
            ConfigEntry("docs", .dict([ConfigEntry("show", .bool(true)), ConfigEntry("node_color", .null)])),
            ConfigEntry("patch_path", .null), ConfigEntry("arguments", .list([])), ConfigEntry("supported_languages", .null),
        ])
    }

    /// `target/contracts.json`, Strata's own: the contracts in force (with their schema version), which
    /// `strata contracts diff --state` reads.
    public static func contractsJSON(_ project: CompiledProject) -> String {
        var contracts: [String: Contract] = [:]
        for n in project.nodes.values { if let c = n.contract { contracts[c.name] = c } }
        var contractsObj = Obj()
        for name in contracts.keys.sorted() { contractsObj.set(name, ContractCodec.encode(contracts[name]!)) }
        var root = Obj()
        root.set("strata_schema_version", .string(schemaVersion))
        root.set("strata_version", .string(StrataVersion.current))
        root.set("contracts", contractsObj.value)
        return JSONWriter.write(root.value)
    }

    static func node(_ n: CompiledNode, _ project: CompiledProject) -> ConfigValue {
        // (an ephemeral model, a test)
        let entry = n.manifestEntry(dependsOn: project.dependsOn(n.id))
        // nodes without a relation still name a schema, as dbt's do: a test's is where dbt stores its failures (the
        // target's audit schema), an ephemeral model's the target's
        guard n.relation == nil, case .dict(var entries) = entry else { return entry }
        for (i, e) in entries.enumerated() {
            if e.key == "database" { entries[i].value = .string(project.target.database) }
            if e.key == "schema" { entries[i].value = .string(project.target.schema + (n.kind == .test ? "_dbt_test__audit" : "")) }
        }
        return .dict(entries)
    }

    static func timestamp(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.string(from: d)
    }
}

