import Foundation
import Basics
import Compilation
import ProjectModel

/// `target/catalog.json` (dbt's catalog v1): each built relation's kind, comment and columns with types, as
/// `strata docs generate` read them from the database; nodes under `nodes`, sources under `sources`.
public enum CatalogJSON {
    public static func json(_ compiled: CompiledProject, catalog: [Relation: LineageGraph.CatalogEntry], generatedAt: String, invocationID: String) -> String {
        var meta = Obj()
        // dbt's metadata keys only: the schema allows no others
        meta.set("dbt_schema_version", .string("https://schemas.getdbt.com/dbt/catalog/v1.json"))
        meta.set("generated_at", .string(generatedAt))
        meta.set("invocation_id", .string(invocationID))
        var nodes = Obj(), sources = Obj()
        for id in compiled.nodes.keys.sorted() {
            let node = compiled.nodes[id]!
            guard [.model, .seed, .snapshot, .source].contains(node.kind), let relation = node.writtenRelation ?? node.relation, let entry = catalog[relation] else { continue }
            let type = ["r": "BASE TABLE", "p": "BASE TABLE", "v": "VIEW", "m": "MATERIALIZED VIEW", "f": "FOREIGN TABLE"][entry.kind] ?? "UNKNOWN"
            var columns = Obj()
            for (i, c) in entry.columns.enumerated() {
                columns.set(c.name, .dict([ConfigEntry("type", .string(c.type)), ConfigEntry("index", .int(i + 1)), ConfigEntry("name", .string(c.name)),
                                           ConfigEntry("comment", c.comment.map(ConfigValue.string) ?? .null)]))
            }
            let value: ConfigValue = .dict([
                ConfigEntry("metadata", .dict([ConfigEntry("type", .string(type)), ConfigEntry("schema", .string(relation.schema)),
                                               ConfigEntry("name", .string(relation.identifier)), ConfigEntry("database", .string(relation.database)),
                                               ConfigEntry("comment", entry.comment.map(ConfigValue.string) ?? .null), ConfigEntry("owner", .null)])),
                ConfigEntry("columns", columns.value),
                ConfigEntry("stats", .dict([ConfigEntry("has_stats", .dict([
                    ConfigEntry("id", .string("has_stats")), ConfigEntry("label", .string("Has Stats?")), ConfigEntry("value", .bool(false)),
                    ConfigEntry("include", .bool(false)), ConfigEntry("description", .string("Indicates whether there are statistics for this table")),
                ]))])),
                ConfigEntry("unique_id", .string(id.rawValue)),
            ])
            if node.kind == .source { sources.set(id.rawValue, value) } else { nodes.set(id.rawValue, value) }
        }
        var root = Obj()
        root.set("metadata", meta.value)
        root.set("nodes", nodes.value)
        root.set("sources", sources.value)
        root.set("errors", .null)
        return JSONWriter.write(root.value)
    }
}
