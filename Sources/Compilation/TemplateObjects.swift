import Synchronization
import Foundation
import ProjectModel
import Templating
import Warehouse

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
        var refs: [(ref: RefName, offset: Int)] = []
        var sources: [(source: String, table: String, offset: Int)] = []
        var config: [ConfigEntry] = []
        var extensions: Set<String> = []
        /// Whether the render asked the database something (run_query, statements, the adapter's catalog methods).
        var queriedDatabase = false
    }
    private let record = Mutex(Record())
    func update(_ body: (inout Record) -> Void) { record.withLock { body(&$0) } }
    var refs: [(ref: RefName, offset: Int)] { record.withLock { $0.refs } }
    var sources: [(source: String, table: String, offset: Int)] { record.withLock { $0.sources } }
    var config: [ConfigEntry] { record.withLock { $0.config } }
    var extensions: Set<String> { record.withLock { $0.extensions } }
    var queriedDatabase: Bool { record.withLock { $0.queriedDatabase } }
}

/// Placeholders for a microbatch window in compiled SQL; each batch's bounds replace them at execution.
public enum Microbatch {
    public static let startPlaceholder = "__strata_event_time_start__"
    public static let endPlaceholder = "__strata_event_time_end__"
}

/// dbt's `graph`: `nodes`, `sources`, `exposures`, `metrics`, `groups` … keyed by unique_id, each node as the manifest
/// describes it (as far as it is known before rendering: `depends_on` holds the literal refs and sources). Built on
/// first use and shared by every render (templates read it; dbt's is read-only too).
final class GraphObject: TemplateObject {
    private let build: @Sendable () -> [String: Value]
    private let built = Mutex<[String: Value]?>(nil)

    init(_ build: @escaping @Sendable () -> [String: Value]) { self.build = build }

    var typeName: String { "graph" }
    var stringValue: String { "<graph>" }
    var isMapping: Bool { true }

    private var members: [String: Value] {
        built.withLock { cached in
            if let cached { return cached }
            let value = build()
            cached = value
            return value
        }
    }

    func attribute(_ name: String) -> Value? {
        if name == "get" {
            return .function(Function("get") { [self] args, _ in members[args.argument(0, "key")?.stringValue ?? ""] ?? args.argument(1, "default") ?? .none })
        }
        return members[name]
    }
}
