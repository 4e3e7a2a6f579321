import Synchronization
import Foundation
import ProjectModel
import Templating
import Warehouse

/// `{{ ref('x') }}`, `{{ source('a','b') }}`, `{{ this }}` in templates.
final class RelationObject: TemplateObject {
    let relation: Relation?
    /// Ephemeral models render as their CTE name.
    let cteName: String?
    /// dbt's `materialized` word of the node it stands for.
    let materialization: String

    /// For microbatch models: the upstream's event_time column; the relation then renders filtered to the batch.
    let eventTimeFilter: String?

    init(relation: Relation?, cteName: String? = nil, materialization: String, eventTimeFilter: String? = nil) {
        self.relation = relation
        self.cteName = cteName
        self.materialization = materialization
        self.eventTimeFilter = eventTimeFilter
    }

    var typeName: String { "Relation" }
    var stringValue: String {
        let name = cteName ?? relation?.rendered() ?? ""
        guard let column = eventTimeFilter else { return name }
        // as dbt renders refs inside a microbatch model; the executor puts each batch's bounds in
        return "(select * from \(name) where \(column) >= '\(Microbatch.startPlaceholder)' and \(column) < '\(Microbatch.endPlaceholder)') _dbt_et_filter_subq_\(relation?.identifier ?? "")"
    }

    func attribute(_ name: String) -> Value? {
        switch name {
        case "database": return relation.map { .string($0.database) } ?? Value.none
        case "schema": return relation.map { .string($0.schema) } ?? Value.none
        case "identifier", "name", "table": return .string(relation?.identifier ?? cteName ?? "")
        case "is_table": return .bool(["table", "incremental", "seed"].contains(materialization))
        case "is_view": return .bool(materialization == "view")
        case "is_cte": return .bool(cteName != nil)
        case "type": return .string(materialization == "view" ? "view" : "table")
        case "render": return .function(Function("render") { [stringValue] _, _ in .string(stringValue) })
        case "quote", "include":
            // The relation is always fully quoted; these return it unchanged.
            return .function(Function(name) { [self] _, _ in .object(self) })
        default: return nil
        }
    }
}

/// `target`: names of the connection target, never its password.
final class TargetObject: TemplateObject {
    let info: TargetInfo
    let profileName: String
    init(_ info: TargetInfo, profileName: String) {
        self.info = info
        self.profileName = profileName
    }
    var typeName: String { "target" }
    var stringValue: String { "{'name': '\(info.name)', 'schema': '\(info.schema)', 'type': '\(info.type)'}" }
    func attribute(_ name: String) -> Value? {
        switch name {
        case "name", "target_name": return .string(info.name)
        case "schema": return .string(info.schema)
        case "database", "dbname": return .string(info.database)
        case "type": return .string(info.type)
        case "user": return .string(info.user)
        case "threads": return .int(info.threads)
        case "profile_name": return .string(profileName)
        default: return nil
        }
    }
}

/// Records what a render called: refs, sources, config. The render's functions are `@Sendable` closures, so the
/// record sits behind a lock and the compiler checks it (one render uses it at a time).
final class RenderRecorder: Sendable {
    struct Record: Sendable {
        var refs: [(name: String, offset: Int)] = []
        var sources: [(source: String, table: String, offset: Int)] = []
        var config: [ConfigEntry] = []
        var extensions: Set<String> = []
    }
    private let record = Mutex(Record())
    func update(_ body: (inout Record) -> Void) { record.withLock { body(&$0) } }
    var refs: [(name: String, offset: Int)] { record.withLock { $0.refs } }
    var sources: [(source: String, table: String, offset: Int)] { record.withLock { $0.sources } }
    var config: [ConfigEntry] { record.withLock { $0.config } }
    var extensions: Set<String> { record.withLock { $0.extensions } }
}

/// Placeholders for a microbatch window in compiled SQL; each batch's bounds replace them at execution.
public enum Microbatch {
    public static let startPlaceholder = "__strata_event_time_start__"
    public static let endPlaceholder = "__strata_event_time_end__"
}
