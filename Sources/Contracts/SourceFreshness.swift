import Foundation
import Basics
import Compilation
import ProjectModel
import Warehouse

/// `strata source freshness`: how old the newest row of each source is (dbt's `loaded_at_field` and `freshness`),
/// judged against `warn_after` and `error_after`.
public struct SourceFreshness: Sendable {
    public enum Status: String, Sendable { case pass, warn, error, runtimeError = "runtime error" }

    public struct Outcome: Sendable {
        public var id: NodeID
        public var name: String
        public var status: Status
        /// The newest `loaded_at_field` and the server's `now()`, as PostgreSQL prints them (ISO 8601).
        public var maxLoadedAt: String?
        public var snapshottedAt: String?
        public var ageSeconds: Double?
        public var freshness: Freshness
        public var filter: String?
        public var message: String
        public var startedAt: Date
        public var seconds: Double
    }

    public init() {}

    /// The sources of `ids` that have freshness settings, in id order.
    public static func sources(in compiled: CompiledProject, ids: Set<NodeID>) -> [(CompiledNode, Freshness, String?)] {
        ids.sorted().compactMap { id in
            guard let node = compiled.nodes[id], case .source(let spec) = node.payload, let f = spec.freshness else { return nil }
            return (node, f, spec.freshnessFilter)
        }
    }

    public func check(_ node: CompiledNode, _ freshness: Freshness, filter: String?, on connection: any WarehouseConnection) -> Outcome {
        let started = Date(), clock = ContinuousClock.now
        var outcome = Outcome(id: node.id, name: node.name, status: .runtimeError, freshness: freshness, filter: filter, message: "", startedAt: started, seconds: 0)
        defer { outcome.seconds = (ContinuousClock.now - clock).seconds }
        let column = SQLDialect.postgres.quote(freshness.column)
        let relation = node.relation?.rendered() ?? node.name
        // times in UTC ISO 8601, as dbt writes them in sources.json
        let sql = """
            select to_char(max(\(column)) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                   to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                   extract(epoch from now() - max(\(column)))::float8
            from \(relation)\(filter.map { "\nwhere \($0)" } ?? "")
            """
        do {
            let row = try connection.execute(sql).rows.first ?? []
            outcome.maxLoadedAt = row.first ?? nil
            outcome.snapshottedAt = row.count > 1 ? row[1] : nil
            guard let text = row.count > 2 ? row[2] : nil, let age = Double(text) else {
                outcome.message = "\(relation) has no rows with a \(freshness.column)"
                return outcome
            }
            outcome.ageSeconds = age
            if let e = freshness.errorAfter, age > Double(e) { outcome.status = .error }
            else if let w = freshness.warnAfter, age > Double(w) { outcome.status = .warn }
            else { outcome.status = .pass }
            outcome.message = "the newest row is \(Self.duration(age)) old"
        } catch let e as WarehouseError {
            outcome.message = e.message + (e.sqlState.map { " [SQLSTATE \($0)]" } ?? "")
        } catch {
            outcome.message = "\(error)"
        }
        return outcome
    }

    /// `3h 20m`, `45s`: an age as people read it.
    static func duration(_ seconds: Double) -> String {
        let s = Int(seconds.rounded())
        if s < 60 { return "\(s)s" }
        if s < 3600 { return "\(s / 60)m \(s % 60)s" }
        if s < 86400 { return "\(s / 3600)h \(s % 3600 / 60)m" }
        return "\(s / 86400)d \(s % 86400 / 3600)h"
    }
}
