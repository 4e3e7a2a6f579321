import Foundation
import Basics
import Artifacts
import Compilation
import DependencyGraph
import ProjectModel
import Warehouse

/// How to run a plan.
public struct ExecutionOptions: Sendable {
    public var threads: Int
    public var failFast: Bool
    /// Seconds to wait for another run's lock on the schema; nil waits indefinitely.
    public var lockTimeout: Double?
    /// Advisory lock key material: the target schema.
    public var lockSchema: String
    /// `on-run-start` / `on-run-end` SQL, run under the schema lock before the first step and after the last (also
    /// after failures); nil runs the plan's (the project's own).
    public var onRunStart: [String]? = nil
    public var onRunEnd: [String]? = nil
    public init(threads: Int = 4, failFast: Bool = false, lockTimeout: Double? = nil, lockSchema: String) {
        self.threads = threads
        self.failFast = failFast
        self.lockTimeout = lockTimeout
        self.lockSchema = lockSchema
    }
}

/// Receives progress as steps start and finish (called from worker threads).
public protocol ExecutionObserver: Sendable {
    func stepStarted(_ step: PlanStep, index: Int, total: Int)
    func stepFinished(_ step: PlanStep, result: StepResult, index: Int, total: Int)
    func waitingForLock(schema: String)
}

/// Runs a plan against a warehouse: dependency order, N workers with a connection each, a schema lock.
/// It reads only the plan's steps, never the compiled project.
public struct Executor: Sendable {
    public let adapter: any WarehouseAdapter
    /// The project folder, for reading seed files.
    public let projectRoot: String
    /// The run's start: snapshots stamp versions and deletions with it.
    public let runStartedAt: Date
    /// `--full-refresh`: seeds are rebuilt even when their columns did not change.
    public let fullRefresh: Bool

    public init(adapter: any WarehouseAdapter, projectRoot: String, runStartedAt: Date = Date(), fullRefresh: Bool = false) {
        self.adapter = adapter
        self.projectRoot = projectRoot
        self.runStartedAt = runStartedAt
        self.fullRefresh = fullRefresh
    }

    public func run(_ plan: Plan, options: ExecutionOptions, observer: any ExecutionObserver, cancellation: Cancellation = Cancellation()) throws -> [StepResult] {
        guard !plan.steps.isEmpty else { return [] }
        let lockConnection = try adapter.connect()
        defer { lockConnection.close() }
        let settings = try SessionSettings(probing: lockConnection)
        try settings.apply(to: lockConnection)
        try acquireLock(lockConnection, schema: options.lockSchema, timeout: options.lockTimeout, observer: observer)
        defer { _ = try? lockConnection.execute("SELECT pg_advisory_unlock_all()") }
        for schema in plan.schemas {
            try lockConnection.execute("CREATE SCHEMA IF NOT EXISTS \(adapter.dialect.quote(schema))")
        }
        for ext in plan.extensions {
            do {
                try lockConnection.execute("CREATE EXTENSION IF NOT EXISTS \(adapter.dialect.quote(ext))")
            } catch let e as WarehouseError {
                throw ExecutionError("models need the PostgreSQL extension '\(ext)', which could not be created: \(e.message)")
            }
        }
        // on-run-start: a failure stops the run before anything is built
        var started: [StepResult] = []
        let startFailed = runHooks(options.onRunStart ?? plan.onRunStart, "on-run-start", project: plan.projectName, on: lockConnection, into: &started)
        if startFailed {
            return started + plan.steps.map { s in
                StepResult(id: s.id, status: .skipped, message: "skipped: an on-run-start hook failed", startedAt: nil, completedAt: nil,
                           executionTime: 0, rowsAffected: nil, diagnostic: nil, relation: s.relation)
            }
        }
        let scheduler = Scheduler(plan: plan, failFast: options.failFast, cancellation: cancellation)
        let workers = max(1, min(options.threads, plan.steps.count))
        // Open every worker's connection up front, so a dead database fails before anything is built.
        var connections: [any WarehouseConnection] = []
        for _ in 0..<workers {
            let c = try adapter.connect()
            try settings.apply(to: c)
            cancellation.register(c)
            connections.append(c)
        }
        // while steps run, the lock session is checked every quarter second: a lost lock stops the run
        let watchdog = LockWatchdog(connection: lockConnection, schema: options.lockSchema, cancellation: cancellation)
        watchdog.start()
        let group = DispatchGroup()
        for first in connections {
            let worker = Thread { [self] in
                var conn = first
                defer { conn.close(); group.leave() }
                while let (index, step) = scheduler.next() {
                    observer.stepStarted(step, index: index, total: plan.steps.count)
                    // a dropped session (terminated backend, restarted server) is replaced before the next step, once
                    // the schema lock is known to be still held (a restart takes it away with every session)
                    if !conn.isOpen, watchdog.check(), let fresh = try? adapter.connect() {
                        try? settings.apply(to: fresh)
                        conn.close()
                        conn = fresh
                        cancellation.register(fresh)
                    }
                    // nothing is built without the lock
                    let result = cancellation.lockLost == nil ? execute(step, on: conn)
                        : StepResult(id: step.id, status: .skipped, message: "skipped: the run lost its schema lock", startedAt: nil, completedAt: nil,
                                     executionTime: 0, rowsAffected: nil, diagnostic: nil, relation: step.relation)
                    for skipped in scheduler.complete(step.id, result: result) {
                        observer.stepFinished(skipped.0, result: skipped.1, index: skipped.2, total: plan.steps.count)
                    }
                    observer.stepFinished(step, result: result, index: index, total: plan.steps.count)
                }
            }
            worker.stackSize = 4 << 20
            group.enter()
            worker.start()
        }
        group.wait()
        watchdog.stop()
        let results = scheduler.results(in: plan)
        // a lost lock ends the run here: on-run-end would run without it
        if cancellation.lockLost != nil { return started + results }
        var ended: [StepResult] = []
        _ = runHooks(options.onRunEnd ?? plan.onRunEnd, "on-run-end", project: plan.projectName, on: lockConnection, into: &ended)
        return started + results + ended
    }

    /// Runs project hooks in order; records each as an `operation.<project>.<hook>.<n>` result. Returns whether one failed.
    private func runHooks(_ hooks: [String], _ what: String, project: String, on conn: any WarehouseConnection, into results: inout [StepResult]) -> Bool {
        for (i, sql) in hooks.enumerated() where !sql.trimmedWhitespace.isEmpty {
            let started = Date(), clock = ContinuousClock.now
            var r = StepResult(id: NodeID("operation.\(project).\(what).\(i)"), status: .success, message: "\(what) hook \(i + 1)",
                               startedAt: started, completedAt: nil, executionTime: 0, rowsAffected: nil, diagnostic: nil,
                               relation: Relation(database: "", schema: "", identifier: "\(what).\(i)"), isProjectHook: true)
            do { try conn.execute(sql) } catch let e as WarehouseError {
                r.status = .error
                r.message = "\(what) hook \(i + 1) failed: \(e.message)"
                r.sqlState = e.sqlState
                r.diagnostic = Diagnostic(code: .projectHookFailed, r.message + (e.sqlState.map { " [SQLSTATE \($0)]" } ?? ""))
            } catch {
                r.status = .error
                r.message = "\(what) hook \(i + 1) failed: \(error)"
            }
            r.completedAt = Date()
            r.executionTime = (ContinuousClock.now - clock).seconds
            results.append(r)
            if r.status == .error { return true }
        }
        return false
    }

    private func acquireLock(_ conn: any WarehouseConnection, schema: String, timeout: Double?, observer: any ExecutionObserver) throws {
        let key = "strata:" + schema
        if try conn.execute("SELECT pg_try_advisory_lock(hashtextextended($1, 0))", parameters: [key]).scalar == "t" { return }
        observer.waitingForLock(schema: schema)
        if let timeout { try conn.execute("SET lock_timeout = '\(Int(timeout * 1000))ms'") }
        do {
            try conn.execute("SELECT pg_advisory_lock(hashtextextended($1, 0))", parameters: [key])
        } catch let e as WarehouseError where e.sqlState == "55P03" {
            throw ExecutionError("another Strata run holds the lock on schema '\(schema)'; gave up after \(timeout.map { "\($0)" } ?? "?")s (--lock-timeout)")
        }
        try conn.execute("SET lock_timeout = 0")
    }

    /// Runs a step; a transaction that lost a deadlock (or raced a concurrent drop) rolled back whole, so it is retried.
    func execute(_ step: PlanStep, on conn: any WarehouseConnection) -> StepResult {
        var attempt = 1
        var retried: [String] = []
        while true {
            var result = executeOnce(step, on: conn)
            guard result.status == .error, attempt < 4, Self.isTransient(result) else {
                result.retried = retried
                return result
            }
            retried.append(result.sqlState == "40P01" ? "deadlock" : result.sqlState == "40001" ? "serialization failure" : "relation dropped concurrently")
            attempt += 1
        }
    }

    /// A deadlock or serialization failure, or a relation dropped under a concurrent statement: the transaction rolled
    /// back whole and may simply be run again.
    static func isTransient(_ r: StepResult) -> Bool {
        switch r.sqlState {
        case "40P01", "40001": return true
        case "XX000": return r.message.contains("could not open relation")
        default: return false
        }
    }

    func executeOnce(_ step: PlanStep, on session: any WarehouseConnection) -> StepResult {
        var step = step
        let conn = RecordingConnection(session)
        let started = Date()
        let clock = ContinuousClock.now
        var result = StepResult(id: step.id, status: .success, message: "", startedAt: started, completedAt: nil, executionTime: 0,
                                rowsAffected: nil, diagnostic: nil, relation: step.relation)
        let swap = RelationSwap(connection: conn, dialect: adapter.dialect)
        do {
            // a model whose SQL asked the database renders again now, after its upstream builds (as dbt renders it)
            if let sql = try step.runTimeRender?.sql(on: conn), sql != step.sql {
                step.sql = sql
                step.origin.compiledSQL = sql
                step.origin.sourceMap = nil
                result.renderedSQL = sql
            }
            switch step.action {
            case .buildView:
                let contracted = ContractedBuild(connection: conn, dialect: adapter.dialect)
                _ = try swap.build(.view, relation: step.relation, sql: step.sql, verify: step.contract.map { binding in
                    { name in try contracted.verifyView(name, contract: binding.contract, step: step) }
                }, around: around(step, on: conn))
                result.message = "CREATE VIEW"
            case .buildTable:
                if let binding = step.contract {
                    result.rowsAffected = try ContractedBuild(connection: conn, dialect: adapter.dialect)
                        .buildTable(step, binding: binding, swap: swap, around: around(step, on: conn))
                } else {
                    result.rowsAffected = try swap.build(.table, relation: step.relation, sql: step.sql, around: around(step, on: conn))
                }
                result.message = "SELECT \(result.rowsAffected ?? 0)"
            case .loadSeed(let seed):
                let loader = SeedLoader(adapter: adapter, projectRoot: projectRoot)
                do {
                    result.rowsAffected = try loader.load(seed, on: conn, fullRefresh: fullRefresh, around: around(step, on: conn)) { model in
                        step.contract?.referenced[model]
                    }
                } catch let v as ContractViolation {
                    throw v
                } catch {
                    let table = try? loader.read(seed).0
                    throw loader.diagnostic(for: error, node: seed, table: table)
                }
                result.message = "INSERT \(result.rowsAffected ?? 0)"
            case .loadIncremental(let spec):
                // incremental loads run their own transaction: hooks and grants run just before and after it
                let (rows, message) = try around(step, on: conn).wrapping {
                    try IncrementalLoad(connection: conn, dialect: adapter.dialect).load(relation: step.relation, sql: step.sql, spec: spec)
                }
                result.rowsAffected = rows
                result.message = message
            case .test(let spec):
                let (failures, status, sample) = try spec.run(step.sql, on: conn)
                result.failures = failures
                result.sample = sample
                result.status = status
                result.message = status == .pass ? "PASS" : "\(status.rawValue.uppercased()) \(failures)"
            case .unitTest(let fixture):
                let (failures, message) = try UnitTestRun(connection: conn, dialect: adapter.dialect).run(step.sql, fixture)
                result.failures = failures
                result.status = failures == 0 ? .pass : .fail
                result.message = failures == 0 ? "PASS" : message
            case .microbatch(let spec):
                let (rows, message) = try around(step, on: conn).wrapping {
                    try MicrobatchLoad(connection: conn, dialect: adapter.dialect).load(relation: step.relation, sql: step.sql, spec: spec)
                }
                result.rowsAffected = rows
                result.message = message
            case .snapshot(let spec):
                let (rows, message) = try around(step, on: conn).wrapping {
                    try SnapshotLoad(connection: conn, dialect: adapter.dialect).load(relation: step.relation, sql: step.sql, spec: spec, now: runStartedAt)
                }
                result.rowsAffected = rows
                result.message = message
            case .unsupported(let why):
                throw ExecutionError(why)
            }
            if result.status == .success, step.build.persistDocs.any {
                try persistDocs(step, on: conn)
            }
        } catch {
            result.status = .error
            result.sqlState = Self.sqlState(of: error)
            result.diagnostic = diagnostic(for: error, step: step)
            result.message = result.diagnostic?.message ?? "\(error)"
        }
        result.executedSQL = conn.script
        result.completedAt = Date()
        let elapsed = ContinuousClock.now - clock
        result.executionTime = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return result
    }

    /// A model's pre-hooks, and its post-hooks and grants, for the build to run inside its transaction.
    func around(_ step: PlanStep, on conn: any WarehouseConnection) -> RelationSwap.Around {
        let settings = step.build
        func run(_ hooks: [String], _ what: String) throws {
            // templated hooks render as they run, inside the build's transaction (dbt's run_hooks)
            var hooks = hooks
            if let render = step.runTimeRender, render.rendersHooks { hooks = try render.hooks(what == "pre-hook" ? .preHooks : .postHooks, on: conn) }
            for (i, sql) in hooks.enumerated() where !sql.trimmedWhitespace.isEmpty {
                do { try conn.execute(sql) } catch let e as WarehouseError {
                    var err = e
                    err.message = "\(what) \(i + 1) failed: \(e.message)"
                    throw RelationSwap.StatementFailure(error: err, bodyOffset: nil)
                }
            }
        }
        return RelationSwap.Around(before: { try run(settings.preHooks, "pre-hook") }, after: {
            try run(settings.postHooks, "post-hook")
            if !settings.grants.isEmpty { try Grants(connection: conn, dialect: adapter.dialect).apply(settings.grants, to: step.relation) }
        })
    }

    /// `persist_docs: {relation: true, columns: true}`: descriptions from properties YAML (and contracts) become
    /// PostgreSQL comments on the relation and its columns, as dbt-postgres writes them.
    func persistDocs(_ step: PlanStep, on conn: any WarehouseConnection) throws {
        let dialect = adapter.dialect
        let relation = step.relation, persist = step.build.persistDocs
        let target = dialect.qualified(relation.schema, relation.identifier)
        let catalog = WarehouseCatalog(conn)
        let kind = try catalog.kind(of: target)
        let keyword = kind == "v" ? "VIEW" : kind == "m" ? "MATERIALIZED VIEW" : "TABLE"
        var statements: [String] = []
        if persist.relation, !step.docs.relation.isEmpty {
            statements.append("COMMENT ON \(keyword) \(target) IS \(dialect.literal(step.docs.relation))")
        }
        if persist.columns {
            let descriptions = step.docs.columns
            if !descriptions.isEmpty {
                let existing = Set(try catalog.columns(of: target).map(\.name))
                for (name, text) in descriptions where existing.contains(name) {
                    statements.append("COMMENT ON COLUMN \(target).\(dialect.quote(name)) IS \(dialect.literal(text))")
                }
            }
        }
        if !statements.isEmpty { try conn.execute(statements.joined(separator: ";\n")) }
    }

    /// Maps a database error back to the model file: the statement position → compiled SQL → template line:col.
    func diagnostic(for error: Error, step: PlanStep) -> Diagnostic {
        let fileStart = step.origin.fileStart
        // what failed: a model, seed, snapshot or test (tests build nothing, so there is no relation to speak of)
        let what = "\(step.kind.rawValue) '\(step.name)'"
        let kept: [Diagnostic.Note] = step.kind == .test ? [] : [.init("\(step.relation) was not replaced: what was there before, if anything, is as it was")]
        switch error {
        case let d as Diagnostic:
            return d
        case let f as RelationSwap.StatementFailure:
            let e = f.error
            var location = fileStart
            if let pos = e.position, let offset = f.bodyOffset, pos > offset,
               let mapped = step.origin.location(forCompiledPosition: pos - offset) {
                location = mapped
            }
            var notes: [Diagnostic.Note] = []
            if let d = e.detail { notes.append(.init("detail: \(d)")) }
            if let h = e.hint { notes.append(.init("hint: \(h)")) }
            notes += kept
            let state = e.sqlState.map { " [SQLSTATE \($0)]" } ?? ""
            return Diagnostic(code: .statementFailed, "\(what) failed: \(e.message)\(state)", at: location, notes: notes)
        case let v as ContractViolation:
            let state = v.sqlState.map { " [SQLSTATE \($0)]" } ?? ""
            return Diagnostic(code: .contractViolated, "\(what) \(v.message)\(state)", at: fileStart,
                              notes: [.init("the contract", at: v.location)] + kept)
        case let e as WarehouseError:
            return Diagnostic(code: .databaseError, "\(what) failed: \(e.description)", at: fileStart)
        case let e as ExecutionError:
            return Diagnostic(code: .buildNotPossible, "\(what): \(e.description)", at: fileStart)
        default:
            return Diagnostic(code: .unexpectedBuildError, "\(what) failed: \(error)", at: fileStart)
        }
    }
}

extension Executor {
    /// The SQLSTATE behind a step's failure, kept as a field so retries and reports need not parse messages.
    static func sqlState(of error: Error) -> String? {
        switch error {
        case let f as RelationSwap.StatementFailure: return f.error.sqlState
        case let v as ContractViolation: return v.sqlState
        case let e as WarehouseError: return e.sqlState
        default: return nil
        }
    }
}

/// A failure of the run itself (not of one model).
public struct ExecutionError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// Hands out steps whose upstream steps succeeded; skips descendants of failures. Workers block on its condition
/// variable, which `Mutex` cannot offer: every field is read and written only while `cond` is locked, which is what
/// the unchecked conformance stands for.
final class Scheduler: @unchecked Sendable {
    private let cond = NSCondition()
    private let steps: [PlanStep]
    private let indexOf: [NodeID: Int]
    private var remainingUpstream: [Int]
    private var downstream: [[Int]]
    private var ready: [Int] = []
    private var finished: [Int: StepResult] = [:]
    private var startedCount = 0
    private var numbers: [Int: Int] = [:]
    private var running = 0
    private var stopped = false
    private let failFast: Bool
    private let cancellation: Cancellation

    init(plan: Plan, failFast: Bool, cancellation: Cancellation) {
        steps = plan.steps
        self.failFast = failFast
        self.cancellation = cancellation
        indexOf = Dictionary(uniqueKeysWithValues: plan.steps.enumerated().map { ($1.id, $0) })
        remainingUpstream = plan.steps.map(\.upstream.count)
        downstream = Array(repeating: [], count: plan.steps.count)
        for (i, s) in plan.steps.enumerated() {
            for u in s.upstream { if let ui = indexOf[u] { downstream[ui].append(i) } }
        }
        ready = (0..<steps.count).filter { remainingUpstream[$0] == 0 }.reversed()
    }

    /// Blocks until a step is ready or all work is done; returns the step and its display number.
    func next() -> (Int, PlanStep)? {
        cond.lock()
        defer { cond.unlock() }
        while true {
            if cancellation.isStopped, !stopped { stopped = true; skipUnstarted("cancelled") }
            if stopped && running == 0 { cond.broadcast(); return nil }
            if !stopped, let i = ready.popLast() {
                running += 1
                startedCount += 1
                numbers[i] = startedCount
                return (startedCount, steps[i])
            }
            if finished.count == steps.count || (stopped && ready.isEmpty && running == 0) { cond.broadcast(); return nil }
            if ready.isEmpty && running == 0 && finished.count < steps.count && !stopped {
                return nil // nothing runnable (cannot happen in a DAG)
            }
            cond.wait()
        }
    }

    /// Records a result; returns the steps skipped because of it (with display numbers).
    func complete(_ id: NodeID, result: StepResult) -> [(PlanStep, StepResult, Int)] {
        cond.lock()
        defer { cond.broadcast(); cond.unlock() }
        let i = indexOf[id]!
        running -= 1
        finished[i] = result
        var skipped: [(PlanStep, StepResult, Int)] = []
        if result.status.succeeded {
            for d in downstream[i] {
                remainingUpstream[d] -= 1
                if remainingUpstream[d] == 0, finished[d] == nil { ready.append(d); ready.sort(by: >) }
            }
        } else {
            if failFast { stopped = true }
            var stack = downstream[i]
            while let d = stack.popLast() {
                guard finished[d] == nil else { continue }
                let r = StepResult(id: steps[d].id, status: .skipped, message: "skipped: upstream '\(steps[i].name)' did not succeed",
                                   startedAt: nil, completedAt: nil, executionTime: 0, rowsAffected: nil, diagnostic: nil, relation: steps[d].relation)
                finished[d] = r
                startedCount += 1
                skipped.append((steps[d], r, startedCount))
                stack += downstream[d]
            }
        }
        if cancellation.isStopped { stopped = true }
        if stopped {
            let why = cancellation.lockLost.map { _ in "skipped: the run lost its schema lock" }
                ?? cancellation.reason.map { "skipped: the run was interrupted (\($0 == SIGINT ? "SIGINT" : "SIGTERM"))" } ?? "skipped: --fail-fast after an error"
            for d in ready where finished[d] == nil {
                finished[d] = StepResult(id: steps[d].id, status: .skipped, message: why, startedAt: nil,
                                         completedAt: nil, executionTime: 0, rowsAffected: nil, diagnostic: nil, relation: steps[d].relation)
                startedCount += 1
                skipped.append((steps[d], finished[d]!, startedCount))
            }
            ready.removeAll()
            // steps not yet ready are skipped too
            for d in 0..<steps.count where finished[d] == nil && numbers[d] == nil && remainingUpstream[d] > 0 {
                finished[d] = StepResult(id: steps[d].id, status: .skipped, message: why, startedAt: nil,
                                         completedAt: nil, executionTime: 0, rowsAffected: nil, diagnostic: nil, relation: steps[d].relation)
                startedCount += 1
                skipped.append((steps[d], finished[d]!, startedCount))
            }
        }
        return skipped
    }

    /// Marks every step that has not started as skipped (the caller holds the lock).
    private func skipUnstarted(_ why: String) {
        for d in 0..<steps.count where finished[d] == nil && numbers[d] == nil {
            finished[d] = StepResult(id: steps[d].id, status: .skipped, message: "skipped: \(why)", startedAt: nil, completedAt: nil,
                                     executionTime: 0, rowsAffected: nil, diagnostic: nil, relation: steps[d].relation)
        }
        ready.removeAll()
    }

    func results(in plan: Plan) -> [StepResult] {
        cond.lock()
        defer { cond.unlock() }
        return plan.steps.indices.compactMap { finished[$0] }
    }
}

/// What every session of a run sets, so that managed-service defaults cannot cut it off and a vanished client is
/// noticed: no idle-session or idle-in-transaction timeout, and (PostgreSQL 14 and later, probed once) the server
/// checks every second that the client is still there, cancelling an orphaned statement instead of running it on.
struct SessionSettings: Sendable {
    let statements: [String]

    init(probing connection: any WarehouseConnection) throws {
        let version = Int(try connection.execute("SHOW server_version_num").scalar ?? "") ?? 0
        var s = ["SET idle_in_transaction_session_timeout = 0"]
        if version >= 140000 { s += ["SET idle_session_timeout = 0", "SET client_connection_check_interval = '1s'"] }
        statements = s
    }

    func apply(to connection: any WarehouseConnection) throws {
        try connection.execute(statements.joined(separator: ";\n"))
    }
}

/// Checks, while steps run, that the run's lock session still holds its advisory lock; when it does not (the session
/// was terminated, timed out, or the server restarted) it stops the run: no new steps start and statements in flight
/// are cancelled, so nothing is built without the lock.
final class LockWatchdog: @unchecked Sendable {
    let connection: any WarehouseConnection
    let schema: String
    let cancellation: Cancellation
    private let done = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    /// The lock session is used by one check at a time (the watchdog's, or a worker's before it reconnects).
    private let checking = NSLock()

    init(connection: any WarehouseConnection, schema: String, cancellation: Cancellation) {
        self.connection = connection
        self.schema = schema
        self.cancellation = cancellation
    }

    func start() {
        Thread { [self] in
            defer { finished.signal() }
            // wakes every 250 ms, or at once when the run ends
            while done.wait(timeout: .now() + .milliseconds(250)) == .timedOut {
                if !check() { return }
            }
        }.start()
    }

    /// Whether the lock is still held; when it is not, the run is stopped (and stays stopped).
    @discardableResult
    func check() -> Bool {
        checking.lock()
        defer { checking.unlock() }
        if cancellation.lockLost != nil { return false }
        var why = "its session no longer holds it"
        do {
            // (the session holds nothing else: the schema lock is its only advisory lock)
            if try connection.execute("""
                SELECT 1 FROM pg_catalog.pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted
                """).rows.count >= 1 { return true }
        } catch let e as WarehouseError {
            why = "its session ended: \(e.message)"
        } catch {
            why = "\(error)"
        }
        cancellation.stop(lockLost: why)
        return false
    }

    func stop() {
        done.signal()
        finished.wait()
    }
}
