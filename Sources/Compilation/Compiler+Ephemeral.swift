import Basics
import DependencyGraph
import ProjectModel
import Templating

extension Compiler {
    /// Prepends each model's and data test's ephemeral ancestors as CTEs named `__dbt__cte__<name>`, as dbt does.
    func injectEphemeralCTEs(into nodes: inout [NodeID: CompiledNode], order: [NodeID], graph: Graph) throws {
        let position = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, $0) })
        let ephemeral = Set(nodes.values.filter { $0.isEphemeral }.map(\.id))
        guard !ephemeral.isEmpty else { return }
        // Bodies before injection: each ephemeral contributes its own SQL once.
        let bodies = nodes.filter { ephemeral.contains($0.key) }.mapValues { $0.compiledSQL ?? "" }
        for id in order where nodes[id].map(Self.readsEphemerals) ?? false {
            // Ephemeral ancestors reachable only through ephemeral nodes.
            var needed = Set<NodeID>()
            var stack = (graph.parents[id] ?? []).filter { ephemeral.contains($0) }
            while let e = stack.popLast() {
                guard needed.insert(e).inserted else { continue }
                stack += (graph.parents[e] ?? []).filter { ephemeral.contains($0) }
            }
            guard !needed.isEmpty, let sql = nodes[id]!.compiledSQL else { continue }
            let ctes = needed.sorted { position[$0]! < position[$1]! }.map { " __dbt__cte__\(nodes[$0]!.name) as (\n\(bodies[$0]!)\n)" }
            let (newSQL, insertAt, insertedLength) = Self.inject(ctes.joined(separator: ", "), into: sql)
            nodes[id]!.compiledSQL = newSQL
            let joined = ctes.joined(separator: ", ")
            nodes[id]!.runTimeRender = nodes[id]!.runTimeRender?.mappingSQL { Self.inject(joined, into: $0).0 }
            nodes[id]!.sourceMap = nodes[id]!.sourceMap?.inserting(length: insertedLength, at: insertAt)
        }
    }

    /// Models and data tests take their ephemeral ancestors as CTEs (unit tests give their inputs as fixtures).
    static func readsEphemerals(_ node: CompiledNode) -> Bool {
        switch node.payload {
        case .model, .dataTest: return true
        default: return false
        }
    }

    /// Puts the CTEs into a model's SQL exactly as dbt-core 1.12's `_inject_ctes_into_sql` does with sqlparse: after a
    /// leading `with` (or `with recursive`; comments before it are passed over), at the next token past the whitespace
    /// that follows, then `, `; without a leading `with`, `with<ctes> ` goes before the first token (a comment counts).
    /// Returns the new SQL, the UTF-8 offset of the insertion and the inserted length.
    public static func inject(_ ctes: String, into sql: String) -> (String, Int, Int) {
        let bytes = Array(sql.utf8)
        func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x0A || b == 0x09 || b == 0x0D }
        func skipSpace(_ p: Int) -> Int {
            var p = p
            while p < bytes.count, isSpace(bytes[p]) { p += 1 }
            return p
        }
        /// Past whitespace and `--`/`/* */` comments.
        func skipSpaceAndComments(_ p: Int) -> Int {
            var p = skipSpace(p)
            while p + 1 < bytes.count {
                if bytes[p] == 0x2D, bytes[p + 1] == 0x2D {
                    while p < bytes.count, bytes[p] != 0x0A { p += 1 }
                } else if bytes[p] == 0x2F, bytes[p + 1] == 0x2A {
                    p += 2
                    while p + 1 < bytes.count, !(bytes[p] == 0x2A && bytes[p + 1] == 0x2F) { p += 1 }
                    p = min(bytes.count, p + 2)
                } else { break }
                p = skipSpace(p)
            }
            return p
        }
        func word(at p: Int) -> (String, Int)? {
            var e = p
            while e < bytes.count, (bytes[e] | 0x20) >= 0x61 && (bytes[e] | 0x20) <= 0x7A { e += 1 }
            guard e > p, e == bytes.count || !(bytes[e] == 0x5F || (bytes[e] >= 0x30 && bytes[e] <= 0x39)) else { return nil }
            return (String(decoding: bytes[p..<e], as: UTF8.self).lowercased(), e)
        }
        func splice(_ insert: String, at offset: Int) -> (String, Int, Int) {
            (String(decoding: bytes[..<offset], as: UTF8.self) + insert + String(decoding: bytes[offset...], as: UTF8.self), offset, insert.utf8.count)
        }
        if let (w, end) = word(at: skipSpaceAndComments(0)), w == "with" {
            var keywordEnd = end
            if let (w2, end2) = word(at: skipSpace(end)), w2 == "recursive" { keywordEnd = end2 }
            return splice(ctes + ", ", at: skipSpace(keywordEnd))
        }
        return splice("with" + ctes + " ", at: skipSpace(0))
    }
}
