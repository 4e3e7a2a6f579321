import Foundation
import Basics
import Compilation
import DependencyGraph
import ProjectModel

/// What to do for one node, with everything needed to do it (swift-driver's `Job`): the executor reads only its steps.
/// Plain data: printable, testable without a database.
public struct PlanStep: Sendable {
    public enum Action: Sendable {
        case buildView
        case buildTable
        /// Load a CSV seed with COPY into a table swapped in like any other.
        case loadSeed(SeedInput)
        /// Load new rows into the existing table of an incremental model.
        case loadIncremental(IncrementalSpec)
        /// Record changes in a snapshot table (SCD type 2).
        case snapshot(SnapshotSpec)
        /// Build or replace a microbatch model batch by batch.
        case microbatch(MicrobatchSpec)
        /// Run a data test: count the rows its query returns and judge them by severity and thresholds.
        case test(TestSpec)
        /// Run a unit test: the model on given rows, compared with expected rows.
        case unitTest(UnitTestFixture)
        /// A materialization Strata cannot build yet: the step fails with this message instead of silently doing nothing.
        case unsupported(String)
    }
    public var id: NodeID
    public var name: String
    /// What the node is (messages say "model 'x'", "seed 'y'"; tests leave no relation behind).
    public var kind: NodeKind
    public var action: Action
    public var relation: Relation
    public var sql: String
    /// Upstream steps in this plan (their failure skips this step).
    public var upstream: [NodeID]
    /// Hooks, grants and persist_docs, run in the build's transaction.
    public var build = BuildSettings()
    /// The contract the build must keep, with the relations its foreign keys reference.
    public var contract: ContractBinding? = nil
    /// Descriptions for persist_docs: the relation's and its columns'.
    public var docs = Docs()
    /// Where the SQL came from: database error positions map back to the file through it.
    public var origin: SQLOrigin
    /// PostgreSQL extensions the SQL needs.
    public var extensions: Set<String> = []
    /// Renders the SQL (when it asked the database) and the templated hooks again when the step runs.
    public var runTimeRender: RunTimeRender? = nil

    public init(id: NodeID, name: String, kind: NodeKind, action: Action, relation: Relation, sql: String, upstream: [NodeID], origin: SQLOrigin) {
        self.id = id
        self.name = name
        self.kind = kind
        self.action = action
        self.relation = relation
        self.sql = sql
        self.upstream = upstream
        self.origin = origin
    }

    /// Descriptions that persist_docs writes as comments.
    public struct Docs: Sendable {
        public var relation = ""
        /// Column name → description, for columns with one (properties YAML first, then the contract).
        public var columns: [(name: String, description: String)] = []
        public init() {}
    }
}

/// A contract with the relations of the models its foreign keys name (resolved when planning).
public struct ContractBinding: Sendable {
    public var contract: Contract
    public var referenced: [String: Relation]
    public init(contract: Contract, referenced: [String: Relation]) {
        self.contract = contract
        self.referenced = referenced
    }
}

/// An ordered list of steps and the schemas they need.
public struct Plan: Sendable {
    public var steps: [PlanStep]
    public var schemas: [String]
    /// PostgreSQL extensions the steps' SQL needs, created before the first step.
    public var extensions: [String] { Set(steps.flatMap(\.extensions)).sorted() }
    /// `on-run-start` / `on-run-end` SQL of the project, run under the schema lock around the steps.
    public var onRunStart: [String] = []
    public var onRunEnd: [String] = []
    /// For the ids of the project hooks' results (`operation.<project>.on-run-start.<n>`).
    public var projectName = ""

    public init(steps: [PlanStep], schemas: [String]) {
        self.steps = steps
        self.schemas = schemas
    }

    /// One line per step, for `--dry-run` and tests.
    public var description: String {
        steps.enumerated().map { i, s in
            let what: String
            switch s.action {
            case .buildView: what = "view"
            case .buildTable: what = "table"
            case .loadSeed: what = "seed"
            case .test(let spec): what = "test (\(spec.severity.rawValue))"
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

    /// A step for `node` with everything the executor needs from it.
    func step(_ node: CompiledNode, _ action: PlanStep.Action, relation: Relation, in project: CompiledProject, upstream: [NodeID] = []) -> PlanStep {
        var step = PlanStep(id: node.id, name: node.name, kind: node.kind, action: action, relation: relation, sql: node.compiledSQL ?? "",
                            upstream: upstream, origin: node.sqlOrigin)
        step.build = node.buildSettings ?? BuildSettings()
        step.extensions = node.extensions
        step.runTimeRender = node.runTimeRender
        if let contract = node.contract {
            var referenced: [String: Relation] = [:]
            for model in contract.columns.flatMap(\.constraints).compactMap(\.referencedModel) {
                if let r = project.model(named: model)?.relation { referenced[model] = r }
            }
            step.contract = ContractBinding(contract: contract, referenced: referenced)
        }
        if step.build.persistDocs.any {
            step.docs.relation = node.description
            step.docs.columns = node.columns.filter { !$0.description.isEmpty }.map { ($0.name, $0.description) }
            for c in node.contract?.columns ?? [] where !c.description.isEmpty && !step.docs.columns.contains(where: { $0.name == c.name }) {
                step.docs.columns.append((c.name, c.description))
            }
        }
        return step
    }

    /// Ids of the nearest planned ancestors of `id`, looking through ephemeral models and sources (which have no step).
    func plannedUpstream(of id: NodeID, in project: CompiledProject, planned: (NodeID) -> Bool) -> Set<NodeID> {
        var upstream = Set<NodeID>()
        var stack = project.graph.parents[id] ?? []
        var seen = Set<NodeID>()
        while let p = stack.popLast() {
            guard seen.insert(p).inserted else { continue }
            if planned(p) { upstream.insert(p) }
            else if project.nodes[p]?.isEphemeral == true || project.nodes[p]?.kind == .source { stack += project.graph.parents[p] ?? [] }
        }
        return upstream
    }

    /// A plan of `steps` with the project's hooks and the schemas the steps build into.
    func plan(_ steps: [PlanStep], _ project: CompiledProject, extraSchemas: [String] = []) -> Plan {
        var plan = Plan(steps: steps, schemas: Array(Set(steps.filter { $0.kind != .test }.map(\.relation.schema) + extraSchemas)).sorted())
        plan.onRunStart = project.onRunStart
        plan.onRunEnd = project.onRunEnd
        plan.projectName = project.projectName
        return plan
    }

    public func plan(_ project: CompiledProject, selected: Set<NodeID>) -> Plan {
        var steps: [PlanStep] = []
        var inPlan = Set<NodeID>()
        for id in project.order where selected.contains(id) {
            guard let node = project.nodes[id], let model = node.model, !node.isEphemeral, let relation = node.relation, node.compiledSQL != nil else { continue }
            let action: PlanStep.Action
            switch model.materialization {
            case .view: action = .buildView
            case .table: action = .buildTable
            case .microbatch(let config):
                let (spec, problem) = MicrobatchSpec.plan(config: config, loadsIncrementally: model.loadsIncrementally, now: now,
                                                          start: eventTimeStart, end: eventTimeEnd)
                action = spec.map { .microbatch($0) } ?? .unsupported(problem ?? "bad microbatch configuration")
            case .incremental(let spec):
                // first run, a view in the way, or a full refresh: build the table like any other
                action = model.loadsIncrementally ? .loadIncremental(spec) : .buildTable
            case .ephemeral: continue
            }
            let upstream = plannedUpstream(of: id, in: project) { inPlan.contains($0) }
            steps.append(step(node, action, relation: relation, in: project, upstream: upstream.sorted()))
            inPlan.insert(id)
        }
        return plan(steps, project)
    }

    /// Steps for the selected snapshots, in dependency order.
    public func planSnapshots(_ project: CompiledProject, selected: Set<NodeID>) -> Plan {
        let steps = project.order.compactMap { id -> PlanStep? in
            guard selected.contains(id), let node = project.nodes[id], case .snapshot(let spec) = node.payload, let relation = node.relation,
                  node.compiledSQL != nil else { return nil }
            return step(node, .snapshot(spec), relation: relation, in: project)
        }
        return plan(steps, project)
    }

    /// `build`: seeds, models, snapshots and tests of the selection in one DAG. A node waits for its parents and for
    /// the tests of its parents, so a failing error-severity test skips everything downstream of what it tested.
    public func planBuild(_ project: CompiledProject, selected: Set<NodeID>) -> Plan {
        let models = plan(project, selected: selected).steps
        let seeds = planSeeds(project, selected: selected).steps
        let snapshots = planSnapshots(project, selected: selected).steps
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
                } else if project.nodes[p]?.isEphemeral == true || project.nodes[p]?.kind == .source {
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
        return plan(ordered, project, extraSchemas: testPlan.schemas)
    }

    /// The tests of the selected nodes (a test is selected with any node it reads, as dbt's eager selection does),
    /// plus tests selected by name.
    public func planTests(_ project: CompiledProject, selected: Set<NodeID>) -> Plan {
        let steps = project.order.compactMap { id -> PlanStep? in
            // the selection decided which tests run (dbt's indirect selection brings in the tests of selected nodes)
            guard selected.contains(id), let node = project.nodes[id], let test = node.test, node.compiledSQL != nil else { return nil }
            let none = Relation(database: "", schema: "", identifier: node.name)
            if case .unitTest(let u) = node.payload { return step(node, .unitTest(u.fixture), relation: none, in: project) }
            var spec = TestSpec(judgement: test.judgement)
            if test.judgement.storeFailures ?? storeFailures {
                // dbt's default: the custom schema dbt_test__audit, so <target schema>_dbt_test__audit
                spec.storeFailuresIn = Relation(database: project.target.database, schema: "\(project.target.schema)_dbt_test__audit",
                                                identifier: String(node.testAlias.prefix(63)))
            }
            return step(node, .test(spec), relation: none, in: project)
        }
        let auditSchemas = steps.compactMap { step -> String? in if case .test(let s) = step.action { return s.storeFailuresIn?.schema } else { return nil } }
        return plan(steps, project, extraSchemas: auditSchemas)
    }

    /// Steps that load the selected seeds (seeds depend on nothing, so they all run in parallel).
    public func planSeeds(_ project: CompiledProject, selected: Set<NodeID>) -> Plan {
        let steps = project.order.compactMap { id -> PlanStep? in
            guard selected.contains(id), let node = project.nodes[id], case .seed(let spec) = node.payload, let relation = node.relation else { return nil }
            return step(node, .loadSeed(SeedInput(name: node.name, path: node.path, relation: relation, spec: spec, contract: node.contract)),
                        relation: relation, in: project)
        }
        return plan(steps, project)
    }
}
