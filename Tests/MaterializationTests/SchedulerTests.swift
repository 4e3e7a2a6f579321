import Foundation
import Synchronization
import Testing
import Artifacts
import Basics
import Compilation
import ProjectModel
import Warehouse
@testable import Materialization

/// A warehouse that records every statement and fails the ones containing `boom`: enough to test the scheduler
/// (ordering, skips, fail-fast, cancellation) without a database, since the executor reads only its steps.
final class FakeWarehouse: WarehouseAdapter, Sendable {
    let log = Mutex<[String]>([])
    /// Called with each statement before it "runs" (e.g. to cancel the run from inside a step).
    let onExecute: @Sendable (String) -> Void
    /// Whether the lock watchdog finds the schema lock held.
    let lockHeld: Bool
    init(lockHeld: Bool = true, onExecute: @escaping @Sendable (String) -> Void = { _ in }) {
        self.onExecute = onExecute
        self.lockHeld = lockHeld
    }
    var dialect: SQLDialect { .postgres }
    func connect() throws -> any WarehouseConnection { FakeConnection(warehouse: self) }
    var statements: [String] { log.withLock { $0 } }
    /// Position in the log of the first statement running `step`'s SQL.
    func position(of step: String) -> Int? { statements.firstIndex { $0.contains("/* \(step) */") } }
}

final class FakeConnection: WarehouseConnection, Sendable {
    let warehouse: FakeWarehouse
    init(warehouse: FakeWarehouse) { self.warehouse = warehouse }
    func execute(_ sql: String, parameters: [String?]) throws -> QueryResult {
        warehouse.onExecute(sql)
        warehouse.log.withLock { $0.append(sql) }
        if sql.contains("pg_try_advisory_lock") { return QueryResult(columns: ["ok"], rows: [["t"]]) }
        // the lock watchdog's question: the schema lock is held
        if sql.contains("pg_locks") { return QueryResult(columns: ["held"], rows: warehouse.lockHeld ? [["1"]] : []) }
        if sql.contains("boom") { throw WarehouseError(kind: .statement, sqlState: "22012", message: "division by zero") }
        return QueryResult()
    }
    func copyIn(_ sql: String, chunks: AnySequence<[UInt8]>) throws -> Int { 0 }
    func cancel() {}
    var isOpen: Bool { true }
    func close() {}
}

final class NoObserver: ExecutionObserver {
    func stepStarted(_ step: PlanStep, index: Int, total: Int) {}
    func stepFinished(_ step: PlanStep, result: StepResult, index: Int, total: Int) {}
    func waitingForLock(schema: String) {}
}

@Suite struct SchedulerTests {
    /// A test step named `name` whose SQL carries its name (and `boom` when it should fail).
    func step(_ name: String, after upstream: [String] = [], fails: Bool = false) -> PlanStep {
        PlanStep(id: NodeID("test.p.\(name)"), name: name, kind: .test, action: .test(TestSpec(judgement: TestJudgement())),
                 relation: Relation(database: "", schema: "", identifier: name), sql: "select /* \(name) */ 1" + (fails ? " where boom" : ""),
                 upstream: upstream.map { NodeID("test.p.\($0)") }, origin: SQLOrigin(path: "tests/\(name).sql"))
    }

    func run(_ steps: [PlanStep], on warehouse: FakeWarehouse, threads: Int = 2, failFast: Bool = false,
             cancellation: Cancellation = Cancellation()) throws -> [String: StepResult] {
        let results = try Executor(adapter: warehouse, projectRoot: "/nonexistent")
            .run(Plan(steps: steps, schemas: []), options: ExecutionOptions(threads: threads, failFast: failFast, lockSchema: "s"),
                 observer: NoObserver(), cancellation: cancellation)
        return Dictionary(uniqueKeysWithValues: results.map { ($0.id.rawValue.replacingOccurrences(of: "test.p.", with: ""), $0) })
    }

    @Test func stepsRunAfterTheirUpstreamOnEveryWorker() throws {
        // a diamond and a chain, on two workers
        let steps = [step("a"), step("b", after: ["a"]), step("c", after: ["a"]), step("d", after: ["b", "c"]), step("e"), step("f", after: ["e"])]
        let w = FakeWarehouse()
        let results = try run(steps, on: w)
        #expect(results.values.allSatisfy { $0.status == .pass })
        for s in steps {
            let mine = try #require(w.position(of: s.name))
            for u in s.upstream { #expect(try #require(w.position(of: u.rawValue.replacingOccurrences(of: "test.p.", with: ""))) < mine) }
        }
    }

    @Test func aFailureSkipsItsDescendantsOnlyAndKeepsTheSQLState() throws {
        let steps = [step("a", fails: true), step("b", after: ["a"]), step("c", after: ["b"]), step("x"), step("y", after: ["x"])]
        let w = FakeWarehouse()
        let results = try run(steps, on: w)
        #expect(results["a"]?.status == .error)
        #expect(results["a"]?.sqlState == "22012")
        #expect(results["a"]?.diagnostic?.location?.file == "tests/a.sql")
        #expect(results["b"]?.status == .skipped)
        #expect(results["c"]?.status == .skipped)
        #expect(results["x"]?.status == .pass && results["y"]?.status == .pass)
        #expect(w.position(of: "b") == nil && w.position(of: "c") == nil)
    }

    @Test func failFastStopsEverythingNotStarted() throws {
        // one worker: a fails first, then nothing else may start
        let steps = [step("a", fails: true), step("b"), step("c"), step("d", after: ["c"])]
        let w = FakeWarehouse()
        let results = try run(steps, on: w, threads: 1, failFast: true)
        #expect(results["a"]?.status == .error)
        for name in ["b", "c", "d"] {
            #expect(results[name]?.status == .skipped, "\(name)")
            #expect(w.position(of: name) == nil, "\(name) ran")
        }
    }

    @Test func cancellationStopsNewStepsAndSkipsThem() throws {
        let cancellation = Cancellation()
        // the run is cancelled while b runs: b finishes, nothing after it starts
        let w = FakeWarehouse { sql in if sql.contains("/* b */") { cancellation.cancel(signal: SIGINT) } }
        let steps = [step("a"), step("b", after: ["a"]), step("c", after: ["b"]), step("d", after: ["c"])]
        let results = try run(steps, on: w, threads: 1, cancellation: cancellation)
        #expect(results["a"]?.status == .pass)
        #expect(results["c"]?.status == .skipped)
        #expect(results["d"]?.status == .skipped)
        #expect(results["c"]?.message == "skipped: the run was interrupted (SIGINT)", "\(results["c"]?.message ?? "")")
        #expect(w.position(of: "c") == nil)
        #expect(cancellation.reason == SIGINT)
    }

    /// The watchdog finds the schema lock gone while b runs (a long statement): nothing after b starts, the run
    /// says why, and on-run-end does not run without the lock.
    @Test func aLostLockStopsTheRun() throws {
        let w = FakeWarehouse(lockHeld: false) { sql in if sql.contains("/* b */") { usleep(600_000) } }
        let cancellation = Cancellation()
        let steps = [step("a"), step("b", after: ["a"]), step("c", after: ["b"])]
        let results = try run(steps, on: w, threads: 1, cancellation: cancellation)
        #expect(cancellation.lockLost == "its session no longer holds it")
        #expect(results["c"]?.status == .skipped)
        #expect(results["c"]?.message.contains("lost its schema lock") == true, "\(results["c"]?.message ?? "")")
        #expect(w.position(of: "c") == nil)
    }

    @Test func transientErrorsAreRetriedBySQLStateNotByMessage() {
        var r = StepResult(id: NodeID("model.p.m"), status: .error, message: "deadlock detected", startedAt: nil, completedAt: nil, executionTime: 0,
                           rowsAffected: nil, diagnostic: nil, relation: Relation(database: "", schema: "", identifier: "m"))
        #expect(!Executor.isTransient(r))
        r.sqlState = "40P01"
        #expect(Executor.isTransient(r))
        r.sqlState = "22012"
        r.message = "[SQLSTATE 40P01] in a message"
        #expect(!Executor.isTransient(r))
    }
}
