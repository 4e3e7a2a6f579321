import Foundation
import Basics
import ProjectModel
import Warehouse

/// The outcome of one step of a run: what `run_results.json` records for a node or a project hook.
public struct StepResult: Sendable {
    public enum Status: String, Sendable, Codable {
        case success, error, skipped
        /// Test outcomes, as dbt names them.
        case pass, warn, fail
        /// Whether the step's dependents may run.
        public var succeeded: Bool { self == .success || self == .pass || self == .warn }
    }
    /// For tests: how many rows the test query returned.
    public var failures: Int? = nil
    /// For failing or warning tests: up to five of the rows the test query returned.
    public var sample: QueryResult? = nil
    public var id: NodeID
    public var status: Status
    public var message: String
    public var startedAt: Date?
    public var completedAt: Date?
    public var executionTime: Double
    public var rowsAffected: Int?
    /// A located diagnostic for errors (mapped back to the model file where possible).
    public var diagnostic: Diagnostic?
    public var relation: Relation
    /// The SQLSTATE of the database error behind an `error`, if one was behind it.
    public var sqlState: String? = nil
    /// An `on-run-start`/`on-run-end` hook of the project rather than a node.
    public var isProjectHook = false
    /// The SQL the node was rendered to when it ran, when that differs from the compile's (its render asked the
    /// database, so it rendered again on the build's connection); written to target/compiled like dbt does.
    public var renderedSQL: String? = nil
    /// Every statement the step ran, in order (the build, its hooks, grants, the swap; a test's query): what dbt
    /// writes to `target/run/`.
    public var executedSQL: String? = nil
    /// Why the step ran more than once (a deadlock or serialization failure rolled its transaction back), if it did.
    public var retried: [String] = []

    public init(id: NodeID, status: Status, message: String, startedAt: Date?, completedAt: Date?, executionTime: Double, rowsAffected: Int?,
                diagnostic: Diagnostic?, relation: Relation, isProjectHook: Bool = false) {
        self.id = id
        self.status = status
        self.message = message
        self.startedAt = startedAt
        self.completedAt = completedAt
        self.executionTime = executionTime
        self.rowsAffected = rowsAffected
        self.diagnostic = diagnostic
        self.relation = relation
        self.isProjectHook = isProjectHook
    }
}

