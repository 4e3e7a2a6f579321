import Foundation
import Basics
import ProjectModel
import Warehouse

extension CompiledNode {
    /// The node as dbt's manifest describes it (and dbt's `graph` context variable): unique_id, resource_type, name,
    /// fqn, relation parts, columns, config, depends_on, and for models their code. `manifest.json` and `graph` share it.
    /// A package's node has its paths relative to the package's folder, as dbt writes them.
    /// dbt's `path`: the file below its resource folder (`staging/stg_orders.sql`, `raw_orders.csv`); a generic
    /// test's is its compiled file's name, as dbt names it.
    var manifestPath: String {
        if kind == .test, !path.hasSuffix(".sql") { return compiledPath.map { ($0 as NSString).lastPathComponent } ?? name + ".sql" }
        return originalFilePath.split(separator: "/").dropFirst().joined(separator: "/")
    }

    public func manifestEntry(dependsOn: [NodeID]) -> ConfigValue {
        let n = self
        var o = Obj()
        o.set("unique_id", .string(n.id.rawValue))
        o.set("resource_type", .string(n.kind.rawValue))
        o.set("name", .string(n.kind == .source ? String(n.name.split(separator: ".").last ?? "") : n.name))
        if case .source(let s) = n.payload {
            o.set("source_name", .string(s.sourceName))
            o.set("source_description", .string(""))
            o.set("loader", .string(""))
        }
        o.set("package_name", .string(n.id.package))
        o.set("path", .string(n.manifestPath))
        o.set("original_file_path", .string(n.originalFilePath))
        o.set("fqn", .strings(n.fqn))
        o.set("database", .str(n.relation?.database))
        o.set("schema", .str(n.relation?.schema))
        if n.kind == .source { o.set("identifier", .str(n.relation?.identifier)) } else { o.set("alias", .str(n.relation?.identifier ?? n.testAlias)) }
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
            // a seed depends on macros only, in dbt's shape
            o.set("depends_on", .dict([ConfigEntry("macros", .strings(n.macroDependencies))]
                                      + (n.kind == .seed ? [] : [ConfigEntry("nodes", .strings(dependsOn.map(\.rawValue)))])))
            o.set("checksum", n.checksum.isEmpty
                  ? .dict([ConfigEntry("name", .string("path")), ConfigEntry("checksum", .string(n.path))])
                  : .dict([ConfigEntry("name", .string("sha256")), ConfigEntry("checksum", .string(n.checksum))]))
        }
        if n.kind == .model {
            o.set("version", .str(n.version))
            o.set("latest_version", .str(n.latestVersion))
            // dbt's keys; the checksum follows the contract's terms, so a changed contract is state:modified.contract
            o.set("contract", .dict([ConfigEntry("enforced", .bool(n.contract != nil)), ConfigEntry("alias_types", .bool(true)),
                                     ConfigEntry("checksum", n.contract.map { .string(SHA256.hex(String(reflecting: $0))) } ?? .null)]))
            o.set("language", .string("sql"))
            // as dbt stores it: the file without leading and trailing whitespace
            o.set("raw_code", .string(n.rawSQL.trimmedWhitespace))
            o.set("compiled", .bool(n.compiledSQL != nil))
            o.set("compiled_code", .str(n.compiledSQL))
            o.set("compiled_path", .str(n.compiledPath.map { "target/compiled/\($0)" }))
        }
        if n.kind == .test { o.set("compiled_path", .str(n.compiledPath.map { "target/compiled/\($0)" })) }
        return o.value
    }

}
