import Foundation
import Basics
import Compilation
import DependencyGraph
import ProjectModel
import Warehouse

/// Checks contracted models against their contracts without running them or reading any data.
///
/// In one transaction that is always rolled back, every model a contracted model reads from is stood up as an empty
/// relation in a private schema (`strata_check_<pid>_<n>`): contracted models as tables of their contracted shape,
/// others as views over their upstream stand-ins. References in each model's compiled SQL are pointed at the stand-ins,
/// PostgreSQL describes the query (CREATE VIEW plans it but runs nothing), and the columns and types are compared
/// with the contract. Nothing is left behind and no existing relation is touched or locked.
/// Seeds, sources and snapshots are read where they are; a model downstream of one that does not exist yet is
/// reported as not checked (its contract is still enforced when it is built).
public struct StaticContractCheck: Sendable {
    public let connection: any WarehouseConnection
    public let dialect: SQLDialect

    public init(connection: any WarehouseConnection, dialect: SQLDialect = .postgres) {
        self.connection = connection
        self.dialect = dialect
    }

    public struct Outcome: Sendable {
        /// Errors (contract broken, SQL that does not describe) and notes (models not checked, and why).
        public var diagnostics: [Diagnostic] = []
        public var checked: [NodeID] = []
        public var skipped: [NodeID] = []
    }

    /// Checks the contracted models among `selected`.
    public func check(_ compiled: CompiledProject, selected: Set<NodeID>) throws -> Outcome {
        var outcome = Outcome()
        let contracted = compiled.order.filter { selected.contains($0) && compiled.nodes[$0]?.contract != nil }
        guard !contracted.isEmpty else { return outcome }
        // the models to stand up: contracted ones and every relation-backed model upstream of them
        var needed = Set(contracted)
        var external = Set<NodeID>()
        for id in contracted {
            for a in compiled.graph.ancestors(of: id) {
                guard let n = compiled.nodes[a] else { continue }
                if n.kind == .model, !n.isEphemeral { needed.insert(a) }
                else if n.kind != .model, n.relation != nil { external.insert(a) }
            }
        }
        let missing = try missingRelations(external.compactMap { compiled.nodes[$0] })
        let order = compiled.order.filter { needed.contains($0) }

        try connection.execute("BEGIN")
        defer { _ = try? connection.execute("ROLLBACK") }
        let pid = try connection.execute("SELECT pg_backend_pid()").scalar ?? "0"
        var shadowSchema: [String: String] = [:]
        for schema in Set(order.compactMap { compiled.nodes[$0]?.relation?.schema }).sorted() {
            let name = "strata_check_\(pid)_\(shadowSchema.count + 1)"
            try connection.execute("CREATE SCHEMA \(dialect.quote(name))")
            shadowSchema[schema] = name
        }
        var redirect: [String: String] = [:]
        for id in order {
            guard let r = compiled.nodes[id]?.relation, let s = shadowSchema[r.schema] else { continue }
            redirect[r.rendered(dialect)] = dialect.qualified(r.database, s, r.identifier)
        }

        var broken = Set<NodeID>()
        for id in order {
            guard let node = compiled.nodes[id], let relation = node.relation, let sql = node.compiledSQL, let shadow = shadowSchema[relation.schema] else { continue }
            let ancestors = compiled.graph.ancestors(of: id)
            let isContracted = node.contract != nil && contracted.contains(id)
            if let m = ancestors.first(where: { missing.contains($0) }) {
                if isContracted {
                    outcome.skipped.append(id)
                    outcome.diagnostics.append(Diagnostic(.note, code: .contractCheckDeferred, "contract of '\(node.name)' not checked before the build: \(compiled.nodes[m]?.kind.rawValue ?? "relation") '\(compiled.nodes[m]?.name ?? m.rawValue)' does not exist yet; it is checked when '\(node.name)' is built",
                                                          at: SourceLocation(file: node.path, line: 1, column: 1)))
                }
                broken.insert(id)
                if let c = node.contract, isContracted { try? standIn(c, schema: shadow, identifier: relation.identifier) }
                continue
            }
            if let b = ancestors.first(where: { broken.contains($0) }), node.contract == nil || !isContracted {
                _ = b
                broken.insert(id)
                continue
            }
            var own = redirect
            own.removeValue(forKey: relation.rendered(dialect))   // `{{ this }}` in an incremental model reads the real table
            let rewritten = Self.redirect(sql, own)
            // one round trip: savepoint, describe, release (an error stops the batch inside the savepoint)
            let prefix = "SAVEPOINT strata_check;\nCREATE VIEW \(dialect.qualified(shadow, relation.identifier)) AS (\n"
            do {
                try connection.execute(prefix + rewritten.text + "\n);\nRELEASE SAVEPOINT strata_check")
            } catch let e as WarehouseError {
                try connection.execute("ROLLBACK TO SAVEPOINT strata_check")
                broken.insert(id)
                if isContracted, let contract = node.contract {
                    if let b = ancestors.first(where: { broken.contains($0) }), let bn = compiled.nodes[b] {
                        outcome.skipped.append(id)
                        outcome.diagnostics.append(Diagnostic(.note, code: .contractCheckDeferred, "contract of '\(node.name)' not checked before the build: upstream model '\(bn.name)' could not be described",
                                                              at: SourceLocation(file: node.path, line: 1, column: 1)))
                    } else {
                        var location = SourceLocation(file: node.path, line: 1, column: 1)
                        if let pos = e.position, pos > prefix.unicodeScalars.count,
                           let mapped = node.location(forCompiledPosition: rewritten.originalPosition(pos - prefix.unicodeScalars.count)) {
                            location = mapped
                        }
                        outcome.diagnostics.append(Diagnostic(code: .contractCheckFailed, "model '\(node.name)' cannot be checked against contract '\(contract.name)': \(e.message)\(e.sqlState.map { " [SQLSTATE \($0)]" } ?? "")",
                                                              at: location))
                    }
                    try? standIn(contract, schema: shadow, identifier: relation.identifier)
                }
                continue
            }
            guard isContracted, let contract = node.contract else { continue }
            let actual = try ContractShape.columns(of: dialect.qualified(shadow, relation.identifier), on: connection)
            let (expected, unknown) = try ContractShape.expected(contract, on: connection)
            outcome.diagnostics += ContractShape.unknownTypeDiagnostics(unknown, contract: contract)
            let unknownNames = Set(unknown.map(\.name))
            let problems = ContractShape.compare(actual: actual.filter { !unknownNames.contains($0.name) }, expected: expected, ordered: contract.ordered)
            outcome.diagnostics += problems.map { Self.diagnostic($0, node: node, contract: contract) }
            outcome.checked.append(id)
            if unknown.isEmpty {
                try connection.execute("DROP VIEW \(dialect.qualified(shadow, relation.identifier))")
                try standIn(contract, schema: shadow, identifier: relation.identifier)
            }
        }
        return outcome
    }

    /// An empty table of the contract's declared shape (no constraints: nothing is ever inserted).
    private func standIn(_ contract: Contract, schema: String, identifier: String) throws {
        let cols = contract.columns.map { "\(dialect.quote($0.name)) \($0.dataType)" }.joined(separator: ", ")
        try connection.execute("SAVEPOINT strata_stand_in")
        do {
            try connection.execute("CREATE TABLE \(dialect.qualified(schema, identifier)) (\(cols))")
            try connection.execute("RELEASE SAVEPOINT strata_stand_in")
        } catch {
            try connection.execute("ROLLBACK TO SAVEPOINT strata_stand_in")
            throw error
        }
    }

    /// Seeds, sources and snapshots that do not exist in the database.
    private func missingRelations(_ nodes: [CompiledNode]) throws -> Set<NodeID> {
        let withRelations = nodes.compactMap { n in n.relation.map { (n.id, $0) } }
        guard !withRelations.isEmpty else { return [] }
        let missing = try WarehouseCatalog(connection).missing(withRelations.map { $0.1.schemaQualified(dialect) })
        return Set(missing.map { withRelations[$0].0 })
    }

    static func diagnostic(_ p: ContractShape.Problem, node: CompiledNode, contract: Contract) -> Diagnostic {
        let column = contract.column(p.column)
        let location = column?.location ?? contract.location
        return Diagnostic(code: .contractBroken, "model '\(node.name)' breaks contract '\(contract.name)': \(p)", at: location,
                          notes: [.init("the model", at: SourceLocation(file: node.path, line: 1, column: 1))])
    }

    /// SQL with some relation names (`"db"."schema"."name"`, as ref() renders them) replaced, and a way back from a
    /// position in the new text to the old (for mapping PostgreSQL's error positions to the model file).
    public struct Redirected: Sendable {
        public var text: String
        /// (position in the new text where a replacement ends, cumulative length change), in order.
        var shifts: [(end: Int, delta: Int)]
        /// 1-based character position in `text` → 1-based position in the original.
        public func originalPosition(_ p: Int) -> Int {
            var delta = 0
            for s in shifts where s.end < p { delta = s.delta }
            return p - delta
        }
    }

    /// Finds each `"a"."b"."c"` in `sql` (outside nothing: a string literal holding that exact text is rare enough)
    /// and replaces those in `map`.
    public static func redirect(_ sql: String, _ map: [String: String]) -> Redirected {
        let scalars = Array(sql.unicodeScalars)
        var out = String.UnicodeScalarView()
        var shifts: [(Int, Int)] = []
        var delta = 0
        var i = 0
        func quoted(_ start: Int) -> Int? {   // index after a "…" identifier starting at `start`
            guard start < scalars.count, scalars[start] == "\"" else { return nil }
            var j = start + 1
            while j < scalars.count {
                if scalars[j] == "\"" {
                    if j + 1 < scalars.count, scalars[j + 1] == "\"" { j += 2; continue }
                    return j + 1
                }
                j += 1
            }
            return nil
        }
        while i < scalars.count {
            if scalars[i] == "\"", let a = quoted(i), a < scalars.count, scalars[a] == ".", let b = quoted(a + 1), b < scalars.count, scalars[b] == ".",
               let c = quoted(b + 1) {
                let original = String(String.UnicodeScalarView(scalars[i..<c]))
                if let replacement = map[original] {
                    out.append(contentsOf: replacement.unicodeScalars)
                    delta += replacement.unicodeScalars.count - (c - i)
                    shifts.append((out.count, delta))
                    i = c
                    continue
                }
                out.append(contentsOf: scalars[i..<c])
                i = c
                continue
            }
            out.append(scalars[i])
            i += 1
        }
        return Redirected(text: String(out), shifts: shifts)
    }
}
