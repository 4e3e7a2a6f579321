import Foundation
import Basics
import Compilation
import DependencyGraph
import ProjectModel

/// What to do for one node. Plain data: printable, testable without a database.
public struct PlanStep: Sendable {
    public enum Action: Sendable, Equatable {
        case buildView
        case buildTable
        /// Load a CSV seed with COPY into a table swapped in like any other.
        case loadSeed
        /// Load new rows into the existing table of an incremental model.
        case loadIncremental(IncrementalSpec)
        /// Record changes in a snapshot table (SCD type 2).
        case snapshot(SnapshotSpec)
        /// Build or replace a microbatch model batch by batch.
        case microbatch(MicrobatchSpec)
        /// Run a data test: count the rows its query returns and judge them by severity and thresholds.
        case test(TestSpec)
        /// Run a unit test: the model on given rows, compared with expected rows.
        case unitTest
        /// A materialization Strata cannot build yet: the step fails with this message instead of silently doing nothing.
        case unsupported(String)
    }
    public var id: NodeID
    public var name: String
    public var action: Action
    public var relation: Relation
    public var sql: String
    /// Upstream steps in this plan (their failure skips this step).
    public var upstream: [NodeID]
}

/// An ordered list of steps and the schemas they need.
public struct Plan: Sendable {
    public var steps: [PlanStep]
    public var schemas: [String]
    /// PostgreSQL extensions the steps' SQL needs, created before the first step.
    public var extensions: [String] = []

    /// One line per step, for `--dry-run` and tests.
    public var description: String {
        steps.enumerated().map { i, s in
            let what: String
            switch s.action {
            case .buildView: what = "view"
            case .buildTable: what = "table"
            case .loadSeed: what = "seed"
            case .test(let spec): what = "test (\(spec.severity))"
            case .unitTest: what = "unit test"
            case .microbatch(let spec): what = "microbatch \(spec.batches.count) \(spec.batchSize.rawValue) batch\(spec.batches.count == 1 ? "" : "es")" + (spec.rebuild ? " (build)" : "")
            case .snapshot(let spec): what = "snapshot \(spec.strategy.rawValue) on \(spec.uniqueKey.joined(separator: ", "))"
            case .loadIncremental(let spec): what = "incremental \(spec.strategy.rawValue)" + (spec.uniqueKey.isEmpty ? "" : " on \(spec.uniqueKey.joined(separator: ", "))")
            case .unsupported(let m): what = "unsupported (\(m))"
            }
            let deps = s.upstream.isEmpty ? "" : " after " + s.upstream.map { $0.rawValue.split(separator: ".").last.map(String.init) ?? $0.rawValue }.joined(separator: ", ")
            return "\(i + 1). \(what) \(s.relation)\(deps)"
        }.joined(separator: "\n")
    }
}

/// Turns a compiled project and a selection into a plan. Pure: no I/O.
public struct Planner: Sendable {
    /// The run's time (microbatch windows end at the batch after it).
    public var now: Date
    /// `--event-time-start/--event-time-end`: an explicit microbatch range.
    public var eventTimeStart: Date?
    public var eventTimeEnd: Date?
    /// `--store-failures`: every test saves its failing rows (as each test's `store_failures: true` does).
    public var storeFailures: Bool

    public init(now: Date = Date(), eventTimeStart: Date? = nil, eventTimeEnd: Date? = nil, storeFailures: Bool = false) {
        self.now = now
        self.eventTimeStart = eventTimeStart
        self.eventTimeEnd = eventTimeEnd
        self.storeFailures = storeFailures
    }

    public func plan(_ project: CompiledProject, selected: Set<NodeID>) -> Plan {
        var steps: [PlanStep] = []
        var inPlan = Set<NodeID>()
        for id in project.order where selected.contains(id) {
            guard let node = project.nodes[id], node.kind == .model, node.materialization != .ephemeral,
                  let relation = node.relation, let sql = node.compiledSQL else { continue }
            let action: PlanStep.Action
            switch node.materialization {
            case .view: action = .buildView
            case .table: action = .buildTable
            case .incremental where node.config["incremental_strategy"]?.asString == "microbatch":
                let (spec, problem) = MicrobatchSpec.plan(config: node.config, loadsIncrementally: node.loadsIncrementally, now: now,
                                                          start: eventTimeStart, end: eventTimeEnd)
                action = spec.map { .microbatch($0) } ?? .unsupported(problem ?? "bad microbatch configuration")
            case .incremental:
                // first run, a view in the way, or a full refresh: build the table like any other
                guard node.loadsIncrementally else { action = .buildTable; break }
                let (spec, problem) = IncrementalSpec.from(node.config)
                action = spec.map { .loadIncremental($0) } ?? .unsupported(problem ?? "unsupported incremental configuration")
            default: action = .unsupported("materialized='\(node.materialization.rawValue)' cannot be run as a model")
            }
            // upstream steps, looking through ephemeral models (which have no step of their own)
            var upstream = Set<NodeID>()
            var stack = project.graph.parents[id] ?? []
            var seen = Set<NodeID>()
            while let p = stack.popLast() {
                guard seen.insert(p).inserted else { continue }
                if inPlan.contains(p) { upstream.insert(p) }
                else if project.nodes[p]?.materialization == .ephemeral || project.nodes[p]?.kind == .source { stack += project.graph.parents[p] ?? [] }
            }
            steps.append(PlanStep(id: id, name: node.name, action: action, relation: relation, sql: sql, upstream: upstream.sorted()))
            inPlan.insert(id)
        }
        let schemas = Array(Set(steps.map(\.relation.schema))).sorted()
        let extensions = Set(steps.flatMap { project.nodes[$0.id]?.extensions ?? [] }).sorted()
        return Plan(steps: steps, schemas: schemas, extensions: extensions)
    }

    /// Steps for the selected snapshots, in dependency order. `dbtNames` picks dbt's `dbt_`-prefixed columns.
    public func planSnapshots(_ project: CompiledProject, selected: Set<NodeID>, dbtNames: Bool) -> Plan {
        let steps = project.order.compactMap { id -> PlanStep? in
            guard selected.contains(id), let node = project.nodes[id], node.kind == .snapshot, let relation = node.relation, let sql = node.compiledSQL else { return nil }
            return PlanStep(id: id, name: node.name, action: .snapshot(SnapshotSpec.from(node.config, dbtNames: dbtNames)), relation: relation, sql: sql, upstream: [])
        }
        return Plan(steps: steps, schemas: Array(Set(steps.map(\.relation.schema))).sorted(),
                    extensions: Set(steps.flatMap { project.nodes[$0.id]?.extensions ?? [] }).sorted())
    }

    /// `build`: seeds, models, snapshots and tests of the selection in one DAG. A node waits for its parents and for
    /// the tests of its parents, so a failing error-severity test skips everything downstream of what it tested.
    public func planBuild(_ project: CompiledProject, selected: Set<NodeID>, dbtNames: Bool) -> Plan {
        let models = plan(project, selected: selected).steps
        let seeds = planSeeds(project, selected: selected).steps
        let snapshots = planSnapshots(project, selected: selected, dbtNames: dbtNames).steps
        let testPlan = planTests(project, selected: selected)
        let tests = testPlan.steps
        let byID = Dictionary(uniqueKeysWithValues: (seeds + models + snapshots + tests).map { ($0.id, $0) })
        // tests of each node, by the node they read
        var testsOf: [NodeID: [NodeID]] = [:]
        for t in tests { for p in project.graph.parents[t.id] ?? [] { testsOf[p, default: []].append(t.id) } }
        var steps: [PlanStep] = []
        for id in project.order {
            guard var step = byID[id] else { continue }
            // upstream in this plan, looking through ephemeral models
            var upstream = Set<NodeID>()
            var stack = project.graph.parents[id] ?? []
            var seen = Set<NodeID>()
            var downstream: Set<NodeID>?
            while let p = stack.popLast() {
                guard seen.insert(p).inserted else { continue }
                if byID[p] != nil {
                    upstream.insert(p)
                    // a non-test node also waits for its parents' tests, except tests that read it or what it feeds
                    // (a relationships test on the parent pointing at this node would wait for it: a cycle)
                    if project.nodes[id]?.kind != .test, let parentTests = testsOf[p] {
                        for t in parentTests {
                            let reads = project.graph.parents[t] ?? []
                            if reads.count > 1 {
                                if downstream == nil { downstream = project.graph.descendants(of: id).union([id]) }
                                if reads.contains(where: { downstream!.contains($0) }) { continue }
                            }
                            upstream.insert(t)
                        }
                    }
                } else if project.nodes[p]?.materialization == .ephemeral || project.nodes[p]?.kind == .source {
                    stack += project.graph.parents[p] ?? []
                }
            }
            upstream.remove(id)
            step.upstream = upstream.sorted()
            steps.append(step)
        }
        // tests must come before the nodes that wait for them: order by a topological sort of the plan's own edges
        let position = Dictionary(uniqueKeysWithValues: steps.enumerated().map { ($1.id, $0) })
        var indegree = steps.map { $0.upstream.filter { position[$0] != nil }.count }
        var children: [[Int]] = Array(repeating: [], count: steps.count)
        for (i, s) in steps.enumerated() { for u in s.upstream { if let p = position[u] { children[p].append(i) } } }
        var ready = (0..<steps.count).filter { indegree[$0] == 0 }.reversed() as [Int]
        var ordered: [PlanStep] = []
        while let i = ready.popLast() {
            ordered.append(steps[i])
            for c in children[i].reversed() { indegree[c] -= 1; if indegree[c] == 0 { ready.append(c) } }
        }
        // never drop a step: should waits on tests ever form a cycle, fall back to the graph's own edges for those steps
        if ordered.count < steps.count {
            let placed = Set(ordered.map(\.id))
            for var s in steps where !placed.contains(s.id) {
                s.upstream = s.upstream.filter { project.nodes[$0]?.kind != .test }
                ordered.append(s)
            }
        }
        return Plan(steps: ordered, schemas: Array(Set((seeds + models + snapshots).map(\.relation.schema) + testPlan.schemas)).sorted(),
                    extensions: Set((models + snapshots).flatMap { project.nodes[$0.id]?.extensions ?? [] }).sorted())
    }

    /// The tests of the selected nodes (a test is selected with any node it reads, as dbt's eager selection does),
    /// plus tests selected by name.
    public func planTests(_ project: CompiledProject, selected: Set<NodeID>) -> Plan {
        let steps = project.order.compactMap { id -> PlanStep? in
            guard let node = project.nodes[id], node.kind == .test, let sql = node.compiledSQL else { return nil }
            let parents = project.graph.parents[id] ?? []
            let tested = node.config["tested_node"]?.asString.map(NodeID.init)
            guard selected.contains(id) || parents.contains(where: { selected.contains($0) }) || tested.map(selected.contains) == true else { return nil }
            if node.unitTest != nil {
                return PlanStep(id: id, name: node.name, action: .unitTest, relation: Relation(database: "", schema: "", identifier: node.name), sql: sql, upstream: [])
            }
            var spec = TestSpec(severity: node.config["severity"]?.asString ?? "error", warnIf: node.config["warn_if"]?.asString ?? "!=0",
                                errorIf: node.config["error_if"]?.asString ?? "!=0", limit: node.config["limit"]?.asInt)
            if node.config["store_failures"]?.asBool ?? storeFailures {
                // dbt's default: the custom schema dbt_test__audit, so <target schema>_dbt_test__audit
                spec.storeFailuresIn = Relation(database: project.target.database, schema: "\(project.target.schema)_dbt_test__audit",
                                                identifier: String(node.name.prefix(63)))
            }
            return PlanStep(id: id, name: node.name, action: .test(spec), relation: Relation(database: "", schema: "", identifier: node.name), sql: sql, upstream: [])
        }
        let auditSchemas = steps.compactMap { step -> String? in if case .test(let s) = step.action { return s.storeFailuresIn?.schema } else { return nil } }
        return Plan(steps: steps, schemas: Array(Set(auditSchemas)).sorted())
    }

    /// Steps that load the selected seeds (seeds depend on nothing, so they all run in parallel).
    public func planSeeds(_ project: CompiledProject, selected: Set<NodeID>) -> Plan {
        let steps = project.order.compactMap { id -> PlanStep? in
            guard selected.contains(id), let node = project.nodes[id], node.kind == .seed, let relation = node.relation else { return nil }
            return PlanStep(id: id, name: node.name, action: .loadSeed, relation: relation, sql: "", upstream: [])
        }
        return Plan(steps: steps, schemas: Array(Set(steps.map(\.relation.schema))).sorted())
    }
}
