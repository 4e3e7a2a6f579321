import Foundation
import Basics
import Compilation
import DependencyGraph
import ProjectModel

/// `--state DIR`: the artifacts of an earlier invocation (`manifest.json`, `run_results.json`, as Strata or dbt
/// writes them) compared with the project as it compiles now, for `state:` and `result:` selectors.
public enum StateComparison {
    /// dbt's comparisons, node by node: new (not in the state), and modified by body (the file's checksum), configs,
    /// relation (the database, schema and alias configs), persisted descriptions (descriptions of the node and its columns, when
    /// persist_docs writes them), contract, and macros (the text of a macro its render called differs from the state's,
    /// or the state does not have it).
    public static func load(_ directory: String, compiled: CompiledProject) throws -> SelectionState {
        let (previous, previousMacros) = try readManifest(directory)
        let currentMacros = Dictionary(compiled.macros.map { ($0.uniqueID, $0.sql) }, uniquingKeysWith: { a, _ in a })
        var state = SelectionState()
        for key in SelectionState.modifiedKinds { state.modified[key] = [] }
        for (id, node) in compiled.nodes {
            guard let before = previous[id.rawValue] else { state.new.insert(id); continue }
            state.old.insert(id)
            let now = current(node, compiled)
            func differs(_ keys: [String]) -> Bool { keys.contains { !same(now[$0], before[$0]) } }
            if differs(["checksum"]) { state.modified["body"]!.insert(id) }
            if differs(["config"]) { state.modified["configs"]!.insert(id) }
            // as dbt: the database, schema and alias the node's config asks for, not where the target put it (a CI
            // run into its own schema modifies nothing)
            let relationKeys = ["database", "schema", "alias"]
            if !relationKeys.allSatisfy({ same((now["config"] as? [String: Any])?[$0], (before["config"] as? [String: Any])?[$0]) }) {
                state.modified["relation"]!.insert(id)
            }
            if differs(["contract"]) { state.modified["contract"]!.insert(id) }
            if node.macroDependencies.contains(where: { currentMacros[$0] != previousMacros[$0] }) { state.modified["macros"]!.insert(id) }
            if node.buildSettings?.persistDocs.any == true, differs(["description"]) || !same(descriptions(now["columns"]), descriptions(before["columns"])) {
                state.modified["persisted_descriptions"]!.insert(id)
            }
        }
        if let results = FileManager.default.contents(atPath: directory + "/run_results.json"),
           let json = try? JSONSerialization.jsonObject(with: results) as? [String: Any] {
            for r in json["results"] as? [[String: Any]] ?? [] {
                if let id = r["unique_id"] as? String, let status = r["status"] as? String { state.results[NodeID(id)] = status }
            }
        }
        return state
    }

    /// `--defer`: the relations refs to the unselected nodes resolve to, as dbt defers — a model, seed or snapshot
    /// that is not selected, is in the state's manifest, and does not exist in the target (`existing`; nil: nothing is
    /// known to exist) is read from the state's relation instead; with `favorState`, whether it exists or not.
    /// Ephemeral models are never deferred (they are compiled into their dependents).
    public static func deferredRelations(_ directory: String, compiled: CompiledProject, selected: Set<NodeID>,
                                         existing: Set<Relation>?, favorState: Bool) throws -> [NodeID: Relation] {
        let previous = try readManifest(directory).nodes
        var out: [NodeID: Relation] = [:]
        for (id, node) in compiled.nodes where !selected.contains(id) && [.model, .seed, .snapshot].contains(node.kind) && !node.isEphemeral {
            guard let before = previous[id.rawValue], let schema = before["schema"] as? String,
                  let name = before["alias"] as? String ?? before["identifier"] as? String ?? before["name"] as? String else { continue }
            if (before["config"] as? [String: Any])?["materialized"] as? String == "ephemeral" { continue }
            let relation = Relation(database: before["database"] as? String ?? compiled.target.database, schema: schema, identifier: name)
            if !favorState, let current = node.writtenRelation ?? node.relation, existing?.contains(current) == true { continue }
            out[id] = relation
        }
        return out
    }

    /// The state's manifest: unique_id → the node's entry (every kind a manifest lists), and macro id → macro_sql.
    static func readManifest(_ directory: String) throws -> (nodes: [String: [String: Any]], macros: [String: String]) {
        let manifestPath = directory + "/manifest.json"
        guard let data = FileManager.default.contents(atPath: manifestPath) else {
            throw Diagnostic(code: .unreadableState, "--state \(directory): there is no manifest.json there (give the target/ folder of the run to compare with)")
        }
        guard let manifest = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw Diagnostic(code: .unreadableState, "--state \(directory): manifest.json is not a manifest (it does not read as JSON)")
        }
        var previous: [String: [String: Any]] = [:]
        for key in ["nodes", "sources", "seeds", "exposures", "unit_tests"] {
            for (id, node) in manifest[key] as? [String: [String: Any]] ?? [:] { previous[id] = node }
        }
        var macros: [String: String] = [:]
        for (id, macro) in manifest["macros"] as? [String: [String: Any]] ?? [:] { macros[id] = macro["macro_sql"] as? String }
        return (previous, macros)
    }

    /// The node as this compile's manifest describes it, read back as JSON so it compares with the state's.
    static func current(_ node: CompiledNode, _ compiled: CompiledProject) -> [String: Any] {
        let text = JSONWriter.write(node.manifestEntry(dependsOn: compiled.dependsOn(node.id)), pretty: false)
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    /// Two values read from JSON, compared structurally (a missing key equals null).
    static func same(_ a: Any?, _ b: Any?) -> Bool {
        switch (a, b) {
        case (nil, nil): return true
        case (let x?, nil), (nil, let x?): return x is NSNull
        case (let x as [String: Any], let y as [String: Any]):
            return Set(x.keys).union(y.keys).allSatisfy { same(x[$0], y[$0]) }
        case (let x as [Any], let y as [Any]):
            return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case (let x as String, let y as String): return x == y
        case (let x as NSNumber, let y as NSNumber): return x == y
        case (is NSNull, is NSNull): return true
        default: return false
        }
    }

    /// Column name → description.
    static func descriptions(_ columns: Any?) -> [String: String] {
        var out: [String: String] = [:]
        for (name, column) in columns as? [String: [String: Any]] ?? [:] { out[name] = column["description"] as? String ?? "" }
        return out
    }
}
